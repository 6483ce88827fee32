//! Typed ids: a `TenantId` can never be passed where a `ZoneId` is meant.

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// The database id of a gemeente.
    TenantId
);
typed_id!(
    /// The database id of a zone (locatie / gebied).
    ZoneId
);
typed_id!(
    /// The database id of a product type of a gemeente.
    ProductTypeId
);
typed_id!(
    /// The database id of a resident's account.
    AccountId
);
typed_id!(
    /// The database id of a product (a visitor scheme or permit issued to a resident).
    ProductId
);
typed_id!(
    /// The database id of a staff correction of a balance (applied, or waiting for approval).
    CorrectionId
);
typed_id!(
    /// The database id of a mail in the outbox.
    MailId
);
typed_id!(
    /// The database id of a parking session.
    SessionId
);
typed_id!(
    /// The database id of a ledger entry (a transaction in "Historie").
    EntryId
);
typed_id!(
    /// The database id of a favorite (a plate with a name, per product).
    FavoriteId
);
typed_id!(
    /// The database id of a top-up payment.
    PaymentId
);
typed_id!(
    /// The database id of a mandate (machtiging).
    MandateId
);
typed_id!(
    /// The database id of a staff member's account (apart from residents' accounts).
    StaffId
);
typed_id!(
    /// The database id of an entry of the audit trail.
    AuditId
);
typed_id!(
    /// The database id of an API key of a gemeente (for the admin API).
    ApiKeyId
);
typed_id!(
    /// The database id of a batch of allocation letters.
    BatchId
);
typed_id!(
    /// The database id of an application in the digitaal loket.
    ApplicationId
);

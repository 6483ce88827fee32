//! The pure Parkportal domain: typed ids, gemeenten (tenants) with their zones, product types and
//! themes, accounts and products with their coupling links, the outbox, the `Clock` port, and the
//! use cases written against ports (traits).
//!
//! Nothing here knows HTTP, SQL, e-mail or rhai: the composition root (`src/`) hands the use cases
//! implementations of the ports, so the domain can be tested without a database.

pub mod accounts;
pub mod amount;
pub mod api_keys;
pub mod audit;
pub mod batches;
pub mod calendar;
pub mod captcha;
pub mod catalogue;
pub mod clock;
pub mod corrections;
pub mod coupling;
pub mod dashboard;
pub mod dossier;
pub mod email;
pub mod favorites;
pub mod footer_links;
pub mod founding;
pub mod gemeente_look;
pub mod history;
pub mod housekeeping;
pub mod idempotency;
pub mod ids;
pub mod ledger;
pub mod letters;
pub mod line_diff;
pub mod logo;
pub mod loket;
pub mod mail;
pub mod mandates;
pub mod own_data;
pub mod parking;
pub mod password;
pub mod password_reset;
pub mod payer_refunds;
pub mod plate;
pub mod platform;
pub mod ports;
pub mod postcode_range;
pub mod privacy;
pub mod product_type;
pub mod revocation;
pub mod rule_schedule;
pub mod rules;
pub mod rules_bundle;
pub mod rules_console;
pub mod rules_dry_run;
pub mod sealed;
pub mod search;
pub mod secret;
pub mod settings;
pub mod staff;
pub mod suspension;
pub mod tariff_model;
pub mod tenancy;
pub mod tenant;
pub mod theme;
pub mod theme_form;
pub mod throttle;
pub mod top_up;

#[cfg(test)]
mod testing;

pub use accounts::{Account, AccountRepository, Accounts, AuthSettings, PasswordHasher};
pub use amount::{AmountError, DecimalText, PositiveAmount};
pub use clock::{Clock, FixedClock, SystemClock};
pub use coupling::{ProductDesk, ProductRepository};
pub use email::EmailAddress;
pub use ids::{
    AccountId, ApiKeyId, ApplicationId, BatchId, EntryId, FavoriteId, MailId, MandateId, PaymentId,
    ProductId, ProductTypeId, SessionId, StaffId, TenantId, ZoneId,
};
pub use letters::{
    Letter, LetterError, LetterRenderer, LetterTexts, LogoKind, Postcode, Recipient,
    RecipientField, RecipientInput, Sender,
};
pub use mail::{MailComposer, MailTransport, OutboxRepository, OutboxWorker};
pub use password::NewPassword;
pub use ports::{
    Readiness, RuleErrorEntry, RuleRepository, RuleSourceVersion, RuleSources, RuleValidator,
    RulesStamp, SaveMode, SaveTenantError, Saved, StoreError, TariffFacts, TenantRepository,
};
pub use secret::{Pin, ProductCode, Token};
pub use tenancy::{ImportError, ImportOutcome, TenantDirectory};
pub use tenant::{
    BalanceUnit, Code, Hostname, Language, Logo, PeriodicGrant, ProductKind, ProductTypeSpec,
    PublicUrl, Tenant, TenantConfig, TenantOverview, TenantSlug, ThemeName, ZoneSpec,
};
pub use theme::{ContrastProblem, ThemeTokens};

/// A value that did not parse, with a stable code for the user and a detail for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is invalid: {detail}")]
pub struct ParseError {
    /// What was being parsed, e.g. `slug`.
    pub what: &'static str,
    /// Why it was refused.
    pub detail: String,
}

impl ParseError {
    /// A parse error for `what` with a human-readable `detail`.
    pub fn new(what: &'static str, detail: impl Into<String>) -> Self {
        Self {
            what,
            detail: detail.into(),
        }
    }
}

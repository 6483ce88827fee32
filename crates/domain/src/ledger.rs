//! Postings to the ledger (DESIGN §4): which balance a change moves, as what kind of entry, and
//! what it belongs to. The domain builds every posting; the store's one ledger writer records it
//! with the balance and the product's revision in the caller's transaction, so that a balance is
//! always the sum of its entries.

use crate::history::EntryKind;
use crate::ids::{MandateId, ProductId, SessionId};
use crate::parking::{GrantDue, ProductView};

/// Whose balance a posting moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wallet {
    /// The product's own balance.
    Product,
    /// A mandate's own balance (its entries carry the mandate, so that it is their sum).
    Mandate(MandateId),
}

impl Wallet {
    /// The balance a mandate's money lives in: its own, or the owner's for a mandate imported
    /// from the previous system without one.
    pub fn of_mandate(mandate: MandateId, own_balance: bool) -> Self {
        if own_balance {
            Self::Mandate(mandate)
        } else {
            Self::Product
        }
    }

    /// The balance the resident who sees `view` spends: a mandatee the mandate's, an owner the
    /// product's.
    pub fn of_view(view: &ProductView) -> Self {
        view.mandate
            .as_ref()
            .map_or(Self::Product, |m| Self::of_mandate(m.id, m.own_balance))
    }

    /// The mandate whose balance it is, if any.
    pub fn mandate(self) -> Option<MandateId> {
        match self {
            Self::Product => None,
            Self::Mandate(id) => Some(id),
        }
    }
}

/// What an entry belongs to. A payment's or a grant's key is unique in the ledger, which makes
/// posting it a second time (a webhook and a return racing, two views crediting one period) a
/// no-op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BelongsTo {
    /// Nothing but its product (an opening balance, a correction, a mandate's grant or return).
    Product,
    /// A parking session (its reservation or refund).
    Session(SessionId),
    /// A payment, by the provider's id.
    Payment(String),
    /// A periodic grant, by its period's key.
    Grant(String),
}

/// One change of one balance, as the domain decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerPosting {
    /// The product whose balance (or whose mandate's) changes.
    pub product: ProductId,
    /// Whose balance.
    pub wallet: Wallet,
    /// The kind of entry.
    pub kind: EntryKind,
    /// Signed, in the balance's smallest unit.
    pub amount: i64,
    /// What it belongs to.
    pub belongs_to: BelongsTo,
    /// Why, in words (a staff correction's reason).
    pub note: Option<String>,
    /// The staff member who made it (a correction).
    pub staff: Option<crate::ids::StaffId>,
}

impl LedgerPosting {
    fn new(product: ProductId, kind: EntryKind, amount: i64, belongs_to: BelongsTo) -> Self {
        Self {
            product,
            wallet: Wallet::Product,
            kind,
            amount,
            belongs_to,
            note: None,
            staff: None,
        }
    }

    /// The balance a product is issued with.
    pub fn opening(product: ProductId, amount: i64) -> Self {
        Self::new(product, EntryKind::Opening, amount, BelongsTo::Product)
    }

    /// A periodic grant that is due.
    pub fn grant(product: ProductId, grant: &GrantDue) -> Self {
        let key = BelongsTo::Grant(grant.key.clone());
        Self::new(product, EntryKind::Grant, grant.amount, key)
    }

    /// A paid top-up, by the provider's id of its payment.
    pub fn top_up(product: ProductId, amount: i64, reference: String) -> Self {
        let payment = BelongsTo::Payment(reference);
        Self::new(product, EntryKind::TopUp, amount, payment)
    }

    /// What a session comes to when what it holds goes from `was` to `now` (both in the
    /// smallest unit): a reservation when it holds more, a refund when less, taken from or
    /// given back to `wallet`, the balance that paid for it.
    pub fn session(
        (product, wallet): (ProductId, Wallet),
        session: SessionId,
        was: i64,
        now: i64,
    ) -> Self {
        let amount = was - now;
        let kind = if amount > 0 {
            EntryKind::Refund
        } else {
            EntryKind::Reservation
        };
        Self {
            wallet,
            ..Self::new(product, kind, amount, BelongsTo::Session(session))
        }
    }

    /// `amount` moved from the owner's balance to a new mandate's: one entry on each.
    pub fn mandate_grant(product: ProductId, mandate: MandateId, amount: i64) -> [Self; 2] {
        Self::between(product, EntryKind::MandateGrant, mandate, -amount)
    }

    /// What a revoked mandate held, `amount`, back to the owner's balance: one entry on each.
    pub fn mandate_return(product: ProductId, mandate: MandateId, amount: i64) -> [Self; 2] {
        Self::between(product, EntryKind::MandateReturn, mandate, amount)
    }

    /// A correction of the product's balance by staff member `staff` with its reason; the store
    /// refuses one that would take the balance below zero.
    pub fn correction(
        product: ProductId,
        amount: i64,
        reason: String,
        staff: crate::ids::StaffId,
    ) -> Self {
        Self {
            note: Some(reason),
            staff: Some(staff),
            ..Self::new(
                product,
                EntryKind::StaffCorrection,
                amount,
                BelongsTo::Product,
            )
        }
    }

    /// `amount` (positive, in the smallest unit) off a revoked product's balance, refunded to
    /// the payer by staff member `staff` for `reason`; a refund the provider refused comes back
    /// as the same kind with the opposite sign.
    pub fn payer_refund(
        product: ProductId,
        amount: i64,
        reason: String,
        staff: crate::ids::StaffId,
    ) -> Self {
        Self {
            note: Some(reason),
            staff: Some(staff),
            ..Self::new(product, EntryKind::PayerRefund, -amount, BelongsTo::Product)
        }
    }

    /// `to_owner` onto the owner's balance and as much off the mandate's, as `kind`.
    fn between(
        product: ProductId,
        kind: EntryKind,
        mandate: MandateId,
        to_owner: i64,
    ) -> [Self; 2] {
        let owner = Self::new(product, kind, to_owner, BelongsTo::Product);
        let held = Self {
            wallet: Wallet::Mandate(mandate),
            amount: -to_owner,
            ..owner.clone()
        };
        [owner, held]
    }

    /// Whether a second posting with the same key is a no-op (a payment or a grant).
    pub fn is_keyed(&self) -> bool {
        matches!(self.belongs_to, BelongsTo::Payment(_) | BelongsTo::Grant(_))
    }

    /// Whether it changes nothing and writes no entry: an amount of zero that no key makes
    /// worth remembering (a free session, an empty opening balance).
    pub fn is_empty(&self) -> bool {
        self.amount == 0 && !self.is_keyed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ProductId = ProductId(7);
    const M: MandateId = MandateId(3);

    #[test]
    fn a_session_that_holds_more_reserves_and_one_that_holds_less_refunds() {
        let more = LedgerPosting::session((P, Wallet::Product), SessionId(1), 100, 250);
        assert_eq!((more.kind, more.amount), (EntryKind::Reservation, -150));
        let less = LedgerPosting::session((P, Wallet::Mandate(M)), SessionId(1), 250, 100);
        assert_eq!((less.kind, less.amount), (EntryKind::Refund, 150));
        assert_eq!(less.wallet, Wallet::Mandate(M));
        assert_eq!(less.belongs_to, BelongsTo::Session(SessionId(1)));
    }

    #[test]
    fn a_mandate_grant_and_return_move_the_same_amount_between_two_balances() {
        let [owner, held] = LedgerPosting::mandate_grant(P, M, 500);
        assert_eq!((owner.wallet, owner.amount), (Wallet::Product, -500));
        assert_eq!((held.wallet, held.amount), (Wallet::Mandate(M), 500));
        assert_eq!(held.kind, EntryKind::MandateGrant);
        let [owner, held] = LedgerPosting::mandate_return(P, M, 120);
        assert_eq!((owner.amount, held.amount), (120, -120));
        assert_eq!(owner.kind, EntryKind::MandateReturn);
    }

    #[test]
    fn an_imported_mandate_spends_the_owners_balance() {
        assert_eq!(Wallet::of_mandate(M, false), Wallet::Product);
        assert_eq!(Wallet::of_mandate(M, true).mandate(), Some(M));
    }

    #[test]
    fn only_a_keyless_zero_is_empty() {
        assert!(LedgerPosting::opening(P, 0).is_empty());
        assert!(!LedgerPosting::opening(P, 1).is_empty());
        let zero_grant = GrantDue {
            key: "2025-01-01".to_owned(),
            amount: 0,
        };
        assert!(!LedgerPosting::grant(P, &zero_grant).is_empty());
        let staff = crate::ids::StaffId(7);
        let correction = LedgerPosting::correction(P, -5, "typo".to_owned(), staff);
        assert_eq!(correction.note.as_deref(), Some("typo"));
        assert_eq!(correction.staff, Some(staff));
        assert_eq!(correction.kind, EntryKind::StaffCorrection);
        let refund = LedgerPosting::payer_refund(P, 250, "ingetrokken".to_owned(), staff);
        assert_eq!((refund.kind, refund.amount), (EntryKind::PayerRefund, -250));
        assert_eq!(refund.staff, Some(staff));
    }
}

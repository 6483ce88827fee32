//! In-memory fakes of the domain's ports, for unit tests of the use cases without a database:
//! products and sessions kept in a `Vec`, every posting kept so that a test can ask which
//! balance paid and as what kind of entry, and rules that price by the minute.

mod parking;
mod payments;
mod rules;

pub(crate) use parking::FakeParking;
pub(crate) use payments::{FakePayments, NoProvider};
pub(crate) use rules::FakeRules;

use crate::ids::{AccountId, MandateId, ProductId, TenantId};
use crate::parking::{MandateAccess, ProductView};
use crate::plate::{Country, Plate};
use crate::product_type::{BalanceUnit, ProductKind, TopUpOption};
use crate::tenant::Code;
use crate::{Account, EmailAddress};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

/// A Tuesday at noon (UTC), far from any day's or year's end.
pub(crate) fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A Dutch plate.
pub(crate) fn plate(text: &str) -> Plate {
    Plate::parse(text, Country::NL).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A visitor scheme in euros with `balance` cents, valid for a year around [`noon`].
pub(crate) fn product(id: i64, balance: i64) -> ProductView {
    let code = |c: &str| Code::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
    ProductView {
        id: ProductId(id),
        tenant: TenantId(1),
        tenant_slug: "testdorp".to_owned(),
        tenant_name: "Testdorp".to_owned(),
        tenant_version: 1,
        time_zone: chrono_tz::Europe::Amsterdam,
        tenant_suspended: false,
        type_code: code("bezoek"),
        type_name: "Bezoekersregeling".to_owned(),
        kind: ProductKind::VisitorScheme,
        unit: BalanceUnit::Money,
        grant: None,
        top_ups: vec![
            TopUpOption {
                amount: Decimal::new(10, 0),
                price: Decimal::new(10, 0),
            },
            TopUpOption {
                amount: Decimal::new(25, 0),
                price: Decimal::new(25, 0),
            },
        ],
        zone_code: code("centrum"),
        zone_name: "Centrum".to_owned(),
        valid_from: noon() - Duration::days(180),
        valid_until: noon() + Duration::days(180),
        balance,
        plates: Vec::new(),
        active_plate: None,
        plate_retention_days: 91,
        mandate: None,
        revision: 0,
        sessions_until: None,
    }
}

/// `view` as the mandatee of mandate `id` sees it, which holds `balance` of its own (or, with
/// `None`, a mandate imported without one, which spends the owner's).
pub(crate) fn through_mandate(view: ProductView, id: i64, balance: Option<i64>) -> ProductView {
    ProductView {
        balance: balance.unwrap_or(view.balance),
        mandate: Some(MandateAccess {
            id: MandateId(id),
            owner_email: "eigenaar@example.nl".to_owned(),
            plate: None,
            own_balance: balance.is_some(),
        }),
        ..view
    }
}

/// The resident with `id`.
pub(crate) fn account(id: AccountId) -> Account {
    Account {
        id,
        email: EmailAddress::parse(&format!("r{}@example.nl", id.0))
            .unwrap_or_else(|e| panic!("{e}")),
        language: None,
    }
}

/// The account ids tests use: the owner and a mandatee.
pub(crate) const OWNER: AccountId = AccountId(1);
/// See [`OWNER`].
pub(crate) const MANDATEE: AccountId = AccountId(2);

//! A batch's rows and pages as the database keeps them (plain strings in JSON, read back by
//! the domain's parsers) and its uploader as kind, id and name.

use crate::entities::letter_batches as batches;
use chrono::NaiveDate;
use parkportal_domain::StoreError;
use parkportal_domain::audit::Actor;
use parkportal_domain::batches::{BatchPage, Row};
use parkportal_domain::coupling::Issuer;
use parkportal_domain::email::EmailAddress;
use parkportal_domain::ids::{ApiKeyId, StaffId};
use parkportal_domain::letters::{Postcode, Recipient};
use parkportal_domain::plate::Plate;
use parkportal_domain::secret::{Pin, ProductCode};
use parkportal_domain::staff::Role;
use parkportal_domain::tenant::Language;
use serde::{Deserialize, Serialize};

/// A row as stored: the checked row in plain strings, read back by the domain's parsers.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredRow {
    pub(super) name: String,
    street: String,
    house_number: String,
    postcode: String,
    city: String,
    email: Option<String>,
    language: Option<String>,
    product_type: Option<String>,
    zone: Option<String>,
    valid_until: Option<NaiveDate>,
    plates: Vec<String>,
    balance: Option<String>,
}

impl StoredRow {
    pub(super) fn of(row: &Row) -> Self {
        let r = &row.recipient;
        Self {
            name: r.name.clone(),
            street: r.street.clone(),
            house_number: r.house_number.clone(),
            postcode: r.postcode.as_str().to_owned(),
            city: r.city.clone(),
            email: row.email.as_ref().map(ToString::to_string),
            language: row.language.map(|l| l.code().to_owned()),
            product_type: row.product_type.clone(),
            zone: row.zone.clone(),
            valid_until: row.valid_until,
            plates: row.plates.iter().map(Plate::tagged).collect(),
            balance: row.balance.map(|b| b.to_string()),
        }
    }

    pub(super) fn recipient(&self) -> Option<Recipient> {
        Some(Recipient::from_stored(
            self.name.clone(),
            self.street.clone(),
            self.house_number.clone(),
            Postcode::parse(&self.postcode).ok()?,
            self.city.clone(),
        ))
    }

    /// The row, or `None` when a field no longer reads.
    pub(super) fn row(&self, line: usize) -> Option<Row> {
        let plates: Result<Vec<Plate>, _> =
            self.plates.iter().map(|p| Plate::parse_tagged(p)).collect();
        Some(Row {
            line,
            recipient: self.recipient()?,
            email: match &self.email {
                Some(e) => Some(EmailAddress::parse(e).ok()?),
                None => None,
            },
            language: match &self.language {
                Some(l) => Some(Language::parse(l).ok()?),
                None => None,
            },
            product_type: self.product_type.clone(),
            zone: self.zone.clone(),
            valid_until: self.valid_until,
            plates: plates.ok()?,
            balance: match &self.balance {
                Some(b) => Some(b.parse().ok()?),
                None => None,
            },
        })
    }
}

/// A page as stored with its row until the batch PDF is made.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredPage {
    language: String,
    date: NaiveDate,
    product_type: String,
    zone: String,
    last_day: NaiveDate,
    code: String,
    pin: String,
}

/// The JSON of `page`, for the row's `letter` column.
pub(crate) fn page_json(page: &BatchPage) -> Result<String, StoreError> {
    serde_json::to_string(&StoredPage {
        language: page.language.code().to_owned(),
        date: page.date,
        product_type: page.product_type.clone(),
        zone: page.zone.clone(),
        last_day: page.last_day,
        code: page.code.as_str().to_owned(),
        pin: page.pin.expose().to_owned(),
    })
    .map_err(StoreError::new)
}

pub(super) fn page_of(json: &str) -> Result<BatchPage, StoreError> {
    let p: StoredPage = serde_json::from_str(json).map_err(StoreError::new)?;
    Ok(BatchPage {
        language: Language::parse(&p.language).map_err(StoreError::new)?,
        date: p.date,
        product_type: p.product_type,
        zone: p.zone,
        last_day: p.last_day,
        code: ProductCode::parse(&p.code).map_err(StoreError::new)?,
        pin: Pin::parse(&p.pin).map_err(StoreError::new)?,
    })
}

/// How the uploader is stored: kind, id and name.
pub(super) fn actor_parts(actor: &Actor) -> (&'static str, Option<i64>, String) {
    match actor {
        Actor::Staff { id, email } => ("staff", Some(id.0), email.clone()),
        Actor::ApiKey { id, name } => ("api_key", Some(id.0), name.clone()),
        Actor::Operator => ("operator", None, String::new()),
        Actor::Unknown(typed) => ("unknown", None, typed.clone()),
        Actor::Rule => ("rule", None, String::new()),
    }
}

/// The uploader of its stored kind, id and name.
pub(super) fn actor_of(kind: &str, actor_ref: Option<i64>, name: &str) -> Actor {
    match (kind, actor_ref) {
        ("staff", Some(id)) => Actor::Staff {
            id: StaffId(id),
            email: name.to_owned(),
        },
        ("api_key", Some(id)) => Actor::ApiKey {
            id: ApiKeyId(id),
            name: name.to_owned(),
        },
        ("operator", _) => Actor::Operator,
        ("rule", _) => Actor::Rule,
        _ => Actor::Unknown(name.to_owned()),
    }
}

pub(super) fn issuer_of(row: &batches::Model) -> Issuer {
    Issuer {
        actor: actor_of(&row.actor_kind, row.actor_ref, &row.actor_name),
        role: row.role.as_deref().and_then(Role::parse),
        origin: row.origin.clone(),
    }
}

pub(super) fn count(n: i32) -> usize {
    usize::try_from(n).unwrap_or(0)
}

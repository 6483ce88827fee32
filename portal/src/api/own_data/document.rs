//! The document of the resident's own data: what `GET /v1/account/data` answers and "Download
//! mijn gegevens" saves. poem-openapi describes and writes its types for the API, serde writes
//! them for the download. Amounts are `{"value", "unit"}` with the value a decimal string;
//! times are RFC 3339 in UTC.

use crate::api::parking::Amount;
use crate::api::values::Time;
use chrono::{DateTime, Utc};
use parkportal_domain::BalanceUnit;
use parkportal_domain::own_data::{MandateRecord, OwnDataExport, ProductFacts, SessionRecord};
use parkportal_domain::plate::Plate;
use poem_openapi::Object;
use serde::Serialize;

/// The account.
#[derive(Debug, Object, Serialize)]
pub struct AccountData {
    /// Its id.
    pub id: i64,
    /// The address it logs in with.
    pub email: String,
    /// The language chosen (`nl`, `en`), if any.
    #[oai(nullable)]
    pub language: Option<String>,
    /// The contrast scheme chosen (`theme`, `light`, `dark`), if any.
    #[oai(nullable)]
    pub contrast: Option<String>,
    /// "Start met product", if chosen.
    #[oai(nullable)]
    pub start_product: Option<i64>,
    /// When it was created.
    pub created_at: Time,
    /// When its password was last set.
    pub password_changed_at: Time,
}

/// A product the resident owns.
#[derive(Debug, Object, Serialize)]
pub struct ProductData {
    /// Its id.
    pub id: i64,
    /// The gemeente's name.
    pub gemeente: String,
    /// The product type's name.
    pub name: String,
    /// `visitor_scheme` or `permit`.
    pub kind: String,
    /// The zone's name.
    pub zone: String,
    /// The code on its allocation letter.
    pub code: String,
    /// Its balance.
    pub balance: Amount,
    /// Valid from (inclusive).
    pub valid_from: Time,
    /// Valid until (exclusive).
    pub valid_until: Time,
    /// A permit's plates, as written.
    pub plates: Vec<String>,
}

/// A parking session: the resident's own, or a mandatee's on the resident's product.
#[derive(Debug, Object, Serialize)]
pub struct SessionData {
    /// Its id.
    pub id: i64,
    /// Its product.
    pub product: i64,
    /// Whether the resident started it (else a mandatee did).
    pub started_by_you: bool,
    /// The mandate it was started through, if any.
    #[oai(nullable)]
    pub mandate: Option<i64>,
    /// The plate as written; `null` once anonymised (13 weeks after the session, or sooner).
    #[oai(nullable)]
    pub plate: Option<String>,
    /// The plate's country.
    #[oai(nullable)]
    pub country: Option<String>,
    /// Start.
    pub start: Time,
    /// End (the moment of stopping when stopped early).
    pub end: Time,
    /// When it was stopped early.
    #[oai(nullable)]
    pub stopped_at: Option<Time>,
    /// When it was deleted (a planned session).
    #[oai(nullable)]
    pub deleted_at: Option<Time>,
    /// What it cost.
    pub cost: Amount,
}

/// A change of a balance.
#[derive(Debug, Object, Serialize)]
pub struct TransactionData {
    /// Its id.
    pub id: i64,
    /// The product whose ledger it is in.
    pub product: i64,
    /// The mandate whose balance it changed, if not the product's own.
    #[oai(nullable)]
    pub mandate: Option<i64>,
    /// `opening`, `grant`, `top_up`, `reservation`, `refund`, `mandate_grant`,
    /// `mandate_return`, `correction`, `staff_correction` (a help-desk correction) or
    /// `payer_refund` (a revoked product's balance refunded to the payer).
    pub kind: String,
    /// The change: credits positive, charges negative.
    pub amount: Amount,
    /// The session it belongs to, if any.
    #[oai(nullable)]
    pub session: Option<i64>,
    /// Staff's reason of a correction.
    #[oai(nullable)]
    pub note: Option<String>,
    /// When it was booked.
    pub at: Time,
}

/// A favorite.
#[derive(Debug, Object, Serialize)]
pub struct FavoriteData {
    /// Its id.
    pub id: i64,
    /// Its product.
    pub product: i64,
    /// The plate as written.
    pub plate: String,
    /// The plate's country.
    pub country: String,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: Time,
}

/// A mandate, given or received.
#[derive(Debug, Object, Serialize)]
pub struct MandateData {
    /// Its id.
    pub id: i64,
    /// The product it is on.
    pub product: i64,
    /// The product's gemeente.
    pub gemeente: String,
    /// The product type's name.
    pub name: String,
    /// The product's zone.
    pub zone: String,
    /// Who gave it (mandates received).
    #[oai(nullable)]
    pub owner: Option<String>,
    /// The address it was given to (`null` once that account was deleted).
    #[oai(nullable)]
    pub email: Option<String>,
    /// The one plate it is for, if any.
    #[oai(nullable)]
    pub plate: Option<String>,
    /// That plate's country.
    #[oai(nullable)]
    pub country: Option<String>,
    /// Its own balance.
    pub balance: Amount,
    /// Imported from the previous system: it spends the owner's balance.
    pub imported: bool,
    /// `invited`, `accepted` or `revoked`.
    pub status: String,
    /// When it was given.
    pub created_at: Time,
    /// When it was accepted.
    #[oai(nullable)]
    pub accepted_at: Option<Time>,
    /// When it was revoked.
    #[oai(nullable)]
    pub revoked_at: Option<Time>,
}

/// A top-up payment.
#[derive(Debug, Object, Serialize)]
pub struct PaymentData {
    /// Its id.
    pub id: i64,
    /// The product it tops up.
    pub product: i64,
    /// What it adds to the balance.
    pub amount: Amount,
    /// What it costs, in euros.
    pub price: Amount,
    /// `open`, `pending`, `paid`, `canceled`, `expired` or `failed`.
    pub status: String,
    /// When it was started.
    pub created_at: Time,
}

/// A mail to the resident's address, still kept in the outbox.
#[derive(Debug, Object, Serialize)]
pub struct MailData {
    /// Its id.
    pub id: i64,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub text: String,
    /// When it was queued.
    pub created_at: Time,
    /// When it was sent.
    #[oai(nullable)]
    pub sent_at: Option<Time>,
}

/// An application in the digitaal loket.
#[derive(Debug, Object, Serialize)]
pub struct ApplicationData {
    /// Its reference.
    pub reference: String,
    /// The gemeente.
    pub gemeente: String,
    /// The product type applied for.
    pub product_type: String,
    /// `received`, `in_review`, `info_needed`, `granted` or `rejected`.
    pub status: String,
    /// The applicant's name and address (`null` for one made without the account to its
    /// address: someone else may have typed them).
    #[oai(nullable)]
    pub applicant: Option<ApplicantData>,
    /// The address its mails go to.
    pub email: String,
    /// The plates asked for.
    pub plates: Vec<String>,
    /// The applicant's remark.
    #[oai(nullable)]
    pub remark: Option<String>,
    /// The exchange with the gemeente, oldest first.
    pub messages: Vec<ApplicationMessageData>,
    /// When it was made.
    pub created_at: Time,
    /// When it was decided.
    #[oai(nullable)]
    pub decided_at: Option<Time>,
}

/// The name and postal address on an application.
#[derive(Debug, Object, Serialize)]
pub struct ApplicantData {
    /// The name.
    pub name: String,
    /// The street.
    pub street: String,
    /// The house number.
    pub house_number: String,
    /// The postcode.
    pub postcode: String,
    /// The place.
    pub city: String,
}

/// A message of an application's exchange.
#[derive(Debug, Object, Serialize)]
pub struct ApplicationMessageData {
    /// `question` (the gemeente's), `answer` (the applicant's) or `reason` (of a rejection).
    pub kind: String,
    /// As written.
    pub body: String,
    /// When.
    pub at: Time,
}

/// Everything the portal holds about the resident.
#[derive(Debug, Object, Serialize)]
pub struct DataExport {
    /// When this document was made.
    pub generated_at: Time,
    /// The account.
    pub account: AccountData,
    /// The products the resident owns.
    pub products: Vec<ProductData>,
    /// The resident's sessions, and every session on their products.
    pub sessions: Vec<SessionData>,
    /// The ledger entries of their products and of the mandates they received.
    pub transactions: Vec<TransactionData>,
    /// The favorites of their products.
    pub favorites: Vec<FavoriteData>,
    /// Mandates the resident gave.
    pub mandates_given: Vec<MandateData>,
    /// Mandates given to the resident.
    pub mandates_received: Vec<MandateData>,
    /// Top-ups the resident started.
    pub payments: Vec<PaymentData>,
    /// Mails to the resident's address still kept.
    pub mails: Vec<MailData>,
    /// Applications in the digitaal loket made from the account or to its address.
    pub applications: Vec<ApplicationData>,
}

fn amount(unit: BalanceUnit, smallest: i64) -> Amount {
    Amount::of(unit, unit.from_smallest(smallest))
}

fn time(at: Option<DateTime<Utc>>) -> Option<Time> {
    at.map(Time)
}

/// A plate as written, and its country.
fn plate(p: Option<&Plate>) -> (Option<String>, Option<String>) {
    (
        p.map(Plate::display),
        p.map(|p| p.country().as_str().to_owned()),
    )
}

fn session(s: &SessionRecord) -> SessionData {
    let (plate, country) = plate(s.plate.as_ref());
    SessionData {
        id: s.id.0,
        product: s.product.0,
        started_by_you: s.started_by_resident,
        mandate: s.mandate.map(|m| m.0),
        plate,
        country,
        start: Time(s.start),
        end: Time(s.end),
        stopped_at: time(s.stopped_at),
        deleted_at: time(s.deleted_at),
        cost: amount(s.unit, s.reserved),
    }
}

fn mandate(m: &MandateRecord) -> MandateData {
    let ProductFacts {
        id,
        gemeente,
        type_name,
        zone,
        unit,
        ..
    } = &m.product;
    let (plate, country) = plate(m.plate.as_ref());
    MandateData {
        id: m.id.0,
        product: id.0,
        gemeente: gemeente.clone(),
        name: type_name.clone(),
        zone: zone.clone(),
        owner: m.owner.as_ref().map(ToString::to_string),
        email: m.email.as_ref().map(ToString::to_string),
        plate,
        country,
        balance: amount(*unit, m.balance),
        imported: m.imported,
        status: m.status.as_str().to_owned(),
        created_at: Time(m.created_at),
        accepted_at: time(m.accepted_at),
        revoked_at: time(m.revoked_at),
    }
}

impl DataExport {
    /// The document of `export`, made at `now`.
    pub fn of(export: &OwnDataExport, now: DateTime<Utc>) -> Self {
        let a = &export.account;
        Self {
            generated_at: Time(now),
            account: AccountData {
                id: a.id.0,
                email: a.email.to_string(),
                language: a.language.map(|l| l.code().to_owned()),
                contrast: a.contrast.map(|c| c.as_str().to_owned()),
                start_product: a.start_product.map(|p| p.0),
                created_at: Time(a.created_at),
                password_changed_at: Time(a.password_changed_at),
            },
            products: export
                .products
                .iter()
                .map(|p| ProductData {
                    id: p.product.id.0,
                    gemeente: p.product.gemeente.clone(),
                    name: p.product.type_name.clone(),
                    kind: p.product.kind.as_str().to_owned(),
                    zone: p.product.zone.clone(),
                    code: p.code.clone(),
                    balance: amount(p.product.unit, p.balance),
                    valid_from: Time(p.valid_from),
                    valid_until: Time(p.valid_until),
                    plates: p.plates.iter().map(Plate::display).collect(),
                })
                .collect(),
            sessions: export.sessions.iter().map(session).collect(),
            transactions: export
                .transactions
                .iter()
                .map(|t| TransactionData {
                    id: t.id.0,
                    product: t.product.0,
                    mandate: t.mandate.map(|m| m.0),
                    kind: t.kind.as_str().to_owned(),
                    amount: amount(t.unit, t.amount),
                    session: t.session.map(|s| s.0),
                    note: t.note.clone(),
                    at: Time(t.at),
                })
                .collect(),
            favorites: export
                .favorites
                .iter()
                .map(|f| FavoriteData {
                    id: f.id.0,
                    product: f.product.0,
                    plate: f.plate.display(),
                    country: f.plate.country().as_str().to_owned(),
                    name: f.name.clone(),
                    created_at: Time(f.created_at),
                })
                .collect(),
            mandates_given: export.mandates_given.iter().map(mandate).collect(),
            mandates_received: export.mandates_received.iter().map(mandate).collect(),
            payments: export
                .payments
                .iter()
                .map(|p| PaymentData {
                    id: p.id.0,
                    product: p.product.0,
                    amount: amount(p.unit, p.amount),
                    price: amount(BalanceUnit::Money, p.price_cents),
                    status: p.status.as_str().to_owned(),
                    created_at: Time(p.created_at),
                })
                .collect(),
            mails: export
                .mails
                .iter()
                .map(|m| MailData {
                    id: m.id.0,
                    subject: m.subject.clone(),
                    text: m.text.clone(),
                    created_at: Time(m.created_at),
                    sent_at: time(m.sent_at),
                })
                .collect(),
            applications: export
                .applications
                .iter()
                .map(|a| ApplicationData {
                    reference: a.reference.clone(),
                    gemeente: a.gemeente.clone(),
                    product_type: a.product_type.clone(),
                    status: a.status.as_str().to_owned(),
                    applicant: a.applicant.as_ref().map(|r| ApplicantData {
                        name: r.name.clone(),
                        street: r.street.clone(),
                        house_number: r.house_number.clone(),
                        postcode: r.postcode.as_str().to_owned(),
                        city: r.city.clone(),
                    }),
                    email: a.email.to_string(),
                    plates: a.plates.iter().map(Plate::display).collect(),
                    remark: a.remark.clone(),
                    messages: a
                        .messages
                        .iter()
                        .map(|m| ApplicationMessageData {
                            kind: m.kind.as_str().to_owned(),
                            body: m.body.clone(),
                            at: Time(m.at),
                        })
                        .collect(),
                    created_at: Time(a.created_at),
                    decided_at: time(a.decided_at),
                })
                .collect(),
        }
    }
}

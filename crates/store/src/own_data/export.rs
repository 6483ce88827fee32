//! Reading everything about one account for "Download mijn gegevens": each kind of row by the
//! account, its address or its own products, nothing found through another resident.

use crate::by_key::OneByKey;
use crate::entities::{
    accounts, favorites, ledger_entries, mandates, outbox, parking_sessions, payments,
    product_plates, products,
};
use crate::parking::view_query;
use parkportal_domain::history::EntryKind;
use parkportal_domain::mandates::MandateStatus;
use parkportal_domain::own_data::{
    AccountRecord, FavoriteRecord, MailRecord, MandateRecord, OwnDataExport, PaymentRecord,
    ProductFacts, ProductRecord, SessionRecord, TransactionRecord,
};
use parkportal_domain::plate::Plate;
use parkportal_domain::settings::Contrast;
use parkportal_domain::top_up::PaymentStatus;
use parkportal_domain::{
    AccountId, BalanceUnit, EmailAddress, EntryId, FavoriteId, Language, MailId, MandateId,
    PaymentId, ProductId, ProductKind, SessionId, StoreError,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeSet, HashMap};

fn corrupt(what: &str) -> StoreError {
    // The value stays out of the message, and so out of the log: it may be personal.
    StoreError::new(format!("stored {what} does not parse"))
}

/// A stored plate; the empty one is anonymised.
fn plate_of(plate: &str, country: &str) -> Result<Option<Plate>, StoreError> {
    if plate.is_empty() {
        return Ok(None);
    }
    Plate::from_stored(plate, country)
        .map(Some)
        .map_err(|_| corrupt("plate"))
}

/// A stored address; the empty one was taken out when its account was deleted.
fn email_of(email: &str) -> Result<Option<EmailAddress>, StoreError> {
    if email.is_empty() {
        return Ok(None);
    }
    EmailAddress::parse(email)
        .map(Some)
        .map_err(|_| corrupt("address"))
}

/// The gemeente, type, zone and unit of each product in `ids`, read the way a product's pages
/// read them.
async fn facts<C: ConnectionTrait>(
    conn: &C,
    ids: BTreeSet<i64>,
) -> Result<HashMap<i64, ProductFacts>, StoreError> {
    let mut query = view_query();
    query.and_where(Expr::col((Alias::new("p"), Alias::new("id"))).is_in(ids));
    let mut out = HashMap::new();
    for r in conn.query_all(&query).await.map_err(StoreError::new)? {
        let text = |column: &str| r.try_get::<String>("", column).map_err(StoreError::new);
        let id: i64 = r.try_get("", "p_id").map_err(StoreError::new)?;
        let facts = ProductFacts {
            id: ProductId(id),
            gemeente: text("tenant_name")?,
            type_name: text("type_name")?,
            kind: ProductKind::parse(&text("kind")?).map_err(|_| corrupt("product kind"))?,
            zone: text("zone_name")?,
            unit: BalanceUnit::parse(&text("unit")?).map_err(|_| corrupt("unit"))?,
        };
        out.insert(id, facts);
    }
    Ok(out)
}

/// The facts of `product`, which [`facts`] read.
fn fact(facts: &HashMap<i64, ProductFacts>, product: i64) -> Result<&ProductFacts, StoreError> {
    facts
        .get(&product)
        .ok_or_else(|| StoreError::new("a product vanished during the export"))
}

fn account_record(row: &accounts::Model) -> Result<AccountRecord, StoreError> {
    Ok(AccountRecord {
        id: AccountId(row.id),
        email: EmailAddress::parse(&row.email).map_err(|_| corrupt("address"))?,
        // A value this version does not know reads as "not chosen", as on the settings page.
        language: row
            .language
            .as_deref()
            .and_then(|l| Language::parse(l).ok()),
        contrast: row.contrast.as_deref().and_then(Contrast::parse),
        start_product: row.start_product_id.map(ProductId),
        created_at: row.created_at,
        password_changed_at: row.password_changed_at,
    })
}

fn mandate_record(
    row: &mandates::Model,
    product: &ProductFacts,
    owner: Option<EmailAddress>,
) -> Result<MandateRecord, StoreError> {
    let plate = match (&row.plate, &row.country) {
        (Some(p), Some(c)) => plate_of(p, c)?,
        _ => None,
    };
    Ok(MandateRecord {
        id: MandateId(row.id),
        product: product.clone(),
        owner,
        email: email_of(&row.email)?,
        plate,
        balance: row.balance,
        imported: row.imported,
        status: MandateStatus::parse(&row.status).ok_or_else(|| corrupt("mandate status"))?,
        created_at: row.created_at,
        accepted_at: row.accepted_at,
        revoked_at: row.revoked_at,
    })
}

/// The rows of one account.
struct Rows {
    own: Vec<products::Model>,
    given: Vec<mandates::Model>,
    received: Vec<mandates::Model>,
    sessions: Vec<parking_sessions::Model>,
    entries: Vec<ledger_entries::Model>,
    favorites: Vec<favorites::Model>,
    plates: Vec<product_plates::Model>,
    payments: Vec<payments::Model>,
    mails: Vec<outbox::Model>,
}

async fn rows<C: ConnectionTrait>(conn: &C, account: &accounts::Model) -> Result<Rows, StoreError> {
    let own = products::Entity::find()
        .filter(products::Column::OwnerId.eq(account.id))
        .order_by_asc(products::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let own_ids: Vec<i64> = own.iter().map(|p| p.id).collect();
    let given = mandates::Entity::find()
        .filter(mandates::Column::OwnerId.eq(account.id))
        .order_by_asc(mandates::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    // Given to the account, or to its address and not accepted (yet).
    let received = mandates::Entity::find()
        .filter(
            Condition::any()
                .add(mandates::Column::MandateeId.eq(account.id))
                .add(mandates::Column::Email.eq(account.email.as_str())),
        )
        .order_by_asc(mandates::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let received_ids: Vec<i64> = received.iter().map(|m| m.id).collect();
    let sessions = parking_sessions::Entity::find()
        .filter(
            Condition::any()
                .add(parking_sessions::Column::AccountId.eq(account.id))
                .add(parking_sessions::Column::ProductId.is_in(own_ids.clone())),
        )
        .order_by_asc(parking_sessions::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let entries = ledger_entries::Entity::find()
        .filter(
            Condition::any()
                .add(ledger_entries::Column::ProductId.is_in(own_ids.clone()))
                .add(ledger_entries::Column::MandateId.is_in(received_ids)),
        )
        .order_by_asc(ledger_entries::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let favorites = favorites::Entity::find()
        .filter(favorites::Column::ProductId.is_in(own_ids.clone()))
        .order_by_asc(favorites::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let plates = product_plates::Entity::find()
        .filter(product_plates::Column::ProductId.is_in(own_ids))
        .order_by_asc(product_plates::Column::ProductId)
        .order_by_asc(product_plates::Column::Position)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let payments = payments::Entity::find()
        .filter(payments::Column::AccountId.eq(account.id))
        .order_by_asc(payments::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let mails = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(account.email.as_str()))
        .order_by_asc(outbox::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(Rows {
        own,
        given,
        received,
        sessions,
        entries,
        favorites,
        plates,
        payments,
        mails,
    })
}

/// Everything about `account`, on `conn` (the caller's snapshot).
pub(super) async fn export<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
) -> Result<Option<OwnDataExport>, StoreError> {
    let Some(row) = accounts::Entity::find_by_id(account.0)
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
    else {
        return Ok(None);
    };
    let rows = rows(conn, &row).await?;
    let mentioned: BTreeSet<i64> = (rows.own.iter().map(|p| p.id))
        .chain(rows.given.iter().map(|m| m.product_id))
        .chain(rows.received.iter().map(|m| m.product_id))
        .chain(rows.sessions.iter().map(|s| s.product_id))
        .chain(rows.entries.iter().map(|e| e.product_id))
        .chain(rows.payments.iter().map(|p| p.product_id))
        .collect();
    let facts = facts(conn, mentioned).await?;
    let owners: HashMap<i64, String> = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(rows.received.iter().filter_map(|m| m.owner_id)))
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|a| (a.id, a.email))
        .collect();
    let mut products = Vec::new();
    for p in &rows.own {
        let plates = rows
            .plates
            .iter()
            .filter(|pl| pl.product_id == p.id)
            .map(|pl| plate_of(&pl.plate, &pl.country))
            .collect::<Result<Vec<_>, _>>()?;
        products.push(ProductRecord {
            product: fact(&facts, p.id)?.clone(),
            code: p.code.clone(),
            balance: p.balance,
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            plates: plates.into_iter().flatten().collect(),
        });
    }
    let mut sessions = Vec::new();
    for s in &rows.sessions {
        sessions.push(SessionRecord {
            id: SessionId(s.id),
            product: ProductId(s.product_id),
            unit: fact(&facts, s.product_id)?.unit,
            started_by_resident: s.account_id == Some(row.id),
            mandate: s.mandate_id.map(MandateId),
            plate: plate_of(&s.plate, &s.country)?,
            start: s.start_at,
            end: s.end_at,
            stopped_at: s.stopped_at,
            deleted_at: s.deleted_at,
            reserved: s.reserved,
        });
    }
    let mut transactions = Vec::new();
    for e in &rows.entries {
        transactions.push(TransactionRecord {
            id: EntryId(e.id),
            product: ProductId(e.product_id),
            mandate: e.mandate_id.map(MandateId),
            unit: fact(&facts, e.product_id)?.unit,
            kind: EntryKind::parse(&e.kind).map_err(|_| corrupt("entry kind"))?,
            amount: e.amount,
            session: e.session_id.map(SessionId),
            note: e.note.clone(),
            at: e.created_at,
        });
    }
    let favorites = rows
        .favorites
        .iter()
        .map(|f| {
            Ok(FavoriteRecord {
                id: FavoriteId(f.id),
                product: ProductId(f.product_id),
                plate: plate_of(&f.plate, &f.country)?.ok_or_else(|| corrupt("plate"))?,
                name: f.name.clone(),
                created_at: f.created_at,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mandates_given = rows
        .given
        .iter()
        .map(|m| mandate_record(m, fact(&facts, m.product_id)?, None))
        .collect::<Result<Vec<_>, _>>()?;
    let mut mandates_received = Vec::new();
    for m in &rows.received {
        let owner = match m.owner_id.and_then(|o| owners.get(&o)) {
            Some(email) => email_of(email)?,
            None => None,
        };
        mandates_received.push(mandate_record(m, fact(&facts, m.product_id)?, owner)?);
    }
    let mut payments = Vec::new();
    for p in &rows.payments {
        payments.push(PaymentRecord {
            id: PaymentId(p.id),
            product: ProductId(p.product_id),
            unit: fact(&facts, p.product_id)?.unit,
            amount: p.amount,
            price_cents: p.price_cents,
            status: PaymentStatus::parse(&p.status).ok_or_else(|| corrupt("payment status"))?,
            created_at: p.created_at,
        });
    }
    let applications = crate::applications::records_of(conn, row.id, &row.email).await?;
    let mails = rows
        .mails
        .iter()
        .map(|m| MailRecord {
            id: MailId(m.id),
            subject: m.subject.clone(),
            text: m.body_text.clone(),
            created_at: m.created_at,
            sent_at: m.sent_at,
        })
        .collect();
    Ok(Some(OwnDataExport {
        account: account_record(&row)?,
        products,
        sessions,
        transactions,
        favorites,
        mandates_given,
        mandates_received,
        payments,
        mails,
        applications,
    }))
}

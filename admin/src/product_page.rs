//! The help desk's product page (every medewerker): one product of the gemeente with its holder,
//! account, plates, validity, balance, sessions, ledger, mandates, payments, mails, letters and
//! audit trail, and the actions the desk may take on it. Its reading is on the record.

use crate::page::{ConsolePage, context_of};
use minijinja::{Value, context};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::dossier::{Listed, ProductDossier};
use parkportal_domain::{BalanceUnit, ProductCode};
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;
use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, Response, handler};
use std::collections::HashMap;

/// A moment as the desk reads it: local, to the minute.
pub(crate) fn moment(tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string()
}

/// The last valid day (local) of a validity ending (exclusive) at `until`.
pub(crate) fn last_day(tz: chrono_tz::Tz, until: chrono::DateTime<chrono::Utc>) -> String {
    (until - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .format("%d-%m-%Y")
        .to_string()
}

/// The product's code from the path; what is no code is the 404 every other gemeente's code
/// gets too, with `entry` recorded refused `not_found`.
pub(crate) async fn code_or_refused(
    page: &ConsolePage,
    code: &str,
    entry: &AuditEntry,
) -> Result<ProductCode, AppError> {
    match ProductCode::parse(code) {
        Ok(code) => Ok(code),
        Err(_) => {
            let refused = entry.clone().refused("not_found");
            page.console.auth().audit().record(&refused).await?;
            Err(AppError::NotFound)
        }
    }
}

/// The product of the page's gemeente with `code` as staff see it, its reading recorded as
/// `entry` (about the product; refused `not_found`, and a 404, when the gemeente has none).
pub(crate) async fn viewed(
    page: &ConsolePage,
    code: &ProductCode,
    entry: &AuditEntry,
) -> Result<parkportal_domain::coupling::StaffProductView, AppError> {
    page.console
        .desk()
        .staff_view(context_of(page)?.tenant.id, code, entry)
        .await?
        .ok_or(AppError::NotFound)
}

/// The product with the typed `code` as an action's form shows it, its reading on the record as
/// `product.view` (refused `not_found`, and a 404, for a malformed code or another gemeente's).
pub(crate) async fn viewed_for_form(
    page: &ConsolePage,
    req: &Request,
    code: &str,
) -> Result<parkportal_domain::coupling::StaffProductView, AppError> {
    let entry = page.entry(req, "product.view")?;
    let code = code_or_refused(page, code, &entry).await?;
    viewed(page, &code, &entry).await
}

/// A list's rows and, when it has more, the note that only the newest are shown.
fn list<T>(page: &ConsolePage, l: &Listed<T>, row: impl Fn(&T) -> Value) -> Value {
    let shown = l.rows.len() as u64;
    context! {
        rows => l.rows.iter().map(row).collect::<Vec<_>>(),
        more => (l.total > shown).then(|| page.text(
            "console.product.newest",
            &[("shown", shown.to_string()), ("total", l.total.to_string())],
        )),
    }
}

/// Everything the page shows of `d`.
fn values(page: &ConsolePage, d: &ProductDossier) -> Result<Value, AppError> {
    let ctx = context_of(page)?;
    let tz = ctx.tenant.time_zone;
    let language = page.prefs.language;
    let p = &d.product;
    let unit = p.unit;
    let units = |v: i64| amount(unit, unit.from_smallest(v), language);
    let euros = |cents: i64| {
        amount(
            BalanceUnit::Money,
            BalanceUnit::Money.from_smallest(cents),
            language,
        )
    };
    let now = page.console.web().clock().now();
    let status = match p.status.as_str() {
        "active" if p.valid_until <= now => "expired",
        "active" => "active",
        "blocked" => "revoked",
        _ => "other",
    };
    let holder = p.holder.as_ref().map(|h| {
        context! {
            name => h.name.clone(), street => format!("{} {}", h.street, h.house_number),
            place => format!("{} {}", h.postcode.as_str(), h.city),
        }
    });
    let sessions = list(page, &d.sessions, |s| {
        context! {
            plate => s.plate.as_ref().map(ToString::to_string).unwrap_or_default(),
            start => moment(tz, s.start), end => moment(tz, s.end),
            state => page.t(if s.start <= now { "console.product.running" } else { "console.product.planned" }),
            cost => units(s.reserved),
            by_mandatee => s.by_mandatee,
            running => s.start <= now,
            id => s.id.0,
        }
    });
    let ledger = list(page, &d.ledger, |e| {
        context! {
            at => moment(tz, e.at),
            kind => page.t(&format!("console.product.entry.{}", e.kind.as_str())),
            amount => units(e.amount),
            note => e.note.clone(),
        }
    });
    let mandates = list(page, &d.mandates, |m| {
        context! {
            email => m.email.clone(),
            status => page.t(&format!("console.product.mandate.{}", m.status)),
            balance => units(m.balance),
            plate => m.plate.as_ref().map(ToString::to_string),
            since => moment(tz, m.created_at),
        }
    });
    let payments = list(page, &d.payments, |pay| {
        context! {
            at => moment(tz, pay.created_at),
            amount => units(pay.amount),
            price => euros(pay.price_cents),
            status => page.t(&format!("console.product.payment.{}", pay.status)),
            reference => pay.provider_ref.clone(),
        }
    });
    let mails = list(page, &d.mails, |m| {
        let state = match m.used_at {
            Some(used) => page.text("console.product.mail_used", &[("at", moment(tz, used))]),
            None if m.expires_at <= now => page.t("console.product.mail_expired"),
            None => page.text(
                "console.product.mail_open",
                &[("until", moment(tz, m.expires_at))],
            ),
        };
        context! {
            at => moment(tz, m.created_at),
            kind => page.t(&format!("console.product.mail_kind.{}", m.purpose)),
            email => m.email.clone(),
            state => state,
        }
    });
    let letters = list(page, &d.letters, |l| {
        context! {
            at => moment(tz, l.created_at),
            // A language by its own name, as the issue form offers it.
            language => match l.language.as_str() { "en" => "English", _ => "Nederlands" },
            kept => l.kept.then(|| moment(tz, l.expires_at)),
        }
    });
    let no_names = HashMap::new();
    let audit = list(page, &d.audit, |e| {
        crate::audit_log::row(page, e, tz, &no_names)
    });
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, p.code);
    Ok(context! {
        base => base,
        search => format!("/beheer/{}/producten", ctx.tenant.slug),
        code => p.code.to_string(),
        type_name => p.product_type.1.clone(),
        kind => page.t(&format!("console.issue.kind_{}", p.kind.as_str())),
        permit => p.kind == parkportal_domain::ProductKind::Permit,
        zone => p.zone.1.clone(),
        status => page.t(&format!("console.search.status.{status}")),
        active => p.status == "active",
        valid_from => moment(tz, p.valid_from),
        last_day => last_day(tz, p.valid_until),
        issued_at => moment(tz, p.issued_at),
        holder => holder,
        account => d.account.as_ref().map(ToString::to_string),
        coupled => p.coupled,
        plates => p.plates.iter().map(ToString::to_string).collect::<Vec<_>>(),
        active_plate => d.active_plate.as_ref().map(ToString::to_string),
        balance => units(p.balance),
        has_balance => unit != BalanceUnit::None,
        letter_kept => p.letter_kept_until.map(|u| moment(tz, u)),
        sessions => sessions, ledger => ledger, mandates => mandates, payments => payments,
        mails => mails, letters => letters, audit => audit,
    })
}

/// The words of the actions that return to the product page, each with its message.
const DONE: [&str; 12] = [
    "kentekens",
    "ontkoppelen",
    "koppelmail",
    "geldigheid",
    "saldo",
    "saldo_wacht",
    "gestopt",
    "al_voorbij",
    "ingetrokken",
    "terugbetaald",
    "terugbetaling_wacht",
    "terugbetaling_geweigerd",
];

/// The action a medewerker returns from, as the query names it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    /// The word of what was done.
    pub gedaan: Option<String>,
}

/// `GET /beheer/{gemeente}/producten/{code}`: the product page; another gemeente's product
/// (or no product) is the same 404, and that reading is on the record too.
#[handler]
pub async fn show(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, "product.view")?;
    let code = code_or_refused(&page, &code, &entry).await?;
    let dossier = page
        .console
        .dossiers()
        .read(ctx.tenant.id, &code, &entry)
        .await?
        .ok_or(AppError::NotFound)?;
    let corrections = page
        .console
        .corrections()
        .of_product(ctx.tenant.id, dossier.product.id)
        .await?
        .iter()
        .map(|c| crate::corrections::row(&page, c))
        .collect::<Result<Vec<_>, _>>()?;
    let refunds = page
        .console
        .payer_refunds()
        .overview(ctx.tenant.id, dossier.product.id)
        .await?;
    let refund = crate::payer_refund::overview_values(&page, &dossier.product, &refunds)?;
    let values = context! {
        corrections => corrections, refund => refund, ..values(&page, &dossier)?
    };
    // The action just carried out, named on the page it returns to.
    let done = done
        .gedaan
        .as_deref()
        .filter(|w| DONE.contains(w))
        .map(|w| page.t(&format!("console.desk.done.{w}")));
    let values = context! { done => done, ..values };
    page.render("product.html", StatusCode::OK, values).await
}

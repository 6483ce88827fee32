//! The audit log viewer: a gemeente's entries for its beheerders, every entry for the
//! platformbeheerders; filtered by actor, action, object, result and period, newest first, a
//! page at a time, and exported as CSV the way Dutch spreadsheets read it (`;`, a byte-order
//! mark). An export is itself on the record.

use crate::auth::client_of;
use crate::page::{ConsolePage, context_of};
use crate::period::{PeriodMessages, Problem, days};
use chrono_tz::Tz;
use minijinja::{Value, context};
use parkportal_domain::audit::{
    AUDIT_EXPORT_MAX, Actor, AuditEntry, AuditFilter, AuditResult, StoredAuditEntry, page_of,
};
use parkportal_domain::calendar::{day_bounds, start_of_day};
use parkportal_domain::{TenantId, TenantSlug};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use serde::Deserialize;
use std::collections::HashMap;

/// The filter form, as the query string carries it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    wie: String,
    #[serde(default)]
    actie: String,
    #[serde(default)]
    objectsoort: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    resultaat: String,
    #[serde(default)]
    van: String,
    #[serde(default)]
    tot: String,
    pagina: Option<u64>,
}

/// The audit log's messages about its period.
const PERIOD: PeriodMessages = PeriodMessages {
    bad_date: "console.audit.bad_date",
    bad_period: "console.audit.bad_period",
};

fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.chars().take(200).collect())
}

impl LogQuery {
    /// The filter this query asks for within `tenant` (`None`: the platform's whole log), its
    /// dates read in `tz`; or the first field that does not parse.
    fn filter(&self, tenant: Option<TenantId>, tz: Tz) -> Result<AuditFilter, Problem> {
        let result = match self.resultaat.trim() {
            "" => None,
            other => {
                Some(AuditResult::parse(other).ok_or(("resultaat", "console.audit.bad_result"))?)
            }
        };
        let (from, to) = days(&self.van, &self.tot, &PERIOD)?;
        Ok(AuditFilter {
            tenant,
            actor: text(&self.wie),
            action: text(&self.actie),
            object_kind: text(&self.objectsoort),
            object_id: text(&self.object),
            result,
            from: from.map(|d| start_of_day(tz, d)),
            // "Tot en met": the whole last day (a day that begins in a DST gap begins when the
            // clock does, never nowhere).
            until: to.map(|d| day_bounds(tz, d).1),
        })
    }

    /// The query string of this filter on page `page` (for the paging links and the export).
    fn link(&self, page: Option<u64>) -> String {
        let mut pairs = vec![
            ("wie", self.wie.trim()),
            ("actie", self.actie.trim()),
            ("objectsoort", self.objectsoort.trim()),
            ("object", self.object.trim()),
            ("resultaat", self.resultaat.trim()),
            ("van", self.van.trim()),
            ("tot", self.tot.trim()),
        ];
        let page = page.map(|p| p.to_string());
        if let Some(p) = &page {
            pairs.push(("pagina", p));
        }
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", parkportal_web::page::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Where a log lives: a gemeente's, or the platform's.
struct Scope {
    tenant: Option<TenantId>,
    slug: Option<TenantSlug>,
    tz: Tz,
    base: String,
}

async fn gemeente_scope(page: &ConsolePage) -> Result<Scope, AppError> {
    let ctx = context_of(page)?;
    Ok(Scope {
        tenant: Some(ctx.tenant.id),
        slug: Some(ctx.tenant.slug.clone()),
        tz: ctx.tenant.time_zone,
        base: format!("/beheer/{}/auditlog", ctx.tenant.slug),
    })
}

fn platform_scope() -> Scope {
    Scope {
        tenant: None,
        slug: None,
        tz: chrono_tz::Europe::Amsterdam,
        base: "/beheer/platform/auditlog".to_owned(),
    }
}

/// The names of the gemeenten by id, for the platform's log.
async fn gemeente_names(page: &ConsolePage) -> Result<HashMap<TenantId, String>, AppError> {
    Ok(page
        .console
        .web()
        .tenants()
        .list()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

/// How a result reads.
fn result_key(result: &str) -> &'static str {
    match AuditResult::parse(result) {
        Some(AuditResult::Ok) => "console.audit.result_ok",
        _ => "console.audit.result_refused",
    }
}

pub(crate) fn row(
    page: &ConsolePage,
    e: &StoredAuditEntry,
    tz: Tz,
    names: &HashMap<TenantId, String>,
) -> Value {
    let object = match (&e.object_kind, &e.object_id) {
        (Some(kind), Some(id)) => format!("{kind} {id}"),
        (Some(kind), None) => kind.clone(),
        _ => String::new(),
    };
    context! {
        // To the second, in figures: a log is read for when exactly.
        at => e.at.with_timezone(&tz).format("%d-%m-%Y %H:%M:%S").to_string(),
        actor => e.actor.clone(),
        role => e.role.clone(),
        gemeente => e.tenant.and_then(|t| names.get(&t).cloned()),
        action => e.action.clone(),
        object => object,
        result => page.t(result_key(&e.result)),
        refused => e.result != "ok",
        reason => e.reason.clone(),
        origin => e.origin.clone(),
    }
}

async fn show(page: ConsolePage, scope: Scope, q: LogQuery) -> Result<Response, AppError> {
    let platform = scope.tenant.is_none();
    let names = if platform {
        gemeente_names(&page).await?
    } else {
        HashMap::new()
    };
    let form = context! {
        wie => q.wie.trim(), actie => q.actie.trim(), objectsoort => q.objectsoort.trim(),
        object => q.object.trim(), resultaat => q.resultaat.trim(), van => q.van.trim(),
        tot => q.tot.trim(),
    };
    let filter = match q.filter(scope.tenant, scope.tz) {
        Ok(f) => f,
        Err((field, key)) => {
            return page
                .render(
                    "audit_log.html",
                    StatusCode::UNPROCESSABLE_ENTITY,
                    context! {
                        form => form, platform => platform, base => scope.base,
                        error_field => field, error => page.t(key),
                    },
                )
                .await;
        }
    };
    let audit = page.console.auth().audit().clone();
    let found = page_of(audit.as_ref(), &filter, q.pagina.unwrap_or(1)).await?;
    let rows: Vec<Value> = found
        .entries
        .iter()
        .map(|e| row(&page, e, scope.tz, &names))
        .collect();
    let previous = (found.page > 1).then(|| q.link(Some(found.page - 1)));
    let next = found.has_next.then(|| q.link(Some(found.page + 1)));
    page.render(
        "audit_log.html",
        StatusCode::OK,
        context! {
            form => form, platform => platform, base => scope.base.clone(),
            rows => rows, page_number => found.page, previous => previous, next => next,
            export => format!("{}.csv?{}", scope.base, q.link(None)),
        },
    )
    .await
}

/// `GET /beheer/{gemeente}/auditlog`: the gemeente's entries (beheerder).
#[handler]
pub async fn gemeente_page(
    page: ConsolePage,
    Query(q): Query<LogQuery>,
) -> Result<Response, AppError> {
    let scope = gemeente_scope(&page).await?;
    show(page, scope, q).await
}

/// `GET /beheer/platform/auditlog`: every entry (platformbeheerder).
#[handler]
pub async fn platform_page(
    page: ConsolePage,
    Query(q): Query<LogQuery>,
) -> Result<Response, AppError> {
    show(page, platform_scope(), q).await
}

async fn export(
    page: ConsolePage,
    req: &Request,
    scope: Scope,
    q: LogQuery,
) -> Result<Response, AppError> {
    let filter = q
        .filter(scope.tenant, scope.tz)
        .map_err(|_| AppError::BadRequest)?;
    let audit = page.console.auth().audit().clone();
    let member = page
        .visitor
        .member
        .clone()
        .ok_or_else(|| AppError::internal("an export without its staff member"))?;
    let entries = audit.entries(&filter, AUDIT_EXPORT_MAX, 0).await?;
    let names = gemeente_names(&page).await?;
    let header = [
        "console.audit.at",
        "console.audit.actor",
        "console.audit.role",
        "console.audit.gemeente",
        "console.audit.action",
        "console.audit.object_kind",
        "console.audit.object_id",
        "console.audit.result",
        "console.audit.reason",
        "console.audit.origin",
    ];
    let mut csv = crate::csv::Csv::new();
    csv.line(header.iter().map(|k| page.t(k)));
    for e in &entries {
        csv.line([
            e.at.with_timezone(&scope.tz)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            e.actor.clone(),
            e.role.clone().unwrap_or_default(),
            e.tenant
                .and_then(|t| names.get(&t).cloned())
                .unwrap_or_default(),
            e.action.clone(),
            e.object_kind.clone().unwrap_or_default(),
            e.object_id.clone().unwrap_or_default(),
            e.result.clone(),
            e.reason.clone().unwrap_or_default(),
            e.origin.clone(),
        ]);
    }
    // The export itself is on the record, with how many entries it held.
    let entry = AuditEntry::new(
        Actor::of(&member),
        "audit.exported",
        &client_of(req),
        page.web.clock().now(),
    )
    .about("audit_log", entries.len())
    .within(
        scope.tenant,
        scope.tenant.and_then(|t| member.role_in(t)).or(member
            .platform_admin
            .then_some(parkportal_domain::staff::Role::PlatformAdmin)),
    );
    audit.record(&entry).await?;
    let name = match &scope.slug {
        Some(slug) => format!("auditlog-{slug}.csv"),
        None => "auditlog-platform.csv".to_owned(),
    };
    Ok(csv.download(&name))
}

/// `GET /beheer/{gemeente}/auditlog.csv`: the filtered entries as CSV (beheerder).
#[handler]
pub async fn gemeente_csv(
    page: ConsolePage,
    req: &Request,
    Query(q): Query<LogQuery>,
) -> Result<Response, AppError> {
    let scope = gemeente_scope(&page).await?;
    export(page, req, scope, q).await
}

/// `GET /beheer/platform/auditlog.csv`: the filtered entries of the platform as CSV.
#[handler]
pub async fn platform_csv(
    page: ConsolePage,
    req: &Request,
    Query(q): Query<LogQuery>,
) -> Result<Response, AppError> {
    export(page, req, platform_scope(), q).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_reads_whole_local_days_and_refuses_nonsense() {
        let q = LogQuery {
            van: "2026-03-01".into(),
            tot: "2026-03-01".into(),
            ..LogQuery::default()
        };
        let f = q.filter(None, chrono_tz::Europe::Amsterdam).unwrap();
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-02-28T23:00:00+00:00");
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-03-01T23:00:00+00:00");
        let bad = LogQuery {
            van: "gisteren".into(),
            ..LogQuery::default()
        };
        assert_eq!(
            bad.filter(None, chrono_tz::Europe::Amsterdam)
                .unwrap_err()
                .0,
            "van"
        );
        let backwards = LogQuery {
            van: "2026-03-02".into(),
            tot: "2026-03-01".into(),
            ..LogQuery::default()
        };
        assert!(
            backwards
                .filter(None, chrono_tz::Europe::Amsterdam)
                .is_err()
        );
        let result = LogQuery {
            resultaat: "misschien".into(),
            ..LogQuery::default()
        };
        assert!(result.filter(None, chrono_tz::Europe::Amsterdam).is_err());
    }
}

//! A gemeente's rule errors for its beheerders: every failed call of a rule script (DESIGN §5),
//! newest first, 50 a page, by default those of the last 24 hours, or of a period of whole
//! local days.
//!
//! Viewing is not audited: the rules engine replaces the plate in a script's message before
//! it is recorded, and an error names no resident, product or account, so the list holds no
//! personal data.

use crate::page::{ConsolePage, context_of};
use crate::period::{PeriodMessages, Problem};
use chrono::NaiveDate;
use minijinja::{Value, context};
use parkportal_domain::RuleErrorEntry;
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Response, handler};
use serde::Deserialize;

/// The filter form, as the query string carries it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorQuery {
    #[serde(default)]
    van: String,
    #[serde(default)]
    tot: String,
    pagina: Option<u64>,
}

/// The rule errors' messages about their period.
const PERIOD: PeriodMessages = PeriodMessages {
    bad_date: "console.rule_errors.bad_date",
    bad_period: "console.rule_errors.bad_period",
};

impl ErrorQuery {
    /// The days asked for, or the first field that does not parse.
    fn days(&self) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Problem> {
        crate::period::days(&self.van, &self.tot, &PERIOD)
    }

    /// The query string of this filter on page `page`, for the paging links.
    fn link(&self, number: u64) -> String {
        let number = number.to_string();
        [
            ("van", self.van.trim()),
            ("tot", self.tot.trim()),
            ("pagina", number.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", parkportal_web::page::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The product type a script belongs to: its file is `rules/{product_type}.rhai`. Empty for
/// an error outside a script (a tariff's).
fn product_type(script: &str) -> &str {
    script
        .strip_prefix("rules/")
        .and_then(|s| s.strip_suffix(".rhai"))
        .unwrap_or(script)
}

fn row(e: &RuleErrorEntry, tz: chrono_tz::Tz) -> Value {
    context! {
        // To the second, in figures: an error is looked up by when exactly.
        at => e.at.with_timezone(&tz).format("%d-%m-%Y %H:%M:%S").to_string(),
        product_type => product_type(&e.script),
        version => e.script_version,
        function => e.function.clone(),
        message => e.message.clone(),
    }
}

/// `GET /beheer/{gemeente}/regelfouten`: the gemeente's rule errors (beheerder).
#[handler]
pub async fn list(page: ConsolePage, Query(q): Query<ErrorQuery>) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let tz = ctx.tenant.time_zone;
    let base = format!("/beheer/{}/regelfouten", ctx.tenant.slug);
    let form = context! { van => q.van.trim(), tot => q.tot.trim() };
    let (from, to) = match q.days() {
        Ok(days) => days,
        Err((field, key)) => {
            return page
                .render(
                    "rule_errors.html",
                    StatusCode::UNPROCESSABLE_ENTITY,
                    context! {
                        form => form, base => base, error_field => field, error => page.t(key),
                    },
                )
                .await;
        }
    };
    let dashboard = page.console.dashboard();
    let period = dashboard.period(tz, from, to);
    let found = dashboard
        .rule_errors(ctx.tenant.id, period, q.pagina.unwrap_or(1))
        .await?;
    let rows: Vec<Value> = found.errors.iter().map(|e| row(e, tz)).collect();
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%d-%m-%Y").to_string());
    let previous = (found.page > 1).then(|| q.link(found.page - 1));
    let next = found.has_next.then(|| q.link(found.page + 1));
    page.render(
        "rule_errors.html",
        StatusCode::OK,
        context! {
            form => form, base => base, rows => rows, page_number => found.page,
            previous => previous, next => next,
            last_day => from.is_none() && to.is_none(),
            from_day => day(from), to_day => day(to),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_as_whole_days_and_nonsense_is_refused() {
        let q = ErrorQuery {
            van: "2026-03-01".into(),
            tot: " 2026-03-02 ".into(),
            pagina: None,
        };
        assert_eq!(
            q.days().unwrap(),
            (
                NaiveDate::from_ymd_opt(2026, 3, 1),
                NaiveDate::from_ymd_opt(2026, 3, 2)
            )
        );
        assert_eq!(q.link(2), "van=2026-03-01&tot=2026-03-02&pagina=2");
        let bad = ErrorQuery {
            van: "gisteren".into(),
            ..ErrorQuery::default()
        };
        assert_eq!(bad.days().unwrap_err().0, "van");
        let backwards = ErrorQuery {
            van: "2026-03-02".into(),
            tot: "2026-03-01".into(),
            pagina: None,
        };
        assert_eq!(
            backwards.days().unwrap_err(),
            ("tot", "console.rule_errors.bad_period")
        );
    }

    #[test]
    fn the_product_type_is_read_from_the_scripts_file_name() {
        assert_eq!(product_type("rules/bezoekers.rhai"), "bezoekers");
        assert_eq!(product_type(""), "");
        assert_eq!(product_type("other"), "other");
    }
}

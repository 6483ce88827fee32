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
use parkportal_domain::dashboard::ErrorFilter;
use parkportal_domain::rules::HOOKS;
use parkportal_domain::{Code, RuleErrorEntry};
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
    #[serde(default)]
    haak: String,
    #[serde(default)]
    producttype: String,
    #[serde(default)]
    versie: String,
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

    /// The hook, product type and version asked for, or the first field that is none.
    fn filter(&self) -> Result<ErrorFilter, Problem> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let hook = match text(&self.haak) {
            Some(h) if !HOOKS.contains(&h.as_str()) => {
                return Err(("haak", "console.rule_errors.bad_hook"));
            }
            hook => hook,
        };
        let product_type = text(&self.producttype)
            .map(|t| Code::parse(&t).map_err(|_| ("producttype", "console.rule_errors.bad_type")))
            .transpose()?;
        let version = text(&self.versie)
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|v| *v > 0)
                    .ok_or(("versie", "console.rule_errors.bad_version"))
            })
            .transpose()?;
        Ok(ErrorFilter {
            hook,
            product_type,
            version,
        })
    }

    /// The query string of this filter on page `page`, for the paging links.
    fn link(&self, number: u64) -> String {
        let number = number.to_string();
        [
            ("van", self.van.trim()),
            ("tot", self.tot.trim()),
            ("haak", self.haak.trim()),
            ("producttype", self.producttype.trim()),
            ("versie", self.versie.trim()),
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
    let form = context! {
        van => q.van.trim(), tot => q.tot.trim(), haak => q.haak.trim(),
        producttype => q.producttype.trim(), versie => q.versie.trim(),
    };
    let types: Vec<Value> = page
        .console
        .rules()
        .overview(&ctx.tenant)
        .await?
        .iter()
        .map(|t| context! { code => t.code.as_str(), name => t.name.clone() })
        .collect();
    let hooks = HOOKS.to_vec();
    let (from, to, filter) = match q.days().and_then(|(from, to)| Ok((from, to, q.filter()?))) {
        Ok(asked) => asked,
        Err((field, key)) => {
            return page
                .render(
                    "rule_errors.html",
                    StatusCode::UNPROCESSABLE_ENTITY,
                    context! {
                        form => form, base => base, error_field => field, error => page.t(key),
                        hooks => hooks, types => types,
                    },
                )
                .await;
        }
    };
    let dashboard = page.console.dashboard();
    let period = dashboard.period(tz, from, to);
    let found = dashboard
        .rule_errors(ctx.tenant.id, (period, &filter), q.pagina.unwrap_or(1))
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
            hooks => hooks, types => types,
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
            haak: "cost".into(),
            versie: "3".into(),
            ..ErrorQuery::default()
        };
        assert_eq!(
            q.days().unwrap(),
            (
                NaiveDate::from_ymd_opt(2026, 3, 1),
                NaiveDate::from_ymd_opt(2026, 3, 2)
            )
        );
        assert_eq!(
            q.link(2),
            "van=2026-03-01&tot=2026-03-02&haak=cost&versie=3&pagina=2"
        );
        assert_eq!(
            q.filter().unwrap(),
            ErrorFilter {
                hook: Some("cost".into()),
                product_type: None,
                version: Some(3),
            }
        );
        for (field, bad) in [
            ("haak", "kost"),
            ("versie", "0"),
            ("versie", "drie"),
            ("producttype", "Bezoekers!"),
        ] {
            let mut wrong = ErrorQuery::default();
            match field {
                "haak" => wrong.haak = bad.into(),
                "versie" => wrong.versie = bad.into(),
                _ => wrong.producttype = bad.into(),
            }
            assert_eq!(wrong.filter().unwrap_err().0, field, "{bad}");
        }
        let bad = ErrorQuery {
            van: "gisteren".into(),
            ..ErrorQuery::default()
        };
        assert_eq!(bad.days().unwrap_err().0, "van");
        let backwards = ErrorQuery {
            van: "2026-03-02".into(),
            tot: "2026-03-01".into(),
            ..ErrorQuery::default()
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

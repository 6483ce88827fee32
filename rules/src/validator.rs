//! The rules engine as the domain's `RuleValidator`: a gemeente's scripts must compile and its
//! tariffs must parse before they are stored.

use crate::engine::RuleEngine;
use crate::ruleset::RuleSet;
use crate::tariff::Tariff;
use parkportal_domain::parking::SessionCheck;
use parkportal_domain::rules_console::{PriceQuestion, RuleKind, RuleProblem};
use parkportal_domain::tariff_model::TariffModel;
use parkportal_domain::{RuleValidator, TariffFacts};
use rust_decimal::Decimal;
use std::sync::Arc;

pub use parkportal_domain::rules::HOOKS;

/// The Levenshtein distance of two names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Validates with a shared engine (same limits and disabled symbols as at run time).
pub struct Validator {
    engine: Arc<RuleEngine>,
}

impl Validator {
    /// A validator on `engine`.
    pub fn new(engine: Arc<RuleEngine>) -> Self {
        Self { engine }
    }
}

/// The line of the definition of function `name` in `source` (1 when it cannot be found): the
/// engine keeps no positions of the functions it compiled.
fn line_of_fn(source: &str, name: &str) -> usize {
    source
        .lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix("fn ")
                .and_then(|rest| rest.trim_start().strip_prefix(name))
                .is_some_and(|rest| rest.trim_start().starts_with('('))
        })
        .map_or(1, |i| i + 1)
}

/// The line and column (from 1) of byte `offset` of `text`.
fn place(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl RuleValidator for Validator {
    fn script_problems(&self, name: &str, source: &str) -> Vec<RuleProblem> {
        let script = match self.engine.compile(name, source) {
            Ok(script) => script,
            Err(e) => {
                return vec![RuleProblem {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                }];
            }
        };
        // A hook the engine never calls leaves its restriction off without a word: refuse hooks
        // with the wrong number of parameters and names one or two letters off a hook's.
        let mut problems = Vec::new();
        for (function, params) in script.functions() {
            let message = if HOOKS.contains(&function.as_str()) && params != 1 {
                format!("{function} must take exactly one parameter (ctx), not {params}")
            } else if let Some(hook) = HOOKS
                .iter()
                .find(|h| edit_distance(h, &function) <= 2)
                .filter(|_| !HOOKS.contains(&function.as_str()))
            {
                format!("{function} is not a hook; did you mean {hook}?")
            } else {
                continue;
            };
            problems.push(RuleProblem {
                line: line_of_fn(source, &function),
                column: 1,
                message,
            });
        }
        problems.sort_by_key(|p| (p.line, p.column));
        problems
    }

    fn tariff_problems(&self, _name: &str, source: &str) -> Result<TariffFacts, Vec<RuleProblem>> {
        // The syntax first, for its place; then what the tariff means.
        if let Err(e) = source.parse::<toml::Table>() {
            let (line, column) = e.span().map_or((0, 0), |s| place(source, s.start));
            return Err(vec![RuleProblem {
                line,
                column,
                message: e.message().to_owned(),
            }]);
        }
        let tariff = Tariff::from_toml(source).map_err(|e| {
            vec![RuleProblem {
                line: 0,
                column: 0,
                message: e.0,
            }]
        })?;
        let unit = tariff.unit.balance_unit();
        let mut zones: Vec<String> = tariff
            .time_frames
            .iter()
            .flat_map(|f| f.zones.iter().cloned())
            .collect();
        zones.sort();
        zones.dedup();
        Ok(TariffFacts { unit, zones })
    }

    fn tariff_model(&self, source: &str) -> Result<TariffModel, String> {
        Tariff::from_toml(source)
            .map(|t| t.to_model())
            .map_err(|e| e.0)
    }

    fn prices(&self, q: &PriceQuestion<'_>) -> Result<Vec<Decimal>, String> {
        let script = match q.script {
            Some(source) => Some((
                self.engine
                    .compile(&RuleKind::Script.file_name(q.product_type), source)
                    .map_err(|e| e.to_string())?,
                0,
            )),
            None => None,
        };
        let tariff = q
            .tariff
            .map(Tariff::from_toml)
            .transpose()
            .map_err(|e| e.to_string())?;
        let rules = RuleSet::new(
            self.engine.clone(),
            q.gemeente,
            q.product_type.as_str(),
            script,
            tariff,
        );
        q.intervals
            .iter()
            .map(|&(start, end)| {
                let check = SessionCheck {
                    time_zone: q.time_zone,
                    zone: q.zone.to_owned(),
                    plate: String::new(),
                    start,
                    end,
                    balance: Decimal::ZERO,
                    reserved: Decimal::ZERO,
                    others: Vec::new(),
                    top_ups_in_period: Decimal::ZERO,
                    mandatee: false,
                    extends: None,
                };
                rules
                    .cost(&check, start, end)
                    .map(|c| c.amount)
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Limits;

    #[test]
    fn names_what_does_not_compile_or_parse() {
        let v = Validator::new(Arc::new(RuleEngine::new(Limits::default())));
        assert!(
            v.check_script(
                "rules/bezoekers.rhai",
                "fn end_of_day_deactivation(ctx) { true }"
            )
            .is_ok()
        );
        let err = v
            .check_script("rules/bezoekers.rhai", "fn x(ctx) {\n  eval(\"1\")\n}")
            .unwrap_err();
        assert!(err.starts_with("rules/bezoekers.rhai:2:"), "{err}");
        let err = v
            .check_tariff("tariffs/bezoekers.toml", "unit = \"money\"")
            .unwrap_err();
        assert!(
            err.starts_with("tariffs/bezoekers.toml: ") && err.contains("fare_part"),
            "{err}"
        );
    }

    #[test]
    fn every_misnamed_hook_is_listed_at_its_line() {
        let v = Validator::new(Arc::new(RuleEngine::new(Limits::default())));
        let source = "// regels\nfn max_concurent_sessions(ctx) { 3 }\n\nfn  top_up_cap(ctx, x) { () }\nfn helper(x) { x }\n";
        let problems = v.script_problems("rules/b.rhai", source);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!((problems[0].line, problems[0].column), (2, 1));
        assert!(
            problems[0]
                .message
                .contains("did you mean max_concurrent_sessions")
        );
        assert_eq!(problems[1].line, 4);
        assert!(problems[1].message.contains("exactly one parameter"));
        let syntax = v.script_problems("rules/b.rhai", "fn a(ctx) {\n  let x = ;\n}");
        assert_eq!(syntax.len(), 1);
        assert_eq!((syntax[0].line, syntax[0].column), (2, 11), "{syntax:?}");
    }

    #[test]
    fn a_tariff_syntax_error_has_its_place() {
        let v = Validator::new(Arc::new(RuleEngine::new(Limits::default())));
        let problems = v
            .tariff_problems("tariffs/b.toml", "unit = \"money\"\n[[time_frame]\n")
            .unwrap_err();
        assert_eq!(problems[0].line, 2, "{problems:?}");
        assert!(problems[0].column >= 1);
    }
}

//! The rules engine as the domain's `RuleValidator`: a gemeente's scripts must compile and its
//! tariffs must parse before they are stored.

use crate::engine::RuleEngine;
use crate::tariff::Tariff;
use parkportal_domain::{RuleValidator, TariffFacts};
use std::sync::Arc;

/// The hooks a script may define (DESIGN §5).
pub const HOOKS: [&str; 6] = [
    "max_concurrent_sessions",
    "end_of_day_deactivation",
    "allowed_hours",
    "top_up_cap",
    "mandates_available",
    "cost",
];

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

impl RuleValidator for Validator {
    fn check_script(&self, name: &str, source: &str) -> Result<(), String> {
        let script = self
            .engine
            .compile(name, source)
            .map_err(|e| e.to_string())?;
        // A hook the engine never calls leaves its restriction off without a word: refuse hooks
        // with the wrong number of parameters and names one or two letters off a hook's.
        for (function, params) in script.functions() {
            if HOOKS.contains(&function.as_str()) && params != 1 {
                return Err(format!(
                    "{name}: {function} must take exactly one parameter (ctx), not {params}"
                ));
            }
            if !HOOKS.contains(&function.as_str())
                && let Some(hook) = HOOKS.iter().find(|h| edit_distance(h, &function) <= 2)
            {
                return Err(format!(
                    "{name}: {function} is not a hook; did you mean {hook}?"
                ));
            }
        }
        Ok(())
    }

    fn check_tariff(&self, name: &str, source: &str) -> Result<TariffFacts, String> {
        let tariff = Tariff::from_toml(source).map_err(|e| format!("{name}: {e}"))?;
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
}

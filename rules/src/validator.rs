//! The rules engine as the domain's `RuleValidator`: a gemeente's scripts must compile and its
//! tariffs must parse before they are stored.

use crate::engine::RuleEngine;
use crate::tariff::Tariff;
use parkportal_domain::RuleValidator;
use std::sync::Arc;

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
        self.engine
            .compile(name, source)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn check_tariff(&self, name: &str, source: &str) -> Result<(), String> {
        Tariff::from_toml(source)
            .map(|_| ())
            .map_err(|e| format!("{name}: {e}"))
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

//! `[loket]`: the digitaal loket's limits.

use crate::config::ConfigError;
use parkportal_domain::loket::LoketSettings;
use serde::{Deserialize, Serialize};

/// `[loket]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoketConfig {
    /// Applications a day per e-mail address and per client (each sends a mail).
    pub applications_per_day: u32,
}

impl Default for LoketConfig {
    fn default() -> Self {
        Self {
            applications_per_day: 5,
        }
    }
}

impl LoketConfig {
    /// The settings, or what is wrong with them.
    pub fn settings(&self) -> Result<LoketSettings, ConfigError> {
        if self.applications_per_day == 0 {
            return Err(ConfigError(
                "loket.applications_per_day must be at least 1".into(),
            ));
        }
        Ok(LoketSettings {
            per_day: self.applications_per_day,
        })
    }
}

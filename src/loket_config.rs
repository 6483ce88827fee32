//! `[loket]`: the digitaal loket's limits.

use crate::config::ConfigError;
use crate::duration::ConfigDuration;
use parkportal_domain::loket::LoketSettings;
use serde::{Deserialize, Serialize};

/// `[loket]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoketConfig {
    /// Applications a day per e-mail address and per client (each sends a mail).
    pub applications_per_day: u32,
    /// How long an application, with its plates, is kept after its decision (granted or
    /// rejected) before housekeeping deletes it: six months (`"183d"`) unless set.
    pub keep_decided: ConfigDuration,
}

impl Default for LoketConfig {
    fn default() -> Self {
        Self {
            applications_per_day: 5,
            keep_decided: ConfigDuration::seconds(183 * 86_400),
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
        if self.keep_decided.0 < std::time::Duration::from_secs(86_400) {
            return Err(ConfigError(
                "loket.keep_decided must be at least a day (\"1d\")".into(),
            ));
        }
        Ok(LoketSettings {
            per_day: self.applications_per_day,
        })
    }
}

//! `[desk]`: the help desk's settings: above which correction of a balance a second
//! medewerker must approve, per unit.

use crate::config::ConfigError;
use parkportal_domain::corrections::ApprovalLimits;
use serde::{Deserialize, Serialize};

/// `[desk]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskConfig {
    /// A correction of a money balance above this many euros (either way) waits for a second
    /// medewerker's approval.
    pub correction_approval_money: String,
    /// The same for a balance in minutes.
    pub correction_approval_minutes: i64,
    /// The same for a balance in sessions.
    pub correction_approval_sessions: i64,
}

impl Default for DeskConfig {
    fn default() -> Self {
        let limits = ApprovalLimits::default();
        Self {
            correction_approval_money: "50.00".into(),
            correction_approval_minutes: limits.minutes,
            correction_approval_sessions: limits.sessions,
        }
    }
}

impl DeskConfig {
    /// The limits, or what is wrong with them.
    pub fn limits(&self) -> Result<ApprovalLimits, ConfigError> {
        let wrong = || {
            ConfigError(
                "desk.correction_approval_money must be an amount in euros like \"50.00\", and \
                 desk.correction_approval_minutes and _sessions whole numbers, none below zero"
                    .into(),
            )
        };
        let money = parkportal_domain::BalanceUnit::Money
            .to_smallest(
                self.correction_approval_money
                    .trim()
                    .parse()
                    .map_err(|_| wrong())?,
            )
            .filter(|m| *m >= 0)
            .ok_or_else(wrong)?;
        if self.correction_approval_minutes < 0 || self.correction_approval_sessions < 0 {
            return Err(wrong());
        }
        Ok(ApprovalLimits {
            money,
            minutes: self.correction_approval_minutes,
            sessions: self.correction_approval_sessions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_read_euros_and_refuse_nonsense() {
        assert_eq!(
            DeskConfig::default().limits().unwrap(),
            ApprovalLimits::default()
        );
        let mut config = DeskConfig {
            correction_approval_money: "12,5".into(),
            ..DeskConfig::default()
        };
        assert!(
            config.limits().is_err(),
            "a decimal comma is no TOML amount"
        );
        config.correction_approval_money = "12.50".into();
        assert_eq!(config.limits().unwrap().money, 1250);
        config.correction_approval_money = "-1".into();
        assert!(config.limits().is_err());
        config.correction_approval_money = "0.001".into();
        assert!(config.limits().is_err(), "no part of a cent");
        config.correction_approval_money = "0".into();
        config.correction_approval_minutes = -5;
        assert!(config.limits().is_err());
    }
}

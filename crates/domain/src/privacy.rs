//! Privacy: a session's plate is anonymised once the session ended longer ago than its
//! gemeente keeps plates (13 weeks, or fewer days if the gemeente chose so; never more). The
//! plate goes from the session (history then shows it without plate), from "Kenteken opzoeken"
//! (which reads the sessions) and from mails still kept in the outbox. The job reads the time
//! from the clock port and may run on every instance at once: each step is idempotent.

use crate::ParseError;
use crate::ids::TenantId;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// How long a gemeente keeps a session's plate after the session ended: 1 to 91 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlateRetention(u16);

impl PlateRetention {
    /// The most, and the default: 13 weeks (REFERENCE: the manual's "na 13 weken").
    pub const MAX_DAYS: u16 = 91;

    /// Parses a number of days, 1 to 91.
    pub fn days(days: i64) -> Result<Self, ParseError> {
        u16::try_from(days)
            .ok()
            .filter(|d| (1..=Self::MAX_DAYS).contains(d))
            .map(Self)
            .ok_or_else(|| {
                ParseError::new(
                    "plate_retention_days",
                    format!("{days} must be 1 to {} days (13 weeks)", Self::MAX_DAYS),
                )
            })
    }

    /// The number of days.
    pub fn in_days(self) -> u16 {
        self.0
    }

    /// As a duration.
    pub fn duration(self) -> Duration {
        Duration::days(i64::from(self.0))
    }
}

impl Default for PlateRetention {
    fn default() -> Self {
        Self(Self::MAX_DAYS)
    }
}

/// What one run anonymised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Anonymised {
    /// Sessions whose plate went.
    pub sessions: u64,
    /// Mails whose plates went.
    pub mails: u64,
}

impl Anonymised {
    /// Whether nothing was anonymised.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Where plates are kept.
#[async_trait]
pub trait PrivacyRepository: Send + Sync {
    /// Every gemeente with how long it keeps plates.
    async fn retentions(&self) -> Result<Vec<(TenantId, PlateRetention)>, StoreError>;
    /// Anonymises the plates of the sessions of `tenant`'s products that ended before
    /// `before`, and the plates in its mails (`None`: mails of no gemeente) created before it.
    async fn anonymise(
        &self,
        tenant: Option<TenantId>,
        before: DateTime<Utc>,
    ) -> Result<Anonymised, StoreError>;
}

/// The privacy job.
#[derive(Clone)]
pub struct Privacy {
    repo: Arc<dyn PrivacyRepository>,
    clock: Arc<dyn crate::Clock>,
}

impl Privacy {
    /// On its port and the clock.
    pub fn new(repo: Arc<dyn PrivacyRepository>, clock: Arc<dyn crate::Clock>) -> Self {
        Self { repo, clock }
    }

    /// Anonymises every plate past its gemeente's retention.
    pub async fn run_once(&self) -> Result<Anonymised, StoreError> {
        let now = self.clock.now();
        let mut total = Anonymised::default();
        let mut runs: Vec<(Option<TenantId>, PlateRetention)> = self
            .repo
            .retentions()
            .await?
            .into_iter()
            .map(|(t, r)| (Some(t), r))
            .collect();
        // Mails of the platform itself keep plates no longer than any gemeente may.
        runs.push((None, PlateRetention::default()));
        for (tenant, retention) in runs {
            let done = self
                .repo
                .anonymise(tenant, now - retention.duration())
                .await?;
            total.sessions += done.sessions;
            total.mails += done.mails;
        }
        Ok(total)
    }
}

/// `text` with every written form of each plate (`AB-12-34`, `AB1234`) replaced by a mark.
pub fn without_plates(text: &str, plates: &[crate::plate::Plate]) -> String {
    let mut out = text.to_owned();
    for plate in plates {
        for form in [plate.display(), plate.normalised().to_owned()] {
            if !form.is_empty() {
                out = out.replace(&form, "••••••");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plate::{Country, Plate};

    #[test]
    fn retention_is_at_most_13_weeks() {
        assert_eq!(PlateRetention::default().in_days(), 91);
        assert_eq!(PlateRetention::days(28).map(|r| r.in_days()), Ok(28));
        for bad in [0, -1, 92, 365] {
            assert!(PlateRetention::days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plates_leave_a_text_in_every_written_form() {
        let plate = Plate::parse("ab-12-34", Country::NL).unwrap();
        assert_eq!(
            without_plates("Kenteken AB-12-34 (AB1234) mag parkeren.", &[plate]),
            "Kenteken •••••• (••••••) mag parkeren."
        );
    }
}

//! The dashboard of a gemeente's console: how many products, coupled residents, sessions and
//! top-ups the gemeente has, and the rule errors of its scripts, with the list of those errors
//! a page at a time.
//!
//! "Today" is the gemeente's local calendar day (its time zone, DST included), so the use case
//! turns it into UTC bounds before the store counts; the store only counts (aggregates in the
//! database, never rows loaded to be counted here).

use crate::calendar;
use crate::clock::Clock;
use crate::ids::TenantId;
use crate::ports::{RuleErrorEntry, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::sync::Arc;

/// How far back the dashboard's rule-error figure (and the list's default period) looks.
pub const RULE_ERROR_WINDOW_HOURS: i64 = 24;
/// Rule errors on one page of the list.
pub const RULE_ERROR_PAGE_SIZE: u64 = 50;

/// `cents` as euros (the store keeps money in cents).
pub fn euros(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// The moments the figures are counted at, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardWindow {
    /// Now: products still valid now, sessions started up to now.
    pub now: DateTime<Utc>,
    /// 00:00 of the gemeente's local today.
    pub day_start: DateTime<Utc>,
    /// 00:00 of the gemeente's local tomorrow (23 or 25 hours later on a DST day).
    pub day_end: DateTime<Utc>,
    /// Rule errors from here on count ([`RULE_ERROR_WINDOW_HOURS`] before now).
    pub errors_since: DateTime<Utc>,
}

/// What the dashboard shows of one gemeente.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashboardFigures {
    /// Products issued and still usable: not blocked and not yet expired (coupled or not).
    pub products: u64,
    /// Distinct resident accounts that hold one of those products.
    pub residents: u64,
    /// Sessions on the gemeente's products that started today (local) up to now; deleted
    /// planned sessions never started and are not counted.
    pub sessions_today: u64,
    /// Top-up payments paid today (local).
    pub top_ups_today: u64,
    /// What those payments brought in, in euros.
    pub top_ups_total: Decimal,
    /// Rule errors recorded in the last [`RULE_ERROR_WINDOW_HOURS`] hours.
    pub rule_errors: u64,
    /// Applications in the digitaal loket waiting for a decision (received, in review or
    /// waiting for the applicant's answer).
    pub open_applications: u64,
}

/// A period of the rule-error list, in UTC: `[from, until)`, either end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPeriod {
    /// From this moment (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this moment (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// Which rule errors to list besides their period: of one hook, one product type's script,
/// one version of it (each `None`: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorFilter {
    /// The hook (`max_concurrent_sessions`, `cost`, ...).
    pub hook: Option<String>,
    /// The product type whose script failed.
    pub product_type: Option<crate::Code>,
    /// The script's version.
    pub version: Option<i64>,
}

/// One page of the rule-error list, newest first.
#[derive(Debug, Clone)]
pub struct RuleErrorPage {
    /// Its errors.
    pub errors: Vec<RuleErrorEntry>,
    /// Which page, from 1.
    pub page: u64,
    /// Whether an older page follows.
    pub has_next: bool,
    /// The period it lists.
    pub period: ErrorPeriod,
}

/// The figures and the rule-error list of a gemeente, as the store counts them.
#[async_trait]
pub trait DashboardRepository: Send + Sync {
    /// The figures of `tenant` at `window`.
    async fn figures(
        &self,
        tenant: TenantId,
        window: &DashboardWindow,
    ) -> Result<DashboardFigures, StoreError>;

    /// The rule errors of `tenant` in `period`, newest first: at most `limit` after skipping
    /// `offset`.
    async fn rule_errors(
        &self,
        tenant: TenantId,
        (period, filter): (&ErrorPeriod, &ErrorFilter),
        limit: u64,
        offset: u64,
    ) -> Result<Vec<RuleErrorEntry>, StoreError>;
}

/// The dashboard use case.
#[derive(Clone)]
pub struct Dashboard {
    repo: Arc<dyn DashboardRepository>,
    clock: Arc<dyn Clock>,
}

impl Dashboard {
    /// The dashboard on `repo`, reading the time from `clock`.
    pub fn new(repo: Arc<dyn DashboardRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// The window of now for a gemeente in `tz`.
    pub fn window(&self, tz: Tz) -> DashboardWindow {
        let now = self.clock.now();
        let (day_start, day_end) = calendar::day_bounds(tz, calendar::local_date(tz, now));
        DashboardWindow {
            now,
            day_start,
            day_end,
            errors_since: now - Duration::hours(RULE_ERROR_WINDOW_HOURS),
        }
    }

    /// The figures of `tenant` (whose time zone is `tz`) now.
    pub async fn figures(&self, tenant: TenantId, tz: Tz) -> Result<DashboardFigures, StoreError> {
        self.repo.figures(tenant, &self.window(tz)).await
    }

    /// The period of the rule-error list: the whole local days `from` through `to` in `tz`
    /// (either may be open), or the last [`RULE_ERROR_WINDOW_HOURS`] hours when neither is
    /// given.
    pub fn period(&self, tz: Tz, from: Option<NaiveDate>, to: Option<NaiveDate>) -> ErrorPeriod {
        if from.is_none() && to.is_none() {
            return ErrorPeriod {
                from: Some(self.window(tz).errors_since),
                until: None,
            };
        }
        ErrorPeriod {
            from: from.map(|d| calendar::start_of_day(tz, d)),
            // "Tot en met": the whole last day.
            until: to.map(|d| calendar::day_bounds(tz, d).1),
        }
    }

    /// Page `page` (from 1) of the rule errors of `tenant` in `period`, newest first.
    pub async fn rule_errors(
        &self,
        tenant: TenantId,
        (period, filter): (ErrorPeriod, &ErrorFilter),
        page: u64,
    ) -> Result<RuleErrorPage, StoreError> {
        let page = page.clamp(1, crate::audit::MAX_PAGE);
        let offset = (page - 1) * RULE_ERROR_PAGE_SIZE;
        let mut errors = self
            .repo
            .rule_errors(tenant, (&period, filter), RULE_ERROR_PAGE_SIZE + 1, offset)
            .await?;
        let has_next = errors.len() as u64 > RULE_ERROR_PAGE_SIZE;
        errors.truncate(RULE_ERROR_PAGE_SIZE as usize);
        Ok(RuleErrorPage {
            errors,
            page,
            has_next,
            period,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use chrono::TimeZone;
    use std::sync::Mutex;

    /// Remembers what it was asked and answers 51 errors, so a page has a next one.
    #[derive(Default)]
    struct Asked {
        windows: Mutex<Vec<(TenantId, DashboardWindow)>>,
        lists: Mutex<Vec<(TenantId, ErrorPeriod, u64, u64)>>,
    }

    #[async_trait]
    impl DashboardRepository for Asked {
        async fn figures(
            &self,
            tenant: TenantId,
            window: &DashboardWindow,
        ) -> Result<DashboardFigures, StoreError> {
            self.windows.lock().unwrap().push((tenant, *window));
            Ok(DashboardFigures::default())
        }

        async fn rule_errors(
            &self,
            tenant: TenantId,
            (period, _): (&ErrorPeriod, &ErrorFilter),
            limit: u64,
            offset: u64,
        ) -> Result<Vec<RuleErrorEntry>, StoreError> {
            self.lists
                .lock()
                .unwrap()
                .push((tenant, *period, limit, offset));
            let one = RuleErrorEntry {
                tenant,
                script: "rules/bezoek.rhai".into(),
                script_version: 1,
                function: "cost".into(),
                message: "boom".into(),
                at: Utc::now(),
            };
            Ok(vec![one; limit as usize])
        }
    }

    fn dashboard(now: DateTime<Utc>) -> (Dashboard, Arc<Asked>) {
        let repo = Arc::new(Asked::default());
        (
            Dashboard::new(repo.clone(), Arc::new(FixedClock::new(now))),
            repo,
        )
    }

    #[tokio::test]
    async fn today_is_the_gemeentes_local_day_also_when_the_clocks_change() {
        let amsterdam = chrono_tz::Europe::Amsterdam;
        // Sunday 29 March 2026, 01:30 UTC: 03:30 summer time, on a day of 23 hours.
        let now = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap();
        let (d, repo) = dashboard(now);
        d.figures(TenantId(7), amsterdam).await.unwrap();
        let (tenant, w) = repo.windows.lock().unwrap()[0];
        assert_eq!(tenant, TenantId(7));
        assert_eq!(w.now, now);
        assert_eq!(w.day_start.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        assert_eq!(w.day_end.to_rfc3339(), "2026-03-29T22:00:00+00:00");
        assert_eq!(w.errors_since, now - Duration::hours(24));
        // Late in the evening UTC is already tomorrow in Amsterdam.
        let late = Utc.with_ymd_and_hms(2026, 3, 2, 23, 30, 0).unwrap();
        let w = dashboard(late).0.window(amsterdam);
        assert_eq!(w.day_start.to_rfc3339(), "2026-03-02T23:00:00+00:00");
    }

    #[tokio::test]
    async fn the_error_list_defaults_to_the_last_day_and_reads_whole_local_days() {
        let amsterdam = chrono_tz::Europe::Amsterdam;
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let (d, repo) = dashboard(now);
        let last = d.period(amsterdam, None, None);
        assert_eq!(last.from, Some(now - Duration::hours(24)));
        assert_eq!(last.until, None);
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let days = d.period(amsterdam, Some(day), Some(day));
        assert_eq!(days.from.unwrap().to_rfc3339(), "2026-02-28T23:00:00+00:00");
        assert_eq!(
            days.until.unwrap().to_rfc3339(),
            "2026-03-01T23:00:00+00:00"
        );
        let open = d.period(amsterdam, None, Some(day));
        assert_eq!(open.from, None);

        let page = d
            .rule_errors(TenantId(3), (days, &ErrorFilter::default()), 2)
            .await
            .unwrap();
        assert_eq!((page.page, page.has_next), (2, true));
        assert_eq!(page.errors.len(), RULE_ERROR_PAGE_SIZE as usize);
        assert_eq!(
            repo.lists.lock().unwrap()[0],
            (
                TenantId(3),
                days,
                RULE_ERROR_PAGE_SIZE + 1,
                RULE_ERROR_PAGE_SIZE
            )
        );
        let first = d
            .rule_errors(TenantId(3), (days, &ErrorFilter::default()), 0)
            .await
            .unwrap();
        assert_eq!(first.page, 1, "page 0 is the first");
    }
}

//! The rules console (#23): a gemeente's beheerder edits each product type's rule script and
//! tariff, has a draft checked (every problem with its line and column, and a price preview)
//! and saves it as a new version with a comment. A draft that does not compile, or a tariff
//! that does not fit its product type or the gemeente's zones, is never stored; every save is
//! one transaction with its audit entry, which names the versions before and after.

use crate::audit::AuditEntry;
use crate::rule_schedule::{EffectiveFrom, Standing, TakeOver, in_force_at, standings};
use crate::tenancy::TenantDirectory;
use crate::tenant::{BalanceUnit, Tenant};
use crate::{Code, RuleValidator, StoreError};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::sync::Arc;

/// What of a product type's rules is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Its rhai script (`rules/<type>.rhai`).
    Script,
    /// Its tariff (`tariffs/<type>.toml`).
    Tariff,
}

impl RuleKind {
    /// The stored and audited name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Script => "rule_script",
            Self::Tariff => "tariff",
        }
    }

    /// The file the bundle keeps it in, as problems name it.
    pub fn file_name(self, product_type: &Code) -> String {
        match self {
            Self::Script => format!("rules/{product_type}.rhai"),
            Self::Tariff => format!("tariffs/{product_type}.toml"),
        }
    }
}

/// One stored version of a script or tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVersion {
    /// 1, 2, 3, ... per product type and kind.
    pub version: i64,
    /// Its source (empty: the version that removed it, so the defaults apply).
    pub source: String,
    /// Who made it (`None`: before the console kept it, an import).
    pub author: Option<String>,
    /// Why, as its author wrote.
    pub comment: Option<String>,
    /// When it was made (`None`: before the console kept it).
    pub created_at: Option<DateTime<Utc>>,
    /// When it takes effect (`None`: since always, stored before scheduling existed).
    pub effective_from: EffectiveFrom,
}

/// A new version to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleChange {
    /// The source.
    pub source: String,
    /// Why (required).
    pub comment: String,
    /// The author's label, as the audit trail names them.
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
    /// When it takes effect, if later than `at` (`None`: at once).
    pub effective_from: Option<DateTime<Utc>>,
}

impl RuleChange {
    /// The moment the new version takes effect.
    pub fn takes_effect(&self) -> DateTime<Utc> {
        self.effective_from.unwrap_or(self.at)
    }
}

/// What a save came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSaved {
    /// Stored as version `after`; `before` was in force (0: none).
    Stored {
        /// The version before.
        before: i64,
        /// The new version.
        after: i64,
    },
    /// The same as the version in force: nothing stored.
    Unchanged(i64),
}

/// A problem of a draft, where it is (line and column from 1; 0 when the problem is the whole
/// file's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Line, from 1 (0: unknown).
    pub line: usize,
    /// Column, from 1 (0: unknown).
    pub column: usize,
    /// What is wrong, in the engine's words.
    pub message: String,
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.message),
            (line, 0) => write!(f, "{line}: {}", self.message),
            (line, column) => write!(f, "{line}:{column}: {}", self.message),
        }
    }
}

/// A question to price: a gemeente's product type in a zone over intervals, with a script and
/// tariff (either may be absent: the defaults).
#[derive(Debug, Clone)]
pub struct PriceQuestion<'a> {
    /// The gemeente's slug (scripts see it).
    pub gemeente: &'a str,
    /// The product type.
    pub product_type: &'a Code,
    /// The gemeente's time zone.
    pub time_zone: Tz,
    /// The zone.
    pub zone: &'a str,
    /// The script's source, if any.
    pub script: Option<&'a str>,
    /// The tariff's source, if any.
    pub tariff: Option<&'a str>,
    /// The intervals, each priced on its own.
    pub intervals: &'a [Interval],
}

/// A period, from its start to its end (exclusive).
pub type Interval = (DateTime<Utc>, DateTime<Utc>);

/// One row of the price preview: a weekday of the coming week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewDay {
    /// The date.
    pub date: NaiveDate,
    /// One hour from [`PREVIEW_FROM`].
    pub one_hour: Decimal,
    /// Two hours from [`PREVIEW_FROM`].
    pub two_hours: Decimal,
    /// The whole local day.
    pub whole_day: Decimal,
}

/// The local time the preview's hours start at: when most tariffs charge.
pub const PREVIEW_FROM: (u32, u32) = (10, 0);

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    /// Every problem (none: it can be saved).
    pub problems: Vec<RuleProblem>,
    /// The price preview by weekday, when the draft (with the other of script and tariff in
    /// force) prices at all.
    pub week: Vec<PreviewDay>,
    /// The price of the interval asked for, if one was.
    pub interval: Option<Decimal>,
    /// The unit the prices are in.
    pub unit: BalanceUnit,
}

/// Why a draft was not saved.
#[derive(Debug, thiserror::Error)]
pub enum RuleSaveError {
    /// No such product type in this gemeente.
    #[error("no such product type")]
    UnknownType,
    /// The comment is missing or longer than [`MAX_COMMENT_CHARS`].
    #[error("the comment is missing or too long")]
    CommentInvalid,
    /// The moment it would take effect is not in the future, or further ahead than
    /// [`crate::rule_schedule::MAX_YEARS_AHEAD`].
    #[error("the moment it takes effect is not in the future or too far ahead")]
    EffectiveFromInvalid,
    /// The draft has problems.
    #[error("the draft has problems")]
    Problems(Vec<RuleProblem>),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RuleSaveError {
    /// The stable code of a refusal (`None`: a failure).
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::UnknownType => "not_found",
            Self::CommentInvalid => "comment_invalid",
            Self::EffectiveFromInvalid => "effective_from_invalid",
            Self::Problems(_) => "rules_invalid",
            Self::Store(_) => return None,
        })
    }
}

/// The longest interval the preview prices: a tariff is walked day by day.
pub const MAX_PREVIEW_DAYS: i64 = 31;

/// The longest comment on a version.
pub const MAX_COMMENT_CHARS: usize = 500;

/// A product type's rules as the console lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRules {
    /// The product type.
    pub code: Code,
    /// Its name.
    pub name: String,
    /// Its balance's unit.
    pub unit: BalanceUnit,
    /// The script's versions now and next.
    pub script: Schedule,
    /// The tariff's versions now and next.
    pub tariff: Schedule,
    /// The gemeente's zones (code, name), which a tariff prices.
    pub zones: Vec<(String, String)>,
}

/// Which version of a script or tariff is in force now, and which takes over next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Schedule {
    /// The version in force (0: none, or the one in force removed it: the defaults).
    pub in_force: i64,
    /// The version taking over next, and from when.
    pub next: Option<(i64, DateTime<Utc>)>,
}

impl Schedule {
    /// The schedule `now` of `versions` (in any order).
    pub fn of(versions: &[RuleVersion], now: DateTime<Utc>) -> Self {
        let order: Vec<TakeOver> = versions.iter().map(RuleVersion::take_over).collect();
        let standings = standings(&order, now);
        let mut schedule = Self::default();
        for (v, standing) in versions.iter().zip(standings) {
            match standing {
                Standing::InForce if !v.source.is_empty() => schedule.in_force = v.version,
                Standing::Next => schedule.next = v.effective_from.map(|from| (v.version, from)),
                _ => {}
            }
        }
        schedule
    }
}

impl RuleVersion {
    /// Its place in the order versions take over in.
    pub fn take_over(&self) -> TakeOver {
        (self.effective_from, self.version)
    }

    /// The standing `now` of each of `versions`, in their order.
    pub fn standings(versions: &[Self], now: DateTime<Utc>) -> Vec<Standing> {
        let order: Vec<TakeOver> = versions.iter().map(Self::take_over).collect();
        standings(&order, now)
    }

    /// Of `versions`, the one in force `at`.
    pub fn in_force(versions: &[Self], at: DateTime<Utc>) -> Option<&Self> {
        in_force_at(versions, at, Self::take_over)
    }
}

/// The use case.
#[derive(Clone)]
pub struct RulesConsole {
    pub(crate) tenants: TenantDirectory,
    pub(crate) validator: Arc<dyn RuleValidator>,
    /// The rules as sessions meet them, which the dry-run asks.
    pub(crate) rules: Arc<dyn crate::parking::RulesPort>,
}

impl RulesConsole {
    /// The use case on the gemeenten, the rules engine's checks and the rules as sessions meet
    /// them.
    pub fn new(
        tenants: TenantDirectory,
        validator: Arc<dyn RuleValidator>,
        rules: Arc<dyn crate::parking::RulesPort>,
    ) -> Self {
        Self {
            tenants,
            validator,
            rules,
        }
    }

    /// The product types of `tenant` with the versions of their script and tariff in force.
    pub async fn overview(&self, tenant: &Tenant) -> Result<Vec<TypeRules>, StoreError> {
        let Some(config) = self.tenants.export(&tenant.slug).await? else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        for pt in &config.product_types {
            rows.push(self.type_rules(tenant, &config, pt).await?);
        }
        Ok(rows)
    }

    /// Product type `pt` of `config` with the versions of its script and tariff in force.
    async fn type_rules(
        &self,
        tenant: &Tenant,
        config: &crate::tenant::TenantConfig,
        pt: &crate::ProductTypeSpec,
    ) -> Result<TypeRules, StoreError> {
        let now = self.tenants.now();
        let latest = |kind| async move {
            let versions = self
                .tenants
                .rule_versions(tenant.id, &pt.code, kind)
                .await?;
            Ok::<Schedule, StoreError>(Schedule::of(&versions, now))
        };
        Ok(TypeRules {
            code: pt.code.clone(),
            name: pt.name.clone(),
            unit: pt.unit,
            script: latest(RuleKind::Script).await?,
            tariff: latest(RuleKind::Tariff).await?,
            zones: config
                .zones
                .iter()
                .map(|z| (z.code.as_str().to_owned(), z.name.clone()))
                .collect(),
        })
    }

    /// The versions of `kind` of `tenant`'s product type `code`, newest first; `None` when the
    /// gemeente has no such product type.
    pub async fn versions(
        &self,
        tenant: &Tenant,
        code: &Code,
        kind: RuleKind,
    ) -> Result<Option<(TypeRules, Vec<RuleVersion>)>, StoreError> {
        let Some(config) = self.tenants.export(&tenant.slug).await? else {
            return Ok(None);
        };
        let Some(pt) = config.product_types.iter().find(|p| &p.code == code) else {
            return Ok(None);
        };
        let row = self.type_rules(tenant, &config, pt).await?;
        let versions = self.tenants.rule_versions(tenant.id, code, kind).await?;
        Ok(Some((row, versions)))
    }

    /// Checks `draft` as `kind` of `tenant`'s product type `code`: its problems, and what it
    /// would charge, priced with the other of script and tariff as in force, in `zone` (the
    /// gemeente's first when `None`) on each day of the week after `now`, and over `interval`.
    /// `None` when the gemeente has no such product type.
    pub async fn check(
        &self,
        tenant: &Tenant,
        (code, kind): (&Code, RuleKind),
        draft: &str,
        (zone, interval): (Option<&str>, Option<Interval>),
        now: DateTime<Utc>,
    ) -> Result<Option<RuleCheck>, StoreError> {
        let Some(config) = self.tenants.export(&tenant.slug).await? else {
            return Ok(None);
        };
        let Some(pt) = config.product_types.iter().find(|p| &p.code == code) else {
            return Ok(None);
        };
        let problems = self.problems(&config, code, kind, draft);
        let zone = zone
            .filter(|z| config.zones.iter().any(|c| c.code.as_str() == *z))
            .or_else(|| config.zones.first().map(|z| z.code.as_str()))
            .unwrap_or_default();
        let (script, tariff) = match kind {
            RuleKind::Script => (Some(draft), config.tariffs.get(code).map(String::as_str)),
            RuleKind::Tariff => (config.scripts.get(code).map(String::as_str), Some(draft)),
        };
        let (script, tariff) = (
            script.filter(|s| !s.is_empty()),
            tariff.filter(|s| !s.is_empty()),
        );
        let (days, mut intervals) = preview_intervals(tenant.time_zone, now);
        intervals.extend(interval);
        let mut check = RuleCheck {
            problems,
            week: Vec::new(),
            interval: None,
            unit: pt.unit,
        };
        if !check.problems.is_empty() {
            return Ok(Some(check));
        }
        let question = PriceQuestion {
            gemeente: tenant.slug.as_str(),
            product_type: code,
            time_zone: tenant.time_zone,
            zone,
            script,
            tariff,
            intervals: &intervals,
        };
        match self.validator.prices(&question) {
            Ok(prices) => {
                check.week = days
                    .iter()
                    .zip(prices.chunks(3))
                    .filter_map(|(date, p)| match p {
                        [one, two, day] => Some(PreviewDay {
                            date: *date,
                            one_hour: *one,
                            two_hours: *two,
                            whole_day: *day,
                        }),
                        _ => None,
                    })
                    .collect();
                check.interval = interval.and_then(|_| prices.get(days.len() * 3).copied());
            }
            // A script that compiles may still fail when it runs: that is a problem too.
            Err(message) => check.problems.push(RuleProblem {
                line: 0,
                column: 0,
                message,
            }),
        }
        Ok(Some(check))
    }

    /// Saves `change` as the next version of `kind` of `tenant`'s product type `code`, unless
    /// it has problems; `audit` (the beheerder's, action `rules.saved`) in the same transaction.
    pub async fn save(
        &self,
        tenant: &Tenant,
        (code, kind): (&Code, RuleKind),
        change: &RuleChange,
        audit: &AuditEntry,
    ) -> Result<RuleSaved, RuleSaveError> {
        let comment = change.comment.trim();
        // What the check finds, a script failing as it prices the week included; `None`: the
        // gemeente has no such product type.
        let check = self
            .check(
                tenant,
                (code, kind),
                &change.source,
                (None, None),
                // Priced over the week after it takes effect.
                change.takes_effect(),
            )
            .await?
            .ok_or(RuleSaveError::UnknownType)?;
        if comment.is_empty() || comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(RuleSaveError::CommentInvalid);
        }
        if change
            .effective_from
            .is_some_and(|from| !crate::rule_schedule::schedulable(change.at, from))
        {
            return Err(RuleSaveError::EffectiveFromInvalid);
        }
        let problems = check.problems;
        if !problems.is_empty() {
            return Err(RuleSaveError::Problems(problems));
        }
        let change = RuleChange {
            comment: comment.to_owned(),
            ..change.clone()
        };
        let entry = audit.clone().about(kind.as_str(), code.as_str());
        Ok(self
            .tenants
            .save_rule(tenant.id, (code, kind), &change, &entry)
            .await?)
    }

    /// Saves a copy of version `number` of `kind` of `tenant`'s product type `code` as the
    /// next version, with `change`'s comment, author and time (its source is the old version's):
    /// going back is a new version, so the history keeps every step. `audit` is the
    /// beheerder's entry (action `rules.restored`). `UnknownType` also when there is no such
    /// version.
    pub async fn restore(
        &self,
        tenant: &Tenant,
        (code, kind, number): (&Code, RuleKind, i64),
        change: &RuleChange,
        audit: &AuditEntry,
    ) -> Result<RuleSaved, RuleSaveError> {
        let source = self
            .tenants
            .rule_versions(tenant.id, code, kind)
            .await?
            .into_iter()
            .find(|v| v.version == number)
            .ok_or(RuleSaveError::UnknownType)?
            .source;
        let change = RuleChange {
            source,
            ..change.clone()
        };
        self.save(tenant, (code, kind), &change, audit).await
    }

    /// Every problem of `source` as `kind` of product type `code` in `config`: what does not
    /// compile or parse, a hook misnamed, a tariff in another unit or for an unknown zone.
    fn problems(
        &self,
        config: &crate::tenant::TenantConfig,
        code: &Code,
        kind: RuleKind,
        source: &str,
    ) -> Vec<RuleProblem> {
        let name = kind.file_name(code);
        match kind {
            RuleKind::Script => self.validator.script_problems(&name, source),
            RuleKind::Tariff if source.trim().is_empty() => Vec::new(),
            RuleKind::Tariff => match self.validator.tariff_problems(&name, source) {
                Err(problems) => problems,
                Ok(facts) => crate::tenancy::tariff_misfits(config, code, &facts)
                    .into_iter()
                    .map(|message| RuleProblem {
                        line: 0,
                        column: 0,
                        message,
                    })
                    .collect(),
            },
        }
    }
}

/// The preview's dates (the week after `now`) and, per date, the intervals of one hour and two
/// hours from [`PREVIEW_FROM`] and of the whole local day.
pub(crate) fn preview_intervals(tz: Tz, now: DateTime<Utc>) -> (Vec<NaiveDate>, Vec<Interval>) {
    let days = week_after(tz, now);
    let mut intervals = Vec::new();
    for date in &days {
        let from = local(tz, *date, PREVIEW_FROM);
        let midnight = local(tz, *date, (0, 0));
        let next = local(tz, date.succ_opt().unwrap_or(*date), (0, 0));
        intervals.extend([
            (from, from + Duration::hours(1)),
            (from, from + Duration::hours(2)),
            (midnight, next),
        ]);
    }
    (days, intervals)
}

/// The seven dates after `now`'s local date, Monday first.
fn week_after(tz: Tz, now: DateTime<Utc>) -> Vec<NaiveDate> {
    // Checked: at the edge of the calendar there is no local date to take (no panic).
    let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    let today = now
        .naive_utc()
        .checked_add_offset(offset)
        .map_or(now.date_naive(), |t| t.date());
    let monday = today
        .iter_days()
        .skip(1)
        .take(7)
        .find(|d| d.weekday() == Weekday::Mon)
        .unwrap_or(today);
    monday.iter_days().take(7).collect()
}

/// `date` at `(hour, minute)` local time in `tz`, as UTC (the earlier of an autumn hour twice,
/// the first moment after a spring gap).
fn local(tz: Tz, date: NaiveDate, (hour, minute): (u32, u32)) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
    let naive = date.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_week_is_the_next_monday_to_sunday() {
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        // Saturday 5 December 2026: the week of Monday 7 to Sunday 13 December.
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let week = week_after(tz, now);
        assert_eq!(week.len(), 7);
        assert_eq!(week[0], NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert_eq!(week[6], NaiveDate::from_ymd_opt(2026, 12, 13).unwrap());
        // On a Monday the next Monday, never today (its hours may be past).
        let monday = Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap();
        assert_eq!(
            week_after(tz, monday)[0],
            NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()
        );
    }

    #[test]
    fn local_times_are_utc_at_the_right_offset_also_across_a_change() {
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        let winter = local(tz, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), (10, 0));
        assert_eq!(winter, Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap());
        let summer = local(tz, NaiveDate::from_ymd_opt(2026, 7, 6).unwrap(), (10, 0));
        assert_eq!(summer, Utc.with_ymd_and_hms(2026, 7, 6, 8, 0, 0).unwrap());
        // 29 March 2026 02:30 does not exist in Amsterdam: an hour on.
        let gap = local(tz, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), (2, 30));
        assert_eq!(gap, Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap());
    }

    #[test]
    fn problems_read_with_their_place() {
        let p = |line, column| RuleProblem {
            line,
            column,
            message: "x".into(),
        };
        assert_eq!(p(3, 7).to_string(), "3:7: x");
        assert_eq!(p(3, 0).to_string(), "3: x");
        assert_eq!(p(0, 0).to_string(), "x");
    }
}

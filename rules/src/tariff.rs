//! The default tariff plugin, in the model of the RDW open parking data: time frames per weekday or
//! special date in which a parking right can be claimed (TIJDVAK), fare parts with a step size and
//! an amount per step, optionally progressive (TARIEFDEEL), and a day maximum.
//!
//! Only paid time is charged, by real elapsed time (so the DST change days count 23 and 25 hours),
//! and a session over several days is charged per local day: each day's paid time is priced on its
//! own (steps round up per day, progressive parts start again) and capped by the day maximum.
//!
//! A tariff file is TOML, `tenants/<slug>/tariffs/<product_type>.toml`:
//!
//! ```toml
//! unit = "money"                      # money (EUR) | minutes | sessions
//! day_maximum = "12.00"               # optional, in the unit
//! free_dates = ["2026-12-25"]         # optional: no paid parking at all on these local dates
//!
//! [[time_frame]]
//! days = ["monday", "saturday"]       # weekday names, "daily", or special dates "2026-12-24"
//! start = "09:00"
//! end = "22:00"                       # "24:00" is the end of the day
//! zones = ["binnenstad"]              # optional; all zones when left out
//! claim_right = true                  # optional; false: no right can be bought, nothing charged
//! max_duration_minutes = 180          # optional: the longest right in this frame
//!
//! [[fare_part]]
//! step_minutes = 1
//! amount = "0.02"                     # per step, in the unit
//! from_minute = 0                     # optional, for progressive fares
//! to_minute = 120                     # optional; open-ended when left out
//! ```

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use parkportal_domain::calendar::{day_bounds, local_date, local_instant};
pub use parkportal_domain::parking::{
    CostBreakdown, DayCharge, PaidWindow, StepCharge, TariffUnit,
};
use parkportal_domain::tariff_model::{FrameModel, PartModel, TariffModel};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

/// The days a time frame applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Days {
    /// Every day (DAGELIJKS).
    Daily,
    /// One weekday.
    Weekday(Weekday),
    /// A special date; on that date only special-date frames apply.
    Date(NaiveDate),
}

/// A period of a day in which paid parking applies (TIJDVAK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeFrame {
    /// The days it applies to.
    pub days: Vec<Days>,
    /// Start, in minutes after local midnight.
    pub start: u32,
    /// End, in minutes after local midnight; 1440 is the end of the day.
    pub end: u32,
    /// The zones it applies to; empty is all.
    pub zones: Vec<String>,
    /// Whether a parking right can be claimed (charged) in it.
    pub claim_right: bool,
    /// The longest right in this frame, in minutes.
    pub max_duration_minutes: Option<u32>,
}

/// A fare part (TARIEFDEEL): `amount` per started `step_minutes` of the day's paid time between
/// `from_minute` and `to_minute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarePart {
    /// Step size in minutes.
    pub step_minutes: u32,
    /// Amount per step, in the tariff's unit.
    pub amount: Decimal,
    /// Where this part starts, in minutes of paid time that day.
    pub from_minute: u32,
    /// Where it ends; `None` is open-ended.
    pub to_minute: Option<u32>,
}

/// A whole tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// The unit charged in.
    pub unit: TariffUnit,
    /// Time frames; outside every frame parking is free.
    pub time_frames: Vec<TimeFrame>,
    /// Fare parts, by `from_minute`.
    pub fare_parts: Vec<FarePart>,
    /// The most one local day costs.
    pub day_maximum: Option<Decimal>,
    /// Local dates without paid parking.
    pub free_dates: Vec<NaiveDate>,
}

/// The largest amount per step or per day a tariff may name (in its unit): far above any real
/// fare, low enough that no sum of a day's steps can overflow.
pub const MAX_AMOUNT: i64 = 100_000;

/// A tariff file that does not parse or does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tariff: {0}")]
pub struct TariffError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TariffFile {
    unit: TariffUnit,
    #[serde(default)]
    day_maximum: Option<Decimal>,
    #[serde(default)]
    free_dates: Vec<NaiveDate>,
    #[serde(default)]
    time_frame: Vec<TimeFrameFile>,
    #[serde(default)]
    fare_part: Vec<FarePartFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeFrameFile {
    days: Vec<String>,
    start: String,
    end: String,
    #[serde(default)]
    zones: Vec<String>,
    #[serde(default = "yes")]
    claim_right: bool,
    #[serde(default)]
    max_duration_minutes: Option<u32>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FarePartFile {
    step_minutes: u32,
    amount: Decimal,
    #[serde(default)]
    from_minute: u32,
    #[serde(default)]
    to_minute: Option<u32>,
}

fn parse_days(s: &str) -> Result<Days, TariffError> {
    let day = match s.to_ascii_lowercase().as_str() {
        "daily" => Days::Daily,
        "monday" => Days::Weekday(Weekday::Mon),
        "tuesday" => Days::Weekday(Weekday::Tue),
        "wednesday" => Days::Weekday(Weekday::Wed),
        "thursday" => Days::Weekday(Weekday::Thu),
        "friday" => Days::Weekday(Weekday::Fri),
        "saturday" => Days::Weekday(Weekday::Sat),
        "sunday" => Days::Weekday(Weekday::Sun),
        other => Days::Date(NaiveDate::parse_from_str(other, "%Y-%m-%d").map_err(|_| {
            TariffError(format!(
                "{s:?} is not a weekday, \"daily\" or a date YYYY-MM-DD"
            ))
        })?),
    };
    Ok(day)
}

fn parse_clock(s: &str) -> Result<u32, TariffError> {
    if s == "24:00" {
        return Ok(1440);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| TariffError(format!("{s:?} is not a time HH:MM")))?;
    Ok(t.signed_duration_since(NaiveTime::MIN)
        .num_minutes()
        .unsigned_abs() as u32)
}

/// A weekday as tariff files name it.
fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// Minutes after midnight as a file's `HH:MM` (1440 is `24:00`).
fn clock_text(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl Tariff {
    /// The tariff as the console's form edits it; its TOML parses to this tariff again.
    pub fn to_model(&self) -> TariffModel {
        TariffModel {
            unit: self.unit,
            day_maximum: self.day_maximum,
            free_dates: self.free_dates.clone(),
            frames: self
                .time_frames
                .iter()
                .map(|f| FrameModel {
                    days: f
                        .days
                        .iter()
                        .map(|d| match d {
                            Days::Daily => "daily".to_owned(),
                            Days::Weekday(w) => weekday_name(*w).to_owned(),
                            Days::Date(date) => date.to_string(),
                        })
                        .collect(),
                    start: clock_text(f.start),
                    end: clock_text(f.end),
                    zones: f.zones.clone(),
                    claim_right: f.claim_right,
                    max_duration_minutes: f.max_duration_minutes,
                })
                .collect(),
            parts: self
                .fare_parts
                .iter()
                .map(|p| PartModel {
                    step_minutes: p.step_minutes,
                    amount: p.amount,
                    from_minute: p.from_minute,
                    to_minute: p.to_minute,
                })
                .collect(),
        }
    }

    /// Parses and checks a tariff file.
    pub fn from_toml(text: &str) -> Result<Self, TariffError> {
        let file: TariffFile = toml::from_str(text).map_err(|e| TariffError(e.to_string()))?;
        let mut time_frames = Vec::new();
        for f in file.time_frame {
            let days = f
                .days
                .iter()
                .map(|d| parse_days(d))
                .collect::<Result<Vec<_>, _>>()?;
            let (start, end) = (parse_clock(&f.start)?, parse_clock(&f.end)?);
            if days.is_empty() {
                return Err(TariffError("a time frame needs at least one day".into()));
            }
            if start >= end {
                return Err(TariffError(format!(
                    "time frame {}-{} ends before it starts",
                    f.start, f.end
                )));
            }
            time_frames.push(TimeFrame {
                days,
                start,
                end,
                zones: f.zones,
                claim_right: f.claim_right,
                max_duration_minutes: f.max_duration_minutes,
            });
        }
        let fare_parts = file
            .fare_part
            .into_iter()
            .map(|p| FarePart {
                step_minutes: p.step_minutes,
                amount: p.amount,
                from_minute: p.from_minute,
                to_minute: p.to_minute,
            })
            .collect();
        let tariff = Tariff {
            unit: file.unit,
            time_frames,
            fare_parts,
            day_maximum: file.day_maximum,
            free_dates: file.free_dates,
        };
        tariff.check()?;
        Ok(tariff)
    }

    fn check(&self) -> Result<(), TariffError> {
        let whole = |d: Decimal| d.fract().is_zero();
        if self.fare_parts.is_empty() {
            return Err(TariffError("at least one fare_part is needed".into()));
        }
        let mut expected_from = 0;
        for (i, part) in self.fare_parts.iter().enumerate() {
            if part.step_minutes == 0 {
                return Err(TariffError("step_minutes must be at least 1".into()));
            }
            if part.amount > Decimal::from(MAX_AMOUNT) {
                return Err(TariffError(format!(
                    "a fare amount above {MAX_AMOUNT} per step is a mistake"
                )));
            }
            if part.amount.is_sign_negative() {
                return Err(TariffError("a fare amount cannot be negative".into()));
            }
            if part.from_minute != expected_from {
                return Err(TariffError(format!(
                    "fare parts must follow each other from minute 0; expected from_minute = {expected_from}"
                )));
            }
            if self.unit != TariffUnit::Money && !whole(part.amount) {
                return Err(TariffError(
                    "minutes and sessions are charged in whole numbers".into(),
                ));
            }
            match part.to_minute {
                Some(to) if to <= part.from_minute => {
                    return Err(TariffError("to_minute must be after from_minute".into()));
                }
                Some(to) => expected_from = to,
                None if i + 1 < self.fare_parts.len() => {
                    return Err(TariffError(
                        "only the last fare part may be open-ended".into(),
                    ));
                }
                None => {}
            }
        }
        if self
            .fare_parts
            .last()
            .is_some_and(|p| p.to_minute.is_some())
        {
            return Err(TariffError("the last fare part must be open-ended".into()));
        }
        if self
            .day_maximum
            .is_some_and(|m| m.is_sign_negative() || m > Decimal::from(MAX_AMOUNT))
        {
            return Err(TariffError(format!(
                "day_maximum must be between 0 and {MAX_AMOUNT}"
            )));
        }
        // Frames of one area do not overlap (as in the RDW data): check every pair that can meet.
        for (i, a) in self.time_frames.iter().enumerate() {
            for b in &self.time_frames[i + 1..] {
                let share_zone = a.zones.is_empty()
                    || b.zones.is_empty()
                    || a.zones.iter().any(|z| b.zones.contains(z));
                let share_day = a
                    .days
                    .iter()
                    .any(|da| b.days.iter().any(|db| days_meet(*da, *db)));
                if share_zone && share_day && a.start < b.end && b.start < a.end {
                    return Err(TariffError(format!(
                        "time frames {} and {} overlap",
                        clock(a.start, a.end),
                        clock(b.start, b.end)
                    )));
                }
            }
        }
        Ok(())
    }

    /// The frames that apply on local `date` in `zone`: the special-date frames when there are
    /// any, else the weekday and daily ones.
    pub fn frames_on(&self, date: NaiveDate, zone: &str) -> Vec<&TimeFrame> {
        if self.free_dates.contains(&date) {
            return Vec::new();
        }
        let in_zone = |f: &&TimeFrame| f.zones.is_empty() || f.zones.iter().any(|z| z == zone);
        let special: Vec<&TimeFrame> = self
            .time_frames
            .iter()
            .filter(in_zone)
            .filter(|f| f.days.contains(&Days::Date(date)))
            .collect();
        if !special.is_empty() {
            return special;
        }
        self.time_frames
            .iter()
            .filter(in_zone)
            .filter(|f| {
                f.days
                    .iter()
                    .any(|d| *d == Days::Daily || *d == Days::Weekday(date.weekday()))
            })
            .collect()
    }

    /// What parking in `zone` from `start` to `end` costs, with its breakdown per local day.
    pub fn cost(
        &self,
        tz: Tz,
        zone: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> CostBreakdown {
        let mut days = Vec::new();
        if end > start {
            let last = local_date(tz, end - Duration::nanoseconds(1));
            let mut date = local_date(tz, start);
            while date <= last {
                days.push(self.day_charge(tz, zone, date, start, end));
                match date.succ_opt() {
                    Some(next) => date = next,
                    None => break,
                }
            }
        }
        let amount = days.iter().map(|d| d.amount).sum();
        CostBreakdown {
            unit: self.unit,
            amount,
            days,
            note: None,
        }
    }

    fn day_charge(
        &self,
        tz: Tz,
        zone: &str,
        date: NaiveDate,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> DayCharge {
        let (day_start, day_end) = day_bounds(tz, date);
        let (from, to) = (start.max(day_start), end.min(day_end));
        let mut windows = Vec::new();
        for frame in self
            .frames_on(date, zone)
            .into_iter()
            .filter(|f| f.claim_right)
        {
            let at = |minute: u32| {
                if minute >= 1440 {
                    day_end
                } else {
                    local_instant(
                        tz,
                        date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute)),
                    )
                }
            };
            let (w_from, w_to) = (from.max(at(frame.start)), to.min(at(frame.end)));
            if w_to > w_from {
                windows.push(PaidWindow {
                    from: w_from,
                    to: w_to,
                });
            }
        }
        windows.sort_by_key(|w| w.from);
        let paid_seconds: i64 = windows.iter().map(|w| (w.to - w.from).num_seconds()).sum();
        let mut steps = Vec::new();
        for part in &self.fare_parts {
            let part_from = i64::from(part.from_minute) * 60;
            let part_to = part.to_minute.map_or(i64::MAX, |m| i64::from(m) * 60);
            let covered = paid_seconds.min(part_to) - part_from;
            if covered <= 0 {
                continue;
            }
            let step = i64::from(part.step_minutes) * 60;
            let count = (covered + step - 1) / step;
            steps.push(StepCharge {
                step_minutes: part.step_minutes,
                steps: count,
                amount_per_step: part.amount,
                amount: part.amount * Decimal::from(count),
            });
        }
        let uncapped: Decimal = steps.iter().map(|s| s.amount).sum();
        let uncapped = uncapped
            .round_dp_with_strategy(self.unit.decimals(), RoundingStrategy::MidpointAwayFromZero);
        let (amount, capped) = match self.day_maximum {
            Some(max) if uncapped > max => (max, true),
            _ => (uncapped, false),
        };
        DayCharge {
            date,
            windows,
            paid_seconds,
            steps,
            uncapped,
            amount,
            capped,
        }
    }
}

fn days_meet(a: Days, b: Days) -> bool {
    match (a, b) {
        (Days::Daily, Days::Date(_)) | (Days::Date(_), Days::Daily) => false,
        (Days::Weekday(_), Days::Date(_)) | (Days::Date(_), Days::Weekday(_)) => false,
        (Days::Daily, _) | (_, Days::Daily) => true,
        (x, y) => x == y,
    }
}

fn clock(start: u32, end: u32) -> String {
    format!(
        "{:02}:{:02}-{:02}:{:02}",
        start / 60,
        start % 60,
        end / 60,
        end % 60
    )
}

#[cfg(test)]
mod tests;

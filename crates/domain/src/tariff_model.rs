//! A tariff as the rules console's form edits it (#23): the time frames and fare parts of the
//! RDW model, field by field, and the TOML file they make. The rules engine reads a stored file
//! into this ([`crate::RuleValidator::tariff_model`]); the form writes it back as TOML, which is
//! checked and stored as any version is. Comments in a file do not survive the form.

use crate::parking::TariffUnit;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::fmt::Write;

/// A time frame (TIJDVAK): on which days, from when to when, where, and how long at most.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameModel {
    /// `daily`, weekday names (`monday`) or dates (`2026-12-24`).
    pub days: Vec<String>,
    /// `HH:MM`.
    pub start: String,
    /// `HH:MM`, `24:00` for the end of the day.
    pub end: String,
    /// Zone codes; empty: all zones.
    pub zones: Vec<String>,
    /// Whether a parking right can be bought in it (false: nothing charged).
    pub claim_right: bool,
    /// The longest right in it, in minutes.
    pub max_duration_minutes: Option<u32>,
}

/// A fare part (TARIEFDEEL): `amount` per started `step_minutes` of the day's paid time from
/// `from_minute` to `to_minute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartModel {
    /// Step size in minutes.
    pub step_minutes: u32,
    /// Amount per step, in the tariff's unit.
    pub amount: Decimal,
    /// Where the part starts, in minutes of paid time that day.
    pub from_minute: u32,
    /// Where it ends (`None`: open-ended).
    pub to_minute: Option<u32>,
}

/// A whole tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffModel {
    /// The unit it charges in.
    pub unit: TariffUnit,
    /// The most one local day costs.
    pub day_maximum: Option<Decimal>,
    /// Local dates without paid parking.
    pub free_dates: Vec<NaiveDate>,
    /// The time frames.
    pub frames: Vec<FrameModel>,
    /// The fare parts, by `from_minute`.
    pub parts: Vec<PartModel>,
}

/// `s` as a TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `items` as a TOML array of strings.
fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(quoted).collect();
    format!("[{}]", items.join(", "))
}

impl TariffModel {
    /// The tariff file, in the layout of the demo gemeenten' files.
    pub fn to_toml(&self) -> String {
        let unit = match self.unit {
            TariffUnit::Money => "money",
            TariffUnit::Minutes => "minutes",
            TariffUnit::Sessions => "sessions",
        };
        let mut out = format!("unit = {}\n", quoted(unit));
        if let Some(max) = self.day_maximum {
            let _ = writeln!(out, "day_maximum = {}", quoted(&max.to_string()));
        }
        if !self.free_dates.is_empty() {
            let dates: Vec<String> = self.free_dates.iter().map(|d| d.to_string()).collect();
            let _ = writeln!(
                out,
                "free_dates = {}",
                list(dates.iter().map(String::as_str))
            );
        }
        for frame in &self.frames {
            out.push_str("\n[[time_frame]]\n");
            let _ = writeln!(
                out,
                "days = {}",
                list(frame.days.iter().map(String::as_str))
            );
            let _ = writeln!(out, "start = {}", quoted(&frame.start));
            let _ = writeln!(out, "end = {}", quoted(&frame.end));
            if !frame.zones.is_empty() {
                let _ = writeln!(
                    out,
                    "zones = {}",
                    list(frame.zones.iter().map(String::as_str))
                );
            }
            if !frame.claim_right {
                out.push_str("claim_right = false\n");
            }
            if let Some(max) = frame.max_duration_minutes {
                let _ = writeln!(out, "max_duration_minutes = {max}");
            }
        }
        for part in &self.parts {
            out.push_str("\n[[fare_part]]\n");
            let _ = writeln!(out, "step_minutes = {}", part.step_minutes);
            let _ = writeln!(out, "amount = {}", quoted(&part.amount.to_string()));
            if part.from_minute > 0 {
                let _ = writeln!(out, "from_minute = {}", part.from_minute);
            }
            if let Some(to) = part.to_minute {
                let _ = writeln!(out, "to_minute = {to}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_writes_the_file_the_demo_gemeenten_keep() {
        let model = TariffModel {
            unit: TariffUnit::Money,
            day_maximum: Some("12.00".parse().unwrap()),
            free_dates: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
            frames: vec![FrameModel {
                days: vec!["monday".into(), "2026-12-24".into()],
                start: "09:00".into(),
                end: "24:00".into(),
                zones: vec!["binnenstad".into()],
                claim_right: false,
                max_duration_minutes: Some(180),
            }],
            parts: vec![
                PartModel {
                    step_minutes: 1,
                    amount: "0.02".parse().unwrap(),
                    from_minute: 0,
                    to_minute: Some(120),
                },
                PartModel {
                    step_minutes: 60,
                    amount: "3".parse().unwrap(),
                    from_minute: 120,
                    to_minute: None,
                },
            ],
        };
        assert_eq!(
            model.to_toml(),
            "unit = \"money\"\nday_maximum = \"12.00\"\nfree_dates = [\"2026-12-25\"]\n\n\
             [[time_frame]]\ndays = [\"monday\", \"2026-12-24\"]\nstart = \"09:00\"\nend = \"24:00\"\n\
             zones = [\"binnenstad\"]\nclaim_right = false\nmax_duration_minutes = 180\n\n\
             [[fare_part]]\nstep_minutes = 1\namount = \"0.02\"\nto_minute = 120\n\n\
             [[fare_part]]\nstep_minutes = 60\namount = \"3\"\nfrom_minute = 120\n"
        );
    }

    #[test]
    fn strings_are_quoted_so_nothing_typed_escapes_its_value() {
        assert_eq!(quoted("a\"b\\c\nd"), "\"a\\\"b\\\\c\\u000Ad\"");
    }
}

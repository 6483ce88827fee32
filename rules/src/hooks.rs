//! The rule hooks of DESIGN §5, their built-in defaults, and the read-only context scripts get.
//! Scripts return values; this module checks their types and turns them into typed answers.

use crate::engine::{CompiledScript, RuleEngine};
use chrono::{DateTime, Datelike, NaiveTime, Utc};
use chrono_tz::Tz;
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::loket::rule::{ApplicationFacts, REASON_MAX, RuleDecision};
use parkportal_domain::parking::RuleError;
use rhai::{Dynamic, Map};
use rust_decimal::Decimal;

/// What a script may know about the action being checked. Times are given in the gemeente's
/// local time.
#[derive(Debug, Clone, PartialEq)]
pub struct HookContext {
    /// The gemeente's slug.
    pub gemeente: String,
    /// The product type's code.
    pub product_type: String,
    /// `EUR`, `minutes` or `sessions`.
    pub unit: String,
    /// The zone's code.
    pub zone: String,
    /// The plate, normalised (empty when not known yet).
    pub plate: String,
    /// The gemeente's time zone.
    pub time_zone: Tz,
    /// Start of the session (or the moment of the action).
    pub start: DateTime<Utc>,
    /// End of the session (equal to `start` for actions without a duration).
    pub end: DateTime<Utc>,
    /// The product's balance.
    pub balance: Decimal,
    /// Top-ups in the current cap period, pending payments included.
    pub top_ups_in_period: Decimal,
    /// Running sessions of the product.
    pub running_sessions: i64,
    /// Planned sessions of the product.
    pub planned_sessions: i64,
    /// Whether the actor uses the product through a mandate.
    pub mandatee: bool,
}

fn time_map(tz: Tz, at: DateTime<Utc>) -> Map {
    let local = at.with_timezone(&tz);
    let mut m = Map::new();
    m.insert("date".into(), local.format("%Y-%m-%d").to_string().into());
    m.insert("time".into(), local.format("%H:%M").to_string().into());
    m.insert("year".into(), Dynamic::from_int(i64::from(local.year())));
    m.insert("month".into(), Dynamic::from_int(i64::from(local.month())));
    m.insert("day".into(), Dynamic::from_int(i64::from(local.day())));
    m.insert(
        "hour".into(),
        Dynamic::from_int(i64::from(chrono::Timelike::hour(&local))),
    );
    m.insert(
        "minute".into(),
        Dynamic::from_int(i64::from(chrono::Timelike::minute(&local))),
    );
    let weekday = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][local.weekday().num_days_from_monday() as usize];
    m.insert("weekday".into(), weekday.into());
    m
}

impl HookContext {
    /// The context as the read-only map scripts receive (`ctx.start.hour`, `ctx.balance`, ...).
    pub fn to_map(&self) -> Map {
        let mut m = Map::new();
        m.insert("gemeente".into(), self.gemeente.clone().into());
        m.insert("product_type".into(), self.product_type.clone().into());
        m.insert("unit".into(), self.unit.clone().into());
        m.insert("zone".into(), self.zone.clone().into());
        m.insert("plate".into(), self.plate.clone().into());
        m.insert("time_zone".into(), self.time_zone.name().into());
        m.insert(
            "start".into(),
            Dynamic::from_map(time_map(self.time_zone, self.start)),
        );
        m.insert(
            "end".into(),
            Dynamic::from_map(time_map(self.time_zone, self.end)),
        );
        m.insert(
            "duration_minutes".into(),
            Dynamic::from_int((self.end - self.start).num_minutes()),
        );
        m.insert("balance".into(), Dynamic::from_decimal(self.balance));
        m.insert(
            "top_ups_in_period".into(),
            Dynamic::from_decimal(self.top_ups_in_period),
        );
        m.insert(
            "running_sessions".into(),
            Dynamic::from_int(self.running_sessions),
        );
        m.insert(
            "planned_sessions".into(),
            Dynamic::from_int(self.planned_sessions),
        );
        m.insert("mandatee".into(), Dynamic::from_bool(self.mandatee));
        m
    }
}

/// The context of `application(ctx)`: `gemeente`, `product_type`, `postcode` (`"1234 AB"`),
/// `house_number`, `zone` (`""` when no zone's ranges hold the postcode), `plates` (an array of
/// normalised plates), `now` (local, as `ctx.start` elsewhere), and the counts
/// `active_products_at_address`, `open_applications_at_address`, `active_products_for_plates`,
/// `open_applications_for_plates`.
pub fn application_map(facts: &ApplicationFacts, now: DateTime<Utc>) -> Map {
    let mut m = Map::new();
    m.insert("gemeente".into(), facts.gemeente.clone().into());
    m.insert("product_type".into(), facts.product_type.as_str().into());
    m.insert("postcode".into(), facts.postcode.as_str().into());
    m.insert("house_number".into(), facts.house_number.clone().into());
    m.insert(
        "zone".into(),
        facts
            .zone
            .as_ref()
            .map_or(String::new(), |z| z.to_string())
            .into(),
    );
    let plates: rhai::Array = facts
        .plates
        .iter()
        .map(|p| Dynamic::from(p.normalised().to_owned()))
        .collect();
    m.insert("plates".into(), plates.into());
    m.insert("time_zone".into(), facts.time_zone.name().into());
    m.insert(
        "now".into(),
        Dynamic::from_map(time_map(facts.time_zone, now)),
    );
    let c = facts.counts;
    for (key, n) in [
        ("active_products_at_address", c.active_products_at_address),
        (
            "open_applications_at_address",
            c.open_applications_at_address,
        ),
        ("active_products_for_plates", c.active_products_for_plates),
        (
            "open_applications_for_plates",
            c.open_applications_for_plates,
        ),
    ] {
        m.insert(key.into(), Dynamic::from_int(n));
    }
    m
}

/// The built-in maximum of concurrent sessions (the manual: ten for the visitor scheme).
pub const DEFAULT_MAX_CONCURRENT_SESSIONS: i64 = 10;

/// A yearly, quarterly, monthly or rolling top-up maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopUpCap {
    /// The period counted over.
    pub period: CapPeriod,
    /// The most that may be topped up in it, in the product's unit.
    pub limit: Decimal,
}

/// Allowed hours of a day, local: sessions must start at or after `from` and end by `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowedHours {
    /// Earliest start.
    pub from: NaiveTime,
    /// Latest end.
    pub to: NaiveTime,
}

/// The hooks of one script (or the defaults, without one).
pub struct Hooks<'a> {
    engine: &'a RuleEngine,
    script: Option<&'a CompiledScript>,
}

fn wrong_type(function: &str, expected: &str, got: &Dynamic) -> RuleError {
    RuleError::WrongShape {
        function: function.to_owned(),
        message: format!("returned {}, expected {expected}", got.type_name()),
    }
}

fn decimal_of(v: &Dynamic) -> Option<Decimal> {
    v.as_decimal()
        .ok()
        .or_else(|| v.as_int().ok().map(Decimal::from))
}

impl<'a> Hooks<'a> {
    /// The hooks of `script` on `engine`.
    pub fn new(engine: &'a RuleEngine, script: Option<&'a CompiledScript>) -> Self {
        Self { engine, script }
    }

    fn call(&self, function: &str, ctx: &Map) -> Option<Result<Dynamic, RuleError>> {
        self.script.and_then(|s| self.engine.call(s, function, ctx))
    }

    /// `max_concurrent_sessions(ctx)`: an integer of at least 0; default 10.
    pub fn max_concurrent_sessions(&self, ctx: &Map) -> Result<i64, RuleError> {
        const F: &str = "max_concurrent_sessions";
        match self.call(F, ctx) {
            None => Ok(DEFAULT_MAX_CONCURRENT_SESSIONS),
            Some(v) => {
                let v = v?;
                v.as_int()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| wrong_type(F, "an integer of at least 0", &v))
            }
        }
    }

    /// `end_of_day_deactivation(ctx)`: a bool; default false.
    pub fn end_of_day_deactivation(&self, ctx: &Map) -> Result<bool, RuleError> {
        self.boolean("end_of_day_deactivation", ctx, false)
    }

    /// `mandates_available(ctx)`: a bool; default true.
    pub fn mandates_available(&self, ctx: &Map) -> Result<bool, RuleError> {
        self.boolean("mandates_available", ctx, true)
    }

    fn boolean(&self, function: &str, ctx: &Map, default: bool) -> Result<bool, RuleError> {
        match self.call(function, ctx) {
            None => Ok(default),
            Some(v) => {
                let v = v?;
                v.as_bool()
                    .map_err(|_| wrong_type(function, "true or false", &v))
            }
        }
    }

    /// `allowed_hours(ctx)`: `#{from: "09:00", to: "21:00"}` or `()`; default `()`.
    pub fn allowed_hours(&self, ctx: &Map) -> Result<Option<AllowedHours>, RuleError> {
        const F: &str = "allowed_hours";
        let Some(v) = self.call(F, ctx) else {
            return Ok(None);
        };
        let v = v?;
        if v.is_unit() {
            return Ok(None);
        }
        let expected = "#{from: \"HH:MM\", to: \"HH:MM\"} or ()";
        let map = v
            .clone()
            .try_cast::<Map>()
            .ok_or_else(|| wrong_type(F, expected, &v))?;
        // "24:00" is the end of the day, so only `to` may say it (and is then kept as 00:00).
        let time = |key: &str, end_of_day_allowed: bool| {
            map.get(key)
                .and_then(|t| t.clone().into_string().ok())
                .and_then(|t| {
                    if t == "24:00" && end_of_day_allowed {
                        Some(NaiveTime::MIN)
                    } else {
                        NaiveTime::parse_from_str(&t, "%H:%M").ok()
                    }
                })
                .ok_or_else(|| wrong_type(F, expected, &v))
        };
        let (from, to) = (time("from", false)?, time("to", true)?);
        if to != NaiveTime::MIN && to <= from {
            // Hours across midnight (22:00-07:00) are two windows; a single window must not wrap.
            return Err(RuleError::WrongShape {
                function: F.into(),
                message: "allowed_hours must end after it starts on the same day (to may be 24:00)"
                    .into(),
            });
        }
        Ok(Some(AllowedHours { from, to }))
    }

    /// `top_up_cap(ctx)`: `#{period, limit}` or `()`; default `()`.
    pub fn top_up_cap(&self, ctx: &Map) -> Result<Option<TopUpCap>, RuleError> {
        const F: &str = "top_up_cap";
        let Some(v) = self.call(F, ctx) else {
            return Ok(None);
        };
        let v = v?;
        if v.is_unit() {
            return Ok(None);
        }
        let expected = "#{period: \"calendar_year\" | \"quarter\" | \"month\" | \"rolling_12_months\", limit} or ()";
        let map = v
            .clone()
            .try_cast::<Map>()
            .ok_or_else(|| wrong_type(F, expected, &v))?;
        let period = map
            .get("period")
            .and_then(|p| p.clone().into_string().ok())
            .and_then(|p| CapPeriod::parse(&p))
            .ok_or_else(|| wrong_type(F, expected, &v))?;
        let limit = map
            .get("limit")
            .and_then(decimal_of)
            .filter(|l| !l.is_sign_negative())
            .ok_or_else(|| wrong_type(F, expected, &v))?;
        Ok(Some(TopUpCap { period, limit }))
    }

    /// `application(ctx)`: `"approve"`, `"review"` or `#{reject: "reason"}` (a reason of 1 to
    /// [`REASON_MAX`] characters); default `"review"`.
    pub fn application(&self, ctx: &Map) -> Result<RuleDecision, RuleError> {
        const F: &str = "application";
        let Some(v) = self.call(F, ctx) else {
            return Ok(RuleDecision::Review);
        };
        let v = v?;
        let expected = "\"approve\", \"review\" or #{reject: \"reason\"}";
        if let Ok(word) = v.clone().into_string() {
            return match word.as_str() {
                "approve" => Ok(RuleDecision::Approve),
                "review" => Ok(RuleDecision::Review),
                _ => Err(wrong_type(F, expected, &v)),
            };
        }
        let reason = v
            .clone()
            .try_cast::<Map>()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.get("reject").cloned())
            .and_then(|r| r.into_string().ok())
            .map(|r| r.trim().to_owned())
            .ok_or_else(|| wrong_type(F, expected, &v))?;
        if reason.is_empty() || reason.chars().count() > REASON_MAX {
            return Err(RuleError::WrongShape {
                function: F.into(),
                message: format!(
                    "the reason of a rejection must have 1 to {REASON_MAX} characters"
                ),
            });
        }
        Ok(RuleDecision::Reject(reason))
    }

    /// `cost(ctx)`: `#{amount, breakdown}` overriding the tariff plugin, or `None` when the
    /// script leaves cost to the tariff.
    pub fn cost(&self, ctx: &Map) -> Option<Result<(Decimal, String), RuleError>> {
        const F: &str = "cost";
        let v = match self.call(F, ctx)? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let expected = "#{amount, breakdown}";
        let parsed = v.clone().try_cast::<Map>().and_then(|m| {
            let amount = m
                .get("amount")
                .and_then(decimal_of)
                .filter(|a| !a.is_sign_negative())?;
            let breakdown = m
                .get("breakdown")
                .map(|b| b.to_string())
                .unwrap_or_default();
            Some((amount, breakdown))
        });
        Some(parsed.ok_or_else(|| wrong_type(F, expected, &v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Limits;
    use chrono::TimeZone;

    fn ctx() -> Map {
        HookContext {
            gemeente: "dijkstad".into(),
            product_type: "bezoekers".into(),
            unit: "EUR".into(),
            zone: "binnenstad".into(),
            plate: "AB12CD".into(),
            time_zone: chrono_tz::Europe::Amsterdam,
            start: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 3, 2, 11, 30, 0).unwrap(),
            balance: "12.50".parse().unwrap(),
            top_ups_in_period: Decimal::ZERO,
            running_sessions: 2,
            planned_sessions: 1,
            mandatee: false,
        }
        .to_map()
    }

    fn with(source: &str, check: impl FnOnce(Hooks<'_>)) {
        let engine = RuleEngine::new(Limits::default());
        let script = engine.compile("t.rhai", source).unwrap();
        check(Hooks::new(&engine, Some(&script)));
    }

    #[test]
    fn defaults_apply_without_a_script() {
        let engine = RuleEngine::new(Limits::default());
        let hooks = Hooks::new(&engine, None);
        let c = ctx();
        assert_eq!(hooks.max_concurrent_sessions(&c).ok(), Some(10));
        assert_eq!(hooks.end_of_day_deactivation(&c).ok(), Some(false));
        assert_eq!(hooks.mandates_available(&c).ok(), Some(true));
        assert_eq!(hooks.allowed_hours(&c).ok(), Some(None));
        assert_eq!(hooks.top_up_cap(&c).ok(), Some(None));
        assert!(hooks.cost(&c).is_none());
    }

    #[test]
    fn scripts_read_the_context_in_local_time() {
        with(
            r#"
            fn end_of_day_deactivation(ctx) { ctx.start.weekday == "monday" && ctx.start.hour == 10 }
            fn max_concurrent_sessions(ctx) { if ctx.balance > 10.00 { 5 } else { 1 } }
            fn allowed_hours(ctx) { #{ from: "09:00", to: "21:00" } }
            fn top_up_cap(ctx) { #{ period: "calendar_year", limit: 150 } }
            fn cost(ctx) { #{ amount: ctx.duration_minutes * 0.01, breakdown: "1 cent a minute" } }
            "#,
            |h| {
                let c = ctx();
                assert_eq!(
                    h.end_of_day_deactivation(&c).ok(),
                    Some(true),
                    "10:00 local on a Monday"
                );
                assert_eq!(h.max_concurrent_sessions(&c).ok(), Some(5));
                let hours = h.allowed_hours(&c).unwrap().unwrap();
                assert_eq!(
                    (hours.from.to_string(), hours.to.to_string()),
                    ("09:00:00".into(), "21:00:00".into())
                );
                assert_eq!(h.top_up_cap(&c).unwrap().unwrap().limit, Decimal::from(150));
                let (amount, breakdown) = h.cost(&c).unwrap().unwrap();
                assert_eq!(
                    (amount.to_string(), breakdown.as_str()),
                    ("1.50".into(), "1 cent a minute")
                );
            },
        );
    }

    #[test]
    fn wrong_return_types_are_errors_never_answers() {
        with(
            r#"
            fn max_concurrent_sessions(ctx) { "ten" }
            fn end_of_day_deactivation(ctx) { 1 }
            fn allowed_hours(ctx) { #{ from: "24:00", to: "24:00" } }
            fn top_up_cap(ctx) { #{ period: "fortnight", limit: 10 } }
            fn mandates_available(ctx) { () }
            fn cost(ctx) { #{ amount: -1 } }
            "#,
            |h| {
                let c = ctx();
                assert!(
                    h.max_concurrent_sessions(&c)
                        .unwrap_err()
                        .message()
                        .contains("expected an integer")
                );
                assert!(h.end_of_day_deactivation(&c).is_err());
                assert!(h.allowed_hours(&c).is_err());
                assert!(h.top_up_cap(&c).is_err());
                assert!(h.mandates_available(&c).is_err());
                assert!(h.cost(&c).unwrap().is_err());
            },
        );
    }

    fn application_ctx(zone: Option<&str>, at_address: i64) -> Map {
        use parkportal_domain::Code;
        use parkportal_domain::letters::Postcode;
        use parkportal_domain::loket::rule::Counts;
        use parkportal_domain::plate::Plate;
        application_map(
            &ApplicationFacts {
                gemeente: "dijkstad".into(),
                product_type: Code::parse("bewoners").unwrap(),
                time_zone: chrono_tz::Europe::Amsterdam,
                postcode: Postcode::parse("1234ab").unwrap(),
                house_number: "12 A".into(),
                zone: zone.map(|z| Code::parse(z).unwrap()),
                plates: vec![Plate::parse_tagged("AB-12-34").unwrap()],
                counts: Counts {
                    active_products_at_address: at_address,
                    ..Counts::default()
                },
            },
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        )
    }

    #[test]
    fn application_decides_from_its_context_and_reviews_by_default() {
        let engine = RuleEngine::new(Limits::default());
        assert_eq!(
            Hooks::new(&engine, None)
                .application(&application_ctx(None, 0))
                .ok(),
            Some(RuleDecision::Review)
        );
        with(
            r#"
            fn application(ctx) {
                if ctx.zone == "" { return #{ reject: "Uw adres ligt niet in een vergunningsgebied." }; }
                if ctx.active_products_at_address > 0 { return "review"; }
                if ctx.plates.len() == 1 && ctx.plates[0] == "AB1234" && ctx.postcode == "1234 AB"
                    && ctx.house_number == "12 A" && ctx.now.hour == 10 { "approve" } else { "review" }
            }
            "#,
            |h| {
                assert_eq!(
                    h.application(&application_ctx(Some("centrum"), 0)).ok(),
                    Some(RuleDecision::Approve)
                );
                assert_eq!(
                    h.application(&application_ctx(Some("centrum"), 1)).ok(),
                    Some(RuleDecision::Review)
                );
                assert_eq!(
                    h.application(&application_ctx(None, 0)).ok(),
                    Some(RuleDecision::Reject(
                        "Uw adres ligt niet in een vergunningsgebied.".into()
                    ))
                );
            },
        );
        for wrong in [
            r#"fn application(ctx) { "yes" }"#,
            r#"fn application(ctx) { true }"#,
            r#"fn application(ctx) { #{ reject: "" } }"#,
            r#"fn application(ctx) { #{ reject: "x", approve: true } }"#,
            r#"fn application(ctx) { #{ reason: "x" } }"#,
        ] {
            with(wrong, |h| {
                let e = h.application(&application_ctx(None, 0)).unwrap_err();
                assert_eq!(e.function(), "application", "{wrong}: {e}");
            });
        }
    }
}

//! A product type's rules as one object: its compiled script (or none) and its tariff (or none),
//! and the decisions made from them. The engine, not the script, turns hook values into reasons and
//! alternatives, so every gemeente gets the same wording and the same kinds of proposal.

use crate::engine::{CompiledScript, RuleEngine};
use crate::hooks::{AllowedHours, HookContext, Hooks, TopUpCap, application_map};
use crate::tariff::{CostBreakdown, Tariff, TariffUnit};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use parkportal_domain::TenantId;
use parkportal_domain::calendar::{end_of_day, local_date, local_instant};
use parkportal_domain::loket::rule::{ApplicationFacts, RuleDecision};
use parkportal_domain::parking::{
    Alternative, HookAnswers, RuleError, RuleVersions, ScriptVersion, SessionCheck, Verdict,
};
use parkportal_domain::rules::{AlternativeKind, ReasonCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::sync::Arc;

/// A failed hook call as the rule-error table keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleErrorRecord {
    /// The gemeente, when the rules came from the database.
    pub tenant: Option<TenantId>,
    /// The gemeente's slug.
    pub gemeente: String,
    /// The script's name.
    pub script: String,
    /// The script's version.
    pub script_version: ScriptVersion,
    /// The hook.
    pub function: String,
    /// What went wrong.
    pub message: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where failed hook calls are written (a database table in production; memory in tests).
pub trait RuleErrorSink: Send + Sync {
    /// Records one failure. Must not fail the caller: the action is denied either way.
    fn record(&self, error: RuleErrorRecord);
}

/// The rules of one product type of one gemeente.
#[derive(Clone)]
pub struct RuleSet {
    engine: Arc<RuleEngine>,
    tenant: Option<TenantId>,
    tariff_version: i64,
    gemeente: String,
    product_type: String,
    script: Option<CompiledScript>,
    script_version: i64,
    tariff: Option<Tariff>,
}

impl RuleSet {
    /// The rules of `product_type` in `gemeente`: `script` (with its version) and `tariff` may
    /// each be absent; without a tariff nothing is charged.
    pub fn new(
        engine: Arc<RuleEngine>,
        gemeente: impl Into<String>,
        product_type: impl Into<String>,
        script: Option<(CompiledScript, i64)>,
        tariff: Option<Tariff>,
    ) -> Self {
        let (script, script_version) = match script {
            Some((s, v)) => (Some(s), v),
            None => (None, 0),
        };
        Self {
            engine,
            tenant: None,
            tariff_version: 0,
            gemeente: gemeente.into(),
            product_type: product_type.into(),
            script,
            script_version,
            tariff,
        }
    }

    /// The same rules, marked as those of gemeente `tenant` with the tariff's stored version.
    pub fn stored(mut self, tenant: TenantId, tariff_version: i64) -> Self {
        self.tenant = Some(tenant);
        self.tariff_version = tariff_version;
        self
    }

    /// The versions of the rule script and the tariff (0 without one); a session records them.
    pub fn versions(&self) -> RuleVersions {
        RuleVersions::new(self.script_version, self.tariff_version)
    }

    fn hooks(&self) -> Hooks<'_> {
        Hooks::new(&self.engine, self.script.as_ref())
    }

    /// What every hook answers about `req`, by hook name, within one budget: a failing hook as
    /// `{"rule_error": message}`, a hook the script leaves out as its default, amounts as the
    /// APIs write them. What a dry-run and `rules try` show; nothing is recorded.
    pub fn hook_answers(&self, req: &SessionCheck) -> HookAnswers {
        self.engine.within_budget(|| {
            let ctx = self.context(req, req.start, req.end);
            let hooks = self.hooks();
            let unit = self.unit();
            let show = |r: Result<Value, RuleError>| {
                r.unwrap_or_else(|e| json!({ "rule_error": e.message() }))
            };
            let hours = hooks.allowed_hours(&ctx).map(|h| {
                h.map_or(Value::Null, |h| {
                    json!({ "from": h.from.format("%H:%M").to_string(), "to": h.to.format("%H:%M").to_string() })
                })
            });
            let cap = hooks.top_up_cap(&ctx).map(|c| {
                c.map_or(Value::Null, |c| {
                    json!({ "period": c.period.as_str(), "limit": unit.amount_json(c.limit) })
                })
            });
            let cost = match hooks.cost(&ctx) {
                None => Ok(Value::Null),
                Some(r) => r.map(|(amount, breakdown)| {
                    json!({ "amount": unit.amount_json(amount), "breakdown": breakdown })
                }),
            };
            let mut answers = HookAnswers::new();
            for (name, answer) in [
                ("max_concurrent_sessions", hooks.max_concurrent_sessions(&ctx).map(Value::from)),
                ("end_of_day_deactivation", hooks.end_of_day_deactivation(&ctx).map(Value::from)),
                ("allowed_hours", hours),
                ("top_up_cap", cap),
                ("mandates_available", hooks.mandates_available(&ctx).map(Value::from)),
                ("cost", cost),
            ] {
                answers.insert(name.to_owned(), show(answer));
            }
            answers
        })
    }

    fn unit(&self) -> TariffUnit {
        self.tariff.as_ref().map_or(TariffUnit::Money, |t| t.unit)
    }

    fn context(&self, req: &SessionCheck, start: DateTime<Utc>, end: DateTime<Utc>) -> rhai::Map {
        HookContext {
            gemeente: self.gemeente.clone(),
            product_type: self.product_type.clone(),
            unit: self.unit().api_name().to_owned(),
            zone: req.zone.clone(),
            plate: req.plate.clone(),
            time_zone: req.time_zone,
            start,
            end,
            balance: req.balance,
            top_ups_in_period: req.top_ups_in_period,
            // Counted from the start being judged, which for a proposal is not the one asked.
            running_sessions: req
                .others
                .iter()
                .filter(|(s, e)| *s <= start && start < *e)
                .count() as i64,
            planned_sessions: req.others.iter().filter(|(s, _)| *s > start).count() as i64,
            mandatee: req.mandatee,
        }
        .to_map()
    }

    /// Records `error` of these rules in `sink`.
    pub fn record(
        &self,
        error: &RuleError,
        plate: &str,
        now: DateTime<Utc>,
        sink: &dyn RuleErrorSink,
    ) {
        // A script's error message may quote any value it saw, the plate included; plates never
        // reach a log or the rule-error table.
        let message = if plate.is_empty() {
            error.message()
        } else {
            error.message().replace(plate, "[kenteken]")
        };
        let function = error.function();
        tracing::warn!(gemeente = %self.gemeente, function = %function, error = %message, "rule script failed");
        sink.record(RuleErrorRecord {
            tenant: self.tenant,
            gemeente: self.gemeente.clone(),
            script: self
                .script
                .as_ref()
                .map(|s| s.name().to_owned())
                .unwrap_or_default(),
            script_version: ScriptVersion(self.script_version),
            function: function.to_owned(),
            message,
            at: now,
        });
    }

    /// The cost of [start, end) in `req`'s zone: the script's `cost` hook when it has one, else the
    /// tariff, else nothing.
    pub fn cost(
        &self,
        req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<CostBreakdown, RuleError> {
        if let Some(result) = self.hooks().cost(&self.context(req, start, end)) {
            let (amount, breakdown) = result?;
            // Amounts finer than the unit (a tenth of a cent, half a minute) are rounded up.
            let amount = amount.round_dp_with_strategy(
                self.unit().decimals(),
                rust_decimal::RoundingStrategy::AwayFromZero,
            );
            return Ok(CostBreakdown {
                amount,
                note: Some(breakdown),
                ..CostBreakdown::nothing(self.unit())
            });
        }
        Ok(match &self.tariff {
            Some(t) => t.cost(req.time_zone, &req.zone, start, end),
            None => CostBreakdown::nothing(self.unit()),
        })
    }

    /// The reasons [start, end) would be refused, and its cost.
    fn violations(
        &self,
        req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<(Vec<ReasonCode>, CostBreakdown, Option<AllowedHours>), RuleError> {
        let ctx = self.context(req, start, end);
        let hooks = self.hooks();
        let tz = req.time_zone;
        let mut reasons = Vec::new();
        if hooks.end_of_day_deactivation(&ctx)? && end > end_of_day(tz, start) {
            reasons.push(ReasonCode::EndOfDay);
        }
        let mut outside = None;
        if let Some(hours) = hooks.allowed_hours(&ctx)? {
            let (from, to) = allowed_window(tz, start, hours.from, hours.to);
            if start < from || end > to {
                reasons.push(ReasonCode::OutsideAllowedHours);
                outside = Some(hours);
            }
        }
        let max = hooks.max_concurrent_sessions(&ctx)?;
        if most_at_once(&req.others, start, end) + 1 > max {
            reasons.push(ReasonCode::MaxConcurrentSessions);
        }
        let cost = self.cost(req, start, end)?;
        let charges =
            self.tariff.is_some() || self.script.as_ref().is_some_and(|s| s.defines("cost"));
        if charges && cost.amount - req.reserved > req.balance {
            reasons.push(ReasonCode::InsufficientBalance);
        }
        Ok((reasons, cost, outside))
    }

    /// Checks a session and, when refused, finds every alternative that fits. A script failure
    /// refuses with `rule_error`, is recorded, and offers nothing. For an extension
    /// (`req.extends`, the session's current end) the alternatives are extensions too: they keep
    /// the start and end after the current end (the session as it stands is no proposal), and
    /// none starts later.
    pub fn check_session(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
        sink: &dyn RuleErrorSink,
    ) -> Verdict {
        // Every hook call of this decision shares one wall-clock budget.
        self.engine.within_budget(|| self.decide(req, now, sink))
    }

    fn decide(&self, req: &SessionCheck, now: DateTime<Utc>, sink: &dyn RuleErrorSink) -> Verdict {
        let (reasons, cost, outside) = match self.violations(req, req.start, req.end) {
            Ok(found) => found,
            Err(e) => {
                self.record(&e, &req.plate, now, sink);
                return Verdict {
                    breakdown: CostBreakdown::nothing(self.unit()),
                    reasons: vec![ReasonCode::RuleError],
                    alternatives: Vec::new(),
                    allowed_hours: None,
                };
            }
        };
        if reasons.is_empty() {
            return Verdict {
                breakdown: cost,
                reasons,
                alternatives: Vec::new(),
                allowed_hours: None,
            };
        }
        let allowed_hours = outside.map(|h| (h.from, h.to));
        match self.alternatives(req, &reasons) {
            Ok(alternatives) => Verdict {
                breakdown: cost,
                reasons,
                alternatives,
                allowed_hours,
            },
            Err(e) => {
                self.record(&e, &req.plate, now, sink);
                Verdict {
                    breakdown: cost,
                    reasons: vec![ReasonCode::RuleError],
                    alternatives: Vec::new(),
                    allowed_hours: None,
                }
            }
        }
    }

    fn alternatives(
        &self,
        req: &SessionCheck,
        reasons: &[ReasonCode],
    ) -> Result<Vec<Alternative>, RuleError> {
        let extends = req.extends;
        let tz = req.time_zone;
        let (start, end) = (req.start, req.end);
        let duration = end - start;
        let mut candidates: Vec<(AlternativeKind, DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        let ctx = self.context(req, start, end);
        let hours = self.hooks().allowed_hours(&ctx)?;
        if reasons.contains(&ReasonCode::EndOfDay) {
            candidates.push((AlternativeKind::EndOfDay, start, end_of_day(tz, start)));
        }
        if reasons.contains(&ReasonCode::OutsideAllowedHours)
            && let Some(h) = hours
        {
            let (from, to) = allowed_window(tz, start, h.from, h.to);
            if start >= from && start < to {
                candidates.push((AlternativeKind::EndOfDay, start, to));
            }
            // The next allowed start: today's opening if still ahead, else tomorrow's.
            let next = if start < from {
                from
            } else {
                let tomorrow = end_of_day(tz, start);
                allowed_window(tz, tomorrow, h.from, h.to).0
            };
            let close = allowed_window(tz, next, h.from, h.to).1;
            candidates.push((
                AlternativeKind::StartLater,
                next,
                (next + duration).min(close),
            ));
        }
        if reasons.contains(&ReasonCode::MaxConcurrentSessions) {
            let mut ends: Vec<DateTime<Utc>> = req
                .others
                .iter()
                .map(|(_, e)| *e)
                .filter(|e| *e > start)
                .collect();
            ends.sort();
            ends.dedup();
            let max = self.hooks().max_concurrent_sessions(&ctx)?;
            if let Some(t) = ends
                .into_iter()
                .find(|t| most_at_once(&req.others, *t, *t + duration) < max)
            {
                candidates.push((AlternativeKind::StartLater, t, t + duration));
            }
        }
        if reasons.contains(&ReasonCode::InsufficientBalance) {
            candidates.push((AlternativeKind::ShortenToBalance, start, end));
        }
        let mut found: Vec<Alternative> = Vec::new();
        for (kind, s, e) in candidates {
            if e <= s {
                continue;
            }
            // An extension keeps its start and must end later than it does now.
            if let Some(current_end) = extends
                && (s != start || e <= current_end)
            {
                continue;
            }
            let (mut problems, mut cost, _) = self.violations(req, s, e)?;
            let (mut kind, mut e) = (kind, e);
            // A proposal the balance cannot pay is shortened to what it can.
            if problems == [ReasonCode::InsufficientBalance] {
                match self.longest_paid_end(req, s, e, extends)? {
                    Some(shorter) => {
                        e = shorter;
                        kind = if kind == AlternativeKind::StartLater {
                            kind
                        } else {
                            AlternativeKind::ShortenToBalance
                        };
                        (problems, cost, _) = self.violations(req, s, e)?;
                    }
                    None => continue,
                }
            }
            let alternative = Alternative {
                kind,
                start: s,
                end: e,
                cost: cost.amount,
            };
            if problems.is_empty() && !found.iter().any(|a| a.start == s && a.end == e) {
                found.push(alternative);
            }
        }
        Ok(found)
    }

    /// The latest end in (start, end], and after `after` when given (an extension's current
    /// end), whose cost the balance pays, to the minute; costs never fall when the end moves
    /// later, so a binary search finds it.
    fn longest_paid_end(
        &self,
        req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        after: Option<DateTime<Utc>>,
    ) -> Result<Option<DateTime<Utc>>, RuleError> {
        let fits = |minutes: i64| -> Result<bool, RuleError> {
            let cost = self.cost(req, start, start + Duration::minutes(minutes))?;
            Ok(cost.amount - req.reserved <= req.balance)
        };
        // The first whole minute from the start that lies after `after`.
        let first = after.map_or(1, |a| (a - start).num_seconds().div_euclid(60) + 1);
        let (mut lo, mut hi) = (first.max(1), (end - start).num_minutes());
        if hi < lo || !fits(lo)? {
            return Ok(None);
        }
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if fits(mid)? { lo = mid } else { hi = mid - 1 }
        }
        Ok(Some(start + Duration::minutes(lo)))
    }

    /// Whether a top-up of `amount` fits the period's cap; `Ok(None)` means no cap applies,
    /// `Ok(Some(room))` how much may still be topped up.
    pub fn top_up_room(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
        sink: &dyn RuleErrorSink,
    ) -> Result<Option<Decimal>, ReasonCode> {
        Ok(self
            .top_up_cap(req, now, sink)?
            .map(|cap| (cap.limit - req.top_ups_in_period).max(Decimal::ZERO)))
    }

    /// The period's top-up cap (`Ok(None)`: none), with `req.top_ups_in_period` in its context.
    pub fn top_up_cap(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
        sink: &dyn RuleErrorSink,
    ) -> Result<Option<TopUpCap>, ReasonCode> {
        self.hooks()
            .top_up_cap(&self.context(req, now, now))
            .map_err(|e| {
                self.record(&e, &req.plate, now, sink);
                ReasonCode::RuleError
            })
    }

    /// What `application(ctx)` decides about `facts`, within one budget; a failure is recorded
    /// (plates replaced) and returned: the caller takes it as review.
    pub fn application(
        &self,
        facts: &ApplicationFacts,
        now: DateTime<Utc>,
        sink: &dyn RuleErrorSink,
    ) -> Result<RuleDecision, RuleError> {
        let ctx = application_map(facts, now);
        self.engine
            .within_budget(|| self.hooks().application(&ctx))
            .inspect_err(|e| {
                // Plates and the postcode are personal data: never in a log or the table (a
                // house number alone, without its postcode, points at no one; replacing it would
                // mangle the message's line numbers).
                let mut message = e.message();
                for plate in &facts.plates {
                    message = message
                        .replace(plate.normalised(), "[kenteken]")
                        .replace(&plate.display(), "[kenteken]");
                }
                let postcode = facts.postcode.as_str();
                message = message
                    .replace(postcode, "[postcode]")
                    .replace(&postcode.replace(' ', ""), "[postcode]");
                let redacted = RuleError::Runtime {
                    function: e.function().to_owned(),
                    message,
                };
                self.record(&redacted, "", now, sink);
            })
    }

    /// Whether the owner may give mandates on this product.
    pub fn mandates_available(
        &self,
        req: &SessionCheck,
        now: DateTime<Utc>,
        sink: &dyn RuleErrorSink,
    ) -> Result<(), ReasonCode> {
        match self
            .hooks()
            .mandates_available(&self.context(req, now, now))
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(ReasonCode::MandatesUnavailable),
            Err(e) => {
                self.record(&e, &req.plate, now, sink);
                Err(ReasonCode::RuleError)
            }
        }
    }
}

/// The allowed [from, to) on the local day of `at`; `to` of 00:00 means the end of that day.
fn allowed_window(
    tz: Tz,
    at: DateTime<Utc>,
    from: NaiveTime,
    to: NaiveTime,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let date = local_date(tz, at);
    let open = local_instant(tz, date.and_time(from));
    let close = if to == NaiveTime::MIN {
        end_of_day(tz, at)
    } else {
        local_instant(tz, date.and_time(to))
    };
    (open, close)
}

/// The most of `others` that run at one instant within [start, end).
fn most_at_once(
    others: &[(DateTime<Utc>, DateTime<Utc>)],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> i64 {
    let mut events: Vec<(DateTime<Utc>, i64)> = Vec::new();
    for (s, e) in others {
        let (s, e) = ((*s).max(start), (*e).min(end));
        if s < e {
            events.push((s, 1));
            events.push((e, -1));
        }
    }
    // Ends sort before starts at the same instant: [a, b) and [b, c) never overlap.
    events.sort_by_key(|(t, d)| (*t, *d));
    let (mut now, mut most) = (0, 0);
    for (_, d) in events {
        now += d;
        most = most.max(now);
    }
    most
}

#[cfg(test)]
mod tests;

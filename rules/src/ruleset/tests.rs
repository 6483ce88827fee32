//! Decisions and alternatives on the demo gemeenten's scripts and tariffs.

use super::*;
use crate::engine::Limits;
use chrono::TimeZone;
use chrono_tz::Europe::Amsterdam;
use std::sync::Mutex;

#[derive(Default)]
struct Recorded(Mutex<Vec<RuleErrorRecord>>);

impl RuleErrorSink for Recorded {
    fn record(&self, error: RuleErrorRecord) {
        self.0.lock().unwrap().push(error);
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A local Amsterdam time.
fn at(y: i32, mo: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Amsterdam
        .with_ymd_and_hms(y, mo, day, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn demo(slug: &str) -> RuleSet {
    let dir = format!("{}/../tenants/{slug}", env!("CARGO_MANIFEST_DIR"));
    let engine = Arc::new(RuleEngine::new(Limits::default()));
    let source = std::fs::read_to_string(format!("{dir}/rules/bezoekers.rhai")).unwrap();
    let script = engine.compile("bezoekers.rhai", &source).unwrap();
    let tariff = Tariff::from_toml(
        &std::fs::read_to_string(format!("{dir}/tariffs/bezoekers.toml")).unwrap(),
    )
    .unwrap();
    RuleSet::new(engine, slug, "bezoekers", Some((script, 1)), Some(tariff))
}

fn request(start: DateTime<Utc>, end: DateTime<Utc>, balance: &str) -> SessionCheck {
    SessionCheck {
        time_zone: Amsterdam,
        zone: "centrum".into(),
        plate: "AB12CD".into(),
        start,
        end,
        balance: d(balance),
        reserved: Decimal::ZERO,
        others: Vec::new(),
        top_ups_in_period: Decimal::ZERO,
        mandatee: false,
        extends: None,
    }
}

fn check(rules: &RuleSet, req: &SessionCheck) -> Verdict {
    rules.check_session(req, req.start, &Recorded::default())
}

#[test]
fn a_session_the_balance_pays_is_allowed_with_its_cost() {
    let decision = check(
        &demo("dijkstad"),
        &request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0), "25.00"),
    );
    assert!(decision.allowed(), "{decision:?}");
    assert_eq!(decision.cost(), d("2.40"));
    assert_eq!(decision.breakdown.days[0].paid_seconds, 7200);
}

#[test]
fn too_little_balance_proposes_the_longest_session_it_pays() {
    let decision = check(
        &demo("dijkstad"),
        &request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0), "1.00"),
    );
    assert_eq!(decision.reasons, vec![ReasonCode::InsufficientBalance]);
    assert_eq!(
        decision.alternatives,
        vec![Alternative {
            kind: AlternativeKind::ShortenToBalance,
            start: at(2026, 3, 2, 10, 0),
            end: at(2026, 3, 2, 10, 50),
            cost: d("1.00")
        }]
    );
    // With no balance at all there is nothing to propose.
    assert!(
        check(
            &demo("dijkstad"),
            &request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0), "0")
        )
        .alternatives
        .is_empty()
    );
}

#[test]
fn an_extension_pays_only_the_difference() {
    let mut req = request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 13, 0), "1.20");
    req.reserved = d("2.40");
    assert!(check(&demo("dijkstad"), &req).allowed());
    req.balance = d("1.19");
    assert_eq!(
        check(&demo("dijkstad"), &req).reasons,
        vec![ReasonCode::InsufficientBalance]
    );
}

#[test]
fn an_extension_the_balance_cannot_pay_proposes_a_shorter_extension_never_the_session_itself() {
    // 10:00-12:00 holds EUR 2.40 (1.20 an hour); asked until 14:00 with EUR 0.60 left.
    let extend = |balance: &str| {
        let mut req = request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 14, 0), balance);
        req.reserved = d("2.40");
        req.extends = Some(at(2026, 3, 2, 12, 0));
        demo("dijkstad").check_session(&req, at(2026, 3, 2, 10, 30), &Recorded::default())
    };
    let decision = extend("0.60");
    assert_eq!(decision.reasons, vec![ReasonCode::InsufficientBalance]);
    assert_eq!(
        decision.alternatives,
        vec![Alternative {
            kind: AlternativeKind::ShortenToBalance,
            start: at(2026, 3, 2, 10, 0),
            end: at(2026, 3, 2, 12, 30),
            cost: d("3.00")
        }]
    );
    // Not a cent more: the session as it is would be the only "alternative", and is none.
    let decision = extend("0");
    assert_eq!(decision.reasons, vec![ReasonCode::InsufficientBalance]);
    assert_eq!(decision.alternatives, vec![]);
    // As a new session the same request proposes what the balance pays from the start.
    let mut req = request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 14, 0), "0");
    req.reserved = d("2.40");
    assert_eq!(check(&demo("dijkstad"), &req).alternatives.len(), 1);
}

#[test]
fn havenmond_ends_sessions_at_the_end_of_the_day() {
    let decision = check(
        &demo("havenmond"),
        &request(at(2026, 3, 2, 22, 0), at(2026, 3, 3, 10, 0), "30000"),
    );
    assert_eq!(decision.reasons, vec![ReasonCode::EndOfDay]);
    assert_eq!(
        decision.alternatives,
        vec![Alternative {
            kind: AlternativeKind::EndOfDay,
            start: at(2026, 3, 2, 22, 0),
            end: at(2026, 3, 3, 0, 0),
            cost: d("60")
        }]
    );
}

#[test]
fn weidevelde_only_between_nine_and_nine() {
    let rules = demo("weidevelde");
    let early = check(
        &rules,
        &request(at(2026, 3, 2, 8, 0), at(2026, 3, 2, 10, 0), "25.00"),
    );
    assert_eq!(early.reasons, vec![ReasonCode::OutsideAllowedHours]);
    assert_eq!(
        early.alternatives,
        vec![Alternative {
            kind: AlternativeKind::StartLater,
            start: at(2026, 3, 2, 9, 0),
            end: at(2026, 3, 2, 11, 0),
            cost: d("1.20")
        }]
    );
    let late = check(
        &rules,
        &request(at(2026, 3, 2, 20, 0), at(2026, 3, 2, 22, 0), "25.00"),
    );
    let kinds: Vec<_> = late
        .alternatives
        .iter()
        .map(|a| (a.kind, a.start, a.end))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                AlternativeKind::EndOfDay,
                at(2026, 3, 2, 20, 0),
                at(2026, 3, 2, 21, 0)
            ),
            (
                AlternativeKind::StartLater,
                at(2026, 3, 3, 9, 0),
                at(2026, 3, 3, 11, 0)
            ),
        ]
    );
}

#[test]
fn at_most_ten_at_once_counts_overlap_not_sessions() {
    let rules = demo("dijkstad");
    let mut req = request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0), "25.00");
    // Ten sessions one after another never overlap each other: one at a time.
    req.others = (0..10)
        .map(|i| {
            (
                at(2026, 3, 2, 10, 0) + Duration::minutes(12 * i),
                at(2026, 3, 2, 10, 0) + Duration::minutes(12 * i + 12),
            )
        })
        .collect();
    assert!(check(&rules, &req).allowed());
    // Ten at once: refused, and the proposal starts when the first of them ends.
    req.others = (0..10)
        .map(|i| {
            (
                at(2026, 3, 2, 9, 0),
                at(2026, 3, 2, 11, 0) + Duration::minutes(i),
            )
        })
        .collect();
    let decision = check(&rules, &req);
    assert_eq!(decision.reasons, vec![ReasonCode::MaxConcurrentSessions]);
    assert_eq!(
        decision.alternatives,
        vec![Alternative {
            kind: AlternativeKind::StartLater,
            start: at(2026, 3, 2, 11, 0),
            end: at(2026, 3, 2, 13, 0),
            cost: d("2.40")
        }]
    );
}

#[test]
fn every_hostile_script_is_refused_with_rule_error_and_recorded_while_others_go_on() {
    let engine = Arc::new(RuleEngine::new(Limits {
        wall_clock: std::time::Duration::from_millis(50),
        ..Limits::default()
    }));
    let tariff = demo("dijkstad").tariff.clone();
    let hostile = [
        ("loop.rhai", "fn max_concurrent_sessions(ctx) { loop {} }"),
        (
            "recursion.rhai",
            "fn f(n) { f(n + 1) } fn max_concurrent_sessions(ctx) { f(0) }",
        ),
        (
            "string.rhai",
            "fn max_concurrent_sessions(ctx) { let s = \"x\"; loop { s += s; } }",
        ),
        (
            "array.rhai",
            "fn max_concurrent_sessions(ctx) { let a = []; loop { a.push(1); } }",
        ),
        (
            "unknown.rhai",
            "fn allowed_hours(ctx) { opening_hours(ctx) }",
        ),
        ("type.rhai", "fn end_of_day_deactivation(ctx) { \"yes\" }"),
    ];
    // The ordinary evaluation runs on the same shared engine as the hostile ones.
    let dir = format!("{}/../tenants/dijkstad", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(format!("{dir}/rules/bezoekers.rhai")).unwrap();
    let ordinary = RuleSet::new(
        engine.clone(),
        "dijkstad",
        "bezoekers",
        Some((engine.compile("bezoekers.rhai", &source).unwrap(), 1)),
        tariff.clone(),
    );
    let req = request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0), "25.00");
    // Ordinary checks run on another thread for as long as the hostile ones take.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let background = {
        let (done, ordinary, req) = (done.clone(), ordinary.clone(), req.clone());
        std::thread::spawn(move || {
            let mut checks = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) || checks == 0 {
                let decision = ordinary.check_session(&req, req.start, &Recorded::default());
                assert!(decision.allowed() && decision.cost() == d("2.40"));
                checks += 1;
            }
            checks
        })
    };
    for (name, source) in hostile {
        let script = engine.compile(name, source).unwrap();
        let rules = RuleSet::new(
            engine.clone(),
            "dijkstad",
            "bezoekers",
            Some((script, 7)),
            tariff.clone(),
        );
        let sink = Recorded::default();
        let decision = rules.check_session(&req, at(2026, 3, 2, 10, 0), &sink);
        assert_eq!(decision.reasons, vec![ReasonCode::RuleError], "{name}");
        assert!(decision.alternatives.is_empty(), "{name}");
        let recorded = sink.0.lock().unwrap();
        assert_eq!(recorded.len(), 1, "{name}");
        assert_eq!(
            (recorded[0].script.as_str(), recorded[0].script_version),
            (name, ScriptVersion(7))
        );
        assert!(!recorded[0].message.is_empty());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(background.join().unwrap() > 0);
}

#[test]
fn top_up_room_and_mandates() {
    let rules = demo("dijkstad");
    let sink = Recorded::default();
    let mut req = request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 10, 0), "0");
    req.top_ups_in_period = d("200.00");
    assert_eq!(
        rules.top_up_room(&req, req.start, &sink),
        Ok(Some(d("50.00")))
    );
    req.top_ups_in_period = d("300.00");
    assert_eq!(
        rules.top_up_room(&req, req.start, &sink),
        Ok(Some(Decimal::ZERO))
    );
    assert_eq!(
        demo("weidevelde").top_up_room(&req, req.start, &sink),
        Ok(None)
    );
    assert_eq!(rules.mandates_available(&req, req.start, &sink), Ok(()));
    let engine = Arc::new(RuleEngine::new(Limits::default()));
    let script = engine
        .compile("m.rhai", "fn mandates_available(ctx) { false }")
        .unwrap();
    let none = RuleSet::new(engine, "x", "bezoekers", Some((script, 1)), None);
    assert_eq!(
        none.mandates_available(&req, req.start, &sink),
        Err(ReasonCode::MandatesUnavailable)
    );
}

#[test]
fn a_plate_quoted_in_a_script_error_is_never_recorded() {
    let engine = Arc::new(RuleEngine::new(Limits::default()));
    let script = engine
        .compile(
            "leak.rhai",
            "fn max_concurrent_sessions(ctx) { throw `no room for ${ctx.plate}` }",
        )
        .unwrap();
    let rules = RuleSet::new(
        engine,
        "dijkstad",
        "bezoekers",
        Some((script, 1)),
        demo("dijkstad").tariff.clone(),
    );
    let sink = Recorded::default();
    let req = request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0), "25.00");
    assert_eq!(
        rules.check_session(&req, req.start, &sink).reasons,
        vec![ReasonCode::RuleError]
    );
    let recorded = sink.0.lock().unwrap();
    assert!(
        !recorded[0].message.contains("AB12CD"),
        "{}",
        recorded[0].message
    );
    assert!(
        recorded[0].message.contains("[kenteken]"),
        "{}",
        recorded[0].message
    );
}

#[test]
fn a_script_that_prices_sessions_is_held_to_the_balance() {
    let engine = Arc::new(RuleEngine::new(Limits::default()));
    let script = engine
        .compile(
            "cost.rhai",
            "fn cost(ctx) { #{ amount: ctx.duration_minutes * 0.015, breakdown: \"1.5 ct/min\" } }",
        )
        .unwrap();
    // No tariff file at all: the script alone prices the session.
    let rules = RuleSet::new(engine, "x", "bezoekers", Some((script, 1)), None);
    let decision = check(
        &rules,
        &request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 10, 3), "1.00"),
    );
    assert_eq!(
        decision.cost(),
        d("0.05"),
        "0.045 rounds up to a whole cent"
    );
    assert!(decision.allowed());
    let decision = check(
        &rules,
        &request(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0), "1.00"),
    );
    assert_eq!(decision.reasons, vec![ReasonCode::InsufficientBalance]);
    assert_eq!(
        decision.alternatives[0].end,
        at(2026, 3, 2, 11, 6),
        "66 minutes cost 0.99"
    );
}

//! Benchmarks of the rules: a precompiled hook call, a three-day tariff calculation, a whole
//! session check, and the time to deny each hostile script. Run with
//! `cargo run --release -p parkportal-bench`; never part of CI. Each figure is the median of
//! several rounds, so one slow round on a busy machine does not decide it.

#![expect(
    clippy::print_stdout,
    reason = "a benchmark reports on standard output"
)]

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use parkportal_domain::parking::SessionCheck;
use parkportal_rules::Tariff;
use parkportal_rules::engine::{Limits, RuleEngine};
use parkportal_rules::hooks::{HookContext, Hooks};
use parkportal_rules::ruleset::{RuleErrorRecord, RuleErrorSink, RuleSet};
use rust_decimal::Decimal;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Discard;

impl RuleErrorSink for Discard {
    fn record(&self, _: RuleErrorRecord) {}
}

fn tenants() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tenants")
}

fn local(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Amsterdam
        .with_ymd_and_hms(y, mo, d, h, 0, 0)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The median time per iteration over `rounds` rounds of `iterations`.
fn measure(iterations: u32, rounds: usize, mut f: impl FnMut()) -> Duration {
    let mut per_round: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..iterations {
                f();
            }
            started.elapsed() / iterations
        })
        .collect();
    per_round.sort();
    per_round[rounds / 2]
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() {
    let engine = Arc::new(RuleEngine::new(Limits {
        wall_clock: Duration::from_millis(50),
        ..Limits::default()
    }));
    let script = engine
        .compile(
            "bezoekers.rhai",
            &read(tenants().join("dijkstad/rules/bezoekers.rhai")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let tariff = Tariff::from_toml(&read(tenants().join("dijkstad/tariffs/bezoekers.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    let (start, end) = (local(2026, 3, 2, 10), local(2026, 3, 5, 10));
    let ctx = HookContext {
        gemeente: "dijkstad".into(),
        product_type: "bezoekers".into(),
        unit: "EUR".into(),
        zone: "binnenstad".into(),
        plate: "AB12CD".into(),
        time_zone: Amsterdam,
        start,
        end,
        balance: Decimal::from(25),
        top_ups_in_period: Decimal::ZERO,
        running_sessions: 3,
        planned_sessions: 1,
        mandatee: false,
    }
    .to_map();
    let hooks = Hooks::new(&engine, Some(&script));

    println!("Parkportal rules benchmarks (median per call)");
    let hook = measure(20_000, 7, || {
        black_box(hooks.max_concurrent_sessions(black_box(&ctx)).ok());
    });
    println!(
        "  precompiled hook call (max_concurrent_sessions)  {:>10.2} µs   target < 10 µs",
        hook.as_secs_f64() * 1e6
    );
    let cost = measure(20_000, 7, || {
        black_box(tariff.cost(Amsterdam, "binnenstad", black_box(start), black_box(end)));
    });
    println!(
        "  three-day tariff (Mon 10:00 - Thu 10:00)          {:>10.2} µs   target < 50 µs",
        cost.as_secs_f64() * 1e6
    );
    let rules = RuleSet::new(
        engine.clone(),
        "dijkstad",
        "bezoekers",
        Some((script.clone(), 1)),
        Some(tariff.clone()),
    );
    let request = SessionCheck {
        time_zone: Amsterdam,
        zone: "binnenstad".into(),
        plate: "AB12CD".into(),
        start: local(2026, 3, 2, 10),
        end: local(2026, 3, 2, 18),
        balance: Decimal::from(2),
        reserved: Decimal::ZERO,
        others: (0..9)
            .map(|i| (local(2026, 3, 2, 9), local(2026, 3, 2, 11 + i)))
            .collect(),
        top_ups_in_period: Decimal::ZERO,
        mandatee: false,
        extends: None,
    };
    let check = measure(2_000, 7, || {
        black_box(rules.check_session(black_box(&request), request.start, &Discard));
    });
    println!(
        "  session check refused, with alternatives          {:>10.2} µs",
        check.as_secs_f64() * 1e6
    );

    println!("  time to deny a hostile script (wall-clock guard 50 ms, 200 000 operations):");
    let hostile = [
        (
            "endless loop",
            "fn max_concurrent_sessions(ctx) { loop {} }",
        ),
        (
            "deep recursion",
            "fn f(n) { f(n + 1) } fn max_concurrent_sessions(ctx) { f(0) }",
        ),
        (
            "string grown without end",
            "fn max_concurrent_sessions(ctx) { let s = \"x\"; loop { s += s; } }",
        ),
        (
            "array grown without end",
            "fn max_concurrent_sessions(ctx) { let a = []; loop { a.push(a.len()); } }",
        ),
        (
            "unknown function",
            "fn max_concurrent_sessions(ctx) { opening_hours(ctx) }",
        ),
        (
            "wrong return type",
            "fn max_concurrent_sessions(ctx) { \"ten\" }",
        ),
    ];
    for (what, source) in hostile {
        let compiled = engine
            .compile("hostile.rhai", source)
            .unwrap_or_else(|e| panic!("{e}"));
        let hostile_hooks = Hooks::new(&engine, Some(&compiled));
        let mut denied = true;
        let took = measure(3, 3, || {
            denied &= hostile_hooks.max_concurrent_sessions(&ctx).is_err();
        });
        println!(
            "    {what:<28} {:>10.3} ms   {}",
            took.as_secs_f64() * 1e3,
            if denied { "denied" } else { "NOT DENIED" }
        );
    }
}

//! `parkportal rules check FILE.rhai` and `parkportal rules try TENANT_DIR ...`: try a gemeente's
//! rules from its folder, without a database.

use crate::bundle;
use crate::config::Config;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use parkportal_domain::calendar::local_instant;
use parkportal_domain::parking::SessionCheck;
use parkportal_domain::{ProductKind, TenantConfig};
use parkportal_rules::engine::RuleEngine;
use parkportal_rules::ruleset::{RuleErrorRecord, RuleErrorSink, RuleSet};
use parkportal_rules::{Tariff, TariffUnit};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Compiles a script: prints `FILE: ok (hooks ...)` or `FILE:line:col: message` and fails.
pub fn check(config: &Config, file: &Path) -> ExitCode {
    let name = file.display().to_string();
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let engine = Arc::new(RuleEngine::new(config.rules.limits()));
    // The same checks as an import: compiles, and no hook misspelled or with the wrong parameters.
    if let Err(e) = parkportal_domain::RuleValidator::check_script(
        &parkportal_rules::Validator::new(engine.clone()),
        &name,
        &source,
    ) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    match engine.compile(&name, &source) {
        Ok(script) => {
            let hooks: Vec<&str> = HOOKS
                .iter()
                .copied()
                .filter(|h| script.defines(h))
                .collect();
            println!(
                "{name}: ok (defines {})",
                if hooks.is_empty() {
                    "no hooks".into()
                } else {
                    hooks.join(", ")
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

use parkportal_rules::validator::HOOKS;

/// What `rules try` was asked.
#[derive(Debug, Clone)]
pub struct TryArgs {
    /// Product type code; the first visitor scheme when absent.
    pub product_type: Option<String>,
    /// Zone code; the first zone when absent.
    pub zone: Option<String>,
    /// Start: RFC 3339, or local time of the gemeente (`2026-03-02T10:00`).
    pub start: String,
    /// End, likewise.
    pub end: String,
    /// Balance in the product type's unit; plenty when absent.
    pub balance: Option<String>,
    /// Print JSON.
    pub json: bool,
}

#[derive(Default)]
struct Collected(Mutex<Vec<RuleErrorRecord>>);

impl RuleErrorSink for Collected {
    fn record(&self, error: RuleErrorRecord) {
        if let Ok(mut errors) = self.0.lock() {
            errors.push(error);
        }
    }
}

/// Parses a time: with an offset as given, without one in the gemeente's time zone.
pub fn parse_time(tz: Tz, text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(local_instant(tz, local));
        }
    }
    Err(format!(
        "{text:?} is not a time like 2026-03-02T10:00 (local) or 2026-03-02T09:00:00Z"
    ))
}

/// Evaluates every hook and the session for a gemeente folder.
pub fn try_rules(config: &Config, dir: &Path, args: &TryArgs) -> ExitCode {
    match evaluate(config, dir, args) {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print_text(&report);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pick<'a>(
    tenant: &'a TenantConfig,
    args: &TryArgs,
) -> Result<(&'a parkportal_domain::ProductTypeSpec, String), String> {
    let product_type = match &args.product_type {
        Some(code) => tenant
            .product_types
            .iter()
            .find(|p| p.code.as_str() == code),
        None => tenant
            .product_types
            .iter()
            .find(|p| p.kind == ProductKind::VisitorScheme),
    }
    .ok_or_else(|| {
        format!(
            "{} has no product type {}",
            tenant.slug,
            args.product_type.as_deref().unwrap_or("(visitor scheme)")
        )
    })?;
    let zone = match &args.zone {
        Some(code) => tenant.zones.iter().find(|z| z.code.as_str() == code),
        None => tenant.zones.first(),
    }
    .ok_or_else(|| {
        format!(
            "{} has no zone {}",
            tenant.slug,
            args.zone.as_deref().unwrap_or("")
        )
    })?;
    Ok((product_type, zone.code.to_string()))
}

fn evaluate(config: &Config, dir: &Path, args: &TryArgs) -> Result<Value, String> {
    let tenant = bundle::read_bundle(dir).map_err(|e| e.to_string())?;
    let (product_type, zone) = pick(&tenant, args)?;
    let tz = tenant.time_zone;
    let (start, end) = (parse_time(tz, &args.start)?, parse_time(tz, &args.end)?);
    if end <= start {
        return Err("the end must be after the start".into());
    }
    let engine = Arc::new(RuleEngine::new(config.rules.limits()));
    let script = match tenant.scripts.get(product_type.code.as_str()) {
        Some(source) => Some((
            engine
                .compile(&format!("rules/{}.rhai", product_type.code), source)
                .map_err(|e| e.to_string())?,
            1,
        )),
        None => None,
    };
    let tariff = match tenant.tariffs.get(product_type.code.as_str()) {
        Some(source) => Some(Tariff::from_toml(source).map_err(|e| e.to_string())?),
        None => None,
    };
    let unit = tariff
        .as_ref()
        .map_or_else(|| TariffUnit::of_balance(product_type.unit), |t| t.unit);
    let balance: Decimal = match &args.balance {
        Some(b) => b.parse().map_err(|_| format!("{b:?} is not an amount"))?,
        None => Decimal::from(1_000_000),
    };
    let request = SessionCheck {
        time_zone: tz,
        zone: zone.clone(),
        plate: String::new(),
        start,
        end,
        balance,
        reserved: Decimal::ZERO,
        others: Vec::new(),
        top_ups_in_period: Decimal::ZERO,
        mandatee: false,
        extends: None,
    };
    let rules = RuleSet::new(
        engine.clone(),
        tenant.slug.to_string(),
        product_type.code.to_string(),
        script,
        tariff,
    );
    let hook_values = Value::Object(rules.hook_answers(&request));
    let sink = Collected::default();
    let decision = rules.check_session(&request, start, &sink);
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    Ok(json!({
        "gemeente": tenant.slug.to_string(),
        "product_type": product_type.code.to_string(),
        "zone": zone,
        "start": local(start),
        "end": local(end),
        "cost": unit.amount_json(decision.cost()),
        "breakdown": serde_json::to_value(&decision.breakdown).unwrap_or(Value::Null),
        "hooks": hook_values,
        "decision": {
            "allowed": decision.allowed(),
            "reasons": decision.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "alternatives": decision.alternatives.iter().map(|a| json!({
                "kind": a.kind.as_str(),
                "start": local(a.start),
                "end": local(a.end),
                "cost": unit.amount_json(a.cost),
            })).collect::<Vec<_>>(),
        },
        "rule_errors": sink.0.lock().map(|e| e.iter().map(|r| format!("{}: {}", r.function, r.message)).collect::<Vec<_>>()).unwrap_or_default(),
    }))
}

fn print_text(report: &Value) {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    println!(
        "{} / {} / zone {}",
        s(&report["gemeente"]),
        s(&report["product_type"]),
        s(&report["zone"])
    );
    println!(
        "session     {} until {}",
        s(&report["start"]),
        s(&report["end"])
    );
    println!(
        "cost        {} {}",
        s(&report["cost"]["value"]),
        s(&report["cost"]["unit"])
    );
    if let Some(days) = report["breakdown"]["days"].as_array() {
        for day in days {
            println!(
                "  {}  paid {} min  {}",
                s(&day["date"]),
                day["paid_seconds"].as_i64().unwrap_or(0) / 60,
                s(&day["amount"])
            );
        }
    }
    if let Some(hooks) = report["hooks"].as_object() {
        for (name, value) in hooks {
            println!("{name:<26}{}", s(value));
        }
    }
    let decision = &report["decision"];
    if decision["allowed"].as_bool() == Some(true) {
        println!("decision    allowed");
    } else {
        println!("decision    refused: {}", s(&decision["reasons"]));
        for a in decision["alternatives"].as_array().into_iter().flatten() {
            println!(
                "  {}: {} until {} for {} {}",
                s(&a["kind"]),
                s(&a["start"]),
                s(&a["end"]),
                s(&a["cost"]["value"]),
                s(&a["cost"]["unit"])
            );
        }
    }
}

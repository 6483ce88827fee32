//! Rule scripts and tariffs travel with a gemeente's folder, are stored versioned, and failures of
//! rule scripts are recorded for administrators.

use crate::support::{TestApp, parkportal_command, repo};
use parkportal_domain::clock::Clock;
use parkportal_domain::{RuleErrorEntry, RuleRepository, TenantConfig};
use parkportal_store::SeaRuleRepository;

fn rules(app: &TestApp) -> SeaRuleRepository {
    SeaRuleRepository::new(app.app.as_ref().unwrap().database().clone())
}

async fn export(app: &TestApp, slug: &str) -> TenantConfig {
    app.app
        .as_ref()
        .unwrap()
        .tenants()
        .export(&slug.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn scripts_and_tariffs_are_stored_versioned_and_exported() {
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let dijkstad = tenants
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.slug.as_str() == "dijkstad")
        .unwrap();
    let sources = rules(&app)
        .sources(dijkstad.id, app.clock.now())
        .await
        .unwrap();
    assert_eq!(sources.scripts.len(), 1);
    assert_eq!(
        (
            sources.scripts[0].product_type.as_str(),
            sources.scripts[0].version
        ),
        ("bezoekers", 1)
    );
    assert!(sources.scripts[0].source.contains("top_up_cap"));
    assert_eq!(sources.tariffs[0].version, 1);

    // Importing the same folder again changes no version.
    let mut config = export(&app, "dijkstad").await;
    let on_disk = parkportal::bundle::read_bundle(&repo().join("tenants/dijkstad")).unwrap();
    assert_eq!(config, on_disk, "export gives back what was imported");
    tenants.import(&config).await.unwrap();
    assert_eq!(
        rules(&app)
            .sources(dijkstad.id, app.clock.now())
            .await
            .unwrap()
            .scripts[0]
            .version,
        1
    );

    // A changed script is a new version; a removed one leaves the defaults.
    let code = "bezoekers".parse().unwrap();
    config
        .scripts
        .insert(code, "fn max_concurrent_sessions(ctx) { 5 }".into());
    tenants.import(&config).await.unwrap();
    let sources = rules(&app)
        .sources(dijkstad.id, app.clock.now())
        .await
        .unwrap();
    assert_eq!(sources.scripts[0].version, 2);
    assert!(sources.scripts[0].source.contains("{ 5 }"));
    config.scripts.clear();
    tenants.import(&config).await.unwrap();
    // The removing version is in force: no script, the defaults.
    let sources = rules(&app)
        .sources(dijkstad.id, app.clock.now())
        .await
        .unwrap();
    assert_eq!(sources.scripts.len(), 1);
    assert_eq!(sources.scripts[0].source, "");
    assert!(
        sources
            .in_force(&"bezoekers".parse().unwrap(), app.clock.now())
            .0
            .is_none()
    );
    assert!(export(&app, "dijkstad").await.scripts.is_empty());
    assert_eq!(
        export(&app, "dijkstad").await.tariffs.len(),
        1,
        "the tariff stays"
    );
}

#[tokio::test]
async fn a_script_that_does_not_compile_is_not_imported() {
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = export(&app, "weidevelde").await;
    config.scripts.insert(
        "bezoekers".parse().unwrap(),
        "fn allowed_hours(ctx) {\n  #{ from: }\n}".into(),
    );
    config
        .tariffs
        .insert("bezoekers".parse().unwrap(), "unit = \"euro\"".into());
    let err = tenants.import(&config).await.unwrap_err().to_string();
    assert!(err.contains("rules/bezoekers.rhai:2:"), "{err}");
    assert!(err.contains("tariffs/bezoekers.toml"), "{err}");
    // What was stored before is untouched.
    assert!(export(&app, "weidevelde").await.scripts["bezoekers"].contains("09:00"));
}

#[tokio::test]
async fn the_periodic_grant_of_a_product_type_is_kept() {
    let app = TestApp::spawn().await;
    let havenmond = export(&app, "havenmond").await;
    let visitor = havenmond
        .product_types
        .iter()
        .find(|p| p.code.as_str() == "bezoekers")
        .unwrap();
    let grant = visitor.grant.unwrap();
    assert_eq!(grant.amount.to_string(), "30000");
    assert_eq!(
        grant.period,
        parkportal_domain::calendar::CapPeriod::CalendarYear
    );
    let dijkstad = export(&app, "dijkstad").await;
    assert!(
        dijkstad.product_types.iter().all(|p| p.grant.is_none()),
        "a visitor scheme in euros has no grant"
    );
}

#[tokio::test]
async fn rule_errors_are_recorded_per_gemeente_newest_first() {
    let app = TestApp::spawn().await;
    let list = app.app.as_ref().unwrap().tenants().list().await.unwrap();
    let (a, b) = (list[0].id, list[1].id);
    let repo = rules(&app);
    for (i, message) in ["Too many operations", "Stack overflow"].iter().enumerate() {
        repo.record_error(RuleErrorEntry {
            tenant: a,
            script: "rules/bezoekers.rhai".into(),
            script_version: 3,
            function: "max_concurrent_sessions".into(),
            message: (*message).into(),
            at: crate::support::monday_morning() + chrono::Duration::minutes(i as i64),
        })
        .await
        .unwrap();
    }
    let errors = repo.errors(a, 10).await.unwrap();
    assert_eq!(
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>(),
        vec!["Stack overflow", "Too many operations"]
    );
    assert_eq!(errors[0].script_version, 3);
    assert!(
        repo.errors(b, 10).await.unwrap().is_empty(),
        "another gemeente sees none of them"
    );
}

#[test]
fn tenants_check_names_a_broken_script_by_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("dijkstad");
    let out = parkportal_command(dir.path())
        .env(
            "PARKPORTAL__DATABASE__URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display()),
        )
        .args(["tenants", "import"])
        .arg(repo().join("tenants/dijkstad"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = parkportal_command(dir.path())
        .env(
            "PARKPORTAL__DATABASE__URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display()),
        )
        .args(["tenants", "export", "dijkstad"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        copy.join("rules/bezoekers.rhai").is_file()
            && copy.join("tariffs/bezoekers.toml").is_file()
    );
    std::fs::write(
        copy.join("rules/bezoekers.rhai"),
        "fn top_up_cap(ctx) {\n    #{ period: \"calendar_year\", limit: 250.00 \n}\n",
    )
    .unwrap();
    let out = parkportal_command(dir.path())
        .args(["tenants", "check"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules/bezoekers.rhai:"), "{err}");
}

#[test]
fn rules_check_accepts_a_script_and_names_the_line_and_column_of_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = repo().join("tenants/weidevelde/rules/bezoekers.rhai");
    let out = parkportal_command(dir.path())
        .args(["rules", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("allowed_hours"));
    let bad = dir.path().join("bad.rhai");
    std::fs::write(
        &bad,
        "fn end_of_day_deactivation(ctx) {\n    ctx.start.hour >\n}\n",
    )
    .unwrap();
    let out = parkportal_command(dir.path())
        .args(["rules", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with(&format!("{}:3:", bad.display())), "{err}");
}

#[test]
fn rules_try_prints_every_hook_the_cost_and_the_alternatives() {
    let dir = tempfile::tempdir().unwrap();
    let out = parkportal_command(dir.path())
        .args(["rules", "try"])
        .arg(repo().join("tenants/weidevelde"))
        .args([
            "--start",
            "2026-03-02T20:00",
            "--end",
            "2026-03-02T22:00",
            "--balance",
            "25.00",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["cost"],
        serde_json::json!({ "value": "0.60", "unit": "EUR" }),
        "20:00-21:00 paid at 0.60/h"
    );
    assert_eq!(report["hooks"]["allowed_hours"]["to"], "21:00");
    assert_eq!(report["hooks"]["max_concurrent_sessions"], 10);
    assert_eq!(report["decision"]["reasons"][0], "outside_allowed_hours");
    let kinds: Vec<&str> = report["decision"]["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["end_of_day", "start_later"]);

    let out = parkportal_command(dir.path())
        .args(["rules", "try"])
        .arg(repo().join("tenants/havenmond"))
        .args([
            "--start",
            "2026-03-02T10:00:00+01:00",
            "--end",
            "2026-03-02T10:25:00+01:00",
            "--json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["cost"],
        serde_json::json!({ "value": "30", "unit": "minutes" })
    );
    assert_eq!(report["decision"]["allowed"], true);

    let out = parkportal_command(dir.path())
        .args(["rules", "try"])
        .arg(repo().join("tenants/havenmond"))
        .args([
            "--zone",
            "nergens",
            "--start",
            "2026-03-02T10:00",
            "--end",
            "2026-03-02T11:00",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no zone nergens"));
}

#[tokio::test]
async fn the_server_reads_rules_from_the_database_and_records_script_failures() {
    use parkportal_domain::parking::SessionCheck;
    use rust_decimal::Decimal;
    let app = TestApp::spawn().await;
    let application = app.app.as_ref().unwrap();
    let tenants = application.tenants();
    let dijkstad = tenants
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.slug.as_str() == "dijkstad")
        .unwrap();
    let weidevelde = tenants
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.slug.as_str() == "weidevelde")
        .unwrap();
    let bezoekers: parkportal_domain::Code = "bezoekers".parse().unwrap();
    let start = crate::support::monday_morning(); // 10:00 in Amsterdam
    let request = SessionCheck {
        time_zone: dijkstad.time_zone,
        zone: "binnenstad".into(),
        plate: "AB12CD".into(),
        start,
        end: start + chrono::Duration::hours(2),
        balance: "25.00".parse().unwrap(),
        reserved: Decimal::ZERO,
        others: Vec::new(),
        top_ups_in_period: Decimal::ZERO,
        mandatee: false,
        extends: None,
    };
    let rule_set = application
        .rule_book()
        .rule_set(&dijkstad, &bezoekers, start)
        .await
        .unwrap();
    assert_eq!(
        rule_set.versions(),
        parkportal_domain::parking::RuleVersions::new(1, 1)
    );
    let decision = rule_set.check_session(&request, start, application.rule_errors());
    assert!(decision.allowed());
    assert_eq!(decision.cost().to_string(), "2.40");
    application
        .rule_book()
        .rule_set(&dijkstad, &bezoekers, start)
        .await
        .unwrap();
    assert_eq!(
        application.rule_book().compiled_scripts(),
        1,
        "a known version is compiled once"
    );

    // An administrator stores a script that never ends: the next check is refused and recorded.
    let mut config = tenants.export(&dijkstad.slug).await.unwrap().unwrap();
    config.scripts.insert(
        bezoekers.clone(),
        "fn max_concurrent_sessions(ctx) { loop {} }".into(),
    );
    tenants.import(&config).await.unwrap();
    let rule_set = application
        .rule_book()
        .rule_set(&dijkstad, &bezoekers, start)
        .await
        .unwrap();
    assert_eq!(rule_set.versions().script.0, 2);
    let decision = rule_set.check_session(&request, start, application.rule_errors());
    assert_eq!(
        decision.reasons,
        vec![parkportal_domain::rules::ReasonCode::RuleError]
    );
    // Another gemeente's ordinary check is not affected.
    let other = application
        .rule_book()
        .rule_set(&weidevelde, &bezoekers, start)
        .await
        .unwrap();
    assert!(
        other
            .check_session(
                &SessionCheck {
                    time_zone: weidevelde.time_zone,
                    ..request.clone()
                },
                start,
                application.rule_errors()
            )
            .allowed()
    );

    let repo = rules(&app);
    let mut recorded = Vec::new();
    for _ in 0..100 {
        recorded = repo.errors(dijkstad.id, 10).await.unwrap();
        if !recorded.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(recorded.len(), 1, "the failure was not recorded");
    assert_eq!(
        (recorded[0].function.as_str(), recorded[0].script_version),
        ("max_concurrent_sessions", 2)
    );
    assert!(repo.errors(weidevelde.id, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_tariff_in_the_wrong_unit_or_for_an_unknown_zone_is_not_imported() {
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = export(&app, "havenmond").await;
    // Havenmond's visitor balance is in minutes: a tariff in euros would charge the wrong thing.
    config.tariffs.insert(
        "bezoekers".parse().unwrap(),
        "unit = \"money\"\n[[time_frame]]\ndays = [\"daily\"]\nstart = \"09:00\"\nend = \"23:00\"\nzones = [\"centrumm\"]\n[[fare_part]]\nstep_minutes = 1\namount = \"0.02\"\n".into(),
    );
    config.scripts.insert(
        "bezoekers".parse().unwrap(),
        "fn end_of_day_deactivaton(ctx) { true }".into(),
    );
    let err = tenants.import(&config).await.unwrap_err().to_string();
    assert!(
        err.contains("charges in money but bezoekers keeps its balance in minutes"),
        "{err}"
    );
    assert!(err.contains("zone centrumm is not a zone"), "{err}");
    assert!(
        err.contains("did you mean end_of_day_deactivation"),
        "{err}"
    );
}

//! `POST /api/admin/v1/rules/dry-run` (#23): for a table of scenarios the dry-run's decision and
//! cost are what starting that session returns; a key reaches its own gemeente's rules only and
//! needs `config:write`; bad scenarios are refused with their codes; every try is on the record.
//! And the console's page of the same: the outcome as a beheerder reads it.

use crate::admin_api::key;
use crate::support::{TestApp, at, audit_entries, call, resident, staff};
use chrono::{DateTime, Utc};
use parkportal_domain::staff::Role;
use serde_json::{Value, json};

/// Posts `body` to the dry-run with key `k`: status and answer.
async fn dry_run(app: &TestApp, k: &str, body: &Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/admin/v1/rules/dry-run", app.url))
        .bearer_auth(k)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A scenario: gemeente, zone, balance, sessions running at the start, start and end.
struct Case {
    gemeente: &'static str,
    zone: &'static str,
    balance: &'static str,
    running: u32,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    what: &'static str,
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn the_dry_run_decides_and_prices_as_starting_the_session_does() {
    let app = TestApp::spawn().await;
    let scope = "config:write";
    let keys = [
        ("dijkstad", key(&app, "dijkstad", "ci", scope).await),
        ("weidevelde", key(&app, "weidevelde", "ci", scope).await),
        ("havenmond", key(&app, "havenmond", "ci", scope).await),
    ];
    // The clock: Monday 2 March 2026 10:00 in the gemeenten.
    let cases = [
        Case {
            gemeente: "dijkstad",
            zone: "binnenstad",
            balance: "25.00",
            running: 0,
            start: at(2, 10, 0),
            end: at(2, 11, 0),
            what: "an hour, allowed",
        },
        Case {
            gemeente: "dijkstad",
            zone: "binnenstad",
            balance: "25.00",
            running: 0,
            start: at(2, 13, 0),
            end: at(2, 15, 30),
            what: "planned, allowed",
        },
        Case {
            gemeente: "dijkstad",
            zone: "binnenstad",
            balance: "1.00",
            running: 0,
            start: at(2, 10, 0),
            end: at(2, 12, 0),
            what: "the balance too small",
        },
        Case {
            gemeente: "dijkstad",
            zone: "binnenstad",
            balance: "100.00",
            running: 10,
            start: at(2, 10, 0),
            end: at(2, 11, 0),
            what: "ten cars at once already",
        },
        Case {
            gemeente: "weidevelde",
            zone: "dorpskern",
            balance: "25.00",
            running: 0,
            start: at(2, 20, 0),
            end: at(2, 22, 0),
            what: "past 21:00",
        },
        Case {
            gemeente: "havenmond",
            zone: "centrum",
            balance: "600",
            running: 0,
            start: at(2, 10, 0),
            end: at(3, 12, 0),
            what: "past the end of the day",
        },
        Case {
            gemeente: "havenmond",
            zone: "centrum",
            balance: "600",
            running: 0,
            start: at(2, 10, 0),
            end: at(2, 12, 0),
            what: "two hours of the budget",
        },
    ];
    for (n, case) in cases.iter().enumerate() {
        let what = case.what;
        let k = &keys.iter().find(|(g, _)| *g == case.gemeente).unwrap().1;
        let holder = resident(
            &app,
            case.gemeente,
            &format!("bewoner{n}@example.nl"),
            Some(case.balance),
        )
        .await;
        // Running as the dry-run counts them: until an hour after the end.
        let until = case.end + chrono::Duration::hours(1);
        for i in 0..case.running {
            holder
                .park(&app, &format!("ab-{:02}-34", i + 10), until)
                .await;
        }
        // The balance as the resident's product holds it now (a periodic grant included).
        let (_, products) = call(&app, "GET", "/api/v1/products", None, Some(&holder.token)).await;
        let balance = products["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == json!(holder.product))
            .map(|p| p["balance"]["value"].clone())
            .unwrap();
        let (status, tried) = dry_run(
            &app,
            k,
            &json!({
                "product_type": "bezoekers", "zone": case.zone, "plate": "XY-12-34",
                "start": case.start.to_rfc3339(), "end": case.end.to_rfc3339(),
                "balance": balance, "running": case.running,
            }),
        )
        .await;
        assert_eq!(status, 200, "{what}: {tried}");
        let (status, started) = holder
            .start(
                &app,
                json!({"plate": "XY-12-34", "start": case.start.to_rfc3339(), "end": case.end.to_rfc3339()}),
            )
            .await;
        let decision = &tried["decision"];
        if status == 201 {
            assert_eq!(decision["allowed"], json!(true), "{what}: {tried}");
            assert_eq!(decision["reasons"], json!([]), "{what}");
            assert_eq!(tried["cost"], started["cost"], "{what}");
            assert_eq!(tried["breakdown"], started["breakdown"], "{what}");
        } else {
            assert_eq!(status, 409, "{what}: {started}");
            let refusal = &started["error"];
            assert_eq!(decision["allowed"], json!(false), "{what}: {tried}");
            assert_eq!(decision["reasons"], refusal["reasons"], "{what}");
            let (ours, theirs) = (
                decision["alternatives"].as_array().unwrap(),
                refusal["alternatives"].as_array().unwrap(),
            );
            assert_eq!(ours.len(), theirs.len(), "{what}: {tried} {started}");
            for (a, b) in ours.iter().zip(theirs) {
                assert_eq!(a["kind"], b["kind"], "{what}");
                assert_eq!(time(&a["start"]), time(&b["start"]), "{what}");
                assert_eq!(time(&a["end"]), time(&b["end"]), "{what}");
                assert_eq!(a["cost"], b["cost"], "{what}");
            }
        }
        // The table is not all of one kind.
        match n {
            0 => assert_eq!(tried["cost"], json!({"value": "1.20", "unit": "EUR"})),
            2 => assert_eq!(decision["reasons"], json!(["insufficient_balance"])),
            3 => assert_eq!(decision["reasons"], json!(["max_concurrent_sessions"])),
            4 => assert_eq!(decision["reasons"], json!(["outside_allowed_hours"])),
            5 => assert_eq!(decision["reasons"], json!(["end_of_day"])),
            6 => assert_eq!(tried["cost"]["unit"], json!("minutes")),
            _ => {}
        }
    }
    // Every hook answers, the script's or the default.
    let (_, tried) = dry_run(
        &app,
        &keys[0].1,
        &json!({"product_type": "bezoekers", "zone": "binnenstad", "plate": "XY-12-34",
                "start": at(2, 10, 0).to_rfc3339(), "end": at(2, 11, 0).to_rfc3339()}),
    )
    .await;
    assert_eq!(tried["hooks"]["max_concurrent_sessions"], json!(10));
    assert_eq!(
        tried["hooks"]["top_up_cap"],
        json!({"period": "calendar_year", "limit": {"value": "250.00", "unit": "EUR"}})
    );
    assert_eq!(tried["hooks"]["end_of_day_deactivation"], json!(false));
    assert_eq!(tried["hooks"]["allowed_hours"], Value::Null);
    assert_eq!(tried["versions"], json!({"script": 1, "tariff": 1}));
    let tries = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "rules.dry_run" && e.result == "ok")
        .count();
    assert_eq!(tries, cases.len() + 1);
}

#[tokio::test]
async fn a_key_tries_its_own_gemeentes_rules_with_config_write_and_bad_scenarios_are_refused() {
    let app = TestApp::spawn().await;
    let dijkstad = key(&app, "dijkstad", "ci", "config:write").await;
    let weidevelde = key(&app, "weidevelde", "ci", "config:write").await;
    let reader = key(&app, "dijkstad", "lezer", "products:read").await;
    let late = |zone: &str| {
        json!({"product_type": "bezoekers", "zone": zone, "plate": "XY-12-34",
               "start": at(2, 21, 30).to_rfc3339(), "end": at(2, 22, 0).to_rfc3339()})
    };
    // Half past nine at night: Dijkstad allows it, Weidevelde's rules do not. Each key reaches
    // its own gemeente's rules; another gemeente's zone is no zone.
    let (status, tried) = dry_run(&app, &dijkstad, &late("binnenstad")).await;
    assert_eq!((status, &tried["decision"]["allowed"]), (200, &json!(true)));
    let (status, tried) = dry_run(&app, &weidevelde, &late("dorpskern")).await;
    assert_eq!(
        (status, &tried["decision"]["allowed"]),
        (200, &json!(false))
    );
    let (status, refused) = dry_run(&app, &weidevelde, &late("binnenstad")).await;
    assert_eq!(status, 422);
    assert_eq!(refused["error"]["code"], "zone_unknown");
    // Without the scope: 403.
    let (status, refused) = dry_run(&app, &reader, &late("binnenstad")).await;
    assert_eq!(status, 403, "{refused}");
    // Bad scenarios, each with its code.
    let base = late("binnenstad");
    for (field, value, code) in [
        ("product_type", json!("fietsen"), "product_type_unknown"),
        ("plate", json!("!!"), "plate_invalid"),
        ("end", json!(at(2, 21, 0).to_rfc3339()), "end_before_start"),
        (
            "end",
            json!((at(2, 21, 30) + chrono::Duration::days(32)).to_rfc3339()),
            "session_too_long",
        ),
        ("start", json!("9999-12-31T23:00:00Z"), "start_out_of_range"),
        ("start", json!("0001-01-01T00:00:00Z"), "start_out_of_range"),
        ("balance", json!("-1"), "balance_invalid"),
        ("top_ups", json!("veel"), "amount_invalid"),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let (status, refused) = dry_run(&app, &dijkstad, &body).await;
        assert_eq!(status, 422, "{field}: {refused}");
        assert_eq!(refused["error"]["code"], code, "{field}");
    }
    let mut body = base.clone();
    body["running"] = json!(101);
    assert_eq!(dry_run(&app, &dijkstad, &body).await.0, 400);
    // No key: 401.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/admin/v1/rules/dry-run", app.url))
        .json(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Every refusal is on the record with its code.
    let refusals: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "rules.dry_run" && e.result == "refused")
        .filter_map(|e| e.reason)
        .collect();
    for code in [
        "zone_unknown",
        "scope_missing",
        "product_type_unknown",
        "session_too_long",
    ] {
        assert!(refusals.iter().any(|r| r == code), "{code}: {refusals:?}");
    }
}

#[tokio::test]
async fn the_console_page_shows_the_outcome_as_a_beheerder_reads_it() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    const PAGE: &str = "/beheer/dijkstad/regels/uitproberen";
    let list = bea.page("/beheer/dijkstad/regels").await;
    assert!(list.links_to(PAGE));
    let empty = bea.page(PAGE).await;
    let form = empty.form(PAGE);
    // The form opens on the first product type and zone, from the next whole hour.
    assert_eq!(form.value("producttype"), Some("bezoekers"));
    assert_eq!(form.value("zone"), Some("binnenstad"));
    assert_eq!(form.value("kenteken"), Some("AB-12-34"));
    assert_eq!(form.value("van"), Some("2026-03-02T11:00"));
    assert_eq!(form.value("tot"), Some("2026-03-02T13:00"));
    let scenario = |saldo: &str, kenteken: &str| {
        vec![
            ("producttype", "bezoekers".to_owned()),
            ("zone", "binnenstad".to_owned()),
            ("kenteken", kenteken.to_owned()),
            ("van", "2026-03-02T10:00".to_owned()),
            ("tot", "2026-03-02T11:00".to_owned()),
            ("saldo", saldo.to_owned()),
            ("lopend", "0".to_owned()),
            ("gepland", "".to_owned()),
            ("opgewaardeerd", "".to_owned()),
            ("wie", "eigenaar".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let bea = &bea;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            bea.post_form(PAGE, &pairs).await
        }
    };
    let resp = post(scenario("25,00", "ab-12-34")).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let shown = resp.html();
    assert!(shown.contains_text("Toegestaan. Kosten: € 1,20."));
    assert_eq!(shown.row("02-03-2026")[1..], ["60", "€ 1,20"]);
    assert_eq!(shown.row("max_concurrent_sessions")[1], "10");
    assert_eq!(
        shown.row("top_up_cap")[1],
        "limit: € 250,00, period: calendar_year"
    );
    assert_eq!(shown.row("mandates_available")[1], "ja");
    // A balance too small: refused with the reason and what is possible instead.
    let shown = post(scenario("1,00", "ab-12-34")).await.html();
    assert!(shown.contains_text("het saldo is niet toereikend"));
    assert_eq!(shown.row("Korter, binnen het saldo")[3], "€ 1,00");
    // A plate that is none: refused at its field, what was typed kept.
    let resp = post(scenario("25,00", "!!")).await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Vul een kenteken in, zoals AB-12-34 of DE:B-XY123.")
    );
    assert!(
        resp.text()
            .contains("aria-describedby=\"kenteken-fout kenteken-hint\"")
    );
    assert_eq!(resp.html().form(PAGE).value("saldo"), Some("25,00"));
    let entries: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "rules.dry_run")
        .map(|e| (e.result, e.reason))
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    // Another gemeente's beheerder tries nothing here.
    let wim = staff(&app, "wim@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    assert_eq!(wim.get(PAGE).await.status(), 404);
}

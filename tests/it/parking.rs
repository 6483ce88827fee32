//! Parking sessions and the ledger through the JSON API: starting, planning, extending, stopping
//! and deleting, the checks with their alternatives, periodic grants and isolation between
//! residents (the balance under concurrent requests is in `parking_concurrency`). The clock stands on Monday 2 March 2026, 10:00 in
//! Amsterdam; Dijkstad charges EUR 0.02 a minute from 09:00 to 22:00.

use crate::support::{TestApp, api_token, at, call, ledger_holds, resident};
use chrono::{Duration, TimeZone, Utc};
use parkportal_domain::coupling::IssueRequest;
use serde_json::json;

#[tokio::test]
async fn start_extend_plan_delete_and_stop_move_the_balance_through_the_ledger() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    assert_eq!(r.balance(&app).await, "25.00");

    let (status, s) = r
        .start(
            &app,
            json!({"plate": "ab-12-34", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["plate"], "AB-12-34");
    assert_eq!(s["state"], "running");
    assert_eq!(s["cost"], json!({"value": "1.20", "unit": "EUR"}));
    assert!(s["breakdown"]["days"].is_array(), "{s}");
    assert_eq!(r.balance(&app).await, "23.80");

    // Extended by an hour: only the difference is reserved.
    let id = s["id"].as_i64().unwrap();
    let (status, s) = r.extend(&app, id, at(2, 12, 0)).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["cost"]["value"], "2.40");
    assert_eq!(r.balance(&app).await, "22.60");
    let (status, body) = r.extend(&app, id, at(2, 11, 30)).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "not_later");

    // Planned for tomorrow, then deleted: all of it comes back.
    let (status, planned) = r
        .start(
            &app,
            json!({"plate": "DE:B-XY123", "start": at(3, 10, 0).to_rfc3339(), "end": at(3, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 422, "a country goes in its own field: {planned}");
    let (status, planned) = r
        .start(
            &app,
            json!({"plate": "B-XY123", "country": "DE", "start": at(3, 10, 0).to_rfc3339(), "end": at(3, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{planned}");
    assert_eq!(planned["state"], "planned");
    assert_eq!(planned["country"], "DE");
    assert_eq!(r.balance(&app).await, "21.40");
    let list = r.live(&app).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let products = r.products(&app).await;
    assert_eq!(products["items"][0]["running"], 1);
    assert_eq!(products["items"][0]["planned"], 1);
    assert_eq!(products["items"][0]["gemeente"], "Gemeente Dijkstad");
    assert!(products["items"][0]["mandated_by"].is_null());

    let (status, deleted) = r.end(&app, planned["id"].as_i64().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(deleted["state"], "deleted");
    assert_eq!(r.balance(&app).await, "22.60");

    // Half an hour on (the resident active meanwhile, so the session stays), the running
    // session stops: 30 minutes used, the rest refunded.
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(10));
        assert_eq!(r.balance(&app).await, "22.60");
    }
    let (status, stopped) = r.end(&app, id).await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["state"], "ended");
    assert_eq!(stopped["cost"]["value"], "0.60");
    assert_eq!(r.balance(&app).await, "24.40");
    let (status, again) = r.end(&app, id).await;
    assert_eq!(status, 422);
    assert_eq!(again["error"]["code"], "session_over");
    ledger_holds(&app).await;
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'opening'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_refused_start_names_its_reason_in_the_manuals_words_and_offers_what_fits() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "piet@example.nl", Some("1.00")).await;
    let (status, body) = r
        .start(
            &app,
            json!({"plate": "AB-12-34", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let error = &body["error"];
    assert_eq!(error["code"], "insufficient_balance");
    assert_eq!(
        error["message"],
        "Uw saldo is niet toereikend om op dit moment een parkeeractie te starten."
    );
    let alternative = error["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "shorten_to_balance")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(alternative["cost"], json!({"value": "1.00", "unit": "EUR"}));
    assert_eq!(
        alternative["end"].as_str().unwrap(),
        at(2, 10, 50).to_rfc3339()
    );
    assert_eq!(r.balance(&app).await, "1.00", "a refusal takes nothing");

    // Accepting the alternative: post its start and end.
    let (status, s) = r
        .start(
            &app,
            json!({"plate": "AB-12-34", "start": alternative["start"], "end": alternative["end"]}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(r.balance(&app).await, "0.00");

    // Wrong requests are 422, before any rule.
    for (body, code) in [
        (
            json!({"plate": "AB-12-34", "start": at(2, 9, 0).to_rfc3339()}),
            "start_in_past",
        ),
        (
            json!({"plate": "AB-12-34", "start": at(2, 12, 0).to_rfc3339(), "end": at(2, 11, 0).to_rfc3339()}),
            "end_before_start",
        ),
        (json!({"plate": "QQ-QQ-QQ"}), "plate_invalid"),
        (
            json!({"plate": "AB-12-34", "start": at(2, 12, 0).to_rfc3339(), "end": "2028-01-01T00:00:00Z"}),
            "outside_validity",
        ),
    ] {
        let (status, resp) = r.start(&app, body).await;
        assert_eq!(status, 422, "{resp}");
        assert_eq!(resp["error"]["code"], code);
    }
    ledger_holds(&app).await;
}

#[tokio::test]
async fn the_migration_bounds_the_sessions_that_exist_already() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "kees@example.nl", Some("250.00")).await;
    for (start, end) in [(None, at(2, 11, 0)), (Some(at(2, 12, 0)), at(2, 13, 0))] {
        let (status, body) = r
            .start(
                &app,
                json!({"plate": "AB-12-34", "start": start, "end": end}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, planned) = r
        .start(
            &app,
            json!({"plate": "AB-12-34", "start": at(2, 14, 0), "end": at(2, 15, 0)}),
        )
        .await;
    assert_eq!(status, 201, "{planned}");
    let (status, body) = r.end(&app, planned["id"].as_i64().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    // The database as it was before migration 000006, then a start-up that applies it.
    let conn = app.app.as_ref().unwrap().database().connection();
    for sql in [
        "ALTER TABLE products DROP COLUMN sessions_until",
        "ALTER TABLE products DROP COLUMN revision",
        "DELETE FROM seaql_migrations WHERE version = 'm20261126_000006_add_product_revision'",
    ] {
        conn.execute_unprepared(sql).await.unwrap();
    }
    let reopened = parkportal::app::open_database(&app.config).await.unwrap();
    let live = format!(
        "SELECT COUNT(*) FROM products p WHERE p.id = {} AND p.sessions_until = \
         (SELECT MAX(s.end_at) FROM parking_sessions s WHERE s.product_id = p.id \
         AND s.deleted_at IS NULL)",
        r.product
    );
    assert_eq!(
        app.sql_i64(&live).await,
        1,
        "the latest end of a live session"
    );
    let deleted_later = format!(
        "SELECT COUNT(*) FROM parking_sessions WHERE product_id = {0} AND deleted_at IS NOT NULL \
         AND end_at > (SELECT sessions_until FROM products WHERE id = {0})",
        r.product
    );
    assert_eq!(
        app.sql_i64(&deleted_later).await,
        1,
        "the deleted session, which ends later, does not count"
    );
    reopened.close().await.unwrap();
}

#[tokio::test]
async fn an_extended_session_still_counts_for_a_later_start() {
    // A start after the end of every session of its product skips reading them; an extension
    // has to move that bound, or an eleventh car would slip through here.
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "kees@example.nl", Some("250.00")).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let (status, body) = r
            .start(
                &app,
                json!({"plate": format!("AB-12-{:02}", 10 + i), "end": at(2, 11, 0).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 201, "car {i}: {body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    let later = json!({"plate": "XX-99-99", "start": at(2, 12, 0).to_rfc3339(), "end": at(2, 13, 0).to_rfc3339()});
    let mut first_cost = None;
    for id in &ids {
        let (status, body) = r.extend(&app, *id, at(2, 14, 0)).await;
        assert_eq!(status, 200, "{body}");
        first_cost.get_or_insert(body["cost"]["value"].as_str().unwrap().to_owned());
    }
    let (status, body) = r.start(&app, later.clone()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "max_concurrent_sessions");
    let before = r.balance(&app).await;
    // Stopping one frees a place, although the bound stays where the extensions put it. (It
    // began at this very instant on the test's fixed clock: it has not run, so it goes like a
    // planned one, all of it refunded, where an end equal to its start once failed with 500.)
    let (status, body) = r.end(&app, ids[0]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "deleted", "{body}");
    let cents = |v: &str| -> i64 { v.replace('.', "").parse().unwrap() };
    assert_eq!(
        cents(&r.balance(&app).await) - cents(&before),
        cents(&first_cost.unwrap()),
        "all of it refunded"
    );
    let (status, body) = r.start(&app, later).await;
    assert_eq!(status, 201, "{body}");
    ledger_holds(&app).await;
}

#[tokio::test]
async fn the_eleventh_car_at_once_is_refused_with_a_later_start_and_havenmond_ends_at_midnight() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "kees@example.nl", Some("250.00")).await;
    for i in 0..10 {
        let (status, body) = r
            .start(
                &app,
                json!({"plate": format!("AB-12-{:02}", 10 + i), "end": at(2, 11 + (i % 3), 0).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 201, "car {i}: {body}");
    }
    let (status, body) = r
        .start(
            &app,
            json!({"plate": "XX-99-99", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "max_concurrent_sessions");
    assert_eq!(
        body["error"]["message"],
        "Het maximumaantal gelijktijdige acties overschreden"
    );
    let later = &body["error"]["alternatives"][0];
    assert_eq!(later["kind"], "start_later");
    assert_eq!(later["start"].as_str().unwrap(), at(2, 11, 0).to_rfc3339());

    // Havenmond ends sessions at the end of the day and grants 500 hours a year.
    let h = resident(&app, "havenmond", "kees@example.nl", None).await;
    assert_eq!(h.balance(&app).await, "30000");
    assert_eq!(h.balance(&app).await, "30000", "granted once per period");
    let (status, body) = h
        .start(
            &app,
            json!({"plate": "AB-12-34", "end": at(3, 2, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "end_of_day");
    let end_of_day = body["error"]["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "end_of_day")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(
        end_of_day["end"].as_str().unwrap(),
        at(3, 0, 0).to_rfc3339()
    );
    let (status, s) = h.start(&app, json!({"plate": "AB-12-34"})).await;
    assert_eq!(status, 201, "the default end is the end of the day: {s}");
    assert_eq!(s["end"].as_str().unwrap(), at(3, 0, 0).to_rfc3339());
    assert_eq!(s["cost"]["unit"], "minutes");

    // A new year grants again (the resident logs in anew: the old session timed out long ago).
    app.clock.set(
        chrono_tz::Europe::Amsterdam
            .with_ymd_and_hms(2027, 1, 1, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    let old = h.api(&app, "GET", "/api/v1/products", None).await;
    assert_eq!(old.status(), 401);
    let h = h.with_token(api_token(&app, "kees@example.nl").await);
    let minutes: i64 = h.balance(&app).await.parse().unwrap();
    assert!(minutes > 30000, "{minutes}");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'grant'")
            .await,
        2
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn another_residents_product_and_sessions_are_404_everywhere() {
    let app = TestApp::spawn().await;
    let owner = resident(&app, "dijkstad", "eigenaar@example.nl", Some("25.00")).await;
    let other = resident(&app, "dijkstad", "ander@example.nl", Some("25.00")).await;
    let (_, s) = owner
        .start(
            &app,
            json!({"plate": "AB-12-34", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    let session = s["id"].as_i64().unwrap();
    let product = owner.product;
    for (method, path, body) in [
        ("GET", format!("/api/v1/products/{product}/sessions"), None),
        (
            "POST",
            format!("/api/v1/products/{product}/sessions"),
            Some(json!({"plate": "AB-12-34"})),
        ),
        (
            "PATCH",
            format!("/api/v1/sessions/{session}"),
            Some(json!({"end": at(2, 12, 0).to_rfc3339()})),
        ),
        ("DELETE", format!("/api/v1/sessions/{session}"), None),
    ] {
        let resp = other.api(&app, method, &path, body).await;
        assert_eq!(resp.status(), 404, "{method} {path}: {}", resp.text());
        assert_eq!(resp.json()["error"]["code"], "not_found");
    }
    let list = other.products(&app).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != product)
    );
    let anonymous = app.anonymous().api("GET", "/api/v1/products", None).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        owner.balance(&app).await,
        "23.80",
        "untouched by the other resident"
    );
}

#[tokio::test]
async fn a_letters_code_and_pin_add_the_product_and_guessing_the_pin_waits() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "brief@example.nl", Some("5.00")).await;
    let letter = app
        .app
        .as_ref()
        .unwrap()
        .state()
        .desk()
        .issue(IssueRequest {
            tenant: "weidevelde".into(),
            balance: Some("10.00".parse().unwrap()),
            ..IssueRequest::default()
        })
        .await
        .unwrap();
    let code = letter.code.to_string();
    let pin = letter.pin.expose().to_owned();
    let wrong_pin = if pin == "000000" { "111111" } else { "000000" };

    let claim = |code: String, pin: String, token: String| {
        let app = &app;
        async move {
            call(
                app,
                "POST",
                "/api/v1/products/claim",
                Some(json!({"code": code, "pin": pin})),
                Some(&token),
            )
            .await
        }
    };
    let (status, body) = claim("GEEN-CODE".into(), pin.clone(), r.token.clone()).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "claim_unknown");
    for i in 0..4 {
        let (status, body) = claim(code.clone(), wrong_pin.into(), r.token.clone()).await;
        assert_eq!(status, 422, "attempt {i}: {body}");
        assert_eq!(
            body["error"]["message"],
            "De combinatie van productcode en pincode is onbekend. Controleer beide en probeer het opnieuw."
        );
    }
    // The fifth wrong PIN for the code makes even the right one wait.
    claim(code.clone(), wrong_pin.into(), r.token.clone()).await;
    let (status, body) = claim(code.to_lowercase(), pin.clone(), r.token.clone()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");

    app.clock.advance(Duration::minutes(2));
    // Stay logged in: the token's session is older than the idle time-out otherwise.
    let token = api_token(&app, "brief@example.nl").await;
    let (status, body) = claim(
        code.to_lowercase().replace('-', " "),
        pin.clone(),
        token.clone(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["gemeente"], "Gemeente Weidevelde");
    assert_eq!(body["balance"], json!({"value": "10.00", "unit": "EUR"}));
    let list = r.with_token(token.clone()).products(&app).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // Another resident with the right code and PIN gets the same answer as for a wrong one.
    let other = resident(&app, "dijkstad", "ander@example.nl", None).await;
    let (status, body) = claim(code, pin, other.token.clone()).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "claim_unknown");
}

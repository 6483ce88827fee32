//! Times in the JSON API are strict RFC 3339 both ways: a leap second is refused like a time
//! that does not exist, and no time the API writes carries one.

use crate::support::{TestApp, call};
use crate::support::{at, ledger_holds, resident};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// `text` parsed as RFC 3339, refusing what a strict parser refuses beyond chrono: a leap
/// second (chrono reads `:60` as a nanosecond past 999 999 999).
fn strict_rfc3339(text: &Value) -> DateTime<Utc> {
    use chrono::Timelike;
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("{text} is not a string"));
    let t = DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc);
    assert!(
        t.nanosecond() < 1_000_000_000 && t.second() < 60,
        "{text} has a leap second"
    );
    t
}

#[tokio::test]
async fn a_leap_second_is_refused_like_30_february_and_every_time_written_is_strict_rfc_3339() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    // 30 February does not exist: the answer a time that does not exist gets.
    let (status, feb30) = r
        .start(
            &app,
            json!({"plate": "AB-12-34", "end": "2026-02-30T11:00:00+01:00"}),
        )
        .await;
    assert_eq!(status, 400, "{feb30}");
    let code = feb30["error"]["code"].clone();
    assert_eq!(code, "bad_request");
    for body in [
        json!({"plate": "AB-12-34", "start": "2026-03-02T10:00:60+01:00", "end": "2026-03-02T11:00:00+01:00"}),
        json!({"plate": "AB-12-34", "end": "2026-03-02T10:59:60+01:00"}),
        json!({"plate": "AB-12-34", "start": "2026-03-02T11:00:00Z", "end": "2026-03-02T11:59:60Z"}),
        json!({"plate": "AB-12-34", "end": "2026-03-02T10:59:60.5+01:00"}),
        json!({"plate": "AB-12-34", "end": "2026-03-02T23:59:60+01:00"}),
    ] {
        let (status, answer) = r.start(&app, body.clone()).await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (400, &code),
            "{body}: {answer}"
        );
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions").await,
        0
    );
    assert_eq!(r.balance(&app).await, "25.00");

    // A valid session; a leap second as its new end changes nothing.
    let (status, s) = r
        .start(
            &app,
            json!({"plate": "AB-12-34", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(r.balance(&app).await, "23.80");
    let id = s["id"].as_i64().unwrap();
    let (status, answer) = call(
        &app,
        "PATCH",
        &format!("/api/v1/sessions/{id}"),
        Some(json!({"end": "2026-03-02T11:59:60+01:00"})),
        Some(&r.token),
    )
    .await;
    assert_eq!((status, &answer["error"]["code"]), (400, &code), "{answer}");
    assert_eq!(r.balance(&app).await, "23.80");

    // What the API writes parses strictly: the session, the lists, the products.
    assert_eq!(strict_rfc3339(&s["start"]), at(2, 10, 0));
    assert_eq!(strict_rfc3339(&s["end"]), at(2, 11, 0));
    for path in [
        format!("/api/v1/products/{}/sessions", r.product),
        "/api/v1/sessions".to_owned(),
    ] {
        let (_, list) = call(&app, "GET", &path, None, Some(&r.token)).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{list}");
        assert_eq!(strict_rfc3339(&items[0]["end"]), at(2, 11, 0));
        strict_rfc3339(&items[0]["start"]);
    }
    let (_, products) = call(&app, "GET", "/api/v1/products", None, Some(&r.token)).await;
    strict_rfc3339(&products["items"][0]["valid_until"]);

    // An end stored with a leap second before they were refused, written as the database keeps
    // times (SQLite keeps the text; PostgreSQL stores the next minute): the lists write the
    // instant it stands for, without `:60`.
    let stored = app
        .sql_text(&format!(
            "SELECT CAST(end_at AS TEXT) FROM parking_sessions WHERE id = {id}"
        ))
        .await
        .unwrap();
    assert!(stored.contains("10:00:00"), "{stored}");
    let leap = stored.replace("10:00:00", "09:59:60");
    app.sql_i64(&format!(
        "UPDATE parking_sessions SET end_at = '{leap}' WHERE id = {id} RETURNING id"
    ))
    .await;
    for path in [
        format!("/api/v1/products/{}/sessions", r.product),
        "/api/v1/sessions".to_owned(),
    ] {
        let (status, list) = call(&app, "GET", &path, None, Some(&r.token)).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(
            strict_rfc3339(&list["items"][0]["end"]),
            at(2, 11, 0),
            "{path}"
        );
    }

    // The document still calls them RFC 3339 times.
    let spec: Value = app
        .get("/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &spec["components"]["schemas"];
    for (schema, field) in [
        ("NewSession", "start"),
        ("NewSession", "end"),
        ("SessionPatch", "end"),
        ("SessionItem", "end"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(
            (&property["type"], &property["format"]),
            (&json!("string"), &json!("date-time")),
            "{schema}.{field}: {property}"
        );
    }
    ledger_holds(&app).await;
}

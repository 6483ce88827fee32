//! The digitaal loket in both APIs (#25): a resident applies with their bearer token (the
//! account's address, no captcha) and lists their applications; a gemeente's key with
//! `applications:decide` lists, approves (the product coupled at once to the account it was
//! made from), rejects and asks; another gemeente's key finds nothing, a key without the scope
//! is refused, and every refusal names its code.

use crate::admin_api::key;
use crate::support::{TestApp, audit_entries, call, resident};
use serde_json::{Value, json};

/// A complete application for Dijkstad's visitor scheme.
fn body() -> Value {
    json!({
        "gemeente": "dijkstad",
        "product_type": "bezoekers",
        "name": "J. de Vries",
        "street": "Kerkstraat",
        "house_number": "12 A",
        "postcode": "1234ab",
        "city": "Dijkstad",
        "remark": "Voor mijn moeder."
    })
}

/// `body` with `changes` merged in.
fn with(changes: Value) -> Value {
    let mut b = body();
    for (k, v) in changes.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[tokio::test]
async fn a_resident_applies_through_the_api_and_lists_their_applications() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let (status, applied) = call(
        &app,
        "POST",
        "/api/v1/applications",
        Some(body()),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 201, "{applied}");
    assert_eq!(applied["status"], "received");
    let reference = applied["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("AV-"), "{reference}");
    assert_eq!(
        app.sql_text("SELECT email || '|' || postcode FROM applications")
            .await
            .as_deref(),
        Some("jan@example.nl|1234 AB"),
        "the account's address"
    );
    let (status, list) = call(&app, "GET", "/api/v1/applications", None, Some(&jan.token)).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["reference"], reference.as_str());
    assert_eq!(list["items"][0]["gemeente"], "dijkstad");
    assert_eq!(list["items"][0]["product_type"], "bezoekers");
    assert_eq!(list["items"][0]["product_type_name"], "Bezoekersregeling");
    assert_eq!(list["items"][0]["id"], applied["id"]);
    // Another resident sees none of it.
    let piet = resident(&app, "dijkstad", "piet@example.nl", None).await;
    let (_, theirs) = call(&app, "GET", "/api/v1/applications", None, Some(&piet.token)).await;
    assert_eq!(theirs["items"], json!([]));

    // What is wrong is named, and nothing is stored.
    for (changes, status, code) in [
        (json!({"gemeente": "nergens"}), 404, "not_found"),
        (json!({"product_type": "bewoners"}), 404, "not_found"),
        (json!({"postcode": "12345"}), 422, "recipient_invalid"),
        (json!({"remark": "x".repeat(1001)}), 422, "remark_too_long"),
    ] {
        let (got, answer) = call(
            &app,
            "POST",
            "/api/v1/applications",
            Some(with(changes.clone())),
            Some(&jan.token),
        )
        .await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{changes}"
        );
    }
    let (_, answer) = call(
        &app,
        "POST",
        "/api/v1/applications",
        Some(with(json!({"postcode": "12345", "city": ""}))),
        Some(&jan.token),
    )
    .await;
    assert_eq!(answer["error"]["fields"], json!(["postcode", "city"]));
    let (status, _) = call(&app, "POST", "/api/v1/applications", Some(body()), None).await;
    assert_eq!(status, 401);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM applications").await, 1);
    // The day's limit per address: five in all.
    for _ in 0..4 {
        let (status, _) = call(
            &app,
            "POST",
            "/api/v1/applications",
            Some(body()),
            Some(&jan.token),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, answer) = call(
        &app,
        "POST",
        "/api/v1/applications",
        Some(body()),
        Some(&jan.token),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (429, Some("too_many_attempts"))
    );
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM applications").await, 5);
}

#[tokio::test]
async fn a_key_lists_and_decides_applications_of_its_own_gemeente_only() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, applied) = call(
            &app,
            "POST",
            "/api/v1/applications",
            Some(body()),
            Some(&jan.token),
        )
        .await;
        assert_eq!(status, 201);
        ids.push(applied["id"].as_i64().unwrap());
    }
    let k = key(&app, "dijkstad", "loket", "applications:decide").await;
    let (status, list) = call(&app, "GET", "/api/admin/v1/applications", None, Some(&k)).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(list["items"][0]["status"], "received");
    assert_eq!(list["items"][0]["rule_outcome"], "review");
    assert_eq!(audit_entries(&app).await[0].action, "application.list");

    // Approved: coupled at once to Jan's account.
    let approve = format!("/api/admin/v1/applications/{}/approve", ids[0]);
    let (status, decided) = call(&app, "POST", &approve, Some(json!({})), Some(&k)).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "granted");
    let (_, products) = call(&app, "GET", "/api/v1/products", None, Some(&jan.token)).await;
    assert_eq!(products["items"].as_array().map(Vec::len), Some(2));
    let trail = audit_entries(&app).await;
    assert!(
        trail[..2]
            .iter()
            .any(|e| e.action == "application.approve" && e.actor == "api-sleutel loket"),
        "by the key"
    );
    // Deciding it again is 409; a rejection needs a reason; a question goes out. Each refusal
    // is on the record once, with its code.
    let before = audit_entries(&app).await.len();
    let (status, answer) = call(
        &app,
        "POST",
        &format!("/api/admin/v1/applications/{}/reject", ids[0]),
        Some(json!({"reason": "Te laat."})),
        Some(&k),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("application_decided"))
    );
    let trail = audit_entries(&app).await;
    assert_eq!(trail.len(), before + 1);
    assert_eq!(
        (
            trail[0].action.as_str(),
            trail[0].result.as_str(),
            trail[0].reason.as_deref()
        ),
        ("application.reject", "refused", Some("application_decided"))
    );
    let reject = format!("/api/admin/v1/applications/{}/reject", ids[1]);
    let (status, answer) = call(
        &app,
        "POST",
        &reject,
        Some(json!({"reason": " "})),
        Some(&k),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("message_invalid"))
    );
    assert_eq!(audit_entries(&app).await.len(), before + 2);
    let (status, decided) = call(
        &app,
        "POST",
        &reject,
        Some(json!({"reason": "Alleen voor bewoners van het centrum."})),
        Some(&k),
    )
    .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (200, Some("rejected"))
    );
    let (status, decided) = call(
        &app,
        "POST",
        &format!("/api/admin/v1/applications/{}/ask", ids[2]),
        Some(json!({"question": "Woont u hier?"})),
        Some(&k),
    )
    .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (200, Some("info_needed"))
    );
    let (_, mine) = call(&app, "GET", "/api/v1/applications", None, Some(&jan.token)).await;
    let asked = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == ids[2])
        .unwrap();
    assert_eq!(asked["messages"][0]["kind"], "question");
    assert_eq!(asked["messages"][0]["body"], "Woont u hier?");
    let (_, listed) = call(
        &app,
        "GET",
        "/api/admin/v1/applications?status=rejected",
        None,
        Some(&k),
    )
    .await;
    assert_eq!(listed["items"][0]["id"], ids[1]);

    // Another gemeente's key: 404 before its scope is looked at, on the record, nothing changed.
    let other = key(&app, "weidevelde", "loket", "applications:decide").await;
    let (status, _) = call(
        &app,
        "POST",
        &format!("/api/admin/v1/applications/{}/ask", ids[2]),
        Some(json!({"question": "?"})),
        Some(&other),
    )
    .await;
    assert_eq!(status, 404);
    let trail = audit_entries(&app).await;
    assert_eq!(
        (trail[0].action.as_str(), trail[0].reason.as_deref()),
        ("application.ask", Some("not_found"))
    );
    assert_ne!(trail[1].action, "application.ask", "once");
    let (_, theirs) = call(
        &app,
        "GET",
        "/api/admin/v1/applications",
        None,
        Some(&other),
    )
    .await;
    assert_eq!(theirs["items"], json!([]));
    // A key without the scope: 403.
    let narrow = key(&app, "dijkstad", "uitgifte", "products:issue").await;
    let before = audit_entries(&app).await.len();
    let (status, _) = call(
        &app,
        "GET",
        "/api/admin/v1/applications",
        None,
        Some(&narrow),
    )
    .await;
    assert_eq!(status, 403);
    let trail = audit_entries(&app).await;
    assert_eq!(trail.len(), before + 1);
    assert_eq!(
        (trail[0].action.as_str(), trail[0].reason.as_deref()),
        ("application.list", Some("scope_missing"))
    );
    let (status, _) = call(
        &app,
        "POST",
        &format!("/api/admin/v1/applications/{}/approve", ids[2]),
        Some(json!({})),
        Some(&narrow),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM application_messages")
            .await,
        2,
        "the reason and the question, nothing more"
    );
}

#[tokio::test]
async fn an_api_approval_of_an_address_in_no_zone_needs_its_zone() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let (status, applied) = call(
        &app,
        "POST",
        "/api/v1/applications",
        Some(with(json!({"postcode": "9999 ZZ"}))),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 201, "{applied}");
    let k = key(&app, "dijkstad", "loket", "applications:decide").await;
    let approve = format!("/api/admin/v1/applications/{}/approve", applied["id"]);
    let (status, answer) = call(&app, "POST", &approve, Some(json!({})), Some(&k)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("zone_unknown"))
    );
    assert_eq!(
        app.sql_text("SELECT status FROM applications")
            .await
            .as_deref(),
        Some("received")
    );
    let (status, decided) = call(
        &app,
        "POST",
        &approve,
        Some(json!({"zone": "noordoever"})),
        Some(&k),
    )
    .await;
    assert_eq!((status, decided["status"].as_str()), (200, Some("granted")));
    assert_eq!(
        app.sql_text(
            "SELECT z.code FROM applications a JOIN products p ON p.id = a.product_id \
             JOIN zones z ON z.id = p.zone_id"
        )
        .await
        .as_deref(),
        Some("noordoever")
    );
}

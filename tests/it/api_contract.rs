//! The API's contract: `/api/openapi.json` declares every status each operation can answer with
//! its error body and codes, the bearer token as a security scheme, nullable fields as nullable;
//! a 405 says what the path takes; the document itself is kept as a snapshot, so that a change to
//! it shows in review.

use crate::mandates::mandatee;
use crate::support::{TestApp, call, repo};
use crate::support::{at, resident};
use serde_json::{Value, json};

async fn document(app: &TestApp) -> Value {
    let text = app.page("/api/openapi.json").await;
    serde_json::from_str(&text).unwrap()
}

/// Every operation of the document: path, method and the operation object.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

/// The codes the document allows for `status` of the operation at `path` and `method`.
fn declared_codes(doc: &Value, path: &str, method: &str, status: u16) -> Vec<String> {
    doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"]["properties"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .map(|codes| {
            codes
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_document_is_the_reviewed_snapshot() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let text = format!("{}\n", serde_json::to_string_pretty(&doc).unwrap());
    let path = repo().join("tests/snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == text,
        "/api/openapi.json changed: review it and run the test again with UPDATE_SNAPSHOTS=1 \
         to keep the new document in tests/snapshots/openapi.json"
    );
}

#[tokio::test]
async fn every_operation_declares_its_refusals_and_its_token() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let scheme = &doc["components"]["securitySchemes"]["BearerToken"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let ops = operations(&doc);
    assert!(ops.len() >= 29, "{} operations", ops.len());
    for (path, method, op) in &ops {
        let responses = op["responses"].as_object().unwrap();
        for status in ["400", "413", "500"] {
            assert!(
                responses.contains_key(status),
                "{method} {path} lacks {status}"
            );
        }
        let secured = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("BearerToken").is_some()));
        let public = [
            "/v1/tenants",
            "/v1/auth/login",
            "/v1/captcha",
            "/v1/auth/password-reset",
            "/v1/auth/password-reset/confirm",
            "/v1/couplings/accept",
            "/v1/payments/webhook",
        ];
        assert_eq!(
            secured,
            !public.contains(&path.as_str()),
            "{method} {path}: security"
        );
        if secured {
            assert_eq!(declared_codes(&doc, path, method, 401), ["unauthorized"]);
        }
        if op.get("requestBody").is_some() {
            assert!(responses.contains_key("415"), "{method} {path} lacks 415");
        }
    }
    let start = declared_codes(&doc, "/v1/products/{id}/sessions", "post", 409);
    for code in [
        "insufficient_balance",
        "plate_already_parked",
        "idempotency_key_in_use",
    ] {
        assert!(start.contains(&code.to_owned()), "{code} in {start:?}");
    }
    let nullable = &doc["components"]["schemas"]["ProductItem"]["properties"]["active_plate"];
    assert_eq!(nullable["nullable"], true, "{nullable}");
    let limit = doc["paths"]["/v1/products/{id}/history/sessions"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .cloned()
        .unwrap();
    assert_eq!(limit["schema"]["minimum"], 1.0);
    assert_eq!(limit["schema"]["maximum"], 100.0);
}

#[tokio::test]
async fn a_refusal_carries_a_code_its_operation_declares() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("1")).await;
    let path = format!("/api/v1/products/{}/sessions", jan.product);
    let (status, body) = jan
        .start(
            &app,
            json!({"plate": "12-GBD-3", "end": at(2, 23, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let code = body["error"]["code"].as_str().unwrap().to_owned();
    assert_eq!(code, "insufficient_balance");
    assert!(declared_codes(&doc, "/v1/products/{id}/sessions", "post", 409).contains(&code));
    let (status, body) = call(
        &app,
        "POST",
        &path,
        Some(json!({"plate": "!"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let code = body["error"]["code"].as_str().unwrap().to_owned();
    assert!(declared_codes(&doc, "/v1/products/{id}/sessions", "post", 422).contains(&code));
    // Without the token: 401 with the declared code, before anything is read.
    let (status, body) = call(&app, "GET", "/api/v1/products", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    // A limit out of the declared range is refused by the schema (400), as documented.
    let (status, _) = call(
        &app,
        "GET",
        &format!(
            "/api/v1/products/{}/history/sessions?limit=101",
            jan.product
        ),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_method_a_path_does_not_take_is_405_with_allow() {
    let app = TestApp::spawn().await;
    for (method, path, allow) in [
        ("TRACE", "/api/v1/me", "GET"),
        ("DELETE", "/api/v1/products", "GET"),
        ("PUT", "/api/v1/sessions/7", "DELETE, PATCH"),
        ("GET", "/api/v1/auth/login", "POST"),
    ] {
        let resp = app
            .client
            .request(method.parse().unwrap(), format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(
            resp.headers().get("allow").map(|v| v.to_str().unwrap()),
            Some(allow),
            "{method} {path}"
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
}

#[tokio::test]
async fn the_owner_is_told_which_mandatee_started_a_session_as_the_page_says() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("30")).await;
    let piet = mandatee(&app, &jan, "piet@example.nl", "10.00").await;
    let theirs = piet.park(&app, "34-XYZ-5", at(2, 12, 0)).await;
    let own = jan.park(&app, "12-GBD-3", at(2, 12, 0)).await;
    for list in [
        jan.live(&app).await,
        call(&app, "GET", "/api/v1/sessions", None, Some(&jan.token))
            .await
            .1,
    ] {
        let items = list["items"].as_array().unwrap();
        let find = |id: i64| items.iter().find(|s| s["id"] == id).unwrap().clone();
        assert_eq!(find(theirs)["started_by"], "piet@example.nl", "{list}");
        assert_eq!(find(theirs)["mine"], false);
        assert_eq!(find(own)["started_by"], Value::Null);
        assert_eq!(find(own)["mine"], true);
    }
    // The mandatee sees only its own session, and is told nobody's address.
    let seen = piet.live(&app).await;
    let items = seen["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{seen}");
    assert_eq!(items[0]["mine"], true);
    assert_eq!(items[0]["started_by"], Value::Null);
}

#[tokio::test]
async fn the_recent_plates_of_kenteken_opzoeken_are_in_the_api_too() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("30")).await;
    let first = jan.park(&app, "12-GBD-3", at(2, 11, 0)).await;
    jan.end(&app, first).await;
    jan.park(&app, "34-XYZ-5", at(2, 11, 0)).await;
    let favorites = format!("/api/v1/products/{}/favorites", jan.product);
    let (status, _) = call(
        &app,
        "POST",
        &favorites,
        Some(json!({"plate": "34-XYZ-5", "name": "Oma"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 201);
    let recent = format!("/api/v1/products/{}/recent-plates", jan.product);
    let (status, body) = call(&app, "GET", &recent, None, Some(&jan.token)).await;
    assert_eq!(status, 200, "{body}");
    let plates: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["plate"].as_str().unwrap())
        .collect();
    assert_eq!(plates, ["12-GBD-3"], "the favorite is left out: {body}");
    // The page shows the same.
    app.login("jan@example.nl", "fietsbel42xy").await;
    let page = app
        .page(&format!("/producten/{}/kentekens?tab=recent", jan.product))
        .await;
    assert!(
        page.contains("12-GBD-3") && !page.contains("34-XYZ-5"),
        "{page}"
    );
    // A mandatee, who has no favorites, gets the plates parked with the product too.
    let piet = mandatee(&app, &jan, "piet@example.nl", "5.00").await;
    piet.park(&app, "12-GBD-3", at(2, 11, 0)).await;
    let (status, body) = call(&app, "GET", &recent, None, Some(&piet.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"][0]["plate"], "12-GBD-3", "{body}");
    // Another resident's product is not found, in another gemeente too.
    let els = resident(&app, "havenmond", "els@example.nl", Some("10")).await;
    let (status, body) = call(&app, "GET", &recent, None, Some(&els.token)).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

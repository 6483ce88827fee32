//! The admin API (`/api/admin/v1`) with a gemeente's API keys: issuing a product with its
//! letter (read back with poppler and zbar, and claimed by a resident with its code and PIN), the
//! scope table (no key, another gemeente's key, a key without the scope, the right key), bodies
//! refused with their codes and nothing stored, and every call in the audit trail under the key's
//! name.

use crate::support::{TestApp, audit_entries, call, resident};
use parkportal_domain::api_keys::Scopes;
use parkportal_domain::audit::{Actor, AuditEntry};
use serde_json::{Value, json};
use std::process::Command;

/// A key of `slug` named `name` with `scopes` ("S1,S2"), made as the command line does.
pub(crate) async fn key(app: &TestApp, slug: &str, name: &str, scopes: &str) -> String {
    let tenant = app.tenant(slug).await;
    let keys = app.app.as_ref().unwrap().api_keys();
    let entry = AuditEntry::new(Actor::Operator, "api_key.created", "cli", keys.now());
    let (_, secret) = keys
        .create(tenant.id, name, Scopes::parse(scopes).unwrap(), None, entry)
        .await
        .unwrap();
    secret.expose()
}

const ALL: &str = "products:issue,products:read,letters:read";

/// A complete body for J. de Vries.
fn jan() -> Value {
    json!({"recipient": {"name": "J. de Vries", "street": "Kerkstraat", "house_number": "12 A",
                         "postcode": "1234ab", "city": "Dijkstad"}})
}

/// Runs `program` with `args`; its standard output.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (poppler-utils, zbar-tools): {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The path of `url` (the API answers absolute URLs of the server's public address).
fn path_of(url: &str) -> &str {
    &url[url.find("/api/admin/").unwrap()..]
}

#[tokio::test]
async fn a_key_issues_a_product_whose_letter_reads_back_and_the_resident_claims_it() {
    let app = TestApp::spawn().await;
    let k = key(&app, "dijkstad", "koppeling", ALL).await;
    let mut body = jan();
    body["email"] = json!("bewoner@example.nl");
    body["language"] = json!("en");
    // The same plate twice is one plate.
    body["plates"] = json!(["ab-12-34", "DE:B-XY123", "AB1234"]);
    body["balance"] = json!("25.00");
    body["valid_until"] = json!("2026-12-31");
    let resp = reqwest::Client::new()
        .post(format!("{}/api/admin/v1/products", app.url))
        .bearer_auth(&k)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let issued: Value = resp.json().await.unwrap();
    let code = issued["code"].as_str().unwrap().to_owned();
    let pin = issued["pin"].as_str().unwrap().to_owned();
    assert!(code.len() == 11 && pin.len() == 6, "{issued}");
    let product = &issued["product"];
    assert_eq!(product["code"], code.as_str());
    assert_eq!(product["product_type"], "bezoekers");
    assert_eq!(product["balance"], "25.00");
    assert_eq!(product["unit"], "EUR");
    assert_eq!(product["plates"], json!(["AB-12-34", "DE:BXY123"]));
    assert_eq!(product["coupled"], false);
    assert_eq!(product["recipient"]["postcode"], "1234 AB");
    assert!(product["letter_kept_until"].is_string());
    // The coupling mail went to the address given, in the letter's language (no account yet).
    let subject = app
        .sql_text("SELECT subject FROM outbox WHERE recipient = 'bewoner@example.nl'")
        .await
        .unwrap();
    assert!(subject.starts_with("Couple"), "{subject}");

    // The letter: an absolute URL of the admin API that the same key fetches.
    let letter_url = issued["letter_url"].as_str().unwrap();
    assert!(
        letter_url.starts_with("http")
            && letter_url.ends_with(&format!("/api/admin/v1/products/{code}/letter.pdf"))
    );
    let resp = reqwest::Client::new()
        .get(format!("{}{}", app.url, path_of(letter_url)))
        .bearer_auth(&k)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(
        resp.headers()["cache-control"],
        "no-store",
        "it holds the PIN"
    );
    let pdf = resp.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("letter.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let file = file.to_str().unwrap();
    let text = run("pdftotext", &[file, "-"]);
    for expected in [
        "J. de Vries",
        "Kerkstraat 12 A",
        "DIJKSTAD",
        "Subject",
        &code,
        &pin,
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // It renders, and its QR code is the claim link with the code and without the PIN.
    let png = dir.path().join("page");
    run(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-png",
            "-singlefile",
            file,
            png.to_str().unwrap(),
        ],
    );
    let qr = run(
        "zbarimg",
        &["--quiet", "--raw", &format!("{}.png", png.display())],
    );
    let qr = qr.trim();
    assert!(
        qr.ends_with(&format!("/producten/toevoegen?code={code}")),
        "{qr}"
    );
    assert!(!qr.contains(&pin));

    // The resident adds it with the letter's code and PIN.
    let resident = resident(&app, "dijkstad", "bewoner2@example.nl", None).await;
    let claimed = resident
        .post_form(
            &app,
            "/producten/toevoegen",
            &[("code", &code), ("pin", &pin)],
        )
        .await;
    assert_eq!(claimed.status(), 303, "{}", claimed.text());
    let (status, read) = call(
        &app,
        "GET",
        &format!("/api/admin/v1/products/{code}"),
        None,
        Some(&k),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["coupled"], true);

    // Every call in the trail under the key's name, once each: the issue (whose answer reads
    // the product back without a second entry), the letter, the product, newest first.
    let entries = audit_entries(&app).await;
    let by_key: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e.actor == "api-sleutel koppeling")
        .map(|e| (e.action.as_str(), e.result.as_str()))
        .collect();
    assert_eq!(
        by_key,
        [
            ("product.read", "ok"),
            ("letter.read", "ok"),
            ("product.issue", "ok"),
        ]
    );
}

#[tokio::test]
async fn the_scope_table_holds_for_every_operation() {
    let app = TestApp::spawn().await;
    let right = key(&app, "dijkstad", "alles", ALL).await;
    let other = key(&app, "havenmond", "havenmond", ALL).await;
    let issued = call(
        &app,
        "POST",
        "/api/admin/v1/products",
        Some(jan()),
        Some(&right),
    )
    .await;
    assert_eq!(issued.0, 201, "{}", issued.1);
    let code = issued.1["code"].as_str().unwrap().to_owned();
    let product = format!("/api/admin/v1/products/{code}");
    let letter = format!("{product}/letter.pdf");

    // (operation, the scope it needs, the status with the right key)
    let table = [
        (
            "POST",
            "/api/admin/v1/products".to_owned(),
            "products:issue",
            201,
        ),
        ("GET", product.clone(), "products:read", 200),
        ("GET", letter.clone(), "letters:read", 200),
    ];
    for (method, path, scope, ok) in &table {
        let body = (*method == "POST").then(jan);
        let status = |(s, _): (u16, Value)| s;
        // No key, a malformed key, a well-formed key nobody has: 401 (a revoked one below).
        let (s, answer) = call(&app, method, path, body.clone(), None).await;
        assert_eq!(s, 401, "{method} {path}");
        assert_eq!(answer["error"]["code"], "unauthorized");
        assert_eq!(
            status(call(&app, method, path, body.clone(), Some("ppk_0000")).await),
            401
        );
        let unknown = format!("ppk_{}", "ab".repeat(32));
        assert_eq!(
            status(call(&app, method, path, body.clone(), Some(&unknown)).await),
            401
        );
        // Another gemeente's key: the product is not there for it (404), before any scope; a
        // POST issues in the key's own gemeente.
        let (s, answer) = call(&app, method, path, body.clone(), Some(&other)).await;
        if *method == "POST" {
            assert_eq!(s, 201);
            let code = answer["code"].as_str().unwrap().replace('-', "");
            let tenant = app
                .sql_i64(&format!(
                    "SELECT tenant_id FROM products WHERE code = '{code}'"
                ))
                .await;
            assert_eq!(tenant, app.tenant("havenmond").await.id.0);
        } else {
            assert_eq!(s, 404, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "not_found");
        }
        // A key of this gemeente without the scope: 403, naming the scope.
        let others: Vec<&str> = ALL.split(',').filter(|s| s != scope).collect();
        let without = key(
            &app,
            "dijkstad",
            &format!("zonder {scope}"),
            &others.join(","),
        )
        .await;
        let (s, answer) = call(&app, method, path, body.clone(), Some(&without)).await;
        assert_eq!(s, 403, "{method} {path}");
        assert_eq!(answer["error"]["code"], "forbidden");
        assert!(answer["error"]["message"].as_str().unwrap().contains(scope));
        // Without the scope, another gemeente's code is still a 404 first.
        if *method == "GET" {
            let elsewhere = path.replace(&code, "ACDEF-GHJKM");
            assert_eq!(
                status(call(&app, method, &elsewhere, None, Some(&without)).await),
                404
            );
        }
        // The right key.
        let (s, _) = call(&app, method, path, body.clone(), Some(&right)).await;
        assert_eq!(s, *ok, "{method} {path}");
    }

    // A revoked key is refused at once.
    let tenant = app.tenant("dijkstad").await;
    let keys = app.app.as_ref().unwrap().api_keys();
    let listed = keys.list(tenant.id).await.unwrap();
    let alles = listed.iter().find(|k| k.name == "alles").unwrap();
    keys.revoke(
        tenant.id,
        alles.id,
        AuditEntry::new(Actor::Operator, "api_key.revoked", "cli", keys.now()),
    )
    .await
    .unwrap();
    assert_eq!(call(&app, "GET", &product, None, Some(&right)).await.0, 401);
    // ... and its use is on the record in its gemeente, under its name: it may have leaked.
    let spent: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("api_key_revoked"))
        .map(|e| (e.actor, e.tenant, e.action))
        .collect();
    assert_eq!(
        spent,
        [(
            "api-sleutel alles".to_owned(),
            Some(tenant.id),
            "product.read".to_owned()
        )]
    );

    // Every call is in the trail: the refusals before a key too, and the scope refusals by name.
    let entries = audit_entries(&app).await;
    let unauthorized = entries
        .iter()
        .filter(|e| e.reason.as_deref() == Some("unauthorized"))
        .count();
    assert_eq!(
        unauthorized, 9,
        "no key, a malformed one and an unknown one, for each operation"
    );
    let scope_missing: Vec<&str> = entries
        .iter()
        .filter(|e| e.reason.as_deref() == Some("scope_missing"))
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(scope_missing.len(), 3, "{scope_missing:?}");
    assert!(
        scope_missing
            .iter()
            .all(|a| a.starts_with("api-sleutel zonder "))
    );
    let havenmond_404 = entries
        .iter()
        .filter(|e| e.actor == "api-sleutel havenmond" && e.reason.as_deref() == Some("not_found"))
        .count();
    assert_eq!(havenmond_404, 2);
}

#[tokio::test]
async fn bad_bodies_are_refused_with_their_code_and_store_nothing() {
    let app = TestApp::spawn().await;
    let k = key(&app, "dijkstad", "koppeling", ALL).await;
    let with = |field: &str, value: Value| {
        let mut body = jan();
        body[field] = value;
        body
    };
    let mut bad_address = jan();
    bad_address["recipient"]["postcode"] = json!("0123 AB");
    bad_address["recipient"]["house_number"] = json!("A");
    let cases = [
        (bad_address, "recipient_invalid"),
        (with("email", json!("geen-adres")), "email_invalid"),
        (with("language", json!("de")), "language_invalid"),
        (with("plates", json!(["AB-12-34", "!!"])), "plate_invalid"),
        (with("balance", json!("twee")), "balance_invalid"),
        (with("balance", json!("-5")), "balance_invalid"),
        (
            with("product_type", json!("bestaat-niet")),
            "product_type_unknown",
        ),
        (with("zone", json!("bestaat-niet")), "zone_unknown"),
        (
            with("valid_until", json!("2020-01-01")),
            "valid_until_passed",
        ),
        (
            with("valid_until", json!("2040-01-01")),
            "valid_until_too_far",
        ),
        (
            with("valid_until", json!("+200000-01-01")),
            "valid_until_too_far",
        ),
    ];
    for (body, code) in cases {
        let (status, answer) =
            call(&app, "POST", "/api/admin/v1/products", Some(body), Some(&k)).await;
        assert_eq!(status, 422, "{code}: {answer}");
        assert_eq!(answer["error"]["code"], code);
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
        if code == "recipient_invalid" {
            assert_eq!(
                answer["error"]["fields"],
                json!(["house_number", "postcode"])
            );
        }
    }
    // Not JSON, and a body of the wrong shape: the framework's refusals, in the error contract.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/admin/v1/products", app.url))
        .bearer_auth(&k)
        .header("content-type", "text/plain")
        .body("naam=Jan")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let (status, answer) = call(
        &app,
        "POST",
        "/api/admin/v1/products",
        Some(json!({"recipient": 1})),
        Some(&k),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "bad_request");
    // A method the path does not take: 405 with Allow.
    let resp = reqwest::Client::new()
        .delete(format!("{}/api/admin/v1/products", app.url))
        .bearer_auth(&k)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");

    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM products").await, 0);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM product_letters").await, 0);
    // Each of the twelve calls is one refused entry under the key's name.
    let entries = audit_entries(&app).await;
    let refused: Vec<_> = entries
        .iter()
        .filter(|e| e.actor == "api-sleutel koppeling")
        .collect();
    assert_eq!(refused.len(), 14, "{refused:?}");
    assert!(refused.iter().all(|e| e.result == "refused"));

    // A suspended gemeente issues nothing.
    let root = crate::support::platform_admin(&app, "root@parkportal.nl").await;
    let path = "/beheer/platform/gemeenten/dijkstad/schorsen";
    let page = root.page(path).await;
    let done = root.submit(&page.form(path), &[("reden", "Test")]).await;
    assert_eq!(done.status(), 303, "{}", done.text());
    let (status, answer) = call(
        &app,
        "POST",
        "/api/admin/v1/products",
        Some(jan()),
        Some(&k),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(answer["error"]["code"], "tenant_suspended");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM products").await, 0);
}

#[tokio::test]
async fn a_call_without_a_key_is_told_how_to_authenticate() {
    let app = TestApp::spawn().await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/admin/v1/products/ACDEF-GHJKM", app.url))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("API key"),
        "{body}"
    );
    assert!(
        body["error"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let entry = &audit_entries(&app).await[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.result.as_str(),
            entry.reason.as_deref()
        ),
        ("product.read", "refused", Some("unauthorized"))
    );
}

#[tokio::test]
async fn the_document_is_public_and_lists_its_operations() {
    let app = TestApp::spawn().await;
    let (status, spec) = call(&app, "GET", "/api/admin/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(spec["servers"][0]["url"], "/api/admin");
    let paths: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        [
            "/v1/applications",
            "/v1/applications/{id}/approve",
            "/v1/applications/{id}/ask",
            "/v1/applications/{id}/reject",
            "/v1/batches",
            "/v1/batches/{id}",
            "/v1/batches/{id}/letters.pdf",
            "/v1/batches/{id}/report.csv",
            "/v1/bundle",
            "/v1/products",
            "/v1/products/{code}",
            "/v1/products/{code}/letter.pdf",
            "/v1/rules/dry-run"
        ]
    );
    assert_eq!(
        spec["paths"]["/v1/batches"]["post"]["security"][0]["ApiKey"],
        json!([])
    );
    assert_eq!(
        spec["paths"]["/v1/products"]["post"]["security"][0]["ApiKey"],
        json!([])
    );
    // The resident API's document does not list them.
    let (_, resident) = call(&app, "GET", "/api/openapi.json", None, None).await;
    assert!(
        !resident
            .to_string()
            .contains("/v1/products/{code}/letter.pdf")
    );
}

//! Letter batches in the admin API: a key uploads a sheet (`text/csv` or bytes), follows the
//! job, reads the report (no PIN) and fetches the PDF (a page per letter); a sheet with problems
//! is refused whole with each line named and nothing stored; scopes, other gemeenten, other
//! content types and a suspended gemeente each get their status, and every call is on the
//! record under the key's name.

use crate::admin_api::key;
use crate::support::{TestApp, audit_entries, bytes_of, call};
use parkportal_domain::audit::Actor;
use serde_json::Value;
use std::process::Command;

/// A sheet of `rows` recipients, `,`-separated without a byte-order mark (as a program writes
/// it).
fn sheet(rows: usize) -> String {
    let mut s = String::from("name,street,house_number,postcode,city,balance\n");
    for i in 1..=rows {
        s.push_str(&format!(
            "Bewoner {i},Kerkstraat,{i},1234 AB,Dijkstad,5.00\n"
        ));
    }
    s
}

/// POSTs `body` as `content_type` to `/api/admin/v1/batches` with `key`: the status, the
/// `Location` and the JSON answer.
async fn post_sheet(
    app: &TestApp,
    key: &str,
    content_type: &str,
    body: &str,
) -> (u16, String, Value) {
    let (status, headers, json) =
        send_sheet(app, key, &[("content-type", content_type)], body).await;
    let location = headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, json)
}

/// POSTs `body` with `key` and `headers`: the status, the headers and the JSON answer.
async fn send_sheet(
    app: &TestApp,
    key: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/admin/v1/batches", app.url))
        .bearer_auth(key);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.body(body.to_owned()).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// A GET of `path` with `key`: the status, the content type and the bytes.
async fn fetch(app: &TestApp, key: &str, path: &str) -> (u16, String, Vec<u8>) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .bearer_auth(key)
        .send();
    bytes_of(resp.await.unwrap()).await
}

/// Works the batches waiting, as an instance's worker does.
async fn work(app: &TestApp) {
    let runner = app.app.as_ref().unwrap().batches().runner("test");
    while runner.run_once(None).await.unwrap().is_some() {}
}

/// The number of pages of `pdf`.
fn pages(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("letters.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdfinfo")
        .arg(&file)
        .output()
        .expect("pdfinfo runs (poppler-utils)");
    let info = String::from_utf8(out.stdout).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo names the pages")
}

/// Suspends Dijkstad, as `parkportal tenants suspend` does.
async fn suspend_dijkstad(app: &TestApp) {
    let console = app.app.as_ref().unwrap().console();
    let suspensions = console.suspensions();
    let suspended = suspensions.suspend("dijkstad", "Test", Actor::Operator, "cli");
    suspended.await.unwrap();
}

const ALL: &str = "products:issue,products:read,letters:read";

#[tokio::test]
async fn a_key_uploads_a_sheet_follows_the_job_and_fetches_report_and_letters() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let k = key(&app, "dijkstad", "koppeling", ALL).await;
    let (status, location, batch) =
        post_sheet(&app, &k, "text/csv; charset=utf-8", &sheet(3)).await;
    assert_eq!(status, 202, "{batch}");
    assert_eq!(batch["state"], "queued");
    assert_eq!(
        (batch["rows_total"].as_u64(), batch["rows_issued"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(batch["letters_kept_until"].is_null());
    let id = batch["id"].as_i64().unwrap();
    let path = format!("/api/admin/v1/batches/{id}");
    assert!(location.ends_with(&path), "{location}");
    // Before the job ran there is no PDF; the report says every row waits.
    assert_eq!(fetch(&app, &k, &format!("{path}/letters.pdf")).await.0, 404);
    let (_, _, waiting) = fetch(&app, &k, &format!("{path}/report.csv")).await;
    assert!(
        String::from_utf8(waiting)
            .unwrap()
            .contains("2;;Bewoner 1;pending")
    );

    work(&app).await;
    let (status, done) = call(&app, "GET", &path, None, Some(&k)).await;
    assert_eq!(status, 200);
    assert_eq!(done["state"], "done");
    assert_eq!(
        (done["rows_issued"].as_u64(), done["rows_refused"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(done["letters_kept_until"].is_string());
    assert!(done["finished_at"].is_string());

    let (status, kind, csv) = fetch(&app, &k, &format!("{path}/report.csv")).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "line;code;recipient;result");
    assert_eq!(lines.len(), 4);
    let fields: Vec<&str> = lines[3].split(';').collect();
    assert_eq!(
        (fields[0], fields[2], fields[3]),
        ("4", "Bewoner 3", "issued")
    );
    assert_eq!(fields[1].len(), 11, "the code as the letter prints it");

    let (status, kind, pdf) = fetch(&app, &k, &format!("{path}/letters.pdf")).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert_eq!(pages(&pdf), 3);

    // Bytes as they are do as well.
    let (status, _, _) = post_sheet(&app, &k, "application/octet-stream", &sheet(1)).await;
    assert_eq!(status, 202);

    let mut actions: Vec<String> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.actor == "api-sleutel koppeling" && e.action.starts_with("batch."))
        .map(|e| format!("{} {}", e.action, e.result))
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "batch.letters ok",
            "batch.letters refused",
            "batch.read ok",
            "batch.report ok",
            "batch.report ok",
            "batch.upload ok",
            "batch.upload ok",
        ]
    );
}

#[tokio::test]
async fn a_sheet_with_problems_or_of_another_type_is_refused_whole_and_nothing_is_stored() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let k = key(&app, "dijkstad", "koppeling", ALL).await;
    let bad = sheet(4).replace(
        "Bewoner 2,Kerkstraat,2,1234 AB",
        "Bewoner 2,Kerkstraat,2,12345",
    ) + "Bewoner 5,Kerkstraat,5,1234 AB,Dijkstad,-3\n";
    let (status, _, body) = post_sheet(&app, &k, "text/csv", &bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "sheet_invalid");
    assert_eq!(body["error"]["problems_total"], 2);
    let problems = body["error"]["problems"].as_array().unwrap();
    assert_eq!(
        (
            problems[0]["line"].as_u64(),
            problems[0]["column"].as_str(),
            problems[0]["code"].as_str()
        ),
        (Some(3), Some("postcode"), Some("postcode_invalid"))
    );
    assert_eq!(
        (
            problems[1]["line"].as_u64(),
            problems[1]["column"].as_str(),
            problems[1]["code"].as_str()
        ),
        (Some(6), Some("balance"), Some("balance_invalid"))
    );
    let (status, _, body) = post_sheet(&app, &k, "application/json", "{\"rows\": []}").await;
    assert_eq!(status, 415);
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    let (status, _, body) = post_sheet(&app, &k, "text/csv", "").await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["problems"][0]["code"], "empty");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 0);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM letter_batch_rows").await,
        0
    );
    let refused = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "batch.upload" && e.result == "refused")
        .count();
    assert_eq!(refused, 3);
}

#[tokio::test]
async fn scopes_other_gemeenten_and_a_suspension_each_get_their_answer() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let all = key(&app, "dijkstad", "koppeling", ALL).await;
    let (_, _, batch) = post_sheet(&app, &all, "text/csv", &sheet(2)).await;
    let path = format!("/api/admin/v1/batches/{}", batch["id"]);
    work(&app).await;

    let reader = key(&app, "dijkstad", "lezer", "products:read").await;
    assert_eq!(
        post_sheet(&app, &reader, "text/csv", &sheet(1)).await.0,
        403
    );
    assert_eq!(fetch(&app, &reader, &path).await.0, 200);
    assert_eq!(
        fetch(&app, &reader, &format!("{path}/report.csv")).await.0,
        200
    );
    assert_eq!(
        fetch(&app, &reader, &format!("{path}/letters.pdf")).await.0,
        403
    );
    let issuer = key(&app, "dijkstad", "uitgever", "products:issue").await;
    assert_eq!(fetch(&app, &issuer, &path).await.0, 200);
    assert_eq!(
        fetch(&app, &issuer, &format!("{path}/report.csv")).await.0,
        403
    );
    let letters = key(&app, "dijkstad", "brieven", "letters:read").await;
    assert_eq!(fetch(&app, &letters, &path).await.0, 403);
    assert_eq!(
        fetch(&app, &letters, &format!("{path}/letters.pdf"))
            .await
            .0,
        200
    );

    // Another gemeente's key finds nothing, whatever its scopes; no key is 401.
    let haven = key(&app, "havenmond", "havenmond", ALL).await;
    for rest in ["", "/report.csv", "/letters.pdf"] {
        let (status, _, body) = fetch(&app, &haven, &format!("{path}{rest}")).await;
        assert_eq!(status, 404, "{rest}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    assert_eq!(
        fetch(&app, &haven, "/api/admin/v1/batches/abc").await.0,
        404
    );
    assert_eq!(call(&app, "GET", &path, None, None).await.0, 401);

    // A suspended gemeente takes no sheet.
    suspend_dijkstad(&app).await;
    let (status, _, body) = post_sheet(&app, &all, "text/csv", &sheet(1)).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "tenant_suspended");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 1);
}

#[tokio::test]
async fn a_repeat_with_its_idempotency_key_finds_the_batch_the_first_made() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let k = key(&app, "dijkstad", "koppeling", ALL).await;
    let once = |key: &'static str| [("content-type", "text/csv"), ("idempotency-key", key)];
    let (status, headers, first) = send_sheet(&app, &k, &once("brieven-2027"), &sheet(2)).await;
    assert_eq!(status, 202, "{first}");
    assert!(headers.get("idempotent-replayed").is_none());
    // The answer was lost; the client sends it again, after the job ran.
    work(&app).await;
    let (status, headers, again) = send_sheet(&app, &k, &once("brieven-2027"), &sheet(2)).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["state"], "done", "the batch as it is now");
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/{}", first["id"]))
    );
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 1);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM letter_batch_rows").await,
        2,
        "no row issued twice"
    );

    // The key with another sheet is refused; so is a key that is no key.
    let (status, _, body) = send_sheet(&app, &k, &once("brieven-2027"), &sheet(3)).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "idempotency_key_reused");
    let long = "k".repeat(256);
    for bad in ["", long.as_str(), "met spatie"] {
        let headers = [("content-type", "text/csv"), ("idempotency-key", bad)];
        let (status, _, body) = send_sheet(&app, &k, &headers, &sheet(1)).await;
        assert_eq!(status, 400, "{bad:?}");
        assert_eq!(body["error"]["code"], "idempotency_key_invalid");
    }
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 1);

    // Keys are each API key's own: another key of the gemeente with the same key uploads anew.
    let other = key(&app, "dijkstad", "tweede", "products:issue").await;
    let (status, _, theirs) = send_sheet(&app, &other, &once("brieven-2027"), &sheet(2)).await;
    assert_eq!(status, 202);
    assert_ne!(theirs["id"], first["id"]);

    // Two repeats at the same moment make one batch between them.
    let (headers, body) = (once("tegelijk"), sheet(4));
    let (a, b) = tokio::join!(
        send_sheet(&app, &k, &headers, &body),
        send_sheet(&app, &k, &headers, &body),
    );
    assert_eq!((a.0, b.0), (202, 202), "{} {}", a.2, b.2);
    assert_eq!(a.2["id"], b.2["id"]);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 3);

    // A repeat after the gemeente was suspended still finds its batch; a new upload does not.
    suspend_dijkstad(&app).await;
    let (status, _, again) = send_sheet(&app, &k, &once("brieven-2027"), &sheet(2)).await;
    assert_eq!((status, &again["id"]), (202, &first["id"]));
    let (status, _, _) = send_sheet(&app, &k, &once("nieuw"), &sheet(2)).await;
    assert_eq!(status, 409);

    let trail: Vec<String> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.actor == "api-sleutel koppeling" && e.action.starts_with("batch."))
        .map(|e| format!("{} {} {}", e.action, e.result, e.reason.unwrap_or_default()))
        .collect();
    for expected in [
        "batch.replayed ok ",
        "batch.upload refused idempotency_key_reused",
        "batch.upload refused idempotency_key_invalid",
    ] {
        assert!(trail.iter().any(|t| t == expected), "{expected}: {trail:?}");
    }
    assert_eq!(trail.iter().filter(|t| *t == "batch.upload ok ").count(), 2);
    assert_eq!(
        trail.iter().filter(|t| *t == "batch.replayed ok ").count(),
        3
    );
}

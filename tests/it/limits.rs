//! What a request may carry: bodies of at most `server.body_limit_kib` (413 before more is
//! read), forms and queries that are text (400, never replacement characters), and files that
//! refuse with the themed 404, naming nothing.

use crate::support::resident;
use crate::support::{TestApp, call};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The status line and headers a raw request gets, read before any body is sent: the answer
/// to an announced size must not wait for the body.
async fn announce(app: &TestApp, path: &str, headers: &str) -> (TcpStream, String) {
    let address = app.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {address}\r\n{headers}\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the server answers without reading the body")
            .unwrap();
        assert!(n > 0, "the server hung up without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    (stream, String::from_utf8_lossy(&answer).into_owned())
}

/// The resident memory of this process (the server runs in it), in bytes.
fn resident_memory() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_before_they_are_read() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("20")).await;
    let favorites = format!("/api/v1/products/{}/favorites", jan.product);
    for megabytes in [1, 10] {
        let name = "x".repeat(megabytes * 1024 * 1024);
        let (status, body) = call(
            &app,
            "POST",
            &favorites,
            Some(json!({"plate": "12-GBD-3", "name": name})),
            Some(&jan.token),
        )
        .await;
        assert_eq!(status, 413, "{megabytes} MB");
        assert_eq!(body["error"]["code"], "payload_too_large");
    }
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM favorites").await, 0);

    // The unauthenticated login, as a page and in the API.
    let big = "a".repeat(10 * 1024 * 1024);
    let page = app
        .client
        .post(format!("{}/inloggen", app.url))
        .form(&[("email", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 413);
    let html = page.text().await.unwrap();
    assert!(html.contains("Te veel gegevens"), "the themed page: {html}");
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/auth/login",
        Some(json!({"email": big, "password": "x"})),
        None,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "payload_too_large");

    // A body just under the limit is read as usual.
    let (status, body) = call(
        &app,
        "POST",
        &favorites,
        Some(json!({"plate": "12-GBD-3", "name": "y".repeat(60 * 1024)})),
        Some(&jan.token),
    )
    .await;
    assert_ne!(status, 413, "{body}");
}

#[tokio::test]
async fn a_body_without_a_length_is_cut_off_at_the_limit() {
    let app = TestApp::spawn().await;
    let address = app.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // 80 KiB in chunks of 8 KiB: more than the limit, and less than the socket buffers hold,
    // so that the writes finish whatever the server does.
    let chunk = format!("2000\r\n{}\r\n", " ".repeat(0x2000));
    for _ in 0..10 {
        stream.write_all(chunk.as_bytes()).await.unwrap();
    }
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
}

#[tokio::test]
async fn twenty_bodies_of_fifty_megabytes_at_once_leave_memory_flat() {
    let app = TestApp::spawn().await;
    let before = resident_memory();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let path = if i % 2 == 0 {
            "/api/v1/auth/login"
        } else {
            "/inloggen"
        };
        let (mut stream, head) = announce(
            &app,
            path,
            "Content-Type: application/json\r\nContent-Length: 52428800\r\n",
        )
        .await;
        assert!(head.starts_with("HTTP/1.1 413"), "{head}");
        // The client goes on sending; the server reads none of it and closes.
        tasks.push(tokio::spawn(async move {
            let block = vec![b'x'; 64 * 1024];
            for _ in 0..800 {
                let write = stream.write_all(&block);
                match tokio::time::timeout(std::time::Duration::from_secs(2), write).await {
                    Ok(Ok(())) => {}
                    _ => return,
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let grown = resident_memory().saturating_sub(before);
    assert!(
        grown < 64 * 1024 * 1024,
        "memory grew by {} MB for twenty refused bodies",
        grown / 1024 / 1024
    );
    let health = app.get("/healthz").send().await.unwrap();
    assert_eq!(health.status(), 200, "the server still serves");
}

#[tokio::test]
async fn the_limit_is_configurable() {
    let app = TestApp::spawn_with(|c| c.server.body_limit_kib = 4).await;
    let name = "z".repeat(5 * 1024);
    let refused = app
        .post_form("/inloggen", &[("email", name.as_str())])
        .await;
    assert_eq!(refused.status(), 413);
    let fits = app
        .post_form("/inloggen", &[("email", "a@example.nl")])
        .await;
    assert_eq!(fits.status(), 303);
}

#[tokio::test]
async fn a_form_field_that_is_no_text_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("20")).await;
    app.login("jan@example.nl", "fietsbel42xy").await;
    let csrf = app.csrf().await;
    let path = format!("/producten/{}/favorieten", jan.product);
    // The body as a browser would send it, percent-escapes and all.
    let post = |fields: &str| {
        app.client
            .post(format!("{}{path}", app.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&kenteken=12-GBD-3&{fields}"))
            .send()
    };
    let resp = post("naam=Oma%FF%FE").await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("Verzoek niet begrepen"));
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM favorites").await, 0);
    // The same form in text is stored, with the name as typed.
    let resp = post("naam=Oma%20%E2%82%AC").await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        app.sql_text("SELECT name FROM favorites").await.as_deref(),
        Some("Oma €")
    );
    // A query value likewise, on a page and in the API.
    let page = app.get("/inloggen?terug=%C3").send().await.unwrap();
    assert_eq!(page.status(), 400);
    let (status, body): (u16, Value) = call(
        &app,
        "GET",
        &format!(
            "/api/v1/products/{}/history/sessions?cursor=%FF",
            jan.product
        ),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn every_refusal_of_a_file_is_the_themed_not_found() {
    let app = TestApp::spawn().await;
    for path in [
        "/static/..%2Ftokens.json",
        "/static/%2e%2e%2Ftokens.json",
        "/static/..%2F..%2F..%2FCargo.toml",
        "/static/",
        "/static/nothing-here.css",
    ] {
        let resp = app.get(path).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("Pagina niet gevonden"), "{path}: {body}");
        for secret in ["tokens.json", "themes", "forbidden", "Cargo"] {
            assert!(!body.contains(secret), "{path} names {secret}: {body}");
        }
    }
    let refused = app
        .client
        .post(format!("{}/static/parkportal.css", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let served = app.get("/static/parkportal.css").send().await.unwrap();
    assert_eq!(served.status(), 200, "files themselves are served");
}

//! Decisions about a session are taken on the state and the time read under its product's lock:
//! an extension racing a stop never brings the stopped session back, on one server and on two
//! sharing a database, while the clock moves on between readings as a real one does.

use crate::support::TestApp;
use crate::support::{at, ledger_holds, resident};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

async fn send(method: &str, url: String, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method.parse().unwrap(), url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// 50 pairs of an extension and a stop of the same running session, sent at once, the first to
/// one server and the second to `other`.
async fn extend_and_stop_race(app: &TestApp, other: &str) {
    let r = resident(app, "dijkstad", "race@example.nl", Some("250.00")).await;
    // Every reading of the clock moves it on: a moment read before waiting for the product's
    // lock lies before the writes the lock waited for, as on a real clock.
    app.clock.tick(Duration::milliseconds(1));
    let mut stopped_then_running = Vec::new();
    for i in 0..50 {
        let plate = format!("AB-{:02}-{:02}", 10 + i / 10, 10 + i % 10);
        let (status, s) = r
            .start(
                app,
                json!({"plate": plate, "end": at(2, 11, 0).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 201, "{s}");
        let id = s["id"].as_i64().unwrap();
        let (extend_on, stop_on) = if i % 2 == 0 {
            (app.url.clone(), other.to_owned())
        } else {
            (other.to_owned(), app.url.clone())
        };
        let extend = send(
            "PATCH",
            format!("{extend_on}/api/v1/sessions/{id}"),
            &r.token,
            Some(json!({"end": at(2, 12, 0).to_rfc3339()})),
        );
        let stop = send(
            "DELETE",
            format!("{stop_on}/api/v1/sessions/{id}"),
            &r.token,
            None,
        );
        let ((extended, e), (stopped, s)) = tokio::join!(extend, stop);
        assert!(extended < 500 && stopped < 500, "{e} {s}");
        assert_eq!(stopped, 200, "a running session stops: {s}");
        if extended != 200 {
            assert_eq!(e["error"]["code"], "session_over", "{e}");
        }
        // A stop that answered 200 holds: the session is over, ended when it was stopped.
        let stopped_at: DateTime<Utc> = s["end"].as_str().unwrap().parse().unwrap();
        let list = r.live(app).await;
        if let Some(still) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
        {
            stopped_then_running.push((i, stopped_at, still.clone()));
        }
    }
    assert!(
        stopped_then_running.is_empty(),
        "stopped sessions running again: {stopped_then_running:?}"
    );
    assert_eq!(r.live(app).await["items"], json!([]));
    // No stopped session runs into the extension's hour: none ends after it was stopped.
    let late = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE product_id = {} AND stopped_at IS NOT NULL \
             AND end_at > stopped_at",
            r.product
        ))
        .await;
    assert_eq!(late, 0, "a stopped session ends after its stop");
    ledger_holds(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stop_is_never_undone_by_an_extension_on_one_server() {
    let app = TestApp::spawn().await;
    let url = app.url.clone();
    extend_and_stop_race(&app, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stop_is_never_undone_by_an_extension_over_two_instances() {
    let app = TestApp::spawn().await;
    let second = parkportal::Application::start(&app.config, app.clock.clone())
        .await
        .unwrap();
    extend_and_stop_race(&app, &second.url()).await;
    second.stop().await.unwrap();
}

#[tokio::test]
async fn a_stopped_session_is_not_extended_even_by_a_clock_that_reads_earlier() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "scheef@example.nl", Some("25.00")).await;
    let id = r.park(&app, "AB-12-34", at(2, 11, 0)).await;
    app.clock.advance(Duration::minutes(10));
    let (status, stopped) = r.end(&app, id).await;
    assert_eq!(status, 200, "{stopped}");
    // Another instance's clock, a little behind: the session it sees was stopped all the same.
    app.clock.advance(Duration::minutes(-5));
    let (status, body) = r.extend(&app, id, at(2, 12, 0)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "session_over");
    let list = r.live(&app).await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(r.balance(&app).await, "24.80");
    ledger_holds(&app).await;
}

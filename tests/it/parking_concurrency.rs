//! The balance and the maximum of concurrent sessions under simultaneous requests, on one
//! server and on two sharing a database: no 5xx, never below zero, the ledger summing to the
//! balance.

use crate::support::TestApp;
use crate::support::{Resident, at, ledger_holds, resident};
use chrono::Duration;
use serde_json::{Value, json};

/// `n` one-hour sessions on `n` different days: none overlaps, each costs EUR 1.20.
fn apart(n: i64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let start = at(2, 12, 0) + Duration::days(i + 1);
            json!({"plate": "AB-12-34", "start": start.to_rfc3339(), "end": (start + Duration::hours(1)).to_rfc3339()})
        })
        .collect()
}

/// `n` sessions of different cars, all now until 11:00.
fn at_once(n: i64) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"plate": format!("AB-{:02}-{:02}", 10 + i / 10, 10 + i % 10), "end": at(2, 11, 0).to_rfc3339()}))
        .collect()
}

async fn burst(app: &TestApp, r: &Resident, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    burst_on(std::slice::from_ref(&app.url), r, bodies).await
}

/// Sends every body at once, spread over the servers at `urls`.
async fn burst_on(urls: &[String], r: &Resident, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let calls = bodies.into_iter().enumerate().map(|(i, body)| {
        let path = format!("/api/v1/products/{}/sessions", r.product);
        let token = r.token.clone();
        let url = urls[i % urls.len()].clone();
        async move {
            let resp = reqwest::Client::new()
                .post(format!("{url}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    });
    let handles: Vec<_> = calls.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_simultaneous_starts_on_a_balance_for_five_give_exactly_five() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "druk@example.nl", Some("6.00")).await;
    let bodies = apart(50);
    let results = burst(&app, &r, bodies).await;
    assert!(results.iter().all(|(s, _)| *s < 500), "{results:?}");
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 5);
    for (status, body) in &results {
        if *status != 201 {
            assert_eq!(*status, 409, "{body}");
            assert_eq!(body["error"]["code"], "insufficient_balance");
        }
    }
    assert_eq!(r.balance(&app).await, "0.00");
    ledger_holds(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_simultaneous_overlapping_starts_give_exactly_ten() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "vol@example.nl", Some("250.00")).await;
    let bodies = at_once(50);
    let results = burst(&app, &r, bodies).await;
    assert!(results.iter().all(|(s, _)| *s < 500), "{results:?}");
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 10);
    let refused = results
        .iter()
        .filter(|(s, _)| *s == 409)
        .collect::<Vec<_>>();
    assert_eq!(refused.len(), 40);
    for (_, body) in refused {
        assert_eq!(
            body["error"]["message"],
            "Het maximumaantal gelijktijdige acties overschreden"
        );
    }
    ledger_holds(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_keep_the_balance_and_the_maximum() {
    let app = TestApp::spawn().await;
    let second = parkportal::Application::start(&app.config, app.clock.clone())
        .await
        .unwrap();
    let urls = [app.url.clone(), second.url()];
    let r = resident(&app, "dijkstad", "twee@example.nl", Some("6.00")).await;
    let bodies = apart(50);
    let results = burst_on(&urls, &r, bodies).await;
    assert!(results.iter().all(|(s, _)| *s < 500), "{results:?}");
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 5);

    let full = resident(&app, "dijkstad", "vier@example.nl", Some("250.00")).await;
    let bodies = at_once(50);
    let results = burst_on(&urls, &full, bodies).await;
    assert!(results.iter().all(|(s, _)| *s < 500), "{results:?}");
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 10);
    ledger_holds(&app).await;
    second.stop().await.unwrap();
}

//! "Alle parkeeracties": the running and planned sessions of all the resident's products, and
//! none of anyone else's. The clock stands on Monday 2 March 2026, 10:00 in Amsterdam.

use crate::support::{Resident, at, resident};
use crate::support::{TestApp, call};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// Starts (or with `from`, plans) a session until `until`; its id.
async fn start(
    app: &TestApp,
    r: &Resident,
    plate: &str,
    from: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
) -> i64 {
    let mut body = json!({"plate": plate, "end": until.to_rfc3339()});
    if let Some(from) = from {
        body["start"] = json!(from.to_rfc3339());
    }
    let (status, s) = r.start(app, body).await;
    assert_eq!(status, 201, "{s}");
    s["id"].as_i64().unwrap()
}

#[tokio::test]
async fn all_running_and_planned_sessions_of_all_products_and_no_others() {
    let app = TestApp::spawn().await;
    let dijkstad = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let havenmond = resident(&app, "havenmond", "jan@example.nl", None).await;
    let piet = resident(&app, "dijkstad", "piet@example.nl", Some("25.00")).await;
    let planned = start(
        &app,
        &dijkstad,
        "12-GBD-1",
        Some(at(4, 10, 0)),
        at(4, 11, 0),
    )
    .await;
    let running = start(&app, &dijkstad, "34-GBD-1", None, at(2, 11, 0)).await;
    let minutes = start(&app, &havenmond, "56-GBD-1", None, at(2, 12, 0)).await;
    let short = start(&app, &dijkstad, "78-GBD-1", None, at(2, 10, 5)).await;
    start(&app, &piet, "99-GBD-1", None, at(2, 11, 0)).await;
    // The short one is over by now.
    app.clock.advance(Duration::minutes(10));

    let (status, list) = call(&app, "GET", "/api/v1/sessions", None, Some(&dijkstad.token)).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    let ids: Vec<i64> = items.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(
        ids,
        vec![running, minutes, planned],
        "by start, ended and others' left out"
    );
    assert!(!ids.contains(&short));
    assert_eq!(items[1]["product"], havenmond.product);
    assert_eq!(items[1]["cost"]["unit"], "minutes");
    assert_eq!(items[2]["state"], "planned");
    assert_eq!(
        call(&app, "GET", "/api/v1/sessions", None, None).await.0,
        401
    );

    app.login("jan@example.nl", "fietsbel42xy").await;
    let page = app.page("/parkeeracties").await.replace("&#x2f;", "/");
    assert!(page.contains("Alle parkeeracties"));
    for plate in ["34-GBD-1", "56-GBD-1", "12-GBD-1"] {
        assert!(page.contains(plate), "{plate} shows");
    }
    assert!(!page.contains("99-GBD-1") && !page.contains("78-GBD-1"));
    assert!(page.contains("Gemeente Havenmond"));
    let card = format!("/producten/{}?tab=gepland", dijkstad.product);
    assert!(page.contains(&card), "{page}");

    // Choosing the planned card selects its product and shows its planned sessions.
    let resp = app.get(&card).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.ends_with(&format!(
        "/producten/{}/parkeeracties?tab=gepland",
        dijkstad.product
    )));
    assert!(app.page(&to).await.contains("12-GBD-1"));
    let menu = app.page("/menu").await.replace("&#x2f;", "/");
    assert!(menu.contains(&format!("/producten/{}/historie", dijkstad.product)));

    // Piet sees only his own.
    let (_, list) = call(&app, "GET", "/api/v1/sessions", None, Some(&piet.token)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["plate"], "99-GBD-1");
}

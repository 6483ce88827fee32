//! "Historie": sessions and transactions a page of 10 at a time by keyset cursor, on the page and
//! in the API, for own products only. The clock stands on Monday 2 March 2026, 10:00 in
//! Amsterdam; Dijkstad charges EUR 0.02 a minute from 09:00 to 22:00.

use crate::support::{Resident, at, ledger_holds, resident};
use crate::support::{TestApp, call};
use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Plans `n` sessions of ten minutes in paid hours, ten a day an hour apart from Tuesday 10:00
/// on; their ids, the latest end first.
async fn plan(app: &TestApp, r: &Resident, n: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let start = at(3 + (i / 10) as u32, 10, 0) + Duration::hours(i % 10);
        let (status, s) = r
            .start(
                app,
                json!({"plate": format!("{:02}-GBD-1", i % 100), "start": start.to_rfc3339(),
                       "end": (start + Duration::minutes(10)).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 201, "{s}");
        ids.push(s["id"].as_i64().unwrap());
    }
    ids.reverse();
    ids
}

/// Every page of `path` (with `limit`), following `next_cursor`: the sizes and all items.
async fn pages(app: &TestApp, r: &Resident, path: &str, limit: u32) -> (Vec<usize>, Vec<Value>) {
    let (mut sizes, mut items) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let (status, page) = call(app, "GET", &url, None, Some(&r.token)).await;
        assert_eq!(status, 200, "{page}");
        let got = page["items"].as_array().unwrap();
        sizes.push(got.len());
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null());
                return (sizes, items);
            }
        }
        assert!(sizes.len() < 100, "the cursor does not move on");
    }
}

#[tokio::test]
async fn paging_through_25_sessions_gives_10_10_and_5_and_the_transactions_sum_to_the_balance() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let ids = plan(&app, &r, 25).await;
    // One deleted planned session is not history.
    let (status, _) = r
        .start(
            &app,
            json!({"plate": "XX-999-X", "start": at(20, 10, 0).to_rfc3339(), "end": at(20, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201);
    let deleted = app.sql_i64("SELECT MAX(id) FROM parking_sessions").await;
    assert_eq!(r.end(&app, deleted).await.0, 200);

    let path = format!("/api/v1/products/{}/history/sessions", r.product);
    let (sizes, items) = pages(&app, &r, &path, 10).await;
    assert_eq!(sizes, vec![10, 10, 5]);
    let got: Vec<i64> = items.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(
        got, ids,
        "the latest end first, each once, the deleted one left out"
    );
    assert_eq!(items[0]["plate"], "24-GBD-1");
    assert_eq!(items[0]["cost"], json!({"value": "0.20", "unit": "EUR"}));
    // Without a limit a page has 10.
    let (_, first) = call(&app, "GET", &path, None, Some(&r.token)).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 10);

    // Transactions: the opening balance, 26 reservations and one refund, in pages of 7.
    let path = format!("/api/v1/products/{}/history/transactions", r.product);
    let (sizes, entries) = pages(&app, &r, &path, 7).await;
    assert_eq!(
        sizes,
        vec![7, 7, 7, 7],
        "the last full page says there is no more"
    );
    assert_eq!(entries.len(), 28);
    let sum: Decimal = entries
        .iter()
        .map(|e| {
            e["amount"]["value"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(sum.to_string(), r.balance(&app).await);
    assert_eq!(entries.last().unwrap()["kind"], "opening");
    assert_eq!(entries[0]["kind"], "refund");
    assert_eq!(entries[0]["session"], deleted);
    ledger_holds(&app).await;
}

/// The `href` of [Toon meer] on `page`, unescaped.
fn more_href(page: &str) -> Option<String> {
    let (_, rest) = page.split_once("data-history-more>")?;
    let (_, rest) = rest.split_once("href=\"")?;
    let (href, _) = rest.split_once('"')?;
    Some(href.replace("&amp;", "&").replace("&#x2f;", "/"))
}

#[tokio::test]
async fn the_history_page_shows_ten_and_toon_meer_the_next() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    plan(&app, &r, 12).await;
    app.login("jan@example.nl", "fietsbel42xy").await;

    // Planned, they are no history yet: said apart, with the way to them.
    let page = app
        .page(&format!("/producten/{}/historie", r.product))
        .await;
    assert!(page.contains("Parkeeracties (0)"), "{page}");
    assert!(page.contains("U heeft er nu 12."), "{page}");
    assert!(page.replace("&#x2f;", "/").contains(&format!(
        "/producten/{}/parkeeracties?tab=gepland",
        r.product
    )));
    assert_eq!(page.matches("data-history-row").count(), 0);

    // Two days on, all twelve have run: the latest first.
    app.clock.set(at(5, 10, 0));
    app.login("jan@example.nl", "fietsbel42xy").await;
    let page = app
        .page(&format!("/producten/{}/historie", r.product))
        .await;
    assert!(page.contains("Parkeeracties (12)"), "{page}");
    assert!(!page.contains("U heeft er nu"));
    assert!(page.contains("Transacties (13)"), "{page}");
    assert_eq!(page.matches("data-history-row").count(), 10);
    assert!(page.contains("11-GBD-1") && !page.contains("01-GBD-1"));
    assert!(page.contains("Na 13 weken worden parkeeracties"));
    let more = more_href(&page).expect("[Toon meer]");

    // Without JavaScript: the next page, with a way back to the newest.
    let next = app.page(&more).await;
    assert_eq!(next.matches("data-history-row").count(), 2);
    assert!(next.contains("01-GBD-1") && next.contains("00-GBD-1"));
    assert!(
        more_href(&next).is_none(),
        "the last page has no [Toon meer]"
    );
    assert!(next.contains("Terug naar de nieuwste"));

    // The script's part: only the rows, no page around them.
    let part = app.page(&format!("{more}&deel=1")).await;
    assert_eq!(part.matches("data-history-row").count(), 2);
    assert!(!part.contains("<html"));

    // Transactions, signed, in the product's unit.
    let page = app
        .page(&format!(
            "/producten/{}/historie?tab=transacties",
            r.product
        ))
        .await;
    assert!(page.contains("Parkeeractie</span>"), "{page}");
    assert!(page.contains("− € 0,20"));
    // Each reservation names its session: plate and start.
    assert!(
        page.contains("Parkeeractie 11-GBD-1, gestart woensdag 4 maart 2026 om 11:00"),
        "{page}"
    );
    assert_eq!(page.matches("data-history-row").count(), 10);
    let older = app.page(&more_href(&page).unwrap()).await;
    assert!(older.contains("Beginsaldo"));
    assert!(older.contains("+ € 25,00"), "{older}");

    // The menu offers the history of the product worked with.
    let menu = app.page("/menu").await.replace("&#x2f;", "/");
    assert!(menu.contains(&format!("/producten/{}/historie", r.product)));
}

#[tokio::test]
async fn another_residents_history_is_not_found_and_a_wrong_cursor_is_refused() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let piet = resident(&app, "havenmond", "piet@example.nl", None).await;
    plan(&app, &jan, 2).await;
    for tab in ["sessions", "transactions"] {
        let path = format!("/api/v1/products/{}/history/{tab}", jan.product);
        let (status, body) = call(&app, "GET", &path, None, Some(&piet.token)).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(call(&app, "GET", &path, None, None).await.0, 401);
        let (status, body) = call(
            &app,
            "GET",
            &format!("{path}?cursor=x.y"),
            None,
            Some(&jan.token),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["code"], "cursor_invalid");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("nieuwste")
        );
    }
    app.login("piet@example.nl", "fietsbel42xy").await;
    let resp = app
        .get(&format!("/producten/{}/historie", jan.product))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("GBD"), "nothing of Jan's shows");
    let resp = app
        .get(&format!("/producten/{}/historie?na=morgen", piet.product))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn sessions_that_end_at_the_same_moment_are_paged_by_id_without_loss() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, s) = r
            .start(
                &app,
                json!({"plate": format!("{i:02}-GBD-1"), "start": at(3, 10, 0).to_rfc3339(),
                       "end": at(3, 10, 10).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 201, "{s}");
        ids.push(s["id"].as_i64().unwrap());
    }
    ids.reverse();
    let path = format!("/api/v1/products/{}/history/sessions", r.product);
    let (sizes, items) = pages(&app, &r, &path, 2).await;
    assert_eq!(sizes, vec![2, 2, 1]);
    let got: Vec<i64> = items.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(got, ids, "the same end: by id, none twice, none left out");
}

//! The resident's own data (AVG/GDPR): "Download mijn gegevens" holds every kind of data the
//! portal keeps about the resident and never another's; "Account verwijderen", confirmed with the
//! password, stops and refunds the sessions, revokes the mandates, uncouples the products (which a
//! new link couples again) and takes the personal data out while the ledger keeps its amounts.
//! The same in the API. The deletion's own tests are in `own_data/deletion.rs`. The clock stands
//! on Monday 2 March 2026, 10:00 in Amsterdam; Dijkstad charges EUR 0.02 a minute.

mod deletion;

use crate::mandates::{accept, give};
use crate::support::{Resident, at, ledger_holds, resident};
use crate::support::{TestApp, call, unescape};
use serde_json::{Value, json};

pub(super) const PASSWORD: &str = "fietsbel42xy";

/// `POST /api/v1/products/{id}/favorites`, which must succeed.
pub(super) async fn favorite(app: &TestApp, r: &Resident, plate: &str, name: &str) {
    let (status, body) = call(
        app,
        "POST",
        &format!("/api/v1/products/{}/favorites", r.product),
        Some(json!({"plate": plate, "name": name})),
        Some(&r.token),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// The download of the logged-in browser: its headers, checked, and the document.
pub(super) async fn download(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).send().await.unwrap();
    assert_eq!(resp.status(), 200, "GET {path}");
    let headers = resp.headers().clone();
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"parkportal-gegevens-2026-03-02.json\""
    );
    assert_eq!(headers["cache-control"], "no-store");
    resp.json().await.unwrap()
}

/// `GET /api/v1/account/data`.
pub(super) async fn api_export(app: &TestApp, token: &str) -> (u16, Value) {
    call(app, "GET", "/api/v1/account/data", None, Some(token)).await
}

/// `DELETE /api/v1/account` with `password`.
pub(super) async fn api_delete(app: &TestApp, token: &str, password: &str) -> (u16, Value) {
    call(
        app,
        "DELETE",
        "/api/v1/account",
        Some(json!({ "password": password })),
        Some(token),
    )
    .await
}

/// The items of `list` whose `field` is `value`.
pub(super) fn having<'a>(list: &'a Value, field: &str, value: &Value) -> Vec<&'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|i| &i[field] == value)
        .collect()
}

/// Jan (Dijkstad, EUR 25.00) parks 12-GBD-3, keeps a favorite, gives Piet a mandate of EUR 5.00
/// on which Piet parks 34-KLM-5, starts a top-up and has a mandate of Kees (Havenmond, another
/// gemeente) on which he parks 56-PRS-7; Kees parks 99-XYZ-9 and keeps a favorite of his own.
pub(super) struct World {
    pub(super) jan: Resident,
    pub(super) piet: Resident,
    pub(super) kees: Resident,
    pub(super) jan_on_kees: Resident,
}

pub(super) async fn world(app: &TestApp) -> World {
    let jan = resident(app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    jan.park(app, "12-GBD-3", at(2, 12, 0)).await;
    favorite(app, &jan, "20-BDF-1", "Oma").await;
    let (status, body) = give(
        app,
        &jan,
        json!({"email": "piet@example.nl", "amount": "5.00", "plate": "34-KLM-5"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let piet = accept(app, "piet@example.nl").await;
    piet.park(app, "34-KLM-5", at(2, 11, 0)).await;
    let (status, body) = call(
        app,
        "POST",
        &format!("/api/v1/products/{}/top-ups", jan.product),
        Some(json!({"option": "25.00"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let kees = resident(app, "havenmond", "kees@example.nl", None).await;
    kees.park(app, "99-XYZ-9", at(2, 12, 0)).await;
    favorite(app, &kees, "77-HJK-7", "Broer").await;
    let (status, body) = give(
        app,
        &kees,
        json!({"email": "jan@example.nl", "amount": "120"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // Jan has an account: he accepts with it.
    let token = crate::mandates::invitation(app, "jan@example.nl").await;
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/couplings/accept",
        Some(json!({ "token": token })),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let jan_on_kees = jan.on_product(body["product"]["id"].as_i64().unwrap());
    jan_on_kees.park(app, "56-PRS-7", at(2, 11, 0)).await;
    World {
        jan,
        piet,
        kees,
        jan_on_kees,
    }
}

#[tokio::test]
async fn the_download_holds_every_kind_of_data_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    app.login("jan@example.nl", PASSWORD).await;
    let settings = unescape(&app.page("/instellingen").await);
    assert!(settings.contains("Uw gegevens") && settings.contains("Download mijn gegevens"));
    assert!(settings.contains("/instellingen/mijn-gegevens"));
    assert!(settings.contains("/instellingen/account-verwijderen"));
    let doc = download(&app, "/instellingen/mijn-gegevens").await;

    assert_eq!(doc["generated_at"], "2026-03-02T09:00:00+00:00");
    assert_eq!(doc["account"]["email"], "jan@example.nl");
    assert!(doc["account"]["created_at"].is_string());
    // The own product, with its gemeente, type, zone and balance: 25.00 - 2 hours at 0.02 a
    // minute - the mandate's 5.00.
    let products = doc["products"].as_array().unwrap();
    assert_eq!(products.len(), 1, "{products:?}");
    let p = &products[0];
    assert_eq!(p["id"], w.jan.product);
    assert_eq!(p["gemeente"], "Gemeente Dijkstad");
    assert_eq!(p["name"], "Bezoekersregeling");
    assert_eq!(p["zone"], "Binnenstad");
    assert_eq!(p["kind"], "visitor_scheme");
    assert_eq!(p["balance"], json!({"value": "17.60", "unit": "EUR"}));
    // Sessions with plates: his own (on his product and through Kees's mandate) and Piet's
    // on his product; never Kees's own.
    let sessions = &doc["sessions"];
    let own = having(sessions, "plate", &json!("12-GBD-3"));
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["started_by_you"], true);
    assert_eq!(own[0]["cost"], json!({"value": "2.40", "unit": "EUR"}));
    assert_eq!(own[0]["start"], "2026-03-02T09:00:00+00:00");
    let pietje = having(sessions, "plate", &json!("34-KLM-5"));
    assert_eq!(pietje.len(), 1);
    assert_eq!(pietje[0]["started_by_you"], false);
    let on_kees = having(sessions, "plate", &json!("56-PRS-7"));
    assert_eq!(on_kees.len(), 1);
    assert_eq!(on_kees[0]["product"], w.jan_on_kees.product);
    assert_eq!(
        on_kees[0]["cost"],
        json!({"value": "60", "unit": "minutes"})
    );
    assert_eq!(sessions.as_array().unwrap().len(), 3);
    // Transactions of his product and of the mandate he received.
    let transactions = &doc["transactions"];
    for kind in ["opening", "reservation", "mandate_grant"] {
        assert!(
            !having(transactions, "kind", &json!(kind)).is_empty(),
            "{kind}"
        );
    }
    assert!(
        having(transactions, "product", &json!(w.kees.product))
            .iter()
            .all(|t| !t["mandate"].is_null()),
        "of Kees's product only the entries of the mandate Jan received"
    );
    let favorites = doc["favorites"].as_array().unwrap();
    assert_eq!(favorites.len(), 1);
    assert_eq!(favorites[0]["name"], "Oma");
    assert_eq!(favorites[0]["plate"], "20-BDF-1");
    let given = doc["mandates_given"].as_array().unwrap();
    assert_eq!(given.len(), 1);
    assert_eq!(given[0]["email"], "piet@example.nl");
    assert_eq!(given[0]["plate"], "34-KLM-5");
    assert_eq!(given[0]["balance"], json!({"value": "3.80", "unit": "EUR"}));
    let received = doc["mandates_received"].as_array().unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["owner"], "kees@example.nl");
    assert_eq!(received[0]["gemeente"], "Gemeente Havenmond");
    assert_eq!(received[0]["status"], "accepted");
    let payments = doc["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["status"], "open");
    assert_eq!(
        payments[0]["price"],
        json!({"value": "25.00", "unit": "EUR"})
    );
    let mails = doc["mails"].as_array().unwrap();
    assert!(mails.len() >= 2, "the coupling mail and Kees's invitation");
    assert!(
        mails
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("/koppel/"))
    );

    // Nothing of Kees's own, nor of Piet's account.
    let text = doc.to_string();
    for foreign in ["99-XYZ-9", "99XYZ9", "77-HJK-7", "Broer"] {
        assert!(!text.contains(foreign), "{foreign} leaked");
    }
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM outbox WHERE recipient = 'jan@example.nl'")
            .await,
        mails.len() as i64,
        "every kept mail to Jan, no other"
    );

    // Piet's download has his mandate and his session, not Jan's.
    let (status, piets) = api_export(&app, &w.piet.token).await;
    assert_eq!(status, 200, "{piets}");
    assert_eq!(piets["account"]["email"], "piet@example.nl");
    assert!(piets["products"].as_array().unwrap().is_empty());
    assert_eq!(piets["mandates_received"][0]["owner"], "jan@example.nl");
    assert_eq!(piets["sessions"].as_array().unwrap().len(), 1);
    let text = piets.to_string();
    for foreign in ["12-GBD-3", "20-BDF-1", "Oma", "56-PRS-7"] {
        assert!(!text.contains(foreign), "{foreign} leaked to Piet");
    }
    assert!(
        piets["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["mandate"].is_i64())
    );

    // The API answers the same document.
    let (status, api) = api_export(&app, &w.jan.token).await;
    assert_eq!(status, 200);
    assert_eq!(api, doc);
}

#[tokio::test]
async fn another_gemeentes_host_downloads_and_deletes_only_the_residents_own() {
    let mut app = TestApp::spawn().await;
    let w = world(&app).await;
    app.login("kees@example.nl", PASSWORD).await;
    // Through Dijkstad's prefix, Kees gets his own data: Havenmond's product, not Jan's.
    let doc = download(&app, "/g/dijkstad/instellingen/mijn-gegevens").await;
    assert_eq!(doc["account"]["email"], "kees@example.nl");
    let products = doc["products"].as_array().unwrap();
    assert_eq!(products.len(), 1);
    assert_eq!(products[0]["gemeente"], "Gemeente Havenmond");
    let text = doc.to_string();
    for foreign in ["12-GBD-3", "34-KLM-5", "20-BDF-1", "piet@example.nl"] {
        assert!(!text.contains(foreign), "{foreign} leaked to Kees");
    }
    // Jan's session through the mandate is on Kees's product: Kees sees it, like on his pages.
    assert!(text.contains("56-PRS-7"));

    // Jan deletes his account through Havenmond's host: Kees keeps all of his.
    app.new_browser();
    app.login("jan@example.nl", PASSWORD).await;
    let resp = app
        .post_form(
            "/g/havenmond/instellingen/account-verwijderen",
            &[("wachtwoord", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/g/havenmond/account-verwijderd"
    );
    let kees_id = app
        .sql_i64("SELECT id FROM accounts WHERE email = 'kees@example.nl'")
        .await;
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE account_id = {kees_id} AND plate = '99XYZ9'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM favorites WHERE plate = '77HJK7'")
            .await,
        1
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM products WHERE id = {} AND owner_id = {kees_id}",
            w.kees.product
        ))
        .await,
        1
    );
    let (status, after) = api_export(&app, &w.kees.token).await;
    assert_eq!(status, 200);
    assert_eq!(after["products"][0]["id"], w.kees.product);
    assert_eq!(after["favorites"], doc["favorites"]);
    assert_eq!(
        having(&after["sessions"], "plate", &json!("99-XYZ-9")).len(),
        1
    );
    // Jan's session on Kees's product stays in Kees's books, without its plate.
    assert!(!after.to_string().contains("56-PRS-7"));
    assert_eq!(having(&after["sessions"], "plate", &Value::Null).len(), 1);
    ledger_holds(&app).await;
}

#[tokio::test]
async fn logged_out_the_pages_lead_to_the_login_and_the_api_says_401() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    for path in [
        "/instellingen/mijn-gegevens",
        "/instellingen/account-verwijderen",
    ] {
        let resp = app.get(path).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{path}");
        let to = resp.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, format!("/inloggen?terug={path}"));
    }
    let resp = app
        .post_form(
            "/instellingen/account-verwijderen",
            &[("wachtwoord", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/inloggen")
    );
    // Without the form's CSRF token a logged-in browser deletes nothing either.
    app.login("jan@example.nl", PASSWORD).await;
    let resp = app
        .client
        .post(format!("{}/instellingen/account-verwijderen", app.url))
        .form(&[("csrf", "nep"), ("wachtwoord", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    for (method, path) in [
        ("GET", "/api/v1/account/data"),
        ("DELETE", "/api/v1/account"),
    ] {
        let (status, body) = call(
            &app,
            method,
            path,
            Some(json!({"password": PASSWORD})),
            None,
        )
        .await;
        assert_eq!(status, 401, "{method} {path}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM accounts WHERE email = 'jan@example.nl'")
            .await,
        1
    );
    assert_eq!(jan.balance(&app).await, "25.00");
}

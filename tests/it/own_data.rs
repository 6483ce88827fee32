//! The resident's own data (AVG/GDPR): "Download mijn gegevens" holds every kind of data the
//! portal keeps about the resident and never another's; "Account verwijderen", confirmed with the
//! password, stops and refunds the sessions, revokes the mandates, uncouples the products (which a
//! new link couples again) and takes the personal data out while the ledger keeps its amounts.
//! The same in the API. The clock stands on Monday 2 March 2026, 10:00 in Amsterdam; Dijkstad
//! charges EUR 0.02 a minute.

use crate::harness::{TestApp, api_token, call, unescape};
use crate::mandates::{accept, give};
use crate::parking::{Resident, at, ledger_holds, resident};
use parkportal_domain::EmailAddress;
use parkportal_domain::coupling::LinkRequest;
use serde_json::{Value, json};

const PASSWORD: &str = "fietsbel42xy";

/// `POST /api/v1/products/{id}/favorites`, which must succeed.
async fn favorite(app: &TestApp, r: &Resident, plate: &str, name: &str) {
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
async fn download(app: &TestApp, path: &str) -> Value {
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
async fn api_export(app: &TestApp, token: &str) -> (u16, Value) {
    call(app, "GET", "/api/v1/account/data", None, Some(token)).await
}

/// `DELETE /api/v1/account` with `password`.
async fn api_delete(app: &TestApp, token: &str, password: &str) -> (u16, Value) {
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
fn having<'a>(list: &'a Value, field: &str, value: &Value) -> Vec<&'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|i| &i[field] == value)
        .collect()
}

/// Jan (Dijkstad, EUR 25.00) parks 12-GBD-3, keeps a favorite, gives Piet a mandate of EUR 5.00
/// on which Piet parks 34-KLM-5, starts a top-up and has a mandate of Kees (Havenmond, another
/// gemeente) on which he parks 56-PRS-7; Kees parks 99-XYZ-9 and keeps a favorite of his own.
struct World {
    jan: Resident,
    piet: Resident,
    kees: Resident,
    jan_on_kees: Resident,
}

async fn world(app: &TestApp) -> World {
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
    let jan_on_kees = Resident {
        token: jan.token.clone(),
        product: body["product"]["id"].as_i64().unwrap(),
    };
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
async fn deleting_stops_and_refunds_revokes_uncouples_and_forgets_while_the_ledger_stays() {
    let mut app = TestApp::spawn().await;
    let w = world(&app).await;
    let jan_id = app
        .sql_i64("SELECT id FROM accounts WHERE email = 'jan@example.nl'")
        .await;
    // And a planned session tomorrow (one hour, EUR 1.20).
    let (status, body) = w
        .jan
        .start(
            &app,
            json!({"plate": "12-GBD-3", "start": at(3, 10, 0).to_rfc3339(), "end": at(3, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(w.jan.balance(&app).await, "16.40");
    let entries_before = app.sql_i64("SELECT COUNT(*) FROM ledger_entries").await;
    let last_entry = app.sql_i64("SELECT MAX(id) FROM ledger_entries").await;
    let amounts_before = app
        .sql_i64("SELECT CAST(SUM(amount) AS BIGINT) FROM ledger_entries WHERE amount < 0")
        .await;
    let kees_before: i64 = w.kees.balance(&app).await.parse().unwrap();
    assert!(
        app.sql_i64("SELECT COUNT(*) FROM outbox WHERE recipient = 'jan@example.nl'")
            .await
            > 0
    );

    // While Jan holds the product, staff cannot mail a link for it.
    let code = app
        .sql_text(&format!(
            "SELECT code FROM products WHERE id = {}",
            w.jan.product
        ))
        .await
        .unwrap();
    let desk = app.app.as_ref().unwrap().state().desk().clone();
    let link_to = |email: &str| LinkRequest {
        tenant: "dijkstad".into(),
        code: code.clone(),
        email: EmailAddress::parse(email).unwrap(),
    };
    let refused = desk.link(link_to("anna@example.nl")).await.unwrap_err();
    assert!(
        refused.to_string().contains("is coupled to an account"),
        "{refused}"
    );

    // Half an hour later Jan confirms on the page.
    app.clock.set(at(2, 10, 30));
    app.login("jan@example.nl", PASSWORD).await;
    let confirm = app.page("/instellingen/account-verwijderen").await;
    assert!(confirm.contains("Account verwijderen"));
    assert!(confirm.contains("Bezoekersregeling, Binnenstad (Gemeente Dijkstad)"));
    assert!(confirm.contains("autocomplete=\"current-password\""));
    assert!(confirm.contains("3 lopende of geplande parkeeracties worden beëindigd"));
    let resp = app
        .post_form(
            "/instellingen/account-verwijderen",
            &[("wachtwoord", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/account-verwijderd");
    assert!(
        app.cookie("pp_session").is_none(),
        "the session cookie is cleared"
    );
    let gone = app.page("/account-verwijderd").await;
    assert!(gone.contains("Uw account is verwijderd"));
    let settings = app.get("/instellingen").send().await.unwrap();
    assert_eq!(settings.status(), 303, "logged out");

    // Refunds at the session's prices: Jan used 30 minutes of 2 hours (2.40 - 0.60 back), the
    // planned session comes back whole (1.20), Piet used 30 of his 60 minutes (0.60 back to the
    // mandate) and the mandate's 4.40 returns to the product: 16.40 + 1.80 + 1.20 + 4.40.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT balance FROM products WHERE id = {}",
            w.jan.product
        ))
        .await,
        2380
    );
    ledger_holds(&app).await;
    // Every entry stays with its amount; the deletion only added refunds and returns.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM ledger_entries WHERE id <= {last_entry}"
        ))
        .await,
        entries_before
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT CAST(SUM(amount) AS BIGINT) FROM ledger_entries WHERE amount < 0 AND id <= {last_entry}"
        ))
        .await,
        amounts_before
    );
    // Four refunds (Jan's two, Piet's, Jan's on Kees's product) and two mandates' returns (an
    // entry on each side).
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM ledger_entries WHERE id > {last_entry}"
        ))
        .await,
        8
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM ledger_entries WHERE id > {last_entry} \
             AND kind NOT IN ('refund', 'mandate_return')"
        ))
        .await,
        0
    );
    // The sessions stay for the ledger: stopped or deleted, without plate or account.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE account_id = {jan_id}"
        ))
        .await,
        0
    );
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM parking_sessions WHERE plate IN ('12GBD3', '34KLM5', '56PRS7')"
        )
        .await,
        0
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE product_id = {} AND (stopped_at IS NOT NULL OR deleted_at IS NOT NULL)",
            w.jan.product
        ))
        .await,
        3
    );
    // The person is gone from every table that named him.
    for sql in [
        "SELECT COUNT(*) FROM accounts WHERE email = 'jan@example.nl'".to_owned(),
        "SELECT COUNT(*) FROM outbox WHERE recipient = 'jan@example.nl'".to_owned(),
        "SELECT COUNT(*) FROM email_links WHERE email = 'jan@example.nl'".to_owned(),
        "SELECT COUNT(*) FROM mandates WHERE email = 'jan@example.nl'".to_owned(),
        "SELECT COUNT(*) FROM favorites WHERE plate = '20BDF1'".to_owned(),
        format!("SELECT COUNT(*) FROM auth_sessions WHERE account_id = {jan_id}"),
        format!("SELECT COUNT(*) FROM payments WHERE account_id = {jan_id}"),
        format!(
            "SELECT COUNT(*) FROM mandates WHERE owner_id = {jan_id} OR mandatee_id = {jan_id}"
        ),
        format!("SELECT COUNT(*) FROM products WHERE owner_id = {jan_id}"),
    ] {
        assert_eq!(app.sql_i64(&sql).await, 0, "{sql}");
    }
    // The payment stays with its product, as does the product with its balance.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM payments WHERE product_id = {} AND account_id IS NULL",
            w.jan.product
        ))
        .await,
        1
    );
    // Mandates revoked: Piet no longer reaches Jan's product; Kees got the rest of his back
    // (120 minutes given, Jan held 60 and used 30: 90). Their tokens timed out meanwhile.
    let piet = Resident {
        token: api_token(&app, "piet@example.nl").await,
        ..w.piet.clone()
    };
    assert_eq!(crate::mandates::product_of(&app, &piet).await, Value::Null);
    let kees = Resident {
        token: api_token(&app, "kees@example.nl").await,
        ..w.kees.clone()
    };
    assert_eq!(
        kees.balance(&app).await.parse::<i64>().unwrap(),
        kees_before + 90
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM mandates WHERE status <> 'revoked'")
            .await,
        0
    );

    // Gemeente staff couple the product again with a new link (a second one voids the first);
    // Anna accepts it and finds the balance, and no plate of Jan's in its history.
    let wrong = desk.link(link_to("oud@example.nl")).await.unwrap();
    let linked = desk.link(link_to("anna@example.nl")).await.unwrap();
    assert_eq!(linked.product.0, w.jan.product);
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/couplings/accept",
        Some(json!({"token": wrong.coupling_token.expose(), "password": PASSWORD, "password_repeat": PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "coupling_link_expired");
    let anna = accept(&app, "anna@example.nl").await;
    assert_eq!(anna.product, w.jan.product);
    assert_eq!(anna.balance(&app).await, "23.80");
    app.new_browser();
    app.login("anna@example.nl", PASSWORD).await;
    let history = app
        .page(&format!("/producten/{}/historie", anna.product))
        .await;
    assert!(!history.contains("12-GBD-3") && !history.contains("34-KLM-5"));
    ledger_holds(&app).await;
}

#[tokio::test]
async fn a_wrong_password_changes_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let state = "SELECT (SELECT COUNT(*) FROM accounts) * 1000000 \
                 + (SELECT COUNT(*) FROM ledger_entries) * 10000 \
                 + (SELECT COUNT(*) FROM parking_sessions WHERE plate <> '' AND stopped_at IS NULL) * 100 \
                 + (SELECT COUNT(*) FROM outbox)";
    let before = app.sql_i64(state).await;
    let balance = w.jan.balance(&app).await;
    app.login("jan@example.nl", PASSWORD).await;
    let resp = app
        .post_form(
            "/instellingen/account-verwijderen",
            &[("wachtwoord", "fietsbel43xy")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    assert!(page.contains("Het wachtwoord klopt niet. Uw account is niet verwijderd."));
    assert!(page.contains("aria-invalid=\"true\""));
    let resp = app
        .post_form("/instellingen/account-verwijderen", &[("wachtwoord", "")])
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("Vul uw wachtwoord in"));
    let (status, body) = api_delete(&app, &w.jan.token, "fietsbel43xy").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "password_incorrect");
    // In English too.
    let (status, body) = {
        let resp = reqwest::Client::new()
            .delete(format!("{}/api/v1/account", app.url))
            .bearer_auth(&w.jan.token)
            .header("accept-language", "en")
            .json(&json!({"password": "wrong-one-42"}))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "The password is not correct. Your account has not been deleted."
    );

    assert_eq!(app.sql_i64(state).await, before);
    assert_eq!(w.jan.balance(&app).await, balance);
    assert!(app.page("/instellingen").await.contains("jan@example.nl"));
    ledger_holds(&app).await;
}

#[tokio::test]
async fn password_attempts_are_counted_with_the_logins() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    for _ in 0..10 {
        let (status, _) = api_delete(&app, &jan.token, "fietsbel43xy").await;
        assert_eq!(status, 422);
    }
    // Now even the right password waits, and so does the login.
    let (status, body) = api_delete(&app, &jan.token, PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/auth/login",
        Some(json!({"email": "jan@example.nl", "password": PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM accounts WHERE email = 'jan@example.nl'")
            .await,
        1
    );
    app.clock.set(at(2, 10, 1));
    let (status, body) = api_delete(&app, &jan.token, PASSWORD).await;
    assert_eq!(status, 204, "{body}");
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

#[tokio::test]
async fn the_api_exports_and_deletes_and_the_accounts_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    jan.park(&app, "12-GBD-3", at(2, 12, 0)).await;
    let other_device = api_token(&app, "jan@example.nl").await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/account/data", app.url))
        .bearer_auth(&jan.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["sessions"][0]["plate"], "12-GBD-3");
    let spec = app.page("/api/openapi.json").await;
    assert!(spec.contains("\"/v1/account/data\"") && spec.contains("\"/v1/account\""));

    let (status, body) = api_delete(&app, &jan.token, PASSWORD).await;
    assert_eq!(status, 204, "{body}");
    for token in [&jan.token, &other_device] {
        let (status, _) = call(&app, "GET", "/api/v1/me", None, Some(token)).await;
        assert_eq!(status, 401);
        let (status, _) = api_export(&app, token).await;
        assert_eq!(status, 401);
    }
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/auth/login",
        Some(json!({"email": "jan@example.nl", "password": PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // The session began at this very moment: it goes like a planned one, refunded whole.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT balance FROM products WHERE id = {}",
            jan.product
        ))
        .await,
        2500
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn migration_13_keeps_every_row_down_and_up_again() {
    use parkportal_migrations::{Migrator, MigratorTrait};
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // Every row with what links it, summed: a lost row or link changes it.
    let fingerprint = "SELECT CAST(\
         (SELECT COUNT(*) + SUM(id + reserved + account_id) FROM parking_sessions) \
         + (SELECT COUNT(*) + SUM(id + amount + COALESCE(session_id, 0) + COALESCE(mandate_id, 0)) FROM ledger_entries) \
         + (SELECT COUNT(*) + SUM(id + account_id + amount) FROM payments) \
         + (SELECT COUNT(*) + SUM(id + owner_id + balance) FROM mandates) AS BIGINT)";
    let before = app.sql_i64(fingerprint).await;
    let last_session = app.sql_i64("SELECT MAX(id) FROM parking_sessions").await;
    let db = app.app.as_ref().unwrap().database().connection();
    Migrator::down(db, Some(1)).await.unwrap();
    assert_eq!(app.sql_i64(fingerprint).await, before);
    Migrator::up(db, None).await.unwrap();
    assert_eq!(app.sql_i64(fingerprint).await, before);
    ledger_holds(&app).await;
    // The server goes on: a new session gets a new id, and the sessions keep their ledger.
    let id = w.kees.park(&app, "11-BBB-1", at(2, 13, 0)).await;
    assert!(id > last_session);
    // Deleting an account now keeps the rows that pointed at it.
    let (status, body) = api_delete(&app, &w.piet.token, PASSWORD).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions").await,
        5
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions WHERE account_id IS NULL")
            .await,
        1
    );
    ledger_holds(&app).await;
}

#[test]
fn products_link_mails_a_new_link_for_a_product_of_the_gemeente_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        crate::harness::parkportal_command(dir.path())
            .env("PARKPORTAL__DATABASE__URL", &db)
            .env("PARKPORTAL__AUTH__HASH_MEMORY_KIB", "64")
            .env("PARKPORTAL__AUTH__HASH_ITERATIONS", "1")
            .args(args)
            .output()
            .unwrap()
    };
    let tenants = crate::harness::repo().join("tenants");
    assert!(
        run(&["tenants", "import", tenants.to_str().unwrap()])
            .status
            .success()
    );
    // A product on a letter, coupled to nobody.
    let letter = run(&["products", "issue", "--tenant", "dijkstad"]);
    let stdout = String::from_utf8_lossy(&letter.stdout).to_string();
    let code = stdout
        .lines()
        .find_map(|l| l.strip_prefix("code:"))
        .unwrap()
        .trim()
        .to_owned();
    let other = run(&[
        "products",
        "link",
        "--tenant",
        "havenmond",
        "--code",
        &code,
        "--email",
        "b@example.nl",
    ]);
    assert!(!other.status.success());
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("gemeente havenmond has no product"),
        "another gemeente's staff cannot link it"
    );
    let bad = run(&[
        "products", "link", "--tenant", "dijkstad", "--code", &code, "--email", "b@",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let linked = run(&[
        "products",
        "link",
        "--tenant",
        "dijkstad",
        "--code",
        &code,
        "--email",
        "b@example.nl",
    ]);
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    assert!(
        String::from_utf8_lossy(&linked.stdout)
            .contains("coupling link queued in the outbox for b@example.nl")
    );
    let show = run(&["outbox", "show", "1"]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("b@example.nl"), "{text}");
    assert!(text.contains("/g/dijkstad/koppel/"), "{text}");
}

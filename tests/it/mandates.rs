//! "Machtiging(en)": an owner gives part of a visitor scheme's balance to someone else, who
//! couples it by mail and parks with it (one plate when set, counted towards the product's
//! limits); revocation ends the mandatee's sessions and returns the rest. The clock stands on
//! Monday 2 March 2026, 10:00; Dijkstad charges EUR 0.02 a minute.

use crate::support::{Resident, accept_creating_account, at, ledger_holds, resident};
use crate::support::{TestApp, api_token, call, unescape};
use chrono::Duration;
use serde_json::{Value, json};

pub(crate) async fn give(app: &TestApp, owner: &Resident, body: Value) -> (u16, Value) {
    call(
        app,
        "POST",
        &format!("/api/v1/products/{}/mandates", owner.product),
        Some(body),
        Some(&owner.token),
    )
    .await
}

/// `owner` gives `email` a mandate of `amount` (which must succeed) and `email` accepts it,
/// creating an account: the mandatee.
pub(crate) async fn mandatee(
    app: &TestApp,
    owner: &Resident,
    email: &str,
    amount: &str,
) -> Resident {
    let (status, body) = give(app, owner, json!({"email": email, "amount": amount})).await;
    assert_eq!(status, 201, "{body}");
    accept(app, email).await
}

/// `DELETE .../mandates/{mid}` by `as_whom`; the status.
pub(crate) async fn revoke(app: &TestApp, as_whom: &Resident, product: i64, mid: i64) -> u16 {
    call(
        app,
        "DELETE",
        &format!("/api/v1/products/{product}/mandates/{mid}"),
        None,
        Some(&as_whom.token),
    )
    .await
    .0
}

/// The coupling token in the newest mail to `email`.
pub(crate) async fn invitation(app: &TestApp, email: &str) -> String {
    let mails = app
        .app
        .as_ref()
        .unwrap()
        .state()
        .outbox()
        .list(20)
        .await
        .unwrap();
    let mail = mails.iter().find(|m| m.to == email).expect("an invitation");
    mail.text.split("/koppel/").nth(1).unwrap()[..64].to_owned()
}

/// Accepts the invitation to `email`, creating the account; the mandatee's token and product.
pub(crate) async fn accept(app: &TestApp, email: &str) -> Resident {
    let token = invitation(app, email).await;
    let (status, body) = accept_creating_account(app, &token).await;
    assert_eq!(status, 201, "{body}");
    Resident::new(
        body["token"].as_str().unwrap().to_owned(),
        body["product"]["id"].as_i64().unwrap(),
        email,
    )
}

pub(crate) async fn product_of(app: &TestApp, r: &Resident) -> Value {
    let (_, list) = call(app, "GET", "/api/v1/products", None, Some(&r.token)).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == r.product)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_mandatee_parks_on_the_mandates_balance_with_its_plate_and_revocation_returns_the_rest() {
    let mut app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    app.login("jan@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/machtigingen", jan.product);
    let page = app.page(&path).await;
    assert!(page.contains("Machtigingen (0)") && page.contains("Bewaar"));
    assert!(unescape(&app.page("/menu").await).contains(&path));

    // [Bewaar]: the address, one plate, EUR 10.00 of the balance.
    let saved = app
        .post_form(
            &path,
            &[
                ("email", "piet@example.nl"),
                ("kenteken", "12-gbd-3"),
                ("land", "NL"),
                ("bedrag", "10,00"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let list = app
        .page(&unescape(saved.headers()["location"].to_str().unwrap()))
        .await;
    assert!(list.contains("De machtiging is opgeslagen. piet@example.nl krijgt een e-mail"));
    assert!(list.contains("Uw saldo is nu € 15,00"));
    assert!(list.contains("Nog niet geaccepteerd") && list.contains("Alleen kenteken 12-GBD-3"));
    assert_eq!(jan.balance(&app).await, "15.00");
    // The mail names the owner, the plate and the amount, and records the plate for the
    // privacy job.
    let mail = app
        .sql_text("SELECT body_text FROM outbox WHERE recipient = 'piet@example.nl'")
        .await
        .unwrap();
    assert!(mail.contains("jan@example.nl heeft u gemachtigd") && mail.contains("12-GBD-3"));
    assert!(mail.contains("€ 10,00"));
    assert_eq!(
        app.sql_text("SELECT plates FROM outbox WHERE recipient = 'piet@example.nl'")
            .await
            .as_deref(),
        Some("NL:12GBD3")
    );

    // The coupling page says who gives it; piet creates an account with the link.
    let token = invitation(&app, "piet@example.nl").await;
    app.new_browser();
    let offer = app.page(&format!("/koppel/{token}")).await;
    assert!(offer.contains("jan@example.nl heeft u gemachtigd"));
    let piet = accept(&app, "piet@example.nl").await;
    assert_eq!(piet.product, jan.product);
    let seen = product_of(&app, &piet).await;
    assert_eq!(seen["mandated_by"], "jan@example.nl");
    assert_eq!(seen["balance"]["value"], "10.00");

    // Only with the given plate, from the mandate's balance.
    let (status, body) = piet
        .start(
            &app,
            json!({"plate": "34-GBD-5", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("plate_not_on_mandate"))
    );
    let (status, running) = piet
        .start(
            &app,
            json!({"plate": "12-GBD-3", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{running}");
    let (status, _) = piet
        .start(
            &app,
            json!({"plate": "12-GBD-3", "start": at(3, 10, 0).to_rfc3339(), "end": at(3, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(product_of(&app, &piet).await["balance"]["value"], "7.60");
    assert_eq!(
        jan.balance(&app).await,
        "15.00",
        "the owner's balance is untouched"
    );
    ledger_holds(&app).await;

    // Not for a mandatee: favorites, top-ups, mandates, transactions; own sessions only.
    for path in ["favorites", "top-ups", "mandates", "history/transactions"] {
        let (status, _) = call(
            &app,
            "GET",
            &format!("/api/v1/products/{}/{path}", piet.product),
            None,
            Some(&piet.token),
        )
        .await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, own) = jan
        .start(
            &app,
            json!({"plate": "56-GBD-7", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    let (_, hist) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/history/sessions", piet.product),
        None,
        Some(&piet.token),
    )
    .await;
    assert_eq!(hist["items"].as_array().unwrap().len(), 2, "{hist}");
    // The owner's history shows them all; the owner's transactions only the owner's balance.
    let (_, hist) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/history/sessions", jan.product),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(hist["items"].as_array().unwrap().len(), 3);
    let (_, tx) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/history/transactions", jan.product),
        None,
        Some(&jan.token),
    )
    .await;
    let kinds: Vec<&str> = tx["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reservation", "mandate_grant", "opening"]);
    // The owner sees piet's session without actions, and cannot stop it.
    app.new_browser();
    app.login("jan@example.nl", "fietsbel42xy").await;
    let sessions = app
        .page(&format!("/producten/{}/parkeeracties", jan.product))
        .await;
    assert!(sessions.contains("Gestart door gemachtigde piet@example.nl"));
    assert_eq!(jan.end(&app, running["id"].as_i64().unwrap()).await.0, 404);

    // Revocation after 30 minutes: piet's running session ends (EUR 0.60 used), the planned
    // one goes, and the rest of the mandate (10.00 - 0.60) returns to jan.
    // (Everyone logs in again after the half hour: sessions end after 15 idle minutes.)
    app.clock.advance(Duration::minutes(30));
    let jan = jan.with_token(api_token(&app, "jan@example.nl").await);
    let piet = piet.with_token(api_token(&app, "piet@example.nl").await);
    assert_eq!(
        product_of(&app, &piet).await["mandated_by"],
        "jan@example.nl"
    );
    app.login("jan@example.nl", "fietsbel42xy").await;
    let (_, mandates) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/mandates", jan.product),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(mandates["items"][0]["accepted"], true);
    let mid = mandates["items"][0]["id"].as_i64().unwrap();
    let confirm = app.page(&format!("{path}/{mid}/intrekken")).await;
    assert!(confirm.contains("Weet u zeker") && confirm.contains("piet@example.nl"));
    let revoked = app.post_form(&format!("{path}/{mid}/intrekken"), &[]).await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        jan.balance(&app).await,
        "23.20",
        "15.00 + 9.40 - 1.20 of jan's own"
    );
    let ended = app
        .sql_text(&format!(
            "SELECT CAST(reserved AS TEXT) FROM parking_sessions WHERE id = {}",
            running["id"]
        ))
        .await;
    assert_eq!(ended.as_deref(), Some("60"));
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions WHERE mandate_id IS NOT NULL AND deleted_at IS NOT NULL").await,
        1
    );
    assert_eq!(
        product_of(&app, &piet).await,
        Value::Null,
        "piet's access ended"
    );
    let (status, _) = piet
        .start(
            &app,
            json!({"plate": "12-GBD-3", "end": at(2, 12, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 404);
    assert!(app.page(&path).await.contains("Machtigingen (0)"));
    ledger_holds(&app).await;
}

#[tokio::test]
async fn mandatee_sessions_count_towards_the_products_maximum() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("100.00")).await;
    let piet = mandatee(&app, &jan, "piet@example.nl", "20.00").await;
    let plates = [
        "01-GBD-1", "02-GBD-2", "03-GBD-3", "04-GBD-4", "05-GBD-5", "06-GBD-6", "07-GBD-7",
        "08-GBD-8", "09-GBD-9",
    ];
    for plate in plates {
        let (status, body) = jan
            .start(
                &app,
                json!({"plate": plate, "end": at(2, 11, 0).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // Any plate (none was set): the tenth at once.
    let (status, _) = piet
        .start(
            &app,
            json!({"plate": "10-GBD-1", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201);
    for who in [&jan, &piet] {
        let (status, body) = who
            .start(
                &app,
                json!({"plate": "11-GBD-1", "end": at(2, 11, 0).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["code"], "max_concurrent_sessions");
    }
    ledger_holds(&app).await;
}

#[tokio::test]
async fn mandates_are_refused_where_they_do_not_fit() {
    let app = TestApp::spawn_with(|c| c.mandates.invitations_per_day = 3).await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let code = |v: &Value| v["error"]["code"].as_str().map(str::to_owned);
    for (body, expected) in [
        (
            json!({"email": "piet@example.nl", "amount": "25.01"}),
            "insufficient_balance",
        ),
        (
            json!({"email": "piet@example.nl", "amount": "-1"}),
            "amount_invalid",
        ),
        (
            json!({"email": "piet@example.nl", "amount": "0.001"}),
            "amount_invalid",
        ),
        (
            json!({"email": "jan@example.nl", "amount": "1"}),
            "own_address",
        ),
        (
            json!({"email": "geen adres", "amount": "1"}),
            "email_invalid",
        ),
        (
            json!({"email": "piet@example.nl", "plate": "X", "amount": "1"}),
            "plate_invalid",
        ),
    ] {
        let (status, answer) = give(&app, &jan, body).await;
        assert_eq!((status, code(&answer).as_deref()), (422, Some(expected)));
    }
    assert_eq!(jan.balance(&app).await, "25.00", "nothing moved");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM mandates").await, 0);
    // The same address twice (in another case), then the limit of three a day.
    for (email, expected) in [
        ("piet@example.nl", (201, None)),
        ("PIET@example.nl", (422, Some("mandate_exists"))),
        ("kees@example.nl", (201, None)),
        ("truus@example.nl", (201, None)),
        ("anna@example.nl", (422, Some("mandate_limit_reached"))),
    ] {
        let (status, answer) = give(&app, &jan, json!({"email": email, "amount": "1"})).await;
        assert_eq!((status, code(&answer).as_deref()), expected, "{email}");
    }
    assert_eq!(jan.balance(&app).await, "22.00");

    // Weidevelde gives no mandates (its rules): refused, and no menu entry.
    let mut app = app;
    let wim = resident(&app, "weidevelde", "wim@example.nl", Some("25.00")).await;
    let (status, answer) = give(
        &app,
        &wim,
        json!({"email": "piet@example.nl", "amount": "1"}),
    )
    .await;
    assert_eq!(
        (status, code(&answer).as_deref()),
        (422, Some("mandates_unavailable"))
    );
    app.new_browser();
    app.login("wim@example.nl", "fietsbel42xy").await;
    let page = app
        .page(&format!("/producten/{}/machtigingen", wim.product))
        .await;
    assert!(page.contains("Voor dit product kunt u geen machtiging geven."));
    assert!(!page.contains("Bewaar"));
    assert!(!app.page("/menu").await.contains("Machtigingen"));
    let refused = app
        .post_form(
            &format!("/producten/{}/machtigingen", wim.product),
            &[("email", "piet@example.nl"), ("bedrag", "1")],
        )
        .await;
    assert_eq!(refused.status(), 422);

    // Another resident's product: 404 everywhere.
    let (status, _) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/mandates", jan.product),
        None,
        Some(&wim.token),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        give(
            &app,
            &wim.on_product(jan.product),
            json!({"email": "x@example.nl", "amount": "1"})
        )
        .await
        .0,
        404
    );
    let mid = app.sql_i64("SELECT MIN(id) FROM mandates").await;
    assert_eq!(revoke(&app, &wim, jan.product, mid).await, 404);
    assert_eq!(
        app.get(&format!(
            "/producten/{}/machtigingen/{mid}/intrekken",
            jan.product
        ))
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
    // Revoking a mandate nobody accepted returns all of it and kills its link.
    assert_eq!(revoke(&app, &jan, jan.product, mid).await, 204);
    assert_eq!(jan.balance(&app).await, "23.00");
    let token = invitation(&app, "piet@example.nl").await;
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/couplings/accept",
        Some(
            json!({"token": token, "password": "fietsbel42xy", "password_repeat": "fietsbel42xy"}),
        ),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (410, Some("coupling_link_expired")),
        "{body}"
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn revocation_racing_the_mandatees_starts_leaves_nothing_running_and_the_ledger_whole() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("50.00")).await;
    let piet = mandatee(&app, &jan, "piet@example.nl", "20.00").await;
    let mid = app.sql_i64("SELECT id FROM mandates").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (url, token, product) = (app.url.clone(), piet.token.clone(), piet.product);
        tasks.push(tokio::spawn(async move {
            let body = json!({"plate": format!("0{i}-GBD-1"), "start": at(3, 10, 0).to_rfc3339(), "end": at(3, 11, 0).to_rfc3339()});
            reqwest::Client::new()
                .post(format!("{url}/api/v1/products/{product}/sessions"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let (url, token, product) = (app.url.clone(), jan.token.clone(), jan.product);
    let revoke = tokio::spawn(async move {
        reqwest::Client::new()
            .delete(format!("{url}/api/v1/products/{product}/mandates/{mid}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    for t in tasks {
        assert!(matches!(t.await.unwrap(), 201 | 404), "no 5xx");
    }
    assert_eq!(revoke.await.unwrap(), 204);
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE mandate_id = {mid} AND deleted_at IS NULL"
        ))
        .await,
        0,
        "every planned session of the mandate is gone"
    );
    assert_eq!(app.sql_i64("SELECT balance FROM mandates").await, 0);
    assert_eq!(jan.balance(&app).await, "50.00");
    ledger_holds(&app).await;
}

#[tokio::test]
async fn rule_scripts_see_whether_a_mandatee_asks() {
    let app = TestApp::spawn().await;
    // Dijkstad's script, changed: a mandatee may only park while nothing else runs.
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    config.scripts.insert(
        "bezoekers".parse().unwrap(),
        "fn max_concurrent_sessions(ctx) { if ctx.mandatee { 1 } else { 10 } }".into(),
    );
    tenants.import(&config).await.unwrap();
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("50.00")).await;
    let piet = mandatee(&app, &jan, "piet@example.nl", "10.00").await;
    let end = at(2, 11, 0).to_rfc3339();
    assert_eq!(
        jan.start(&app, json!({"plate": "12-GBD-3", "end": end}))
            .await
            .0,
        201
    );
    let (status, body) = piet
        .start(&app, json!({"plate": "34-GBD-5", "end": end}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("max_concurrent_sessions"))
    );
    assert_eq!(
        jan.start(&app, json!({"plate": "56-GBD-7", "end": end}))
            .await
            .0,
        201
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn a_mandate_amount_is_a_plain_decimal_string_of_more_than_zero() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let mails = app.sql_i64("SELECT COUNT(*) FROM outbox").await;
    // Zero in any spelling gives nothing; an exponent, a JSON number, a sign, blanks, thousands
    // separators or more decimals than euros have are not the decimal string the schema names.
    for amount in [
        json!("0"),
        json!("-0"),
        json!("0.00"),
        json!("1e-2"),
        json!("1E2"),
        json!("0.001"),
        json!("1.000"),
        json!(10),
        json!(10.5),
        json!(" 5"),
        json!("5 "),
        json!("+5"),
        json!("-5"),
        json!("1,000"),
        json!("1_000"),
        json!("5."),
        json!(".5"),
        json!(""),
        json!(" "),
        json!("NaN"),
        json!(true),
    ] {
        let (status, answer) = give(
            &app,
            &jan,
            json!({"email": "piet@example.nl", "amount": amount}),
        )
        .await;
        assert_eq!(status, 422, "{amount}: {answer}");
        assert_eq!(answer["error"]["code"], "amount_invalid", "{amount}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM mandates").await, 0);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM outbox").await, mails);
    assert_eq!(jan.balance(&app).await, "25.00", "nothing moved");
    let (status, list) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/mandates", jan.product),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(
        (status, list["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );

    // The page refuses zero as well (a comma is still the Dutch decimal point there).
    app.login("jan@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/machtigingen", jan.product);
    for bedrag in ["0", "0,00", "-0", "", "1e-2", "0,001"] {
        let refused = app
            .post_form(&path, &[("email", "piet@example.nl"), ("bedrag", bedrag)])
            .await;
        assert_eq!(refused.status(), 422, "{bedrag:?}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Vul een bedrag in van meer dan nul"),
            "{bedrag:?}"
        );
    }
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM mandates").await, 0);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM outbox").await, mails);

    // Whole euros and cents are fine.
    let (status, given) = give(
        &app,
        &jan,
        json!({"email": "piet@example.nl", "amount": "5"}),
    )
    .await;
    assert_eq!(status, 201, "{given}");
    assert_eq!(given["balance"], json!({"value": "5.00", "unit": "EUR"}));
    let saved = app
        .post_form(&path, &[("email", "kees@example.nl"), ("bedrag", "0,50")])
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(jan.balance(&app).await, "19.50");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM outbox").await, mails + 2);
    ledger_holds(&app).await;

    // The document says what is read: a decimal string.
    let spec: Value = app
        .get("/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let amount = &spec["components"]["schemas"]["NewMandate"]["properties"]["amount"];
    assert_eq!(amount["type"], "string", "{amount}");
    assert_eq!(amount["format"], "decimal", "{amount}");
}

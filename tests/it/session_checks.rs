//! What a hostile test and a walkthrough found on the main task, parking a visitor: the same
//! plate twice, a double [Bevestigen] and repeated API requests (`Idempotency-Key`), "nu" that
//! was a fixed minute, and an extension's alternative that was the session unchanged.

use crate::mandates::{mandatee, revoke};
use crate::support::html::Html;
use crate::support::{Resident, at, ledger_holds, resident};
use crate::support::{TestApp, call, hidden, unescape};
use chrono::Duration;
use serde_json::{Value, json};

async fn sessions(app: &TestApp) -> i64 {
    app.sql_i64("SELECT COUNT(*) FROM parking_sessions WHERE deleted_at IS NULL")
        .await
}

#[tokio::test]
async fn the_same_plate_twice_on_a_product_is_refused_naming_the_session_it_parks_in() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("50.00")).await;
    let first_id = jan.park(&app, "AB-12-34", at(2, 12, 0)).await;
    // The error of a start refused because its plate parks already.
    let parked = |r: &Resident, body: Value| {
        let app = &app;
        let r = r.clone();
        async move {
            let (status, body) = r.start(app, body).await;
            assert_eq!(status, 409, "{body}");
            assert_eq!(body["error"]["code"], "plate_already_parked");
            body["error"].clone()
        }
    };
    // Overlapping, written another way: refused with the session it parks in.
    let error = parked(
        &jan,
        json!({"plate": "ab1234", "start": at(2, 11, 0).to_rfc3339(), "end": at(2, 13, 0).to_rfc3339()}),
    )
    .await;
    assert_eq!(error["session_id"], first_id);
    assert_eq!(
        error["message"],
        "Dit kenteken staat op dat moment al geparkeerd met dit product."
    );
    // After it ends the plate may park again; another plate may park now.
    let (status, body) = jan
        .start(
            &app,
            json!({"plate": "AB-12-34", "start": at(2, 12, 0).to_rfc3339(), "end": at(2, 13, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let later_id = body["id"].as_i64().unwrap();
    jan.park(&app, "XX-99-XX", at(2, 12, 0)).await;
    // An extension into the plate's next session is refused too, naming it.
    let (status, body) = jan.extend(&app, first_id, at(2, 12, 30)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "plate_already_parked");
    assert_eq!(body["error"]["session_id"], later_id);

    // Owner and mandatee share the product: the mandatee cannot park the owner's parked plate,
    // and is not shown the owner's session; the owner, who sees every session of the product,
    // is shown the mandatee's.
    let piet = mandatee(&app, &jan, "piet@example.nl", "10.00").await;
    let until_11 = |plate: &str| json!({"plate": plate, "end": at(2, 11, 0).to_rfc3339()});
    let error = parked(&piet, until_11("XX-99-XX")).await;
    assert_eq!(error["session_id"], Value::Null);
    let by_piet = piet.park(&app, "GB-01-XY", at(2, 11, 0)).await;
    let error = parked(&jan, until_11("GB-01-XY")).await;
    assert_eq!(error["session_id"], by_piet);
    // Another resident's product is another product: the same plate parks there.
    let kees = resident(&app, "dijkstad", "kees@example.nl", Some("10.00")).await;
    kees.park(&app, "AB-12-34", at(2, 11, 0)).await;
    assert_eq!(sessions(&app).await, 5);
    ledger_holds(&app).await;
}

#[tokio::test]
async fn revoking_a_mandate_leaves_a_stopped_session_as_it_was_stopped() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("50.00")).await;
    let piet = mandatee(&app, &jan, "piet@example.nl", "10.00").await;
    let id = piet.park(&app, "AB-12-34", at(2, 12, 0)).await;
    app.clock.advance(Duration::minutes(10));
    assert_eq!(piet.end(&app, id).await.0, 200);
    let used = app
        .sql_i64(&format!(
            "SELECT reserved FROM parking_sessions WHERE id = {id}"
        ))
        .await;
    assert_eq!(used, 20, "10 minutes at EUR 0.02");
    // The revocation, on an instance whose clock is a little behind: the stopped session stays
    // stopped, with what it used; only the rest of the mandate returns.
    app.clock.advance(Duration::minutes(-5));
    let (_, list) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/mandates", jan.product),
        None,
        Some(&jan.token),
    )
    .await;
    let mid = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(revoke(&app, &jan, jan.product, mid).await, 204);
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE id = {id} AND deleted_at IS NULL AND reserved = 20"
        ))
        .await,
        1
    );
    assert_eq!(jan.balance(&app).await, "49.80");
    ledger_holds(&app).await;
}

#[tokio::test]
async fn the_new_session_page_names_the_session_the_plate_parks_in_and_links_to_extend_it() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "pagina@example.nl", Some("25.00")).await;
    app.login("pagina@example.nl", "fietsbel42xy").await;
    let id = r.park(&app, "AB-12-34", at(2, 12, 0)).await;
    let page = app
        .post_form(
            &format!("/producten/{}/parkeeracties/nieuw", r.product),
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("land", "NL"),
                ("startmoment", "nu"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "10:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "11:00"),
            ],
        )
        .await;
    assert_eq!(page.status(), 409);
    let page = unescape(&page.text().await.unwrap());
    assert!(
        page.contains("al geparkeerd met dit product")
            && page.contains("Dit kenteken parkeert al van")
            && page.contains(&format!("href=\"/parkeeracties/{id}/verlengen\"")),
        "{page}"
    );
    // What was typed comes back.
    assert!(page.contains("value=\"AB-12-34\"") && page.contains("value=\"11:00\""));
    assert_eq!(sessions(&app).await, 1);
}

#[tokio::test]
async fn a_double_click_on_bevestigen_makes_one_session_and_one_charge() {
    let mut app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "dubbel@example.nl", Some("25.00")).await;
    app.login("dubbel@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/parkeeracties/nieuw", r.product);
    let check = app
        .post_form(
            &path,
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("land", "NL"),
                ("startmoment", "nu"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "11:00"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let confirm: Vec<(String, String)> = ["stap", "kenteken", "land", "start", "end", "eenmalig"]
        .iter()
        .map(|f| (f.to_string(), hidden(&check, f)))
        .collect();
    let fields: Vec<(&str, &str)> = confirm
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (a, b) = tokio::join!(app.post_form(&path, &fields), app.post_form(&path, &fields));
    for resp in [&a, &b] {
        assert_eq!(resp.status(), 303);
        assert_eq!(
            resp.headers()["location"],
            format!("/producten/{}/parkeeracties", r.product).as_str()
        );
    }
    // A third time, later: still the one session.
    let c = app.post_form(&path, &fields).await;
    assert_eq!(c.status(), 303);
    assert_eq!(sessions(&app).await, 1);
    assert_eq!(r.balance(&app).await, "23.80");
    // A confirm form without its token is refused: nothing is made.
    let without: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(k, _)| *k != "eenmalig")
        .collect();
    assert_eq!(app.post_form(&path, &without).await.status(), 400);
    // Another resident's browser with the same token makes its own session: tokens are per
    // account.
    let k = resident(&app, "dijkstad", "ander@example.nl", Some("25.00")).await;
    app.new_browser();
    app.login("ander@example.nl", "fietsbel42xy").await;
    let resp = app
        .post_form(
            &format!("/producten/{}/parkeeracties/nieuw", k.product),
            &fields,
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(sessions(&app).await, 2);
    ledger_holds(&app).await;
}

async fn post_with_key(app: &TestApp, r: &Resident, key: &str, body: &Value) -> (u16, String) {
    post_to(
        app.url.clone(),
        r.token.clone(),
        r.product,
        key.to_owned(),
        body.clone(),
    )
    .await
}

async fn post_to(
    url: String,
    token: String,
    product: i64,
    key: String,
    body: Value,
) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/api/v1/products/{product}/sessions"))
        .bearer_auth(&token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_simultaneous_requests_with_one_idempotency_key_make_one_session() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "sleutel@example.nl", Some("25.00")).await;
    let body = json!({"plate": "AB-12-34", "end": at(2, 11, 0).to_rfc3339()});
    // Spawned together: every request is in flight at once.
    let calls: Vec<_> = (0..10)
        .map(|_| {
            tokio::spawn(post_to(
                app.url.clone(),
                r.token.clone(),
                r.product,
                "d5f1-4c1e-9a7b".to_owned(),
                body.clone(),
            ))
        })
        .collect();
    let mut answers = Vec::new();
    for c in calls {
        answers.push(c.await.unwrap());
    }
    for (status, text) in &answers {
        assert_eq!(*status, 201, "{text}");
        assert_eq!(text, &answers[0].1, "every repeat gets the first answer");
    }
    assert_eq!(sessions(&app).await, 1);
    assert_eq!(r.balance(&app).await, "23.80");

    // A repeat later gets the same answer again; a refusal is kept as well.
    assert_eq!(
        post_with_key(&app, &r, "d5f1-4c1e-9a7b", &body).await,
        answers[0]
    );
    // The same key with another body: 422, nothing made.
    let other = json!({"plate": "XX-99-XX", "end": at(2, 11, 0).to_rfc3339()});
    let (status, text) = post_with_key(&app, &r, "d5f1-4c1e-9a7b", &other).await;
    assert_eq!(status, 422, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["error"]["code"], "idempotency_key_reused");
    // A malformed key: 400.
    let (status, text) = post_with_key(&app, &r, "met spatie", &other).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("idempotency_key_invalid"));
    assert_eq!(sessions(&app).await, 1);

    // Keys are per account: another resident's same key is theirs.
    let k = resident(&app, "dijkstad", "ander@example.nl", Some("25.00")).await;
    let (status, text) = post_with_key(&app, &k, "d5f1-4c1e-9a7b", &body).await;
    assert_eq!(status, 201, "{text}");
    assert_ne!(text, answers[0].1);
    assert_eq!(sessions(&app).await, 2);

    // A refused request's answer is kept too: the same key gets the refusal again, even when
    // the balance would now pay.
    let poor = resident(&app, "dijkstad", "arm@example.nl", Some("0.10")).await;
    let (status, refused) = post_with_key(&app, &poor, "k2", &body).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(post_with_key(&app, &poor, "k2", &body).await.1, refused);

    // Every POST that creates something: a mandate given twice with one key is one mandate and
    // one invitation.
    let give = |key: &'static str| {
        reqwest::Client::new()
            .post(format!(
                "{}/api/v1/products/{}/mandates",
                app.url, r.product
            ))
            .bearer_auth(&r.token)
            .header("Idempotency-Key", key)
            .json(&json!({"email": "gast@example.nl", "amount": "5.00"}))
            .send()
    };
    let first = give("m1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first = first.text().await.unwrap();
    let again = give("m1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM mandates").await, 1);
    assert_eq!(r.balance(&app).await, "18.80");

    // A request that died holding its key (no answer after a minute) does not block it: the
    // repeat runs anew (and here finds the plate parked by the first).
    let dead = json!({"plate": "GB-01-XY", "end": at(2, 11, 0).to_rfc3339()});
    assert_eq!(post_with_key(&app, &r, "dead", &dead).await.0, 201);
    app.sql_text("UPDATE idempotency_keys SET status = NULL WHERE key = 'dead' RETURNING key")
        .await;
    app.clock.advance(Duration::minutes(2));
    let (status, text) = post_with_key(&app, &r, "dead", &dead).await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("plate_already_parked"), "{text}");

    // After the keys are kept (24 hours), housekeeping forgets them.
    app.clock.advance(Duration::hours(25));
    app.housekeep().await;
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn nu_is_the_moment_of_confirming_and_a_just_passed_start_moves_to_it() {
    let app = TestApp::spawn().await;
    let r = resident(&app, "dijkstad", "nu@example.nl", Some("25.00")).await;
    app.login("nu@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/parkeeracties/nieuw", r.product);
    let form = app.page(&path).await;
    assert!(
        form.contains("name=\"startmoment\" value=\"nu\" checked"),
        "{form}"
    );
    // [Bekijk kosten] with `plate`, the start choice `moment` (and typed start), end `end` on 2
    // March; then `wait`; then [Bevestigen] with every field of the confirm page.
    let confirm_after = |plate: &'static str,
                         (moment, start): (&'static str, &'static str),
                         end: &'static str,
                         wait: Duration| {
        let app = &app;
        let path = path.clone();
        async move {
            let typed = [
                ("stap", "bekijk"),
                ("kenteken", plate),
                ("startmoment", moment),
                ("startdatum", "2026-03-02"),
                ("starttijd", start),
                ("einddatum", "2026-03-02"),
                ("eindtijd", end),
            ];
            let check = app.post_form(&path, &typed).await.text().await.unwrap();
            app.clock.advance(wait);
            let names = [
                "stap",
                "kenteken",
                "land",
                "start",
                "end",
                "eenmalig",
                "startmoment",
                "startdatum",
                "starttijd",
                "einddatum",
                "eindtijd",
            ];
            let confirm: Vec<(String, String)> = names
                .iter()
                .map(|f| (f.to_string(), hidden(&check, f)))
                .collect();
            let fields: Vec<(&str, &str)> = confirm
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post_form(&path, &fields).await
        }
    };
    // "Nu", confirmed 70 seconds later: the session starts then.
    let done = confirm_after("AB-12-34", ("nu", "10:00"), "12:00", Duration::seconds(70)).await;
    assert_eq!(done.status(), 303);
    let started = app
        .sql_text("SELECT CAST(start_at AS TEXT) FROM parking_sessions")
        .await
        .unwrap();
    assert!(started.contains("09:01:10"), "{started}");

    // A typed 10:05 confirmed at 10:07 (within the 5 minutes' grace): moved to now, and told.
    app.clock.set(at(2, 10, 5));
    let done = confirm_after(
        "XX-99-XX",
        ("later", "10:05"),
        "12:00",
        Duration::minutes(2),
    )
    .await;
    assert_eq!(done.status(), 303);
    let to = done.headers()["location"].to_str().unwrap().to_owned();
    let told = Html::parse(&app.page(&to).await).messages();
    assert!(
        told.iter().any(|(kind, _, text)| kind == "info"
            && text.contains("De starttijd was al voorbij toen u bevestigde")),
        "{told:?}"
    );
    assert_eq!(sessions(&app).await, 2);

    // Further back than the grace: refused, with everything typed still in the form.
    app.clock.set(at(2, 10, 20));
    let refused = confirm_after(
        "GB-01-XY",
        ("later", "10:20"),
        "12:34",
        Duration::minutes(6),
    )
    .await;
    assert_eq!(refused.status(), 422);
    let page = unescape(&refused.text().await.unwrap());
    assert!(page.contains("De starttijd ligt in het verleden"), "{page}");
    for typed in [
        "value=\"GB-01-XY\"",
        "value=\"10:20\"",
        "value=\"12:34\"",
        "value=\"2026-03-02\"",
        "name=\"startmoment\" value=\"later\" id=\"startmoment-later\" checked",
    ] {
        assert!(page.contains(typed), "{typed} in {page}");
    }
    assert_eq!(sessions(&app).await, 2);
    ledger_holds(&app).await;
}

#[tokio::test]
async fn an_extension_the_balance_cannot_pay_offers_a_shorter_extension_or_none() {
    let app = TestApp::spawn().await;
    // EUR 2.00 pays 10:00-11:00 (1.20) and 40 minutes more.
    let r = resident(&app, "dijkstad", "verleng@example.nl", Some("2.00")).await;
    let id = r.park(&app, "AB-12-34", at(2, 11, 0)).await;
    let (status, body) = r.extend(&app, id, at(2, 13, 0)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_balance");
    assert_eq!(
        body["error"]["message"],
        "Uw saldo is niet toereikend om deze parkeeractie tot dat tijdstip te verlengen."
    );
    let alternatives = body["error"]["alternatives"].as_array().unwrap();
    assert_eq!(alternatives.len(), 1, "{body}");
    assert_eq!(alternatives[0]["kind"], "shorten_to_balance");
    let end: chrono::DateTime<chrono::Utc> =
        alternatives[0]["end"].as_str().unwrap().parse().unwrap();
    assert_eq!(end, at(2, 11, 40));
    // Accepting it extends the session and spends the balance.
    let (status, body) = r.extend(&app, id, end).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(r.balance(&app).await, "0.00");

    // With nothing left, nothing is offered: never the session as it stands.
    let (status, body) = r.extend(&app, id, at(2, 13, 0)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["alternatives"], json!([]));

    // On the page: the extension's words, and no alternative to confirm.
    app.login("verleng@example.nl", "fietsbel42xy").await;
    let page = app
        .post_form(
            &format!("/parkeeracties/{id}/verlengen"),
            &[("einddatum", "2026-03-02"), ("eindtijd", "13:00")],
        )
        .await;
    assert_eq!(page.status(), 409);
    let page = unescape(&page.text().await.unwrap());
    assert!(
        page.contains("Deze verlenging is niet mogelijk")
            && page.contains("U wilde de parkeeractie van AB-12-34 verlengen tot")
            && page.contains("Er is geen verlenging die past"),
        "{page}"
    );
    assert!(!page.contains("name=\"gekozen\""));
    assert!(!page.contains("een parkeeractie te starten"));
    let list = r.live(&app).await;
    assert_eq!(list["items"][0]["end"], at(2, 11, 40).to_rfc3339());
    ledger_holds(&app).await;
}

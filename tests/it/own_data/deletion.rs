//! "Account verwijderen" and `DELETE /api/v1/account`: what goes and what stays, the password,
//! its counters, the tokens, the migration that lets the books outlive the account, and the new
//! link that couples a product again.

use super::{PASSWORD, api_delete, api_export, world};
use crate::mandates::accept;
use crate::support::{TestApp, api_token, call};
use crate::support::{at, ledger_holds, resident};
use parkportal_domain::EmailAddress;
use parkportal_domain::coupling::LinkRequest;
use serde_json::{Value, json};

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
    let piet = w.piet.with_token(api_token(&app, "piet@example.nl").await);
    assert_eq!(crate::mandates::product_of(&app, &piet).await, Value::Null);
    let kees = w.kees.with_token(api_token(&app, "kees@example.nl").await);
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
    use crate::support::schema::{down_through, own_connection};
    use parkportal_migrations::{Migrator, MigratorTrait};
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // Every row with what links it, summed: a lost row or link changes it.
    let fingerprint = "SELECT CAST(\
         (SELECT COUNT(*) + SUM(id + reserved + account_id) FROM parking_sessions) \
         + (SELECT COUNT(*) + SUM(id + amount + COALESCE(session_id, 0) + COALESCE(mandate_id, 0)) FROM ledger_entries) \
         + (SELECT COUNT(*) + COALESCE(SUM(id + account_id + amount), 0) FROM payments) \
         + (SELECT COUNT(*) + SUM(id + owner_id + balance) FROM mandates) AS BIGINT)";
    // Every payment is gone (as rows can go): their ids must still never come back, which on
    // SQLite rests on the counter of the rebuilt table, which an empty copy does not carry.
    let payment = |token: String| {
        let app = &app;
        async move {
            let path = format!("/api/v1/products/{}/top-ups", w.jan.product);
            let (_, options) = call(app, "GET", &path, None, Some(&token)).await;
            let option = options["items"][0]["id"].clone();
            let (status, body) = call(
                app,
                "POST",
                &path,
                Some(json!({"option": option})),
                Some(&token),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            body["id"].as_i64().unwrap()
        }
    };
    let gone = payment(w.jan.token.clone()).await;
    app.sql_i64("DELETE FROM payments RETURNING id").await;
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM payments").await, 0);
    let before = app.sql_i64(fingerprint).await;
    let own = own_connection(&app).await;
    let db = own.connection();
    down_through(db, "m20261203_000013_erasable_accounts")
        .await
        .unwrap();
    assert_eq!(app.sql_i64(fingerprint).await, before);
    Migrator::up(db, None).await.unwrap();
    assert_eq!(app.sql_i64(fingerprint).await, before);
    ledger_holds(&app).await;
    // The server goes on: a new payment gets an id never handed out before, and a new session
    // is parked as before.
    assert!(payment(w.jan.token.clone()).await > gone, "an id came back");
    w.kees.park(&app, "11-BBB-1", at(2, 13, 0)).await;
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
        crate::support::parkportal_command(dir.path())
            .env("PARKPORTAL__DATABASE__URL", &db)
            .env("PARKPORTAL__AUTH__HASH_MEMORY_KIB", "64")
            .env("PARKPORTAL__AUTH__HASH_ITERATIONS", "1")
            .args(args)
            .output()
            .unwrap()
    };
    let tenants = crate::support::repo().join("tenants");
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

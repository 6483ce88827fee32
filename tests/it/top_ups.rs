//! "Opwaarderen": the options still possible under the period's cap, [Betaal] through the
//! simulated checkout and through Mollie's API (a fake on 127.0.0.1), and a paid payment
//! credited exactly once whatever order and number of webhooks and returns.

use crate::support::fake_mollie::{API_KEY, FakeMollie};
use crate::support::{Resident, ledger_holds, resident};
use crate::support::{TestApp, api_token, call, unescape};
use chrono::{Duration, TimeZone, Utc};
use parkportal::config::ProviderChoice;
use serde_json::{Value, json};

/// The `location` of a response that must be a 303.
fn see_other(resp: &reqwest::Response) -> String {
    assert_eq!(resp.status(), 303);
    resp.headers()["location"].to_str().unwrap().to_owned()
}

/// The path of an absolute URL on the app.
fn path_of(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.url).unwrap_or(url).to_owned()
}

async fn top_ups(app: &TestApp, r: &Resident) -> (u16, Value) {
    call(
        app,
        "GET",
        &format!("/api/v1/products/{}/top-ups", r.product),
        None,
        Some(&r.token),
    )
    .await
}

async fn buy(app: &TestApp, r: &Resident, option: &str) -> (u16, Value) {
    call(
        app,
        "POST",
        &format!("/api/v1/products/{}/top-ups", r.product),
        Some(json!({ "option": option })),
        Some(&r.token),
    )
    .await
}

fn ids(list: &Value) -> Vec<String> {
    assert!(list["items"].is_array(), "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Pays `option` on the pages through the simulated checkout with `outcome`; the result page.
async fn pay_on_pages(app: &TestApp, product: i64, option: &str, outcome: &str) -> String {
    let path = format!("/producten/{product}/opwaarderen");
    let checkout = see_other(&app.post_form(&path, &[("optie", option)]).await);
    assert!(checkout.starts_with(&format!("{}/betalen/simulatie/sim_", app.url)));
    let checkout = path_of(app, &checkout);
    let page = app.page(&checkout).await;
    assert!(page.contains("simulatie van iDEAL") && page.contains("geen echt geld"));
    let back = see_other(&app.post_form(&checkout, &[("uitkomst", outcome)]).await);
    assert!(back.starts_with(&format!("{}/producten/{product}/opwaarderen/", app.url)));
    app.page(&path_of(app, &back)).await
}

#[tokio::test]
async fn a_simulated_payment_tops_up_once_and_the_other_outcomes_charge_nothing() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    app.login("jan@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/opwaarderen", jan.product);
    let page = app.page(&path).await;
    let menu = unescape(&app.page("/menu").await);
    assert!(menu.contains(&path) && menu.contains("Opwaarderen"));
    for option in ["€ 10,00", "€ 25,00", "€ 50,00", "€ 100,00"] {
        assert!(page.contains(option), "{option} offered");
    }
    assert!(page.contains("Betaal") && page.contains("simuleert iDEAL"));
    assert!(
        page.contains("iDEAL-betalingen worden hier gesimuleerd"),
        "the footer says so on every page"
    );

    // Cancelled, failed and expired: nothing is credited and the page says why.
    for (outcome, says) in [
        ("canceled", "U heeft de betaling geannuleerd"),
        ("failed", "De betaling is mislukt"),
        ("expired", "De betaling is verlopen"),
    ] {
        let result = pay_on_pages(&app, jan.product, "25.00", outcome).await;
        assert!(result.contains(says), "{outcome}");
        assert_eq!(jan.balance(&app).await, "0.00");
    }
    let result = pay_on_pages(&app, jan.product, "25.00", "paid").await;
    assert!(result.contains("Uw betaling is gelukt"));
    assert!(result.contains("Uw nieuwe saldo is € 25,00"));
    assert_eq!(jan.balance(&app).await, "25.00");

    // The checkout of a finished payment cannot be chosen again; the webhook and the return
    // page again change nothing.
    let sim = app
        .sql_text("SELECT provider_ref FROM payments WHERE status = 'paid'")
        .await
        .unwrap();
    let again = app
        .post_form(
            &format!("/betalen/simulatie/{sim}"),
            &[("uitkomst", "failed")],
        )
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(
        app.sql_text("SELECT status FROM simulated_payments WHERE status = 'paid'")
            .await
            .as_deref(),
        Some("paid")
    );
    let form = [("id", sim.as_str())];
    let hook = app
        .client
        .post(format!("{}/api/v1/payments/webhook", app.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), 200);
    let pid = app
        .sql_i64("SELECT id FROM payments WHERE status = 'paid'")
        .await;
    assert!(app.page(&format!("{path}/{pid}")).await.contains("€ 25,00"));
    assert_eq!(jan.balance(&app).await, "25.00");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'top_up' AND amount = 2500")
            .await,
        1
    );
    ledger_holds(&app).await;

    // Without a choice the checkout and [Betaal] answer 422 and keep the page.
    let no_choice = app.post_form(&path, &[]).await;
    assert_eq!(no_choice.status(), 422);
    assert!(
        no_choice
            .text()
            .await
            .unwrap()
            .contains("Kies een van de opwaardeermogelijkheden")
    );
    let unknown = app.post_form(&path, &[("optie", "33.00")]).await;
    assert_eq!(unknown.status(), 422);
    let (status, body) = buy(&app, &jan, "33.00").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("option_invalid"))
    );
}

#[tokio::test]
async fn the_cap_counts_paid_and_open_payments_until_they_expire_and_a_new_year_starts_afresh() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    app.login("jan@example.nl", "fietsbel42xy").await;
    // Dijkstad: at most EUR 250.00 a calendar year.
    for _ in 0..2 {
        pay_on_pages(&app, jan.product, "100.00", "paid").await;
    }
    assert_eq!(jan.balance(&app).await, "200.00");
    let (_, list) = top_ups(&app, &jan).await;
    assert_eq!(
        ids(&list),
        ["10.00", "25.00", "50.00"],
        "100 no longer fits"
    );
    assert_eq!(
        list["items"][2]["price"],
        json!({"value": "50.00", "unit": "EUR"})
    );
    // The page names the cap, what is left and when the next period starts.
    let page = unescape(
        &app.page(&format!("/producten/{}/opwaarderen", jan.product))
            .await,
    );
    assert!(
        page.contains(
            "U kunt in deze periode maximaal € 250,00 opwaarderen; er is nog € 50,00 over."
        ),
        "{page}"
    );
    assert!(page.contains("Op vrijdag 1 januari 2027 begint een nieuwe periode"));
    assert!(!page.contains("nog niet afgerond"));

    // An open payment of 50 takes the rest of the room until it expires.
    let (status, open) = buy(&app, &jan, "50.00").await;
    assert_eq!(status, 201, "{open}");
    assert_eq!(open["status"], "open");
    assert!(
        open["checkout_url"]
            .as_str()
            .unwrap()
            .contains("/betalen/simulatie/")
    );
    let (_, list) = top_ups(&app, &jan).await;
    assert_eq!(ids(&list), Vec::<String>::new());
    assert_eq!(list["reason"], "top_up_cap_reached");
    let page = app
        .page(&format!("/producten/{}/opwaarderen", jan.product))
        .await;
    assert!(page.contains(
        "Voor deze periode is het niet meer mogelijk om uw tegoed op te waarderen omdat het maximum bereikt is."
    ));
    // ... and that it is the unfinished payment that holds the rest.
    let page = unescape(&page);
    assert!(page.contains("er is nog € 0,00 over."), "{page}");
    assert!(page.contains(
        "Een betaling van € 50,00 is nog niet afgerond en telt al mee. Wordt die niet afgerond, dan kunt u dat bedrag weer opwaarderen."
    ));
    assert!(!page.contains("name=\"optie\""));
    let (status, body) = buy(&app, &jan, "10.00").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("top_up_cap_reached"))
    );
    let refused = app
        .post_form(
            &format!("/producten/{}/opwaarderen", jan.product),
            &[("optie", "10.00")],
        )
        .await;
    assert_eq!(refused.status(), 422);

    // Expired by the clock after 15 minutes: it no longer counts, and housekeeping marks it.
    app.clock.advance(Duration::minutes(14));
    assert_eq!(ids(&top_ups(&app, &jan).await.1), Vec::<String>::new());
    app.clock.advance(Duration::minutes(1));
    assert_eq!(
        ids(&top_ups(&app, &jan).await.1),
        ["10.00", "25.00", "50.00"]
    );
    let (_, shown) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/top-ups/{}", jan.product, open["id"]),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(shown["status"], "expired");
    assert_eq!(
        app.sql_text(&format!(
            "SELECT status FROM payments WHERE id = {}",
            open["id"]
        ))
        .await
        .as_deref(),
        Some("expired"),
        "the top-up page asked the provider"
    );
    let use_case = app.app.as_ref().unwrap().state().top_ups();
    assert_eq!(
        use_case.expire_overdue().await.unwrap(),
        0,
        "nothing left to expire"
    );
    // The checkout of an expired payment can no longer be paid: the cap stays whole. (The
    // browser logs in again: its session timed out meanwhile.)
    app.login("jan@example.nl", "fietsbel42xy").await;
    let sim = open["checkout_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let late = app
        .post_form(
            &format!("/betalen/simulatie/{sim}"),
            &[("uitkomst", "paid")],
        )
        .await;
    let result = app.page(&path_of(&app, &see_other(&late))).await;
    assert!(result.contains("De betaling is verlopen"), "{result}");
    assert_eq!(jan.balance(&app).await, "200.00");

    // A new calendar year (in Amsterdam) has the whole cap again.
    app.clock.set(
        chrono_tz::Europe::Amsterdam
            .with_ymd_and_hms(2027, 1, 1, 0, 0, 1)
            .unwrap()
            .with_timezone(&Utc),
    );
    let jan = jan.with_token(api_token(&app, "jan@example.nl").await);
    assert_eq!(
        ids(&top_ups(&app, &jan).await.1),
        ["10.00", "25.00", "50.00", "100.00"]
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn simultaneous_payments_never_pass_the_cap() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let url = app.url.clone();
            let token = jan.token.clone();
            let product = jan.product;
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{url}/api/v1/products/{product}/top-ups"))
                    .bearer_auth(token)
                    .json(&json!({"option": "50.00"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(
        app.sql_i64(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE status = 'open'"
        )
        .await,
        25_000
    );
}

#[tokio::test]
async fn only_own_visitor_schemes_with_options_are_topped_up() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let piet = resident(&app, "weidevelde", "piet@example.nl", None).await;
    let (status, _) = buy(&app, &jan, "10.00").await;
    assert_eq!(status, 201);
    let jans_payment = app.sql_i64("SELECT id FROM payments").await;

    // Another resident's product and payment: 404 on the pages and in the API.
    let other = piet.on_product(jan.product);
    assert_eq!(top_ups(&app, &other).await.0, 404);
    assert_eq!(buy(&app, &other, "10.00").await.0, 404);
    // Through jan's product, or through piet's own: a payment belongs to its own product.
    for product in [jan.product, piet.product] {
        let path = format!("/api/v1/products/{product}/top-ups/{jans_payment}");
        let (status, _) = call(&app, "GET", &path, None, Some(&piet.token)).await;
        assert_eq!(status, 404, "{path}");
    }
    app.login("piet@example.nl", "fietsbel42xy").await;
    for path in [
        format!("/producten/{}/opwaarderen", jan.product),
        format!("/producten/{}/opwaarderen/{jans_payment}", jan.product),
    ] {
        assert_eq!(app.get(&path).send().await.unwrap().status(), 404, "{path}");
    }
    // Weidevelde sells its own options, without a cap.
    assert_eq!(
        ids(&top_ups(&app, &piet).await.1),
        ["10.00", "20.00", "50.00"]
    );
    assert_eq!(top_ups(&app, &piet).await.1["reason"], Value::Null);

    // Havenmond's visitor budget in minutes sells nothing: no page, no menu entry.
    let kees = resident(&app, "havenmond", "kees@example.nl", None).await;
    assert_eq!(top_ups(&app, &kees).await.0, 404);
    let mut app = app;
    app.new_browser();
    app.login("kees@example.nl", "fietsbel42xy").await;
    app.page(&format!("/producten/{}/parkeeracties", kees.product))
        .await;
    assert!(!app.page("/menu").await.contains("Opwaarderen"));
    let (status, _) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/top-ups", jan.product),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
}

async fn mollie_app() -> (TestApp, FakeMollie) {
    let mollie = FakeMollie::start().await;
    let base = mollie.base_url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.payments.provider = ProviderChoice::Mollie;
        c.payments.mollie.api_key = Some(API_KEY.into());
        c.payments.mollie.base_url = base;
    })
    .await;
    (app, mollie)
}

#[tokio::test]
async fn mollie_payments_credit_exactly_once_whatever_the_webhooks_do() {
    let (app, mollie) = mollie_app().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let (status, created) = buy(&app, &jan, "25.00").await;
    assert_eq!(status, 201, "{created}");
    let checkout = created["checkout_url"].as_str().unwrap();
    assert_eq!(checkout, format!("{}/checkout/tr_1000", mollie.base_url));
    {
        let book = mollie.book.lock().unwrap();
        let body = &book.creates[0];
        assert_eq!(body["amount"], json!({"currency": "EUR", "value": "25.00"}));
        assert_eq!(
            body["webhookUrl"],
            format!("{}/api/v1/payments/webhook", app.url)
        );
        assert_eq!(
            body["redirectUrl"],
            format!(
                "{}/producten/{}/opwaarderen/{}",
                app.url, jan.product, created["id"]
            )
        );
        assert_eq!(
            body["description"],
            "Opwaardering Bezoekersregeling, Gemeente Dijkstad"
        );
        let keys: Vec<&String> = book.keys.keys().collect();
        assert_eq!(keys.len(), 1);
        assert!(
            keys[0].starts_with(&format!("parkportal-payment-{}-", created["id"]))
                && keys[0].len() > 30,
            "an idempotency key unique beyond this database: {keys:?}"
        );
    }
    let result = format!("/api/v1/products/{}/top-ups/{}", jan.product, created["id"]);

    // Before the payer pays: the webhook and the return change nothing.
    assert_eq!(mollie.call_webhook("tr_1000").await, 200);
    let (_, shown) = call(&app, "GET", &result, None, Some(&jan.token)).await;
    assert_eq!(shown["status"], "open");
    assert_eq!(shown["checkout_url"], checkout);
    mollie.set_status("tr_1000", "pending");
    assert_eq!(mollie.call_webhook("tr_1000").await, 200);
    assert_eq!(
        app.sql_text("SELECT status FROM payments").await.as_deref(),
        Some("pending")
    );
    assert_eq!(jan.balance(&app).await, "0.00");

    // Paid: ten webhooks and five returns at the same time credit it once.
    mollie.set_status("tr_1000", "paid");
    let mut tasks = Vec::new();
    for i in 0..15 {
        let mollie = mollie.clone();
        let (url, token, result) = (app.url.clone(), jan.token.clone(), result.clone());
        tasks.push(tokio::spawn(async move {
            if i % 3 == 0 {
                let resp = reqwest::Client::new()
                    .get(format!("{url}{result}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                resp.status().as_u16()
            } else {
                mollie.call_webhook("tr_1000").await
            }
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(jan.balance(&app).await, "25.00");
    assert_eq!(mollie.call_webhook("tr_1000").await, 200);
    assert_eq!(jan.balance(&app).await, "25.00");
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'top_up' AND reference = 'tr_1000'"
        )
        .await,
        1
    );
    // Paid stays paid, whatever the provider says later.
    mollie.set_status("tr_1000", "failed");
    assert_eq!(mollie.call_webhook("tr_1000").await, 200);
    assert_eq!(
        app.sql_text("SELECT status FROM payments").await.as_deref(),
        Some("paid")
    );
    ledger_holds(&app).await;

    // An id that is not ours is taken without effect and reveals nothing.
    for id in ["tr_9999", "../payments", ""] {
        let resp = app
            .client
            .post(format!("{}/api/v1/payments/webhook", app.url))
            .form(&[("id", id)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{id:?}");
    }
}

#[tokio::test]
async fn a_late_payment_after_expiry_is_credited_and_a_wrong_amount_is_not() {
    let (app, mollie) = mollie_app().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    assert_eq!(buy(&app, &jan, "10.00").await.0, 201);
    // Past our time, but Mollie still has it open: it keeps counting against the cap, since
    // the payer may still pay. (In two steps: a login session ends after 15 idle minutes.)
    app.clock.advance(Duration::minutes(10));
    assert_eq!(jan.balance(&app).await, "0.00");
    app.clock.advance(Duration::minutes(10));
    let top_ups_of = app.app.as_ref().unwrap().state().top_ups();
    assert_eq!(top_ups_of.expire_overdue().await.unwrap(), 0);
    assert_eq!(
        app.sql_text("SELECT status FROM payments").await.as_deref(),
        Some("open")
    );
    let (status, _) = buy(&app, &jan, "100.00").await;
    assert_eq!(status, 201);
    let (status, _) = buy(&app, &jan, "100.00").await;
    assert_eq!(status, 201);
    let (_, list) = top_ups(&app, &jan).await;
    assert_eq!(
        ids(&list),
        ["10.00", "25.00"],
        "250 - 10 - 100 - 100 leaves 40"
    );
    // Then paid after all: the money came, so it is credited.
    mollie.set_status("tr_1000", "paid");
    assert_eq!(mollie.call_webhook("tr_1000").await, 200);
    assert_eq!(jan.balance(&app).await, "10.00");

    // A payment Mollie reports with another amount is not credited.
    assert_eq!(buy(&app, &jan, "25.00").await.0, 201);
    mollie.book.lock().unwrap().report_amount = Some("250.00".into());
    mollie.set_status("tr_1003", "paid");
    assert_eq!(mollie.call_webhook("tr_1003").await, 500);
    assert_eq!(jan.balance(&app).await, "10.00");
    mollie.book.lock().unwrap().report_amount = None;
    assert_eq!(mollie.call_webhook("tr_1003").await, 200);
    assert_eq!(jan.balance(&app).await, "35.00");
    // Expired at Mollie: the housekeeping's question settles it and the room comes back.
    mollie.set_status("tr_1001", "expired");
    app.clock.advance(Duration::minutes(16));
    assert_eq!(top_ups_of.expire_overdue().await.unwrap(), 1);
    assert_eq!(
        app.sql_text("SELECT status FROM payments WHERE provider_ref = 'tr_1001'")
            .await
            .as_deref(),
        Some("expired")
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn mollie_down_charges_nothing_and_keeps_the_room() {
    let (app, mollie) = mollie_app().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    mollie.book.lock().unwrap().down = true;
    let (status, body) = buy(&app, &jan, "100.00").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("payment_provider_unavailable"))
    );
    assert_eq!(
        app.sql_text("SELECT status FROM payments").await.as_deref(),
        Some("failed")
    );
    app.login("jan@example.nl", "fietsbel42xy").await;
    let page = app
        .post_form(
            &format!("/producten/{}/opwaarderen", jan.product),
            &[("optie", "100.00")],
        )
        .await;
    assert_eq!(page.status(), 503);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("iDEAL is op dit moment niet bereikbaar")
    );

    // Back up: the failed attempts took no room, and the webhook of a payment made while
    // fetching fails is answered 503 so that Mollie tries again.
    mollie.book.lock().unwrap().down = false;
    assert_eq!(
        ids(&top_ups(&app, &jan).await.1),
        ["10.00", "25.00", "50.00", "100.00"]
    );
    let (status, created) = buy(&app, &jan, "100.00").await;
    assert_eq!(status, 201);
    // The page's form may lead to Mollie's checkout.
    let resp = app
        .get(&format!("/producten/{}/opwaarderen", jan.product))
        .send()
        .await
        .unwrap();
    let policy = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("form-action 'self' https: http://127.0.0.1:"),
        "{policy}"
    );
    let id = created["checkout_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    mollie.set_status(&id, "paid");
    mollie.book.lock().unwrap().down = true;
    assert_eq!(mollie.call_webhook(&id).await, 503);
    assert_eq!(jan.balance(&app).await, "0.00");
    mollie.book.lock().unwrap().down = false;
    assert_eq!(mollie.call_webhook(&id).await, 200);
    assert_eq!(jan.balance(&app).await, "100.00");
    // Without a simulation there is no simulated checkout and no footer note.
    assert!(!app.page("/over").await.contains("gesimuleerd"));
    assert_eq!(
        app.get("/betalen/simulatie/sim_x")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_payment_stays_readable_when_the_gemeente_stops_selling_top_ups() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let (status, created) = buy(&app, &jan, "25.00").await;
    assert_eq!(status, 201);
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    for pt in &mut config.product_types {
        pt.top_ups.clear();
    }
    tenants.import(&config).await.unwrap();
    // No more top-ups to buy, but the payment made already is still the resident's to see.
    assert_eq!(top_ups(&app, &jan).await.0, 404);
    let (status, shown) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/top-ups/{}", jan.product, created["id"]),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(
        (status, shown["status"].as_str()),
        (200, Some("open")),
        "{shown}"
    );
}

#[tokio::test]
async fn a_top_up_names_one_of_the_options_and_zero_or_a_number_is_none() {
    // [Betaal] takes the id of an option, never a free amount: zero, a spelling of an option
    // other than its id, or a JSON number buys nothing (422 `option_invalid`).
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    for option in [
        json!("0"),
        json!("0.00"),
        json!("-0"),
        json!("10"),
        json!("1e1"),
        json!(" 10.00"),
        json!(10),
        json!(10.0),
    ] {
        let (status, body) = call(
            &app,
            "POST",
            &format!("/api/v1/products/{}/top-ups", jan.product),
            Some(json!({ "option": option })),
            Some(&jan.token),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("option_invalid")),
            "{option}"
        );
    }
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM payments").await, 0);
    assert_eq!(jan.balance(&app).await, "5.00");
    ledger_holds(&app).await;
}

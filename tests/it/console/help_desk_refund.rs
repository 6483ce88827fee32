//! Refunding a revoked product's paid balance to the payer, black-box: through Mollie's refunds
//! API (a fake on 127.0.0.1) when it is down, when it refuses and when it takes it, and through
//! the demo's simulation with two medewerkers at once; the ledger always sums to the balance,
//! each step is audited, and another gemeente's medewerker gets 404.

use super::help_desk::page_of;
use super::*;
use crate::support::call;
use crate::support::fake_mollie::{API_KEY, FakeMollie};
use parkportal::config::ProviderChoice;
use serde_json::{Value, json};

/// Jan's product of Dijkstad with € 5,00 issued and € 25,00 paid through Mollie (`tr_1000`),
/// revoked by medewerker An: the app, the fake, Jan, An and the product's code.
async fn revoked_after_a_mollie_top_up()
-> (TestApp, FakeMollie, crate::support::Resident, Staff, String) {
    let mollie = FakeMollie::start().await;
    let base = mollie.base_url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.payments.provider = ProviderChoice::Mollie;
        c.payments.mollie.api_key = Some(API_KEY.into());
        c.payments.mollie.base_url = base;
    })
    .await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    top_up_25(&app, &jan).await;
    mollie.set_status("tr_1000", "paid");
    assert_eq!(mollie.call_webhook("tr_1000").await, 200);
    assert_eq!(jan.balance(&app).await, "30.00");
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;

    // Not revoked yet: nothing goes back.
    let refund = format!("{}/terugbetalen", page_of(&code));
    let page = an.page(&refund).await;
    assert!(page.contains_text("Alleen het saldo van een ingetrokken product"));
    let resp = an.post_form(&refund, &[("reden", "te vroeg")]).await;
    assert_eq!(resp.status(), 409);
    assert!(mollie.book.lock().unwrap().refund_bodies.is_empty());

    let revoke = format!("{}/intrekken", page_of(&code));
    let resp = an.post_form(&revoke, &[("reden", "Verhuisd")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    (app, mollie, jan, an, code)
}

fn balance_of(product: i64) -> String {
    format!("SELECT balance FROM products WHERE id = {product}")
}

/// Starts `jan`'s top-up of € 25,00: the payment as the API answers it.
async fn top_up_25(app: &TestApp, jan: &crate::support::Resident) -> serde_json::Value {
    let (status, created) = call(
        app,
        "POST",
        &format!("/api/v1/products/{}/top-ups", jan.product),
        Some(json!({ "option": "25.00" })),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created
}

#[tokio::test]
async fn a_revoked_products_paid_balance_goes_back_through_mollie_once_it_is_reachable() {
    let (app, mollie, jan, an, code) = revoked_after_a_mollie_top_up().await;
    let refund = format!("{}/terugbetalen", page_of(&code));

    // Another gemeente's medewerker: 404 for the page and the POST, nothing moves.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/terugbetalen");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    assert_eq!(
        piet.post_form(&theirs, &[("reden", "fraude")])
            .await
            .status(),
        404
    );
    assert_eq!(app.sql_i64(&balance_of(jan.product)).await, 3000);

    // The product page shows what was paid and can go back: the € 25,00 paid, not the € 5,00
    // it was issued with.
    let product = an.page(&page_of(&code)).await;
    assert!(
        product.contains_text("Terug te betalen: € 25,00."),
        "{}",
        product.text()
    );
    assert!(product.links_to(&refund));
    let page = an.page(&refund).await;
    assert!(page.contains_text("€ 25,00 via betaling tr_1000"));

    // Money moves: a reason is required.
    let form = page.form(&refund);
    let resp = an.submit(&form, &[("reden", "")]).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().contains("aria-invalid=\"true\""));
    assert!(mollie.book.lock().unwrap().refund_bodies.is_empty());

    // Mollie down: the refund is booked (the balance holds what is not paid), and waits.
    mollie.book.lock().unwrap().down = true;
    let resp = an
        .submit(&form, &[("reden", "Terug naar de betaler")])
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=terugbetaling_wacht"));
    assert_eq!(app.sql_i64(&balance_of(jan.product)).await, 500);
    assert_eq!(
        app.sql_text("SELECT status FROM payment_refunds")
            .await
            .as_deref(),
        Some("unsent")
    );
    ledger_holds(&app).await;
    let waiting = newest(&app, "product.payer_refund_waiting").await;
    assert_eq!(waiting.reason.as_deref(), Some("provider_unreachable"));
    let page = an.page(&refund).await;
    assert!(page.contains_text("Opnieuw versturen"));

    // Reachable again: the same refund is sent, under its own idempotency key, for € 25,00.
    mollie.book.lock().unwrap().down = false;
    let resp = an
        .submit(&page.form(&refund), &[("reden", "Nog eens")])
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=terugbetaald"));
    {
        let book = mollie.book.lock().unwrap();
        assert_eq!(book.refunds.len(), 1);
        let (id, payment, value, key) = &book.refunds[0];
        assert_eq!(
            (id.as_str(), payment.as_str(), value.as_str()),
            ("re_2000", "tr_1000", "25.00")
        );
        assert!(key.starts_with("parkportal-refund-"), "{key}");
        let body = book.refund_bodies.last().unwrap();
        assert_eq!(body["amount"], json!({"currency": "EUR", "value": "25.00"}));
        let description = body["description"].as_str().unwrap();
        assert!(
            description.starts_with("Terugbetaling parkeersaldo "),
            "{description}"
        );
        assert!(
            !description.contains(&code.replace('-', "")) && !description.contains(code.as_str())
        );
    }
    assert_eq!(
        app.sql_text(
            "SELECT status || '|' || provider_ref || '|' || provider_status || '|' || price_cents \
             FROM payment_refunds"
        )
        .await
        .as_deref(),
        Some("sent|re_2000|queued|2500")
    );
    let product = an.page(resp.location()).await;
    assert!(product.contains_text("De terugbetaling is verstuurd naar de betaaldienst."));
    assert!(product.contains_text("verstuurd (in de wachtrij)"));
    assert!(product.contains_text("re_2000"));
    assert!(product.contains_text("Terug te betalen: niets."));

    // Nothing paid is left: refused, and Mollie is not asked again.
    let again = an.post_form(&refund, &[("reden", "nogmaals")]).await;
    assert_eq!(again.status(), 409);
    assert!(
        again
            .html()
            .contains_text("Er is geen betaald saldo over om terug te betalen.")
    );
    assert_eq!(mollie.book.lock().unwrap().refunds.len(), 1);
    assert_eq!(app.sql_i64(&balance_of(jan.product)).await, 500);
    ledger_holds(&app).await;

    // The resident's own data shows the refund as a transaction, and the balance left.
    let (status, doc) = call(&app, "GET", "/api/v1/account/data", None, Some(&jan.token)).await;
    assert_eq!(status, 200, "{doc}");
    let refunds: Vec<&Value> = doc["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "payer_refund")
        .collect();
    assert_eq!(refunds.len(), 1, "{doc}");
    assert_eq!(
        refunds[0]["amount"],
        json!({"value": "-25.00", "unit": "EUR"})
    );
    assert_eq!(
        doc["products"][0]["balance"],
        json!({"value": "5.00", "unit": "EUR"})
    );

    // On the record: the booking with the medewerker's reason, then its sending.
    let booked = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "product.payer_refund" && e.result == "ok")
        .unwrap();
    assert_eq!(booked.reason.as_deref(), Some("Terug naar de betaler"));
    assert_eq!(booked.object_id, Some(jan.product.to_string()));
    assert_eq!(newest(&app, "product.payer_refund_sent").await.result, "ok");
    let refusals = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "product.payer_refund" && e.result == "refused")
        .filter_map(|e| e.reason)
        .collect::<Vec<_>>();
    for reason in [
        "product_not_revoked",
        "reason_invalid",
        "nothing_to_refund",
        "not_found",
    ] {
        assert!(
            refusals.iter().any(|r| r == reason),
            "{reason}: {refusals:?}"
        );
    }
}

#[tokio::test]
async fn a_refusal_after_an_unclear_answer_never_puts_the_money_back_on_the_balance() {
    let (app, mollie, jan, an, code) = revoked_after_a_mollie_top_up().await;
    let refund = format!("{}/terugbetalen", page_of(&code));
    // Unclear: Mollie may or may not have made the refund.
    mollie.book.lock().unwrap().down = true;
    let resp = an.post_form(&refund, &[("reden", "Terug")]).await;
    assert!(resp.location().ends_with("?gedaan=terugbetaling_wacht"));
    // Then refused (as an expired key or a spent amount would be): it keeps waiting, booked.
    {
        let mut book = mollie.book.lock().unwrap();
        book.down = false;
        book.refuse_refunds = true;
    }
    let resp = an.post_form(&refund, &[("reden", "Nog eens")]).await;
    assert!(
        resp.location().ends_with("?gedaan=terugbetaling_wacht"),
        "{}",
        resp.location()
    );
    assert_eq!(app.sql_i64(&balance_of(jan.product)).await, 500);
    assert_eq!(
        app.sql_text("SELECT status FROM payment_refunds")
            .await
            .as_deref(),
        Some("unsent")
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payer_refund'")
            .await,
        1,
        "not reversed"
    );
    ledger_holds(&app).await;
    let waiting = newest(&app, "product.payer_refund_waiting").await;
    assert_eq!(waiting.reason.as_deref(), Some("provider_unreachable"));
}

#[tokio::test]
async fn a_refund_mollie_refuses_comes_back_on_the_balance_and_can_be_made_again() {
    let (app, mollie, jan, an, code) = revoked_after_a_mollie_top_up().await;
    let refund = format!("{}/terugbetalen", page_of(&code));
    mollie.book.lock().unwrap().refuse_refunds = true;
    let resp = an.post_form(&refund, &[("reden", "Terug")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=terugbetaling_geweigerd"));
    // Reversed: the whole balance is back, as two entries of the same kind.
    assert_eq!(app.sql_i64(&balance_of(jan.product)).await, 3000);
    let entries = "FROM ledger_entries WHERE kind = 'payer_refund'";
    assert_eq!(app.sql_i64(&format!("SELECT COUNT(*) {entries}")).await, 2);
    assert_eq!(
        app.sql_i64(&format!("SELECT MIN(amount) {entries}")).await,
        -2500
    );
    assert_eq!(
        app.sql_i64(&format!("SELECT CAST(SUM(amount) AS BIGINT) {entries}"))
            .await,
        0
    );
    ledger_holds(&app).await;
    assert_eq!(
        app.sql_text("SELECT status FROM payment_refunds")
            .await
            .as_deref(),
        Some("refused")
    );
    let refused = newest(&app, "product.payer_refund_refused").await;
    assert!(refused.reason.unwrap().contains("422"));
    let product = an.page(resp.location()).await;
    assert!(product.contains_text("geweigerd door de betaaldienst"));
    assert!(product.contains_text("Terug te betalen: € 25,00."));

    // Accepted the next time: one refund at Mollie, the refused one not counted against it.
    mollie.book.lock().unwrap().refuse_refunds = false;
    let resp = an.post_form(&refund, &[("reden", "Opnieuw")]).await;
    assert!(resp.location().ends_with("?gedaan=terugbetaald"));
    assert_eq!(mollie.book.lock().unwrap().refunds.len(), 1);
    assert_eq!(app.sql_i64(&balance_of(jan.product)).await, 500);
    ledger_holds(&app).await;
}

#[tokio::test]
async fn in_the_demo_two_medewerkers_at_once_refund_a_simulated_payment_once() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    // Paid through the simulated checkout.
    let created = top_up_25(&app, &jan).await;
    let checkout = created["checkout_url"].as_str().unwrap().to_owned();
    let path = checkout.strip_prefix(&app.url).unwrap().to_owned();
    let resp = app.post_form(&path, &[("uitkomst", "paid")]).await;
    assert_eq!(resp.status(), 303);
    let result = format!("/api/v1/products/{}/top-ups/{}", jan.product, created["id"]);
    let (_, shown) = call(&app, "GET", &result, None, Some(&jan.token)).await;
    assert_eq!(shown["status"], "paid", "{shown}");
    assert_eq!(jan.balance(&app).await, "25.00");
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::Staff).await;
    let revoke = format!("{}/intrekken", page_of(&code));
    assert_eq!(
        an.post_form(&revoke, &[("reden", "Verhuisd")])
            .await
            .status(),
        303
    );

    let refund = format!("{}/terugbetalen", page_of(&code));
    let (a, b) = tokio::join!(
        an.post_form(&refund, &[("reden", "Verhuisd")]),
        bo.post_form(&refund, &[("reden", "Verhuisd")]),
    );
    // One books it; the other finds nothing left (409), or finds it not yet answered and sends
    // it again under the same idempotency key (303): either way one refund.
    let statuses = [a.status(), b.status()];
    assert!(statuses.contains(&303), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [303, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(
        app.sql_text(
            "SELECT status || '|' || provider_status || '|' || price_cents FROM payment_refunds"
        )
        .await
        .as_deref(),
        Some("sent|refunded|2500")
    );
    let reference = app
        .sql_text("SELECT provider_ref FROM payment_refunds")
        .await
        .unwrap();
    assert!(reference.starts_with("sim_re_"), "{reference}");
    assert_eq!(app.sql_i64(&balance_of(jan.product)).await, 0);
    ledger_holds(&app).await;
    let product = an.page(&page_of(&code)).await;
    assert!(product.contains_text("verstuurd (teruggestort)"));
}

#[tokio::test]
async fn migration_24_names_desk_corrections_and_keeps_every_entry_down_and_up_again() {
    use crate::support::schema::{down_through, own_connection};
    use parkportal_migrations::{Migrator, MigratorTrait};
    const M24: &str = "m20261204_000024_payer_refunds";
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("10.00")).await;
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let saldo = format!("{}/saldo", page_of(&code));
    let resp = an
        .post_form(&saldo, &[("bedrag", "2,50"), ("reden", "Automaat defect")])
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let kinds = "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'staff_correction'";
    assert_eq!(app.sql_i64(kinds).await, 1);
    let fingerprint = "SELECT CAST((SELECT COUNT(*) + SUM(id + amount + product_id) \
                       FROM ledger_entries) AS BIGINT)";
    let before = app.sql_i64(fingerprint).await;
    let own = own_connection(&app).await;
    let db = own.connection();
    down_through(db, M24).await.unwrap();
    assert_eq!(app.sql_i64(kinds).await, 0);
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'correction' AND staff_id IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(app.sql_i64(fingerprint).await, before);
    Migrator::up(db, None).await.unwrap();
    assert_eq!(app.sql_i64(kinds).await, 1);
    assert_eq!(app.sql_i64(fingerprint).await, before);
    ledger_holds(&app).await;
    // The widened CHECK takes a refund to the payer, and still refuses a kind it does not name.
    let insert = |kind: &str| {
        format!(
            "INSERT INTO ledger_entries (product_id, kind, amount, created_at) \
             VALUES ({}, '{kind}', 0, '2026-03-02 09:00:00+00:00')",
            jan.product
        )
    };
    use sea_orm::ConnectionTrait;
    assert!(db.execute_unprepared(&insert("payer_refund")).await.is_ok());
    assert!(
        db.execute_unprepared(&insert("gift")).await.is_err(),
        "the CHECK refuses another kind"
    );
    // With a refund to a payer in the ledger, going down stops before it changes anything.
    assert!(down_through(db, M24).await.is_err());
    assert_eq!(app.sql_i64(kinds).await, 1);
}

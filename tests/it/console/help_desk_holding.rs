//! The help desk's actions that change who holds a product and with which plates, black-box:
//! revoking (sessions stopped with refunds, mandates ended, no more use or claim), uncoupling
//! (after the live sessions) and a permit's plates; each audited, each 404 for another gemeente.

use super::help_desk::{lettered, page_of};
use super::*;
use parkportal_domain::Clock;

#[tokio::test]
async fn a_revoked_product_stops_its_sessions_ends_its_mandates_and_can_no_longer_be_used() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("10.00")).await;
    let now = app.clock.now();
    jan.park(&app, "AB-12-34", now + Duration::hours(2)).await;
    let (status, planned) = jan
        .start(
            &app,
            serde_json::json!({"plate": "56-GBD-7", "start": (now + Duration::hours(3)).to_rfc3339(),
                               "end": (now + Duration::hours(4)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{planned}");
    // A mandate holding € 2,00 of the balance.
    let resp = jan
        .api(
            &app,
            "POST",
            &format!("/api/v1/products/{}/mandates", jan.product),
            Some(serde_json::json!({"email": "buur@example.nl", "amount": "2.00"})),
        )
        .await;
    assert_eq!(resp.status(), 201, "{}", resp.text());
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let action = format!("{}/intrekken", page_of(&code));

    // Another gemeente's medewerker: 404, nothing changes.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/intrekken");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    let resp = piet.post_form(&theirs, &[("reden", "fraude")]).await;
    assert_eq!(resp.status(), 404);
    let status = format!("SELECT status FROM products WHERE id = {}", jan.product);
    assert_eq!(app.sql_text(&status).await.as_deref(), Some("active"));

    // Money moves: a reason is required.
    let form = an.page(&action).await.form(&action);
    let resp = an.submit(&form, &[("reden", " ")]).await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Vul een reden in van hoogstens 500 tekens.")
    );
    assert!(resp.text().contains("aria-invalid=\"true\""));
    assert_eq!(app.sql_text(&status).await.as_deref(), Some("active"));

    app.clock.advance(Duration::minutes(10));
    let resp = an
        .submit(&form, &[("reden", "Verhuisd naar buiten de gemeente")])
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=ingetrokken"));
    assert_eq!(app.sql_text(&status).await.as_deref(), Some("blocked"));
    let page = an.page(resp.location()).await;
    assert!(page.contains_text("Het product is ingetrokken."));
    assert!(page.contains_text("ingetrokken"));
    assert!(!page.links_to(&action), "nothing more to do with it");

    // No live session is left; the mandate ended with what it held back on the balance.
    let left = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE product_id = {} AND deleted_at IS NULL \
             AND stopped_at IS NULL",
            jan.product
        ))
        .await;
    assert_eq!(left, 0, "the running one stopped, the planned one deleted");
    let mandate = app
        .sql_text(&format!(
            "SELECT status || '|' || balance FROM mandates WHERE product_id = {}",
            jan.product
        ))
        .await;
    assert_eq!(mandate.as_deref(), Some("revoked|0"));
    ledger_holds(&app).await;
    let balance = app
        .sql_i64(&format!(
            "SELECT balance FROM products WHERE id = {}",
            jan.product
        ))
        .await;
    assert!(
        balance > 750,
        "the refunds and the mandate's € 2,00 are back: {balance}"
    );

    // The resident's view: the product is gone from their list; it cannot be started on.
    let products = jan.products(&app).await;
    assert!(
        products["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != jan.product),
        "{products}"
    );
    let (status, _) = jan
        .start(&app, serde_json::json!({"plate": "AB-12-34", "end": (app.clock.now() + Duration::hours(1)).to_rfc3339()}))
        .await;
    assert_eq!(status, 404);

    // On the record: the revocation with its reason, and each stop about its session.
    let entry = newest(&app, "product.revoked").await;
    assert_eq!(
        (entry.result.as_str(), entry.reason.as_deref()),
        ("ok", Some("Verhuisd naar buiten de gemeente"))
    );
    assert_eq!(entry.object_id, Some(jan.product.to_string()));
    let stops = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "session.stopped_by_staff" && e.result == "ok")
        .count();
    assert_eq!(stops, 2);

    // Revoked already: refused, said so.
    let again = an.post_form(&action, &[("reden", "nogmaals")]).await;
    assert_eq!(again.status(), 409);
    assert!(
        again
            .html()
            .contains_text("Dit product is niet meer actief.")
    );
}

#[tokio::test]
async fn a_revoked_letter_no_longer_adds_its_product() {
    let app = TestApp::spawn().await;
    let (id, code, pin) = lettered(&app).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let action = format!("{}/intrekken", page_of(&code));
    let form = an.page(&action).await.form(&action);
    let resp = an.submit(&form, &[("reden", "brief onderschept")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let bewoner = resident(&app, "dijkstad", "bewoner@example.nl", None).await;
    let claim = bewoner
        .post_form(
            &app,
            "/producten/toevoegen",
            &[("code", &code), ("pin", &pin)],
        )
        .await;
    assert_ne!(claim.status(), 303);
    let owner = format!("SELECT COUNT(*) FROM products WHERE id = {id} AND owner_id IS NOT NULL");
    assert_eq!(app.sql_i64(&owner).await, 0);
    // Nor does a new PIN or a coupling mail bring it back.
    let pin_page = an.page(&format!("{}/nieuwe-pincode", page_of(&code))).await;
    assert!(pin_page.contains_text("Dit product is niet meer actief."));
}

#[tokio::test]
async fn uncoupling_waits_for_live_sessions_then_frees_the_product_for_a_new_coupling() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("10.00")).await;
    let session = jan
        .park(&app, "AB-12-34", app.clock.now() + Duration::hours(2))
        .await;
    let resp = jan
        .api(
            &app,
            "POST",
            &format!("/api/v1/products/{}/mandates", jan.product),
            Some(serde_json::json!({"email": "buur@example.nl", "amount": "2.00"})),
        )
        .await;
    assert_eq!(resp.status(), 201, "{}", resp.text());
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let action = format!("{}/ontkoppelen", page_of(&code));
    assert!(an.page(&page_of(&code)).await.links_to(&action));
    let owner = format!(
        "SELECT COUNT(*) FROM products WHERE id = {} AND owner_id IS NOT NULL",
        jan.product
    );

    // Another gemeente's medewerker: 404, still coupled.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/ontkoppelen");
    assert_eq!(piet.post_form(&theirs, &[]).await.status(), 404);
    assert_eq!(app.sql_i64(&owner).await, 1);

    // A running session: refused until it is stopped.
    let form = an.page(&action).await.form(&action);
    let refused = an.submit(&form, &[("reden", "account kwijt")]).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.html().contains_text("Er lopen nog parkeeracties"));
    assert_eq!(app.sql_i64(&owner).await, 1);
    let entry = newest(&app, "product.uncoupled").await;
    assert_eq!(entry.reason.as_deref(), Some("sessions_live"));
    let (status, _) = jan.end(&app, session).await;
    assert_eq!(status, 200);

    let resp = an.submit(&form, &[("reden", "account kwijt")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=ontkoppelen"));
    assert_eq!(app.sql_i64(&owner).await, 0);
    let page = an.page(resp.location()).await;
    assert!(page.contains_text("nog niet gekoppeld"));
    // The resident no longer has it; the mandate ended with its balance back.
    assert!(
        jan.products(&app).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != jan.product)
    );
    let mandate = app
        .sql_text(&format!(
            "SELECT status || '|' || balance FROM mandates WHERE product_id = {}",
            jan.product
        ))
        .await;
    assert_eq!(mandate.as_deref(), Some("revoked|0"));
    ledger_holds(&app).await;
    let entry = newest(&app, "product.uncoupled").await;
    assert_eq!(
        (entry.result.as_str(), entry.reason.as_deref()),
        ("ok", Some("account kwijt"))
    );

    // Free for a new coupling, by mail to another address.
    let mail = format!("{}/koppelmail", page_of(&code));
    let form = an.page(&mail).await.form(&mail);
    let resp = an.submit(&form, &[("email", "jan.nieuw@example.nl")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    // Uncoupled already: refused.
    let again = an.post_form(&action, &[]).await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn a_permits_plates_change_and_the_active_one_stays_when_it_is_kept() {
    let app = TestApp::spawn().await;
    let jan = crate::support::resident_with(
        &app,
        parkportal_domain::coupling::IssueRequest {
            tenant: "dijkstad".into(),
            product_type: Some("bewoners".into()),
            email: Some(parkportal_domain::EmailAddress::parse("jan@example.nl").unwrap()),
            plates: parkportal_domain::plate::Plate::parse_list("12-GBD-3, 34-GBD-5").unwrap(),
            ..Default::default()
        },
    )
    .await;
    // Jan switches 34-GBD-5 on.
    app.login("jan@example.nl", "fietsbel42xy").await;
    let switch = format!("/producten/{}/kentekenswitch", jan.product);
    let resp = app.post_form(&switch, &[("kenteken", "NL:34GBD5")]).await;
    assert_eq!(resp.status(), 303);
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let action = format!("{}/kentekens", page_of(&code));
    let page = an.page(&action).await;
    assert_eq!(
        page.form(&action).value("kentekens"),
        Some("12-GBD-3, 34-GBD-5")
    );
    let form = page.form(&action);
    let plates_sql = format!(
        "SELECT plate || ':' || active FROM product_plates WHERE product_id = {} \
         ORDER BY position",
        jan.product
    );
    let plates = || app.sql_text(&plates_sql);

    // Nonsense and no plate at all are named at the field; nothing changes.
    for (typed, message) in [
        ("AB_12", "Vul kentekens in zoals AB-12-34"),
        (" , ", "Een vergunning heeft minstens één kenteken."),
    ] {
        let resp = an.submit(&form, &[("kentekens", typed)]).await;
        assert_eq!(resp.status(), 422, "{typed}");
        assert!(
            resp.html().contains_text(message),
            "{typed}: {}",
            resp.text()
        );
        assert!(resp.text().contains("aria-invalid=\"true\""));
    }
    // Another gemeente's medewerker: 404.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/kentekens");
    assert_eq!(
        piet.post_form(&theirs, &[("kentekens", "99-XYZ-9")])
            .await
            .status(),
        404
    );
    let before = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM product_plates WHERE product_id = {}",
            jan.product
        ))
        .await;
    assert_eq!(before, 2);

    // 12-GBD-3 goes, 78-GBD-9 comes, 34-GBD-5 stays on (listed twice, kept once).
    let resp = an
        .submit(
            &form,
            &[
                ("kentekens", "34-gbd-5, 78-GBD-9, 34GBD5"),
                ("reden", "nieuwe auto"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=kentekens"));
    let all = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM product_plates WHERE product_id = {} AND active = TRUE",
            jan.product
        ))
        .await;
    assert_eq!(all, 1);
    let first = plates().await;
    assert!(
        first.as_deref().unwrap().starts_with("34GBD5:"),
        "{first:?}"
    );
    let page = app.page(&switch).await;
    assert!(
        page.contains("78-GBD-9") && !page.contains("12-GBD-3"),
        "{page}"
    );
    assert!(page.contains("value=\"NL:34GBD5\" checked"), "{page}");
    let entry = newest(&app, "product.plates_changed").await;
    assert_eq!(
        (entry.result.as_str(), entry.reason.as_deref()),
        ("ok", Some("nieuwe auto"))
    );

    // Without the active plate, none is active: the resident is asked to choose.
    let resp = an
        .submit(&form, &[("kentekens", "78-GBD-9, 90-GBD-1")])
        .await;
    assert_eq!(resp.status(), 303);
    let page = app.page(&switch).await;
    assert!(page.contains("loopt u kans op een parkeerboete"), "{page}");

    // A visitor scheme's plates are not changed here.
    let visitor = code_of(&app, lettered(&app).await.0).await;
    let refused = an
        .post_form(
            &format!("{}/kentekens", page_of(&visitor)),
            &[("kentekens", "78-GBD-9")],
        )
        .await;
    assert_eq!(refused.status(), 409);
}

//! The help desk's product page and its actions, black-box: what the page shows of a product
//! and its resident, a new PIN (the old one dead at once, a new letter), the coupling mail sent
//! again (the old link dead), the validity extended (the resident sees it); each on the record
//! with its reason, each refusal named and recorded, and another gemeente's medewerker gets a
//! 404 for every page and action without anything changing.

use super::issue::pdf_text;
use super::*;
use parkportal_domain::Clock;

/// The product page of `code` in Dijkstad.
pub(super) fn page_of(code: &str) -> String {
    format!("/beheer/dijkstad/producten/{code}")
}

/// A product of Dijkstad issued by letter: its id, code and PIN.
pub(super) async fn lettered(app: &TestApp) -> (i64, String, String) {
    let issued = lettered_product(app).await;
    (
        issued.id.0,
        issued.code.to_string(),
        issued.pin.expose().to_owned(),
    )
}

#[tokio::test]
async fn the_product_page_shows_the_product_its_resident_and_its_history_and_records_the_reading() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    jan.park(&app, "AB-12-34", app.clock.now() + Duration::hours(2))
        .await;
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;

    // The search leads there.
    let found = an
        .page("/beheer/dijkstad/producten?soort=email&zoek=jan%40example.nl")
        .await;
    let dashed = code.clone();
    assert!(found.links_to(&page_of(&dashed)), "{}", found.text());

    let page = an.page(&page_of(&dashed)).await;
    let text = page.text();
    for expected in [
        &format!("Product {dashed}"),
        "Bezoekersregeling",
        "jan@example.nl",
        "Lopende en geplande parkeeracties",
        "AB-12-34",
        "loopt",
        "Beginsaldo",
        "€ 5,00",
        "Parkeeractie",
        "koppelmail aan jan@example.nl",
        "Gebruikt op",
        "Geen machtigingen.",
        "Geen opwaarderingen.",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    // Coupled: no new PIN or coupling mail is offered; the validity can be extended.
    assert!(!page.links_to(&format!("{}/nieuwe-pincode", page_of(&dashed))));
    assert!(page.links_to(&format!("{}/geldigheid", page_of(&dashed))));

    // The reading is on the record, about the product, and the next reading shows it.
    let view = newest(&app, "product.view").await;
    assert_eq!(
        (view.actor.as_str(), view.result.as_str()),
        ("an@dijkstad.nl", "ok")
    );
    assert_eq!(view.object_kind.as_deref(), Some("product"));
    assert_eq!(view.object_id, Some(jan.product.to_string()));
    // The page takes the code as typed too: without its dash, in lower case.
    let again = an
        .page(&page_of(&code.replace('-', "").to_lowercase()))
        .await;
    assert!(again.contains_text("product.view"));

    // Another gemeente's medewerker: a 404 under their gemeente and under this one, recorded.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    assert_eq!(piet.get(&page_of(&code)).await.status(), 404);
    let refused = newest(&app, "product.view").await;
    assert_eq!(
        (refused.actor.as_str(), refused.result.as_str()),
        ("piet@havenmond.nl", "refused")
    );
    assert_eq!(refused.reason.as_deref(), Some("not_found"));
    // A code that is none, and one that no product has.
    assert_eq!(an.get(&page_of("nonsense")).await.status(), 404);
    assert_eq!(an.get(&page_of(SAMPLE_CODE)).await.status(), 404);
}

#[tokio::test]
async fn a_new_pin_kills_the_old_one_at_once_and_comes_with_a_new_letter() {
    let app = TestApp::spawn().await;
    let (id, code, old_pin) = lettered(&app).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let action = format!("{}/nieuwe-pincode", page_of(&code));

    // Another gemeente's medewerker can neither see nor use the action.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/nieuwe-pincode");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    assert_eq!(piet.post_form(&theirs, &[]).await.status(), 404);
    let hash_sql = format!("SELECT pin_hash FROM products WHERE id = {id}");
    let hash = || app.sql_text(&hash_sql);
    let before = hash().await;

    let form = an.page(&action).await;
    assert!(form.contains_text("De huidige pincode werkt meteen niet meer"));
    let resp = an
        .submit(
            &form.form(&action),
            &[("reden", "brief kwijt, bewoner aan de balie")],
        )
        .await;
    assert_eq!(resp.status(), 201, "{}", resp.text());
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let done = resp.html();
    let pin = done.by_id("pincode").unwrap();
    assert!(pin.len() == 6 && pin.chars().all(|c| c.is_ascii_digit()));
    assert_ne!(hash().await, before);

    // One letter is kept: the new one, with the new PIN; the old one's PDF is gone.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM product_letters WHERE product_id = {id}"
        ))
        .await,
        2
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM product_letters WHERE pdf IS NOT NULL")
            .await,
        1
    );
    let (status, _, pdf) = an.get_bytes(&done.link("Brief downloaden (PDF)")).await;
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    assert!(
        text.contains(&pin) && !text.contains(&format!(" {old_pin}")),
        "{text}"
    );

    // On the record, with the reason, about the product.
    let entry = newest(&app, "product.new_pin").await;
    assert_eq!(
        (entry.result.as_str(), entry.actor.as_str()),
        ("ok", "an@dijkstad.nl")
    );
    assert_eq!(entry.object_id, Some(id.to_string()));
    assert_eq!(
        entry.reason.as_deref(),
        Some("brief kwijt, bewoner aan de balie")
    );

    // The old PIN no longer adds the product; the new one does.
    let bewoner = resident(&app, "dijkstad", "bewoner@example.nl", None).await;
    let claim = |pin: String| {
        let (bewoner, app, code) = (&bewoner, &app, code.clone());
        async move {
            bewoner
                .post_form(
                    app,
                    "/producten/toevoegen",
                    &[("code", &code), ("pin", &pin)],
                )
                .await
        }
    };
    assert_ne!(claim(old_pin).await.status(), 303);
    let owner = format!("SELECT COUNT(*) FROM products WHERE id = {id} AND owner_id IS NOT NULL");
    assert_eq!(app.sql_i64(&owner).await, 0);
    assert_eq!(claim(pin).await.status(), 303);
    assert_eq!(app.sql_i64(&owner).await, 1);

    // Coupled now: the page says so and offers no form; a POST is refused and recorded.
    let page = an.page(&action).await;
    assert!(page.contains_text("Dit product is al aan een account gekoppeld."));
    assert!(page.forms().iter().all(|f| f.action != action));
    let refused = an.post_form(&action, &[]).await;
    assert_eq!(refused.status(), 409);
    let entry = newest(&app, "product.new_pin").await;
    assert_eq!(
        (entry.result.as_str(), entry.reason.as_deref()),
        ("refused", Some("product_coupled"))
    );
    assert_eq!(entry.object_id, Some(id.to_string()));
}

#[tokio::test]
async fn the_coupling_mail_goes_again_and_only_the_newest_link_works() {
    let app = TestApp::spawn().await;
    let issued = app.issue_to("dijkstad", "oud@example.nl").await;
    let old = issued.coupling_token.unwrap();
    let code = issued.code.to_string();
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let action = format!("{}/koppelmail", page_of(&code));
    let form = an.page(&action).await.form(&action);

    // An address that is none is named at its field, and nothing is sent.
    let mails = || app.sql_i64("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%oppel%'");
    let sent = mails().await;
    let wrong = an.submit(&form, &[("email", "geen adres")]).await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().contains("aria-invalid=\"true\""));
    assert!(
        wrong
            .html()
            .contains_text("Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.")
    );
    assert_eq!(mails().await, sent);
    let entry = newest(&app, "product.coupling_mail").await;
    assert_eq!(entry.reason.as_deref(), Some("invalid_input"));

    // Another gemeente's medewerker: 404, nothing sent.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/koppelmail");
    let refused = piet
        .post_form(&theirs, &[("email", "piet@example.nl")])
        .await;
    assert_eq!(refused.status(), 404);
    assert_eq!(mails().await, sent);

    let resp = an
        .submit(
            &form,
            &[("email", "Nieuw@Example.nl"), ("reden", "nieuw adres")],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(
        resp.location(),
        format!("{}?gedaan=koppelmail", page_of(&code))
    );
    let page = an.page(resp.location()).await;
    assert!(page.contains_text("De koppelmail is verstuurd."));
    assert!(page.contains_text("koppelmail aan nieuw@example.nl"));
    let mail = app
        .app
        .as_ref()
        .unwrap()
        .state()
        .outbox()
        .list(1)
        .await
        .unwrap();
    assert_eq!(mail[0].to, "nieuw@example.nl");
    let token = mail[0].text.split("/koppel/").nth(1).unwrap()[..64].to_owned();
    let entry = newest(&app, "product.coupling_mail").await;
    assert_eq!(
        (entry.result.as_str(), entry.reason.as_deref()),
        ("ok", Some("nieuw adres"))
    );
    assert_eq!(entry.object_id, Some(issued.id.0.to_string()));

    // The old link no longer couples; the new one does.
    let (status, _) = crate::support::accept_creating_account(&app, old.expose()).await;
    assert!(status >= 400, "{status}");
    let (status, body) = crate::support::accept_creating_account(&app, &token).await;
    assert_eq!(status, 201, "{body}");
    let refused = an
        .post_form(&action, &[("email", "derde@example.nl")])
        .await;
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn the_validity_is_extended_for_the_resident_to_see_and_only_forward() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let action = format!("{}/geldigheid", page_of(&code));
    let form = an.page(&action).await.form(&action);
    let until_sql = format!(
        "SELECT CAST(valid_until AS TEXT) FROM products WHERE id = {}",
        jan.product
    );
    let until = || app.sql_text(&until_sql);
    let before = until().await;
    let today = app.clock.now().date_naive();

    for (day, status, message) in [
        ("morgen", 422, "Vul een datum in als 31-12-2027."),
        (
            &today.format("%Y-%m-%d").to_string()[..],
            422,
            "Kies een dag na de huidige laatste geldige dag.",
        ),
        (
            &(today + Duration::days(366 * 11))
                .format("%Y-%m-%d")
                .to_string()[..],
            422,
            "Kies een dag hoogstens tien jaar vooruit.",
        ),
    ] {
        let resp = an.submit(&form, &[("laatste_dag", day)]).await;
        assert_eq!(resp.status(), status, "{day}");
        assert!(resp.html().contains_text(message), "{day}: {}", resp.text());
        assert!(resp.text().contains("aria-invalid=\"true\""), "{day}");
    }
    assert_eq!(until().await, before);

    // Another gemeente's medewerker: 404, nothing changed.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/geldigheid");
    let day = (today + Duration::days(800)).format("%Y-%m-%d").to_string();
    assert_eq!(
        piet.post_form(&theirs, &[("laatste_dag", &day)])
            .await
            .status(),
        404
    );
    assert_eq!(until().await, before);

    // 31-12 as people type it, in a text field.
    let resp = an
        .submit(
            &form,
            &[
                ("laatste_dag", "31-12-2028"),
                ("reden", "verhuisd binnen de zone"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let page = an.page(resp.location()).await;
    assert!(page.contains_text("De geldigheid is verlengd."));
    assert!(
        page.contains_text("tot en met 31-12-2028"),
        "{}",
        page.text()
    );
    let products = jan.products(&app).await;
    let mine = products["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == jan.product)
        .unwrap()
        .clone();
    assert!(
        mine["valid_until"]
            .as_str()
            .unwrap()
            .starts_with("2028-12-31T23:00:00"),
        "the end of 31 December, Amsterdam time: {mine}"
    );
    let entry = newest(&app, "product.extended").await;
    assert_eq!(entry.result, "ok");
    let reason = entry.reason.unwrap();
    assert!(
        reason.ends_with("-> 2028-12-31: verhuisd binnen de zone"),
        "{reason}"
    );
    ledger_holds(&app).await;
}

#[tokio::test]
async fn a_medewerker_stops_a_session_for_the_resident_who_gets_the_unused_part_back() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let now = app.clock.now();
    let running = jan.park(&app, "AB-12-34", now + Duration::hours(2)).await;
    let (status, planned) = jan
        .start(
            &app,
            serde_json::json!({"plate": "56-GBD-7", "start": (now + Duration::hours(3)).to_rfc3339(),
                               "end": (now + Duration::hours(4)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{planned}");
    let planned = planned["id"].as_i64().unwrap();
    let before = jan.balance(&app).await;
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;

    // The product page offers both; another gemeente's medewerker gets 404 and changes nothing.
    let page = an.page(&page_of(&code)).await;
    let stop = format!("{}/parkeeracties/{running}/stoppen", page_of(&code));
    let delete = format!("{}/parkeeracties/{planned}/stoppen", page_of(&code));
    assert!(page.links_to(&stop) && page.links_to(&delete));
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/parkeeracties/{running}/stoppen");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    assert_eq!(piet.post_form(&theirs, &[]).await.status(), 404);
    assert_eq!(jan.live(&app).await["items"].as_array().unwrap().len(), 2);

    // Ten minutes later (within the console's idle time-out), stopped on the resident's
    // behalf: the rest comes back.
    app.clock.advance(Duration::minutes(10));
    let form = an.page(&stop).await;
    assert!(form.contains_text("Het ongebruikte deel komt terug op het saldo"));
    let resp = an
        .submit(&form.form(&stop), &[("reden", "bewoner belde, auto weg")])
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=gestopt"));
    let delete_form = an.page(&delete).await.form(&delete);
    assert_eq!(an.submit(&delete_form, &[]).await.status(), 303);
    let live = jan.live(&app).await;
    assert!(live["items"].as_array().unwrap().is_empty(), "{live}");
    let after: rust_decimal::Decimal = jan.balance(&app).await.parse().unwrap();
    let before: rust_decimal::Decimal = before.parse().unwrap();
    assert!(
        after > before,
        "{before} -> {after}: the unused parts are refunded"
    );
    ledger_holds(&app).await;
    let entry = newest(&app, "session.stopped_by_staff").await;
    assert_eq!(
        (entry.result.as_str(), entry.actor.as_str()),
        ("ok", "an@dijkstad.nl")
    );
    assert_eq!(entry.object_kind.as_deref(), Some("session"));
    assert_eq!(entry.object_id, Some(planned.to_string()));
    let stops: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "session.stopped_by_staff" && e.result == "ok")
        .collect();
    assert_eq!(stops[1].object_id, Some(running.to_string()));
    assert_eq!(stops[1].reason.as_deref(), Some("bewoner belde, auto weg"));

    // Over already: said so, recorded, nothing changes.
    assert_eq!(
        an.get(&stop).await.status(),
        404,
        "no longer a live session"
    );
    let again = an.post_form(&stop, &[]).await;
    assert_eq!(again.status(), 303);
    assert!(again.location().ends_with("?gedaan=al_voorbij"));
    let entry = newest(&app, "session.stopped_by_staff").await;
    assert_eq!(entry.reason.as_deref(), Some("session_over"));
    assert_eq!(jan.balance(&app).await, after.to_string());
}

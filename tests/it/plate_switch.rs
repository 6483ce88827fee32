//! "De kentekenswitch": a permit for several plates has one active plate; until one is chosen
//! the resident is warned of a fine.

use crate::support::html::Html;
use crate::support::{TestApp, call};
use crate::support::{resident, resident_with};
use parkportal_domain::EmailAddress;
use parkportal_domain::coupling::IssueRequest;
use parkportal_domain::plate::{Country, Plate};
use serde_json::json;

async fn permit(app: &TestApp, email: &str, plates: &[&str]) -> crate::support::Resident {
    resident_with(
        app,
        IssueRequest {
            tenant: "dijkstad".into(),
            product_type: Some("bewoners".into()),
            email: Some(EmailAddress::parse(email).unwrap()),
            plates: plates
                .iter()
                .map(|p| Plate::parse(p, Country::NL).unwrap())
                .collect(),
            ..IssueRequest::default()
        },
    )
    .await
}

#[tokio::test]
async fn selecting_a_plate_makes_it_the_only_active_one_and_ends_the_warning() {
    let app = TestApp::spawn().await;
    let jan = permit(
        &app,
        "jan@example.nl",
        &["12-GBD-3", "34-GBD-5", "56-GBD-7"],
    )
    .await;
    app.login("jan@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/kentekenswitch", jan.product);

    let page = app.page(&path).await;
    assert!(page.contains("loopt u kans op een parkeerboete"), "{page}");
    for plate in ["12-GBD-3", "34-GBD-5", "56-GBD-7"] {
        assert!(page.contains(plate));
    }
    let sessions = app
        .page(&format!("/producten/{}/parkeeracties", jan.product))
        .await;
    assert!(sessions.contains("loopt u kans op een parkeerboete"));
    assert!(app.page("/menu").await.contains("Kentekenswitch"));
    let card = Html::parse(&app.page("/producten?gemeente=dijkstad").await);
    assert!(
        card.contains_text("Actief kenteken: nog geen"),
        "{}",
        card.text()
    );
    // The coupling mail said so, as the manual's "Let op" does.
    let mail = app
        .sql_text("SELECT body_text FROM outbox WHERE recipient = 'jan@example.nl'")
        .await
        .unwrap();
    assert!(
        mail.contains("Let op: deze vergunning geldt voor meer dan één kenteken"),
        "{mail}"
    );

    let resp = app.post_form(&path, &[("kenteken", "NL:34GBD5")]).await;
    assert_eq!(resp.status(), 303);
    let page = app.page(&format!("{path}?gekozen=1")).await;
    assert!(page.contains("Kenteken 34-GBD-5 is nu actief."), "{page}");
    assert!(!page.contains("parkeerboete"));
    assert!(page.contains("value=\"NL:34GBD5\" checked"));

    // Through the API, another: still exactly one active.
    let (status, body) = call(
        &app,
        "PUT",
        &format!("/api/v1/products/{}/active-plate", jan.product),
        Some(json!({"plate": "56-gbd-7"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active_plate"], "56-GBD-7");
    assert_eq!(body["plates"], json!(["12-GBD-3", "34-GBD-5", "56-GBD-7"]));
    let active = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM product_plates WHERE product_id = {} AND active",
            jan.product
        ))
        .await;
    assert_eq!(active, 1);
    let sessions = Html::parse(
        &app.page(&format!("/producten/{}/parkeeracties", jan.product))
            .await,
    );
    assert!(!sessions.contains_text("parkeerboete"));
    assert!(
        sessions.contains_text("Actief kenteken: 56-GBD-7"),
        "the active plate in view: {}",
        sessions.text()
    );
    let card = Html::parse(&app.page("/producten?gemeente=dijkstad").await);
    assert!(card.contains_text("Actief kenteken: 56-GBD-7"));
}

#[tokio::test]
async fn a_single_plate_permit_has_no_switch_note_and_a_foreign_plate_names_its_country_once() {
    let app = TestApp::spawn().await;
    let one = permit(&app, "els@example.nl", &["12-GBD-3"]).await;
    let mail = app
        .sql_text("SELECT body_text FROM outbox WHERE recipient = 'els@example.nl'")
        .await
        .unwrap();
    assert!(
        !mail.contains("Let op"),
        "one plate, nothing to switch: {mail}"
    );
    app.login("els@example.nl", "fietsbel42xy").await;
    let card = Html::parse(&app.page("/producten?gemeente=dijkstad").await);
    assert!(!card.contains_text("Actief kenteken"));
    let _ = one;

    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let (status, body) = jan
        .start(
            &app,
            json!({"plate": "BXY123", "country": "DE", "end": "2026-03-02T11:00:00Z"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let list = jan
        .page(&app, &format!("/producten/{}/parkeeracties", jan.product))
        .await;
    assert!(list.contains_text("BXY123 (DE)"), "{}", list.text());
    assert!(!list.contains_text("(DE) (DE)"));
}

#[tokio::test]
async fn a_plate_not_on_the_permit_or_another_residents_permit_is_refused() {
    let app = TestApp::spawn().await;
    let jan = permit(&app, "jan@example.nl", &["12-GBD-3", "34-GBD-5"]).await;
    let piet = permit(&app, "piet@example.nl", &["78-GBD-9", "90-GBD-1"]).await;
    let visitor = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let put = |product: i64, plate: &str, token: &str| {
        let (path, body, token) = (
            format!("/api/v1/products/{product}/active-plate"),
            json!({"plate": plate}),
            token.to_owned(),
        );
        let app = &app;
        async move { call(app, "PUT", &path, Some(body), Some(&token)).await }
    };
    let (status, body) = put(jan.product, "78-GBD-9", &jan.token).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "plate_not_on_permit");
    let (status, body) = put(piet.product, "78-GBD-9", &jan.token).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = put(visitor.product, "12-GBD-3", &jan.token).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "plate_switch_unavailable");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM product_plates WHERE active")
            .await,
        0,
        "nothing was switched"
    );

    app.login("jan@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/kentekenswitch", jan.product);
    let resp = app.post_form(&path, &[("kenteken", "NL:78GBD9")]).await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Kies een van de kentekens")
    );
    let other = format!("/producten/{}/kentekenswitch", piet.product);
    assert_eq!(app.get(&other).send().await.unwrap().status(), 404);
    assert_eq!(
        app.post_form(&other, &[("kenteken", "NL:78GBD9")])
            .await
            .status(),
        404
    );
    let none = format!("/producten/{}/kentekenswitch", visitor.product);
    assert_eq!(app.get(&none).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_switches_leave_exactly_one_active_plate() {
    let app = TestApp::spawn().await;
    let jan = permit(
        &app,
        "jan@example.nl",
        &["12-GBD-3", "34-GBD-5", "56-GBD-7"],
    )
    .await;
    let url = format!("{}/api/v1/products/{}/active-plate", app.url, jan.product);
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let (url, token) = (url.clone(), jan.token.clone());
            let plate = ["12-GBD-3", "34-GBD-5", "56-GBD-7"][i % 3];
            tokio::spawn(async move {
                reqwest::Client::new()
                    .put(url)
                    .bearer_auth(token)
                    .json(&json!({"plate": plate}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(
            h.await.unwrap(),
            200,
            "no switch fails, whatever runs alongside"
        );
    }
    let active = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM product_plates WHERE product_id = {} AND active",
            jan.product
        ))
        .await;
    assert_eq!(active, 1);
}

//! The privacy job: a session's plate goes once the session ended longer ago than its gemeente
//! keeps plates (13 weeks unless shorter), from history, from "Kenteken opzoeken" and from mails
//! still in the outbox; not a moment before, and safely with several instances at once. Time is
//! moved on the test clock. The clock stands on Monday 2 March 2026, 10:00 in Amsterdam.

use crate::support::{Resident, at, resident};
use crate::support::{TestApp, api_token, call};
use chrono::{DateTime, Duration, Utc};
use parkportal_domain::mail::OutgoingMail;
use parkportal_domain::plate::{Country, Plate};
use parkportal_domain::{Clock, EmailAddress, TenantId};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::sync::Arc;

async fn park(app: &TestApp, r: &Resident, plate: &str, end: DateTime<Utc>) {
    let (status, body) = r
        .start(app, json!({"plate": plate, "end": end.to_rfc3339()}))
        .await;
    assert_eq!(status, 201, "{body}");
}

/// A mail of `tenant` that names `plate`, queued now.
async fn mail_naming(app: &TestApp, tenant: i64, plate: &str) {
    let plate = Plate::parse(plate, Country::NL).unwrap();
    let text = format!(
        "Uw bezoek met kenteken {} ({}) is aangemeld.",
        plate.display(),
        plate.normalised()
    );
    app.app
        .as_ref()
        .unwrap()
        .state()
        .outbox()
        .enqueue(
            &OutgoingMail {
                to: EmailAddress::parse("jan@example.nl").unwrap(),
                subject: format!("Bezoek {}", plate.display()),
                text: text.clone(),
                html: format!("<p>{text}</p>"),
                tenant: Some(TenantId(tenant)),
                plates: vec![plate],
            },
            app.clock.now(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn plates_go_after_13_weeks_and_not_a_minute_before() {
    let mut app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    park(&app, &jan, "12-GBD-3", at(2, 11, 0)).await;
    let dijkstad = app
        .sql_i64("SELECT id FROM tenants WHERE slug = 'dijkstad'")
        .await;
    // The confirmation mail goes out as the session ends.
    app.clock.set(at(2, 11, 0));
    mail_naming(&app, dijkstad, "12-GBD-3").await;
    let privacy = app.app.as_ref().unwrap().privacy().clone();

    // 13 weeks after the end, less a minute: everything stays.
    app.clock
        .set(at(2, 11, 0) + Duration::weeks(13) - Duration::minutes(1));
    assert!(privacy.run_once().await.unwrap().is_empty());
    app.new_browser();
    app.login("jan@example.nl", "fietsbel42xy").await;
    let history = app
        .page(&format!("/producten/{}/historie", jan.product))
        .await;
    assert!(history.contains("12-GBD-3"));
    let lookup = app
        .page(&format!("/producten/{}/kentekens?tab=recent", jan.product))
        .await;
    assert!(lookup.contains("12-GBD-3"));

    // Two minutes later: gone from the session, the lookup and the mail.
    app.clock.advance(Duration::minutes(2));
    let done = privacy.run_once().await.unwrap();
    assert_eq!((done.sessions, done.mails), (1, 1));
    let history = app
        .page(&format!("/producten/{}/historie", jan.product))
        .await;
    assert!(!history.contains("12-GBD-3"));
    assert!(history.contains("Kenteken geanonimiseerd"));
    let lookup = app
        .page(&format!("/producten/{}/kentekens?tab=recent", jan.product))
        .await;
    assert!(!lookup.contains("12-GBD-3"));
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions WHERE plate <> '' OR country <> ''")
            .await,
        0
    );
    let mail = app
        .sql_text(
            "SELECT subject || ' ' || body_text || ' ' || body_html FROM outbox \
             WHERE subject LIKE 'Bezoek%'",
        )
        .await
        .unwrap();
    assert!(
        !mail.contains("12-GBD-3") && !mail.contains("12GBD3"),
        "{mail}"
    );
    assert!(mail.contains("Uw bezoek met kenteken"));

    // The API says so too, and the cost stays.
    let token = &api_token(&app, "jan@example.nl").await;
    let (_, page) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/history/sessions", jan.product),
        None,
        Some(token),
    )
    .await;
    assert!(page["items"][0]["plate"].is_null(), "{page}");
    assert!(page["items"][0]["country"].is_null());
    assert_eq!(page["items"][0]["cost"]["value"], "1.20");

    // Again: nothing left to do.
    assert!(privacy.run_once().await.unwrap().is_empty());
}

#[tokio::test]
async fn each_gemeente_keeps_plates_as_long_as_it_chose_and_several_instances_agree() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let piet = resident(&app, "havenmond", "piet@example.nl", None).await;
    // Thirty visits of ten minutes, one after the other tomorrow.
    for i in 0..30 {
        let start = at(3, 10, 0) + Duration::minutes(15 * i);
        let body = json!({"plate": format!("{:02}-GBD-3", i), "start": start.to_rfc3339(),
                          "end": (start + Duration::minutes(10)).to_rfc3339()});
        assert_eq!(jan.start(&app, body).await.0, 201);
    }
    park(&app, &piet, "99-GBD-3", at(2, 11, 0)).await;
    let db = app.app.as_ref().unwrap().database().clone();
    db.connection()
        .execute_unprepared("UPDATE tenants SET plate_retention_days = 28 WHERE slug = 'dijkstad'")
        .await
        .unwrap();

    app.clock.set(at(3, 18, 0) + Duration::days(28));
    // Two instances on one database at once: every plate goes exactly once.
    let clock: Arc<dyn parkportal_domain::Clock> = app.clock.clone();
    let one = parkportal::wiring::privacy(&db, clock.clone());
    let two = parkportal::wiring::privacy(&db, clock);
    let (a, b) = tokio::join!(one.run_once(), two.run_once());
    assert_eq!(a.unwrap().sessions + b.unwrap().sessions, 30);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions WHERE plate = ''")
            .await,
        30,
        "Dijkstad keeps plates four weeks"
    );
    assert_eq!(
        app.sql_text("SELECT plate FROM parking_sessions WHERE plate <> ''")
            .await
            .as_deref(),
        Some("99GBD3"),
        "Havenmond keeps them 13 weeks"
    );
}

#[tokio::test]
async fn a_deleted_planned_session_loses_its_plate_13_weeks_after_the_deletion() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    // Planned two months ahead, deleted at once.
    let (status, s) = jan
        .start(
            &app,
            json!({"plate": "12-GBD-3", "start": (at(2, 10, 0) + Duration::days(60)).to_rfc3339(),
                   "end": (at(2, 11, 0) + Duration::days(60)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(jan.end(&app, s["id"].as_i64().unwrap()).await.0, 200);
    let privacy = app.app.as_ref().unwrap().privacy().clone();
    app.clock
        .set(at(2, 10, 0) + Duration::weeks(13) - Duration::minutes(1));
    assert!(privacy.run_once().await.unwrap().is_empty());
    app.clock.advance(Duration::minutes(2));
    assert_eq!(privacy.run_once().await.unwrap().sessions, 1);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions WHERE plate <> ''")
            .await,
        0
    );
}

//! Demo mode, and with it `/demo/outbox` (which shows every mail, reset links included), exists
//! only on the embedded database that `serve` created as the demo, and only while no real part
//! is configured: never on PostgreSQL or another `database.url`, never with an SMTP server, an
//! https public URL or Mollie.

use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, repo, test_config, unescape, with_smtp};
use parkportal::Config;
use parkportal_domain::platform::PlatformFacts;
use parkportal_store::SeaFactRepository;
use std::sync::Arc;

/// Whether `/demo/outbox` and `/demo/outbox/1` are absent (404) and the menu has no link.
async fn no_demo_outbox(app: &TestApp) {
    for path in ["/demo/outbox", "/demo/outbox/1"] {
        let status = app.get(path).send().await.unwrap().status();
        assert_eq!(status, 404, "GET {path}");
    }
    assert!(
        !app.page("/menu").await.contains("/demo/outbox"),
        "the menu links a page that does not exist"
    );
}

/// Stops `app` and starts its database again under `config` (same folder, same file).
async fn restart(mut app: TestApp, config: Config) -> TestApp {
    app.stop().await;
    let dir = std::mem::replace(&mut app.dir, tempfile::tempdir().unwrap());
    TestApp::start(config, dir).await
}

#[tokio::test]
async fn the_demo_outbox_page_shows_mails_only_in_demo_mode() {
    // The embedded database, created by the start `serve` makes: the demo.
    let dir = tempfile::tempdir().unwrap();
    let demo = test_config(dir.path());
    let app = TestApp::start(demo.clone(), dir).await;
    assert!(app.app.as_ref().unwrap().created_demo_resident());
    app.issue_to("dijkstad", "demo@example.nl").await;
    let list = app.page("/demo/outbox").await;
    assert!(list.contains("demo@example.nl"), "{list}");
    assert!(
        list.contains("Koppel uw parkeerproduct van Gemeente Dijkstad"),
        "{list}"
    );
    assert!(
        app.page("/menu").await.contains("/demo/outbox"),
        "the menu links it"
    );
    let newest = app.app.as_ref().unwrap().state().outbox().list(1).await;
    let id = newest.unwrap()[0].id.0;
    let mail = unescape(&app.page(&format!("/demo/outbox/{id}")).await);
    let start = mail.find("/g/dijkstad/koppel/").unwrap();
    let path: String = mail[start..]
        .chars()
        .take_while(|c| *c != '"' && *c != '<')
        .collect();
    assert!(app.page(&path).await.contains("Account aanmaken"));
    assert_eq!(
        app.get("/demo/outbox/99").send().await.unwrap().status(),
        404
    );

    // A later start of the same database is the demo still: the database says so.
    let app = restart(app, demo.clone()).await;
    assert!(!app.app.as_ref().unwrap().created_demo_resident());
    assert!(app.page("/demo/outbox").await.contains("demo@example.nl"));

    // The same demo database with a real part configured: no page, no link.
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let mut with_mail = demo.clone();
    with_smtp(&mut with_mail, port);
    let app = restart(app, with_mail).await;
    no_demo_outbox(&app).await;
    // Served over https without a mail server is a broken production, not a demo.
    let mut https = demo.clone();
    https.server.public_url = Some("https://parkeren.test".into());
    let app = restart(app, https).await;
    no_demo_outbox(&app).await;
    let mut mollie = demo.clone();
    mollie.payments.provider = parkportal::config::ProviderChoice::Mollie;
    mollie.payments.mollie.api_key = Some("test_demo".into());
    let app = restart(app, mollie).await;
    no_demo_outbox(&app).await;

    // And back without them: the demo again.
    let app = restart(app, demo).await;
    assert_eq!(app.get("/demo/outbox").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_server_on_a_database_url_has_no_demo_outbox_even_without_smtp() {
    // PostgreSQL with TEST_DATABASE_URL, else a SQLite file named by database.url: no SMTP, an
    // http public URL, the simulated checkout. Mail waits in the outbox all the same.
    let app = TestApp::spawn().await;
    assert!(app.config.database.url.is_some() && app.config.smtp.host.is_none());
    app.issue_to("dijkstad", "gedeeld@example.nl").await;
    let outbox = app.app.as_ref().unwrap().state().outbox().list(10).await;
    assert_eq!(
        outbox.unwrap()[0].id.0,
        1,
        "a mail waits, yet no page shows it"
    );
    no_demo_outbox(&app).await;
    assert!(app.app.as_ref().unwrap().state().demo_outbox().is_none());

    // Even a database that says it was the demo (a copy of one, say) is not the demo there.
    let db = app.app.as_ref().unwrap().database().clone();
    PlatformFacts::new(Arc::new(SeaFactRepository::new(db)), app.clock.clone())
        .record_demo("a copy of a demo database")
        .await
        .unwrap();
    let config = app.config.clone();
    let app = restart(app, config).await;
    no_demo_outbox(&app).await;
}

#[tokio::test]
async fn an_embedded_database_not_created_as_the_demo_has_no_demo_outbox() {
    // Gemeenten imported before the first start (`parkportal tenants import`): `serve` finds the
    // embedded database filled, imports nothing and records nothing.
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let db = parkportal::app::open_database(&config).await.unwrap();
    let tenants = parkportal::app::tenant_directory(
        &config,
        &db,
        std::sync::Arc::new(parkportal_domain::SystemClock),
    )
    .unwrap();
    for bundle in parkportal::bundle::read_all(&repo().join("tenants")).unwrap() {
        tenants.import(&bundle).await.unwrap();
    }
    db.close().await.unwrap();

    let app = TestApp::start(config, dir).await;
    assert!(!app.app.as_ref().unwrap().created_demo_resident());
    app.issue_to("dijkstad", "eigen@example.nl").await;
    no_demo_outbox(&app).await;
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM platform_facts").await,
        0,
        "nothing records a demo"
    );
}

#[tokio::test]
async fn a_first_start_with_a_real_part_imports_the_demo_gemeenten_but_makes_no_demo() {
    let dir = tempfile::tempdir().unwrap();
    let plain = test_config(dir.path());
    let mut https = plain.clone();
    https.server.public_url = Some("https://parkeren.test".into());
    let app = TestApp::start(https, dir).await;
    assert!(app.app.as_ref().unwrap().created_demo_resident());
    // Without the real part later on, the database still was not created as the demo.
    let app = restart(app, plain).await;
    assert!(app.page("/").await.contains("Gemeente Dijkstad"));
    no_demo_outbox(&app).await;
}

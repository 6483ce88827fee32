//! Enrolment by the one-time link, the demo's staff, the mailed link, and deactivation.

use super::*;

#[tokio::test]
async fn enrolment_by_the_link_sets_password_and_authenticator_and_the_link_works_once() {
    let app = TestApp::spawn().await;
    let link = staff_link(&app, "an@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    let browser = Staff::browser(&app, "an@dijkstad.nl");
    let page = browser.page(&link).await;
    let form = page.form(&link);
    assert!(page.text().contains("an@dijkstad.nl"));
    assert_eq!(
        form.fields
            .iter()
            .filter(|f| f.autocomplete.as_deref() == Some("new-password"))
            .count(),
        2,
        "two new-password inputs"
    );
    // The console's rule: at least 12 characters (the resident's 8 are not enough).
    let before = audit_entries(&app).await.len();
    let resp = browser
        .submit(
            &form,
            &[("wachtwoord", "fietsbel42"), ("herhaling", "fietsbel42")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html().contains_text("minstens 12 tekens"),
        "{}",
        resp.text()
    );
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1, "a refused step leaves one entry");
    assert_eq!(
        (entries[0].action.as_str(), entries[0].result.as_str()),
        ("staff.enrolment.password", "refused")
    );
    // The whole enrolment through the pages, then the console.
    let an = Staff::enrol_with_link(&app, "an@dijkstad.nl", &link).await;
    assert_eq!(an.recovery.len(), 10);
    let distinct: std::collections::HashSet<_> = an.recovery.iter().collect();
    assert_eq!(distinct.len(), 10);
    let home = an.page("/beheer/dijkstad").await;
    assert!(
        home.contains_text("werkt hier als medewerker"),
        "{}",
        home.text()
    );
    // The link worked once.
    let again = Anonymous::new(&app).get(&link).await;
    assert_eq!(again.status(), 410);
    assert!(again.html().contains_text("al gebruikt"));
    let unknown = Anonymous::new(&app)
        .get(&format!("/beheer/inschrijven/{}", "ab".repeat(32)))
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn an_enrolment_link_expires_after_a_day() {
    let app = TestApp::spawn().await;
    let link = staff_link(&app, "bo@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    app.clock.advance(Duration::hours(24));
    let resp = Anonymous::new(&app).get(&link).await;
    assert_eq!(resp.status(), 410);
    assert!(resp.html().contains_text("verlopen"));
}

#[tokio::test]
async fn the_demo_staff_log_in_only_while_the_server_is_the_demo() {
    // The embedded database as the demo's first start makes it.
    let dir = tempfile::tempdir().unwrap();
    let demo = test_config(dir.path());
    let app = TestApp::start(demo.clone(), dir).await;
    let printed = app.app.as_ref().unwrap().demo_staff().to_vec();
    assert_eq!(printed.len(), 7, "{printed:?}");
    let medewerker = printed
        .iter()
        .find(|d| d.email == "medewerker.dijkstad@demo.parkportal.nl")
        .unwrap();
    let mut browser = Staff::browser(&app, &medewerker.email);
    browser.secret = TotpSecret::from_base32(&medewerker.secret).unwrap();
    let resp = browser.login_with(&app, "demo-beheer-2026").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(resp.location(), "/beheer/dijkstad");

    // The same database behind an https public URL is no demo: its staff cannot log in.
    let mut app = app;
    app.stop().await;
    let dir = std::mem::replace(&mut app.dir, tempfile::tempdir().unwrap());
    let mut real = demo;
    real.server.public_url = Some("https://parkeren.example.nl".into());
    let app = TestApp::start(real, dir).await;
    assert!(app.app.as_ref().unwrap().demo_staff().is_empty());
    let browser = Staff::browser(&app, &medewerker.email);
    let resp = browser.password_step("demo-beheer-2026").await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("klopt niet"));
}

#[tokio::test]
async fn with_a_mail_server_the_enrolment_link_is_mailed_as_well() {
    let smtp = crate::support::smtp::SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| {
        crate::support::with_smtp(c, port);
        c.server.public_url = Some("http://parkeren.test".into());
    })
    .await;
    let printed = staff_link(&app, "an@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].to, vec!["an@dijkstad.nl".to_owned()]);
    assert!(
        mails[0].text().contains("Beste Test an@dijkstad.nl"),
        "{}",
        mails[0].text()
    );
    let link = mails[0].link("/beheer/inschrijven/");
    assert_eq!(link, format!("http://parkeren.test{printed}"));
    // The mailed link is the printed one: it opens the enrolment.
    let page = Staff::browser(&app, "an@dijkstad.nl").page(&printed).await;
    assert!(page.contains_text("Kies uw wachtwoord"));
}

#[tokio::test]
async fn deactivating_an_account_ends_its_sessions_at_once_and_shuts_it_out_until_reactivated() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    an.page("/beheer/dijkstad").await;
    let enrolment = app.app.as_ref().unwrap().console().enrolment();
    let email = parkportal_domain::EmailAddress::parse("an@dijkstad.nl").unwrap();
    let deactivated = enrolment
        .set_active(
            &email,
            false,
            parkportal_domain::audit::Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    assert!(deactivated);
    assert_eq!(audit_entries(&app).await[0].action, "staff.deactivated");
    // The open session is gone at once, and the password no longer leads anywhere.
    assert_eq!(
        an.get("/beheer/dijkstad").await.location(),
        "/beheer/inloggen"
    );
    let resp = an.password_step(STAFF_PASSWORD).await;
    assert_eq!(resp.status(), 422);
    // Twice is once.
    assert!(
        !enrolment
            .set_active(
                &email,
                false,
                parkportal_domain::audit::Actor::Operator,
                "cli"
            )
            .await
            .unwrap()
    );
    enrolment
        .set_active(
            &email,
            true,
            parkportal_domain::audit::Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    let resp = an.login(&app).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), "/beheer/dijkstad");
}

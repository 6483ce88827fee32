//! Deciding applications (#25): the rule decides first (approve, review, reject, or review
//! when it fails), staff decide the rest in the queue (approve through the desk, reject with a
//! reason, ask for information answered on the status page), duplicates are flagged, another
//! gemeente's medewerker finds nothing, and decided applications leave after their time.

use crate::loket::{FORM, apply, status_link, status_path};
use crate::support::{Anonymous, TestApp, accept_creating_account, at, audit_entries, call, staff};
use chrono::Duration;
use parkportal_domain::mail::QueuedMail;
use parkportal_domain::staff::Role;
use serde_json::json;

pub(crate) const QUEUE: &str = "/beheer/dijkstad/aanvragen";

/// The newest mail to `to`.
pub(crate) async fn newest_mail(app: &TestApp, to: &str) -> QueuedMail {
    app.app
        .as_ref()
        .unwrap()
        .state()
        .outbox()
        .list(50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.to == to)
        .expect("a mail to the applicant")
}

/// The reference on the page after sending.
pub(crate) fn reference_on(page: &crate::support::html::Html) -> String {
    page.text()
        .split("Uw referentienummer is ")
        .nth(1)
        .map(|r| r[..12].to_owned())
        .expect("the reference on screen")
}

/// An anonymous application for Dijkstad's visitor scheme from `email`, with `overrides`: its
/// reference and its page in the console.
pub(crate) async fn applied(
    app: &TestApp,
    email: &str,
    overrides: &[(&'static str, &str)],
) -> (String, String) {
    let resp = apply(&Anonymous::new(app), FORM, email, overrides).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let reference = reference_on(&resp.html());
    let id = app
        .sql_i64(&format!(
            "SELECT id FROM applications WHERE reference = '{reference}'"
        ))
        .await;
    (reference, format!("{QUEUE}/{id}"))
}

pub(crate) async fn status_of(app: &TestApp, reference: &str) -> String {
    app.sql_text(&format!(
        "SELECT status FROM applications WHERE reference = '{reference}'"
    ))
    .await
    .unwrap()
}

/// Dijkstad's visitor-scheme script replaced by `script`.
pub(crate) async fn rule(app: &TestApp, script: &str) {
    configure(app, false, &[("bezoekers", script)]).await;
}

/// Dijkstad's configuration with every product type open for application when `open_all`,
/// and `scripts` (type, source) replacing those of their types.
pub(crate) async fn configure(app: &TestApp, open_all: bool, scripts: &[(&str, &str)]) {
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    for t in &mut config.product_types {
        t.open_for_application |= open_all;
    }
    for (code, script) in scripts {
        config
            .scripts
            .insert(code.parse().unwrap(), (*script).to_owned());
    }
    tenants.import(&config).await.unwrap();
}

/// The message of the first rule error of `application`, once the queue that writes them has
/// written it (at most two seconds).
pub(crate) async fn application_rule_error(app: &TestApp) -> Option<String> {
    for _ in 0..100 {
        let message = app
            .sql_text("SELECT message FROM rule_errors WHERE function = 'application'")
            .await;
        if message.is_some() {
            return message;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

/// The actions of the audit trail, newest first.
pub(crate) async fn actions(app: &TestApp) -> Vec<String> {
    audit_entries(app)
        .await
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.result))
        .collect()
}

#[tokio::test]
async fn a_reviewed_application_approved_by_a_medewerker_is_coupled_by_its_mail_and_parks() {
    let app = TestApp::spawn().await;
    let (reference, detail) = applied(&app, "aanvrager@example.nl", &[]).await;
    assert_eq!(
        app.sql_text("SELECT rule_outcome FROM applications")
            .await
            .as_deref(),
        Some("review"),
        "the default rule leaves it to staff"
    );
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let home = an.page("/beheer/dijkstad").await;
    assert_eq!(home.by_id("cijfer-aanvragen").as_deref(), Some("1"));
    let queue = an.page(QUEUE).await;
    assert!(queue.links_to(&detail), "{}", queue.text());
    assert!(queue.contains_text("J. de Vries"));
    assert!(queue.contains_text("1234 AB 12 A"));
    assert!(queue.contains_text("Laat aan een medewerker"));
    assert_eq!(actions(&app).await[0], "application.list ok");

    let page = an.page(&detail).await;
    assert!(page.contains_text(&format!("Aanvraag {reference}")));
    assert!(page.contains_text("Kerkstraat 12 A"));
    assert!(page.contains_text("Voor mijn moeder, die op woensdag komt."));
    assert!(page.contains_text("Vooraf gekozen: de zone waarin het adres ligt."));
    assert_eq!(status_of(&app, &reference).await, "in_review");
    assert_eq!(actions(&app).await[0], "application.read ok");
    // The applicant sees a person has it.
    let (_, link) = status_link(&app, "aanvrager@example.nl").await;
    assert!(
        Anonymous::new(&app)
            .page(&link)
            .await
            .contains_text("In behandeling")
    );

    let resp = an
        .post_form(
            &detail,
            &[("besluit", "toekennen"), ("versie", "0"), ("brief", "ja")],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(status_of(&app, &reference).await, "granted");
    assert_eq!(
        app.sql_text(
            "SELECT z.code || '|' || p.holder_postcode || '|' || p.holder_house_number \
             FROM applications a JOIN products p ON p.id = a.product_id \
             JOIN zones z ON z.id = p.zone_id"
        )
        .await
        .as_deref(),
        Some("stationsgebied|1234 AB|12 A"),
        "issued in the zone of the address, to the applicant"
    );
    let trail = actions(&app).await;
    assert!(
        trail[..2].contains(&"application.approve ok".to_owned()),
        "{trail:?}"
    );
    assert!(
        trail[..2].contains(&"product.issue ok".to_owned()),
        "{trail:?}"
    );
    let done = an.page(&format!("{detail}?gedaan=toegekend")).await;
    assert!(done.contains_text("De aanvraag is toegekend en het product is uitgegeven."));
    assert!(
        !done.contains_text("Toekennen en uitgeven"),
        "decided: no forms"
    );
    let home = an.page("/beheer/dijkstad").await;
    assert_eq!(home.by_id("cijfer-aanvragen").as_deref(), Some("0"));

    // The coupling mail arrives, its link couples, the resident parks.
    let mail = newest_mail(&app, "aanvrager@example.nl").await;
    let token = mail.text.split("/koppel/").nth(1).expect("a coupling link")[..64].to_owned();
    let (status, body) = accept_creating_account(&app, &token).await;
    assert_eq!(status, 201, "{body}");
    let bearer = body["token"].as_str().unwrap();
    let product = body["product"]["id"].as_i64().unwrap();
    let (status, session) = call(
        &app,
        "POST",
        &format!("/api/v1/products/{product}/sessions"),
        Some(json!({
            "plate": "12-GBD-3",
            "start": at(2, 22, 0).to_rfc3339(),
            "end": at(2, 23, 0).to_rfc3339(),
        })),
        Some(bearer),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    // Where it stands, from the link.
    let status_page = Anonymous::new(&app).page(&link).await;
    assert!(status_page.contains_text("Toegekend"));
    // Deciding again is refused, on the record once, and changes nothing.
    let before = audit_entries(&app).await.len();
    let resp = an
        .post_form(
            &detail,
            &[
                ("besluit", "afwijzen"),
                ("versie", "0"),
                ("reden", "Te laat."),
            ],
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert!(
        resp.html()
            .contains_text("Over deze aanvraag is intussen al besloten")
    );
    assert_eq!(audit_entries(&app).await.len(), before + 1);
    assert_eq!(actions(&app).await[0], "application.reject refused");
    assert_eq!(status_of(&app, &reference).await, "granted");
}

#[tokio::test]
async fn rejections_by_the_rule_and_by_staff_mail_the_reason_in_the_applicants_language() {
    let app = TestApp::spawn().await;
    rule(
        &app,
        r#"fn application(ctx) {
            if ctx.zone == "" { #{ reject: "Uw adres ligt niet in een vergunningsgebied." } } else { "review" }
        }"#,
    )
    .await;
    let (outside, _) = applied(&app, "buiten@example.nl", &[("postcode", "9999 ZZ")]).await;
    assert_eq!(status_of(&app, &outside).await, "rejected");
    let trail = audit_entries(&app).await;
    assert_eq!(
        (trail[0].action.as_str(), trail[0].actor.as_str()),
        ("application.reject", "regel (digitaal loket)"),
        "the rule's rejection is on the record"
    );
    let mail = newest_mail(&app, "buiten@example.nl").await;
    assert_eq!(mail.subject, "Besluit op uw aanvraag bij Gemeente Dijkstad");
    assert!(
        mail.text
            .contains("Uw adres ligt niet in een vergunningsgebied.")
    );
    // Rejected at once: not in the queue, but under its status.
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    assert!(!an.page(QUEUE).await.contains_text(&outside));
    assert!(
        an.page(&format!("{QUEUE}?status=rejected"))
            .await
            .contains_text(&outside)
    );

    // Made in English (the page's language is the application's; the captcha the tests
    // read is Dutch), rejected by a medewerker: the mail is English, with the reason.
    applied(&app, "visitor@example.com", &[]).await;
    let id = app
        .sql_i64("SELECT id FROM applications WHERE email = 'visitor@example.com'")
        .await;
    app.sql_i64(&format!(
        "UPDATE applications SET language = 'en' WHERE id = {id} RETURNING id"
    ))
    .await;
    let detail = format!("{QUEUE}/{id}");
    // A reason is required.
    let before = audit_entries(&app).await.len();
    let resp = an
        .post_form(
            &detail,
            &[("besluit", "afwijzen"), ("versie", "0"), ("reden", "  ")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        audit_entries(&app).await.len(),
        before + 1,
        "one entry for one POST"
    );
    assert_eq!(actions(&app).await[0], "application.reject refused");
    let page = resp.html();
    assert!(page.contains_text("Vul een tekst in van maximaal 2000 tekens."));
    assert_eq!(
        app.sql_text(&format!("SELECT status FROM applications WHERE id = {id}"))
            .await
            .as_deref(),
        Some("received")
    );
    let resp = an
        .post_form(
            &detail,
            &[
                ("besluit", "afwijzen"),
                ("versie", "0"),
                ("reden", "Only residents of the centre qualify."),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(actions(&app).await[0], "application.reject ok");
    let mail = newest_mail(&app, "visitor@example.com").await;
    assert_eq!(
        mail.subject,
        "Decision on your application to Gemeente Dijkstad"
    );
    assert!(mail.text.contains("Only residents of the centre qualify."));
    // Its own link shows the reason.
    let link = status_path(&app, &mail.text);
    let status_page = Anonymous::new(&app).page(&link).await;
    assert!(status_page.contains_text("Afgewezen"));
    assert!(status_page.contains_text("Only residents of the centre qualify."));
}

#[tokio::test]
async fn a_question_is_answered_on_the_status_page_and_the_answer_reaches_staff() {
    let app = TestApp::spawn().await;
    let (reference, detail) = applied(&app, "aanvrager@example.nl", &[]).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let resp = an
        .post_form(
            &detail,
            &[
                ("besluit", "vragen"),
                ("versie", "0"),
                ("vraag", "Woont u op dit adres?"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(actions(&app).await[0], "application.ask ok");
    assert_eq!(status_of(&app, &reference).await, "info_needed");
    let mail = newest_mail(&app, "aanvrager@example.nl").await;
    assert_eq!(
        mail.subject,
        "Uw aanvraag bij Gemeente Dijkstad: wij hebben meer informatie nodig"
    );
    assert!(mail.text.contains("Woont u op dit adres?"));
    let link = status_path(&app, &mail.text);
    let applicant = Anonymous::new(&app);
    let page = applicant.page(&link).await;
    assert!(page.contains_text("Aanvullende informatie nodig"));
    assert!(page.contains_text("Woont u op dit adres?"));
    // An empty answer is named, and nothing changes.
    let form = page.form(&link);
    let resp = applicant.submit(&form, &[("antwoord", " ")]).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("Vul uw antwoord in"));
    let resp = applicant
        .submit(&form, &[("antwoord", "Ja, sinds januari.")])
        .await;
    assert_eq!(resp.status(), 303);
    let after = applicant.page(&format!("{link}?beantwoord=1")).await;
    assert!(after.contains_text("Uw antwoord is verstuurd."));
    assert!(after.contains_text("In behandeling"));
    assert_eq!(status_of(&app, &reference).await, "in_review");
    // Answering again, with no question open, is refused.
    let resp = applicant.submit(&form, &[("antwoord", "Nog iets.")]).await;
    assert_eq!(resp.status(), 409);
    let staff_page = an.page(&detail).await;
    assert!(staff_page.contains_text("Antwoord van de aanvrager"));
    assert!(staff_page.contains_text("Ja, sinds januari."));
}

#[tokio::test]
async fn duplicates_at_the_address_and_for_a_plate_are_flagged() {
    let app = TestApp::spawn().await;
    // Dijkstad opens its permit, whose products hold plates.
    configure(&app, true, &[]).await;
    let permit = "/g/dijkstad/aanvragen/bewoners";
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let browser = Anonymous::new(&app);
    let resp = apply(
        &browser,
        permit,
        "eerste@example.nl",
        &[("kentekens", "AB-12-34")],
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let first = reference_on(&resp.html());
    let id = app
        .sql_i64(&format!(
            "SELECT id FROM applications WHERE reference = '{first}'"
        ))
        .await;
    let page = an.page(&format!("{QUEUE}/{id}")).await;
    assert!(!page.contains_text("mogelijk dubbel"), "nothing yet");
    // Approved: an active permit at 1234 AB 12 A with AB-12-34.
    let resp = an
        .post_form(
            &format!("{QUEUE}/{id}"),
            &[("besluit", "toekennen"), ("versie", "0")],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let code = app
        .sql_text("SELECT p.code FROM products p JOIN applications a ON a.product_id = p.id")
        .await
        .unwrap();
    // Havenmond's permit holding the same plate is another gemeente's: never flagged here.
    app.app
        .as_ref()
        .unwrap()
        .state()
        .desk()
        .issue(parkportal_domain::coupling::IssueRequest {
            tenant: "havenmond".into(),
            product_type: Some("bewoners".into()),
            plates: vec![parkportal_domain::plate::Plate::parse_tagged("AB-12-34").unwrap()],
            ..Default::default()
        })
        .await
        .unwrap();
    let elsewhere = app
        .sql_text(
            "SELECT p.code FROM products p JOIN tenants t ON t.id = p.tenant_id \
             WHERE t.slug = 'havenmond'",
        )
        .await
        .unwrap();
    // Another at the same address (typed otherwise) for the same plate, and a third.
    let resp = apply(
        &Anonymous::new(&app),
        permit,
        "tweede@example.nl",
        &[("huisnummer", "12a"), ("kentekens", "ab1234")],
    )
    .await;
    let second = reference_on(&resp.html());
    let resp = apply(
        &Anonymous::new(&app),
        permit,
        "derde@example.nl",
        &[("kentekens", "AB-12-34")],
    )
    .await;
    let third = reference_on(&resp.html());
    let id = app
        .sql_i64(&format!(
            "SELECT id FROM applications WHERE reference = '{second}'"
        ))
        .await;
    let page = an.page(&format!("{QUEUE}/{id}")).await;
    assert!(page.contains_text("Let op: mogelijk dubbel"));
    assert!(page.contains_text(&format!(
        "Op dit adres is al een actief product van dit soort: {code}."
    )));
    assert!(page.contains_text(&format!(
        "Kenteken AB-12-34 staat al op actief product {code}."
    )));
    assert!(page.contains_text(&format!(
        "Voor dit adres staat nog een aanvraag open: {third}."
    )));
    assert!(page.contains_text(&format!(
        "Kenteken AB-12-34 staat ook in open aanvraag {third}."
    )));
    assert!(page.links_to(&format!("/beheer/dijkstad/producten/{code}")));
    assert!(
        !page.contains_text(&elsewhere),
        "another gemeente's product is not shown"
    );
}

#[tokio::test]
async fn another_gemeentes_medewerker_finds_nothing_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (reference, detail) = applied(&app, "aanvrager@example.nl", &[]).await;
    let id = detail.rsplit('/').next().unwrap().to_owned();
    let other = staff(&app, "sam@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    // Under their own gemeente the id is no application of theirs.
    let theirs = format!("/beheer/weidevelde/aanvragen/{id}");
    assert_eq!(other.get(&theirs).await.status(), 404);
    assert_eq!(actions(&app).await[0], "application.read refused");
    let resp = other
        .post_form(
            &theirs,
            &[("besluit", "afwijzen"), ("versie", "0"), ("reden", "Nee.")],
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(actions(&app).await[0], "application.reject refused");
    assert!(
        !other
            .page("/beheer/weidevelde/aanvragen")
            .await
            .contains_text(&reference)
    );
    // Dijkstad's own pages are not theirs at all.
    assert_ne!(other.get(&detail).await.status(), 200);
    assert_eq!(status_of(&app, &reference).await, "received");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM application_messages")
            .await,
        0
    );
}

#[tokio::test]
async fn decided_applications_leave_after_their_time_and_open_ones_stay() {
    let app = TestApp::spawn().await;
    let (open, _) = applied(&app, "open@example.nl", &[]).await;
    let (decided, detail) = applied(&app, "besloten@example.nl", &[]).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    an.post_form(
        &detail,
        &[
            ("besluit", "afwijzen"),
            ("versie", "0"),
            ("reden", "Dubbel."),
        ],
    )
    .await;
    assert_eq!(status_of(&app, &decided).await, "rejected");
    let housekeeping = app.app.as_ref().unwrap().housekeeping().clone();
    app.clock.advance(Duration::days(182));
    assert_eq!(housekeeping.run_once().await.unwrap().applications, 0);
    app.clock.advance(Duration::days(2));
    assert_eq!(housekeeping.run_once().await.unwrap().applications, 1);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM applications").await,
        1,
        "the open one stays"
    );
    assert_eq!(status_of(&app, &open).await, "received");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM application_messages")
            .await,
        0,
        "the reason went with it"
    );
}

#[tokio::test]
async fn a_suspended_gemeente_takes_no_applications_and_grants_none() {
    let app = TestApp::spawn().await;
    let (reference, detail) = applied(&app, "aanvrager@example.nl", &[]).await;
    let browser = Anonymous::new(&app);
    let form = browser.get(FORM).await.text().to_owned();
    let console = app.app.as_ref().unwrap().console();
    console
        .suspensions()
        .suspend(
            "dijkstad",
            "Onderhoud",
            parkportal_domain::audit::Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    let list = browser.page("/g/dijkstad/aanvragen").await;
    assert!(list.contains_text("Deze gemeente neemt op dit moment geen aanvragen aan."));
    assert!(!list.links_to(FORM));
    assert_eq!(browser.get(FORM).await.status(), 409);
    // A form loaded before is refused on sending, and nothing is stored.
    let sent = crate::loket::fields(&form, "later@example.nl");
    let sent: Vec<(&str, &str)> = sent.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let resp = browser.post_form(FORM, &sent).await;
    assert_eq!(resp.status(), 409);
    assert_eq!(crate::loket::applications(&app).await, 1);
    // Staff cannot grant: nothing is issued while suspended.
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let resp = an
        .post_form(&detail, &[("besluit", "toekennen"), ("versie", "0")])
        .await;
    assert_eq!(resp.status(), 409);
    assert!(resp.html().contains_text("De gemeente is opgeschort"));
    assert_eq!(actions(&app).await[0], "application.approve refused");
    assert_eq!(status_of(&app, &reference).await, "received");
}

#[tokio::test]
async fn of_two_medewerkers_deciding_on_the_same_page_one_wins_and_the_other_is_told() {
    let app = TestApp::spawn().await;
    let (reference, detail) = applied(&app, "aanvrager@example.nl", &[]).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::Staff).await;
    // Both have the page open at the same revision.
    let seen = an
        .page(&detail)
        .await
        .form(&detail)
        .value("versie")
        .map(str::to_owned);
    assert_eq!(seen.as_deref(), Some("0"));
    assert_eq!(
        bo.page(&detail).await.form(&detail).value("versie"),
        Some("0"),
        "opening a page changes no revision"
    );
    let resp = an
        .post_form(
            &detail,
            &[
                ("besluit", "vragen"),
                ("versie", "0"),
                ("vraag", "Woont u hier?"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    // Bo decides on what Bo saw: refused, and nothing was issued.
    for besluit in [
        vec![("besluit", "toekennen"), ("versie", "0")],
        vec![
            ("besluit", "vragen"),
            ("versie", "0"),
            ("vraag", "Nog een vraag?"),
        ],
    ] {
        let resp = bo.post_form(&detail, &besluit).await;
        assert_eq!(resp.status(), 409, "{besluit:?}");
        assert!(
            resp.html()
                .contains_text("Over deze aanvraag is intussen al besloten")
        );
    }
    assert_eq!(status_of(&app, &reference).await, "info_needed");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM application_messages")
            .await,
        1
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM applications WHERE product_id IS NOT NULL")
            .await,
        0
    );
    // The store's own guard: a product for an application decided meanwhile is not issued.
    let id = detail.rsplit('/').next().unwrap().parse::<i64>().unwrap();
    let products = app.sql_i64("SELECT COUNT(*) FROM products").await;
    let entry = parkportal_domain::audit::AuditEntry::new(
        parkportal_domain::audit::Actor::Operator,
        "application.approve",
        "test",
        parkportal_domain::Clock::now(app.clock.as_ref()),
    );
    let stale = app
        .app
        .as_ref()
        .unwrap()
        .state()
        .desk()
        .issue(parkportal_domain::coupling::IssueRequest {
            tenant: "dijkstad".into(),
            application: Some(parkportal_domain::loket::decisions::ApplicationGrant {
                id: parkportal_domain::ApplicationId(id),
                seen: 0,
                owner: None,
                mail: None,
                audit: entry,
            }),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(
            stale,
            Err(parkportal_domain::coupling::IssueError::ApplicationDecided)
        ),
        "{stale:?}"
    );
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM products").await, products);
}

#[tokio::test]
async fn a_type_set_to_letters_makes_the_allocation_letter_when_granted() {
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    for t in &mut config.product_types {
        t.letter_on_grant = t.code.as_str() == "bezoekers";
    }
    tenants.import(&config).await.unwrap();
    let (reference, detail) = applied(&app, "aanvrager@example.nl", &[]).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let page = an.page(&detail).await;
    let sent = page.form(&detail).submission(&[]);
    assert!(
        sent.iter().any(|(n, v)| n == "brief" && v == "ja"),
        "the type's setting ticks the letter: {sent:?}"
    );
    let letters = app.sql_i64("SELECT COUNT(*) FROM product_letters").await;
    // The box ticked is what is sent: a letter.
    let resp = an
        .post_form(
            &detail,
            &[("besluit", "toekennen"), ("versie", "0"), ("brief", "ja")],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(status_of(&app, &reference).await, "granted");
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM product_letters l JOIN applications a ON a.product_id = l.product_id"
        )
        .await,
        1,
        "the granted product's letter"
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM product_letters").await,
        letters + 1
    );
    // Unticked, a second one gets none: the setting is the form's default, not a must.
    let (_, second) = applied(&app, "tweede@example.nl", &[]).await;
    let resp = an
        .post_form(&second, &[("besluit", "toekennen"), ("versie", "0")])
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM product_letters").await,
        letters + 1,
        "no letter unticked"
    );
}

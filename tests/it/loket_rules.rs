//! The rule decides first (#25): an approval ends coupled with no staff action, a failing rule
//! means review and is recorded without plate or postcode, an approval of an address in no zone
//! waits for a person, and the rules console tries an application as the loket would decide it.

use crate::loket::{FORM, apply};
use crate::loket_queue::{
    actions, application_rule_error, applied, configure, newest_mail, reference_on, rule, status_of,
};
use crate::support::{Anonymous, TestApp, audit_entries, call, resident, staff};
use parkportal_domain::staff::Role;

#[tokio::test]
async fn an_application_the_rule_approves_ends_coupled_without_staff() {
    let app = TestApp::spawn().await;
    rule(
        &app,
        r#"fn application(ctx) {
            if ctx.zone == "stationsgebied" && ctx.active_products_at_address == 0 { "approve" } else { "review" }
        }"#,
    )
    .await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let browser = jan.web(&app).await;
    let resp = apply(browser, FORM, "", &[]).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let reference = reference_on(&resp.html());
    assert_eq!(status_of(&app, &reference).await, "granted");
    // Coupled at once: Jan holds two products now, the new one at his address.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM products p JOIN applications a ON a.product_id = p.id \
             WHERE a.reference = '{reference}' AND p.owner_id IS NOT NULL"
        ))
        .await,
        1
    );
    let (status, products) = call(&app, "GET", "/api/v1/products", None, Some(&jan.token)).await;
    assert_eq!(status, 200);
    assert_eq!(
        products["items"].as_array().map(Vec::len),
        Some(2),
        "{products}"
    );
    let mail = newest_mail(&app, "jan@example.nl").await;
    assert_eq!(
        mail.subject,
        "Uw aanvraag bij Gemeente Dijkstad is toegekend"
    );
    assert!(mail.text.contains(&reference));
    let trail = audit_entries(&app).await;
    assert!(
        trail
            .iter()
            .any(|e| e.action == "application.approve" && e.actor == "regel (digitaal loket)"),
        "the rule is the actor"
    );
    let mine = browser.page("/g/dijkstad/mijn-aanvragen").await;
    assert!(mine.contains_text("Toegekend"));
    // A second application at the same address the rule leaves to staff.
    let resp = apply(browser, FORM, "", &[]).await;
    let second = reference_on(&resp.html());
    assert_eq!(status_of(&app, &second).await, "received");
}

#[tokio::test]
async fn a_failing_rule_means_review_and_is_recorded() {
    let app = TestApp::spawn().await;
    rule(&app, r#"fn application(ctx) { ctx.plates[5] }"#).await;
    let (reference, _) = applied(&app, "aanvrager@example.nl", &[]).await;
    assert_eq!(status_of(&app, &reference).await, "received");
    assert_eq!(
        app.sql_text("SELECT rule_outcome FROM applications")
            .await
            .as_deref(),
        Some("rule_error")
    );
    // The rule-error table is written from a queue: give it its moment.
    assert!(application_rule_error(&app).await.is_some());
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM rule_errors WHERE function = 'application'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_failing_rule_records_no_plate_or_postcode_and_an_unplaced_approval_waits() {
    let app = TestApp::spawn().await;
    configure(
        &app,
        true,
        &[
            (
                "bewoners",
                r#"fn application(ctx) { throw ctx.plates[0] + " " + ctx.postcode; }"#,
            ),
            ("bezoekers", r#"fn application(ctx) { "approve" }"#),
        ],
    )
    .await;
    let resp = apply(
        &Anonymous::new(&app),
        "/g/dijkstad/aanvragen/bewoners",
        "vergunning@example.nl",
        &[("kentekens", "AB-12-34")],
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let message = application_rule_error(&app)
        .await
        .expect("the failure recorded");
    assert!(
        message.contains("[kenteken]") && message.contains("[postcode]"),
        "{message}"
    );
    assert!(
        !message.contains("AB1234") && !message.contains("1234 AB"),
        "{message}"
    );
    // The rule approves an address in no zone: a person places it.
    let (outside, _) = applied(&app, "buiten@example.nl", &[("postcode", "9999 ZZ")]).await;
    assert_eq!(status_of(&app, &outside).await, "received");
    assert_eq!(
        app.sql_text(&format!(
            "SELECT rule_outcome FROM applications WHERE reference = '{outside}'"
        ))
        .await
        .as_deref(),
        Some("approve_unplaced")
    );
}

#[tokio::test]
async fn the_rules_console_tries_an_application_against_the_rule() {
    let app = TestApp::spawn().await;
    rule(
        &app,
        r#"fn application(ctx) {
            if ctx.zone == "" { return #{ reject: "Niet in een vergunningsgebied." }; }
            if ctx.active_products_at_address == 0 && ctx.plates.len() == 0 { "approve" } else { "review" }
        }"#,
    )
    .await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let path = "/beheer/dijkstad/regels/aanvraag-uitproberen";
    let form = bo.page(path).await;
    assert_eq!(form.form(path).value("producttype"), Some("bezoekers"));
    let try_it = |fields: Vec<(&'static str, &'static str)>| {
        let bo = &bo;
        async move {
            let mut sent = vec![("producttype", "bezoekers"), ("huisnummer", "12")];
            sent.extend(fields);
            bo.post_form(path, &sent).await
        }
    };
    let resp = try_it(vec![("postcode", "1234ab")]).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let page = resp.html();
    assert!(page.contains_text("Toekennen: het product wordt meteen uitgegeven."));
    assert!(page.contains_text("Het adres ligt in zone Stationsgebied."));
    assert_eq!(actions(&app).await[0], "rules.dry_run ok");
    let page = try_it(vec![("postcode", "1234 AB"), ("producten_adres", "1")])
        .await
        .html();
    assert!(page.contains_text("Aan een medewerker laten."));
    let page = try_it(vec![("postcode", "9999 ZZ")]).await.html();
    assert!(page.contains_text("Reden voor de aanvrager: Niet in een vergunningsgebied."));
    assert!(page.contains_text("Het adres ligt in geen enkele zone"));
    // An approval of an address in no zone goes to a person, as an application's would.
    rule(&app, r#"fn application(ctx) { "approve" }"#).await;
    let page = try_it(vec![("postcode", "9999 ZZ")]).await.html();
    assert!(page.contains_text("Toekennen, maar het adres ligt in geen zone"));
    // What is wrong is named at its field, kept as typed, and on the record.
    let resp = try_it(vec![("postcode", "12345"), ("kentekens", "AB-12-34")]).await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    assert!(page.contains_text("Vul een postcode in als 1234 AB."));
    assert_eq!(page.form(path).value("kentekens"), Some("AB-12-34"));
    assert_eq!(actions(&app).await[0], "rules.dry_run refused");
    // Nothing was stored.
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM applications").await, 0);
    // A medewerker does not try rules.
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    assert_eq!(an.get(path).await.status(), 403);
}

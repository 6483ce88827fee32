//! The dashboard of a gemeente's console home (its figures, for every staff role) and its list
//! of rule errors (beheerders): exact figures of residents, products, sessions and top-ups made
//! through the portal, counted on the gemeente's local day and never another gemeente's.

use super::*;
use crate::support::html::Html;
use crate::support::{Resident, api_token, at, call, resident, resident_with};
use parkportal_domain::RuleErrorEntry;
use parkportal_domain::coupling::IssueRequest;
use parkportal_domain::{EmailAddress, RuleRepository};
use serde_json::json;

/// The figures of a dashboard by their tiles: products, residents, sessions today, top-ups
/// today, what they brought in, rule errors.
fn figures(page: &Html) -> [String; 6] {
    [
        "cijfer-producten",
        "cijfer-bewoners",
        "cijfer-parkeeracties",
        "cijfer-opwaarderingen",
        "cijfer-opwaardeerbedrag",
        "cijfer-regelfouten",
    ]
    .map(|id| page.by_id(id).unwrap_or_else(|| panic!("no tile {id}")))
}

/// Buys top-up `option` for `r` through the API and pays it (`paid`) or not in the simulated
/// checkout, as the payer's browser does.
async fn top_up(app: &TestApp, r: &Resident, option: &str, outcome: &str) {
    let (status, created) = call(
        app,
        "POST",
        &format!("/api/v1/products/{}/top-ups", r.product),
        Some(json!({ "option": option })),
        Some(&r.token),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let checkout = created["checkout_url"].as_str().unwrap();
    let path = checkout.strip_prefix(&app.url).unwrap_or(checkout);
    let paid = Anonymous::new(app)
        .post_form(path, &[("uitkomst", outcome)])
        .await;
    assert_eq!(paid.status(), 303, "{}", paid.text());
}

/// A product of `tenant` for `email` whose last valid day is `last_day`.
async fn resident_until(app: &TestApp, tenant: &str, email: &str, last_day: &str) -> Resident {
    resident_with(
        app,
        IssueRequest {
            tenant: tenant.into(),
            email: Some(EmailAddress::parse(email).unwrap()),
            valid_until: Some(last_day.parse().unwrap()),
            ..IssueRequest::default()
        },
    )
    .await
}

/// Records a rule error of `slug` at `when`, as the rules engine's writer does.
async fn rule_error(app: &TestApp, slug: &str, when: chrono::DateTime<chrono::Utc>, text: &str) {
    let application = app.app.as_ref().unwrap();
    let tenant = application.tenants().by_slug(slug).await.unwrap().unwrap();
    parkportal_store::SeaRuleRepository::new(application.database().clone())
        .record_error(RuleErrorEntry {
            tenant: tenant.id,
            script: "rules/bezoekers.rhai".into(),
            script_version: 1,
            function: "cost".into(),
            message: text.into(),
            at: when,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_dashboard_counts_this_gemeentes_figures_of_its_local_day() {
    let app = TestApp::spawn().await;
    // Sunday 1 March, 20:00 in Amsterdam: yesterday, seen from the dashboard.
    app.clock.set(at(1, 20, 0));
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    jan.park(&app, "12-GBD-3", at(1, 21, 0)).await;
    top_up(&app, &jan, "10.00", "paid").await;
    // A product whose last day was yesterday: expired today, and so is its resident.
    resident_until(&app, "dijkstad", "oud@example.nl", "2026-03-01").await;
    // Monday 00:30: today already, although UTC is still on Sunday.
    app.clock.set(at(2, 0, 30));
    // Hours later the API's login has timed out: log in again.
    let jan = jan.with_token(api_token(&app, "jan@example.nl").await);
    jan.park(&app, "34-XYZ-5", at(2, 1, 0)).await;

    app.clock.set(crate::support::monday_morning());
    let jan = jan.with_token(api_token(&app, "jan@example.nl").await);
    // Jan gets a second product (he counts once); piet has one; one more is issued but not
    // coupled yet (a product, no resident).
    resident(&app, "dijkstad", "jan@example.nl", None).await;
    let piet = resident(&app, "dijkstad", "piet@example.nl", None).await;
    app.issue_to("dijkstad", "niemand@example.nl").await;
    jan.park(&app, "56-GBD-7", at(2, 11, 0)).await;
    // Planned for this afternoon: it has not started yet.
    let (status, planned) = jan
        .start(
            &app,
            json!({"plate": "78-GBD-9", "start": at(2, 14, 0).to_rfc3339(), "end": at(2, 15, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{planned}");
    top_up(&app, &piet, "25.00", "paid").await;
    top_up(&app, &jan, "10.00", "paid").await;
    top_up(&app, &jan, "50.00", "canceled").await;
    // Havenmond has its own resident and session, and its own rule error; Dijkstad one of 25
    // hours ago (outside the last day) and one of an hour ago.
    let kees = resident(&app, "havenmond", "kees@example.nl", Some("600")).await;
    kees.park(&app, "90-GBD-1", at(2, 11, 0)).await;
    let now = crate::support::monday_morning();
    rule_error(&app, "havenmond", now, "Havenmond's error").await;
    rule_error(&app, "dijkstad", now - Duration::hours(25), "Too old").await;
    rule_error(&app, "dijkstad", now - Duration::hours(1), "Stack overflow").await;

    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let home = an.page("/beheer/dijkstad").await;
    assert_eq!(
        figures(&home),
        ["4", "2", "2", "2", "Vandaag betaald: samen € 35,00.", "1"].map(String::from)
    );
    assert!(home.contains_text("Stand van 02-03-2026 10:00"));
    assert!(
        an.get("/beheer/dijkstad")
            .await
            .text()
            .contains("€\u{a0}35,00"),
        "the amount never breaks after its sign"
    );
    // The role and recovery notice stay; a medewerker sees the number of rule errors without
    // the link to a page only beheerders may open.
    assert!(home.contains_text("werkt hier als medewerker"));
    assert!(home.contains_text("U heeft nog 10 herstelcodes."));
    assert!(!home.links_to("/beheer/dijkstad/regelfouten"));
    // In English the total reads the English way.
    assert_eq!(
        an.get("/beheer/taal?lang=en&terug=/beheer/dijkstad")
            .await
            .status(),
        303
    );
    let english = an.page("/beheer/dijkstad").await;
    assert_eq!(
        english.by_id("cijfer-opwaardeerbedrag").as_deref(),
        Some("Paid today: €35.00 in total.")
    );

    let piet_b = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let haven = piet_b.page("/beheer/havenmond").await;
    assert_eq!(
        figures(&haven),
        ["1", "1", "1", "0", "Vandaag betaald: samen € 0,00.", "1"].map(String::from)
    );
    assert_eq!(
        haven.link("Bekijk de regelfouten"),
        "/beheer/havenmond/regelfouten"
    );

    // Tomorrow, today's sessions and top-ups are yesterday's.
    app.clock.set(at(3, 9, 0));
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let tomorrow = bo.page("/beheer/dijkstad").await;
    assert_eq!(
        figures(&tomorrow),
        ["4", "2", "0", "0", "Vandaag betaald: samen € 0,00.", "0"].map(String::from)
    );
    assert_eq!(
        tomorrow.link("Bekijk de regelfouten"),
        "/beheer/dijkstad/regelfouten"
    );
}

#[tokio::test]
async fn the_rule_errors_of_a_gemeente_are_listed_for_its_beheerders_only() {
    let app = TestApp::spawn().await;
    let now = crate::support::monday_morning();
    // A failing script, through the server: the resident's session is refused and the error
    // recorded, with the plate it quoted replaced.
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let application = app.app.as_ref().unwrap();
    let tenants = application.tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    config.scripts.insert(
        "bezoekers".parse().unwrap(),
        "fn max_concurrent_sessions(ctx) { throw \"geen plek voor \" + ctx.plate; }".into(),
    );
    tenants.import(&config).await.unwrap();
    let (status, refused) = jan
        .start(
            &app,
            json!({"plate": "12-GBD-3", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("rule_error"))
    );
    rule_error(
        &app,
        "dijkstad",
        now - Duration::days(2),
        "Too many operations",
    )
    .await;
    rule_error(&app, "havenmond", now, "Havenmond's own").await;

    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    // The engine's writer records in the background: wait for it (the clock stands still).
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = bo.page("/beheer/dijkstad/regelfouten").await.rows();
        if rows.len() > 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        rows[0],
        ["Tijd", "Producttype", "Functie", "Scriptversie", "Melding"].map(String::from)
    );
    assert_eq!(rows.len(), 2, "the last 24 hours only: {rows:?}");
    assert_eq!(rows[1][0], "02-03-2026 10:00:00");
    assert_eq!(rows[1][1..3], ["bezoekers", "max_concurrent_sessions"]);
    assert_eq!(rows[1][3], "2");
    assert!(rows[1][4].contains("geen plek voor [kenteken]"), "{rows:?}");
    assert!(!rows[1][4].contains("12GBD3") && !rows[1][4].contains("12-GBD-3"));
    let home = bo.page("/beheer/dijkstad").await;
    assert_eq!(figures(&home)[5], "1");
    let list = bo.page(&home.link("Bekijk de regelfouten")).await;
    assert!(list.contains_text("Regelfouten van de laatste 24 uur."));
    assert!(list.links_to("/beheer/dijkstad/regelfouten"), "the menu");
    assert!(!list.contains_text("Havenmond's own"));

    // A period of whole local days finds the older one.
    let days = bo
        .page("/beheer/dijkstad/regelfouten?van=2026-02-28&tot=2026-03-02")
        .await;
    assert!(days.contains_text("Regelfouten van 28-02-2026 tot en met 02-03-2026."));
    let messages: Vec<String> = days.rows().iter().skip(1).map(|r| r[4].clone()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[1], "Too many operations", "newest first");
    let before = bo.page("/beheer/dijkstad/regelfouten?tot=2026-02-27").await;
    assert!(before.contains_text("Geen regelfouten in deze periode."));

    // Narrowed by function, product type and script version, each kept in the paging links.
    let period = "/beheer/dijkstad/regelfouten?van=2026-02-28&tot=2026-03-02";
    for (filter, expected) in [
        ("&haak=cost", vec!["Too many operations"]),
        (
            "&haak=max_concurrent_sessions&versie=2",
            vec!["geen plek voor [kenteken]"],
        ),
        ("&haak=max_concurrent_sessions&versie=1", vec![]),
        ("&producttype=bewoners", vec![]),
        (
            "&producttype=bezoekers&versie=1",
            vec!["Too many operations"],
        ),
    ] {
        let page = bo.page(&format!("{period}{filter}")).await;
        let found: Vec<String> = page.rows().iter().skip(1).map(|r| r[4].clone()).collect();
        assert_eq!(found.len(), expected.len(), "{filter}: {found:?}");
        for (f, e) in found.iter().zip(&expected) {
            assert!(f.contains(e), "{filter}: {found:?}");
        }
        let form = page.form("/beheer/dijkstad/regelfouten");
        assert_eq!(
            form.value("haak"),
            filter
                .split("haak=")
                .nth(1)
                .map(|h| h.split('&').next().unwrap())
                .or(Some(""))
        );
    }
    for (query, message) in [
        ("haak=kost", "Kies een functie uit de lijst."),
        ("versie=0", "Vul een versienummer in, zoals 3."),
        ("producttype=B%21", "Kies een producttype uit de lijst."),
    ] {
        let bad = bo
            .get(&format!("/beheer/dijkstad/regelfouten?{query}"))
            .await;
        assert_eq!(bad.status(), 422, "{query}");
        assert!(bad.html().contains_text(message), "{query}");
    }

    // Dates that are none, or the wrong way round: the form again with its error, 422.
    let bad = bo.get("/beheer/dijkstad/regelfouten?van=gisteren").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.html().contains_text("Vul een datum in als jjjj-mm-dd"));
    assert!(bad.text().contains("aria-invalid=\"true\""));
    let backwards = bo
        .get("/beheer/dijkstad/regelfouten?van=2026-03-02&tot=2026-03-01")
        .await;
    assert_eq!(backwards.status(), 422);
    assert!(
        backwards
            .html()
            .contains_text("De einddatum ligt voor de begindatum.")
    );

    // A medewerker sees the dashboard but not the list; another gemeente's beheerder finds
    // neither; a platformbeheerder opens both.
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    assert_eq!(an.get("/beheer/dijkstad").await.status(), 200);
    assert_eq!(an.get("/beheer/dijkstad/regelfouten").await.status(), 403);
    assert!(
        !an.page("/beheer/dijkstad")
            .await
            .links_to("/beheer/dijkstad/regelfouten"),
        "no menu entry either"
    );
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    assert_eq!(piet.get("/beheer/dijkstad").await.status(), 404);
    assert_eq!(piet.get("/beheer/dijkstad/regelfouten").await.status(), 404);
    let theirs = piet.page("/beheer/havenmond/regelfouten").await;
    assert!(theirs.contains_text("Havenmond's own"));
    assert!(!theirs.contains_text("geen plek voor"));
    let root = platform_admin(&app, "root@parkportal.nl").await;
    assert_eq!(root.get("/beheer/dijkstad/regelfouten").await.status(), 200);
}

#[tokio::test]
async fn the_rule_error_list_pages_by_fifty() {
    let app = TestApp::spawn().await;
    let now = crate::support::monday_morning();
    for i in 0..51 {
        rule_error(
            &app,
            "dijkstad",
            now - Duration::minutes(i),
            &format!("error {i}"),
        )
        .await;
    }
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let first = bo.page("/beheer/dijkstad/regelfouten").await;
    assert_eq!(first.rows().len(), 51, "a header and fifty");
    assert_eq!(first.rows()[1][4], "error 0");
    let older = first.link("Oudere regelfouten");
    assert_eq!(older, "/beheer/dijkstad/regelfouten?pagina=2");
    let second = bo.page(&older).await;
    assert_eq!(second.rows().len(), 2);
    assert_eq!(second.rows()[1][4], "error 50");
    assert_eq!(
        second.link("Nieuwere regelfouten"),
        "/beheer/dijkstad/regelfouten?pagina=1"
    );
}

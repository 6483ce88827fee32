//! Suspending and resuming a gemeente from the platform's console: what residents of that
//! gemeente can no longer do (start, plan, extend, top up: on the pages and in the API, with
//! `tenant_suspended`) and still can (see, stop with the refund), that another gemeente goes on,
//! the audit trail, and who may do it.

use super::*;
use crate::support::{Resident, call};
use parkportal_domain::Clock;
use serde_json::json;

const CLOSED: &str = "Deze gemeente heeft het parkeerportaal tijdelijk gesloten.";
const REFUSED: &str = "Uw gemeente heeft het parkeerportaal tijdelijk gesloten";

/// Suspends `slug` through the console's confirmation page with `reason`.
async fn suspend(root: &Staff, slug: &str, reason: &str) {
    let path = format!("/beheer/platform/gemeenten/{slug}/schorsen");
    let page = root.page(&path).await;
    let resp = root.submit(&page.form(&path), &[("reden", reason)]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(
        resp.location(),
        format!("/beheer/platform?geschorst={slug}")
    );
}

/// Resumes `slug` through the console's confirmation page.
async fn resume(root: &Staff, slug: &str) {
    let path = format!("/beheer/platform/gemeenten/{slug}/hervatten");
    let page = root.page(&path).await;
    let resp = root.submit(&page.form(&path), &[]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(resp.location(), format!("/beheer/platform?hervat={slug}"));
}

/// [Bekijk kosten] for a session of an hour from now on the resident's pages.
async fn quote_on_page(app: &TestApp, r: &Resident) -> crate::support::response::Response {
    let now = app.clock.now().with_timezone(&chrono_tz::Europe::Amsterdam);
    let later = now + Duration::hours(1);
    r.post_form(
        app,
        &format!("/producten/{}/parkeeracties/nieuw", r.product),
        &[
            ("stap", "bekijk"),
            ("kenteken", "GB-12-HJ"),
            ("startmoment", "nu"),
            ("startdatum", &now.format("%Y-%m-%d").to_string()),
            ("starttijd", &now.format("%H:%M").to_string()),
            ("einddatum", &later.format("%Y-%m-%d").to_string()),
            ("eindtijd", &later.format("%H:%M").to_string()),
        ],
    )
    .await
}

#[tokio::test]
async fn a_suspended_gemeente_starts_and_sells_nothing_but_running_sessions_run_out_and_stop() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let piet = resident(&app, "havenmond", "piet@example.nl", None).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let root = platform_admin(&app, "root@parkportal.nl").await;
    let running = jan
        .park(&app, "AB-12-34", app.clock.now() + Duration::hours(2))
        .await;
    let short = jan
        .park(&app, "GB-12-HJ", app.clock.now() + Duration::minutes(12))
        .await;
    let before = jan.balance(&app).await;

    suspend(&root, "dijkstad", "Onderhoud van de parkeerautomaten").await;
    let list = root.page("/beheer/platform?geschorst=dijkstad").await;
    assert!(
        list.contains_text("Gemeente Dijkstad is geschorst."),
        "{}",
        list.text()
    );
    let row = list.row("Gemeente Dijkstad");
    assert!(row[4].starts_with("Geschorst sinds"), "{row:?}");
    assert!(
        row[4].contains("Onderhoud van de parkeerautomaten"),
        "{row:?}"
    );
    assert!(row[5].contains("Hervat"), "{row:?}");
    assert!(list.row("Gemeente Havenmond")[4].contains("Actief"));

    // In the API: a start, an extension and a top-up are refused with the code; nothing new.
    let (status, body) = jan
        .start(&app, json!({"plate": "GB-12-HJ", "end": (app.clock.now() + Duration::hours(1)).to_rfc3339()}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "tenant_suspended");
    assert_eq!(body["error"]["reasons"], json!(["tenant_suspended"]));
    assert_eq!(body["error"]["alternatives"], json!([]));
    assert!(body["error"]["message"].as_str().unwrap().contains(REFUSED));
    let (status, body) = jan
        .extend(&app, running, app.clock.now() + Duration::hours(3))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "tenant_suspended");
    let top_up = format!("/api/v1/products/{}/top-ups", jan.product);
    let (status, offer) = call(&app, "GET", &top_up, None, Some(&jan.token)).await;
    assert_eq!(status, 200);
    assert_eq!(offer["items"], json!([]));
    assert_eq!(offer["reason"], "tenant_suspended");
    let (status, body) = call(
        &app,
        "POST",
        &top_up,
        Some(json!({"option": "10.00"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "tenant_suspended");
    assert_eq!(
        jan.balance(&app).await,
        before,
        "nothing was reserved or bought"
    );

    // On the pages: every page of the gemeente says so; a start and a top-up are refused.
    let sessions = jan
        .page(&app, &format!("/producten/{}/parkeeracties", jan.product))
        .await;
    assert!(sessions.contains_text(CLOSED), "{}", sessions.text());
    assert!(app.page("/g/dijkstad/").await.contains(CLOSED));
    let all = jan.page(&app, "/producten").await;
    assert!(
        all.contains_text("Parkeerportaal tijdelijk gesloten"),
        "{}",
        all.text()
    );
    let quote = quote_on_page(&app, &jan).await;
    assert_eq!(quote.status(), 200);
    assert!(quote.html().contains_text(REFUSED), "{}", quote.text());
    assert!(
        !quote.html().contains_text("Bevestigen"),
        "no way to confirm"
    );
    let top_up_page = format!("/producten/{}/opwaarderen", jan.product);
    let page = jan.page(&app, &top_up_page).await;
    assert!(page.contains_text(REFUSED) && !page.contains_text("Betaal"));
    let paid = jan
        .post_form(&app, &top_up_page, &[("optie", "10.00")])
        .await;
    assert_eq!(paid.status(), 409);
    assert!(paid.html().contains_text(REFUSED));

    // What runs runs out: it is still listed, and stopping it refunds the unused part.
    let live = jan.live(&app).await;
    let ids: Vec<i64> = live["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_i64())
        .collect();
    assert!(ids.contains(&running) && ids.contains(&short), "{live}");
    app.clock.advance(Duration::minutes(10));
    let (status, stopped) = jan.end(&app, running).await;
    assert_eq!(status, 200, "{stopped}");
    let after_stop = jan.balance(&app).await;
    assert!(after_stop > before, "the unused part came back");
    ledger_holds(&app).await;
    // The other reaches its end while the gemeente is suspended: it ends as paid, no refund.
    app.clock.advance(Duration::minutes(3));
    assert_eq!(jan.live(&app).await["items"], json!([]));
    assert_eq!(jan.balance(&app).await, after_stop);
    ledger_holds(&app).await;

    // Another gemeente goes on as before.
    let (status, body) = piet
        .start(&app, json!({"plate": "GB-12-HJ", "end": (app.clock.now() + Duration::hours(1)).to_rfc3339()}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(!app.page("/g/havenmond/").await.contains(CLOSED));
    let haven = piet
        .page(&app, &format!("/producten/{}/parkeeracties", piet.product))
        .await;
    assert!(!haven.contains_text(CLOSED));

    // The gemeente's own staff still work in its console, which says it is suspended.
    let home = an.page("/beheer/dijkstad").await;
    assert!(
        home.contains_text("Deze gemeente is geschorst sinds"),
        "{}",
        home.text()
    );
    assert!(home.contains_text("Onderhoud van de parkeerautomaten"));

    // Resumed, a start works again and the notice is gone.
    resume(&root, "dijkstad").await;
    assert!(
        root.page("/beheer/platform?hervat=dijkstad")
            .await
            .contains_text("Gemeente Dijkstad is hervat.")
    );
    jan.park(&app, "GB-12-HJ", app.clock.now() + Duration::hours(1))
        .await;
    assert!(!app.page("/g/dijkstad/").await.contains(CLOSED));
    assert!(!an.page("/beheer/dijkstad").await.contains_text("geschorst"));

    // Both changes are on the record: who, which gemeente, why.
    let dijkstad = app
        .app
        .as_ref()
        .unwrap()
        .tenants()
        .by_slug("dijkstad")
        .await
        .unwrap()
        .unwrap();
    let entries = audit_entries(&app).await;
    let of = |action: &str| {
        entries
            .iter()
            .filter(|e| e.action == action)
            .collect::<Vec<_>>()
    };
    let suspended = of("tenant.suspended");
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0].actor, "root@parkportal.nl");
    assert!(suspended[0].actor_id.is_some());
    assert_eq!(suspended[0].tenant, Some(dijkstad.id));
    assert_eq!(suspended[0].object_kind.as_deref(), Some("tenant"));
    assert_eq!(
        suspended[0].object_id.as_deref(),
        Some(dijkstad.id.0.to_string().as_str())
    );
    assert_eq!(
        suspended[0].reason.as_deref(),
        Some("Onderhoud van de parkeerautomaten")
    );
    assert_eq!(suspended[0].result, "ok");
    let resumed = of("tenant.resumed");
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].actor, "root@parkportal.nl");
    assert_eq!(resumed[0].tenant, Some(dijkstad.id));
}

#[tokio::test]
async fn only_a_platformbeheerder_suspends_with_a_reason_and_twice_is_once() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let root = platform_admin(&app, "root@parkportal.nl").await;
    let path = "/beheer/platform/gemeenten/dijkstad/schorsen";

    // A beheerder of the gemeente itself may not: 403 and nothing changes.
    assert_eq!(bo.get(path).await.status(), 403);
    let refused = bo.post_form(path, &[("reden", "Zomaar")]).await;
    assert_eq!(refused.status(), 403);
    let resume = "/beheer/platform/gemeenten/dijkstad/hervatten";
    assert_eq!(bo.post_form(resume, &[]).await.status(), 403);
    // The changes made (a refusal is on the record too, as refused).
    let count = |action: &'static str| {
        let app = &app;
        async move {
            audit_entries(app)
                .await
                .iter()
                .filter(|e| e.action == action && e.result == "ok")
                .count()
        }
    };
    assert_eq!(count("tenant.suspended").await, 0);

    // A reason is required, and bounded.
    let page = root.page(path).await;
    let form = page.form(path);
    let empty = root.submit(&form, &[("reden", "   ")]).await;
    assert_eq!(empty.status(), 422);
    assert!(
        empty
            .html()
            .contains_text("Vul een reden in voor de schorsing.")
    );
    let long = "x".repeat(501);
    let too_long = root.submit(&form, &[("reden", &long)]).await;
    assert_eq!(too_long.status(), 422);
    assert!(too_long.html().contains_text("hooguit 500 tekens"));
    assert_eq!(count("tenant.suspended").await, 0);
    let refused = audit_entries(&app).await;
    assert_eq!(
        (
            refused[0].action.as_str(),
            refused[0].result.as_str(),
            refused[0].reason.as_deref()
        ),
        ("tenant.suspended", "refused", Some("reason_too_long"))
    );
    assert_eq!(refused[1].reason.as_deref(), Some("reason_empty"));
    assert_eq!(refused[1].actor, "root@parkportal.nl");
    assert!(!app.page("/g/dijkstad/").await.contains(CLOSED));

    // An unknown gemeente is 404.
    let unknown = root
        .post_form(
            "/beheer/platform/gemeenten/nergenshuizen/schorsen",
            &[("reden", "Test")],
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        root.get("/beheer/platform/gemeenten/nergenshuizen/hervatten")
            .await
            .status(),
        404
    );

    // Resuming an active gemeente changes nothing; suspending twice records once.
    assert!(
        root.page(resume)
            .await
            .contains_text("Gemeente Dijkstad is niet geschorst.")
    );
    suspend(&root, "dijkstad", "Eerste keer").await;
    let again = root.post_form(path, &[("reden", "Tweede keer")]).await;
    assert_eq!(again.status(), 303);
    assert_eq!(count("tenant.suspended").await, 1);
    let shown = root.page(path).await;
    assert!(
        shown.contains_text("is al geschorst sinds"),
        "{}",
        shown.text()
    );
    let stored = app
        .app
        .as_ref()
        .unwrap()
        .tenants()
        .by_slug("dijkstad")
        .await
        .unwrap()
        .unwrap();
    let suspension = stored.suspension.expect("suspended");
    assert_eq!(suspension.reason, "Eerste keer");
    assert_eq!(suspension.by, "root@parkportal.nl");

    // A bundle carries no suspension, and importing one again leaves it as it is.
    let tenants = app.app.as_ref().unwrap().tenants();
    let bundle = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    tenants.import(&bundle).await.unwrap();
    let after = tenants.by_slug("dijkstad").await.unwrap().unwrap();
    assert_eq!(
        after.suspension.map(|s| s.reason).as_deref(),
        Some("Eerste keer")
    );
    assert_eq!(after.version, stored.version + 1);
}

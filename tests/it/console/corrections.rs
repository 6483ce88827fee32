//! Balance corrections at the help desk, black-box on both databases: a small one posted at once
//! through the ledger (the resident sees it with its reason, the entry names the medewerker),
//! every wrong input named, never below zero; one above the limit waits until a second
//! medewerker approves (posted then, checked again) or rejects it, never its proposer, once only
//! under simultaneous clicks; another gemeente's medewerker gets 404 throughout.

use super::*;

/// The form of the correction of `code` in Dijkstad.
fn form_of(code: &str) -> String {
    format!("/beheer/dijkstad/producten/{code}/saldo")
}

/// The staff id of `email`.
async fn staff_id(app: &TestApp, email: &str) -> i64 {
    app.sql_i64(&format!(
        "SELECT id FROM staff_members WHERE email = '{email}'"
    ))
    .await
}

/// Proposes `amount` for `reason` on `code` as `who`: the answer.
async fn propose(
    who: &Staff,
    code: &str,
    amount: &str,
    reason: &str,
) -> crate::support::response::Response {
    let form = who.page(&form_of(code)).await.form(&form_of(code));
    who.submit(&form, &[("bedrag", amount), ("reden", reason)])
        .await
}

#[tokio::test]
async fn a_small_correction_is_posted_at_once_with_its_reason_and_never_below_zero() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let page = an.page(&form_of(&code)).await;
    assert!(page.contains_text("€ 5,00"));
    assert!(page.contains_text("meer dan € 50,00"), "{}", page.text());

    for (amount, reason, message) in [
        ("2,50", "  ", "Vul een reden in van hoogstens 500 tekens."),
        ("0", "typo", "Vul een bedrag in dat niet nul is"),
        ("twee", "typo", "Vul een bedrag in dat niet nul is"),
        ("0,001", "typo", "Vul een bedrag in dat niet nul is"),
        (
            "-6",
            "te veel",
            "Met deze correctie wordt het saldo negatief.",
        ),
    ] {
        let resp = propose(&an, &code, amount, reason).await;
        assert_eq!(resp.status(), 422, "{amount} {reason:?}");
        assert!(
            resp.html().contains_text(message),
            "{amount}: {}",
            resp.text()
        );
        assert!(resp.text().contains("aria-invalid=\"true\""), "{amount}");
    }
    assert_eq!(jan.balance(&app).await, "5.00");
    assert_eq!(newest(&app, "balance.corrected").await.result, "refused");

    // Another gemeente's medewerker: 404 for the form and the POST; nothing changes.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/producten/{code}/saldo");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    let resp = piet
        .post_form(&theirs, &[("bedrag", "1"), ("reden", "x")])
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(jan.balance(&app).await, "5.00");

    let resp = propose(&an, &code, "+2,50", "Automaat defect, actie niet gestopt").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(
        resp.location().ends_with("?gedaan=saldo"),
        "{}",
        resp.location()
    );
    let page = an.page(resp.location()).await;
    assert!(page.contains_text("De correctie is doorgevoerd."));
    assert!(page.contains_text("€ 7,50"));
    assert_eq!(jan.balance(&app).await, "7.50");

    // The entry names the medewerker; the resident reads it with its reason.
    let stored = app
        .sql_text(
            "SELECT kind || '|' || amount || '|' || staff_id || '|' || note FROM ledger_entries \
             WHERE kind = 'staff_correction'",
        )
        .await;
    let an_id = staff_id(&app, "an@dijkstad.nl").await;
    assert_eq!(
        stored,
        Some(format!(
            "staff_correction|250|{an_id}|Automaat defect, actie niet gestopt"
        ))
    );
    let history = jan
        .api(
            &app,
            "GET",
            &format!("/api/v1/products/{}/history/transactions", jan.product),
            None,
        )
        .await
        .json();
    let first = &history["items"][0];
    assert_eq!(first["kind"], "staff_correction", "{history}");
    assert_eq!(first["note"], "Automaat defect, actie niet gestopt");
    let entry = newest(&app, "balance.corrected").await;
    assert_eq!(
        (entry.result.as_str(), entry.actor.as_str()),
        ("ok", "an@dijkstad.nl")
    );
    assert_eq!(entry.object_id, Some(jan.product.to_string()));
    assert_eq!(
        entry.reason.as_deref(),
        Some("Automaat defect, actie niet gestopt")
    );

    // Taking all of it off is fine; one cent more is not.
    assert_eq!(
        propose(&an, &code, "-7,50", "terug naar nul")
            .await
            .status(),
        303
    );
    assert_eq!(propose(&an, &code, "-0,01", "te veel").await.status(), 422);
    assert_eq!(jan.balance(&app).await, "0.00");
    ledger_holds(&app).await;
}

#[tokio::test]
async fn a_large_correction_waits_for_a_second_medewerker_who_decides_it_once() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let code = code_of(&app, jan.product).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let cor = staff(&app, "cor@dijkstad.nl", "dijkstad", Role::Staff).await;

    let resp = propose(&an, &code, "60", "Vergoeding na klacht").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("?gedaan=saldo_wacht"));
    assert_eq!(jan.balance(&app).await, "5.00", "nothing posted yet");
    let page = an.page(resp.location()).await;
    assert!(page.contains_text("wacht op goedkeuring"));
    let proposed = newest(&app, "balance.correction_proposed").await;
    assert_eq!(proposed.result, "ok");
    assert_eq!(proposed.object_id, Some(jan.product.to_string()));

    // The proposer sees it waiting for someone else, and cannot decide it.
    let list = an.page("/beheer/dijkstad/correcties").await;
    assert!(list.contains_text("Uw eigen correctie"));
    let id = app
        .sql_i64("SELECT id FROM balance_corrections WHERE status = 'pending'")
        .await;
    let one = format!("/beheer/dijkstad/correcties/{id}");
    let mine = an.page(&one).await;
    assert!(mine.contains_text("Dit is uw eigen correctie."));
    assert!(mine.forms().iter().all(|f| f.action != one));
    let refused = an.post_form(&one, &[("besluit", "goedkeuren")]).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(jan.balance(&app).await, "5.00");
    let entry = newest(&app, "balance.correction_approved").await;
    assert_eq!(
        (entry.result.as_str(), entry.reason.as_deref()),
        ("refused", Some("own_correction"))
    );

    // Another gemeente's medewerker: 404 for the page and the decision.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let theirs = format!("/beheer/havenmond/correcties/{id}");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    let resp = piet.post_form(&theirs, &[("besluit", "goedkeuren")]).await;
    assert_eq!(resp.status(), 404);
    assert!(
        !piet
            .page("/beheer/havenmond/correcties")
            .await
            .contains_text(&code)
    );

    // Two medewerkers approve at the same moment: it is posted once.
    let list = bo.page("/beheer/dijkstad/correcties").await;
    assert!(list.links_to(&one));
    let form = bo.page(&one).await.form(&one);
    let other = cor.page(&one).await.form(&one);
    let (first, second) = tokio::join!(
        bo.submit(&form, &[("besluit", "goedkeuren")]),
        cor.submit(&other, &[("besluit", "goedkeuren")]),
    );
    let mut locations = [first.location().to_owned(), second.location().to_owned()];
    locations.sort();
    assert_eq!(
        locations,
        [
            "/beheer/dijkstad/correcties?gedaan=al_besloten".to_owned(),
            "/beheer/dijkstad/correcties?gedaan=goedgekeurd".to_owned()
        ]
    );
    assert_eq!(jan.balance(&app).await, "65.00");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'staff_correction'")
            .await,
        1
    );
    // The one that lost is on the record too, refused.
    let decisions: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "balance.correction_approved")
        .collect();
    let approved = decisions.iter().find(|e| e.result == "ok").unwrap().clone();
    assert!(
        decisions
            .iter()
            .any(|e| e.reason.as_deref() == Some("correction_decided"))
    );
    assert_eq!(approved.object_kind.as_deref(), Some("correction"));
    assert_eq!(approved.object_id, Some(id.to_string()));
    let decider = app
        .sql_i64(&format!(
            "SELECT decided_by FROM balance_corrections WHERE id = {id}"
        ))
        .await;
    let entry_staff = app
        .sql_i64("SELECT staff_id FROM ledger_entries WHERE kind = 'staff_correction'")
        .await;
    assert_eq!(decider, entry_staff, "the entry names who approved it");
    assert_eq!(approved.actor_id.map(|s| s.0), Some(decider));

    // One that would go below zero by the time it is approved is refused then; another is
    // rejected and changes nothing.
    assert_eq!(
        propose(&an, &code, "-60", "dubbel geboekt").await.status(),
        303
    );
    let below = app
        .sql_i64("SELECT id FROM balance_corrections WHERE status = 'pending'")
        .await;
    assert_eq!(propose(&an, &code, "-10", "teveel").await.status(), 303);
    assert_eq!(jan.balance(&app).await, "55.00");
    let path = format!("/beheer/dijkstad/correcties/{below}");
    let resp = bo.post_form(&path, &[("besluit", "goedkeuren")]).await;
    assert_eq!(resp.status(), 409);
    assert!(
        resp.html()
            .contains_text("Met deze correctie wordt het saldo negatief.")
    );
    let resp = bo.post_form(&path, &[("besluit", "afwijzen")]).await;
    assert_eq!(
        resp.location(),
        "/beheer/dijkstad/correcties?gedaan=afgewezen"
    );
    assert_eq!(jan.balance(&app).await, "55.00");
    let status = app
        .sql_text(&format!(
            "SELECT status FROM balance_corrections WHERE id = {below}"
        ))
        .await;
    assert_eq!(status.as_deref(), Some("rejected"));
    assert!(
        bo.page("/beheer/dijkstad/correcties")
            .await
            .contains_text("Er wachten geen correcties.")
    );
    let resp = bo.post_form(&path, &[("besluit", "iets")]).await;
    assert_eq!(resp.status(), 400);
    ledger_holds(&app).await;
}

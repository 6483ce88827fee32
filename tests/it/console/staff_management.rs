//! Staff management in a gemeente's console: invitations mailed and used once, roles changed
//! at the next request, accounts deactivated at once, second factors reset, what a beheerder
//! may not do (their own account, an account of another gemeente), and the audit trail of it.

use super::*;
use crate::support::response::Response;
use crate::support::smtp::SmtpServer;
use crate::support::with_smtp;

/// The path of the enrolment link in the newest of the first `count` mails to `to`.
async fn link_to(smtp: &SmtpServer, count: usize, to: &str) -> String {
    let mails = smtp.wait_for(count).await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to == [to.to_owned()])
        .expect("a mail to the invitee");
    let link = mail.link("/beheer/inschrijven/");
    link[link.find("/beheer/").unwrap()..].to_owned()
}

/// The id of `email` among the staff of `slug`.
async fn member_id(app: &TestApp, slug: &str, email: &str) -> i64 {
    let tenant = app.tenant(slug).await;
    app.app
        .as_ref()
        .unwrap()
        .console()
        .staff()
        .members(tenant.id)
        .await
        .unwrap()
        .iter()
        .find(|l| l.member.email.as_str() == email)
        .map(|l| l.member.id.0)
        .expect("a member of the gemeente")
}

/// Sends the invitation form of `slug` as `by`.
async fn invite(by: &Staff, slug: &str, name: &str, email: &str, role: &str) -> Response {
    let path = format!("/beheer/{slug}/medewerkers/uitnodigen");
    let page = by.page(&path).await;
    by.submit(
        &page.form(&path),
        &[("naam", name), ("email", email), ("rol", role)],
    )
    .await
}

/// Confirms the account action `word` on member `id` of `slug` as `by`.
async fn confirm(by: &Staff, slug: &str, id: i64, word: &str) -> Response {
    let path = format!("/beheer/{slug}/medewerkers/{id}/{word}");
    let page = by.page(&path).await;
    by.submit(&page.form(&path), &[]).await
}

#[tokio::test]
async fn an_invitation_is_mailed_enrols_once_into_the_gemeente_and_expires_after_a_day() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let resp = invite(&bo, "dijkstad", "Els de Vries", "els@dijkstad.nl", "staff").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let id = member_id(&app, "dijkstad", "els@dijkstad.nl").await;
    assert_eq!(
        resp.location(),
        format!("/beheer/dijkstad/medewerkers?gedaan=uitgenodigd&id={id}")
    );
    let list = bo.page(resp.location()).await;
    assert!(list.contains_text("Els de Vries is uitgenodigd als medewerker"));
    let row = list.row("Els de Vries");
    assert_eq!(row[1], "els@dijkstad.nl");
    assert_eq!(row[2], "Medewerker");
    assert!(row[3].starts_with("Uitgenodigd"), "{row:?}");

    // The mail holds the link (after Bo's own); it enrols Els into Dijkstad as medewerker.
    let mails = smtp.wait_for(2).await;
    assert!(
        mails[1].text().contains("Beste Els de Vries"),
        "{}",
        mails[1].text()
    );
    let path = link_to(&smtp, 2, "els@dijkstad.nl").await;
    let els = Staff::enrol_with_link(&app, "els@dijkstad.nl", &path).await;
    assert_eq!(els.get("/beheer/dijkstad").await.status(), 200);
    assert_eq!(els.get("/beheer/dijkstad/medewerkers").await.status(), 403);
    assert_eq!(els.get("/beheer/havenmond").await.status(), 404);
    assert_eq!(
        bo.page("/beheer/dijkstad/medewerkers")
            .await
            .row("Els de Vries")[3],
        "Actief"
    );
    // Used once: the link no longer opens the enrolment.
    let again = Staff::browser(&app, "els@dijkstad.nl").get(&path).await;
    assert_eq!(again.status(), 410);
    assert!(
        again
            .html()
            .contains_text("Deze inschrijflink is al gebruikt.")
    );

    // Another invitation, left for more than the 24 hours: expired, and listed so.
    invite(&bo, "dijkstad", "Kees", "kees@dijkstad.nl", "tenant_admin").await;
    let path = link_to(&smtp, 3, "kees@dijkstad.nl").await;
    app.clock.advance(Duration::hours(25));
    bo.login(&app).await;
    let expired = Staff::browser(&app, "kees@dijkstad.nl").get(&path).await;
    assert_eq!(expired.status(), 410);
    assert!(
        expired
            .html()
            .contains_text("Deze inschrijflink is verlopen.")
    );
    let row = bo.page("/beheer/dijkstad/medewerkers").await.row("Kees");
    assert_eq!(row[2], "Beheerder");
    assert_eq!(row[3], "Niet ingeschreven; de inschrijflink is verlopen");
    // A new invitation renews it: a fresh link, mailed.
    let kees = member_id(&app, "dijkstad", "kees@dijkstad.nl").await;
    let resp = confirm(&bo, "dijkstad", kees, "tweede-factor").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let path = link_to(&smtp, 4, "kees@dijkstad.nl").await;
    let kees = Staff::enrol_with_link(&app, "kees@dijkstad.nl", &path).await;
    assert_eq!(kees.get("/beheer/dijkstad/medewerkers").await.status(), 200);

    // On the record, in the gemeente, with the role given.
    let entries = audit_entries(&app).await;
    let invited: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "staff.invited")
        .collect();
    assert_eq!(invited.len(), 2);
    assert!(invited.iter().all(|e| e.actor == "bo@dijkstad.nl"
        && e.result == "ok"
        && e.role.as_deref() == Some("tenant_admin")));
    assert_eq!(invited[1].reason.as_deref(), Some("none→staff"));
    assert_eq!(
        invited[1].object_id.as_deref(),
        Some(id.to_string().as_str())
    );
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    assert_eq!(an.get("/beheer/dijkstad/auditlog").await.status(), 403);
    let id = member_id(&app, "dijkstad", "an@dijkstad.nl").await;
    let path = format!("/beheer/dijkstad/medewerkers/{id}");
    let page = bo.page(&path).await;
    let resp = bo
        .submit(&page.form(&path), &[("rol", "tenant_admin")])
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), format!("{path}?gedaan=rol"));
    assert!(
        bo.page(resp.location())
            .await
            .contains_text("De rol van Test an@dijkstad.nl is nu beheerder")
    );
    // The same session, its next request: a beheerder now.
    assert_eq!(an.get("/beheer/dijkstad/auditlog").await.status(), 200);
    // The same again changes nothing, and says so on the record.
    let before = audit_entries(&app).await.len();
    let resp = bo
        .submit(&page.form(&path), &[("rol", "tenant_admin")])
        .await;
    assert_eq!(resp.location(), format!("{path}?gedaan=ongewijzigd"));
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(
        (entries[0].result.as_str(), entries[0].reason.as_deref()),
        ("refused", Some("unchanged"))
    );
    // No role any more: out of the gemeente at once, the account kept.
    let resp = bo.submit(&page.form(&path), &[("rol", "geen")]).await;
    assert_eq!(
        resp.location(),
        "/beheer/dijkstad/medewerkers?gedaan=verwijderd"
    );
    assert_eq!(an.get("/beheer/dijkstad").await.status(), 404);
    assert_eq!(bo.get(&path).await.status(), 404);
    assert_eq!(an.get("/beheer").await.status(), 200);
    let changes: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "staff.role_changed" && e.result == "ok")
        .map(|e| e.reason.unwrap_or_default())
        .collect();
    assert_eq!(changes, ["tenant_admin→none", "staff→tenant_admin"]);
    // A role that is none of these is refused with the page again, on the record.
    let id = member_id(&app, "dijkstad", "bo@dijkstad.nl").await;
    let other = staff(&app, "cor@dijkstad.nl", "dijkstad", Role::Staff).await;
    drop(other);
    let cor = member_id(&app, "dijkstad", "cor@dijkstad.nl").await;
    let path = format!("/beheer/dijkstad/medewerkers/{cor}");
    let resp = bo.post_form(&path, &[("rol", "platform_admin")]).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("Kies een rol."));
    let entry = &audit_entries(&app).await[0];
    assert_eq!(
        (entry.action.as_str(), entry.result.as_str()),
        ("staff.role_changed", "refused")
    );
    assert_eq!(entry.reason.as_deref(), Some("invalid_input"));
    // One's own role is changed by someone else.
    let own = format!("/beheer/dijkstad/medewerkers/{id}");
    assert!(
        bo.page(&own)
            .await
            .contains_text("Dit is uw eigen account.")
    );
    let resp = bo.post_form(&own, &[("rol", "staff")]).await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Uw eigen account kunt u hier niet wijzigen")
    );
    assert_eq!(bo.get("/beheer/dijkstad/medewerkers").await.status(), 200);
}

#[tokio::test]
async fn a_deactivated_account_is_refused_at_once_and_comes_back_when_reactivated() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    assert_eq!(an.get("/beheer/dijkstad").await.status(), 200);
    let id = member_id(&app, "dijkstad", "an@dijkstad.nl").await;
    let confirmation = bo
        .page(&format!("/beheer/dijkstad/medewerkers/{id}/deactiveren"))
        .await;
    assert!(confirmation.contains_text("wordt meteen overal uitgelogd"));
    let resp = confirm(&bo, "dijkstad", id, "deactiveren").await;
    assert_eq!(
        resp.location(),
        format!("/beheer/dijkstad/medewerkers/{id}?gedaan=gedeactiveerd")
    );
    // The open session is refused on its very next request.
    let resp = an.get("/beheer/dijkstad").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), "/beheer/inloggen");
    let resp = an.password_step(STAFF_PASSWORD).await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Het e-mailadres of het wachtwoord klopt niet.")
    );
    let page = bo.page(&format!("/beheer/dijkstad/medewerkers/{id}")).await;
    assert!(page.contains_text("Uitgeschakeld"));
    assert!(page.links_to(&format!("/beheer/dijkstad/medewerkers/{id}/activeren")));
    let resp = confirm(&bo, "dijkstad", id, "activeren").await;
    assert_eq!(resp.status(), 303);
    app.clock.advance(Duration::seconds(30));
    an.login(&app).await;
    assert_eq!(an.get("/beheer/dijkstad").await.status(), 200);
    let actions: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action.starts_with("staff.") && e.actor == "bo@dijkstad.nl")
        .map(|e| (e.action, e.object_id, e.tenant.is_some()))
        .collect();
    assert_eq!(
        actions[..2],
        [
            ("staff.reactivated".to_owned(), Some(id.to_string()), true),
            ("staff.deactivated".to_owned(), Some(id.to_string()), true)
        ]
    );
}

#[tokio::test]
async fn a_reset_second_factor_ends_the_sessions_and_only_the_new_link_gets_back_in() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    smtp.wait_for(2).await;
    let id = member_id(&app, "dijkstad", "an@dijkstad.nl").await;
    let resp = confirm(&bo, "dijkstad", id, "tweede-factor").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(
        bo.page(resp.location())
            .await
            .contains_text("Er is een nieuwe inschrijflink gemaild naar an@dijkstad.nl")
    );
    assert_eq!(an.get("/beheer/dijkstad").await.status(), 303);
    let resp = an.password_step(STAFF_PASSWORD).await;
    assert!(
        resp.html()
            .contains_text("Uw tweede factor is opnieuw ingesteld")
    );
    let path = link_to(&smtp, 3, "an@dijkstad.nl").await;
    let an = Staff::enrol_with_link(&app, "an@dijkstad.nl", &path).await;
    assert_eq!(an.get("/beheer/dijkstad").await.status(), 200);
}

#[tokio::test]
async fn a_beheerder_changes_no_account_that_works_where_they_are_not_beheerder() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let dirk = staff(&app, "dirk@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    // Bo cannot pull Havenmond's beheerder into Dijkstad: only a platformbeheerder can.
    let resp = invite(&bo, "dijkstad", "Dirk", "dirk@havenmond.nl", "staff").await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text(
        "Dit e-mailadres heeft al een account voor een andere gemeente. Alleen een platformbeheerder kan het hier een rol geven."
    ));
    let entry = &audit_entries(&app).await[0];
    assert_eq!(
        (entry.action.as_str(), entry.reason.as_deref()),
        ("staff.invited", Some("account_elsewhere"))
    );
    assert_eq!(dirk.get("/beheer/dijkstad").await.status(), 404);
    let root = platform_admin(&app, "root@parkportal.nl").await;
    let resp = invite(&root, "dijkstad", "Dirk", "dirk@havenmond.nl", "staff").await;
    assert_eq!(resp.status(), 303);
    assert!(
        root.page(resp.location())
            .await
            .contains_text("had al een account en werkt nu ook hier, als medewerker")
    );
    assert_eq!(dirk.get("/beheer/dijkstad").await.status(), 200);
    let id = member_id(&app, "dijkstad", "dirk@havenmond.nl").await;
    let path = format!("/beheer/dijkstad/medewerkers/{id}");
    // The platformbeheerder sees where else Dirk works; Bo only that he does.
    assert!(
        root.page(&path)
            .await
            .contains_text("Havenmond (beheerder)")
    );
    let page = bo.page(&path).await;
    assert!(!page.contains_text("Havenmond"));
    assert!(page.contains_text("ook in 1 andere gemeente(n)"));
    assert!(page.contains_text(
        "Uitschakelen of een nieuwe inschrijflink sturen kan alleen een platformbeheerder"
    ));
    assert!(!page.links_to(&format!("/beheer/dijkstad/medewerkers/{id}/deactiveren")));
    // A forged confirmation is refused, on the record, and changes nothing.
    let resp = bo
        .post_form(
            &format!("/beheer/dijkstad/medewerkers/{id}/deactiveren"),
            &[],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let entry = &audit_entries(&app).await[0];
    assert_eq!(entry.reason.as_deref(), Some("account_elsewhere"));
    assert_eq!(dirk.get("/beheer/havenmond").await.status(), 200);
    // Taking his role in Dijkstad away is Bo's to do.
    let resp = bo.submit(&page.form(&path), &[("rol", "geen")]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(dirk.get("/beheer/dijkstad").await.status(), 404);
    // A platformbeheerder may change the account as a whole.
    let dirk_id = member_id(&app, "havenmond", "dirk@havenmond.nl").await;
    let resp = confirm(&root, "havenmond", dirk_id, "deactiveren").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(dirk.get("/beheer/havenmond").await.status(), 303);
}

#[tokio::test]
async fn staff_of_another_gemeente_stay_out_of_reach() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let dirk = staff(&app, "dirk@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let cor = staff(&app, "cor@havenmond.nl", "havenmond", Role::Staff).await;
    let id = member_id(&app, "havenmond", "cor@havenmond.nl").await;
    // Dijkstad's list names none of Havenmond's, and Havenmond's member is no member here.
    let list = bo.page("/beheer/dijkstad/medewerkers").await;
    assert!(!list.contains_text("cor@havenmond.nl"));
    for word in ["", "/deactiveren", "/activeren", "/tweede-factor"] {
        let path = format!("/beheer/dijkstad/medewerkers/{id}{word}");
        assert_eq!(bo.get(&path).await.status(), 404, "{path}");
        let resp = bo.post_form(&path, &[("rol", "tenant_admin")]).await;
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(
            bo.get(&format!("/beheer/havenmond/medewerkers/{id}{word}"))
                .await
                .status(),
            404
        );
    }
    assert_eq!(
        bo.get("/beheer/dijkstad/medewerkers/abc").await.status(),
        404
    );
    // Cor is untouched: still a medewerker of Havenmond, logged in.
    assert_eq!(cor.get("/beheer/havenmond").await.status(), 200);
    assert_eq!(cor.get("/beheer/havenmond/auditlog").await.status(), 403);
    assert_eq!(
        dirk.page("/beheer/havenmond/medewerkers")
            .await
            .row("Test cor@havenmond.nl")[2],
        "Medewerker"
    );
}

#[tokio::test]
async fn a_bad_invitation_is_refused_field_by_field_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let before = audit_entries(&app).await.len();
    let resp = invite(&bo, "dijkstad", "", "geen-adres", "platform_admin").await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    assert!(page.contains_text("Vul de naam in."));
    assert!(page.contains_text("Vul een geldig e-mailadres in"));
    assert!(page.contains_text("Kies een rol."));
    assert_eq!(
        page.form("/beheer/dijkstad/medewerkers/uitnodigen")
            .value("email"),
        Some("geen-adres")
    );
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(
        (entries[0].action.as_str(), entries[0].result.as_str()),
        ("staff.invited", "refused")
    );
    // Someone who already works here.
    let resp = invite(&bo, "dijkstad", "Bo", "BO@dijkstad.nl", "staff").await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Dit e-mailadres werkt al in de console van deze gemeente.")
    );
    assert_eq!(
        audit_entries(&app).await[0].reason.as_deref(),
        Some("staff_already_here")
    );
}

#[tokio::test]
async fn the_platform_lists_each_gemeentes_beheerders_with_a_way_to_its_staff() {
    let app = TestApp::spawn().await;
    let _bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let _an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let root = platform_admin(&app, "root@parkportal.nl").await;
    let page = root.page("/beheer/platform").await;
    let dijkstad = page.row("Gemeente Dijkstad");
    assert!(
        dijkstad[3].contains("Test bo@dijkstad.nl (bo@dijkstad.nl)"),
        "{dijkstad:?}"
    );
    assert!(!dijkstad[3].contains("an@dijkstad.nl"), "{dijkstad:?}");
    let havenmond = page.row("Gemeente Havenmond");
    assert!(
        havenmond[3].contains("Nog geen beheerder."),
        "{havenmond:?}"
    );
    assert!(page.links_to("/beheer/havenmond/medewerkers"));
    // Through it, a platformbeheerder invites Havenmond's first beheerder.
    let resp = invite(
        &root,
        "havenmond",
        "Dirk",
        "dirk@havenmond.nl",
        "tenant_admin",
    )
    .await;
    assert_eq!(resp.status(), 303);
    let page = root.page("/beheer/platform").await;
    assert!(page.row("Gemeente Havenmond")[3].contains("Dirk (dirk@havenmond.nl)"));
    let entry = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "staff.invited")
        .unwrap();
    assert_eq!(entry.role.as_deref(), Some("platform_admin"));
    assert_eq!(entry.tenant, Some(app.tenant("havenmond").await.id));
}

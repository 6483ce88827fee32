//! A gemeente's API keys in its console: a beheerder makes one and sees it once, sees it listed
//! without its secret, and revokes it; a medewerker and another gemeente's beheerder reach
//! nothing of it; a refused form is shown again and stores nothing; every attempt leaves one
//! audit entry.

use super::*;
use crate::support::response::Response;
use parkportal_domain::Clock;

const LIST: &str = "/beheer/dijkstad/api-sleutels";

/// Sends the key form of Dijkstad as `by`, its checkboxes replaced by `scopes`.
async fn make(by: &Staff, name: &str, scopes: &[&str], expires: &str) -> Response {
    let page = by.page(LIST).await;
    let mut fields = vec![("naam", name), ("verloopt", expires)];
    fields.extend(scopes.iter().map(|s| ("scopes", *s)));
    by.submit(&page.form(LIST), &fields).await
}

/// The key a page shows: `ppk_` and 64 hex digits.
fn key_on(resp: &Response) -> String {
    let text = resp.html().by_id("sleutel").expect("the key on the page");
    assert!(text.starts_with("ppk_") && text.len() == 68, "{text}");
    text
}

async fn stored_keys(app: &TestApp) -> i64 {
    app.sql_i64("SELECT COUNT(*) FROM api_keys").await
}

#[tokio::test]
async fn a_beheerder_makes_a_key_sees_it_once_and_listed_without_it_and_revokes_it() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let home = bo.page("/beheer/dijkstad").await;
    assert!(home.links_to(LIST));
    let empty = bo.page(LIST).await;
    assert!(empty.contains_text("Deze gemeente heeft nog geen API-sleutels."));
    assert!(empty.contains_text("producten uitgeven"));

    let before = audit_entries(&app).await.len();
    let resp = make(
        &bo,
        "Zaaksysteem",
        &["letters:read", "products:read"],
        "31-12-2099",
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert!(
        resp.html()
            .contains_text("Bewaar deze sleutel nu, hij wordt niet meer getoond.")
    );
    let key = key_on(&resp);
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].result.as_str(),
            entries[0].actor.as_str(),
            entries[0].object_kind.as_deref()
        ),
        ("api_key.created", "ok", "bo@dijkstad.nl", Some("api_key"))
    );
    let dijkstad = app.tenant("dijkstad").await;
    assert_eq!(entries[0].tenant, Some(dijkstad.id));

    // Only a hash is stored: neither the key nor its random part is in the table.
    let hash = app.sql_text("SELECT key_hash FROM api_keys").await.unwrap();
    assert_eq!(hash.len(), 64);
    assert!(!key.contains(&hash) && !hash.contains(&key[4..]));

    // Listed with its name, scopes, maker and expiry, never used, active; the key is not shown.
    let list = bo.page(LIST).await;
    assert!(!list.text().contains(&key[4..]));
    let row = list.row("Zaaksysteem");
    assert_eq!(row[1], "products:read, letters:read");
    assert!(row[2].ends_with("door bo@dijkstad.nl"), "{row:?}");
    assert_eq!(row[3], "nooit");
    assert_eq!(
        row[4], "31-12-2099",
        "the last valid day, as typed (day-month-year)"
    );
    assert_eq!(row[5], "Actief");

    // The key authenticates for Dijkstad with its scopes, and its use shows.
    let keys = app.app.as_ref().unwrap().api_keys();
    let now = app.clock.now();
    let found = keys.authenticate(&key, now).await.unwrap().unwrap();
    assert_eq!(found.tenant, dijkstad.id);
    assert_eq!(found.name, "Zaaksysteem");
    assert_eq!(found.scopes.to_string(), "products:read,letters:read");
    assert_eq!(found.actor().label(), "api-sleutel Zaaksysteem");
    assert_eq!(found.actor().staff_id(), None);
    let row = bo.page(LIST).await.row("Zaaksysteem");
    assert_eq!(row[3], "02-03-2026 10:00");

    // Revoked after a confirmation: it works no more, and the list says so.
    let revoke = list.link("Zaaksysteem intrekken");
    let page = bo.page(&revoke).await;
    assert!(page.contains_text("werkt de sleutel Zaaksysteem meteen niet meer"));
    let before = audit_entries(&app).await.len();
    let resp = bo.submit(&page.form(&revoke), &[]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let done = bo.page(resp.location()).await;
    assert!(done.contains_text("De API-sleutel Zaaksysteem is ingetrokken en werkt niet meer."));
    assert_eq!(done.row("Zaaksysteem")[5], "Ingetrokken");
    assert!(!done.links_to(&revoke));
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(
        (entries[0].action.as_str(), entries[0].result.as_str()),
        ("api_key.revoked", "ok")
    );
    assert!(keys.authenticate(&key, now).await.unwrap().is_none());
    // Its name can be used again.
    let again = make(&bo, "Zaaksysteem", &["products:issue"], "").await;
    assert_eq!(again.status(), 200, "{}", again.text());
    assert_eq!(stored_keys(&app).await, 2);
}

#[tokio::test]
async fn a_medewerker_and_another_gemeentes_beheerder_reach_nothing_of_the_keys() {
    let app = TestApp::spawn().await;
    let (id, key) = api_key(&app, "dijkstad", "koppeling").await;
    let revoke = format!("{LIST}/{id}/intrekken");

    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    assert!(!an.page("/beheer/dijkstad").await.links_to(LIST));
    assert_eq!(an.get(LIST).await.status(), 403);
    assert_eq!(an.get(&revoke).await.status(), 403);
    let resp = an
        .post_form(LIST, &[("naam", "x"), ("scopes", "products:read")])
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(an.post_form(&revoke, &[]).await.status(), 403);

    // Havenmond's beheerder: Dijkstad's console does not exist, nor the key in Havenmond's.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    assert_eq!(piet.get(LIST).await.status(), 404);
    assert_eq!(piet.get(&revoke).await.status(), 404);
    let theirs = format!("/beheer/havenmond/api-sleutels/{id}/intrekken");
    assert_eq!(piet.get(&theirs).await.status(), 404);
    let before = audit_entries(&app).await.len();
    assert_eq!(piet.post_form(&theirs, &[]).await.status(), 404);
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1);
    let havenmond = app.tenant("havenmond").await;
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].result.as_str(),
            entries[0].reason.as_deref(),
            entries[0].tenant
        ),
        (
            "api_key.revoked",
            "refused",
            Some("api_key_not_found"),
            Some(havenmond.id)
        )
    );
    assert!(
        !piet
            .page("/beheer/havenmond/api-sleutels")
            .await
            .contains_text("koppeling")
    );
    // Nothing changed: the key is not revoked and still works.
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
            .await,
        1
    );
    let keys = app.app.as_ref().unwrap().api_keys();
    assert!(
        keys.authenticate(&key, app.clock.now())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_refused_form_is_shown_again_with_its_errors_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let count = || async { audit_entries(&app).await.len() };

    // No name, no scope: both named, tied to their fields.
    let before = count().await;
    let resp = make(&bo, "  ", &[], "").await;
    assert_eq!(resp.status(), 422);
    let html = resp.html();
    assert!(html.contains_text("Vul de naam in."));
    assert!(html.contains_text("Kies ten minste één recht uit de lijst."));
    assert!(
        resp.text()
            .contains(r#"aria-invalid="true" aria-describedby="naam-fout naam-hint""#)
    );
    assert!(
        resp.text()
            .contains(r#"id="scopes" aria-describedby="scopes-fout""#)
    );
    assert_eq!(count().await, before + 1);
    assert_eq!(audit_entries(&app).await[0].result, "refused");

    // A scope that is none (a crafted POST), a date that has passed, a date that is none: each
    // refused with what was typed kept.
    for (scopes, expires, message, reason) in [
        (
            &["products:write"][..],
            "",
            "Kies ten minste één recht uit de lijst.",
            "api_key_scopes_unknown",
        ),
        (
            &["products:read"][..],
            "2020-01-01",
            "Die datum is voorbij",
            "api_key_expiry_passed",
        ),
        (
            &["products:read"][..],
            "morgen",
            "Vul de datum in als dag-maand-jaar",
            "api_key_expiry_invalid",
        ),
    ] {
        let before = count().await;
        let resp = make(&bo, "Koppeling", scopes, expires).await;
        assert_eq!(resp.status(), 422, "{expires}");
        assert!(resp.html().contains_text(message), "{message}");
        assert!(resp.text().contains(r#"value="Koppeling""#));
        let entries = audit_entries(&app).await;
        assert_eq!(entries.len(), before + 1, "{reason}");
        assert_eq!(entries[0].reason.as_deref(), Some(reason));
    }
    assert_eq!(stored_keys(&app).await, 0);

    // A name in use: refused, the ticked scopes kept.
    api_key(&app, "dijkstad", "Koppeling").await;
    let before = count().await;
    let resp = make(&bo, " Koppeling ", &["letters:read"], "").await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Er is al een sleutel met deze naam.")
    );
    let form = resp.html().form(LIST);
    let ticked: Vec<_> = form
        .submission(&[])
        .into_iter()
        .filter(|(k, _)| k == "scopes")
        .collect();
    assert_eq!(ticked, [("scopes".to_owned(), "letters:read".to_owned())]);
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(entries[0].reason.as_deref(), Some("api_key_name_taken"));
    assert_eq!(stored_keys(&app).await, 1);
}

#[tokio::test]
async fn a_key_is_refused_when_expired_altered_or_unknown_and_its_use_is_written_once_a_minute() {
    use parkportal_domain::api_keys::Scopes;
    use parkportal_domain::audit::{Actor, AuditEntry};
    let app = TestApp::spawn().await;
    let keys = app.app.as_ref().unwrap().api_keys();
    let dijkstad = app.tenant("dijkstad").await;
    let now = app.clock.now();
    let until = now + Duration::days(1);
    let entry = AuditEntry::new(Actor::Operator, "api_key.created", "cli", now);
    let (made, secret) = keys
        .create(
            dijkstad.id,
            "tijdelijk",
            Scopes::parse("products:read").unwrap(),
            Some(until),
            entry,
        )
        .await
        .unwrap();
    let key = secret.expose();
    assert!(keys.authenticate(&key, now).await.unwrap().is_some());
    let last = "SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL";
    assert_eq!(app.sql_i64(last).await, 1);
    // Within the minute the stored use stays; after it, it moves.
    let later = now + Duration::seconds(30);
    keys.authenticate(&key, later).await.unwrap().unwrap();
    let record = keys.get(dijkstad.id, made.id).await.unwrap();
    assert_eq!(record.last_used_at, Some(now));
    let later = now + Duration::minutes(2);
    keys.authenticate(&key, later).await.unwrap().unwrap();
    let record = keys.get(dijkstad.id, made.id).await.unwrap();
    assert_eq!(record.last_used_at, Some(later));
    // Expired, altered, cut short, unknown: no key.
    assert!(keys.authenticate(&key, until).await.unwrap().is_none());
    let last_digit = if key.ends_with('0') { "1" } else { "0" };
    let altered = format!("{}{last_digit}", &key[..key.len() - 1]);
    for presented in [altered.as_str(), &key[4..], &key[..60], "", "ppk_"] {
        assert!(
            keys.authenticate(presented, now).await.unwrap().is_none(),
            "{presented}"
        );
    }
}

//! Say what happened (#26): every resident form that changes something returns to a page that
//! says, once, what it did: a start names plate, times and cost; a stop or delete what came
//! back; a save what was saved. Nobody else's link or request can make the portal say it.

use crate::support::html::Html;
use crate::support::{Resident, TestApp, hidden, resident};

/// The one success or information message of `page`: (kind, text).
fn said(page: &Html) -> (String, String) {
    let shown: Vec<_> = page
        .messages()
        .into_iter()
        .filter(|(kind, _, _)| kind == "ok" || kind == "info")
        .collect();
    assert_eq!(shown.len(), 1, "one message: {shown:?}");
    let (kind, role, text) = shown.into_iter().next().unwrap();
    assert_eq!(role.as_deref(), Some("status"));
    (kind, text)
}

/// [+] for `plate` on 2 March 2026 (the clock's day) or later, from `from` to `to`, through the
/// check page and [Bevestigen]; the page it lands on.
async fn start(app: &TestApp, r: &Resident, day: &str, from: &str, to: &str) -> String {
    let new = format!("/producten/{}/parkeeracties/nieuw", r.product);
    let check = r
        .post_form(
            app,
            &new,
            &[
                ("stap", "bekijk"),
                ("kenteken", "ab-12-34"),
                ("land", "NL"),
                ("startdatum", day),
                ("starttijd", from),
                ("einddatum", day),
                ("eindtijd", to),
            ],
        )
        .await;
    assert_eq!(check.status(), 200);
    let check = check.text().to_owned();
    let done = r
        .post_form(
            app,
            &new,
            &[
                ("stap", "bevestig"),
                ("kenteken", "AB1234"),
                ("land", "NL"),
                ("start", &hidden(&check, "start")),
                ("end", &hidden(&check, "end")),
                ("eenmalig", &hidden(&check, "eenmalig")),
            ],
        )
        .await;
    assert_eq!(done.status(), 303);
    done.location().to_owned()
}

#[tokio::test]
async fn start_plan_extend_stop_and_delete_each_say_what_they_did_once() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    // 09:00 UTC is 10:00 in Dijkstad; the tariff is € 1,20 an hour.
    let to = start(&app, &jan, "2026-03-02", "10:00", "12:00").await;
    let list = jan.page(&app, &to).await;
    assert_eq!(
        said(&list),
        (
            "ok".into(),
            "Uw parkeeractie is gestart AB-12-34, vandaag van 10:00 tot 12:00. Kosten: € 2,40."
                .into()
        )
    );
    let again = jan.page(&app, &to).await;
    assert!(
        again.messages().is_empty(),
        "said once: {:?}",
        again.messages()
    );

    let to = start(&app, &jan, "2026-03-03", "10:00", "11:00").await;
    assert!(to.ends_with("?tab=gepland"), "{to}");
    assert_eq!(
        said(&jan.page(&app, &to).await).1,
        "Uw parkeeractie is gepland AB-12-34, op dinsdag 3 maart van 10:00 tot 11:00. Kosten: € 1,20."
    );
    let running = app.sql_i64("SELECT MIN(id) FROM parking_sessions").await;
    let planned = app.sql_i64("SELECT MAX(id) FROM parking_sessions").await;

    let deleted = jan
        .post_form(&app, &format!("/parkeeracties/{planned}/beeindigen"), &[])
        .await;
    assert_eq!(deleted.status(), 303);
    let to = deleted.location().to_owned();
    assert_eq!(
        said(&jan.page(&app, &to).await).1,
        "Uw geplande parkeeractie is verwijderd AB-12-34, op dinsdag 3 maart van 10:00 tot 11:00. \
         € 1,20 staat weer op uw saldo."
    );

    let extended = jan
        .post_form(
            &app,
            &format!("/parkeeracties/{running}/verlengen"),
            &[("einddatum", "2026-03-02"), ("eindtijd", "13:00")],
        )
        .await;
    assert_eq!(extended.status(), 303);
    let to = extended.location().to_owned();
    assert_eq!(
        said(&jan.page(&app, &to).await).1,
        "Uw parkeeractie is verlengd AB-12-34, vandaag van 10:00 tot 13:00. \
         Kosten in totaal: € 3,60 (de verlenging: € 1,20)."
    );

    // Ten minutes used of the three hours: the rest comes back, and the message says how much.
    app.clock.advance(chrono::Duration::minutes(10));
    let stopped = jan
        .post_form(&app, &format!("/parkeeracties/{running}/beeindigen"), &[])
        .await;
    assert_eq!(stopped.status(), 303);
    let to = stopped.location().to_owned();
    assert_eq!(
        said(&jan.page(&app, &to).await).1,
        "Uw parkeeractie is gestopt AB-12-34, vandaag van 10:00 tot 10:10. € 3,40 staat weer op uw saldo."
    );
    assert_eq!(
        jan.balance(&app).await,
        "24.80",
        "what the message says came back"
    );

    // [Stop] at the very instant a session began: it never ran (it is deleted), and all of it
    // comes back.
    let to = start(&app, &jan, "2026-03-02", "10:10", "11:00").await;
    let _ = jan.page(&app, &to).await;
    let instant = app.sql_i64("SELECT MAX(id) FROM parking_sessions").await;
    let stopped = jan
        .post_form(&app, &format!("/parkeeracties/{instant}/beeindigen"), &[])
        .await;
    assert_eq!(stopped.status(), 303);
    assert!(!stopped.location().contains("gepland"), "it had started");
    assert_eq!(
        said(&jan.page(&app, stopped.location()).await).1,
        "Uw parkeeractie is gestopt AB-12-34, vandaag van 10:10 tot 10:10. \
         € 1,00 staat weer op uw saldo."
    );
}

#[tokio::test]
async fn favorites_and_mandates_say_what_was_saved_and_what_came_back() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let path = format!("/producten/{}/favorieten", jan.product);
    let saved = jan
        .post_form(
            &app,
            &path,
            &[("kenteken", "12-gbd-3"), ("land", "NL"), ("naam", "Oma")],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let shown = jan.get(&app, &path).await;
    // The title says it too (by its kind only: no plate or address in the browser's history).
    assert!(
        shown.text().contains("<title>Gelukt: Favorieten"),
        "{}",
        shown.text()
    );
    assert_eq!(
        shown.header("cache-control"),
        Some("no-store"),
        "the back button brings it not back"
    );
    let page = shown.html();
    assert_eq!(
        said(&page),
        ("ok".into(), "Favoriet Oma is opgeslagen".into())
    );
    let fid = app.sql_i64("SELECT MAX(id) FROM favorites").await;
    let gone = jan
        .post_form(&app, &format!("{path}/{fid}/verwijderen"), &[])
        .await;
    assert_eq!(gone.status(), 303);
    assert_eq!(
        said(&jan.page(&app, &path).await).1,
        "Favoriet Oma is verwijderd"
    );

    let path = format!("/producten/{}/machtigingen", jan.product);
    let given = jan
        .post_form(
            &app,
            &path,
            &[
                ("email", "piet@example.nl"),
                ("kenteken", ""),
                ("land", "NL"),
                ("bedrag", "10,00"),
            ],
        )
        .await;
    assert_eq!(given.status(), 303);
    assert_eq!(
        said(&jan.page(&app, &path).await).1,
        "De machtiging is opgeslagen. piet@example.nl krijgt een e-mail met een link. Uw saldo is nu € 15,00."
    );
    let mid = app.sql_i64("SELECT MAX(id) FROM mandates").await;
    let revoked = jan
        .post_form(&app, &format!("{path}/{mid}/intrekken"), &[])
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        said(&jan.page(&app, &path).await).1,
        "De machtiging voor piet@example.nl is ingetrokken € 10,00 staat weer op uw saldo."
    );
    assert_eq!(jan.balance(&app).await, "25.00");
}

#[tokio::test]
async fn nobody_else_can_make_the_portal_say_something_happened() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let to = start(&app, &jan, "2026-03-02", "10:00", "12:00").await;
    let _ = jan.page(&app, &to).await;
    let session = app.sql_i64("SELECT MAX(id) FROM parking_sessions").await;

    // A resident of another gemeente cannot stop it: 404, nothing said, nothing changed.
    let els = resident(&app, "weidevelde", "els@example.nl", Some("25.00")).await;
    let refused = els
        .post_form(&app, &format!("/parkeeracties/{session}/beeindigen"), &[])
        .await;
    assert_eq!(refused.status(), 404);
    let own = format!("/producten/{}/parkeeracties", els.product);
    assert!(els.page(&app, &own).await.messages().is_empty());
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions WHERE stopped_at IS NULL")
            .await,
        1
    );

    // The old link of a start that moved to now says nothing; a message only comes from a
    // form the server handled, never from the address.
    let list = format!("/producten/{}/parkeeracties", jan.product);
    assert!(
        jan.page(&app, &format!("{list}?gestart=nu"))
            .await
            .messages()
            .is_empty()
    );
    // A cookie that is no message of ours is ignored; one typed in one's own browser is
    // drawn as text, never as markup.
    let page = app
        .page_with_cookie("/", "pp_melding=alert!%3Cb%3EHallo%3C%2Fb%3E!")
        .await;
    assert!(!page.contains("pp-flash"), "{page}");
    let page = app
        .page_with_cookie("/", "pp_melding=ok!%3Cb%3EHallo%3C%2Fb%3E!")
        .await;
    assert!(
        page.contains("pp-flash") && page.contains("&lt;b&gt;Hallo"),
        "{page}"
    );
    assert!(!page.contains("<b>Hallo"));
}

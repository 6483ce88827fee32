//! The parking pages as a resident uses them without JavaScript: "Alle producten", choosing a
//! product, "Parkeeracties" with its tabs, a new session with its cost before [Bevestigen], the
//! checks with their alternatives, [Stop], [Verwijder], [Verleng], "Kenteken opzoeken" and
//! "Voeg product toe".

use crate::support::resident;
use crate::support::{TestApp, hidden, unescape};

const PASSWORD: &str = "fietsbel42xy";

/// A logged-in browser with a Dijkstad product holding `balance`; the product's id.
async fn browser(app: &TestApp, email: &str, balance: &str) -> i64 {
    let r = resident(app, "dijkstad", email, Some(balance)).await;
    app.login(email, PASSWORD).await;
    r.product
}

#[tokio::test]
async fn a_resident_finds_products_chooses_one_and_starts_a_session_after_seeing_its_cost() {
    let mut app = TestApp::spawn().await;
    let product = browser(&app, "pagina@example.nl", "25.00").await;

    // After login with no product chosen yet: "Alle producten".
    let all = unescape(&app.page("/producten").await);
    assert!(
        all.contains("Gemeente Dijkstad") && all.contains("Aantal producten: 1"),
        "{all}"
    );
    let shown = unescape(&app.page("/producten?gemeente=dijkstad").await);
    assert!(
        shown.contains("Bezoekersregeling") && shown.contains("€ 25,00"),
        "{shown}"
    );
    assert!(shown.contains("Lopend: 0, gepland: 0"));
    let chosen = app
        .get(&format!("/producten/{product}"))
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 303);
    let list_path = format!("/producten/{product}/parkeeracties");
    assert_eq!(chosen.headers()["location"], list_path.as_str());

    let list = unescape(&app.page(&list_path).await);
    assert!(
        list.contains("Lopend (0)") && list.contains("Gepland (0)"),
        "{list}"
    );
    assert!(list.contains("€ 25,00"), "the balance in the header");
    assert!(list.contains("Binnenstad"), "the location in the header");

    // [+]: start now, end at the end of the day shown as 23:59:59.
    let form = unescape(&app.page(&format!("{list_path}/nieuw")).await);
    assert!(
        form.contains("value=\"2026-03-02\"") && form.contains("value=\"10:00\""),
        "{form}"
    );
    assert!(form.contains("value=\"23:59:59\""));
    let fields = |end: &'static str| {
        vec![
            ("stap", "bekijk"),
            ("kenteken", "ab-12-34"),
            ("land", "NL"),
            ("startdatum", "2026-03-02"),
            ("starttijd", "10:00"),
            ("einddatum", "2026-03-02"),
            ("eindtijd", end),
        ]
    };
    let check = app
        .post_form(&format!("{list_path}/nieuw"), &fields("12:00"))
        .await;
    assert_eq!(check.status(), 200);
    let check = unescape(&check.text().await.unwrap());
    assert!(check.contains("Controleer uw parkeeractie"), "{check}");
    assert!(
        check.contains("€ 2,40") && check.contains("120"),
        "cost and paid minutes: {check}"
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions").await,
        0,
        "nothing yet"
    );

    let confirm = app
        .post_form(
            &format!("{list_path}/nieuw"),
            &[
                ("stap", "bevestig"),
                ("kenteken", &hidden(&check, "kenteken")),
                ("land", "NL"),
                ("start", &hidden(&check, "start")),
                ("end", &hidden(&check, "end")),
                ("eenmalig", &hidden(&check, "eenmalig")),
            ],
        )
        .await;
    assert_eq!(confirm.status(), 303);
    assert_eq!(confirm.headers()["location"], list_path.as_str());
    let list = unescape(&app.page(&list_path).await);
    assert!(
        list.contains("Lopend (1)") && list.contains("AB-12-34"),
        "{list}"
    );
    assert!(list.contains("€ 22,60"));
    assert!(list.contains("Stop") && list.contains("Verleng") && list.contains("Opties"));

    // "Kenteken opzoeken" offers the plate again, under the recent plates (it is no favorite).
    let plates = unescape(
        &app.page(&format!("/producten/{product}/kentekens?tab=recent"))
            .await,
    );
    assert!(
        plates.contains(&format!("{list_path}/nieuw?kenteken=AB1234&land=NL")),
        "{plates}"
    );

    // The next login opens this product's sessions.
    app.new_browser();
    let step1 = app
        .post_form("/inloggen", &[("email", "pagina@example.nl")])
        .await;
    assert_eq!(step1.status(), 303);
    let step2 = app
        .post_form("/inloggen/wachtwoord", &[("wachtwoord", PASSWORD)])
        .await;
    assert_eq!(step2.headers()["location"], list_path.as_str());
}

#[tokio::test]
async fn a_refused_session_shows_the_manuals_message_and_an_alternative_to_confirm() {
    let app = TestApp::spawn().await;
    let product = browser(&app, "krap@example.nl", "1.00").await;
    let path = format!("/producten/{product}/parkeeracties/nieuw");
    let check = app
        .post_form(
            &path,
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "10:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "11:00"),
            ],
        )
        .await;
    assert_eq!(check.status(), 200);
    let check = unescape(&check.text().await.unwrap());
    assert!(
        check.contains("Uw saldo is niet toereikend om op dit moment een parkeeractie te starten."),
        "{check}"
    );
    assert!(check.contains("Korter parkeren, zo lang als uw saldo toelaat"));
    // The manual's way out: a top-up.
    assert!(check.contains(&format!(
        "href=\"/producten/{product}/opwaarderen\">Waardeer uw saldo op"
    )));
    let chosen = check
        .split("name=\"gekozen\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let confirm = app
        .post_form(
            &path,
            &[
                ("stap", "bevestig"),
                ("kenteken", "AB1234"),
                ("land", "NL"),
                ("gekozen", &chosen),
                ("eenmalig", &hidden(&check, "eenmalig")),
            ],
        )
        .await;
    assert_eq!(confirm.status(), 303);
    let list = unescape(
        &app.page(&format!("/producten/{product}/parkeeracties"))
            .await,
    );
    assert!(
        list.contains("Lopend (1)") && list.contains("€ 0,00"),
        "{list}"
    );

    // Wrong input keeps what was typed and says what is wrong.
    let bad = app
        .post_form(
            &path,
            &[
                ("stap", "bekijk"),
                ("kenteken", "QQ-QQ-QQ"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "10:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "11:00"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let bad = unescape(&bad.text().await.unwrap());
    assert!(
        bad.contains("geen geldig kenteken") && bad.contains("value=\"QQ-QQ-QQ\""),
        "{bad}"
    );
    let past = app
        .post_form(
            &path,
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "08:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "11:00"),
            ],
        )
        .await;
    assert_eq!(past.status(), 422);
    assert!(past.text().await.unwrap().contains("in het verleden"));
}

#[tokio::test]
async fn stop_delete_and_extend_ask_first_and_move_the_balance() {
    let app = TestApp::spawn().await;
    let product = browser(&app, "acties@example.nl", "25.00").await;
    let api = resident(&app, "dijkstad", "acties@example.nl", None).await;
    let _ = api; // the same account, a second product: the first stays the one we use
    let new = format!("/producten/{product}/parkeeracties/nieuw");
    for (date, from, to) in [
        ("2026-03-02", "10:00", "11:00"),
        ("2026-03-03", "10:00", "11:00"),
    ] {
        let check = app
            .post_form(
                &new,
                &[
                    ("stap", "bekijk"),
                    ("kenteken", "AB-12-34"),
                    ("startdatum", date),
                    ("starttijd", from),
                    ("einddatum", date),
                    ("eindtijd", to),
                ],
            )
            .await;
        let check = check.text().await.unwrap();
        let confirm = app
            .post_form(
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
        assert_eq!(confirm.status(), 303);
    }
    let running = app.sql_i64("SELECT MIN(id) FROM parking_sessions").await;
    let planned = app.sql_i64("SELECT MAX(id) FROM parking_sessions").await;
    let list = unescape(
        &app.page(&format!("/producten/{product}/parkeeracties?tab=gepland"))
            .await,
    );
    assert!(
        list.contains("Gepland (1)") && list.contains("Verwijder"),
        "{list}"
    );

    // [Verwijder] asks first, then refunds all of it.
    let ask = unescape(
        &app.page(&format!("/parkeeracties/{planned}/beeindigen"))
            .await,
    );
    assert!(ask.contains("Geplande parkeeractie verwijderen"), "{ask}");
    let done = app
        .post_form(&format!("/parkeeracties/{planned}/beeindigen"), &[])
        .await;
    assert_eq!(done.status(), 303);
    // [Verleng] to 12:00: one more hour reserved.
    let form = unescape(
        &app.page(&format!("/parkeeracties/{running}/verlengen"))
            .await,
    );
    assert!(
        form.contains("value=\"12:00\""),
        "an hour later is proposed: {form}"
    );
    let extended = app
        .post_form(
            &format!("/parkeeracties/{running}/verlengen"),
            &[("einddatum", "2026-03-02"), ("eindtijd", "12:00")],
        )
        .await;
    assert_eq!(extended.status(), 303);
    let list = unescape(
        &app.page(&format!("/producten/{product}/parkeeracties"))
            .await,
    );
    assert!(list.contains("€ 22,60"), "25.00 - 2.40: {list}");
    // [Stop] asks first; ten minutes used.
    app.clock.advance(chrono::Duration::minutes(10));
    let ask = unescape(
        &app.page(&format!("/parkeeracties/{running}/beeindigen"))
            .await,
    );
    assert!(ask.contains("Parkeeractie stoppen"));
    let stopped = app
        .post_form(&format!("/parkeeracties/{running}/beeindigen"), &[])
        .await;
    assert_eq!(stopped.status(), 303);
    let list = unescape(
        &app.page(&format!("/producten/{product}/parkeeracties"))
            .await,
    );
    assert!(
        list.contains("Lopend (0)") && list.contains("€ 24,80"),
        "{list}"
    );
    assert_eq!(
        app.get(&format!("/parkeeracties/{running}/beeindigen"))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "an ended session has nothing to stop"
    );
}

#[tokio::test]
async fn voeg_product_toe_with_a_letter_and_pages_of_others_are_404() {
    let mut app = TestApp::spawn().await;
    let product = browser(&app, "eerste@example.nl", "5.00").await;
    let letter = app
        .app
        .as_ref()
        .unwrap()
        .state()
        .desk()
        .issue(parkportal_domain::coupling::IssueRequest {
            tenant: "havenmond".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let form = app.page("/producten/toevoegen").await;
    assert!(form.contains("Productcode") && form.contains("Pincode"));
    // The letter's link fills in the code (normalised); anything else in its place is dropped.
    let linked = app
        .page(&format!(
            "/producten/toevoegen?code={}",
            letter.code.as_str().to_lowercase()
        ))
        .await;
    assert!(
        linked.contains(&format!("value=\"{}\"", letter.code)),
        "{linked}"
    );
    let junk = app
        .page("/producten/toevoegen?code=%22%3E%3Cscript%3E")
        .await;
    assert!(junk.contains("value=\"\""));
    let wrong = app
        .post_form(
            "/producten/toevoegen",
            &[("code", &letter.code.to_string()), ("pin", "999999x")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("productcode en pincode is onbekend")
    );
    let right = app
        .post_form(
            "/producten/toevoegen",
            &[
                ("code", &letter.code.to_string()),
                ("pin", letter.pin.expose()),
            ],
        )
        .await;
    assert_eq!(right.status(), 303);
    assert_eq!(
        right.headers()["location"],
        format!("/producten/{}/parkeeracties", letter.id).as_str()
    );
    // The page it lands on says what was coupled, once.
    let landed = crate::support::html::Html::parse(
        &app.page(&format!("/producten/{}/parkeeracties", letter.id))
            .await,
    );
    assert_eq!(
        landed
            .messages()
            .into_iter()
            .map(|(kind, _, text)| (kind, text))
            .collect::<Vec<_>>(),
        [(
            "ok".to_owned(),
            "Bezoekersparkeren is aan uw account gekoppeld Centrum, Gemeente Havenmond. U kunt het product nu gebruiken."
                .to_owned()
        )]
    );
    assert!(app.page("/producten").await.contains("Gemeente Havenmond"));

    // Another resident: every page of the first one's product is a 404.
    let _ = resident(&app, "dijkstad", "tweede@example.nl", None).await;
    app.new_browser();
    app.login("tweede@example.nl", PASSWORD).await;
    for path in [
        format!("/producten/{product}"),
        format!("/producten/{product}/parkeeracties"),
        format!("/producten/{product}/parkeeracties/nieuw"),
        format!("/producten/{product}/kentekens"),
    ] {
        assert_eq!(app.get(&path).send().await.unwrap().status(), 404, "{path}");
    }
    // Not logged in: the login page, coming back afterwards.
    app.new_browser();
    let resp = app.get("/producten").send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/inloggen?terug=/producten");
    // From a letter's link: the login leads back to the form with the code.
    let resp = app
        .get(&format!("/producten/toevoegen?code={}", letter.code))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        format!(
            "/inloggen?terug=/producten/toevoegen%3Fcode%3D{}",
            letter.code
        )
        .as_str()
    );
}

#[tokio::test]
async fn the_session_form_refuses_a_leap_second() {
    let app = TestApp::spawn().await;
    let product = browser(&app, "sprong@example.nl", "25.00").await;
    let new = format!("/producten/{product}/parkeeracties/nieuw");
    for (from, to) in [("10:00:60", "11:00"), ("10:00", "10:59:60")] {
        let refused = app
            .post_form(
                &new,
                &[
                    ("stap", "bekijk"),
                    ("kenteken", "AB-12-34"),
                    ("land", "NL"),
                    ("startdatum", "2026-03-02"),
                    ("starttijd", from),
                    ("einddatum", "2026-03-02"),
                    ("eindtijd", to),
                ],
            )
            .await;
        assert_eq!(refused.status(), 422, "{from}-{to}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Vul een geldige datum en tijd in."),
            "{from}-{to}"
        );
    }
    // The exact times of [Bevestigen] are RFC 3339; one with a leap second is no request of ours.
    let refused = app
        .post_form(
            &new,
            &[
                ("stap", "bevestig"),
                ("kenteken", "AB1234"),
                ("land", "NL"),
                ("start", "2026-03-02T10:00:00+01:00"),
                ("end", "2026-03-02T10:59:60+01:00"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM parking_sessions").await,
        0
    );
}

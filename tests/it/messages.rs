//! Messages look like what they are (#26): the four kinds of the NL Design System's alert
//! (information, success, warning, error), each with its role, and a field's error tied to the
//! field it is about.

use crate::support::{TestApp, resident};

#[tokio::test]
async fn an_error_is_an_alert_tied_to_its_field_and_a_notice_is_information() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let browser = jan.web(&app).await;
    let path = format!("/producten/{}/parkeeracties/nieuw", jan.product);
    let resp = browser
        .post_form(
            &path,
            &[
                ("stap", "bekijk"),
                ("kenteken", "!!"),
                ("startmoment", "nu"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "10:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "11:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    let messages = page.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        (messages[0].0.as_str(), messages[0].1.as_deref()),
        ("error", Some("alert"))
    );
    assert_eq!(
        page.attr("kenteken", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        page.attr("kenteken", "aria-describedby").as_deref(),
        Some("fout")
    );
    assert!(page.by_id("fout").is_some_and(|t| !t.is_empty()));
    assert_eq!(
        page.attr("einddatum", "aria-invalid"),
        None,
        "only the plate"
    );
    // An end before the start: the end is the field.
    let resp = browser
        .post_form(
            &path,
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("startmoment", "later"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "12:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "11:00"),
            ],
        )
        .await;
    let page = resp.html();
    assert_eq!(
        page.attr("einddatum", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(page.attr("kenteken", "aria-invalid"), None);
    assert_eq!(
        page.attr("eindtijd", "aria-invalid").as_deref(),
        Some("true"),
        "a moment is its date and its time"
    );
    // An end time that is no time: the end is marked, not the start.
    let resp = browser
        .post_form(
            &path,
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("startmoment", "later"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "12:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "25:99"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    assert_eq!(
        page.attr("eindtijd", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(page.attr("starttijd", "aria-invalid"), None);
    assert_eq!(page.attr("startdatum", "aria-invalid"), None);

    // The simulated iDEAL notice is information, a note.
    let top_up = browser
        .page(&format!("/producten/{}/opwaarderen", jan.product))
        .await;
    assert!(
        top_up
            .messages()
            .iter()
            .any(|(kind, role, _)| kind == "info" && role.as_deref() == Some("note")),
        "{:?}",
        top_up.messages()
    );
}

#[tokio::test]
async fn every_message_of_the_theme_has_a_kind_and_the_dark_scheme_tells_the_browser() {
    let app = TestApp::spawn().await;
    let css = app.page("/static/parkportal.css").await;
    for kind in ["ok", "warning", "error"] {
        assert!(
            css.contains(&format!(".pp-message--{kind}::before")),
            "an icon for {kind}"
        );
    }
    let dark = css
        .split("html[data-contrast=\"dark\"] {")
        .nth(1)
        .and_then(|r| r.split('}').next())
        .unwrap();
    assert!(dark.contains("color-scheme: dark"), "{dark}");
    // Every message of the templates names one of the four kinds.
    let templates = crate::support::repo().join("themes/default/templates");
    for entry in std::fs::read_dir(&templates).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue; // the mails' folder: no pages
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("class=\"pp-message") {
            let class = &text[i + 7..];
            let class = &class[..class.find('"').unwrap_or(0)];
            if class.starts_with("pp-message__") {
                continue;
            }
            let tag = &text[text[..i].rfind('<').unwrap()..];
            let tag = &tag[..tag.find('>').unwrap()];
            let role = tag
                .split("role=\"")
                .nth(1)
                .and_then(|r| r.split('"').next());
            // A kind the page computes (the top-up's result, a confirmation) is named by its
            // variable; those are never errors.
            if class.contains("pp-message--{{") {
                assert!(
                    matches!(role, Some("status" | "alert")),
                    "{}: {tag}",
                    path.display()
                );
                continue;
            }
            let kind = [
                "pp-message--info",
                "pp-message--ok",
                "pp-message--warning",
                "pp-message--error",
            ]
            .into_iter()
            .find(|k| class.split_whitespace().any(|c| c == *k));
            let file = path.display();
            match kind {
                None => panic!("{file}: a message without its kind: {class}"),
                // An error interrupts; the others wait their turn.
                Some("pp-message--error") => {
                    assert_eq!(role, Some("alert"), "{file}: {tag}")
                }
                // A section named by its heading is a region of its own.
                Some(_) if tag.starts_with("<section") => {
                    assert!(tag.contains("aria-labelledby"), "{file}: {tag}")
                }
                Some(_) => assert!(
                    matches!(role, Some("status" | "note")),
                    "{file}: an {class} without status or note: {tag}"
                ),
            }
        }
    }
}

#[tokio::test]
async fn a_refusal_outside_the_allowed_hours_names_them_and_its_alternative_says_when_it_ends() {
    let app = TestApp::spawn().await;
    // Weidevelde signs visitors off at 21:00 and lets them in from 09:00.
    let els = resident(&app, "weidevelde", "els@example.nl", Some("25.00")).await;
    let browser = els.web(&app).await;
    let resp = browser
        .post_form(
            &format!("/producten/{}/parkeeracties/nieuw", els.product),
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("startmoment", "later"),
                ("startdatum", "2026-03-02"),
                ("starttijd", "20:00"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "22:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    let page = resp.html();
    let messages = page.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, "error");
    assert!(
        messages[0]
            .2
            .contains("Met dit product kunt u parkeren van 09:00 tot 21:00."),
        "{messages:?}"
    );
    assert!(
        page.contains_text("Parkeren tot 21:00, het einde van de parkeertijd"),
        "{}",
        page.text()
    );
    assert!(!page.contains_text("Parkeren tot het einde van de dag"));
    // Dijkstad has no allowed hours: its refusals name none.
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("0.10")).await;
    let resp = jan
        .web(&app)
        .await
        .post_form(
            &format!("/producten/{}/parkeeracties/nieuw", jan.product),
            &[
                ("stap", "bekijk"),
                ("kenteken", "AB-12-34"),
                ("startmoment", "nu"),
                ("einddatum", "2026-03-02"),
                ("eindtijd", "18:00"),
            ],
        )
        .await;
    assert!(!resp.html().contains_text("kunt u parkeren van"));
}

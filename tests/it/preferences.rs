//! Language (account later, then cookie, then Accept-Language) and contrast schemes.

use crate::support::TestApp;

#[tokio::test]
async fn accept_language_picks_english_and_dutch_is_the_default() {
    let app = TestApp::spawn().await;
    let en = app
        .text_with("/over", "accept-language", "en-GB,en;q=0.9")
        .await;
    assert!(en.contains("About Parkportal") && en.contains("lang=\"en\""));
    let nl = app.text_with("/over", "accept-language", "de,fr").await;
    assert!(nl.contains("Over Parkportal") && nl.contains("lang=\"nl\""));
}

#[tokio::test]
async fn the_language_switch_keeps_the_choice_and_returns() {
    let app = TestApp::spawn().await;
    let visitor = app.anonymous();
    let resp = visitor
        .get("/g/dijkstad/taal?lang=en&terug=/g/dijkstad/over")
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), "/g/dijkstad/over");
    let cookie = resp.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("pp_lang=en;")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(visitor.cookie("pp_lang").as_deref(), Some("en"));
    // The cookie beats the browser's preference.
    let body = visitor
        .get_with("/g/dijkstad/over", "accept-language", "nl")
        .await;
    assert!(body.text().contains("About Parkportal"), "{}", body.text());
    assert_eq!(body.html().first("h1").as_deref(), Some("About Parkportal"));
}

#[tokio::test]
async fn a_bad_switch_gets_a_translated_error_and_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    let visitor = app.anonymous();
    let resp = visitor.get("/taal?lang=klingon").await;
    assert_eq!(resp.status(), 400);
    assert!(resp.html().contains_text("Verzoek niet begrepen"));
    let resp = visitor
        .get("/contrast?scheme=dark&terug=//evil.example/")
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), "/");
}

#[tokio::test]
async fn each_contrast_scheme_is_applied_to_the_page() {
    let app = TestApp::spawn().await;
    for scheme in ["light", "dark", "theme"] {
        let resp = app
            .get(&format!("/contrast?scheme={scheme}&terug=/over"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303);
        let body = app.page("/over").await;
        assert!(
            body.contains(&format!("data-contrast=\"{scheme}\"")),
            "{scheme}"
        );
    }
    let css = app.page("/static/parkportal.css").await;
    assert!(
        css.contains("html[data-contrast=\"light\"]")
            && css.contains("html[data-contrast=\"dark\"]")
    );
}

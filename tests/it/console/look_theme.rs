//! The theme (#24): the colour tokens as a form with each pair's contrast ratio; a check shows
//! the ratios and previews the candidate colours without storing them; a theme below AA is
//! refused with its failing pairs named; a passing one is stored with each token before and
//! after on the record and served to residents at once; the token file downloads as the NL
//! Design System's nested JSON and uploads into the form; another gemeente reaches nothing.

use super::*;

const PAGE: &str = "/beheer/weidevelde/thema";

async fn own_tokens(app: &TestApp) -> serde_json::Value {
    let text = app
        .sql_text("SELECT tokens FROM tenants WHERE slug = 'weidevelde'")
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The stylesheet a page links for its preview, fetched by `who`.
async fn preview_css(who: &Staff, page: &crate::support::html::Html) -> String {
    let href = page
        .links()
        .into_iter()
        .map(|(_, href)| href)
        .find(|h| h.contains("/voorbeeld?"))
        .expect("a link to the whole-page preview");
    let css = href.replace("/thema/voorbeeld?", "/thema/voorbeeld.css?");
    let resp = who.get(&css).await;
    assert_eq!(resp.status(), 200);
    resp.text().to_owned()
}

#[tokio::test]
async fn a_check_previews_the_candidate_and_a_theme_below_aa_is_refused_with_its_pairs() {
    let app = TestApp::spawn().await;
    let wim = staff(&app, "wim@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    let page = wim.page(PAGE).await;
    let form = page.form(PAGE);
    // The gemeente's colours over the theme's, grouped, each pair with its ratio.
    assert_eq!(form.value("utrecht-link-color"), Some("#8a1c5a"));
    assert_eq!(form.value("utrecht-document-color"), Some("#1b1b1b"));
    for group in ["Pagina", "Kop", "Knoppen", "Links", "Focus", "Meldingen"] {
        assert!(page.contains_text(group), "{group}");
    }
    let header = page.row("Tekst van de kop");
    assert_eq!(header[1], "Achtergrond van de kop");
    assert!(header[3].starts_with("voldoet"), "{header:?}");
    // The fonts and radius the form does not show travel with it.
    assert_eq!(form.value("ander:parkportal-radius"), Some("12px"));
    let before = own_tokens(&app).await;

    // A check with a pale header text: the ratios and the preview in the candidate colours.
    let resp = wim
        .submit(
            &form,
            &[
                ("utrecht-page-header-color", "#b08aa0"),
                ("actie", "controleren"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let checked = resp.html();
    assert!(checked.contains_text("Dit thema haalt niet overal contrast AA"));
    assert!(
        checked
            .contains_text("Tekst van de kop op Achtergrond van de kop: 3,72:1, nodig is 4,5:1."),
        "{}",
        checked.text()
    );
    assert_eq!(
        checked.form(PAGE).value("utrecht-page-header-color"),
        Some("#b08aa0")
    );
    let css = preview_css(&wim, &checked).await;
    assert!(css.starts_with(".cc-preview {"), "{css}");
    assert!(
        css.contains("--utrecht-page-header-color: #b08aa0;"),
        "{css}"
    );
    assert!(css.contains("--parkportal-radius: 12px;"), "{css}");
    assert_eq!(own_tokens(&app).await, before, "a check stores nothing");
    let entry = audit_entries(&app).await.remove(0);
    assert_eq!(entry.action, "tenant.theme_checked");

    // Saved as it is: refused, the failing pair named, nothing stored.
    let resp = wim
        .submit(&checked.form(PAGE), &[("actie", "opslaan")])
        .await;
    assert_eq!(resp.status(), 422, "{}", resp.text());
    let refused = resp.html();
    assert!(refused.contains_text("niet elk paar haalt contrast AA"));
    assert!(refused.contains_text("Tekst van de kop op Achtergrond van de kop: 3,72:1"));
    assert_eq!(own_tokens(&app).await, before);
    let entry = audit_entries(&app).await.remove(0);
    assert_eq!(
        (
            entry.action.as_str(),
            entry.result.as_str(),
            entry.reason.as_deref()
        ),
        ("tenant.theme_changed", "refused", Some("contrast"))
    );
    // A value that is no colour is refused at its field.
    let resp = wim
        .submit(
            &form,
            &[("utrecht-link-color", "red"), ("actie", "opslaan")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().contains(r#"id="utrecht-link-color-fout""#));
    assert_eq!(own_tokens(&app).await, before);
}

#[tokio::test]
async fn a_passing_theme_is_stored_on_the_record_and_served_at_once() {
    let app = TestApp::spawn().await;
    let wim = staff(&app, "wim@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    let form = wim.page(PAGE).await.form(PAGE);
    let resp = wim
        .submit(
            &form,
            &[
                ("utrecht-link-color", "#5A0F3A"),
                ("utrecht-alert-error-background-color", "#ffe0e0"),
                // The theme's own value: left to the theme.
                ("utrecht-document-color", "#1b1b1b"),
                ("actie", "opslaan"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(
        wim.page(resp.location())
            .await
            .contains_text("Het thema is opgeslagen.")
    );
    let own = own_tokens(&app).await;
    assert_eq!(own["utrecht-link-color"], "#5a0f3a");
    assert_eq!(own["utrecht-alert-error-background-color"], "#ffe0e0");
    assert_eq!(
        own["parkportal-radius"], "12px",
        "what the form does not show stays"
    );
    assert!(own.get("utrecht-document-color").is_none());
    let reason = audit_entries(&app)
        .await
        .remove(0)
        .reason
        .unwrap_or_default();
    assert!(
        reason.contains("--utrecht-link-color: #8a1c5a → #5a0f3a"),
        "{reason}"
    );
    assert!(
        reason.contains("--utrecht-alert-error-background-color: (theme) → #ffe0e0"),
        "{reason}"
    );
    let css = app.page("/g/weidevelde/theme.css").await;
    assert!(css.contains("--utrecht-link-color: #5a0f3a;"), "{css}");
}

#[tokio::test]
async fn the_token_file_downloads_nested_and_uploads_into_the_form() {
    let app = TestApp::spawn().await;
    let wim = staff(&app, "wim@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    let (status, headers, body) = wim.download(&format!("{PAGE}/tokens.json")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let file: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(file["utrecht"]["link"]["color"]["value"], "#8a1c5a");
    assert_eq!(
        file["utrecht"]["button"]["primary-action"]["background-color"]["value"],
        "#6a1b4d"
    );

    // A file with a new link colour and font: in the form, checked, not stored.
    let upload = br##"{"utrecht": {"link": {"color": {"value": "#00466e"}},
        "document": {"font-family": {"$value": "Verdana, sans-serif"}}}}"##;
    let before = own_tokens(&app).await;
    let version = wim
        .page(PAGE)
        .await
        .form(PAGE)
        .value("versie")
        .unwrap()
        .to_owned();
    let resp = wim
        .upload(
            PAGE,
            &[("versie", &version)],
            "tokens",
            "tokens.json",
            upload,
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let loaded = resp.html();
    assert!(loaded.contains_text("Het tokenbestand staat in het formulier."));
    let form = loaded.form(PAGE);
    assert_eq!(form.value("utrecht-link-color"), Some("#00466e"));
    assert_eq!(
        form.value("ander:utrecht-document-font-family"),
        Some("Verdana, sans-serif")
    );
    assert_eq!(own_tokens(&app).await, before);
    // Saved from the form: the file's tokens are the gemeente's.
    let resp = wim.submit(&form, &[("actie", "opslaan")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let own = own_tokens(&app).await;
    assert_eq!(own["utrecht-link-color"], "#00466e");
    assert_eq!(own["utrecht-document-font-family"], "Verdana, sans-serif");
    assert!(
        own.get("parkportal-radius").is_none(),
        "the file replaced the tokens"
    );

    // A file that is no token file: refused, nothing changes.
    let resp = wim
        .upload(
            PAGE,
            &[("versie", "0")],
            "tokens",
            "x.json",
            br#"{"a": "url(https://x)"}"#,
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Dit bestand is geen tokenbestand")
    );
}

#[tokio::test]
async fn the_whole_page_preview_shows_the_candidate_and_nothing_else() {
    let app = TestApp::spawn().await;
    let wim = staff(&app, "wim@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    let query = "kandidaat=1&utrecht-page-header-background-color=%23004400&utrecht-link-color=red%3B%7Dbody%7Bdisplay%3Anone";
    let page = wim.page(&format!("{PAGE}/voorbeeld?{query}")).await;
    assert!(page.contains_text("er is nog niets opgeslagen"));
    let resp = wim
        .get(&format!("{PAGE}/voorbeeld-pagina.css?{query}"))
        .await;
    let css = resp.text();
    assert!(css.starts_with(":root {"), "{css}");
    assert!(css.contains("--utrecht-page-header-background-color: #004400;"));
    assert!(
        !css.contains("display"),
        "a value that could escape is dropped: {css}"
    );
    // The theme's link colour, as the candidate set none that passes.
    assert!(css.contains("--utrecht-link-color: #0b57a4;"), "{css}");
}

#[tokio::test]
async fn another_gemeentes_beheerder_and_a_medewerker_reach_nothing() {
    let app = TestApp::spawn().await;
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let mia = staff(&app, "mia@weidevelde.nl", "weidevelde", Role::Staff).await;
    let before = own_tokens(&app).await;
    for who in [&piet, &mia] {
        for path in [
            PAGE.to_owned(),
            format!("{PAGE}/tokens.json"),
            format!("{PAGE}/voorbeeld.css"),
            format!("{PAGE}/voorbeeld?kandidaat=1"),
        ] {
            let status = who.get(&path).await.status();
            assert!(matches!(status, 403 | 404), "{path}: {status}");
        }
        let resp = who
            .post_form(
                PAGE,
                &[("utrecht-link-color", "#000000"), ("actie", "opslaan")],
            )
            .await;
        assert!(matches!(resp.status(), 403 | 404), "{}", resp.status());
    }
    assert_eq!(own_tokens(&app).await, before);
}

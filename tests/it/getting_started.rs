//! Getting started (#26): a gemeente's start page leads to [Inloggen] and explains how an account
//! comes about; the first login lands where there is something to do; "Alle producten" marks the
//! gemeente it shows.

use crate::support::html::Html;
use crate::support::{TestApp, resident};

#[tokio::test]
async fn the_start_page_offers_login_explains_accounts_and_links_only_what_can_be_done() {
    let app = TestApp::spawn().await;
    let home = Html::parse(&app.page("/g/dijkstad/").await);
    assert_eq!(home.link("Inloggen"), "/g/dijkstad/inloggen");
    assert!(home.contains_text(
        "Nog geen account? Dat maakt u aan met de link in de e-mail die u krijgt als de gemeente u een parkeerproduct geeft"
    ));
    assert!(home.contains_text("Neem dan contact op met de gemeente."));
    assert!(!home.contains_text("Europe/Amsterdam"), "{}", home.text());
    assert!(home.contains_text("Het is nu maandag 2 maart 2026, 10:00."));
    // Dijkstad takes applications for its visitor scheme: the product links to its form, and
    // nothing on the page looks like a card one cannot open.
    assert_eq!(
        home.link("Vraag Bezoekersregeling aan"),
        "/g/dijkstad/aanvragen/bezoekers"
    );
    let source = app.page("/g/dijkstad/").await;
    assert!(!source.contains("pp-card"), "no fake cards");

    // Step 1 of the login tells a newcomer how an account comes about, and on a gemeente's site
    // where to apply; the platform's has no loket.
    let login = Html::parse(&app.page("/g/dijkstad/inloggen").await);
    assert!(login.contains_text("Nieuw hier?"));
    assert!(login.contains_text("Met die link maakt u uw account"));
    assert_eq!(
        login.link("Nog geen parkeerproduct? Vraag het aan in het digitaal loket."),
        "/g/dijkstad/aanvragen"
    );
    let platform = Html::parse(&app.page("/inloggen").await);
    assert!(platform.contains_text("Met die link maakt u uw account"));
    assert!(!platform.contains_text("digitaal loket"));
}

#[tokio::test]
async fn the_first_login_lands_on_the_only_product_or_the_only_gemeente() {
    let mut app = TestApp::spawn().await;
    let one = resident(&app, "dijkstad", "een@example.nl", Some("5.00")).await;
    let to = app.login("een@example.nl", "fietsbel42xy").await;
    assert_eq!(
        to,
        format!("/producten/{}/parkeeracties", one.product),
        "a single product: its Parkeeracties"
    );

    app.new_browser();
    let _first = resident(&app, "weidevelde", "twee@example.nl", Some("5.00")).await;
    let _second = resident(&app, "weidevelde", "twee@example.nl", Some("5.00")).await;
    let to = app.login("twee@example.nl", "fietsbel42xy").await;
    assert_eq!(
        to, "/producten?gemeente=weidevelde",
        "one gemeente: its products"
    );

    // Products of two gemeenten: the resident picks; the picked one is marked, the other
    // offers [Toon producten] as a button.
    app.new_browser();
    resident(&app, "dijkstad", "drie@example.nl", Some("5.00")).await;
    resident(&app, "havenmond", "drie@example.nl", None).await;
    let to = app.login("drie@example.nl", "fietsbel42xy").await;
    assert_eq!(to, "/producten");
    let source = app.page("/producten?gemeente=havenmond").await;
    let page = Html::parse(&source);
    assert!(page.contains_text("Getoond"));
    assert!(
        source.contains("pp-card--chosen\" aria-current=\"true\""),
        "the shown gemeente is marked"
    );
    assert_eq!(
        page.link("Toon producten Gemeente Dijkstad"),
        "/producten?gemeente=dijkstad"
    );
    assert!(source.contains("<a class=\"pp-button pp-button--secondary\" href="));
    // Another resident's gemeente in the address shows none of theirs: nothing is marked.
    let other = app.page("/producten?gemeente=weidevelde").await;
    assert!(!other.contains("aria-current=\"true\""));
    assert!(!other.contains("twee@example.nl"));
}

#[tokio::test]
async fn the_menu_puts_the_products_options_under_its_name_and_the_general_ones_apart() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let browser = jan.web(&app).await;
    // Nothing worked with yet: only the general options.
    let menu = browser.page("/menu").await;
    assert!(menu.contains_text("Algemeen"));
    assert!(!menu.contains_text("Binnenstad, Gemeente Dijkstad"));
    browser
        .get(&format!("/producten/{}/parkeeracties", jan.product))
        .await;
    let source = browser.get("/menu").await;
    let menu = source.html();
    let text = menu.text();
    let (product, general) = text
        .split_once("Algemeen")
        .expect("the general options under their own heading");
    assert!(
        product.contains("Bezoekersregeling Binnenstad, Gemeente Dijkstad")
            && product.contains("Parkeeracties")
            && product.contains("Historie"),
        "{product}"
    );
    assert!(general.contains("Alle producten") && general.contains("Uitloggen"));
    assert!(!general.contains("Historie"));
    assert!(
        source
            .text()
            .contains("<button class=\"pp-menu__item pp-menu__button\" type=\"submit\">"),
        "[Uitloggen] is a form's button drawn as an option"
    );
}

#[tokio::test]
async fn kenteken_opzoeken_keeps_what_was_typed_and_fills_the_plate_as_written() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    jan.park(&app, "12-GBD-3", crate::support::at(2, 10, 30))
        .await;
    let new = format!("/producten/{}/parkeeracties/nieuw", jan.product);
    // A later start typed, then "Kenteken opzoeken": a button of the form, so nothing is lost.
    let to_lookup = jan
        .post_form(
            &app,
            &new,
            &[
                // As a browser sends it: the form's hidden step and the button pressed.
                ("stap", "bekijk"),
                ("opzoeken", "1"),
                ("kenteken", "gb&d"),
                ("startmoment", "later"),
                ("startdatum", "2026-03-04"),
                ("starttijd", "14:30"),
                ("einddatum", "2026-03-04"),
                ("eindtijd", "16:00"),
            ],
        )
        .await;
    assert_eq!(to_lookup.status(), 303);
    let lookup = jan
        .page(&app, &format!("{}&tab=recent", to_lookup.location()))
        .await;
    let picked = lookup.link("12-GBD-3");
    assert!(
        picked.contains("startdatum=2026-03-04") && picked.contains("eindtijd=16%3A00"),
        "{picked}"
    );
    let form = jan.page(&app, &picked).await;
    let values = form
        .forms()
        .into_iter()
        .find(|f| f.has("kenteken"))
        .unwrap();
    assert_eq!(
        values.value("kenteken"),
        Some("12-GBD-3"),
        "written as on the plate"
    );
    assert_eq!(values.value("startdatum"), Some("2026-03-04"));
    assert_eq!(values.value("starttijd"), Some("14:30"));
    assert_eq!(values.value("eindtijd"), Some("16:00"));
    assert!(
        jan.get(&app, &picked)
            .await
            .text()
            .contains("id=\"startmoment-later\" checked"),
        "the later start stays chosen"
    );
    // Going back without a pick keeps it too; something too long to be a date is dropped.
    let back = lookup.link("Terug");
    assert!(back.contains("starttijd=14%3A30"), "{back}");
    // The half-typed plate comes back only that way, encoded: a pick brings its own.
    assert!(back.contains("kenteken=gb%26d"), "{back}");
    assert!(!picked.contains("gb%26d"), "{picked}");
    let odd = jan
        .page(&app, &format!("{new}?startdatum={}", "9".repeat(40)))
        .await;
    assert_eq!(
        odd.forms()
            .into_iter()
            .find(|f| f.has("startdatum"))
            .and_then(|f| f.value("startdatum").map(str::to_owned))
            .as_deref(),
        Some("2026-03-02"),
        "today's date instead"
    );
}

#[tokio::test]
async fn a_products_pages_keep_its_options_in_view_and_mark_the_one_shown() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let browser = jan.web(&app).await;
    let base = format!("/producten/{}", jan.product);
    let nav_of = |source: &str| -> String {
        let start = source
            .find("<nav class=\"pp-product-nav\"")
            .expect("the product's navigation");
        let end = start + source[start..].find("</nav>").unwrap();
        source[start..end].replace("&#x2f;", "/")
    };
    let sessions = browser.get(&format!("{base}/parkeeracties")).await;
    let nav = nav_of(sessions.text());
    assert!(
        nav.contains("aria-label=\"Opties van Bezoekersregeling\""),
        "{nav}"
    );
    for (href, label) in [
        ("/parkeeracties", "Parkeeracties"),
        ("/opwaarderen", "Opwaarderen"),
        ("/favorieten", "Favorieten"),
        ("/machtigingen", "Machtigingen"),
        ("/historie", "Historie"),
    ] {
        assert!(
            nav.contains(&format!("href=\"{base}{href}\"")) && nav.contains(label),
            "{label}: {nav}"
        );
    }
    assert!(nav.contains(&format!(
        "href=\"{base}/parkeeracties\" aria-current=\"page\""
    )));
    assert!(!nav.contains("Kentekenswitch"), "no permit, no switch");
    // On the history page, the history is the one shown.
    let history = nav_of(browser.get(&format!("{base}/historie")).await.text());
    assert!(history.contains(&format!("href=\"{base}/historie\" aria-current=\"page\"")));
    assert!(!history.contains(&format!("href=\"{base}/parkeeracties\" aria-current")));
    // Weidevelde gives no mandates: its product's navigation leaves them out; a page that is no
    // product's has none.
    let els = resident(&app, "weidevelde", "els@example.nl", Some("5.00")).await;
    let els_nav = nav_of(
        els.web(&app)
            .await
            .get(&format!("/producten/{}/parkeeracties", els.product))
            .await
            .text(),
    );
    assert!(!els_nav.contains("Machtigingen"), "{els_nav}");
    assert!(
        !browser
            .get("/producten")
            .await
            .text()
            .contains("pp-product-nav")
    );
}

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

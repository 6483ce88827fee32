//! "Instellingen": language, start product and contrast are kept with the account, change what
//! the next login shows, and accept only the resident's own products.

use crate::support::resident;
use crate::support::{TestApp, call};
use serde_json::json;

#[tokio::test]
async fn settings_change_what_the_next_login_shows() {
    let mut app = TestApp::spawn().await;
    let dijkstad = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let havenmond = resident(&app, "havenmond", "jan@example.nl", None).await;

    // Nothing chosen, nothing used yet: "Alle producten".
    let to = app.login("jan@example.nl", "fietsbel42xy").await;
    assert!(to.ends_with("/producten"), "{to}");
    app.get(&format!("/producten/{}", dijkstad.product))
        .send()
        .await
        .unwrap();

    let (status, body) = call(
        &app,
        "GET",
        "/api/v1/me/settings",
        None,
        Some(&dijkstad.token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["start_product"], serde_json::Value::Null);
    let (status, body) = call(
        &app,
        "PUT",
        "/api/v1/me/settings",
        Some(json!({"language": "en", "start_product": havenmond.product, "contrast": "dark"})),
        Some(&dijkstad.token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"language": "en", "start_product": havenmond.product, "contrast": "dark"})
    );

    // Another device: the start product opens, in English and dark.
    app.new_browser();
    let to = app.login("jan@example.nl", "fietsbel42xy").await;
    assert!(
        to.ends_with(&format!("/producten/{}/parkeeracties", havenmond.product)),
        "{to}"
    );
    assert_eq!(app.cookie("pp_lang").as_deref(), Some("en"));
    assert_eq!(app.cookie("pp_contrast").as_deref(), Some("dark"));
    let page = app.page(&to).await;
    assert!(page.contains("data-contrast=\"dark\""));
    assert!(page.contains("<html lang=\"en\""), "{page}");

    // A subset changes only itself; null returns to the product used last.
    let (_, body) = call(
        &app,
        "PUT",
        "/api/v1/me/settings",
        Some(json!({"start_product": null})),
        Some(&dijkstad.token),
    )
    .await;
    assert_eq!(
        body,
        json!({"language": "en", "start_product": null, "contrast": "dark"})
    );
    app.get(&format!("/producten/{}", dijkstad.product))
        .send()
        .await
        .unwrap();
    app.new_browser();
    let to = app.login("jan@example.nl", "fietsbel42xy").await;
    assert!(
        to.ends_with(&format!("/producten/{}/parkeeracties", dijkstad.product)),
        "{to}"
    );
}

#[tokio::test]
async fn the_settings_page_saves_and_refuses_another_residents_product() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let piet = resident(&app, "havenmond", "piet@example.nl", None).await;
    let resp = app.get("/instellingen").send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/inloggen"),
        "logged out, the page asks for a login"
    );
    app.login("jan@example.nl", "fietsbel42xy").await;
    let page = app.page("/instellingen").await;
    assert!(page.contains("value=\"jan@example.nl\" readonly"));
    assert!(page.contains("Start met product"));
    assert!(page.contains("Bezoekersregeling"));
    assert!(
        !page.contains("Havenmond"),
        "only own products to choose from"
    );
    let menu = app.page("/menu").await;
    assert!(menu.contains("Instellingen"));

    // Another resident's product: refused, the choices kept, nothing saved.
    let piets = piet.product.to_string();
    let resp = app
        .post_form(
            "/instellingen",
            &[
                ("taal", "en"),
                ("startproduct", &piets),
                ("contrast", "light"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Kies een van uw eigen producten"), "{body}");
    assert!(body.contains("value=\"light\" selected"));
    let (status, err) = call(
        &app,
        "PUT",
        "/api/v1/me/settings",
        Some(json!({"start_product": piet.product})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "start_product_invalid");
    let (status, _) = call(
        &app,
        "PUT",
        "/api/v1/me/settings",
        Some(json!({"language": "fr"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 400);
    let (_, saved) = call(&app, "GET", "/api/v1/me/settings", None, Some(&jan.token)).await;
    assert_eq!(saved["contrast"], serde_json::Value::Null, "{saved}");

    // [Bewaar] with own choices: saved, and this device follows at once.
    let jans = jan.product.to_string();
    let resp = app
        .post_form(
            "/instellingen",
            &[
                ("taal", "en"),
                ("startproduct", &jans),
                ("contrast", "light"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = app.page("/instellingen?bewaard=1").await;
    assert!(page.contains("Your settings have been saved."), "{page}");
    assert!(page.contains("data-contrast=\"light\""));
    let (_, saved) = call(&app, "GET", "/api/v1/me/settings", None, Some(&jan.token)).await;
    assert_eq!(
        saved,
        json!({"language": "en", "start_product": jan.product, "contrast": "light"})
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me/settings", None, None).await.0,
        401
    );
}

#[tokio::test]
async fn an_automatic_login_by_remember_me_applies_the_saved_settings_too() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    app.login_remembered("jan@example.nl", "fietsbel42xy").await;
    assert_eq!(
        app.cookie("pp_lang").as_deref(),
        Some("nl"),
        "the account's language"
    );
    // Saved elsewhere (another device, the API) while this one is idle.
    let (status, _) = call(
        &app,
        "PUT",
        "/api/v1/me/settings",
        Some(json!({"language": "en", "contrast": "light"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 200);
    app.clock.advance(chrono::Duration::hours(1));
    let menu = app.page("/menu").await;
    assert!(
        menu.contains("jan@example.nl"),
        "logged in again by the token"
    );
    assert_eq!(app.cookie("pp_lang").as_deref(), Some("en"));
    assert_eq!(app.cookie("pp_contrast").as_deref(), Some("light"));
    assert!(app.page("/menu").await.contains("<html lang=\"en\""));
}

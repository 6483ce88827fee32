//! "Favorieten": a plate with a name of at most 10 characters per own product, chosen in
//! "Kenteken opzoeken"; never on another resident's product.

use crate::harness::{TestApp, call, unescape};
use crate::parking::{at, resident};
use serde_json::json;

#[tokio::test]
async fn a_favorite_is_saved_chosen_in_the_lookup_and_deleted_after_confirmation() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    // A plate parked before, which then becomes a favorite, and one that stays only recent.
    for plate in ["12-GBD-3", "34-GBD-5"] {
        let (status, _) = jan
            .start(
                &app,
                json!({"plate": plate, "end": at(2, 10, 30).to_rfc3339()}),
            )
            .await;
        assert_eq!(status, 201);
    }
    app.login("jan@example.nl", "fietsbel42xy").await;
    let path = format!("/producten/{}/favorieten", jan.product);
    assert!(app.page(&path).await.contains("Favorieten (0)"));

    let resp = app
        .post_form(
            &path,
            &[("kenteken", "12-gbd-3"), ("land", "NL"), ("naam", " Oma ")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = app.page(&path).await;
    assert!(page.contains("Favorieten (1)"));
    assert!(page.contains("12-GBD-3") && page.contains("Oma"));
    assert!(unescape(&app.page("/menu").await).contains(&path));

    // Kenteken opzoeken: the favorite under Favorieten, the other plate only under Recent.
    let lookup = unescape(
        &app.page(&format!("/producten/{}/kentekens", jan.product))
            .await,
    );
    assert!(lookup.contains("Favorieten (1)") && lookup.contains("Oma: 12-GBD-3"));
    assert!(lookup.contains("parkeeracties/nieuw?kenteken=12GBD3&land=NL"));
    let recent = app
        .page(&format!("/producten/{}/kentekens?tab=recent", jan.product))
        .await;
    assert!(recent.contains("34-GBD-5"));
    assert!(
        !recent.contains("12-GBD-3"),
        "favorites are not listed as recent"
    );
    let form = app
        .page(&format!(
            "/producten/{}/parkeeracties/nieuw?kenteken=12GBD3&land=NL",
            jan.product
        ))
        .await;
    assert!(
        form.contains("value=\"12GBD3\""),
        "the plate field is filled"
    );

    // [Verwijder] asks first; [Annuleren] keeps it, confirming removes it.
    let (_, list) = call(
        &app,
        "GET",
        &format!("/api/v1/products/{}/favorites", jan.product),
        None,
        Some(&jan.token),
    )
    .await;
    assert_eq!(list["items"][0]["name"], "Oma");
    let fid = list["items"][0]["id"].as_i64().unwrap();
    let confirm = app.page(&format!("{path}/{fid}/verwijderen")).await;
    assert!(confirm.contains("Weet u zeker") && confirm.contains("12-GBD-3"));
    assert!(app.page(&path).await.contains("Favorieten (1)"));
    let resp = app
        .post_form(&format!("{path}/{fid}/verwijderen"), &[])
        .await;
    assert_eq!(resp.status(), 303);
    assert!(app.page(&path).await.contains("Favorieten (0)"));
}

#[tokio::test]
async fn a_long_name_a_double_plate_and_another_residents_product_are_refused() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let piet = resident(&app, "havenmond", "piet@example.nl", None).await;
    let api = format!("/api/v1/products/{}/favorites", jan.product);
    let post = |body: serde_json::Value| call(&app, "POST", &api, Some(body), Some(&jan.token));

    let (status, body) = post(json!({"plate": "12-GBD-3", "name": "Schoonmaakt"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "name_invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10 tekens")
    );
    let (status, body) = post(json!({"plate": "12-GBD-3", "name": "Schoonmaak"})).await;
    assert_eq!(status, 201, "ten characters fit: {body}");
    assert_eq!(body["plate"], "12-GBD-3");
    let (status, body) = post(json!({"plate": "12GBD3", "name": "Nogmaals"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "favorite_exists");
    let (status, body) = post(json!({"plate": "nonsense!", "name": "X"})).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (422, json!("plate_invalid"))
    );

    // Piet reaches nothing of Jan's, in the API or on the pages.
    let (_, list) = call(&app, "GET", &api, None, Some(&jan.token)).await;
    let fid = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        call(&app, "GET", &api, None, Some(&piet.token)).await.0,
        404
    );
    assert_eq!(
        call(
            &app,
            "POST",
            &api,
            Some(json!({"plate": "34-GBD-5", "name": "Piet"})),
            Some(&piet.token)
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("{api}/{fid}"),
            None,
            Some(&piet.token)
        )
        .await
        .0,
        404
    );
    // Nor through his own product's path.
    let own = format!("/api/v1/products/{}/favorites/{fid}", piet.product);
    assert_eq!(
        call(&app, "DELETE", &own, None, Some(&piet.token)).await.0,
        404
    );
    assert_eq!(call(&app, "GET", &api, None, None).await.0, 401);

    app.login("piet@example.nl", "fietsbel42xy").await;
    let jans = format!("/producten/{}/favorieten", jan.product);
    assert_eq!(app.get(&jans).send().await.unwrap().status(), 404);
    assert_eq!(
        app.post_form(&format!("{jans}/{fid}/verwijderen"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!(
            "/producten/{}/favorieten/{fid}/verwijderen",
            piet.product
        ))
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
    // The page keeps what was typed and says what is wrong.
    let mine = format!("/producten/{}/favorieten", piet.product);
    let resp = app
        .post_form(
            &mine,
            &[("kenteken", "56-GBD-7"), ("naam", "Heel lange naam")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(body.contains("hoogstens 10 tekens") && body.contains("value=\"56-GBD-7\""));
    let (_, left) = call(&app, "GET", &api, None, Some(&jan.token)).await;
    assert_eq!(
        left["items"].as_array().unwrap().len(),
        1,
        "Jan's favorite stays"
    );
    // The removal itself: once, then there is nothing left to remove.
    for expected in [204, 404] {
        let delete = format!("{api}/{fid}");
        let (status, _) = call(&app, "DELETE", &delete, None, Some(&jan.token)).await;
        assert_eq!(status, expected);
    }
}

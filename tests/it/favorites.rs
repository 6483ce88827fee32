//! "Favorieten": a plate with a name of at most 10 characters per own product, chosen in
//! "Kenteken opzoeken"; never on another resident's product.

use crate::support::{TestApp, call};
use crate::support::{at, resident};
use serde_json::json;

#[tokio::test]
async fn a_favorite_is_saved_chosen_in_the_lookup_and_deleted_after_confirmation() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    // A plate parked before, which then becomes a favorite, and one that stays only recent.
    for plate in ["12-GBD-3", "34-GBD-5"] {
        jan.park(&app, plate, at(2, 10, 30)).await;
    }
    let path = format!("/producten/{}/favorieten", jan.product);
    let page = jan.page(&app, &path).await;
    assert!(page.contains_text("Favorieten (0)"));

    let resp = jan
        .submit(
            &app,
            &page.form(&path),
            &[("kenteken", "12-gbd-3"), ("land", "NL"), ("naam", " Oma ")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = jan.page(&app, &path).await;
    assert!(page.contains_text("Favorieten (1)"));
    assert!(page.contains_text("12-GBD-3") && page.contains_text("Oma"));
    assert!(jan.page(&app, "/menu").await.links_to(&path));

    // Kenteken opzoeken: the favorite under Favorieten, the other plate only under Recent.
    let lookup = jan
        .page(&app, &format!("/producten/{}/kentekens", jan.product))
        .await;
    assert!(lookup.contains_text("Favorieten (1)") && lookup.contains_text("Oma: 12-GBD-3"));
    let chosen = lookup
        .links()
        .into_iter()
        .find(|(text, _)| text.starts_with("Oma: 12-GBD-3"));
    assert!(
        chosen
            .is_some_and(|(_, href)| href.ends_with("parkeeracties/nieuw?kenteken=12GBD3&land=NL")),
        "choosing the favorite starts parking it"
    );
    let recent = jan
        .get(
            &app,
            &format!("/producten/{}/kentekens?tab=recent", jan.product),
        )
        .await;
    assert_eq!(recent.status(), 200);
    assert!(recent.html().contains_text("34-GBD-5"));
    assert!(
        !recent.text().contains("12-GBD-3"),
        "favorites are not listed as recent"
    );
    let new = format!("/producten/{}/parkeeracties", jan.product);
    let form = jan
        .page(&app, &format!("{new}/nieuw?kenteken=12GBD3&land=NL"))
        .await;
    assert_eq!(
        form.forms()
            .iter()
            .find_map(|f| f.value("kenteken").map(str::to_owned))
            .as_deref(),
        Some("12-GBD-3"),
        "the plate field is filled, written as on the plate"
    );

    // [Verwijder] asks first; [Annuleren] keeps it, confirming removes it.
    let list = jan
        .api(
            &app,
            "GET",
            &format!("/api/v1/products/{}/favorites", jan.product),
            None,
        )
        .await
        .json();
    assert_eq!(list["items"][0]["name"], "Oma");
    let fid = list["items"][0]["id"].as_i64().unwrap();
    let delete = format!("{path}/{fid}/verwijderen");
    assert_eq!(page.link("Verwijder Oma"), delete);
    let confirm = jan.page(&app, &delete).await;
    assert!(confirm.contains_text("Weet u zeker") && confirm.contains_text("12-GBD-3"));
    assert!(jan.page(&app, &path).await.contains_text("Favorieten (1)"));
    let resp = jan.submit(&app, &confirm.form(&delete), &[]).await;
    assert_eq!(resp.status(), 303);
    assert!(jan.page(&app, &path).await.contains_text("Favorieten (0)"));
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

    let jans = format!("/producten/{}/favorieten", jan.product);
    assert_eq!(piet.get(&app, &jans).await.status(), 404);
    let delete = format!("{jans}/{fid}/verwijderen");
    assert_eq!(piet.post_form(&app, &delete, &[]).await.status(), 404);
    let own = format!("/producten/{}/favorieten/{fid}/verwijderen", piet.product);
    assert_eq!(piet.get(&app, &own).await.status(), 404);
    // The page keeps what was typed and says what is wrong.
    let mine = format!("/producten/{}/favorieten", piet.product);
    let resp = piet
        .post_form(
            &app,
            &mine,
            &[("kenteken", "56-GBD-7"), ("naam", "Heel lange naam")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    assert!(page.contains_text("maximaal 10 tekens"));
    assert_eq!(page.form(&mine).value("kenteken"), Some("56-GBD-7"));
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

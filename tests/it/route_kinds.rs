//! Routes know their kind, decided where they are mounted: a page answers its errors as a
//! themed page and the API as a JSON body, whatever the path looks like; files and the API get
//! no cookies; a path no route matches is a page, labelled `unmatched` in the metrics.

use crate::support::TestApp;

async fn answer(app: &TestApp, path: &str) -> (u16, String, String) {
    let resp = app.get(path).send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, resp.text().await.unwrap())
}

#[tokio::test]
async fn errors_are_answered_in_the_kind_of_the_route_not_by_the_look_of_the_path() {
    let app = TestApp::spawn().await;
    // An unknown gemeente: its API answers JSON, its pages a themed page.
    let (status, kind, body) = answer(&app, "/g/nergenshuizen/api/v1/tenants").await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("application/json"), "{kind}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "not_found");
    let (status, kind, body) = answer(&app, "/g/nergenshuizen/producten").await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("Pagina niet gevonden"), "{body}");
    // A page's path that merely contains /api/ is a page's.
    let (status, kind, body) = answer(&app, "/g/dijkstad/producten/api/v1").await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        body.contains("Gemeente Dijkstad"),
        "the gemeente's frame: {body}"
    );
    // A path under the API that no operation has: JSON, on any site.
    for path in ["/api/v1/bestaat-niet", "/g/dijkstad/api/v1/bestaat-niet"] {
        let (status, kind, body) = answer(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
        assert!(!body.contains("<html"), "{path}");
    }
    // A missing file is the platform's themed 404, leading home.
    let (status, kind, body) = answer(&app, "/static/bestaat-niet.css").await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("Pagina niet gevonden") && !body.contains("bestaat-niet"));
}

#[tokio::test]
async fn files_and_the_api_start_no_visit_and_pages_do() {
    let app = TestApp::spawn().await;
    for path in [
        "/g/dijkstad/theme.css",
        "/g/dijkstad/logo",
        "/api/v1/tenants",
    ] {
        let resp = app.get(path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(
            resp.headers().get("set-cookie").is_none(),
            "{path} set a cookie"
        );
    }
    let resp = app.get("/g/dijkstad/").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("pp_visit="), "{cookie}");
}

#[tokio::test]
async fn a_path_no_route_matches_is_labelled_unmatched_and_never_by_its_text() {
    let app = TestApp::spawn().await;
    for path in ["/geheim-pad-1234", "/g/dijkstad/geheim-pad-5678/en/verder"] {
        let (status, kind, _) = answer(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
    }
    let metrics = app.page("/metrics").await;
    assert!(metrics.contains("route=\"unmatched\""), "{metrics}");
    assert!(!metrics.contains("geheim-pad"), "{metrics}");
    assert!(!metrics.contains(":unmatched"), "{metrics}");
    // The home page is no unmatched path.
    let (status, _, _) = answer(&app, "/").await;
    assert_eq!(status, 200);
}

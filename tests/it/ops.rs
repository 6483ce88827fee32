//! Health, readiness, metrics, request ids and security headers.

use crate::support::TestApp;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn_empty().await;
    assert_eq!(app.page("/healthz").await, "ok");
    assert_eq!(app.page("/readyz").await, "ready");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_not_path() {
    let app = TestApp::spawn().await;
    app.page("/g/dijkstad/over").await;
    app.page("/g/havenmond/over").await;
    let _ = app.get("/g/dijkstad/nope").send().await.unwrap();
    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("parkportal_http_requests_total{route=\"/g/:slug/over\",method=\"GET\",status=\"200\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("status=\"404\""), "{metrics}");
    assert!(metrics.contains(
        "parkportal_http_request_duration_seconds_bucket{route=\"/g/:slug/over\",le=\"+Inf\"} 2"
    ));
    assert!(
        !metrics.contains("dijkstad"),
        "raw paths leak into metric labels"
    );
}

#[tokio::test]
async fn files_and_health_checks_keep_their_own_labels_beside_the_portal() {
    let app = TestApp::spawn().await;
    assert_eq!(app.page("/healthz").await, "ok");
    let css = app.get("/static/parkportal.css").send().await.unwrap();
    assert_eq!(css.status(), 200);
    let missing = app.get("/static/geheim-bestand.css").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("route=\"/healthz\",method=\"GET\",status=\"200\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/static\",method=\"GET\",status=\"200\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/static\",method=\"GET\",status=\"404\""),
        "{metrics}"
    );
    assert!(!metrics.contains("geheim-bestand"), "{metrics}");
}

#[tokio::test]
async fn every_response_has_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    let resp = app.get("/g/dijkstad/").send().await.unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 16);
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let other = app.get("/g/dijkstad/").send().await.unwrap();
    assert_ne!(other.headers()["x-request-id"].to_str().unwrap(), id);
}

#[tokio::test]
async fn the_server_stops_gracefully() {
    let mut app = TestApp::spawn_empty().await;
    let url = app.url.clone();
    app.stop().await;
    assert!(
        reqwest::get(format!("{url}/healthz")).await.is_err(),
        "still serving after stop"
    );
}

#[tokio::test]
async fn a_failing_database_gives_a_500_page_with_the_request_id_and_no_internals() {
    let app = TestApp::spawn().await;
    // Closing the pool shared by the application makes every query fail.
    app.app
        .as_ref()
        .unwrap()
        .database()
        .clone()
        .close()
        .await
        .unwrap();
    let resp = app.get("/g/dijkstad/").send().await.unwrap();
    assert_eq!(resp.status(), 500);
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = resp.text().await.unwrap();
    assert!(body.contains("Er ging iets mis"), "{body}");
    assert!(
        body.contains(&id),
        "the page does not show the request id {id}"
    );
    for internal in ["pool", "sqlx", "Pool", "closed", "database"] {
        assert!(
            !body.contains(internal),
            "the page leaks {internal:?}: {body}"
        );
    }
    assert_eq!(app.get("/readyz").send().await.unwrap().status(), 503);
    assert_eq!(
        app.get("/healthz").send().await.unwrap().status(),
        200,
        "the process is still up"
    );
    let api = app.get("/api/v1/tenants").send().await.unwrap();
    assert_eq!(api.status(), 500);
    let json: serde_json::Value = api.json().await.unwrap();
    assert_eq!(json["error"]["code"], "internal_error");
}

//! The embedded default: an empty embedded database gets the demo gemeenten once, never twice.

use crate::support::{TestApp, test_config};

#[tokio::test]
async fn the_demo_gemeenten_are_imported_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    assert!(config.is_embedded());
    let mut first = TestApp::start(config.clone(), dir).await;
    assert!(
        first.config.database.path.is_file(),
        "the embedded database file was not created"
    );
    let tenants = first.app.as_ref().unwrap().tenants().list().await.unwrap();
    assert_eq!(tenants.len(), 3);
    assert!(tenants.iter().all(|t| t.version == 1));
    assert!(first.app.as_ref().unwrap().created_demo_resident());
    // The demo resident logs in and finds products in two gemeenten, one with a running session.
    let (status, login) = crate::support::call(
        &first,
        "POST",
        "/api/v1/auth/login",
        Some(serde_json::json!({
            "email": parkportal::demo::DEMO_EMAIL,
            "password": parkportal::demo::DEMO_PASSWORD
        })),
        None,
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap();
    let (_, products) =
        crate::support::call(&first, "GET", "/api/v1/products", None, Some(token)).await;
    let items = products["items"].as_array().unwrap();
    let gemeenten: Vec<&str> = items
        .iter()
        .map(|p| p["gemeente"].as_str().unwrap())
        .collect();
    assert_eq!(
        gemeenten,
        ["Gemeente Dijkstad", "Gemeente Havenmond"],
        "{products}"
    );
    assert_eq!(items[0]["running"], 1);
    assert_eq!(
        items[0]["balance"]["value"], "22.60",
        "two hours at EUR 1.20 from 25.00"
    );
    first.stop().await;

    // A second start on the same file reuses the data and imports nothing.
    let dir = std::mem::replace(&mut first.dir, tempfile::tempdir().unwrap());
    let second = TestApp::start(config, dir).await;
    let tenants = second.app.as_ref().unwrap().tenants().list().await.unwrap();
    assert_eq!(tenants.len(), 3);
    assert!(
        tenants.iter().all(|t| t.version == 1),
        "a gemeente was imported again"
    );
    assert!(!second.app.as_ref().unwrap().created_demo_resident());
    assert!(second.page("/").await.contains("Gemeente Havenmond"));
}

#[tokio::test]
async fn the_embedded_database_uses_wal_and_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let app = TestApp::start(config.clone(), dir).await;
    use sea_orm::ConnectionTrait;
    let conn = app.app.as_ref().unwrap().database().connection();
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    let mode: String = row.try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA synchronous",
        ))
        .await
        .unwrap()
        .unwrap();
    let sync: i32 = row.try_get_by_index(0).unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
}

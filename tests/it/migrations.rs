//! The one migration set runs up from empty on the database under test.

use crate::support::TestApp;

#[tokio::test]
async fn every_migration_is_applied_from_empty() {
    let app = TestApp::spawn_empty().await;
    let db = app.app.as_ref().unwrap().database();
    let applied = db.applied_migrations().await.unwrap();
    assert_eq!(applied, parkportal_store::Database::known_migrations());
    assert!(!applied.is_empty());
    // A second run finds nothing to do.
    db.migrate().await.unwrap();
    assert_eq!(db.applied_migrations().await.unwrap().len(), applied.len());
}

#[tokio::test]
async fn an_empty_database_shows_no_gemeenten() {
    let app = TestApp::spawn_empty().await;
    let body = app.page("/").await;
    assert!(body.contains("Er zijn nog geen gemeenten aangesloten."));
    let json: serde_json::Value = app
        .get("/api/v1/tenants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_host_cannot_belong_to_two_gemeenten() {
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut havenmond = tenants
        .export(&"havenmond".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    havenmond.hosts.push("dijkstad.localhost".parse().unwrap());
    let err = tenants.import(&havenmond).await.unwrap_err().to_string();
    assert!(
        err.contains("dijkstad.localhost") && err.contains("dijkstad"),
        "{err}"
    );
    // Nothing of the failed import was stored.
    let stored = tenants
        .export(&"havenmond".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.hosts.len(), 1);
}

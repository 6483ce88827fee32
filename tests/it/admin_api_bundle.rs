//! Rules as code (#23): `GET /api/admin/v1/bundle` gives the key's gemeente as a `.tar.gz` of
//! `<slug>/`, and `PUT` takes it back: unchanged, nothing changes; a script that does not compile
//! is refused with its file and line and nothing stored; the platformbeheerder's fields are
//! refused; a new tariff is scheduled from `effective_from` while the rest applies at once; the
//! scope is needed and a key reaches its own gemeente only.

use crate::admin_api::key;
use crate::support::zips::tar_gz;
use crate::support::{TestApp, audit_entries};
use std::collections::BTreeMap;
use std::io::Read;

/// `GET /v1/bundle` with key `k`: status and the archive.
async fn get(app: &TestApp, k: &str) -> (u16, Vec<u8>) {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/admin/v1/bundle", app.url))
        .bearer_auth(k)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    if status == 200 {
        assert_eq!(resp.headers()["content-type"], "application/gzip");
        assert_eq!(resp.headers()["cache-control"], "no-store");
    }
    (status, resp.bytes().await.unwrap().to_vec())
}

/// `PUT /v1/bundle` of `archive` with key `k` (and `?effective_from=`): status and answer.
async fn put(
    app: &TestApp,
    k: &str,
    archive: Vec<u8>,
    from: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut url = format!("{}/api/admin/v1/bundle", app.url);
    if let Some(from) = from {
        url.push_str(&format!("?effective_from={}", from.replace('+', "%2B")));
    }
    let resp = reqwest::Client::new()
        .put(url)
        .bearer_auth(k)
        .header("content-type", "application/gzip")
        .body(archive)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

/// The files of a `.tar.gz` by path.
fn files(archive: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut found = BTreeMap::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type().is_file() {
            let path = entry.path().unwrap().display().to_string();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            found.insert(path, data);
        }
    }
    found
}

/// `files` with `path` changed by `change`, packed again.
fn changed(
    files: &BTreeMap<String, Vec<u8>>,
    path: &str,
    change: impl Fn(String) -> String,
) -> Vec<u8> {
    let mut files = files.clone();
    let text = String::from_utf8(files[path].clone()).unwrap();
    files.insert(path.to_owned(), change(text).into_bytes());
    let list: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    tar_gz(&list, None)
}

async fn versions(app: &TestApp, table: &str) -> i64 {
    app.sql_i64(&format!(
        "SELECT COUNT(*) FROM {table} t JOIN tenants g ON g.id = t.tenant_id WHERE g.slug = 'dijkstad'"
    ))
    .await
}

#[tokio::test]
async fn a_bundle_round_trips_unchanged_and_a_changed_one_is_checked_scheduled_and_audited() {
    let app = TestApp::spawn().await;
    let k = key(&app, "dijkstad", "repository", "config:write").await;
    let (status, archive) = get(&app, &k).await;
    assert_eq!(status, 200);
    let bundle = files(&archive);
    // One folder `<slug>/`, laid out as `tenants/<slug>/` is.
    assert!(
        bundle.keys().all(|p| p.starts_with("dijkstad/")),
        "{:?}",
        bundle.keys()
    );
    let on_disk = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tenants/dijkstad/rules/bezoekers.rhai"),
    )
    .unwrap();
    assert_eq!(bundle["dijkstad/rules/bezoekers.rhai"], on_disk.as_bytes());
    assert!(bundle.contains_key("dijkstad/tenant.toml"));
    assert!(bundle.contains_key("dijkstad/tariffs/bezoekers.toml"));

    // Put back as it came: nothing new, and it reads back the same.
    let (scripts, tariffs) = (
        versions(&app, "rule_scripts").await,
        versions(&app, "tariffs").await,
    );
    let (status, applied) = put(&app, &k, archive.clone(), None).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["rule_files"], serde_json::json!([]));
    assert_eq!(versions(&app, "rule_scripts").await, scripts);
    assert_eq!(versions(&app, "tariffs").await, tariffs);
    assert_eq!(files(&get(&app, &k).await.1), bundle);

    // A script that does not compile: refused with its file and line, nothing stored.
    let broken = changed(&bundle, "dijkstad/rules/bezoekers.rhai", |s| {
        format!("{s}\nfn max_concurrent_sessions(ctx) {{ 10 +\n")
    });
    let (status, refused) = put(&app, &k, broken, None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "bundle_invalid");
    let problem = &refused["error"]["problems"][0];
    assert_eq!(
        problem["file"], "dijkstad/rules/bezoekers.rhai",
        "{refused}"
    );
    assert!(problem["line"].as_u64().unwrap() > 8, "{refused}");
    assert_eq!(versions(&app, "rule_scripts").await, scripts);

    // The host names are the platformbeheerder's.
    let hosts = changed(&bundle, "dijkstad/tenant.toml", |s| {
        s.replace(
            "hosts = [\"dijkstad.localhost\"]",
            "hosts = [\"parkeren.dijkstad.nl\"]",
        )
    });
    let (status, refused) = put(&app, &k, hosts, None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "bundle_protected");
    assert_eq!(refused["error"]["fields"], serde_json::json!(["hosts"]));

    // A new tariff from a moment to come, and a new name at once.
    let next_year = |s: String| s.replace("amount = \"0.02\"", "amount = \"0.03\"");
    let mut new = files(&archive);
    let tariff = "dijkstad/tariffs/bezoekers.toml";
    new.insert(
        tariff.into(),
        next_year(String::from_utf8(new[tariff].clone()).unwrap()).into_bytes(),
    );
    let renamed = changed(&new, "dijkstad/tenant.toml", |s| {
        s.replace(
            "name = \"Gemeente Dijkstad\"",
            "name = \"Gemeente Dijkstad aan de Rivier\"",
        )
    });
    let (status, refused) = put(&app, &k, renamed.clone(), Some("2026-03-01T00:00:00+01:00")).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (422, &serde_json::json!("effective_from_invalid"))
    );
    let (status, applied) = put(&app, &k, renamed, Some("2027-01-01T00:00:00+01:00")).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(
        applied["rule_files"],
        serde_json::json!(["tariffs/bezoekers.toml"])
    );
    assert_eq!(applied["effective_from"], "2026-12-31T23:00:00+00:00");
    assert_eq!(versions(&app, "tariffs").await, tariffs + 1);
    assert_eq!(
        app.sql_text("SELECT name FROM tenants WHERE slug = 'dijkstad'")
            .await
            .as_deref(),
        Some("Gemeente Dijkstad aan de Rivier")
    );
    // In force now is still the old tariff: the bundle gives it, the new one is pending.
    let now = files(&get(&app, &k).await.1);
    assert_eq!(now[tariff], bundle[tariff]);
    let entry = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| {
            e.action == "bundle.put" && e.result == "ok" && e.reason.as_deref() != Some("updated")
        })
        .unwrap();
    assert_eq!(entry.actor, "api-sleutel repository");
    assert_eq!(
        entry.reason.as_deref(),
        Some("updated; tariffs/bezoekers.toml 1 → 2 from 2026-12-31T23:00:00+00:00")
    );
    let refusals: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "bundle.put" && e.result == "refused")
        .filter_map(|e| e.reason)
        .collect();
    assert_eq!(
        refusals,
        [
            "effective_from_invalid",
            "bundle_protected",
            "bundle_invalid"
        ]
    );

    // What was read now and put back with a later moment leaves the pending tariff alone:
    // only the script, which did change, gets a version.
    let served = files(&get(&app, &k).await.1);
    let script_only = changed(&served, "dijkstad/rules/bezoekers.rhai", |s| {
        s.replace("limit: 250.00", "limit: 300.00")
    });
    let scripts = versions(&app, "rule_scripts").await;
    let (status, applied) = put(&app, &k, script_only, Some("2027-02-01T00:00:00+01:00")).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(
        applied["rule_files"],
        serde_json::json!(["rules/bezoekers.rhai"])
    );
    assert_eq!(versions(&app, "tariffs").await, tariffs + 1);
    assert_eq!(versions(&app, "rule_scripts").await, scripts + 1);

    // Moments out of reach: more than ten years ahead, or at the calendar's edge.
    for far in ["2040-01-01T00:00:00Z", "+262142-12-31T23:30:00Z"] {
        let (status, refused) = put(&app, &k, archive.clone(), Some(far)).await;
        assert_eq!(status, 422, "{far}: {refused}");
        assert_eq!(refused["error"]["code"], "effective_from_invalid", "{far}");
    }
    // A script that compiles but fails as it prices: refused, named by its file.
    let failing = changed(&bundle, "dijkstad/rules/bezoekers.rhai", |s| {
        format!("{s}\nfn cost(ctx) {{ throw \"kapot\"; }}\n")
    });
    let (status, refused) = put(&app, &k, failing, None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["error"]["problems"][0]["file"],
        "dijkstad/rules/bezoekers.rhai"
    );
    // A product type's unit gives meaning to every balance of it: not the bundle's to change.
    let unit = changed(&bundle, "dijkstad/tenant.toml", |s| {
        s.replace("unit = \"none\"", "unit = \"minutes\"")
    });
    let (status, refused) = put(&app, &k, unit, None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["error"]["fields"],
        serde_json::json!(["product_types.bewoners.unit"])
    );
    assert_eq!(versions(&app, "rule_scripts").await, scripts + 1);
}

#[tokio::test]
async fn a_key_reaches_its_own_gemeentes_bundle_with_config_write_only() {
    let app = TestApp::spawn().await;
    let dijkstad = key(&app, "dijkstad", "repository", "config:write").await;
    let weidevelde = key(&app, "weidevelde", "repository", "config:write").await;
    let reader = key(&app, "dijkstad", "lezer", "products:read,products:issue").await;
    assert_eq!(get(&app, &reader).await.0, 403);
    let (_, archive) = get(&app, &dijkstad).await;
    assert_eq!(put(&app, &reader, archive.clone(), None).await.0, 403);
    // Weidevelde's key reads Weidevelde, and cannot put Dijkstad in its place.
    let (_, theirs) = get(&app, &weidevelde).await;
    assert!(files(&theirs).keys().all(|p| p.starts_with("weidevelde/")));
    let (status, refused) = put(&app, &weidevelde, archive, None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "bundle_protected");
    assert_eq!(refused["error"]["fields"][0], "slug");
    assert_eq!(
        app.sql_text("SELECT name FROM tenants WHERE slug = 'weidevelde'")
            .await
            .as_deref(),
        Some("Gemeente Weidevelde")
    );
    // A client that cannot name gzip sends the bytes as they are.
    let (_, own) = get(&app, &dijkstad).await;
    let resp = reqwest::Client::new()
        .put(format!("{}/api/admin/v1/bundle", app.url))
        .bearer_auth(&dijkstad)
        .header("content-type", "application/octet-stream")
        .body(own)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // No archive at all: refused with the reader's words.
    let (status, refused) = put(&app, &dijkstad, b"geen archief".to_vec(), None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "bundle_invalid");
    assert!(
        refused["error"]["problems"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
}

#[tokio::test]
async fn the_store_refuses_a_gemeentes_own_bundle_changing_its_hosts_under_its_row_lock() {
    use parkportal_domain::audit::{Actor, AuditEntry};
    use parkportal_domain::ports::SaveTenantError;
    use parkportal_domain::tenancy::ImportError;
    use parkportal_domain::{Hostname, RulesStamp};
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let slug = "dijkstad".parse().unwrap();
    // As if the platformbeheerder moved the hosts after the bundle was checked: the save itself
    // compares with what is stored, and writes nothing.
    let mut config = tenants.export(&slug).await.unwrap().unwrap();
    config.hosts = vec![Hostname::parse("parkeren.dijkstad.nl").unwrap()];
    config.name = "Gemeente Elders".into();
    let now = tenants.now();
    let entry = AuditEntry::new(Actor::Operator, "bundle.put", "test", now);
    let saved = tenants
        .import_stamped(&config, &entry, &RulesStamp::import(now))
        .await;
    match saved {
        Err(ImportError::Save(SaveTenantError::Protected(fields))) => {
            assert_eq!(fields, ["hosts"])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        app.sql_text("SELECT name FROM tenants WHERE slug = 'dijkstad'")
            .await
            .as_deref(),
        Some("Gemeente Dijkstad")
    );
    // A gemeente that is not there is no gemeente's own.
    config.slug = "nergens".parse().unwrap();
    assert!(matches!(
        tenants
            .import_stamped(&config, &entry, &RulesStamp::import(now))
            .await,
        Err(ImportError::Save(SaveTenantError::Protected(_)))
    ));
}

#[tokio::test]
async fn a_logo_in_a_bundle_is_sanitised_as_an_upload_is() {
    let app = TestApp::spawn().await;
    let k = key(&app, "dijkstad", "repository", "config:write").await;
    let bundle = files(&get(&app, &k).await.1);
    let hostile = r#"<svg onload="alert(1)"><script>alert(2)</script><foreignObject><p>x</p></foreignObject><image href="https://tracker.example/p.png"/><use href="data:image/svg+xml;base64,PHN2Zy8+"/><circle r="5"/></svg>"#;
    let archive = changed(&bundle, "dijkstad/logo.svg", |_| hostile.to_owned());
    let (status, applied) = put(&app, &k, archive, None).await;
    assert_eq!(status, 200, "{applied}");
    let served = reqwest::get(format!("{}/g/dijkstad/logo", app.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        served,
        r#"<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>"#
    );
    // What GET gives back is what is stored: sanitised.
    let again = files(&get(&app, &k).await.1);
    assert_eq!(again["dijkstad/logo.svg"], served.as_bytes());

    // An entity bomb: refused with its file, nothing stored.
    let bomb = r#"<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg><text>&b;</text></svg>"#;
    let archive = changed(&bundle, "dijkstad/logo.svg", |_| bomb.to_owned());
    let (status, refused) = put(&app, &k, archive, None).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "bundle_invalid");
    assert!(
        refused["error"]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("DTD"),
        "{refused}"
    );
    assert_eq!(
        files(&get(&app, &k).await.1)["dijkstad/logo.svg"],
        served.as_bytes()
    );
}

//! `tenants import`, `export` and `check`, and `migrate`, through the binary.

use crate::support::{parkportal_command as parkportal, repo};

#[test]
fn tenants_check_accepts_the_demo_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let out = parkportal(dir.path())
        .args(["tenants", "check"])
        .arg(repo().join("tenants"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).matches(": ok").count(),
        3
    );

    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::copy(
        repo().join("tenants/dijkstad/logo.svg"),
        bad.join("logo.svg"),
    )
    .unwrap();
    std::fs::write(
        bad.join("tokens.json"),
        r##"{"utrecht-link-color": "#bbbbbb"}"##,
    )
    .unwrap();
    std::fs::write(
        bad.join("tenant.toml"),
        "slug = \"slecht\"\nname = \"Slecht\"\ntime_zone = \"Europe/Amsterdam\"\nlogo = \"logo.svg\"\ntokens = \"tokens.json\"\n",
    )
    .unwrap();
    let out = parkportal(dir.path())
        .args(["tenants", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--utrecht-link-color") && err.contains("needs 4.5:1"),
        "{err}"
    );
    assert!(err.contains("at least one zone"), "{err}");
}

#[test]
fn import_export_and_import_again_round_trips_through_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let out = parkportal(dir.path())
        .env("PARKPORTAL__DATABASE__URL", &db)
        .args(["tenants", "import"])
        .arg(repo().join("tenants"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created havenmond"));

    let export = dir.path().join("export");
    let out = parkportal(dir.path())
        .env("PARKPORTAL__DATABASE__URL", &db)
        .args(["tenants", "export", "havenmond"])
        .arg(&export)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let original = parkportal::bundle::read_bundle(&repo().join("tenants/havenmond")).unwrap();
    let exported = parkportal::bundle::read_bundle(&export).unwrap();
    assert_eq!(exported, original);

    let out = parkportal(dir.path())
        .env("PARKPORTAL__DATABASE__URL", &db)
        .args(["tenants", "import"])
        .arg(&export)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("updated havenmond"));

    let out = parkportal(dir.path())
        .env("PARKPORTAL__DATABASE__URL", &db)
        .args(["tenants", "export", "nergens", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no gemeente with slug nergens"));
}

#[test]
fn migrate_creates_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = parkportal(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("data/parkportal.db").is_file());
}

/// `parkportal api-keys ...` against the database of `app`, its stdout and stderr.
async fn api_keys_cli(app: &crate::support::TestApp, args: &[&str]) -> std::process::Output {
    let dir = app.dir.path().to_owned();
    let url = app.config.database.url.clone().unwrap();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        parkportal(&dir)
            .env("PARKPORTAL__DATABASE__URL", url)
            .arg("api-keys")
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// `parkportal api-keys create` of a key of Dijkstad named `name` with `scopes`, and `extra`.
async fn create_key(
    app: &crate::support::TestApp,
    name: &str,
    scopes: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "create", "--tenant", "dijkstad", "--name", name, "--scopes", scopes,
    ];
    args.extend_from_slice(extra);
    api_keys_cli(app, &args).await
}

#[tokio::test]
async fn api_keys_create_prints_the_key_alone_on_the_last_line_and_revoke_ends_it() {
    let app = crate::support::TestApp::spawn().await;
    let keys = app.app.as_ref().unwrap().api_keys();
    let out = create_key(&app, "Zaaksysteem", "products:issue,letters:read", &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = stdout.lines().last().unwrap();
    assert!(key.starts_with("ppk_") && key.len() == 68, "{stdout}");
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    );
    assert!(stdout.contains("products:issue,letters:read"), "{stdout}");
    // Stored as a hash only.
    let hash = app.sql_text("SELECT key_hash FROM api_keys").await.unwrap();
    assert!(!hash.contains(&key[4..]) && !key.contains(&hash));
    // It authenticates for Dijkstad, with its scopes; on the record as the command line's.
    let dijkstad = app.tenant("dijkstad").await;
    let now = chrono::Utc::now();
    let found = keys.authenticate(key, now).await.unwrap().unwrap();
    assert_eq!(found.tenant, dijkstad.id);
    assert_eq!(found.scopes.to_string(), "products:issue,letters:read");
    let entries = crate::support::audit_entries(&app).await;
    assert_eq!(
        (entries[0].action.as_str(), entries[0].actor.as_str()),
        ("api_key.created", "command line")
    );

    // Listed without its secret; then revoked by name, after which it is refused.
    let out = api_keys_cli(&app, &["list", "--tenant", "dijkstad"]).await;
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success());
    assert!(
        listed.contains("Zaaksysteem") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(&key[4..]));
    let out = api_keys_cli(
        &app,
        &["revoke", "--tenant", "dijkstad", "--name", "Zaaksysteem"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(keys.authenticate(key, now).await.unwrap().is_none());
    let out = api_keys_cli(&app, &["list", "--tenant", "dijkstad"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"));
}

#[tokio::test]
async fn api_keys_create_refuses_bad_input_with_exit_code_2_and_an_expiry_ends_the_key() {
    let app = crate::support::TestApp::spawn().await;
    for (args, message) in [
        (
            &[
                "--tenant",
                "dijkstad",
                "--name",
                "x",
                "--scopes",
                "products:write",
            ][..],
            "products:write",
        ),
        (
            &["--tenant", "dijkstad", "--name", "x", "--scopes", ""][..],
            "api_key_scopes_missing",
        ),
        (
            &[
                "--tenant",
                "nergens",
                "--name",
                "x",
                "--scopes",
                "products:read",
            ][..],
            "no gemeente with slug nergens",
        ),
        (
            &[
                "--tenant",
                "dijkstad",
                "--name",
                " ",
                "--scopes",
                "products:read",
            ][..],
            "--name",
        ),
        (
            &[
                "--tenant",
                "dijkstad",
                "--name",
                "x",
                "--scopes",
                "products:read",
                "--expires",
                "2020-01-01",
            ][..],
            "--expires",
        ),
    ] {
        let mut all = vec!["create"];
        all.extend_from_slice(args);
        let out = api_keys_cli(&app, &all).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM api_keys").await, 0);

    // A key valid through tomorrow works until the day after begins, not after.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let tomorrow_text = tomorrow.to_string();
    let expires = ["--expires", tomorrow_text.as_str()];
    let out = create_key(&app, "tijdelijk", "products:read", &expires).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let key = stdout.lines().last().unwrap();
    let keys = app.app.as_ref().unwrap().api_keys();
    let dijkstad = app.tenant("dijkstad").await;
    let until = parkportal_domain::api_keys::expiry_after(dijkstad.time_zone, tomorrow);
    let second = chrono::Duration::seconds(1);
    assert!(
        keys.authenticate(key, until - second)
            .await
            .unwrap()
            .is_some()
    );
    assert!(keys.authenticate(key, until).await.unwrap().is_none());
    // The same name again is refused while the key is not revoked.
    let out = create_key(&app, "tijdelijk", "letters:read", &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has a key named tijdelijk"));
}

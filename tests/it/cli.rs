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

//! Configuration precedence (defaults, file, environment) and unknown keys, through the binary.

use crate::support::parkportal_command as parkportal;

#[test]
fn the_file_beats_the_defaults_and_the_environment_beats_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("parkportal.toml"),
        "[server]\nport = 9100\nhost = \"0.0.0.0\"\n",
    )
    .unwrap();
    let out = parkportal(dir.path())
        .arg("config")
        .env("PARKPORTAL__SERVER__PORT", "9200")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: toml::Value = toml::from_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(
        shown["server"]["port"].as_integer(),
        Some(9200),
        "environment wins"
    );
    assert_eq!(
        shown["server"]["host"].as_str(),
        Some("0.0.0.0"),
        "file wins over default"
    );
    assert_eq!(
        shown["database"]["max_connections"].as_integer(),
        Some(10),
        "default stays"
    );
}

#[test]
fn an_explicit_config_file_is_used_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("other.toml"),
        "[database]\nmax_connections = 3\n",
    )
    .unwrap();
    let out = parkportal(dir.path())
        .args(["--config", "other.toml", "config"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("max_connections = 3"));
    let out = parkportal(dir.path())
        .args(["--config", "missing.toml", "config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn unknown_keys_are_named_in_the_file_and_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("parkportal.toml"), "[server]\nprot = 1\n").unwrap();
    let out = parkportal(dir.path()).arg("config").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("prot"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let out = parkportal(dir.path())
        .arg("config")
        .env("PARKPORTAL__DATABASE__ULR", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ulr"), "{err}");

    let out = parkportal(dir.path())
        .arg("config")
        .env("PARKPORTAL__SERVER__PORT", "not-a-port")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("port"));
}

#[test]
fn secrets_are_redacted_when_the_configuration_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let out = parkportal(dir.path())
        .arg("config")
        .env(
            "PARKPORTAL__DATABASE__URL",
            "postgres://app:topsecret@127.0.0.1:5432/pp",
        )
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("postgres://app:***@127.0.0.1:5432/pp"),
        "{shown}"
    );
    assert!(!shown.contains("topsecret"));
}

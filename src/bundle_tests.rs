//! The bundle reader's and writer's tests: the demo folders, values refused with their file, and
//! what a bundle says of the sender of letters.

use super::*;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn every_demo_gemeente_is_valid_and_passes_contrast() {
    let base = base_tokens(&repo("themes")).unwrap();
    assert!(
        base.contrast_problems().is_empty(),
        "{:?}",
        base.contrast_problems()
    );
    let configs = read_all(&repo("tenants")).unwrap();
    assert!(configs.len() >= 3, "at least three demo gemeenten");
    for config in &configs {
        config
            .validate(&base)
            .unwrap_or_else(|p| panic!("{}: {p:?}", config.slug));
    }
    let colours: std::collections::HashSet<_> = configs
        .iter()
        .map(|c| {
            c.tokens
                .get("utrecht-page-header-background-color")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        colours.len(),
        configs.len(),
        "each demo gemeente has its own header colour"
    );
}

#[test]
fn export_then_import_gives_the_same_gemeente() {
    let config = read_bundle(&repo("tenants/dijkstad")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_bundle(&config, dir.path()).unwrap();
    assert_eq!(read_bundle(dir.path()).unwrap(), config);
}

#[test]
fn plates_are_kept_at_most_13_weeks() {
    let weidevelde = read_bundle(&repo("tenants/weidevelde")).unwrap();
    assert_eq!(weidevelde.plate_retention.in_days(), 28);
    let dijkstad = read_bundle(&repo("tenants/dijkstad")).unwrap();
    assert_eq!(
        dijkstad.plate_retention.in_days(),
        91,
        "13 weeks unless shorter"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = std::fs::read_to_string(repo("tenants/weidevelde").join(MANIFEST)).unwrap();
    manifest = manifest.replace("plate_retention_days = 28", "plate_retention_days = 92");
    std::fs::write(dir.path().join(MANIFEST), manifest).unwrap();
    for file in ["logo.svg", "tokens.json"] {
        std::fs::copy(repo("tenants/weidevelde").join(file), dir.path().join(file)).unwrap();
    }
    let err = read_bundle(dir.path()).unwrap_err().to_string();
    assert!(err.contains("plate_retention_days"), "{err}");
}

#[test]
fn a_bundle_names_the_sender_of_its_letters() {
    let dijkstad = read_bundle(&repo("tenants/dijkstad")).unwrap();
    assert_eq!(
        dijkstad.letter_return_address,
        ["Gemeente Dijkstad", "Postbus 100", "1230 AA  DIJKSTAD"]
    );
    assert!(
        dijkstad
            .letter_contact
            .as_deref()
            .unwrap()
            .contains("14 0123")
    );
    let sender = parkportal_domain::Sender::of(&dijkstad);
    assert_eq!(sender.return_address, dijkstad.letter_return_address);
    assert_eq!(sender.logo.unwrap().1, parkportal_domain::LogoKind::Svg);
    let base = base_tokens(&repo("themes")).unwrap();
    let mut config = dijkstad.clone();
    config.letter_return_address = vec!["a".into(); 5];
    config.letter_contact = Some("twee\nregels".into());
    let problems = config.validate(&base).unwrap_err();
    assert!(problems.iter().any(|p| p.what == "letter_return_address"));
    assert!(problems.iter().any(|p| p.what == "letter_contact"));
    let weidevelde = read_bundle(&repo("tenants/weidevelde")).unwrap();
    assert!(weidevelde.letter_return_address.is_empty() && weidevelde.letter_contact.is_none());
    let sender = parkportal_domain::Sender::of(&weidevelde);
    assert_eq!(sender.return_address, [weidevelde.name.as_str()]);
    assert_eq!(sender.contact, "");
}

#[test]
fn unknown_manifest_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(MANIFEST),
        "slug = \"x1\"\nname = \"X\"\ntime_zone = \"UTC\"\nlogo = \"l.svg\"\ncolour = 1\n",
    )
    .unwrap();
    let err = read_bundle(dir.path()).unwrap_err().to_string();
    assert!(err.contains("colour"), "{err}");
}

use super::*;

#[path = "../../tests/it/support/zips.rs"]
mod zips;

use zips::{ZipEntry, tar_gz, zip, zip_bomb};

fn messages(problems: &[ArchiveProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.file, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_layout_gives_the_files_of_the_bundle() {
    for prefix in ["", "x1/", "tenants/x1/", "./tenants/x1/"] {
        let manifest = format!("{prefix}tenant.toml");
        let logo = format!("{prefix}logo.svg");
        let bytes = zip(&[
            ZipEntry::file(&manifest, b"slug = 'x1'"),
            ZipEntry::file(&logo, b"<svg/>"),
        ]);
        let (folder, files) = read_archive(&bytes).unwrap();
        assert_eq!(folder, prefix.trim_start_matches("./"));
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["logo.svg", "tenant.toml"]
        );
        assert_eq!(files["logo.svg"], b"<svg/>");
    }
}

#[test]
fn a_written_tar_gz_reads_back() {
    let mut files = BTreeMap::new();
    files.insert("tenant.toml".to_owned(), b"slug = 'x1'".to_vec());
    files.insert("rules/bezoek.rhai".to_owned(), b"true".to_vec());
    let bytes = write_tar_gz("tenants/x1/", &files).unwrap();
    assert_eq!(
        read_archive(&bytes).unwrap(),
        ("tenants/x1/".to_owned(), files)
    );
}

#[test]
fn hostile_paths_are_refused_by_name() {
    for (name, why) in [
        ("../evil/tenant.toml", ".."),
        ("tenants/../../tenant.toml", ".."),
        ("/etc/tenant.toml", "absolute"),
        ("C:/tenant.toml", "drive"),
        ("tenants\\x1\\tenant.toml", "backslash"),
        ("a//tenant.toml", "empty"),
    ] {
        let bytes = zip(&[ZipEntry::file(name, b"x")]);
        let problems = read_archive(&bytes).unwrap_err();
        assert_eq!(problems[0].file, name);
        assert!(messages(&problems).contains(why), "{name}: {problems:?}");
    }
}

#[test]
fn links_and_special_files_are_refused() {
    let link = zip(&[
        ZipEntry::file("tenant.toml", b"x"),
        ZipEntry {
            name: "logo.svg",
            data: b"/etc/passwd",
            deflate: false,
            unix_mode: Some(0o120_777),
        },
    ]);
    assert!(messages(&read_archive(&link).unwrap_err()).contains("logo.svg: is a symbolic link"));
    let tar = tar_gz(
        &[("x1/tenant.toml", b"x")],
        Some(("x1/logo.svg", "/etc/passwd")),
    );
    assert!(messages(&read_archive(&tar).unwrap_err()).contains("x1/logo.svg: is a symbolic link"));
}

#[test]
fn a_zip_bomb_stops_at_the_limit() {
    let bomb = zip_bomb("tenant.toml", 50 * 1024 * 1024);
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    let problems = read_archive(&bomb).unwrap_err();
    assert!(
        messages(&problems).contains("larger than 2 MiB"),
        "{problems:?}"
    );
}

#[test]
fn many_files_together_are_refused_past_the_total() {
    let data = vec![7u8; 1024 * 1024 + 512 * 1024];
    let names: Vec<String> = (0..8).map(|i| format!("f{i}.txt")).collect();
    let entries: Vec<ZipEntry<'_>> = names.iter().map(|n| ZipEntry::file(n, &data)).collect();
    let problems = read_archive(&zip(&entries)).unwrap_err();
    assert!(
        messages(&problems).contains("together are larger than 8 MiB"),
        "{problems:?}"
    );
}

#[test]
fn too_many_entries_two_bundles_none_and_nonsense_are_refused() {
    let names: Vec<String> = (0..65).map(|i| format!("f{i}")).collect();
    let entries: Vec<ZipEntry<'_>> = names.iter().map(|n| ZipEntry::file(n, b"")).collect();
    assert!(messages(&read_archive(&zip(&entries)).unwrap_err()).contains("more than 64"));
    let two = zip(&[
        ZipEntry::file("a1/tenant.toml", b""),
        ZipEntry::file("b1/tenant.toml", b""),
    ]);
    assert!(messages(&read_archive(&two).unwrap_err()).contains("more than one gemeente"));
    let none = zip(&[ZipEntry::file("a/b/c/tenant.toml", b"")]);
    assert!(messages(&read_archive(&none).unwrap_err()).contains("holds no tenant.toml"));
    let outside = zip(&[
        ZipEntry::file("a1/tenant.toml", b""),
        ZipEntry::file("README", b""),
    ]);
    assert!(messages(&read_archive(&outside).unwrap_err()).contains("README: lies outside"));
    assert!(messages(&read_archive(b"hello").unwrap_err()).contains("neither"));
    let mut damaged = zip(&[ZipEntry::file("tenant.toml", b"slug = 'x1'")]);
    damaged[43] ^= 0xff;
    assert!(read_archive(&damaged).is_err());
    assert!(read_archive(b"\x1f\x8bnot gzip at all").is_err());
}

#[test]
fn litter_of_other_systems_is_left_out() {
    let bytes = zip(&[
        ZipEntry::file("x1/tenant.toml", b""),
        ZipEntry::file("__MACOSX/x1/._tenant.toml", b""),
        ZipEntry::file("x1/.DS_Store", b""),
    ]);
    let (_, files) = read_archive(&bytes).unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), ["tenant.toml"]);
}

#[test]
fn a_tar_gz_that_outgrows_the_limit_in_skipped_headers_is_refused_not_shortened() {
    // A global header (which the reader skips) that ends exactly where the inflated stream is
    // cut, before the files: the cut must not read as an archive that ends there.
    let stream_max = MAX_TOTAL + 1024 * 1024;
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::XGlobalHeader);
    let padding = vec![b'a'; usize::try_from(stream_max - 512).unwrap()];
    header.set_size(padding.len() as u64);
    builder
        .append_data(&mut header, "pax_global_header", padding.as_slice())
        .unwrap();
    let mut header = tar::Header::new_ustar();
    header.set_size(11);
    builder
        .append_data(&mut header, "tenants/x1/tenant.toml", &b"slug = 'x1'"[..])
        .unwrap();
    let bytes = builder.into_inner().unwrap().finish().unwrap();
    let problems = read_archive(&bytes).unwrap_err();
    assert!(messages(&problems).contains("larger than"), "{problems:?}");
}

#[test]
fn a_tar_gz_of_more_skipped_headers_than_entries_allowed_is_refused() {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for i in 0..=MAX_ENTRIES {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::XGlobalHeader);
        header.set_size(1);
        builder
            .append_data(&mut header, format!("g{i}"), &b"x"[..])
            .unwrap();
    }
    let bytes = builder.into_inner().unwrap().finish().unwrap();
    let problems = read_archive(&bytes).unwrap_err();
    assert!(messages(&problems).contains("more than"), "{problems:?}");
}

//! A letter of a demo gemeente read back as a person and a machine would: its text layer with
//! `pdftotext` (poppler-utils), its pixels with `pdftoppm`, its QR code with `zbarimg`
//! (zbar-tools). A missing tool fails the test with the package to install; `.ci/run` installs
//! both.

#![expect(clippy::unwrap_used, reason = "tests may panic: a panic is a failure")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use parkportal_domain::letters::claim_link;
use parkportal_domain::{
    Language, Letter, LetterRenderer, LogoKind, Pin, Postcode, ProductCode, Recipient, Sender,
};
use parkportal_letters::page::{ADDRESS_TOP, WINDOW, pt};
use parkportal_letters::{LetterTemplate, PdfLetters};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a tool, failing with the Debian package that brings it when it is missing.
fn run(program: &str, package: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} could not run ({e}): install the Debian package {package}")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn letter(language: Language, logo: Option<(Vec<u8>, LogoKind)>) -> Letter {
    let code = ProductCode::parse("ACDEFGHJKM").unwrap();
    let mut letter = Letter {
        recipient: Recipient {
            name: "J. de Vries".into(),
            street: "Kerkstraat".into(),
            house_number: "12 A".into(),
            postcode: Postcode::parse("1234ab").unwrap(),
            city: "Dijkstad".into(),
        },
        sender: Sender {
            name: "Gemeente Dijkstad".into(),
            logo,
            return_address: vec![
                "Gemeente Dijkstad".into(),
                "Postbus 100".into(),
                "1230 AA  DIJKSTAD".into(),
            ],
            contact: "Telefoon 14 0123 · dijkstad.nl · maandag tot en met vrijdag 9.00–17.00 uur"
                .into(),
        },
        language,
        place: "Dijkstad".into(),
        date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
        product_type: "Bezoekersvergunning".into(),
        zone: "Centrum".into(),
        valid_until: NaiveDate::from_ymd_opt(2027, 12, 31),
        claim_url: claim_link("https://dijkstad.parkportal.example", &code),
        code,
        pin: Pin::parse("482915").unwrap(),
        texts: Default::default(),
    };
    let template = LetterTemplate::load(&repo().join("themes"), "default").unwrap();
    letter.texts = template
        .texts(&letter, "dijkstad.parkportal.example")
        .unwrap();
    letter
}

fn dijkstad_logo() -> Option<(Vec<u8>, LogoKind)> {
    let svg = std::fs::read(repo().join("tenants/dijkstad/logo.svg")).unwrap();
    Some((svg, LogoKind::Svg))
}

fn write(dir: &Path, name: &str, letter: &Letter) -> PathBuf {
    let renderer = PdfLetters::new().unwrap();
    let started = Instant::now();
    let pdf = renderer.render(letter).unwrap();
    println!(
        "{name}: rendered in {:?}, {} bytes",
        started.elapsed(),
        pdf.len()
    );
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    path
}

/// The words of `pdftotext -bbox` with their boxes in points: (text, xMin, yMin, xMax, yMax).
fn words(pdf: &Path) -> Vec<(String, f32, f32, f32, f32)> {
    let html = run(
        "pdftotext",
        "poppler-utils",
        &["-bbox", pdf.to_str().unwrap(), "-"],
    );
    let attribute = |tag: &str, name: &str| -> f32 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + tag[start..].find('"').unwrap();
        tag[start..end].parse().unwrap()
    };
    html.split("<word ")
        .skip(1)
        .map(|rest| {
            let (tag, after) = rest.split_once('>').unwrap();
            let text = after.split_once("</word>").unwrap().0;
            let text = text.replace("&amp;", "&").replace("&quot;", "\"");
            (
                text,
                attribute(tag, "xMin"),
                attribute(tag, "yMin"),
                attribute(tag, "xMax"),
                attribute(tag, "yMax"),
            )
        })
        .collect()
}

#[test]
fn a_dutch_letter_reads_right_in_text_pixels_and_qr_code() {
    let dir = tempfile::tempdir().unwrap();
    let letter = letter(Language::Nl, dijkstad_logo());
    let pdf = write(dir.path(), "brief.pdf", &letter);
    let pdf_arg = pdf.to_str().unwrap();

    let text = run("pdftotext", "poppler-utils", &["-layout", pdf_arg, "-"]);
    for expected in [
        "J. de Vries",
        "Gemeente Dijkstad",
        "ACDEF-GHJKM",
        "482915",
        "Betreft:",
        "Geachte J. de Vries,",
        "Kies Voeg",
        "Bezoekersvergunning",
        "Centrum",
        "tot en met 31 december 2027",
        "Dijkstad, 3 december 2026",
        "https://dijkstad.parkportal.example/producten/toevoegen?code=ACDEF-GHJKM",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert_eq!(text.matches("482915").count(), 1, "the PIN is printed once");

    // Every address line lies inside the window field, word for word, below the return line's
    // 17.7 mm.
    let words = words(&pdf);
    let (left, _, width, height) = WINDOW;
    let top = WINDOW.1;
    let inside = |&(_, x0, y0, x1, y1): &(String, f32, f32, f32, f32)| {
        x0 >= pt(left) && x1 <= pt(left + width) && y0 >= pt(ADDRESS_TOP) && y1 <= pt(top + height)
    };
    for line in letter.recipient.address_lines() {
        let wanted: Vec<&str> = line.split_whitespace().collect();
        let found = words.windows(wanted.len()).any(|run| {
            run.iter().map(|w| w.0.as_str()).eq(wanted.iter().copied()) && run.iter().all(inside)
        });
        assert!(found, "{line:?} is not inside the window: {words:?}");
    }
    let postbus = words.iter().find(|w| w.0 == "Postbus").unwrap();
    assert!(
        postbus.2 >= pt(top) && postbus.4 <= pt(ADDRESS_TOP),
        "{postbus:?}"
    );

    // It renders, and its QR code is the claim link: the code, never the PIN.
    let prefix = dir.path().join("brief");
    run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-png",
            "-r",
            "200",
            "-singlefile",
            pdf_arg,
            prefix.to_str().unwrap(),
        ],
    );
    let png = dir.path().join("brief.png");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    let decoded = run(
        "zbarimg",
        "zbar-tools",
        &["--raw", "-q", png.to_str().unwrap()],
    );
    assert_eq!(decoded.trim(), letter.claim_url);
    assert!(decoded.contains("ACDEF-GHJKM"));
    assert!(!decoded.contains("482915"));

    // The archive's conformance is declared.
    let info = run("pdfinfo", "poppler-utils", &["-meta", pdf_arg]);
    assert!(
        info.contains("pdfaid:part") || info.contains("<pdfaid:part>2"),
        "{info}"
    );
}

#[test]
fn an_english_letter_has_the_english_texts() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(
        dir.path(),
        "letter.pdf",
        &letter(Language::En, dijkstad_logo()),
    );
    let text = run("pdftotext", "poppler-utils", &[pdf.to_str().unwrap(), "-"]);
    for expected in [
        "Subject:",
        "Dear J. de Vries,",
        "Product code",
        "PIN",
        "Choose Add",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(text.contains("until 31 December 2027 inclusive"), "{text}");
    assert!(!text.contains("Geachte"));
}

#[test]
fn a_png_logo_is_drawn_and_a_hostile_svg_reads_no_file() {
    let dir = tempfile::tempdir().unwrap();
    // A real PNG on disk: the first letter's rendering.
    let first = write(dir.path(), "first.pdf", &letter(Language::Nl, None));
    let prefix = dir.path().join("first");
    run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-png",
            "-r",
            "20",
            "-singlefile",
            first.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png_path = dir.path().join("first.png");
    let png = std::fs::read(&png_path).unwrap();

    let with_png = write(
        dir.path(),
        "png.pdf",
        &letter(Language::Nl, Some((png, LogoKind::Png))),
    );
    let images = run(
        "pdfimages",
        "poppler-utils",
        &["-list", with_png.to_str().unwrap()],
    );
    assert_eq!(
        images.lines().count(),
        3,
        "one image under the header:\n{images}"
    );

    // An SVG naming that PNG, /etc/passwd and a script: usvg's default resolver would embed the
    // PNG; ours draws nothing of what lies outside the SVG.
    let hostile = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">
  <script>alert(1)</script>
  <image href="file:///etc/passwd" width="64" height="64"/>
  <image xlink:href="{}" width="64" height="64"/>
  <image href="file://{}" width="64" height="64"/>
  <rect width="20" height="20" fill="#0b4f6c"/>
</svg>"##,
        png_path.display(),
        png_path.display()
    );
    let with_svg = write(
        dir.path(),
        "hostile.pdf",
        &letter(Language::Nl, Some((hostile.into_bytes(), LogoKind::Svg))),
    );
    let images = run(
        "pdfimages",
        "poppler-utils",
        &["-list", with_svg.to_str().unwrap()],
    );
    assert_eq!(
        images.lines().count(),
        2,
        "no image read from disk:\n{images}"
    );
    let text = run(
        "pdftotext",
        "poppler-utils",
        &[with_svg.to_str().unwrap(), "-"],
    );
    assert!(!text.contains("root:"), "{text}");
}

#[test]
fn a_theme_overrides_the_template_and_the_default_stays() {
    let dir = tempfile::tempdir().unwrap();
    let themes = dir.path();
    std::fs::create_dir_all(themes.join("default/letters")).unwrap();
    std::fs::copy(
        repo().join("themes/default/letters/allocation.toml"),
        themes.join("default/letters/allocation.toml"),
    )
    .unwrap();
    let default = LetterTemplate::load(themes, "havenstad").unwrap();
    let letter = letter(Language::Nl, None);
    assert_eq!(
        default.texts(&letter, "x").unwrap().salutation,
        "Geachte J. de Vries,"
    );

    std::fs::create_dir_all(themes.join("havenstad/letters")).unwrap();
    let own = std::fs::read_to_string(themes.join("default/letters/allocation.toml"))
        .unwrap()
        .replace("Geachte {name},", "Beste {name},");
    std::fs::write(themes.join("havenstad/letters/allocation.toml"), own).unwrap();
    let own = LetterTemplate::load(themes, "havenstad").unwrap();
    assert_eq!(
        own.texts(&letter, "x").unwrap().salutation,
        "Beste J. de Vries,"
    );

    assert!(LetterTemplate::parse("[nl]\ntitle = \"x\"").is_err());
}

#[test]
fn every_character_an_address_may_hold_prints_in_lower_case_and_in_capitals() {
    // What `Recipient::parse` lets through must render: PDF/A refuses a character the font
    // lacks, and the place is printed in capitals.
    let accepted: Vec<char> = (0x20..=0x2026)
        .filter_map(char::from_u32)
        .filter(|c| parkportal_domain::letters::prints(*c))
        .collect();
    assert!(accepted.len() > 900, "{}", accepted.len());
    let renderer = PdfLetters::new().unwrap();
    for chunk in accepted.chunks(40) {
        // A combining accent goes after a letter, as it does in a name.
        let text: String = chunk
            .iter()
            .flat_map(|c| match *c as u32 {
                0x0300..=0x036F => vec!['a', *c],
                _ => vec![*c],
            })
            .collect();
        let mut letter = letter(Language::Nl, None);
        letter.recipient.name = text.clone();
        letter.recipient.street = text.to_uppercase();
        letter.recipient.city = text.clone();
        let rendered = renderer.render(&letter);
        assert!(rendered.is_ok(), "{text:?}: {rendered:?}");
    }
}

//! Issuing a product in the console: the form, the code and PIN shown once, the allocation
//! letter kept for reprinting (read back with poppler: the address in the envelope's window,
//! the code and the PIN in its text layer) and claimed by the resident with them; a form with
//! mistakes stores nothing; another gemeente's staff never reach the letter; the letter goes
//! after its time.

use super::*;
use crate::support::response::Response;
use std::process::Command;

const FORM: &str = "/beheer/dijkstad/producten/uitgeven";

/// Sends the issue form of Dijkstad as `by` with `fields` over the defaults it shows.
async fn issue(by: &Staff, fields: &[(&str, &str)]) -> Response {
    let page = by.page(FORM).await;
    by.submit(&page.form(FORM), fields).await
}

/// A complete letter-only form for J. de Vries.
const JAN: [(&str, &str); 6] = [
    ("naam", "J. de Vries"),
    ("straat", "Kerkstraat"),
    ("huisnummer", "12 A"),
    ("postcode", "1234ab"),
    ("plaats", "Dijkstad"),
    ("brief", "ja"),
];

/// The text of `pdf` as `pdftotext -layout` reads it.
pub(super) fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("brief.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (Debian's poppler-utils) runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_medewerker_issues_a_product_whose_letter_the_resident_claims_with() {
    let app = TestApp::spawn().await;
    let els = staff(&app, "els@dijkstad.nl", "dijkstad", Role::Staff).await;
    // The menu leads there for every medewerker.
    assert!(els.page("/beheer/dijkstad").await.links_to(FORM));

    let resp = issue(&els, &[&JAN[..], &[("kentekens", "ab-12-34")]].concat()).await;
    assert_eq!(resp.status(), 201, "{}", resp.text());
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let page = resp.html();
    let code = page.by_id("productcode").unwrap();
    let pin = page.by_id("pincode").unwrap();
    assert_eq!(code.len(), 11, "{code}");
    assert!(
        code.chars()
            .all(|c| c == '-' || "ACDEFGHJKMNPQRTUVWXY34679".contains(c)),
        "{code}: no 0/O, 1/I/L"
    );
    assert!(
        pin.len() == 6 && pin.chars().all(|c| c.is_ascii_digit()),
        "{pin}"
    );
    assert!(page.contains_text("J. de Vries"));

    // What is stored: the holder, the plate, the letter; the PIN only as a hash.
    let stored = app
        .sql_text(&format!(
            "SELECT holder_name || '|' || holder_street || '|' || holder_house_number || '|' || \
             holder_postcode || '|' || holder_city FROM products WHERE code = '{}'",
            code.replace('-', "")
        ))
        .await;
    assert_eq!(
        stored.as_deref(),
        Some("J. de Vries|Kerkstraat|12 A|1234 AB|Dijkstad")
    );
    let pin_hash = app.sql_text("SELECT pin_hash FROM products").await.unwrap();
    assert!(pin_hash.starts_with("$argon2") && !pin_hash.contains(&pin));
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM product_plates").await, 1);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM outbox").await,
        1,
        "only the enrolment mail"
    );

    // The letter: its link on the page, a PDF with the address, the code and the PIN.
    let letter_url = page.link("Brief downloaden (PDF)");
    assert_eq!(
        letter_url,
        format!("/beheer/dijkstad/producten/{code}/brief.pdf")
    );
    let (status, kind, pdf) = els.get_bytes(&letter_url).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert_eq!(
        els.get(&letter_url).await.header("cache-control"),
        Some("no-store"),
        "it holds the PIN"
    );
    let text = pdf_text(&pdf);
    for expected in ["J. de Vries", "Kerkstraat 12 A", &code, &pin] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // (The two spaces before the place are in the text layer; `-layout` shows them as one.)
    assert!(
        text.lines()
            .any(|l| l.trim().starts_with("1234 AB") && l.trim().ends_with("DIJKSTAD")),
        "{text}"
    );
    assert!(text.contains(&format!("/producten/toevoegen?code={code}")));

    // The trail: the issue (about the product) and the reading of the letter, by Els.
    let product = app.sql_i64("SELECT id FROM products").await.to_string();
    let entries = audit_entries(&app).await;
    for action in ["product.issue", "letter.read"] {
        let e = entries
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action} in {entries:?}"));
        assert_eq!(
            (e.result.as_str(), e.actor.as_str(), e.object_id.as_deref()),
            ("ok", "els@dijkstad.nl", Some(product.as_str()))
        );
    }

    // The resident adds it with the letter's code and PIN.
    let resident = resident(&app, "dijkstad", "bewoner@example.nl", None).await;
    let claimed = resident
        .post_form(
            &app,
            "/producten/toevoegen",
            &[("code", &code), ("pin", &pin)],
        )
        .await;
    assert_eq!(claimed.status(), 303, "{}", claimed.text());
    let owner = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM products WHERE id = {product} AND owner_id IS NOT NULL"
        ))
        .await;
    assert_eq!(owner, 1);
}

#[tokio::test]
async fn the_coupling_mail_goes_when_asked_and_needs_an_address() {
    let app = TestApp::spawn().await;
    let els = staff(&app, "els@dijkstad.nl", "dijkstad", Role::Staff).await;
    let refused = issue(
        &els,
        &[&JAN[..5], &[("mail", "ja"), ("brief", "")]].concat(),
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .html()
            .contains_text("Vul een e-mailadres in om de koppelmail te sturen.")
    );
    let resp = issue(
        &els,
        &[
            &JAN[..5],
            &[
                ("mail", "ja"),
                ("brief", ""),
                ("email", "Bewoner@Example.nl"),
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text());
    let page = resp.html();
    assert!(page.contains_text("De koppelmail is verstuurd naar bewoner@example.nl."));
    // No letter was asked: none made, none offered.
    assert!(!page.links().iter().any(|(_, h)| h.ends_with("brief.pdf")));
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM product_letters").await, 0);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM outbox WHERE recipient = 'bewoner@example.nl'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_form_with_mistakes_names_each_keeps_what_was_typed_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let els = staff(&app, "els@dijkstad.nl", "dijkstad", Role::Staff).await;
    let before = audit_entries(&app).await.len();
    let resp = issue(
        &els,
        &[
            ("naam", "J. de Vries"),
            ("straat", ""),
            ("huisnummer", "A"),
            ("postcode", "0123 AB"),
            ("plaats", "Dijkstad"),
            ("email", "geen-adres"),
            ("kentekens", "AB-12-34, !!"),
            ("saldo", "twee"),
            ("geldig_tot", "gisteren"),
            ("brief", ""),
            ("mail", ""),
        ],
    )
    .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    for message in [
        "Vul de straat in",
        "Vul een huisnummer in dat met een cijfer begint",
        "Vul een postcode in als 1234 AB.",
        "Vul een geldig e-mailadres in",
        "Een van de kentekens klopt niet.",
        "Vul het beginsaldo in als getal",
        "Vul een datum in als 31-12-2027.",
        "Kies de toewijzingsbrief, de koppelmail of beide.",
    ] {
        assert!(page.contains_text(message), "{message:?} missing");
    }
    // The summary (focusable, to be moved to) names them in the order of the form.
    let html = resp.text();
    let summary = &html[html
        .find(r#"id="fouten" role="alert" tabindex="-1""#)
        .unwrap()..];
    let summary = &summary[..summary.find("</div>").unwrap()];
    let order: Vec<usize> = [
        "#straat",
        "#huisnummer",
        "#postcode",
        "#email",
        "#geldig_tot",
        "#kentekens",
        "#saldo",
        "#verzending",
    ]
    .iter()
    .map(|anchor| {
        summary
            .find(&format!("href=\"{anchor}\""))
            .unwrap_or_else(|| panic!("{anchor}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // Each error is tied to its field, and what was typed is still there.
    assert!(resp.text().contains(r#"id="postcode" name="postcode" type="text" autocomplete="off" maxlength="7" value="0123 AB" aria-invalid="true" aria-describedby="postcode-fout postcode-hint""#), "{}", resp.text());
    assert!(resp.text().contains(r#"value="AB-12-34, !!""#));

    // A valid form the use case refuses: a day that has passed, a balance of cents in minutes.
    let passed = issue(&els, &[&JAN[..], &[("geldig_tot", "2020-01-01")]].concat()).await;
    assert_eq!(passed.status(), 422);
    assert!(passed.html().contains_text("Deze datum is al voorbij."));
    let unfit = issue(
        &els,
        &[&JAN[..], &[("producttype", "bezoekers"), ("saldo", "-5")]].concat(),
    )
    .await;
    assert_eq!(unfit.status(), 422, "{}", unfit.text());
    assert!(
        unfit
            .html()
            .contains_text("Dit beginsaldo past niet bij het producttype")
    );
    let far = issue(&els, &[&JAN[..], &[("geldig_tot", "31-12-2050")]].concat()).await;
    assert_eq!(far.status(), 422);
    assert!(far.html().contains_text("Deze datum ligt te ver weg"));
    let other_type = issue(
        &els,
        &[&JAN[..], &[("producttype", "bestaat-niet")]].concat(),
    )
    .await;
    assert_eq!(other_type.status(), 422);
    assert!(
        other_type
            .html()
            .contains_text("Kies een producttype van deze gemeente.")
    );

    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM products").await, 0);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM product_letters").await, 0);
    // One refusal on the record per form sent.
    let entries = audit_entries(&app).await;
    let refusals: Vec<_> = entries[..entries.len() - before]
        .iter()
        .filter(|e| e.action == "product.issue")
        .map(|e| (e.result.as_str(), e.reason.as_deref()))
        .collect();
    assert_eq!(
        refusals,
        [
            ("refused", Some("product_type_unknown")),
            ("refused", Some("valid_until_too_far")),
            ("refused", Some("balance_invalid")),
            ("refused", Some("valid_until_passed")),
            ("refused", Some("invalid_input")),
        ]
    );
}

#[tokio::test]
async fn another_gemeentes_staff_never_reach_the_letter_and_it_goes_after_its_time() {
    let app = TestApp::spawn().await;
    let els = staff(&app, "els@dijkstad.nl", "dijkstad", Role::Staff).await;
    let page = issue(&els, &JAN).await.html();
    let code = page.by_id("productcode").unwrap();
    let letter = format!("/beheer/dijkstad/producten/{code}/brief.pdf");

    // Havenmond's staff: Dijkstad's console does not exist for them, and in their own the code
    // is unknown.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let (status, _, body) = piet.get_bytes(&letter).await;
    assert_eq!(status, 404);
    assert!(!body.starts_with(b"%PDF"));
    let (status, _, body) = piet
        .get_bytes(&format!("/beheer/havenmond/producten/{code}/brief.pdf"))
        .await;
    assert_eq!(status, 404);
    assert!(!body.starts_with(b"%PDF"));
    let refused = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "letter.read")
        .unwrap();
    assert_eq!(
        (
            refused.actor.as_str(),
            refused.result.as_str(),
            refused.reason.as_deref()
        ),
        ("piet@havenmond.nl", "refused", Some("not_found"))
    );
    // A code that is no code at all is a 404 too.
    assert_eq!(
        els.get_bytes("/beheer/dijkstad/producten/0000/brief.pdf")
            .await
            .0,
        404
    );

    // Kept seven days by default; then housekeeping deletes the PDF, and the record stays.
    // (The console's idle time-out has long passed by then: Els logs in again. Each login
    // moves the clock on by half a minute, to a fresh TOTP step.)
    app.clock.advance(Duration::days(7) - Duration::minutes(5));
    app.housekeep().await;
    let login = els.login(&app).await;
    assert_eq!(login.status(), 303, "{}", login.text());
    let (status, _, body) = els.get_bytes(&letter).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    app.clock.advance(Duration::minutes(5));
    app.housekeep().await;
    assert_eq!(els.get_bytes(&letter).await.0, 404);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM product_letters WHERE pdf IS NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn a_suspended_gemeente_issues_nothing_from_the_console() {
    let app = TestApp::spawn().await;
    let els = staff(&app, "els@dijkstad.nl", "dijkstad", Role::Staff).await;
    let root = platform_admin(&app, "root@parkportal.nl").await;
    let path = "/beheer/platform/gemeenten/dijkstad/schorsen";
    let page = root.page(path).await;
    let done = root.submit(&page.form(path), &[("reden", "Test")]).await;
    assert_eq!(done.status(), 303, "{}", done.text());
    let resp = issue(&els, &JAN).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("Deze gemeente is geschorst"));
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM products").await, 0);
    let entry = &audit_entries(&app).await[0];
    assert_eq!(
        (entry.action.as_str(), entry.reason.as_deref()),
        ("product.issue", Some("tenant_suspended"))
    );
}

//! Letter batches in the console: a medewerker uploads a sheet, follows the batch's progress
//! (the page and the JSON its script polls), downloads the report (no PIN) and the PDF (a page
//! per letter); a sheet with problems comes back naming each line and stores nothing; another
//! gemeente's medewerker finds nothing; a platformbeheerder's polling leaves no visit per poll.

use super::*;
use parkportal_domain::batches::LetterBatches;
use std::process::Command;

/// A sheet of `rows` recipients, `;`-separated with a byte-order mark.
fn sheet(rows: usize) -> String {
    let mut s = String::from("\u{FEFF}naam;straat;huisnummer;postcode;plaats;saldo\r\n");
    for i in 1..=rows {
        s.push_str(&format!(
            "Bewoner {i};Kerkstraat;{i};1234 AB;Dijkstad;5,00\r\n"
        ));
    }
    s
}

fn batches(app: &TestApp) -> &LetterBatches {
    app.app.as_ref().unwrap().batches()
}

/// Works the batches waiting, as an instance's worker does.
async fn work(app: &TestApp) {
    let runner = batches(app).runner("test");
    while runner.run_once(None).await.unwrap().is_some() {}
}

const LIST: &str = "/beheer/dijkstad/brieven";

/// Uploads a sheet of two rows as `b.csv`: the batch's page.
async fn uploaded(an: &Staff) -> String {
    let resp = an
        .upload(LIST, &[], "bestand", "b.csv", sheet(2).as_bytes())
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    resp.location().to_owned()
}

/// The PIN printed on each page of `pdf` (the line of six digits).
fn pins(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("brieven.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args([file.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (poppler-utils)");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(|page| {
            page.lines()
                .map(str::trim)
                .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
                .expect("a PIN on every page")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_medewerker_uploads_a_sheet_follows_its_batch_and_downloads_report_and_letters() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let list = an.page(LIST).await;
    assert!(list.contains_text("Brieven in bulk"));
    assert!(list.contains_text("Er zijn nog geen batches geüpload."));
    assert!(list.contains_text("hoogstens 5.000 regels"));
    let sample = list.link("Voorbeeld downloaden (CSV)");
    let (status, headers, bytes) = an.download(&sample).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}naam;straat;huisnummer;postcode;plaats;email"));
    // The sample itself uploads: it is a sheet the console takes.
    let resp = an
        .upload(
            LIST,
            &[],
            "bestand",
            "bezoekers-2027.csv",
            sheet(3).as_bytes(),
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let page_path = resp.location().to_owned();
    assert!(
        page_path.starts_with("/beheer/dijkstad/brieven/"),
        "{page_path}"
    );

    let waiting = an.page(&page_path).await;
    assert!(waiting.contains_text("Batch bezoekers-2027.csv"));
    assert_eq!(
        waiting.by_id("batch-tekst").unwrap(),
        "0 van 3 brieven verwerkt."
    );
    assert!(waiting.contains_text("Voortgang vernieuwen"));
    assert!(!waiting.contains_text("Rapport downloaden (CSV)"));
    let poll = format!("{page_path}/voortgang");
    assert!(
        crate::support::unescape(an.get(&page_path).await.text())
            .contains(&format!("data-voortgang=\"{poll}\""))
    );
    let progress = an.get(&poll).await;
    assert_eq!(progress.status(), 200);
    let p = progress.json();
    assert_eq!(
        (p["state"].as_str(), p["total"].as_u64()),
        (Some("queued"), Some(3))
    );
    assert_eq!(p["handled"], 0);

    work(&app).await;
    let p = an.get(&poll).await.json();
    assert_eq!(p["state"], "done");
    assert_eq!(
        (p["issued"].as_u64(), p["percent"].as_u64()),
        (Some(3), Some(100))
    );
    assert_eq!(p["text"], "3 van 3 brieven verwerkt.");
    let done = an.page(&page_path).await;
    assert!(!an.get(&page_path).await.text().contains("data-voortgang"));
    let report = done.link("Rapport downloaden (CSV)");
    let letters = done.link("Alle 3 brieven downloaden (PDF)");

    let (status, headers, pdf) = an.download(&letters).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["cache-control"], "no-store");
    let pins = pins(&pdf);
    assert_eq!(pins.len(), 3, "a page per letter, each with its PIN");

    let (status, headers, csv) = an.download(&report).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "regel;productcode;ontvanger;resultaat");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("2;") && lines[1].ends_with(";Bewoner 1;uitgegeven"));
    let codes: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(';').nth(1).unwrap().to_owned())
        .collect();
    for code in &codes {
        assert_eq!(
            app.sql_i64(&format!(
                "SELECT COUNT(*) FROM products WHERE code = '{}'",
                code.replace('-', "")
            ))
            .await,
            1,
            "{code} is a product"
        );
    }
    assert!(
        pins.iter().all(|pin| !csv.contains(pin.as_str())),
        "no PIN in the report"
    );

    // The list names it; the trail holds the upload and each reading, by the medewerker.
    let list = an.page(LIST).await;
    assert!(list.contains_text("bezoekers-2027.csv"));
    assert!(list.contains_text("door an@dijkstad.nl"), "{}", list.text());
    assert!(list.contains_text("3 uitgegeven, 0 geweigerd, van 3"));
    let entries = audit_entries(&app).await;
    for action in ["batch.upload", "batch.report", "batch.letters"] {
        let found: Vec<_> = entries.iter().filter(|e| e.action == action).collect();
        assert_eq!(found.len(), 1, "{action}");
        assert_eq!(found[0].actor, "an@dijkstad.nl", "{action}");
        assert_eq!(found[0].result, "ok", "{action}");
        assert_eq!(found[0].object_kind.as_deref(), Some("batch"), "{action}");
    }
}

#[tokio::test]
async fn a_sheet_with_problems_comes_back_naming_each_line_and_nothing_is_stored() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let products = app.sql_i64("SELECT COUNT(*) FROM products").await;
    let mut bad = sheet(5);
    bad = bad.replace(
        "Bewoner 2;Kerkstraat;2;1234 AB",
        "Bewoner 2;Kerkstraat;2;12345",
    );
    bad.push_str("Bewoner 6;Kerkstraat;6;1234 AB;Dijkstad;-3\r\n");
    let resp = an
        .upload(LIST, &[], "bestand", "fout.csv", bad.as_bytes())
        .await;
    assert_eq!(resp.status(), 422);
    let html = resp.html();
    assert!(html.contains_text("De spreadsheet is niet in orde: er is niets uitgegeven"));
    assert!(
        html.contains_text("Regel 3: vul een postcode in als 1234 AB."),
        "{}",
        html.text()
    );
    assert!(
        html.contains_text("Regel 7: vul het beginsaldo in als getal dat bij het producttype past")
    );
    assert!(resp.text().contains("aria-invalid=\"true\""));
    // A sheet with a zone another gemeente has: unknown here.
    let other_zone =
        "naam;straat;huisnummer;postcode;plaats;zone\nA;B;1;1234 AB;Dijkstad;kop-van-de-haven\n";
    let resp = an
        .upload(LIST, &[], "bestand", "zone.csv", other_zone.as_bytes())
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Regel 2: deze gemeente heeft deze zone niet.")
    );
    // Many problems: the first 200 are listed and the rest counted.
    let many = sheet(250).replace(";1234 AB;", ";1234;");
    let resp = an
        .upload(LIST, &[], "bestand", "veel.csv", many.as_bytes())
        .await;
    assert_eq!(resp.status(), 422);
    let html = resp.html();
    assert!(html.contains_text("Regel 201: vul een postcode in"));
    assert!(!html.contains_text("Regel 202:"));
    assert!(html.contains_text("En nog 50 problemen."));
    // Not UTF-8 (as old Excel saves a CSV), and no file at all.
    let latin1: Vec<u8> =
        b"naam;straat;huisnummer;postcode;plaats\nJos\xe9;B;1;1234 AB;Dijkstad\n".to_vec();
    let resp = an.upload(LIST, &[], "bestand", "latin.csv", &latin1).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("niet in UTF-8"));
    let resp = an.upload(LIST, &[], "bestand", "leeg.csv", b"").await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Kies een CSV-bestand om te uploaden.")
    );

    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 0);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM letter_batch_rows").await,
        0
    );
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM products").await, products);
    let refused: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "batch.upload")
        .map(|e| (e.result, e.reason.unwrap_or_default()))
        .collect();
    assert_eq!(refused.len(), 5);
    assert!(refused.iter().all(|(result, _)| result == "refused"));
    assert_eq!(refused[0].1, "no_file");
    assert_eq!(refused[1].1, "sheet_invalid");
}

#[tokio::test]
async fn another_gemeentes_batch_is_not_found_and_polling_is_no_visit() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let page_path = uploaded(&an).await;
    let id = page_path.rsplit('/').next().unwrap().to_owned();
    work(&app).await;

    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    for rest in ["", "/voortgang", "/rapport.csv", "/brieven.pdf"] {
        let own = piet
            .get(&format!("/beheer/havenmond/brieven/{id}{rest}"))
            .await;
        assert_eq!(own.status(), 404, "havenmond's {rest}");
        let theirs = piet
            .get(&format!("/beheer/dijkstad/brieven/{id}{rest}"))
            .await;
        assert_eq!(theirs.status(), 404, "dijkstad's {rest}");
    }
    let list = piet.page("/beheer/havenmond/brieven").await;
    assert!(!list.contains_text("b.csv"));
    // A batch from the command line says so, in the page's language.
    let from_cli = parkportal_domain::batches::Upload {
        tenant: "havenmond",
        file_name: "cli.csv",
        bytes: b"naam;straat;huisnummer;postcode;plaats\nA;Kade;1;1234 AB;Havenmond\n",
        issuer: parkportal_domain::coupling::Issuer {
            actor: parkportal_domain::audit::Actor::Operator,
            role: None,
            origin: "cli".into(),
        },
        key: None,
    };
    batches(&app).upload(from_cli).await.unwrap();
    let list = piet.page("/beheer/havenmond/brieven").await;
    assert!(
        list.contains_text("door de opdrachtregel"),
        "{}",
        list.text()
    );
    assert_eq!(an.get(&format!("{LIST}/bestaat-niet")).await.status(), 404);
    assert_eq!(an.get(&format!("{LIST}/999999")).await.status(), 404);
    // Nothing of Dijkstad's batch was read by Havenmond.
    let entries = audit_entries(&app).await;
    assert!(!entries.iter().any(|e| e.actor == "piet@havenmond.nl"
        && e.action.starts_with("batch.")
        && e.result == "ok"));

    // A platformbeheerder's visit of the page is on the record; its script's polls are not.
    let root = platform_admin(&app, "root@parkportal.nl").await;
    root.page(&page_path).await;
    for _ in 0..3 {
        assert_eq!(
            root.get(&format!("{page_path}/voortgang")).await.status(),
            200
        );
    }
    let visits: Vec<String> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "console.visit")
        .filter_map(|e| e.object_id)
        .collect();
    assert_eq!(visits, vec![page_path.clone()]);

    // A suspended gemeente takes no sheet.
    let path = "/beheer/platform/gemeenten/dijkstad/schorsen";
    let form = root.page(path).await.form(path);
    assert_eq!(root.submit(&form, &[("reden", "Test")]).await.status(), 303);
    let resp = an
        .upload(LIST, &[], "bestand", "c.csv", sheet(2).as_bytes())
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("Deze gemeente is geschorst"));
    // Dijkstad's first batch and Havenmond's from the command line: no third.
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 2);
}

#[tokio::test]
async fn a_form_sent_twice_makes_one_batch_and_both_answers_lead_to_it() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let form = an.page(LIST).await.form(LIST);
    let token = form.value("eenmalig").expect("a one-time token").to_owned();
    assert!(token.len() >= 32, "{token}");
    // A double click: the same form, the same file, twice.
    let fields = [("eenmalig", token.as_str())];
    let first = an
        .upload(LIST, &fields, "bestand", "b.csv", sheet(2).as_bytes())
        .await;
    let second = an
        .upload(LIST, &fields, "bestand", "b.csv", sheet(2).as_bytes())
        .await;
    assert_eq!((first.status(), second.status()), (303, 303));
    assert_eq!(first.location(), second.location());
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 1);
    // The form sent again with another file (picked anew while the first went up) stores
    // nothing and says which batch the form already made.
    let other = an
        .upload(LIST, &fields, "bestand", "c.csv", sheet(3).as_bytes())
        .await;
    assert_eq!(other.status(), 409);
    let html = other.html();
    assert!(
        html.contains_text("Er is niets geüpload"),
        "{}",
        html.text()
    );
    assert!(html.contains_text(
        "Dit formulier is al eerder verstuurd, met een ander bestand: dat is batch b.csv"
    ));
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM letter_batches").await, 1);
    // Another medewerker's form with the same token is their own upload.
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::Staff).await;
    let theirs = bo
        .upload(LIST, &fields, "bestand", "b.csv", sheet(2).as_bytes())
        .await;
    assert_eq!(theirs.status(), 303);
    assert_ne!(theirs.location(), first.location());
    // A new page is a new token: the same file again is a new batch.
    let fresh = an.page(LIST).await.form(LIST);
    assert_ne!(fresh.value("eenmalig"), Some(token.as_str()));
    let entries = audit_entries(&app).await;
    // Newest first.
    let uploads: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "batch.upload")
        .map(|e| (e.actor.as_str(), e.result.as_str()))
        .collect();
    assert_eq!(
        uploads,
        [
            ("bo@dijkstad.nl", "ok"),
            ("an@dijkstad.nl", "refused"),
            ("an@dijkstad.nl", "ok")
        ]
    );
}

#[tokio::test]
async fn the_pages_polls_do_not_keep_an_idle_session_alive() {
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let page_path = uploaded(&an).await;
    let poll = format!("{page_path}/voortgang");
    // The page's script polls for ten minutes; nobody touches the console meanwhile.
    for _ in 0..10 {
        app.clock.advance(chrono::Duration::minutes(1));
        assert_eq!(an.get_in_background(&poll).await.status(), 200);
    }
    // Sixteen minutes after the medewerker's last own request, the session has ended.
    app.clock.advance(chrono::Duration::minutes(6));
    let after = an.get_in_background(&poll).await;
    assert_ne!(after.status(), 200, "a poll no longer answers");
    let page = an.get(&page_path).await;
    assert_eq!(page.status(), 303, "the page asks to log in again");
    assert!(
        page.location().starts_with("/beheer/inloggen"),
        "{}",
        page.location()
    );

    // A poll without the header is a request of the medewerker's own: it keeps the session.
    let an = staff(&app, "an2@dijkstad.nl", "dijkstad", Role::Staff).await;
    for _ in 0..20 {
        app.clock.advance(chrono::Duration::minutes(1));
        assert_eq!(an.get(&poll).await.status(), 200);
    }
}

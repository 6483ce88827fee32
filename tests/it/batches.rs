//! Letter batches as a job: a sheet of 500 recipients issued as 500 products, each claimable
//! with the code and PIN its page of the batch PDF prints; a sheet with one bad row issues
//! nothing and names the line; a job stopped halfway (an instance that died) and resumed by
//! another, and one taken over while its first instance still ran, end with every row issued
//! once and every letter in the PDF once. The worker of the application is off here, so that
//! each test decides which instance works when.

use crate::support::*;
use parkportal_domain::Clock;
use parkportal_domain::audit::Actor;
use parkportal_domain::batches::{BatchState, LetterBatches, Upload, UploadError};
use parkportal_domain::coupling::Issuer;
use parkportal_domain::ids::{BatchId, TenantId};
use sea_orm::ConnectionTrait;
use std::collections::BTreeSet;
use std::process::Command;

/// A sheet of `rows` recipients in Dijkstad, `;`-separated with a byte-order mark; row `i`
/// (line `i + 1`) goes to "Bewoner i".
fn sheet(rows: usize) -> String {
    let mut s = String::from("\u{FEFF}naam;straat;huisnummer;postcode;plaats;taal;saldo\r\n");
    for i in 1..=rows {
        s.push_str(&format!(
            "Bewoner {i};Kerkstraat;{i};1234 AB;Dijkstad;nl;5,00\r\n"
        ));
    }
    s
}

/// The application with demo gemeenten and no batch worker of its own.
async fn app() -> TestApp {
    TestApp::spawn_with(|c| c.batches.worker = false).await
}

fn batches(app: &TestApp) -> &LetterBatches {
    app.app.as_ref().unwrap().batches()
}

fn operator() -> Issuer {
    Issuer {
        actor: Actor::Operator,
        role: None,
        origin: "cli".into(),
    }
}

async fn upload(app: &TestApp, bytes: &[u8]) -> Result<BatchId, UploadError> {
    batches(app)
        .upload(Upload {
            tenant: "dijkstad",
            file_name: "bezoekers-2027.csv",
            bytes,
            issuer: operator(),
            key: None,
        })
        .await
        .map(|u| u.batch)
}

async fn dijkstad(app: &TestApp) -> TenantId {
    app.tenant("dijkstad").await.id
}

/// The batch PDF's pages as text: for each, the recipient's name, the code and the PIN.
fn pages(pdf: &[u8]) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (Debian's poppler-utils) runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pages: Vec<&str> = text.split('\u{c}').collect();
    // pdftotext ends the last page with a form feed too.
    assert_eq!(pages.pop().map(str::trim), Some(""));
    pages
        .into_iter()
        .map(|page| {
            let lines: Vec<&str> = page.lines().map(str::trim).collect();
            let name = lines
                .iter()
                .find(|l| l.starts_with("Bewoner "))
                .expect("the recipient's name")
                .to_string();
            let code = lines
                .iter()
                .find(|l| l.len() == 11 && l.as_bytes()[5] == b'-')
                .expect("a product code")
                .to_string();
            let pin = lines
                .iter()
                .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
                .expect("a PIN")
                .to_string();
            (name, code, pin)
        })
        .collect()
}

/// Every product of Dijkstad with its code and PIN hash.
async fn products(app: &TestApp) -> Vec<(String, String)> {
    let db = app.app.as_ref().unwrap().database().connection();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT p.code, p.pin_hash FROM products p JOIN tenants t ON t.id = p.tenant_id \
             WHERE t.slug = 'dijkstad'"
                .to_owned(),
        ))
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| {
            (
                // Stored without the dash the letter prints.
                {
                    let c = r.try_get_by_index::<String>(0).unwrap().replace('-', "");
                    format!("{}-{}", &c[..5], &c[5..])
                },
                r.try_get_by_index::<String>(1).unwrap(),
            )
        })
        .collect()
}

/// The letters of a finished batch: one page per row, in the order of the sheet, every code
/// a product of the gemeente whose PIN hash matches the page's PIN, no code twice.
async fn assert_every_letter_once(app: &TestApp, batch: BatchId, rows: usize) {
    let tenant = dijkstad(app).await;
    let summary = batches(app).summary(tenant, batch).await.unwrap().unwrap();
    assert_eq!(summary.state, BatchState::Done);
    assert_eq!(
        (summary.total, summary.issued, summary.refused),
        (rows, rows, 0)
    );
    let entry = parkportal_domain::audit::AuditEntry::new(
        Actor::Operator,
        "batch.letters",
        "cli",
        app.clock.now(),
    );
    let pdf = batches(app)
        .pdf(tenant, batch, &entry)
        .await
        .unwrap()
        .expect("the batch PDF is kept");
    let pages = pages(&pdf);
    assert_eq!(pages.len(), rows, "a page per row");
    let names: Vec<String> = (1..=rows).map(|i| format!("Bewoner {i}")).collect();
    let printed: Vec<String> = pages.iter().map(|(n, _, _)| n.clone()).collect();
    assert_eq!(printed, names, "every row once, in the order of the sheet");
    let codes: BTreeSet<&str> = pages.iter().map(|(_, c, _)| c.as_str()).collect();
    assert_eq!(codes.len(), rows, "no code twice");
    let stored = products(app).await;
    let batch_products: Vec<&(String, String)> = stored
        .iter()
        .filter(|(code, _)| codes.contains(code.as_str()))
        .collect();
    assert_eq!(batch_products.len(), rows, "every letter's product exists");
    // The demo holds a few products of its own; the batch added exactly its rows.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM letter_batch_rows WHERE batch_id = {} AND product_id IS NOT NULL",
            batch.0
        ))
        .await,
        rows as i64
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(DISTINCT product_id) FROM letter_batch_rows WHERE batch_id = {}",
            batch.0
        ))
        .await,
        rows as i64
    );
    // Every PIN opens its product (argon2 as stored), and no page's PIN is stored readable.
    let hasher = parkportal::passwords::Argon2Hasher::new(64, 1).unwrap();
    for (_, code, pin) in &pages {
        let (_, hash) = stored.iter().find(|(c, _)| c == code).unwrap();
        assert!(
            parkportal_domain::PasswordHasher::verify(&hasher, pin, Some(hash)).await,
            "the PIN of {code} opens it"
        );
    }
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM letter_batch_rows WHERE batch_id = {} AND letter IS NOT NULL",
            batch.0
        ))
        .await,
        0,
        "the PINs live in the PDF only once it is made"
    );
}

#[tokio::test]
async fn a_batch_of_500_rows_issues_500_products_each_claimable_with_its_letter() {
    let app = app().await;
    let before = products(&app).await.len();
    let batch = upload(&app, sheet(500).as_bytes()).await.unwrap();
    let tenant = dijkstad(&app).await;
    let queued = batches(&app).summary(tenant, batch).await.unwrap().unwrap();
    assert_eq!(
        (queued.state, queued.total, queued.issued),
        (BatchState::Queued, 500, 0)
    );
    assert_eq!(
        products(&app).await.len(),
        before,
        "nothing issued at upload"
    );

    let turn = run(&app, "instance-a", None)
        .await
        .expect("a batch to work on");
    assert_eq!(
        (turn.batch, turn.issued, turn.refused, turn.finished),
        (batch, 500, 0, true)
    );
    assert_every_letter_once(&app, batch, 500).await;
    assert_eq!(products(&app).await.len(), before + 500);
    // Nothing left to do.
    assert!(run(&app, "instance-a", None).await.is_none());

    // Residents add them with the letter's code and PIN: the first, a middle and the last.
    let entry = parkportal_domain::audit::AuditEntry::new(
        Actor::Operator,
        "batch.letters",
        "cli",
        app.clock.now(),
    );
    let pdf = batches(&app)
        .pdf(tenant, batch, &entry)
        .await
        .unwrap()
        .unwrap();
    let pages = pages(&pdf);
    for (i, index) in [0, 249, 499].into_iter().enumerate() {
        let (_, code, pin) = &pages[index];
        let resident = resident(&app, "dijkstad", &format!("batch{i}@example.nl"), None).await;
        let claimed = resident
            .post_form(
                &app,
                "/producten/toevoegen",
                &[("code", code), ("pin", pin)],
            )
            .await;
        assert_eq!(claimed.status(), 303, "{code}: {}", claimed.text());
    }
    // Each product's issue is in the audit trail, by whoever uploaded the batch.
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'product.issue' AND actor = 'command line' \
             AND result = 'ok'"
        )
        .await,
        500
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'batch.upload' AND object_id = '{}'",
            batch.0
        ))
        .await,
        1
    );
}

/// One turn of the worker of the instance `owner` (at most `max_rows` rows).
async fn run(
    app: &TestApp,
    owner: &str,
    max_rows: Option<usize>,
) -> Option<parkportal_domain::batches::RunReport> {
    batches(app).runner(owner).run_once(max_rows).await.unwrap()
}

/// The problems of uploading `sheet` to Dijkstad, which must refuse it, as (line, code).
async fn problems(app: &TestApp, sheet: &str) -> Vec<(usize, String)> {
    match upload(app, sheet.as_bytes()).await {
        Err(UploadError::Problems(problems)) => {
            problems.into_iter().map(|p| (p.line, p.code)).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_sheet_with_one_bad_row_issues_nothing_and_names_its_line() {
    let app = app().await;
    let before = products(&app).await.len();
    let good = sheet(500);
    // Line 251 (row 250) gets a postcode that is none; line 400 a zone Dijkstad lacks.
    let bad = good
        .replace(
            "Bewoner 250;Kerkstraat;250;1234 AB",
            "Bewoner 250;Kerkstraat;250;0234 AB",
        )
        .replace(
            "naam;straat;huisnummer;postcode;plaats;taal;saldo",
            "naam;straat;huisnummer;postcode;plaats;taal;saldo;zone",
        );
    let bad: String = bad
        .split("\r\n")
        .enumerate()
        .map(|(i, line)| match i {
            0 => line.to_owned(),
            _ if line.is_empty() => String::new(),
            399 => format!("{line};NERGENS"),
            _ => format!("{line};"),
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    // Every problem at once, in the order of the lines: the sheet's own mistakes and, for the
    // rows that read well, those against the gemeente.
    assert_eq!(
        problems(&app, &bad).await,
        vec![
            (251, "postcode_invalid".to_owned()),
            (400, "zone_unknown".to_owned())
        ]
    );
    let only_zone = bad.replace("0234 AB", "1234 AB");
    assert_eq!(
        problems(&app, &only_zone).await,
        vec![(400, "zone_unknown".to_owned())]
    );
    assert_eq!(products(&app).await.len(), before, "nothing issued");
    let tenant = dijkstad(&app).await;
    assert!(
        batches(&app).list(tenant).await.unwrap().is_empty(),
        "no batch stored"
    );
    assert!(run(&app, "a", None).await.is_none());
}

#[tokio::test]
async fn a_job_stopped_after_some_rows_is_resumed_by_another_instance_without_duplicates() {
    let app = app().await;
    let batch = upload(&app, sheet(500).as_bytes()).await.unwrap();
    let tenant = dijkstad(&app).await;
    // The first instance dies after 120 rows: its lease stays until it runs out.
    let first = run(&app, "instance-a", Some(120)).await.unwrap();
    assert_eq!((first.issued, first.finished), (120, false));
    let halfway = batches(&app).summary(tenant, batch).await.unwrap().unwrap();
    assert_eq!((halfway.state, halfway.issued), (BatchState::Running, 120));
    assert!(
        run(&app, "instance-b", None).await.is_none(),
        "a live lease keeps other instances out"
    );
    app.clock.advance(chrono::Duration::seconds(61));
    let second = run(&app, "instance-b", None).await.unwrap();
    assert_eq!(
        (second.batch, second.issued, second.finished),
        (batch, 380, true)
    );
    assert_every_letter_once(&app, batch, 500).await;
}

#[tokio::test]
async fn a_job_taken_over_while_its_first_instance_still_runs_issues_each_row_once() {
    let app = app().await;
    let batch = upload(&app, sheet(300).as_bytes()).await.unwrap();
    let tenant = dijkstad(&app).await;
    let slow = batches(&app).runner("instance-a");
    let first = tokio::spawn(async move { slow.run_once(None).await });
    // Once the first has issued some rows, its lease "runs out" and a second takes over while
    // the first is still issuing: both work on the same rows until the first notices.
    loop {
        let s = batches(&app).summary(tenant, batch).await.unwrap().unwrap();
        if s.issued >= 20 || s.state == BatchState::Done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.clock.advance(chrono::Duration::seconds(61));
    let second = run(&app, "instance-b", None).await;
    assert!(second.is_some(), "the second instance took the batch over");
    let first = first.await.unwrap().unwrap().unwrap();
    let issued = first.issued + second.map_or(0, |s| s.issued);
    assert_eq!(issued, 300, "each row issued by one of them");
    assert_every_letter_once(&app, batch, 300).await;
}

/// A reading of a batch's PDF or report by the command line, for the audit trail.
fn reading(app: &TestApp, action: &'static str) -> parkportal_domain::audit::AuditEntry {
    parkportal_domain::audit::AuditEntry::new(Actor::Operator, action, "cli", app.clock.now())
}

/// The batch PDF, read by the command line.
async fn pdf_of(app: &TestApp, tenant: TenantId, batch: BatchId) -> Option<Vec<u8>> {
    batches(app)
        .pdf(tenant, batch, &reading(app, "batch.letters"))
        .await
        .unwrap()
}

/// The batch's report, read by the command line.
async fn report_of(
    app: &TestApp,
    tenant: TenantId,
    batch: BatchId,
) -> Option<Vec<parkportal_domain::batches::ReportLine>> {
    batches(app)
        .report(tenant, batch, &reading(app, "batch.report"))
        .await
        .unwrap()
}

/// Suspends Dijkstad as the platform's beheerder does.
async fn suspend_dijkstad(app: &TestApp) {
    let root = platform_admin(app, "root@parkportal.nl").await;
    let path = "/beheer/platform/gemeenten/dijkstad/schorsen";
    let page = root.page(path).await;
    let done = root.submit(&page.form(path), &[("reden", "Test")]).await;
    assert_eq!(done.status(), 303, "{}", done.text());
}

#[tokio::test]
async fn the_batch_pdf_goes_after_its_keeping_time_and_the_report_stays_without_pins() {
    let app = app().await;
    let batch = upload(&app, sheet(3).as_bytes()).await.unwrap();
    let tenant = dijkstad(&app).await;
    run(&app, "a", None).await.unwrap();
    let done = batches(&app).summary(tenant, batch).await.unwrap().unwrap();
    assert_eq!(
        done.pdf_until,
        Some(app.clock.now() + chrono::Duration::days(7)),
        "kept seven days by default"
    );
    let pdf = pdf_of(&app, tenant, batch).await;
    let pins: Vec<String> = pages(&pdf.unwrap())
        .into_iter()
        .map(|(_, _, pin)| pin)
        .collect();
    let report = report_of(&app, tenant, batch).await.unwrap();
    let lines: Vec<(usize, &str, &str)> = report
        .iter()
        .map(|l| (l.line, l.recipient.as_str(), l.result.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (2, "Bewoner 1", "issued"),
            (3, "Bewoner 2", "issued"),
            (4, "Bewoner 3", "issued")
        ]
    );
    assert!(
        report
            .iter()
            .all(|l| l.code.as_ref().is_some_and(|c| c.len() == 11))
    );
    let everything = format!("{report:?}");
    assert!(
        pins.iter().all(|pin| !everything.contains(pin.as_str())),
        "no PIN in the report"
    );

    app.clock
        .advance(chrono::Duration::days(7) - chrono::Duration::minutes(1));
    app.housekeep().await;
    assert!(pdf_of(&app, tenant, batch).await.is_some());
    app.clock.advance(chrono::Duration::minutes(1));
    app.housekeep().await;
    assert!(pdf_of(&app, tenant, batch).await.is_none());
    let gone = batches(&app).summary(tenant, batch).await.unwrap().unwrap();
    assert_eq!(gone.pdf_until, None);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM letter_batches WHERE pdf IS NOT NULL")
            .await,
        0,
        "the PINs are gone with it"
    );
    assert!(report_of(&app, tenant, batch).await.is_some());
    // Every reading is in the audit trail: three of the PDF (the last refused), two reports.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'batch.letters' AND object_id = '{}'",
            batch.0
        ))
        .await,
        3
    );
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'batch.letters' AND result = 'refused'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn another_gemeente_never_reads_a_batch_and_a_suspended_one_uploads_none() {
    let app = app().await;
    let batch = upload(&app, sheet(2).as_bytes()).await.unwrap();
    run(&app, "a", None).await.unwrap();
    let other = app.tenant("havenmond").await.id;
    assert!(batches(&app).summary(other, batch).await.unwrap().is_none());
    assert!(batches(&app).list(other).await.unwrap().is_empty());
    assert!(pdf_of(&app, other, batch).await.is_none());
    assert!(report_of(&app, other, batch).await.is_none());
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'batch.%' AND result = 'refused'"
        )
        .await,
        2,
        "the refused readings are recorded"
    );

    // Havenmond's sheet with a zone of Dijkstad: there it is unknown.
    let sheet_of_other =
        "naam;straat;huisnummer;postcode;plaats;zone\nA;B;1;1234 AB;Havenmond;binnenstad\n";
    let refused = batches(&app)
        .upload(Upload {
            tenant: "havenmond",
            file_name: "x.csv",
            bytes: sheet_of_other.as_bytes(),
            issuer: operator(),
            key: None,
        })
        .await;
    match refused {
        Err(UploadError::Problems(p)) => {
            assert_eq!((p[0].line, p[0].code.as_str()), (2, "zone_unknown"));
        }
        other => panic!("{other:?}"),
    }

    // A retired zone issues nothing new: the row names it.
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"havenmond".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    config.zones[0].retired = true;
    tenants.import(&config).await.unwrap();
    let sheet_retired =
        "naam;straat;huisnummer;postcode;plaats;zone\nA;B;1;4501 AB;Havenmond;centrum\n";
    let refused = batches(&app)
        .upload(Upload {
            tenant: "havenmond",
            file_name: "x.csv",
            bytes: sheet_retired.as_bytes(),
            issuer: operator(),
            key: None,
        })
        .await;
    match refused {
        Err(UploadError::Problems(p)) => {
            assert_eq!((p[0].line, p[0].code.as_str()), (2, "zone_retired"));
        }
        other => panic!("{other:?}"),
    }

    // A suspended gemeente takes no batch at all.
    suspend_dijkstad(&app).await;
    match upload(&app, sheet(2).as_bytes()).await {
        Err(UploadError::Issue(e)) => assert_eq!(e.code(), Some("tenant_suspended")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rows_a_suspension_overtakes_are_refused_by_name_and_the_rest_stays_issued() {
    let app = app().await;
    let batch = upload(&app, sheet(120).as_bytes()).await.unwrap();
    let tenant = dijkstad(&app).await;
    // An instance issues the first 50, then the gemeente is suspended before the rest.
    run(&app, "a", Some(50)).await.unwrap();
    suspend_dijkstad(&app).await;
    app.clock.advance(chrono::Duration::seconds(61));
    let run = run(&app, "b", None).await.unwrap();
    assert_eq!((run.issued, run.refused, run.finished), (0, 70, true));
    let done = batches(&app).summary(tenant, batch).await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.issued, done.refused),
        (BatchState::Done, 50, 70)
    );
    let report = report_of(&app, tenant, batch).await.unwrap();
    assert_eq!(report[49].result, "issued");
    assert_eq!(report[50].result, "tenant_suspended");
    assert_eq!(report[50].code, None);
    // The PDF holds the 50 letters issued.
    let pdf = pdf_of(&app, tenant, batch).await;
    assert_eq!(pages(&pdf.unwrap()).len(), 50);
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'product.issue' AND result = 'refused' \
             AND reason = 'tenant_suspended'"
        )
        .await,
        70
    );
}

//! The outbox: every mail is queued in the database and sent by the worker of any running
//! instance, with retries while the SMTP server is down, and exactly once with several instances.
//! Without SMTP the mails stay readable through the CLI (and in demo mode on `/demo/outbox`,
//! see `demo_mode.rs`).

use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, parkportal_command, repo, with_smtp};
use parkportal::Application;
use parkportal::smtp::SmtpTransport;
use parkportal_domain::{FixedClock, OutboxWorker};
use parkportal_store::SeaOutboxRepository;
use std::sync::Arc;
use std::time::Duration;

/// Polls `sql` (a count) until it is at least `n`, for at most ten seconds.
async fn eventually(app: &TestApp, sql: &str, n: i64) {
    for _ in 0..200 {
        if app.sql_i64(sql).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{sql} never reached {n}");
}

#[tokio::test]
async fn a_mail_waits_while_smtp_is_down_and_arrives_once_when_it_is_back() {
    let smtp = SmtpServer::down().await;
    let port = smtp.port;
    let mut app = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    app.issue_to("dijkstad", "wacht@example.nl").await;

    eventually(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE attempts >= 1 AND sent_at IS NULL",
        1,
    )
    .await;
    let error = app.sql_text("SELECT last_error FROM outbox").await.unwrap();
    assert!(!error.is_empty());
    // The next attempt waits for the back-off, measured by the clock: a pass of the worker on
    // the same clock finds nothing due.
    let pass = OutboxWorker::new(
        Arc::new(SeaOutboxRepository::new(
            app.app.as_ref().unwrap().database().clone(),
        )),
        Arc::new(
            SmtpTransport::from_config(&app.config.smtp)
                .unwrap()
                .unwrap(),
        ),
        app.clock.clone(),
    )
    .run_once()
    .await
    .unwrap();
    assert_eq!(
        (pass.sent, pass.failed),
        (0, 0),
        "nothing due before the back-off"
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM outbox WHERE attempts = 1")
            .await,
        1
    );

    smtp.listen().await;
    app.clock.advance(chrono::Duration::seconds(31));
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].to, vec!["wacht@example.nl".to_owned()]);
    let id = mails[0].header("Message-ID").unwrap();
    assert!(id.starts_with("<outbox-1-"), "{id}");
    eventually(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL",
        1,
    )
    .await;
    // Once the worker has stopped, nothing more can come.
    app.stop().await;
    assert_eq!(smtp.received().len(), 1, "sent once");
}

#[tokio::test]
async fn two_instances_on_one_database_send_every_mail_exactly_once() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let mut first = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    let second = Application::start(
        &first.config,
        Arc::new(FixedClock::new(crate::support::monday_morning())),
    )
    .await
    .unwrap();
    let count = 24;
    for i in 0..count {
        first
            .issue_to("dijkstad", &format!("bewoner{i}@example.nl"))
            .await;
    }
    let mails = smtp.wait_for(count).await;
    eventually(
        &first,
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL",
        count as i64,
    )
    .await;
    // Once both workers have stopped, nothing more can come.
    second.stop().await.unwrap();
    first.stop().await;
    let mut to: Vec<String> = smtp.received().iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), count, "every recipient once");
    assert_eq!(smtp.received().len(), count, "no mail twice");
    assert_eq!(mails.len(), count);
}

#[tokio::test]
async fn a_mail_queued_by_the_cli_is_sent_by_the_running_server() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    // The CLI runs on the system clock: bring the server's clock past the mail's queue time.
    app.clock
        .set(chrono::Utc::now() + chrono::Duration::minutes(1));
    let url = app.config.database.url.clone().unwrap();
    let out = parkportal_command(app.dir.path())
        .env("PARKPORTAL__DATABASE__URL", &url)
        .env("PARKPORTAL__AUTH__HASH_MEMORY_KIB", "64")
        .env("PARKPORTAL__AUTH__HASH_ITERATIONS", "1")
        .env(
            "PARKPORTAL__SERVER__PUBLIC_URL",
            "https://parkeren.example.nl",
        )
        .args([
            "products",
            "issue",
            "--tenant",
            "havenmond",
            "--email",
            "cli@example.nl",
            "--plates",
            "AB-12-34,DE:B-XY123",
            "--valid-until",
            "2026-12-31",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = stdout
        .lines()
        .find_map(|l| l.strip_prefix("code:"))
        .unwrap()
        .trim();
    let pin = stdout
        .lines()
        .find_map(|l| l.strip_prefix("pin:"))
        .unwrap()
        .trim();
    assert_eq!(code.len(), 11, "two groups of five: {code}");
    assert!(
        code.chars()
            .all(|c| c == '-' || "ACDEFGHJKMNPQRTUVWXY34679".contains(c))
    );
    assert!(
        pin.len() >= 6 && pin.chars().all(|c| c.is_ascii_digit()),
        "{pin}"
    );

    let mail = &smtp.wait_for(1).await[0];
    assert!(
        mail.link("/koppel/")
            .starts_with("https://parkeren.example.nl/g/havenmond/koppel/")
    );
    assert!(mail.text().contains("Gemeente Havenmond"));

    // Stored: the code as typed on the letter, the PIN only as an argon2 hash, the plates
    // normalised, the validity through the last day.
    let stored_code = app.sql_text("SELECT code FROM products").await.unwrap();
    assert_eq!(stored_code, code.replace('-', ""));
    let pin_hash = app.sql_text("SELECT pin_hash FROM products").await.unwrap();
    assert!(pin_hash.starts_with("$argon2id$") && !pin_hash.contains(pin));
    let plates = app
        .sql_text("SELECT plate || '/' || country FROM product_plates ORDER BY position")
        .await
        .unwrap();
    assert_eq!(plates, "AB1234/NL");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM product_plates").await, 2);
}

#[test]
fn products_issue_refuses_bad_input_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        parkportal_command(dir.path())
            .env("PARKPORTAL__DATABASE__URL", &db)
            .env("PARKPORTAL__AUTH__HASH_MEMORY_KIB", "64")
            .env("PARKPORTAL__AUTH__HASH_ITERATIONS", "1")
            .args(args)
            .output()
            .unwrap()
    };
    let tenants = repo().join("tenants");
    assert!(
        run(&["tenants", "import", tenants.to_str().unwrap()])
            .status
            .success()
    );

    let bad_plate = run(&[
        "products", "issue", "--tenant", "dijkstad", "--plates", "ABC",
    ]);
    assert_eq!(bad_plate.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_plate.stderr).contains("--plates"));
    let bad_mail = run(&[
        "products", "issue", "--tenant", "dijkstad", "--email", "jan@",
    ]);
    assert_eq!(bad_mail.status.code(), Some(2));
    let past = run(&[
        "products",
        "issue",
        "--tenant",
        "dijkstad",
        "--valid-until",
        "2020-01-01",
    ]);
    assert!(!past.status.success());
    assert!(String::from_utf8_lossy(&past.stderr).contains("has passed"));
    let unknown = run(&["products", "issue", "--tenant", "nergens"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no gemeente nergens"));
    let wrong_type = run(&[
        "products", "issue", "--tenant", "dijkstad", "--type", "nope",
    ]);
    assert!(String::from_utf8_lossy(&wrong_type.stderr).contains("no product type nope"));

    // Without --email nothing is mailed; with it the mail waits in the outbox (no SMTP here).
    let letter = run(&["products", "issue", "--tenant", "dijkstad"]);
    assert!(letter.status.success());
    assert!(String::from_utf8_lossy(&letter.stdout).contains("allocation letter"));
    let mailed = run(&[
        "products",
        "issue",
        "--tenant",
        "dijkstad",
        "--email",
        "a@example.nl",
    ]);
    assert!(mailed.status.success());
    let list = run(&["outbox", "list"]);
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(
        list.contains("a@example.nl") && list.contains("waiting"),
        "{list}"
    );
    let show = run(&["outbox", "show", "1"]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("Subject: Koppel uw parkeerproduct van Gemeente Dijkstad"),
        "{text}"
    );
    assert!(text.contains("/g/dijkstad/koppel/"), "{text}");
    let missing = run(&["outbox", "show", "99"]);
    assert_eq!(missing.status.code(), Some(2));

    // --letter writes the allocation letter; it needs the whole address, and names what is
    // missing or wrong before anything is issued.
    let pdf = dir.path().join("brief.pdf");
    let pdf_arg = pdf.to_str().unwrap();
    let no_address = run(&[
        "products", "issue", "--tenant", "dijkstad", "--letter", pdf_arg,
    ]);
    assert_eq!(no_address.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_address.stderr).contains("--letter needs --name"));
    // `products issue --letter FILE` for J. de Vries at `postcode`, with `more` flags.
    let lettered_with = |postcode: &str, more: &[&str]| {
        let mut args = vec![
            "products",
            "issue",
            "--tenant",
            "dijkstad",
            "--letter",
            pdf_arg,
            "--name",
            "J. de Vries",
            "--street",
            "Kerkstraat",
            "--house-number",
            "12",
            "--city",
            "Dijkstad",
            "--postcode",
        ];
        args.push(postcode);
        args.extend_from_slice(more);
        run(&args)
    };
    let bad_postcode = lettered_with("12AB", &[]);
    assert_eq!(bad_postcode.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_postcode.stderr).contains("--postcode (1234AB)"));
    assert!(!pdf.exists());
    let lettered = lettered_with("1234ab", &["--language", "en"]);
    let stdout = String::from_utf8_lossy(&lettered.stdout);
    assert!(
        lettered.status.success(),
        "{}",
        String::from_utf8_lossy(&lettered.stderr)
    );
    assert!(stdout.contains("letter:"), "{stdout}");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    // It holds the PIN: readable by its owner only, and never written over.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pdf).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let again = lettered_with("1234ab", &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--letter"));
    assert_eq!(std::fs::read(&pdf).unwrap(), bytes);
    // Kept in the database for reprinting, in English, with the holder's address.
    let code = stdout
        .lines()
        .find_map(|l| l.strip_prefix("code:"))
        .unwrap()
        .trim()
        .replace('-', "");
    let sql = format!(
        "SELECT l.language || '|' || p.holder_postcode FROM product_letters l \
         JOIN products p ON p.id = l.product_id WHERE p.code = '{code}'"
    );
    let stored = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::{ConnectionTrait, Statement};
        let conn = sea_orm::Database::connect(&db).await.unwrap();
        let row = conn
            .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<String>(0).unwrap()
    });
    assert_eq!(stored, "en|1234 AB");
}

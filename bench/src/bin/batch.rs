//! The benchmark of letter batches: `cargo run --release -p parkportal-bench --bin batch`. A
//! batch of 1,000 allocation letters end to end with the production argon2 settings (the
//! configuration's defaults: 19 MiB, two passes) and `batches.parallel` at its default (one row
//! per core): the sheet checked and stored, then one worker issues every row (PIN hashed, letter
//! rendered, product, letter, audit entry and row mark in one transaction each) and renders the
//! batch PDF. On SQLite (a temporary file) and, when it answers, PostgreSQL (`BENCH_DATABASE_URL`,
//! default `postgres://postgres:postgres@127.0.0.1:5432/postgres`; a fresh database, dropped
//! after). Before that it times one letter's rendering alone (the renderer the server uses,
//! 200 letters, p50 and p99) and argon2 alone, so the total can be read against its parts.
//! Targets (issue #21): the 1,000 letters under 60 s on the 2-core machine, one letter under
//! 20 ms to render. Never part of CI.

#![expect(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops at the first failure, like a test"
)]

use chrono::{NaiveDate, Utc};
use parkportal::{Application, Config};
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::batches::{BatchState, Upload};
use parkportal_domain::coupling::Issuer;
use parkportal_domain::letters::{Letter, LetterRenderer, Postcode, Recipient, Sender};
use parkportal_domain::{Language, PasswordHasher, Pin, ProductCode, SystemClock};
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROWS: usize = 1_000;
const SINGLE: usize = 200;

/// The repository's folder (tenants, themes).
fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A sheet of [`ROWS`] recipients in Dijkstad, as Dutch Excel writes it.
fn sheet() -> String {
    let mut s = String::from("\u{FEFF}naam;straat;huisnummer;postcode;plaats;taal;saldo\r\n");
    for i in 1..=ROWS {
        s.push_str(&format!(
            "Bewoner {i};Kerkstraat;{i};1234 AB;Dijkstad;nl;5,00\r\n"
        ));
    }
    s
}

/// One letter as the server renders it, texts from the default template.
fn letter(renderer: &parkportal_letters::PdfLetters, i: usize) -> Letter {
    let mut letter = Letter {
        recipient: Recipient::from_stored(
            format!("Bewoner {i}"),
            "Kerkstraat".into(),
            i.to_string(),
            Postcode::parse("1234 AB").unwrap(),
            "Dijkstad".into(),
        ),
        sender: Sender {
            name: "Gemeente Dijkstad".into(),
            return_address: vec!["Postbus 100".into(), "1230 AA Dijkstad".into()],
            contact: "Telefoon 14 0123".into(),
            // Dijkstad's own logo, as its letters carry it.
            logo: Some((
                std::fs::read(repo().join("tenants/dijkstad/logo.svg")).unwrap(),
                parkportal_domain::LogoKind::Svg,
            )),
        },
        language: Language::Nl,
        place: "Dijkstad".into(),
        date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
        product_type: "Bezoekersvergunning".into(),
        zone: "Centrum".into(),
        valid_until: NaiveDate::from_ymd_opt(2027, 12, 31),
        code: ProductCode::generate().unwrap(),
        pin: Pin::generate().unwrap(),
        claim_url: "https://dijkstad.parkportal.example/producten/toevoegen?code=X".into(),
        texts: Default::default(),
    };
    letter.texts = renderer
        .texts(&letter, "default", "dijkstad.parkportal.example")
        .unwrap();
    letter
}

fn single_letters() {
    let renderer = parkportal_letters::PdfLetters::with_themes(repo().join("themes")).unwrap();
    // The first render parses the font; it is not what each letter costs.
    renderer.render(&letter(&renderer, 0)).unwrap();
    let mut times = Vec::with_capacity(SINGLE);
    let mut bytes = 0;
    for i in 0..SINGLE {
        let l = letter(&renderer, i);
        let t = Instant::now();
        bytes = renderer.render(&l).unwrap().len();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "one letter rendered alone ({SINGLE}x, one core): p50 {}, p99 {}, {} KB",
        ms(times[SINGLE / 2]),
        ms(times[SINGLE * 99 / 100]),
        bytes / 1024
    );
}

async fn argon2_alone(config: &Config) {
    let hasher = parkportal::passwords::Argon2Hasher::new(
        config.auth.hash_memory_kib,
        config.auth.hash_iterations,
    )
    .unwrap();
    let t = Instant::now();
    for _ in 0..20 {
        hasher.hash("482915").await.unwrap();
    }
    println!(
        "argon2id alone ({} KiB, {} passes, one core): {} a PIN",
        config.auth.hash_memory_kib,
        config.auth.hash_iterations,
        ms(t.elapsed() / 20)
    );
}

/// A whole batch on the database at `url`.
async fn batch(label: &str, url: String) {
    let mut config = Config::default();
    config.database.url = Some(url);
    config.server.port = 0;
    config.paths.tenants = repo().join("tenants");
    config.paths.themes = repo().join("themes");
    config.log.level = "error".into();
    // This benchmark is the worker.
    config.batches.worker = false;
    let app = Application::start(&config, Arc::new(SystemClock))
        .await
        .expect("the server starts");
    if app.tenants().is_empty().await.unwrap() {
        for t in parkportal::bundle::read_all(&repo().join("tenants")).unwrap() {
            app.tenants().import(&t).await.unwrap();
        }
    }
    let sheet = sheet();
    let started = Instant::now();
    let id = app
        .batches()
        .upload(Upload {
            tenant: "dijkstad",
            file_name: "bench.csv",
            bytes: sheet.as_bytes(),
            issuer: Issuer {
                actor: Actor::Operator,
                role: None,
                origin: "bench".into(),
            },
            key: None,
        })
        .await
        .unwrap()
        .batch;
    let uploaded = started.elapsed();
    let run = app
        .batches()
        .runner("bench")
        .run_once(None)
        .await
        .unwrap()
        .unwrap();
    let total = started.elapsed();
    assert!(run.finished && run.issued == ROWS, "{run:?}");
    let tenant = app.tenants().by_slug("dijkstad").await.unwrap().unwrap().id;
    let summary = app.batches().summary(tenant, id).await.unwrap().unwrap();
    assert_eq!(summary.state, BatchState::Done);
    let entry = AuditEntry::new(Actor::Operator, "batch.letters", "bench", Utc::now());
    let pdf = app
        .batches()
        .pdf(tenant, id, &entry)
        .await
        .unwrap()
        .unwrap();
    let conn = app.database().connection();
    let products = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT COUNT(*) FROM letter_batch_rows WHERE batch_id = {} AND product_id IS NOT NULL",
                id.0
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(products, ROWS as i64);
    println!(
        "{label}: {ROWS} letters end to end in {:.1} s ({} a letter; sheet checked and stored in {}), \
         batch PDF {:.1} MB, {} rows at once",
        total.as_secs_f64(),
        ms(total / ROWS as u32),
        ms(uploaded),
        pdf.len() as f64 / 1_048_576.0,
        config.batches.parallel()
    );
    app.stop().await.unwrap();
}

#[tokio::main]
async fn main() {
    let config = Config::default();
    single_letters();
    argon2_alone(&config).await;

    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("batch.db").display()
    );
    batch("SQLite (WAL, synchronous=FULL)", url).await;

    let admin_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
    let admin = match sea_orm::Database::connect(admin_url.clone()).await {
        Ok(c) => c,
        Err(e) => {
            println!("PostgreSQL: skipped ({e})");
            return;
        }
    };
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let name = format!("parkportal_bench_batch_{}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    // As the URL says (TLS when the server offers it, as sqlx's default `prefer` takes it),
    // then without TLS: see the README on what TLS costs a statement with a letter in it.
    batch("PostgreSQL 15", format!("{base}/{name}")).await;
    batch(
        "PostgreSQL 15, sslmode=disable",
        format!("{base}/{name}?sslmode=disable"),
    )
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

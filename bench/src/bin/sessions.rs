//! The load benchmark of starting sessions: `cargo run --release -p parkportal-bench --bin
//! sessions`. For SQLite (a temporary file) and, when it answers, PostgreSQL
//! (`BENCH_DATABASE_URL`, default `postgres://postgres:postgres@127.0.0.1:5432/postgres`; a
//! fresh database is created and dropped), it starts the server in-process and measures, at 32
//! connections:
//!
//! - `POST /api/v1/products/{id}/sessions` (each connection its own resident and product, each
//!   session a new minute, so every request is a successful start: lock, check, reserve);
//! - `GET /healthz` of the same server (what the HTTP stack alone does);
//! - the database's own ceiling for the same writes (one balance update and two inserts per
//!   transaction): pgbench on PostgreSQL, a loop with the server's settings on SQLite.
//!
//! The three alternate in rounds (server, trivial endpoint, ceiling; three rounds of 5 s), so
//! that a machine that speeds up or slows down during the run (a shared virtual machine does)
//! moves all three alike. It prints every round and the medians: throughput, p50, p99 and the
//! ratios. Never part of CI.

#![expect(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops at the first failure, like a test"
)]

use chrono::{Duration as Span, TimeZone, Utc};
use parkportal::{Application, Config};
use parkportal_domain::coupling::IssueRequest;
use parkportal_domain::{EmailAddress, FixedClock};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server binary's allocator (see `src/main.rs`), since the server runs in this process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONNECTIONS: usize = 32;
const SECONDS: u64 = 5;
const ROUNDS: usize = 3;

#[path = "../figures.rs"]
mod figures;
use figures::{Figures, figures, median, medians, print, repo};

/// Runs `CONNECTIONS` loops of `call` for `SECONDS`; each returns whether it succeeded.
async fn drive<F, Fut>(call: F) -> Figures
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|worker| {
            let call = call.clone();
            tokio::spawn(async move {
                let (mut ok, mut errors, mut n) = (Vec::new(), 0usize, 0u64);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if call(worker, n).await {
                        ok.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                    n += 1;
                }
                (ok, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (ok, e) = t.await.unwrap();
        all.extend(ok);
        errors += e;
    }
    figures(all, errors, started.elapsed())
}

/// The residents: each with its own product and bearer token.
async fn residents(app: &Application, url: &str) -> Vec<(String, i64)> {
    let state = app.state();
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for i in 0..CONNECTIONS {
        let email = format!("bench{i}@example.nl");
        let issued = state
            .desk()
            .issue(IssueRequest {
                tenant: "dijkstad".into(),
                email: Some(EmailAddress::parse(&email).unwrap()),
                balance: Some("1000000.00".parse().unwrap()),
                ..IssueRequest::default()
            })
            .await
            .unwrap();
        let token = issued.coupling_token.unwrap();
        let body: serde_json::Value = client
            .post(format!("{url}/api/v1/couplings/accept"))
            .json(&json!({"token": token.expose(), "password": "benchmark1234", "password_repeat": "benchmark1234"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        out.push((body["token"].as_str().unwrap().to_owned(), issued.id.0));
    }
    out
}

/// Starts the server on `config` and measures, in rounds, its session starts, its trivial
/// endpoint and the database's ceiling.
async fn run<F, Fut>(label: &str, mut config: Config, ceiling: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Figures>,
{
    config.server.port = 0;
    config.paths.tenants = repo().join("tenants");
    config.paths.themes = repo().join("themes");
    config.log.level = "error".into();
    // Tuesday 3 March 2026, 12:00 in Amsterdam: paid hours, far from the end of the validity.
    let now = chrono_tz::Europe::Amsterdam
        .with_ymd_and_hms(2026, 3, 3, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = Application::start(&config, Arc::new(FixedClock::new(now)))
        .await
        .expect("the server starts");
    if app.tenants().is_empty().await.unwrap() {
        for t in parkportal::bundle::read_all(&repo().join("tenants")).unwrap() {
            app.tenants().import(&t).await.unwrap();
        }
    }
    let url = app.url();
    let people = Arc::new(residents(&app, &url).await);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();

    println!("{label}");
    let (mut server, mut trivial, mut database, mut ratios) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (c, u, p) = (client.clone(), url.clone(), people.clone());
        let sessions = drive(move |worker, n| {
            let (client, url, people) = (c.clone(), u.clone(), p.clone());
            async move {
                let (token, product) = &people[worker];
                // A one-minute session two minutes further each time, each round on its own
                // day: never overlapping, always paid.
                let start =
                    now + Span::days(1 + round as i64) + Span::minutes(2 * (n as i64 % 700));
                let body = json!({"plate": "AB-12-34", "start": start.to_rfc3339(), "end": (start + Span::minutes(1)).to_rfc3339()});
                client
                    .post(format!("{url}/api/v1/products/{product}/sessions"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().as_u16() == 201)
            }
        })
        .await;
        let (c, u) = (client.clone(), url.clone());
        let healthz = drive(move |_, _| {
            let (client, url) = (c.clone(), u.clone());
            async move {
                client
                    .get(format!("{url}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await;
        let alone = ceiling().await;
        let ratio = 100.0 * sessions.per_second / alone.per_second;
        println!("  round {}", round + 1);
        print("POST .../sessions (server)", &sessions);
        print("GET /healthz (same server)", &healthz);
        print("the same writes, database alone", &alone);
        println!("  server / database ceiling: {ratio:.0}%");
        ratios.push(ratio);
        server.push(sessions);
        trivial.push(healthz);
        database.push(alone);
    }
    let (server, trivial) = (medians(&server), medians(&trivial));
    println!("  median of {ROUNDS} rounds");
    print("POST .../sessions (server)", &server);
    print("GET /healthz (same server)", &trivial);
    print("the same writes, database alone", &medians(&database));
    println!(
        "  server / database ceiling: {:.0}%   server / trivial endpoint: {:.1}%",
        median(&mut ratios),
        100.0 * server.per_second / trivial.per_second
    );
    app.stop().await.unwrap();
}

/// The SQLite ceiling: the same three writes per transaction, issued directly with the server's
/// durability settings (WAL, synchronous=FULL, BEGIN IMMEDIATE).
async fn sqlite_ceiling(path: &Path) -> Figures {
    let settings = parkportal_store::DatabaseSettings {
        url: format!("sqlite://{}?mode=rwc", path.display()),
        max_connections: Config::default().database.max_connections,
        busy_timeout: Duration::from_secs(5),
    };
    let db = Arc::new(
        parkportal_store::Database::connect(&settings)
            .await
            .unwrap(),
    );
    drive(move |worker, n| {
        let db = db.clone();
        async move {
            let product = (worker % CONNECTIONS) as i64 + 1;
            let Ok((_gate, txn)) = db.begin_write().await else {
                return false;
            };
            let backend = txn.get_database_backend();
            let statements = [
                format!("UPDATE products SET balance = balance - 2 WHERE id = {product}"),
                format!(
                    "INSERT INTO parking_sessions (product_id, account_id, plate, country, start_at, end_at, reserved, script_version, tariff_version, breakdown, created_at) \
                     VALUES ({product}, 1, 'AB1234', 'NL', '2027-01-01T00:{m:02}:00+00:00', '2027-01-01T00:{m:02}:30+00:00', 2, 1, 1, '{{}}', '2026-03-03T11:00:00+00:00')",
                    m = n % 60
                ),
                format!(
                    "INSERT INTO ledger_entries (product_id, kind, amount, created_at) VALUES ({product}, 'reservation', -2, '2026-03-03T11:00:00+00:00')"
                ),
            ];
            for sql in statements {
                if txn
                    .execute_raw(Statement::from_string(backend, sql))
                    .await
                    .is_err()
                {
                    return false;
                }
            }
            txn.commit().await.is_ok()
        }
    })
    .await
}

/// The PostgreSQL ceiling: pgbench with the same three writes, 32 clients, on the server's
/// products. Its sessions lie in 2020, so that the server's lookups of overlapping sessions
/// never meet them in the rounds after.
async fn postgres_ceiling(url: &str) -> Figures {
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        "\\set p random(1, 32)\n\
         BEGIN;\n\
         UPDATE products SET balance = balance - 2 WHERE id = :p;\n\
         INSERT INTO parking_sessions (product_id, account_id, plate, country, start_at, end_at, reserved, script_version, tariff_version, breakdown, created_at) VALUES (:p, 1, 'AB1234', 'NL', '2020-01-01T00:00:00Z', '2020-01-01T00:01:00Z', 2, 1, 1, '{}', now());\n\
         INSERT INTO ledger_entries (product_id, kind, amount, created_at) VALUES (:p, 'reservation', -2, now());\n\
         COMMIT;\n",
    )
    .unwrap();
    let (path, url) = (script.path().to_owned(), url.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("pgbench")
            .args([
                "-n",
                "-c",
                &CONNECTIONS.to_string(),
                "-j",
                "2",
                "-T",
                &SECONDS.to_string(),
                "-f",
            ])
            .arg(&path)
            .arg(&url)
            .output()
    })
    .await
    .unwrap()
    .expect("pgbench runs (apt-get install postgresql-client)");
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| {
            panic!(
                "pgbench said:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let latency = text
        .lines()
        .find_map(|l| l.strip_prefix("latency average = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    Figures {
        per_second: tps,
        // The mean: pgbench gives no median.
        p50: Duration::from_secs_f64(latency / 1000.0),
        p99: Duration::ZERO,
        errors: 0,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    println!(
        "Parkportal: starting sessions at {CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS} s per figure"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = Config::default();
    sqlite.database.url = Some(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    ));
    let ceiling_db = dir.path().join("ceiling.db");
    {
        // A copy of the schema and products for the ceiling loop.
        let mut config = Config::default();
        config.database.url = Some(format!("sqlite://{}?mode=rwc", ceiling_db.display()));
        let db = parkportal::app::open_database(&config).await.unwrap();
        let conn = db.connection();
        let backend = conn.get_database_backend();
        for sql in [
            "INSERT INTO tenants (slug, name, time_zone, default_language, theme, tokens, logo, logo_content_type, version) VALUES ('t', 'T', 'Europe/Amsterdam', 'nl', 'default', '{}', x'', 'image/svg+xml', 1)".to_owned(),
            "INSERT INTO zones (tenant_id, code, name, position) VALUES (1, 'z', 'Z', 0)".to_owned(),
            "INSERT INTO product_types (tenant_id, code, name, kind, unit, position) VALUES (1, 'p', 'P', 'visitor_scheme', 'money', 0)".to_owned(),
            "INSERT INTO accounts (email, password_hash, created_at, password_changed_at) VALUES ('a@b.nl', 'x', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')".to_owned(),
        ] {
            conn.execute_raw(Statement::from_string(backend, sql)).await.unwrap();
        }
        for i in 0..CONNECTIONS {
            conn.execute_raw(Statement::from_string(
                backend,
                format!("INSERT INTO products (tenant_id, product_type_id, zone_id, code, pin_hash, valid_from, valid_until, status, owner_id, issued_at, balance) VALUES (1, 1, 1, 'C{i:09}', 'x', '2026-01-01T00:00:00+00:00', '2027-01-01T00:00:00+00:00', 'active', 1, '2026-01-01T00:00:00+00:00', 100000000)"),
            ))
            .await
            .unwrap();
        }
        db.close().await.unwrap();
    }
    run("SQLite (WAL, synchronous=FULL)", sqlite, || {
        sqlite_ceiling(&ceiling_db)
    })
    .await;

    let server = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
    let name = format!("parkportal_bench_{}", std::process::id());
    let admin = match sea_orm::Database::connect(server.clone()).await {
        Ok(c) => c,
        Err(e) => {
            println!("PostgreSQL: skipped ({e})");
            return;
        }
    };
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let mut pg = Config::default();
    pg.database.url = Some(url.clone());
    run("PostgreSQL 15", pg, || postgres_ceiling(&url)).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

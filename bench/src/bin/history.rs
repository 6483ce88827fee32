//! The benchmark of "Historie": `cargo run --release -p parkportal-bench --bin history`. It
//! shows that the first page of a product's history costs the same whatever the size of the
//! database: two servers run side by side, one on a database with 10,000 sessions and one with
//! 1,000,000 (each with a ledger entry per session), on SQLite (temporary files) and, when it
//! answers, PostgreSQL (`BENCH_DATABASE_URL`, default
//! `postgres://postgres:postgres@127.0.0.1:5432/postgres`; fresh databases, dropped after).
//!
//! The sessions belong to products of 1,000 sessions each (10 products, or 1,000): the resident's
//! product looks the same in both, only the database around it grows. At 8 connections it
//! measures, alternating between the two servers in three rounds of 5 s:
//!
//! - `GET /api/v1/products/{id}/history/sessions` (the first 10);
//! - `GET /api/v1/products/{id}/history/transactions` (the first 10);
//! - `GET /producten/{id}/historie` (the page, with the counts on its tabs);
//! - `GET /producten/{id}/parkeeracties` (the product's sessions page, which reads the same
//!   table through another index: a new index must not lead its queries astray).
//!
//! It prints each round and the medians, and the ratio large / small of p50 and throughput.
//! The bulk rows are written with SQL for speed; the resident and the product through the use
//! cases. Never part of CI.

#![expect(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops at the first failure, like a test"
)]

use chrono::{TimeZone, Utc};
use parkportal::{Application, Config};
use parkportal_domain::coupling::IssueRequest;
use parkportal_domain::{EmailAddress, FixedClock};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONNECTIONS: usize = 8;
const SECONDS: u64 = 5;
const ROUNDS: usize = 3;
const PER_PRODUCT: u64 = 1_000;
const SIZES: [u64; 2] = [10_000, 1_000_000];

#[path = "../figures.rs"]
mod figures;
use figures::{Figures, figures, medians, print, repo};

async fn drive(client: reqwest::Client, url: String, auth: (String, String)) -> Figures {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, (header, value)) = (client.clone(), url.clone(), auth.clone());
            tokio::spawn(async move {
                let (mut ok, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let answer = client.get(&url).header(&header, &value).send().await;
                    let read = match answer {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        Ok(r) => {
                            if errors == 0 {
                                println!("    {url}: {}", r.status());
                            }
                            false
                        }
                        Err(e) => {
                            if errors == 0 {
                                println!("    {url}: {e}");
                            }
                            false
                        }
                    };
                    if read {
                        ok.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
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

/// A server with its resident's token and product.
struct Server {
    app: Application,
    token: String,
    product: i64,
}

/// The first database time of the bulk sessions: they all lie before the clock.
fn timestamp(backend: DbBackend, minutes_before: &str) -> String {
    match backend {
        // sqlx writes a UTC time as RFC 3339 with "+00:00"; the text must compare the same way.
        DbBackend::Sqlite => format!(
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-03-01 00:00:00', '-' || ({minutes_before}) || ' minutes')"
        ),
        _ => format!(
            "(TIMESTAMPTZ '2026-03-01 00:00:00+00' - ({minutes_before}) * INTERVAL '1 minute')"
        ),
    }
}

/// Starts a server on `url`, makes the resident and product through the use cases, and adds
/// `size` sessions with their ledger entries in products of [`PER_PRODUCT`].
async fn server(url: String, size: u64) -> Server {
    let mut config = Config::default();
    config.database.url = Some(url);
    config.server.port = 0;
    config.paths.tenants = repo().join("tenants");
    config.paths.themes = repo().join("themes");
    config.log.level = "error".into();
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
    let issued = app
        .state()
        .desk()
        .issue(IssueRequest {
            tenant: "dijkstad".into(),
            email: Some(EmailAddress::parse("historie@example.nl").unwrap()),
            balance: Some("100.00".parse().unwrap()),
            ..IssueRequest::default()
        })
        .await
        .unwrap();
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/couplings/accept", app.url()))
        .json(&json!({"token": issued.coupling_token.unwrap().expose(), "password": "benchmark1234", "password_repeat": "benchmark1234"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    let product = issued.id.0;

    let started = Instant::now();
    let conn = app.database().connection();
    let backend = conn.get_database_backend();
    let products = size / PER_PRODUCT;
    let run = |sql: String| {
        let conn = conn.clone();
        async move {
            conn.execute_raw(Statement::from_string(backend, sql))
                .await
                .unwrap();
        }
    };
    // The other products: copies of the resident's, not coupled to anyone.
    run(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {others}) \
         INSERT INTO products (tenant_id, product_type_id, zone_id, code, pin_hash, valid_from, valid_until, status, owner_id, issued_at, balance, revision) \
         SELECT p.tenant_id, p.product_type_id, p.zone_id, 'BENCH' || n.i, p.pin_hash, p.valid_from, p.valid_until, p.status, NULL, p.issued_at, 0, 0 \
         FROM n, products p WHERE p.id = {product}",
        others = products - 1
    ))
    .await;
    let first_other = app
        .database()
        .connection()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MIN(id) AS id FROM products WHERE code LIKE 'BENCH%'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "id")
        .unwrap();
    let account = app
        .database()
        .connection()
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT owner_id FROM products WHERE id = {product}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "owner_id")
        .unwrap();
    // Session i belongs to product i mod P (the resident's when 0), ten minutes apart backwards.
    let start = timestamp(backend, "n.i * 10 + 30");
    let end = timestamp(backend, "n.i * 10");
    run(format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO parking_sessions (product_id, account_id, plate, country, start_at, end_at, reserved, script_version, tariff_version, breakdown, created_at) \
         SELECT CASE WHEN n.i % {products} = 0 THEN {product} ELSE {first_other} + n.i % {products} - 1 END, \
                {account}, (n.i % 90 + 10) || 'GBD' || (n.i % 9 + 1), 'NL', {start}, {end}, 60, 1, 1, '{{}}', {start} \
         FROM n",
        last = size - 1
    ))
    .await;
    run("INSERT INTO ledger_entries (product_id, kind, amount, session_id, created_at) \
         SELECT product_id, 'reservation', -reserved, id, created_at FROM parking_sessions ORDER BY id"
        .to_owned())
    .await;
    run("ANALYZE".to_owned()).await;
    println!(
        "  {size} sessions in {products} products written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Server {
        app,
        token,
        product,
    }
}

async fn compare(label: &str, small: &Server, large: &Server) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let targets = |s: &Server| {
        let base = s.app.url();
        let bearer = ("authorization".to_owned(), format!("Bearer {}", s.token));
        let cookie = ("cookie".to_owned(), format!("pp_session={}", s.token));
        vec![
            (
                "GET .../history/sessions",
                format!("{base}/api/v1/products/{}/history/sessions", s.product),
                bearer.clone(),
            ),
            (
                "GET .../history/transactions",
                format!("{base}/api/v1/products/{}/history/transactions", s.product),
                bearer,
            ),
            (
                "GET /producten/{id}/historie (page)",
                format!("{base}/producten/{}/historie", s.product),
                cookie.clone(),
            ),
            (
                "GET /producten/{id}/parkeeracties (page)",
                format!("{base}/producten/{}/parkeeracties", s.product),
                cookie,
            ),
        ]
    };
    let (small_targets, large_targets) = (targets(small), targets(large));
    println!("{label}");
    for (i, (name, _, _)) in small_targets.iter().enumerate() {
        let (mut s_runs, mut l_runs) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let (_, url, auth) = small_targets[i].clone();
            let s = drive(client.clone(), url, auth).await;
            let (_, url, auth) = large_targets[i].clone();
            let l = drive(client.clone(), url, auth).await;
            println!("  {name}, round {}", round + 1);
            print(&format!("{} sessions", SIZES[0]), &s);
            print(&format!("{} sessions", SIZES[1]), &l);
            s_runs.push(s);
            l_runs.push(l);
        }
        let (s, l) = (medians(&s_runs), medians(&l_runs));
        println!("  {name}, median of {ROUNDS} rounds");
        print(&format!("{} sessions", SIZES[0]), &s);
        print(&format!("{} sessions", SIZES[1]), &l);
        println!(
            "    large / small: p50 {:.2}x, throughput {:.2}x",
            l.p50.as_secs_f64() / s.p50.as_secs_f64(),
            l.per_second / s.per_second
        );
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    let small = server(url("small.db"), SIZES[0]).await;
    let large = server(url("large.db"), SIZES[1]).await;
    compare("SQLite (WAL, synchronous=FULL)", &small, &large).await;
    small.app.stop().await.unwrap();
    large.app.stop().await.unwrap();

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
    let names: Vec<String> = SIZES
        .iter()
        .map(|s| format!("parkportal_bench_history_{s}_{}", std::process::id()))
        .collect();
    for name in &names {
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    }
    let small = server(format!("{base}/{}", names[0]), SIZES[0]).await;
    let large = server(format!("{base}/{}", names[1]), SIZES[1]).await;
    compare("PostgreSQL 15", &small, &large).await;
    small.app.stop().await.unwrap();
    large.app.stop().await.unwrap();
    for name in &names {
        admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}

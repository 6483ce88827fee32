//! The benchmark of the help desk's search: `cargo run --release -p parkportal-bench --bin
//! search`. A gemeente (Dijkstad) gets 1,000,000 products in bulk (SQL, not argon2 per product):
//! each with a holder's name of two or three words, a postcode (20,000 of them, about 50
//! products each), a plate and a coupling mail to its own address; Havenmond gets 10,000
//! look-alikes, so that the gemeente in every query has something to keep out. Then, at 8
//! concurrent searches for 5 s in three rounds, each kind of term through the search use case
//! (the query, the page of 20 newest first, and its audit entry written in the same
//! transaction, as the console runs it):
//!
//! - `code`: an existing product's code;
//! - `email`: an existing product's coupling address;
//! - `plate`: an existing product's plate, typed with dashes;
//! - `postcode`: an existing postcode, typed without the space;
//! - `name`: the beginnings of a first name and a surname ("jan vri"), the common case;
//! - `name` (one word): the beginning of a common surname alone ("jans").
//!
//! Each search asks for another product (or postcode, or name) than the last. It prints each
//! round and the median of the rounds: throughput, p50 and p99. SQLite runs on a temporary
//! file; PostgreSQL (`BENCH_DATABASE_URL`, default
//! `postgres://postgres:postgres@127.0.0.1:5432/postgres`) on a fresh database, dropped after.
//! Never part of CI.

#![expect(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops at the first failure, like a test"
)]

use chrono::{TimeZone, Utc};
use parkportal::{Application, Config};
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::coupling::IssueRequest;
use parkportal_domain::search::{SearchKind, SearchQuery};
use parkportal_domain::{FixedClock, TenantId};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONNECTIONS: usize = 8;
const SECONDS: u64 = 5;
const ROUNDS: usize = 3;
/// 1,000,000; `BENCH_PRODUCTS` sets fewer for a quick try of the benchmark itself.
static PRODUCTS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    std::env::var("BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
});
const OTHERS: u64 = 10_000;
const BATCH: u64 = 2_000;

#[path = "../figures.rs"]
mod figures;
use figures::{Figures, figures, medians, print, repo};

const FIRST: [&str; 40] = [
    "Jan", "Piet", "Kees", "Anna", "Maria", "Sanne", "Eva", "Daan", "Sem", "Lucas", "Emma",
    "Julia", "Tess", "Noah", "Liam", "Mila", "Zoë", "Fleur", "Bram", "Thijs", "Lotte", "Roos",
    "Femke", "Joost", "Ruud", "Henk", "Ingrid", "Wim", "Fatima", "Mohamed", "Yusuf", "Aylin",
    "Mehmet", "Sophie", "Jesse", "Finn", "Lars", "Nina", "Isa", "Özlem",
];
const LAST: [&str; 60] = [
    "de Vries",
    "Jansen",
    "de Jong",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "van der Linden",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "van den Heuvel",
    "van der Veen",
    "van den Broek",
    "de Bruijn",
    "de Bruin",
    "van der Heijden",
    "Schouten",
    "van Beek",
    "Willems",
    "van Vliet",
    "van de Ven",
    "Hoekstra",
    "Maas",
    "Verhoeven",
    "Koster",
    "van Dam",
    "van der Wal",
    "Prins",
    "Blom",
    "Huisman",
    "Peeters",
    "de Lange",
    "Kuipers",
    "van Wijk",
    "Post",
    "Kuiper",
    "Veenstra",
    "Kramer",
    "van den Brink",
    "Scholten",
    "Yilmaz",
    "Öztürk",
];
/// The letters of product codes (no 0/O, 1/I/L, ...), as `ProductCode` draws them.
const CODE: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";

/// Product `i`'s code: ten letters of [`CODE`], distinct per `i` (below 25^10 / 2.7e9), and not
/// in any order the index would favour.
fn code(i: u64) -> String {
    // A multiplier prime to 25^10 makes this a bijection of 0..25^10.
    let mut n = i.wrapping_mul(2_654_435_761) % 95_367_431_640_625;
    let mut s = String::with_capacity(10);
    for _ in 0..10 {
        s.push(CODE[(n % 25) as usize] as char);
        n /= 25;
    }
    s
}

/// Stems and endings of the rarer surnames (600 of them): with the 60 common ones for one in
/// four residents, each common surname is about 0.4% of the names, as "de Jong", the most
/// common Dutch surname, is of the Dutch.
const STEMS: [&str; 30] = [
    "Berg", "Brink", "Dijk", "Veld", "Hout", "Molen", "Water", "Zand", "Kamp", "Hoek", "Wal",
    "Bosch", "Haven", "Kerk", "Linde", "Meer", "Poel", "Rijn", "Steen", "Wolde", "Heuvel", "Beek",
    "Akker", "Donk", "Goor", "Horst", "Kolk", "Laar", "Mark", "Oord",
];
const ENDINGS: [&str; 20] = [
    "", "s", "sma", "stra", "man", "mans", "ink", "huis", "hof", "kamp", "veld", "er", "ers",
    "ing", "ema", "inga", "ens", "ling", "sen", "boer",
];

fn name(i: u64) -> String {
    let first = FIRST[(i.wrapping_mul(7) % FIRST.len() as u64) as usize];
    let k = i.wrapping_mul(13) / 3;
    let last = if k.is_multiple_of(4) {
        LAST[(k / 4 % LAST.len() as u64) as usize].to_owned()
    } else {
        let n = k / 4;
        format!(
            "{}{}",
            STEMS[(n % STEMS.len() as u64) as usize],
            ENDINGS[(n / STEMS.len() as u64 % ENDINGS.len() as u64) as usize]
        )
    };
    format!("{first} {last}")
}

fn postcode(i: u64) -> String {
    let n = i % 20_000;
    let letters = b"ABCDEGHJKLMNPRSTVWXZ";
    format!(
        "{} {}{}",
        1000 + n / 4,
        b"AGMT"[(n % 4) as usize] as char,
        letters[(n / 4 % 20) as usize] as char
    )
}

/// A Dutch plate of side code 6 (`12-ABC-3`), normalised, unique per `i` below 1,000,000.
fn plate(i: u64) -> String {
    let letters = b"BDFGHJKLNPRSTVXZ";
    let l = |k: u64| letters[(k % 16) as usize] as char;
    format!(
        "{:02}{}{}{}{}",
        i % 100,
        l(i / 100),
        l(i / 1_600),
        l(i / 25_600),
        i / 409_600 + 1
    )
}

fn email(i: u64) -> String {
    format!("bewoner{i}@example.nl")
}

/// The words of `name` as the index keeps them.
fn words(name: &str) -> Vec<String> {
    parkportal_domain::search::name_words(name)
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes `count` products of `tenant` (after the template product `template`), numbered from
/// `from`, with their name words, plates and coupling links, in transactions of [`BATCH`].
async fn bulk(app: &Application, tenant: i64, template: i64, (from, count): (u64, u64)) {
    let conn = app.database().connection();
    let backend = conn.get_database_backend();
    let one = |sql: String| Statement::from_string(backend, sql);
    let t = conn
        .query_one_raw(one(format!(
            "SELECT product_type_id, zone_id, pin_hash, CAST(valid_from AS TEXT) AS f, \
             CAST(valid_until AS TEXT) AS u FROM products WHERE id = {template}"
        )))
        .await
        .unwrap()
        .unwrap();
    let (kind, zone, pin): (i64, i64, String) = (
        t.try_get("", "product_type_id").unwrap(),
        t.try_get("", "zone_id").unwrap(),
        t.try_get("", "pin_hash").unwrap(),
    );
    let (valid_from, valid_until): (String, String) =
        (t.try_get("", "f").unwrap(), t.try_get("", "u").unwrap());
    let time = |text: &str| match backend {
        DbBackend::Postgres => format!("CAST({} AS TIMESTAMPTZ)", quoted(text)),
        _ => quoted(text),
    };
    let mut next = from;
    while next < from + count {
        let end = (next + BATCH).min(from + count);
        let rows: Vec<String> = (next..end)
            .map(|i| {
                format!(
                    "({tenant}, {kind}, {zone}, {}, {}, {}, {}, 'active', NULL, {}, 0, 0, {}, \
                     'Kerkstraat', '{}', {}, 'Dijkstad')",
                    quoted(&code(i)),
                    quoted(&pin),
                    time(&valid_from),
                    time(&valid_until),
                    time(&valid_from),
                    quoted(&name(i)),
                    i % 200 + 1,
                    quoted(&postcode(i)),
                )
            })
            .collect();
        let txn = sea_orm::TransactionTrait::begin(conn).await.unwrap();
        let first = txn
            .query_all_raw(one(format!(
                "INSERT INTO products (tenant_id, product_type_id, zone_id, code, pin_hash, \
                 valid_from, valid_until, status, owner_id, issued_at, balance, revision, \
                 holder_name, holder_street, holder_house_number, holder_postcode, holder_city) \
                 VALUES {} RETURNING id",
                rows.join(", ")
            )))
            .await
            .unwrap();
        let ids: Vec<i64> = first
            .iter()
            .map(|r| r.try_get::<i64>("", "id").unwrap())
            .collect();
        let mut word_rows = Vec::new();
        let mut plate_rows = Vec::new();
        let mut link_rows = Vec::new();
        for (i, id) in (next..end).zip(&ids) {
            for w in words(&name(i)) {
                let head = parkportal_domain::search::word_head(&w);
                word_rows.push(format!(
                    "({tenant}, {id}, {}, {})",
                    quoted(&w),
                    quoted(&head)
                ));
            }
            plate_rows.push(format!("({id}, {}, 'NL', 0, FALSE)", quoted(&plate(i))));
            link_rows.push(format!(
                "('coupling', {}, {}, {id}, {}, {})",
                quoted(&format!(
                    "{:064x}",
                    u128::from(tenant as u64) << 64 | u128::from(i)
                )),
                quoted(&email(i)),
                time(&valid_from),
                time(&valid_until),
            ));
        }
        for sql in [
            format!(
                "INSERT INTO product_name_words (tenant_id, product_id, word, head) VALUES {}",
                word_rows.join(", ")
            ),
            format!(
                "INSERT INTO product_plates (product_id, plate, country, position, active) VALUES {}",
                plate_rows.join(", ")
            ),
            format!(
                "INSERT INTO email_links (purpose, token_hash, email, product_id, created_at, expires_at) VALUES {}",
                link_rows.join(", ")
            ),
        ] {
            txn.execute_raw(one(sql)).await.unwrap();
        }
        txn.commit().await.unwrap();
        next = end;
    }
}

/// A server on `url` with the products written: the app and the two gemeenten's ids.
async fn server(url: String) -> (Application, TenantId) {
    let mut config = Config::default();
    config.database.url = Some(url);
    config.database.max_connections = CONNECTIONS as u32 + 2;
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
    let started = Instant::now();
    let mut ids = Vec::new();
    for slug in ["dijkstad", "havenmond"] {
        let template = app
            .state()
            .desk()
            .issue(IssueRequest {
                tenant: slug.into(),
                recipient: Some(
                    parkportal_domain::Recipient::parse(&parkportal_domain::RecipientInput {
                        name: "Sjabloon",
                        street: "Kerkstraat",
                        house_number: "1",
                        postcode: "1000 AA",
                        city: "Dijkstad",
                    })
                    .unwrap(),
                ),
                ..IssueRequest::default()
            })
            .await
            .unwrap();
        let tenant = app.tenants().by_slug(slug).await.unwrap().unwrap().id;
        ids.push((tenant, template.id.0));
    }
    let (dijkstad, template) = ids[0];
    bulk(&app, dijkstad.0, template, (0, *PRODUCTS)).await;
    // Havenmond's look-alikes: the same names and postcodes as Dijkstad's.
    let (havenmond, template) = ids[1];
    bulk(&app, havenmond.0, template, (*PRODUCTS, OTHERS)).await;
    let conn = app.database().connection();
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        "ANALYZE".to_owned(),
    ))
    .await
    .unwrap();
    println!(
        "  {} products (and {OTHERS} of another gemeente) written in {:.1} s",
        *PRODUCTS,
        started.elapsed().as_secs_f64()
    );
    (app, dijkstad)
}

/// The term of search number `n` of `kind`.
fn term(kind: &str, n: u64) -> (SearchKind, String) {
    // Spread over the whole gemeente, newest and oldest alike.
    let i = n.wrapping_mul(7_919) % *PRODUCTS;
    match kind {
        "code" => {
            let c = code(i);
            (SearchKind::Code, format!("{}-{}", &c[..5], &c[5..]))
        }
        "email" => (SearchKind::Email, email(i).to_uppercase()),
        "plate" => {
            let p = plate(i);
            (
                SearchKind::Plate,
                format!("{}-{}-{}", &p[..2], &p[2..5], &p[5..]),
            )
        }
        "postcode" => (SearchKind::Postcode, postcode(i).replace(' ', "")),
        "name" => {
            let name = name(i);
            let mut words = name.split(' ');
            let first: String = words.next().unwrap().chars().take(3).collect();
            let last: String = words.next_back().unwrap().chars().take(3).collect();
            (SearchKind::Name, format!("{first} {last}"))
        }
        _ => {
            let last = LAST[(n % LAST.len() as u64) as usize];
            let word = last.split(' ').next_back().unwrap();
            (SearchKind::Name, word.chars().take(4).collect())
        }
    }
}

async fn drive(app: &Application, tenant: TenantId, kind: &'static str) -> Figures {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(SECONDS);
    let counter = Arc::new(AtomicU64::new(0));
    let search = app.console().search().clone();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (search, counter) = (search.clone(), counter.clone());
            tokio::spawn(async move {
                let (mut ok, mut errors, mut empty) = (Vec::new(), 0usize, 0usize);
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let (k, typed) = term(kind, n);
                    let query = SearchQuery::parse(k, &typed).unwrap().unwrap();
                    let entry =
                        AuditEntry::new(Actor::Operator, "product.search", "bench", Utc::now())
                            .within(Some(tenant), None);
                    let t = Instant::now();
                    match search.search(tenant, &query, 1, entry).await {
                        Ok(found) => {
                            ok.push(t.elapsed());
                            if found.hits.is_empty() {
                                empty += 1;
                            }
                        }
                        Err(e) => {
                            if errors == 0 {
                                println!("    {kind} {typed}: {e}");
                            }
                            errors += 1;
                        }
                    }
                }
                (ok, errors, empty)
            })
        })
        .collect();
    let (mut all, mut errors, mut empty) = (Vec::new(), 0, 0);
    for t in tasks {
        let (ok, e, none) = t.await.unwrap();
        all.extend(ok);
        errors += e;
        empty += none;
    }
    // Every term names something that exists: a search that finds nothing measures nothing.
    assert_eq!(empty, 0, "{kind}: {empty} searches found nothing");
    figures(all, errors, started.elapsed())
}

async fn measure(label: &str, app: &Application, tenant: TenantId) {
    println!("{label}");
    // `BENCH_ONLY=name` measures only the kinds whose name holds it.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    for kind in [
        "code",
        "email",
        "plate",
        "postcode",
        "name",
        "name (one word)",
    ]
    .into_iter()
    .filter(|k| k.contains(only.as_str()))
    {
        let mut runs = Vec::new();
        for round in 0..ROUNDS {
            let f = drive(app, tenant, kind).await;
            print(&format!("{kind}, round {}", round + 1), &f);
            runs.push(f);
        }
        print(&format!("{kind}, median of {ROUNDS}"), &medians(&runs));
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("search.db").display()
    );
    let (app, tenant) = server(url).await;
    measure("SQLite (WAL, synchronous=FULL)", &app, tenant).await;
    app.stop().await.unwrap();
    // `BENCH_KEEP=1` keeps the SQLite file too, to look at its plans with sqlite3.
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("kept: {}", dir.keep().join("search.db").display());
    }

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
    let name = format!("parkportal_bench_search_{}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (app, tenant) = server(format!("{base}/{name}")).await;
    measure("PostgreSQL 15", &app, tenant).await;
    app.stop().await.unwrap();
    // `BENCH_KEEP=1` keeps the database, to look at its plans with psql.
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("kept: {base}/{name}");
        return;
    }
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

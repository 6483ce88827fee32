//! Starting the application for a test, on SQLite or PostgreSQL, and the plain requests older
//! tests send through it (new tests use the typed users of `super::users`).

use chrono::{TimeZone, Utc};
use parkportal::{Application, Config};
use parkportal_domain::FixedClock;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

/// A page's HTML with the escapes minijinja writes undone, so that tests can look for links and
/// texts as the resident reads them.
pub fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&amp;", "&")
        .replace("&#x27;", "'")
}

/// The CSRF token a page's forms carry (from its `csrf-token` meta).
pub fn csrf_of(html: &str) -> String {
    html.split("<meta name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .filter(|t| !t.is_empty())
        .expect("the page carries a CSRF token")
        .to_owned()
}

/// The value of hidden field `name` in `html` (the first one).
pub fn hidden(html: &str, name: &str) -> String {
    unescape(html)
        .split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no field {name}"))
        .to_owned()
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Monday 2 March 2026, 10:00 in Amsterdam: a fixed, ordinary working day.
pub fn monday_morning() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// The PostgreSQL server of `TEST_DATABASE_URL`, when set.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A running application with a client that keeps cookies.
pub struct TestApp {
    pub app: Option<Application>,
    pub url: String,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub clock: Arc<FixedClock>,
    pub config: Config,
    pub dir: TempDir,
}

fn with_database(server: &str, name: &str) -> String {
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

async fn admin(server: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(server.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .expect("TEST_DATABASE_URL does not answer")
}

/// Creates a fresh PostgreSQL database cloned from a template that holds every migration.
async fn fresh_postgres(server: &str) -> String {
    // The template is named after the migrations and their sources, so that a changed
    // migration (before it ships) never meets a template built from its older self.
    let mut known = parkportal_store::Database::known_migrations().join(",");
    let mut sources: Vec<_> = std::fs::read_dir(repo().join("migrations/src"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    sources.sort();
    for path in sources {
        known.push_str(&std::fs::read_to_string(path).unwrap());
    }
    let fingerprint = known.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let template = format!("parkportal_tpl_{fingerprint:016x}");
    let conn = admin(server).await;
    // One connection, so the session-level advisory lock serialises template creation and cloning
    // across the test processes that nextest runs at once.
    conn.execute_unprepared("SELECT pg_advisory_lock(727274)")
        .await
        .unwrap();
    let exists = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT 1 AS one FROM pg_database WHERE datname = '{template}'"),
        ))
        .await
        .unwrap()
        .is_some();
    if !exists {
        // Build under a temporary name and rename when complete, so that a run that dies halfway
        // never leaves a half-migrated template behind for the next run.
        let building = format!("{template}_building");
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await
            .unwrap();
        conn.execute_unprepared(&format!("CREATE DATABASE {building}"))
            .await
            .unwrap();
        let settings = parkportal_store::DatabaseSettings {
            url: with_database(server, &building),
            max_connections: 1,
            busy_timeout: std::time::Duration::from_secs(5),
        };
        let db = parkportal_store::Database::connect(&settings)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        db.close().await.unwrap();
        conn.execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await
            .unwrap();
    }
    // Databases of test processes that have ended go now. A test does not drop its own on the
    // way out: its runtime is blocked in Drop, and a connection of its pool caught mid-handshake
    // would hold PostgreSQL's DROP DATABASE for the whole authentication time-out (a minute).
    let leftovers = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'parkportal_test_%'".to_owned(),
        ))
        .await
        .unwrap();
    for row in leftovers {
        let name: String = row.try_get("", "datname").unwrap();
        let alive = name
            .rsplit('_')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = conn
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
    let name = format!("parkportal_test_{}", uuid_like());
    conn.execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .unwrap();
    conn.execute_unprepared("SELECT pg_advisory_unlock(727274)")
        .await
        .unwrap();
    conn.close().await.unwrap();
    name
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}_{}", nanos, std::process::id())
}

/// A configuration for tests: port 0, the repository's themes and tenants, quiet logs.
pub fn test_config(dir: &Path) -> Config {
    let mut config = Config::default();
    config.server.port = 0;
    config.server.shutdown_timeout_seconds = 1;
    config.paths.tenants = repo().join("tenants");
    config.paths.themes = repo().join("themes");
    config.database.path = dir.join("parkportal.db");
    // Cheap argon2 and a quick outbox: the tests measure behaviour, not cost.
    config.auth.hash_memory_kib = 64;
    config.auth.hash_iterations = 1;
    config.outbox.poll_interval = parkportal::duration::ConfigDuration::millis(50);
    config
}

/// A configuration that sends mail to the test's SMTP server on `port`.
pub fn with_smtp(config: &mut Config, port: u16) {
    config.smtp.host = Some("127.0.0.1".into());
    config.smtp.port = port;
    config.smtp.tls = parkportal::config::SmtpTls::None;
    config.smtp.from = "Parkportal <noreply@parkportal.test>".into();
}

impl TestApp {
    /// The gemeente of `slug`, which must exist.
    pub async fn tenant(&self, slug: &str) -> parkportal_domain::Tenant {
        let app = self.app.as_ref().expect("a running application");
        app.tenants()
            .by_slug(slug)
            .await
            .expect("the tenant directory")
            .expect("the gemeente")
    }

    /// The application with the demo gemeenten, imported through the same use case as
    /// `parkportal tenants import`.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The application with the demo gemeenten and a configuration changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let app = Self::spawn_empty_with(configure).await;
        let demo = parkportal::bundle::read_all(&repo().join("tenants")).unwrap();
        for config in &demo {
            app.app
                .as_ref()
                .unwrap()
                .tenants()
                .import(config)
                .await
                .unwrap();
        }
        app
    }

    /// The application on an empty, migrated database.
    pub async fn spawn_empty() -> Self {
        Self::spawn_empty_with(|_| {}).await
    }

    /// The application on an empty, migrated database with a configuration changed by
    /// `configure`.
    pub async fn spawn_empty_with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        configure(&mut config);
        match postgres_url() {
            Some(server) => {
                let name = fresh_postgres(&server).await;
                config.database.url = Some(with_database(&server, &name));
            }
            None => {
                // An explicit URL, so that the embedded demo import stays out of the way.
                config.database.url = Some(format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("test.db").display()
                ));
            }
        }
        Self::start(config, dir).await
    }

    /// Starts the application with `config`.
    pub async fn start(config: Config, dir: TempDir) -> Self {
        let clock = Arc::new(FixedClock::new(monday_morning()));
        let app = Application::start(&config, clock.clone()).await.unwrap();
        let url = app.url();
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = client_with(jar.clone());
        Self {
            app: Some(app),
            url,
            client,
            jar,
            clock,
            config,
            dir,
        }
    }

    /// A GET of `path` on this application.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.url))
    }

    /// The body of a GET that must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let resp = self.get(path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.text().await.unwrap()
    }

    /// The body of a GET with one extra header (Host, Accept-Language, ...), whatever its status.
    pub async fn text_with(&self, path: &str, header: &str, value: &str) -> String {
        self.get(path)
            .header(header, value)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// A visitor's browser of its own on this application.
    pub fn anonymous(&self) -> super::Anonymous {
        super::Anonymous::new(self)
    }

    /// A browser of its own: another resident on another device.
    pub fn new_browser(&mut self) {
        self.jar = Arc::new(reqwest::cookie::Jar::default());
        self.client = client_with(self.jar.clone());
    }

    /// The body of a GET from another device that sends only `cookie` (`name=value`), leaving
    /// this browser's cookies alone.
    pub async fn page_with_cookie(&self, path: &str, cookie: &str) -> String {
        reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of cookie `name` in the browser, if set.
    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_in(&self.jar, &self.url, name)
    }

    /// The CSRF token of this browser's forms as a page gives it now: bound to the visit, and
    /// to the session once logged in.
    pub async fn csrf(&self) -> String {
        csrf_of(&self.page("/over").await)
    }

    /// A form POST with this browser's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(format!("{}{path}", self.url))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Logs in through both steps of the login page; panics unless it succeeds. Where the
    /// login sends the resident.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let step1 = self.post_form("/inloggen", &[("email", email)]).await;
        assert_eq!(step1.status(), 303);
        let next = step1.headers()["location"].to_str().unwrap().to_owned();
        assert!(self.page(&next).await.contains("name=\"wachtwoord\""));
        let step2 = self
            .post_form("/inloggen/wachtwoord", &[("wachtwoord", password)])
            .await;
        assert_eq!(step2.status(), 303, "login of {email} failed");
        step2.headers()["location"].to_str().unwrap().to_owned()
    }

    /// Logs in like [`TestApp::login`] with [Onthoud mij] ticked, so that the device is
    /// remembered; panics unless it succeeds.
    pub async fn login_remembered(&self, email: &str, password: &str) {
        let step1 = self.post_form("/inloggen", &[("email", email)]).await;
        assert_eq!(step1.status(), 303);
        let step2 = self
            .post_form(
                "/inloggen/wachtwoord",
                &[("wachtwoord", password), ("onthoud", "ja")],
            )
            .await;
        assert_eq!(step2.status(), 303, "login of {email} failed");
        assert!(self.cookie("pp_remember").is_some(), "a remember-me cookie");
    }

    /// The first row of `sql`.
    async fn sql_row(&self, sql: &str) -> Option<sea_orm::QueryResult> {
        let db = self.app.as_ref().unwrap().database().connection();
        db.query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
    }

    /// The first column of the first row of `sql`, as text (NULL as `None`).
    pub async fn sql_text(&self, sql: &str) -> Option<String> {
        let row = self.sql_row(sql).await?;
        row.try_get_by_index::<Option<String>>(0).unwrap()
    }

    /// The first column of the first row of `sql`, as a number.
    pub async fn sql_i64(&self, sql: &str) -> i64 {
        let row = self.sql_row(sql).await.expect("a row");
        row.try_get_by_index::<i64>(0).unwrap()
    }

    /// Waits (at most five seconds) until `n` mails of the outbox are marked sent.
    pub async fn wait_sent(&self, n: i64) {
        for _ in 0..100 {
            if self
                .sql_i64("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL")
                .await
                >= n
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{n} mails were not marked sent");
    }

    /// Issues a product of `tenant`'s first visitor scheme to `email`, as staff would.
    pub async fn issue_to(&self, tenant: &str, email: &str) -> parkportal_domain::coupling::Issued {
        self.app
            .as_ref()
            .unwrap()
            .state()
            .desk()
            .issue(parkportal_domain::coupling::IssueRequest {
                tenant: tenant.into(),
                email: Some(parkportal_domain::EmailAddress::parse(email).unwrap()),
                ..Default::default()
            })
            .await
            .unwrap()
    }

    /// An application for `slug`'s visitor scheme from `email`, stored as the loket stores one
    /// (for tests of what staff see; the loket's own tests apply through the form): its id.
    pub async fn application(&self, slug: &str, email: &str) -> i64 {
        use parkportal_domain::loket::{ApplicationRepository, NewApplication, Stored};
        let tenant = self.tenant(slug).await;
        let email = parkportal_domain::EmailAddress::parse(email).unwrap();
        let token = parkportal_domain::Token::generate().unwrap();
        let reference = parkportal_domain::loket::application::new_reference().unwrap();
        let new = NewApplication {
            tenant: tenant.id,
            product_type: parkportal_domain::Code::parse("bezoekers").unwrap(),
            reference,
            applicant: parkportal_domain::Recipient::parse(&parkportal_domain::RecipientInput {
                name: "J. de Vries",
                street: "Kerkstraat",
                house_number: "12 A",
                postcode: "1234 AB",
                city: "Dijkstad",
            })
            .unwrap(),
            email: email.clone(),
            language: parkportal_domain::Language::Nl,
            plates: Vec::new(),
            remark: None,
            account: None,
            token_hash: token.hash(),
            at: parkportal_domain::Clock::now(self.clock.as_ref()),
            rule_outcome: "review",
            rejection: None,
            audit: None,
        };
        let mail = parkportal_domain::mail::OutgoingMail {
            to: email,
            subject: "test".into(),
            text: String::new(),
            html: String::new(),
            tenant: Some(tenant.id),
            plates: Vec::new(),
        };
        let repo = parkportal_store::SeaApplicationRepository::new(
            self.app.as_ref().unwrap().database().clone(),
        );
        match repo.create(&new, &mail).await.unwrap() {
            Stored::Created(id) => id.0,
            Stored::ReferenceTaken => panic!("a reference drawn twice"),
        }
    }

    /// Runs housekeeping once, as every instance does every ten minutes.
    pub async fn housekeep(&self) {
        let app = self.app.as_ref().unwrap();
        app.housekeeping().run_once().await.unwrap();
    }

    /// Stops the application gracefully (the database stays).
    pub async fn stop(&mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await.unwrap();
        }
    }
}

/// The value of cookie `name` that `jar` sends to `url`, if set.
pub(super) fn cookie_in(jar: &reqwest::cookie::Jar, url: &str, name: &str) -> Option<String> {
    use reqwest::cookie::CookieStore;
    let header = jar.cookies(&url.parse().unwrap())?;
    header
        .to_str()
        .unwrap()
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(super) fn client_with(jar: Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `parkportal` binary run in `dir`, with the repository's themes and no `PARKPORTAL__`
/// variables inherited from the environment of the test run.
pub fn parkportal_command(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_parkportal"));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("PARKPORTAL__") {
            cmd.env_remove(key);
        }
    }
    cmd.env("PARKPORTAL__PATHS__THEMES", repo().join("themes"))
        .env("PARKPORTAL__LOG__LEVEL", "warn");
    cmd
}

/// A bearer token of a fresh API login of `email` (password `fietsbel42xy`).
pub async fn api_token(app: &TestApp, email: &str) -> String {
    let (status, login) = call(
        app,
        "POST",
        "/api/v1/auth/login",
        Some(serde_json::json!({"email": email, "password": "fietsbel42xy"})),
        None,
    )
    .await;
    assert_eq!(status, 200, "{login}");
    login["token"].as_str().unwrap().to_owned()
}

/// A response read whole: its status, its content type and its bytes (a PDF, a CSV).
pub async fn bytes_of(resp: reqwest::Response) -> (u16, String, Vec<u8>) {
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, resp.bytes().await.unwrap().to_vec())
}

/// A JSON call; the status and the body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Value>,
    bearer: Option<&str>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), format!("{}{path}", app.url));
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

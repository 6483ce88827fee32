//! Configuration: built-in defaults, then an optional `parkportal.toml`, then environment variables
//! `PARKPORTAL__SECTION__KEY`. An unknown key anywhere is an error that names the key.
//! `parkportal.example.toml` documents every key with its default; a test keeps the two in sync.

use crate::duration::ConfigDuration;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP server.
    pub server: ServerConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// Where data folders live.
    pub paths: PathsConfig,
    /// Logging.
    pub log: LogConfig,
    /// The rule-script sandbox.
    pub rules: RulesConfig,
    /// Logins, sessions and links.
    pub auth: AuthConfig,
    /// The mail server; without a host, mails stay in the outbox.
    pub smtp: SmtpConfig,
    /// The outbox worker.
    pub outbox: OutboxConfig,
    /// iDEAL payments of top-ups.
    pub payments: PaymentsConfig,
    /// Mandates ("Machtigingen").
    pub mandates: MandatesConfig,
    /// Parking sessions and the requests that create things.
    pub parking: ParkingConfig,
    /// The console's logins and enrolment links.
    pub staff: StaffConfig,
    /// The audit trail of the staff side.
    pub audit: AuditConfig,
    /// Allocation letters.
    pub letters: LettersConfig,
    /// Letter batches: the worker that issues them.
    pub batches: BatchesConfig,
    /// The help desk.
    pub desk: crate::desk_config::DeskConfig,
    /// The digitaal loket.
    pub loket: crate::loket_config::LoketConfig,
}

/// `[batches]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchesConfig {
    /// Whether this instance works on letter batches (any instance may; each batch is taken by
    /// one at a time).
    pub worker: bool,
    /// How often the worker looks for a batch to work on.
    pub poll_interval: ConfigDuration,
    /// How long an instance holds a batch without a sign of life; after that another resumes
    /// it where it stopped.
    pub lease: ConfigDuration,
    /// Rows issued at once; 0: one per core of the machine.
    pub parallel: usize,
}

impl Default for BatchesConfig {
    fn default() -> Self {
        Self {
            worker: true,
            poll_interval: ConfigDuration::seconds(2),
            lease: ConfigDuration::seconds(60),
            parallel: 0,
        }
    }
}

impl BatchesConfig {
    /// Rows issued at once on this machine.
    pub fn parallel(&self) -> usize {
        match self.parallel {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            n => n,
        }
    }
}

/// `[letters]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LettersConfig {
    /// How long an allocation letter's PDF (with its PIN) is kept for reprinting before
    /// housekeeping deletes it; a later reprint needs a new PIN.
    pub keep: ConfigDuration,
}

impl Default for LettersConfig {
    fn default() -> Self {
        Self {
            keep: ConfigDuration::seconds(7 * 86_400),
        }
    }
}

/// `[staff]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffConfig {
    /// A console session without activity for this long ends.
    pub idle_timeout: ConfigDuration,
    /// The longest a console login lasts, however active.
    pub max_session: ConfigDuration,
    /// How long an enrolment link (a new account's, or after a reset) works.
    pub enrolment_link: ConfigDuration,
    /// Host names that serve only the console: every path outside `/beheer` (and the files and
    /// health checks) leads there, and no gemeente's portal is served on them.
    pub hosts: Vec<String>,
}

impl Default for StaffConfig {
    fn default() -> Self {
        Self {
            idle_timeout: ConfigDuration::seconds(15 * 60),
            max_session: ConfigDuration::seconds(10 * 3600),
            enrolment_link: ConfigDuration::seconds(24 * 3600),
            hosts: Vec::new(),
        }
    }
}

/// `[audit]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// How long entries of the audit trail are kept before housekeeping removes them.
    pub retention: ConfigDuration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention: ConfigDuration::seconds(730 * 86_400),
        }
    }
}

/// `[parking]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParkingConfig {
    /// A typed start that has passed by less than this when the resident confirms is moved to
    /// the moment of confirming (and the resident told); one further back is refused.
    pub start_grace: ConfigDuration,
    /// How long the API remembers an `Idempotency-Key` (and a confirm form its one-time token)
    /// with the answer it got.
    pub idempotency_keys: ConfigDuration,
}

impl Default for ParkingConfig {
    fn default() -> Self {
        Self {
            start_grace: ConfigDuration::seconds(300),
            idempotency_keys: ConfigDuration::seconds(24 * 3600),
        }
    }
}

/// `[mandates]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MandatesConfig {
    /// How many mandates an owner may give in 24 hours (each sends a mail to an address of the
    /// owner's choosing).
    pub invitations_per_day: u32,
}

impl Default for MandatesConfig {
    fn default() -> Self {
        Self {
            invitations_per_day: 10,
        }
    }
}

/// Which payment provider takes iDEAL payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderChoice {
    /// The built-in simulated checkout (no real money; the default).
    Simulated,
    /// Mollie's payments API.
    Mollie,
}

/// `[payments]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// simulated or mollie.
    pub provider: ProviderChoice,
    /// An open payment counts against the top-up cap this long, then expires by the clock.
    pub expiry: ConfigDuration,
    /// Mollie's API.
    pub mollie: MollieConfig,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        Self {
            provider: ProviderChoice::Simulated,
            expiry: ConfigDuration::seconds(15 * 60),
            mollie: MollieConfig::default(),
        }
    }
}

/// `[payments.mollie]`
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MollieConfig {
    /// The API key (`live_...`, or `test_...` for Mollie's sandbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The API's base URL.
    pub base_url: String,
}

impl Default for MollieConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: "https://api.mollie.com/v2".into(),
        }
    }
}

impl std::fmt::Debug for MollieConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MollieConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// `[auth]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A login session without activity for this long ends.
    pub idle_timeout: ConfigDuration,
    /// How long a coupling link in an e-mail works.
    pub coupling_link: ConfigDuration,
    /// How long a device keeps a login with [Onthoud mij].
    pub remember_me: ConfigDuration,
    /// How long a password-reset link works.
    pub reset_link: ConfigDuration,
    /// argon2id memory in KiB.
    pub hash_memory_kib: u32,
    /// argon2id passes.
    pub hash_iterations: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            idle_timeout: ConfigDuration::seconds(15 * 60),
            coupling_link: ConfigDuration::seconds(7 * 86_400),
            remember_me: ConfigDuration::seconds(30 * 86_400),
            reset_link: ConfigDuration::seconds(3600),
            hash_memory_kib: 19_456,
            hash_iterations: 2,
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a relay on the same host, or tests).
    None,
    /// Upgrade with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// `[smtp]`
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// The mail server; unset, mails stay in the outbox (and a host turns demo mode off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its port.
    pub port: u16,
    /// none, starttls or tls.
    pub tls: SmtpTls,
    /// Login name, if the server wants one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password, if the server wants one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The sender of every mail.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            from: "Parkportal <noreply@parkportal.localhost>".into(),
        }
    }
}

/// `[outbox]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// How often the worker looks for due mails.
    pub poll_interval: ConfigDuration,
    /// How long sent mails stay in the outbox before housekeeping deletes them.
    pub keep_sent: ConfigDuration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            poll_interval: ConfigDuration::seconds(2),
            keep_sent: ConfigDuration::seconds(30 * 86_400),
        }
    }
}

/// `[rules]`: the limits of the rule-script sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Milliseconds one hook call may run before it is stopped (and the action refused).
    pub wall_clock_ms: u64,
    /// Operations one hook call may perform.
    pub max_operations: u64,
}

impl Default for RulesConfig {
    fn default() -> Self {
        let limits = parkportal_rules::engine::Limits::default();
        Self {
            wall_clock_ms: limits.wall_clock.as_millis() as u64,
            max_operations: limits.max_operations,
        }
    }
}

impl RulesConfig {
    /// The engine limits these settings give.
    pub fn limits(&self) -> parkportal_rules::engine::Limits {
        parkportal_rules::engine::Limits {
            wall_clock: std::time::Duration::from_millis(self.wall_clock_ms),
            max_operations: self.max_operations,
            ..parkportal_rules::engine::Limits::default()
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// The address residents reach the platform on; links in e-mails use it, never a request's
    /// Host. Defaults to `http://{host}:{port}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Seconds that running requests get to finish after SIGTERM.
    pub shutdown_timeout_seconds: u64,
    /// The header in which a trusted reverse proxy passes the client's address
    /// (`X-Forwarded-For`); the right-most entry counts. Unset: the peer address counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip_header: Option<String>,
    /// How long the gemeente a host or `/g/{slug}/` selects is reused before it is read again
    /// (what another instance changes shows after this at the latest); "0s" reads every time.
    pub tenant_cache: ConfigDuration,
    /// The largest request body (a form or JSON) in KiB; a larger one is refused with 413
    /// `payload_too_large` before it is read. Uploads set their own limits.
    pub body_limit_kib: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            public_url: None,
            shutdown_timeout_seconds: 30,
            client_ip_header: None,
            tenant_cache: ConfigDuration::seconds(5),
            body_limit_kib: 64,
        }
    }
}

/// `[database]`
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// A `postgres://` (or `sqlite:`) URL. When unset, the embedded SQLite file at `path` is used
    /// and, while it holds no gemeenten, the demo gemeenten are imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The embedded SQLite file.
    pub path: PathBuf,
    /// Connections in the pool.
    pub max_connections: u32,
    /// Seconds a SQLite writer waits for the write lock.
    pub busy_timeout_seconds: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            path: PathBuf::from("data/parkportal.db"),
            max_connections: 10,
            busy_timeout_seconds: 5,
        }
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field(
                "url",
                &self.url.as_deref().map(parkportal_store::redact_url),
            )
            .field("path", &self.path)
            .field("max_connections", &self.max_connections)
            .field("busy_timeout_seconds", &self.busy_timeout_seconds)
            .finish()
    }
}

/// `[paths]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathsConfig {
    /// The folder of gemeente bundles the demo gemeenten are imported from.
    pub tenants: PathBuf,
    /// The folder of themes (templates and static files); `default` must be complete.
    pub themes: PathBuf,
}

impl Default for PathsConfig {
    fn default() -> Self {
        Self {
            tenants: PathBuf::from("tenants"),
            themes: PathBuf::from("themes"),
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter: `info`, `debug`, `parkportal=debug,info`, ...
    pub level: String,
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub(crate) String);

impl Config {
    /// Loads defaults, then `file` (when given, it must exist; else `parkportal.toml` if present),
    /// then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("parkportal.toml").is_file() => {
                figment = figment.merge(Toml::file_exact("parkportal.toml"))
            }
            None => {}
        }
        figment = figment.merge(Env::prefixed("PARKPORTAL__").split("__"));
        let config: Config = figment.extract().map_err(|e| {
            let messages: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            ConfigError(messages.join("; "))
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        parkportal_domain::PublicUrl::parse(&self.public_url())
            .map_err(|e| ConfigError(format!("server.public_url: {e}")))?;
        if self.rules.wall_clock_ms == 0 || self.rules.max_operations == 0 {
            return Err(ConfigError(
                "rules.wall_clock_ms and rules.max_operations must be at least 1".into(),
            ));
        }
        if !(4..=10_240).contains(&self.server.body_limit_kib) {
            // Below 4 KiB the login form would not fit; above 10 MiB one request could hold
            // the memory the limit is there to protect.
            return Err(ConfigError(
                "server.body_limit_kib must be between 4 and 10240".into(),
            ));
        }
        if self.auth.hash_memory_kib < 8 || self.auth.hash_iterations == 0 {
            return Err(ConfigError(
                "auth.hash_memory_kib must be at least 8 and auth.hash_iterations at least 1"
                    .into(),
            ));
        }
        if self.batches.poll_interval.0.is_zero() || self.batches.lease.0.is_zero() {
            return Err(ConfigError(
                "batches.poll_interval and batches.lease must be longer than zero".into(),
            ));
        }
        if self.outbox.poll_interval.0.is_zero() || self.auth.idle_timeout.0.is_zero() {
            return Err(ConfigError(
                "outbox.poll_interval and auth.idle_timeout must be longer than zero".into(),
            ));
        }
        if let Some(host) = &self.smtp.host
            && host.trim().is_empty()
        {
            return Err(ConfigError(
                "smtp.host is empty: leave it out to keep mails in the outbox".into(),
            ));
        }
        if self.payments.provider == ProviderChoice::Mollie
            && self
                .payments
                .mollie
                .api_key
                .as_deref()
                .is_none_or(|k| k.trim().is_empty())
        {
            return Err(ConfigError(
                "payments.provider is mollie: set payments.mollie.api_key".into(),
            ));
        }
        // The API key travels with every request: plain http only to this machine (a test
        // double).
        let base = &self.payments.mollie.base_url;
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|l| base.starts_with(l));
        if parkportal_domain::PublicUrl::parse(base).is_err()
            || !(base.starts_with("https://") || loopback)
        {
            return Err(ConfigError(
                "payments.mollie.base_url must be an https:// URL".into(),
            ));
        }
        if [
            self.staff.idle_timeout,
            self.staff.max_session,
            self.staff.enrolment_link,
            self.audit.retention,
        ]
        .iter()
        .any(|d| d.0.is_zero())
        {
            return Err(ConfigError(
                "staff.idle_timeout, staff.max_session, staff.enrolment_link and audit.retention \
                 must be longer than zero"
                    .into(),
            ));
        }
        self.desk.limits()?;
        self.loket.settings()?;
        if self.payments.expiry.0.is_zero() {
            return Err(ConfigError(
                "payments.expiry must be longer than zero".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError(
                "database.max_connections must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The public URL, explicit or derived from the listen address.
    pub fn public_url(&self) -> String {
        match &self.server.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}:{}", self.server.host, self.server.port),
        }
    }

    /// Whether the embedded SQLite database is used (no `database.url`).
    pub fn is_embedded(&self) -> bool {
        self.database.url.is_none()
    }

    /// The database URL to connect to.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.database.path.display()),
        }
    }

    /// The configuration as TOML with secrets redacted, for `parkportal config`.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = shown
            .database
            .url
            .as_deref()
            .map(parkportal_store::redact_url);
        if shown.smtp.password.is_some() {
            shown.smtp.password = Some("***".into());
        }
        if shown.payments.mollie.api_key.is_some() {
            shown.payments.mollie.api_key = Some("***".into());
        }
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_lists_every_default() {
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/parkportal.example.toml"
        ))
        .unwrap();
        let example: toml::Value = toml::from_str(&example).unwrap();
        let defaults = toml::Value::try_from(Config::default()).unwrap();
        assert_eq!(
            example, defaults,
            "parkportal.example.toml and Config::default() differ"
        );
    }

    #[test]
    fn the_example_file_documents_the_optional_keys() {
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/parkportal.example.toml"
        ))
        .unwrap();
        for key in ["# public_url = ", "# url = ", "# api_key = "] {
            assert!(
                example.contains(key),
                "parkportal.example.toml does not document {key}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let mut config = Config::default();
        config.database.url = Some("postgres://app:hunter2@db/parkportal".into());
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!config.to_redacted_toml().contains("hunter2"));
        config.payments.mollie.api_key = Some("live_hunter3".into());
        assert!(!format!("{config:?}").contains("hunter3"));
        assert!(!config.to_redacted_toml().contains("hunter3"));
    }
}

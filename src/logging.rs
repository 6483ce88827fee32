//! Structured logs through `tracing`: text for people, JSON for collectors. Secrets and plates never
//! reach a log line: the configuration redacts them and the access log shows route patterns, not
//! paths.

use crate::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once, at start-up). `RUST_LOG` overrides `log.level`. The
/// server logs to standard output, where a platform collects it; every other command to standard
/// error, since its standard output is its answer (`rules try --json` is read by programs, and a
/// slow-query warning in it would break them).
pub fn init(config: &LogConfig, serving: bool) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let writer = if serving {
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stdout)
    } else {
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr)
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let _ = match config.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

//! Demo mode: what a bare `serve` gives on a fresh machine, and nothing else.
//!
//! The page `/demo/outbox` shows every mail, links to reset a password included, so it must never
//! exist where real people's mail is queued. Demo mode therefore needs the database itself to say
//! that `serve` created it as the embedded demo (a fact recorded when the demo gemeenten were
//! imported into the empty embedded database by a start without any real part, so it holds on
//! every later start), and each real part turns it off: a `database.url` (PostgreSQL, or any
//! database shared or moved on purpose), an SMTP server, an https public URL, or a real payment
//! provider.

use crate::config::{Config, ProviderChoice};
use parkportal_domain::StoreError;
use parkportal_domain::platform::PlatformFacts;

/// Whether this start runs as the demo, and why not when it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoMode {
    /// The embedded demo database without any real part.
    On,
    /// Not the demo, for this reason (for the start-up log).
    Off(&'static str),
}

/// The first real part `config` has, as the reason why this is not the demo.
pub fn real_part(config: &Config) -> Option<&'static str> {
    if !config.is_embedded() {
        Some("database.url is set: not the embedded demo database")
    } else if config.smtp.host.is_some() {
        Some("smtp.host is set: mail goes to a real mail server")
    } else if config.public_url().starts_with("https://") {
        Some("server.public_url is https: a real deployment")
    } else if config.payments.provider == ProviderChoice::Mollie {
        Some("payments.provider is mollie: real payments")
    } else {
        None
    }
}

impl DemoMode {
    /// Demo mode under `config` on the database `facts` read. The configuration is looked at
    /// first: with a real part the database is not even asked.
    pub async fn decide(config: &Config, facts: &PlatformFacts) -> Result<Self, StoreError> {
        if let Some(why) = real_part(config) {
            return Ok(Self::Off(why));
        }
        Ok(if facts.created_as_demo().await? {
            Self::On
        } else {
            Self::Off("the embedded database was not created as the demo by `serve`")
        })
    }

    /// Whether it is on.
    pub fn is_on(self) -> bool {
        self == Self::On
    }

    /// Says at start-up whether demo mode is on, and why not when it is off.
    pub fn log(self) {
        match self {
            Self::On => tracing::info!(
                "demo mode: the embedded demo database without a real part; mails stay in the \
                 outbox and /demo/outbox shows them"
            ),
            Self::Off(why) => tracing::info!(reason = why, "demo mode is off: no /demo/outbox"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_real_part_turns_the_demo_off() {
        assert_eq!(real_part(&Config::default()), None);
        let real_parts: [fn(&mut Config); 4] = [
            |c| c.database.url = Some("postgres://u:p@localhost/db".into()),
            |c| c.smtp.host = Some("smtp.example.nl".into()),
            |c| c.server.public_url = Some("https://parkeren.example.nl".into()),
            |c| c.payments.provider = ProviderChoice::Mollie,
        ];
        for part in real_parts {
            let mut config = Config::default();
            part(&mut config);
            assert!(real_part(&config).is_some(), "{config:?}");
        }
    }
}

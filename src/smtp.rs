//! The real mail transport: SMTP through lettre, with the settings of `[smtp]`.

use crate::config::{SmtpConfig, SmtpTls};
use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use parkportal_domain::MailTransport;
use parkportal_domain::mail::{QueuedMail, TransportError};
use std::time::Duration;

/// Sends mail over SMTP.
pub struct SmtpTransport {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the sender, for Message-IDs.
    domain: String,
}

impl SmtpTransport {
    /// A transport for `config`; `None` when no host is configured (demo mode).
    pub fn from_config(config: &SmtpConfig) -> Result<Option<Self>, String> {
        let Some(host) = config.host.as_deref() else {
            return Ok(None);
        };
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("smtp.host {host}: {e}"))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("smtp.host {host}: {e}"))?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("smtp.from {:?}: {e}", config.from))?;
        let domain = from.email.domain().to_owned();
        Ok(Some(Self {
            transport: builder.build(),
            from,
            domain,
        }))
    }
}

#[async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, mail: &QueuedMail) -> Result<(), TransportError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| TransportError(format!("recipient: {e}")))?;
        // A Message-ID derived from the outbox row lets receiving servers drop a repeat.
        let message_id = format!(
            "<outbox-{}-{}@{}>",
            mail.id,
            mail.created_at.timestamp(),
            self.domain
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(message_id))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(mail.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(mail.html.clone()),
                    ),
            )
            .map_err(|e| TransportError(format!("building the message: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| TransportError(e.to_string()))
    }
}

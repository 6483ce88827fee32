//! Mails in words: the [`MailComposer`] that renders a message with the theme's minijinja
//! templates (`mail/<kind>.txt` and `mail/<kind>.html`) in the recipient's language.

use crate::dates::local_date_time;
use crate::i18n::Catalogues;
use crate::templates::Templates;
use minijinja::context;
use parkportal_domain::mail::{ComposeError, MailBrand, MailMessage, OutgoingMail};
use parkportal_domain::{EmailAddress, Language, MailComposer, ThemeName};
use std::sync::Arc;

/// Composes mails from the default theme's mail templates.
#[derive(Clone)]
pub struct TemplateMailComposer {
    templates: Arc<Templates>,
    catalogues: Catalogues,
}

impl TemplateMailComposer {
    /// A composer on the loaded templates and catalogues.
    pub fn new(templates: Arc<Templates>, catalogues: Catalogues) -> Self {
        Self {
            templates,
            catalogues,
        }
    }
}

impl MailComposer for TemplateMailComposer {
    fn compose(
        &self,
        to: &EmailAddress,
        language: Language,
        brand: Option<&MailBrand>,
        message: &MailMessage,
    ) -> Result<OutgoingMail, ComposeError> {
        let tz = brand.map_or(chrono_tz::Europe::Amsterdam, |b| b.time_zone);
        let (kind, values) = match message {
            MailMessage::Coupling {
                product,
                zone,
                link,
                expires_at,
                plate_switch,
            } => (
                "coupling",
                context! {
                    product => product,
                    zone => zone,
                    link => link,
                    plate_switch => plate_switch,
                    expires => local_date_time(*expires_at, tz, language),
                },
            ),
            MailMessage::Mandate {
                owner,
                product,
                zone,
                plate,
                amount,
                link,
                expires_at,
            } => (
                "mandate",
                context! {
                    owner => owner,
                    product => product,
                    zone => zone,
                    plate => plate.as_ref().map(|p| p.display()),
                    amount => amount.map(|(unit, a)| crate::format::amount(unit, a, language)),
                    link => link,
                    expires => local_date_time(*expires_at, tz, language),
                },
            ),
            MailMessage::StaffEnrolment {
                name,
                link,
                expires_at,
            } => (
                "staff_enrolment",
                context! {
                    name => name,
                    link => link,
                    expires => local_date_time(*expires_at, tz, language),
                },
            ),
            MailMessage::ApplicationReceived {
                reference,
                product,
                link,
            } => (
                "application_received",
                context! { reference => reference, product => product, link => link },
            ),
            MailMessage::ApplicationRejected {
                reference,
                product,
                reason,
                link,
            } => (
                "application_rejected",
                context! { reference => reference, product => product, reason => reason, link => link },
            ),
            MailMessage::ApplicationQuestion {
                reference,
                product,
                question,
                link,
            } => (
                "application_question",
                context! { reference => reference, product => product, question => question, link => link },
            ),
            MailMessage::ApplicationGranted {
                reference,
                product,
                link,
            } => (
                "application_granted",
                context! { reference => reference, product => product, link => link },
            ),
            MailMessage::PasswordReset { link, expires_at } => (
                "password_reset",
                context! {
                    link => link,
                    expires => local_date_time(*expires_at, tz, language),
                },
            ),
        };
        let brand_name = brand.map(|b| b.name.clone());
        let ctx = context! {
            lang => language.code(),
            to => to.as_str(),
            brand_name => brand_name.clone(),
            logo_url => brand.map(|b| b.logo_url.clone()),
            ..values
        };
        let theme = ThemeName::parse("default").map_err(|e| ComposeError(e.to_string()))?;
        let render = |name: String| {
            self.templates
                .render(&theme, &name, ctx.clone())
                .map_err(|e| ComposeError(format!("{name}: {e:#}")))
        };
        let text = render(format!("mail/{kind}.txt"))?;
        let html = render(format!("mail/{kind}.html"))?;
        let name =
            brand_name.unwrap_or_else(|| self.catalogues.text(language, "platform.name", &[]));
        let subject =
            self.catalogues
                .text(language, &format!("mail.{kind}.subject"), &[("name", name)]);
        Ok(OutgoingMail {
            to: to.clone(),
            subject,
            text,
            html,
            tenant: brand.map(|b| b.tenant),
            // The plates it names, for the privacy job.
            plates: match message {
                MailMessage::Mandate { plate: Some(p), .. } => vec![p.clone()],
                _ => Vec::new(),
            },
        })
    }
}

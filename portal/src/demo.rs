//! `/demo/outbox`: in demo mode (the embedded demo database without a real part) the mails the
//! portal would have sent, so that a coupling link can be followed without a mail server. Absent
//! (404) everywhere else: the page shows every mail, password-reset links included.

use crate::page::PageContext;
use minijinja::context;
use parkportal_domain::MailId;
use parkportal_web::AppError;
use parkportal_web::dates::local_date_time;
use poem::handler;
use poem::web::{Html, Path};

/// Mails shown on the list.
const LIST_LIMIT: u64 = 100;

/// `GET /demo/outbox`: the newest mails.
#[handler]
pub async fn outbox(page: PageContext) -> Result<Html<String>, AppError> {
    let repo = page.state.demo_outbox().ok_or(AppError::NotFound)?;
    let tz = chrono_tz::Europe::Amsterdam;
    let mails: Vec<_> = repo
        .list(LIST_LIMIT)
        .await?
        .into_iter()
        .map(|m| {
            context! {
                id => m.id.0,
                to => m.to,
                subject => m.subject,
                created => local_date_time(m.created_at, tz, page.prefs.language),
            }
        })
        .collect();
    page.render("demo_outbox.html", context! { mails => mails })
}

/// `GET /demo/outbox/{id}`: one mail, its text with the links it holds.
#[handler]
pub async fn mail(page: PageContext, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    let repo = page.state.demo_outbox().ok_or(AppError::NotFound)?;
    let mail = repo.get(MailId(id)).await?.ok_or(AppError::NotFound)?;
    let links: Vec<String> = mail
        .text
        .split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(str::to_owned)
        .collect();
    page.render(
        "demo_mail.html",
        context! {
            to => mail.to.clone(),
            subject => mail.subject.clone(),
            created => local_date_time(mail.created_at, chrono_tz::Europe::Amsterdam, page.prefs.language),
            text => mail.text.clone(),
            links => links,
        },
    )
}

//! Saying what happened after a form: the handler that did it sets a short-lived cookie with the
//! message on its redirect, the page that follows shows it once (the frame's `flash`) and
//! [`consume`] removes it with that page. A cookie rather than a query parameter, so that a link
//! from someone else can never make the portal say a payment or a refund happened; the text is
//! made by the server and drawn escaped, so at most the visitor's own browser could change it.

use crate::cookies;
use crate::page::urlencode;
use minijinja::{Value, context};
use poem::http::header;
use poem::{Endpoint, IntoResponse, Request, Response};

/// The cookie's name (`__Host-` over HTTPS, see [`cookies::host_only`]).
const NAME: &str = "pp_melding";
/// How long an unread message waits, in seconds: the redirect is followed at once.
const MAX_AGE: i64 = 120;
/// The longest title or detail read back; longer is no message of ours.
const MAX_TEXT: usize = 600;

/// The alert kind of a message (the NL Design System's kinds a confirmation can have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    /// It happened as asked.
    Ok,
    /// It happened, with something to know (the start had passed, so it started now).
    Info,
}

impl FlashKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Info => "info",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(Self::Ok),
            "info" => Some(Self::Info),
            _ => None,
        }
    }
}

/// One message: a title saying what happened and, if need be, a line with the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// Its kind.
    pub kind: FlashKind,
    /// What happened ("Parkeeractie gestart").
    pub title: String,
    /// The details (plate, times, cost, refund), if any.
    pub detail: Option<String>,
}

impl Flash {
    /// A success message.
    pub fn ok(title: String, detail: Option<String>) -> Self {
        Self {
            kind: FlashKind::Ok,
            title,
            detail,
        }
    }

    /// The message's cookie value: kind, title and detail, each percent-encoded and separated
    /// by `!` (which the encoding never leaves bare).
    fn encode(&self) -> String {
        let detail = self.detail.as_deref().map(urlencode).unwrap_or_default();
        format!("{}!{}!{detail}", self.kind.as_str(), urlencode(&self.title))
    }

    fn decode(value: &str) -> Option<Self> {
        let mut parts = value.splitn(3, '!');
        let kind = FlashKind::parse(parts.next()?)?;
        let title = percent_decode(parts.next()?).filter(|t| !t.is_empty())?;
        let detail = percent_decode(parts.next()?)?;
        Some(Self {
            kind,
            title,
            detail: (!detail.is_empty()).then_some(detail),
        })
    }

    /// The frame's `flash`: `kind`, `title`, `detail`.
    pub fn values(&self) -> Value {
        context! { kind => self.kind.as_str(), title => self.title.clone(), detail => self.detail.clone() }
    }

    /// Puts the message on `resp` (a redirect) for the page that follows.
    pub fn attach(&self, resp: &mut Response, secure: bool) {
        let cookie = cookies::login_cookie(NAME, &self.encode(), Some(MAX_AGE), secure);
        cookies::append_cookie(resp, &cookie);
    }
}

/// The message waiting for `req`'s page, if any (one that cannot be read is none).
pub fn waiting(req: &Request, secure: bool) -> Option<Flash> {
    cookies::get_login(req, NAME, secure).and_then(|v| Flash::decode(&v))
}

/// Around a front end's routes: a page (a successful HTML answer) shown while a message waits
/// has shown it, so the message goes with it; a redirect or an error leaves it for the page
/// that comes after.
pub async fn consume<E: Endpoint>(next: E, req: Request, secure: bool) -> poem::Result<Response> {
    let waited = cookies::get_login(&req, NAME, secure).is_some();
    let mut resp = next.call(req).await?.into_response();
    let shown = resp.status().is_success()
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
    if waited && shown {
        cookies::append_cookie(&mut resp, &cookies::clear_login(NAME, secure));
        // Said once: the back button must not bring the message (a plate, an address) back.
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            poem::http::HeaderValue::from_static("no-store"),
        );
    }
    Ok(resp)
}

/// `%XX` sequences back to bytes, read as UTF-8; `None` for anything malformed or too long.
fn percent_decode(s: &str) -> Option<String> {
    if s.len() > MAX_TEXT * 3 {
        return None;
    }
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = tail.get(..2)?;
            let hex = std::str::from_utf8(hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes)
        .ok()
        .filter(|t| t.chars().count() <= MAX_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_comes_back_as_it_was_set() {
        let flash = Flash::ok(
            "Parkeeractie gestart".into(),
            Some("12-ABC-3, 09:00 tot 11:00! Kosten: € 1,20; 100% zeker".into()),
        );
        let value = flash.encode();
        assert!(
            !value.contains([' ', ';', ',', '"', '\\']),
            "a cookie value: {value}"
        );
        assert_eq!(Flash::decode(&value), Some(flash));
        let bare = Flash::ok("Opgeslagen".into(), None);
        assert_eq!(Flash::decode(&bare.encode()), Some(bare));
    }

    #[test]
    fn what_is_not_a_message_of_ours_is_none() {
        for value in [
            "",
            "ok",
            "ok!!",
            "alert!Hallo!",
            "ok!%ZZ!",
            "ok!%C3!",
            "ok!abc%4!",
        ] {
            assert_eq!(Flash::decode(value), None, "{value}");
        }
        let long = format!("ok!{}!", "a".repeat(MAX_TEXT + 1));
        assert_eq!(Flash::decode(&long), None);
    }
}

//! What a handler may read of a request: a body of at most the configured size, refused with 413
//! `payload_too_large` before more of it is read, and form fields and query values that are valid
//! UTF-8 once percent-decoded, refused with 400 rather than stored with replacement characters.
//!
//! The body is read here, within the limit, and handed on as bytes, so that no extractor behind
//! this layer (a form, JSON, the idempotency layer) can read more than the limit allows.

use crate::error::AppError;
use crate::state::WebState;
use poem::http::{Method, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tokio::io::AsyncReadExt;

/// The middleware that limits bodies (to [`crate::WebSettings::body_limit`]) and refuses lossy
/// forms and queries. A front end puts it on each route, inside the layer that answers the
/// route's errors in its kind.
pub struct InputGuard;

impl<E: Endpoint> Middleware<E> for InputGuard {
    type Output = InputGuardEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        InputGuardEndpoint { ep }
    }
}

/// A body limit of one route other than the configured one (an upload), put on the request
/// outside [`InputGuard`], which then reads at most this many bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint { ep, limit: *self }
    }
}

/// The endpoint [`BodyLimit`] wraps around a route.
pub struct BodyLimitEndpoint<E> {
    ep: E,
    limit: BodyLimit,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        req.set_data(self.limit);
        self.ep.call(req).await
    }
}

/// The endpoint [`InputGuard`] wraps around a route.
pub struct InputGuardEndpoint<E> {
    ep: E,
}

/// A form or query that does not decode to text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a form field or query value is not valid UTF-8 once percent-decoded")]
pub struct NotText;

/// The pairs of an `application/x-www-form-urlencoded` body or a query string, decoded strictly:
/// `+` is a space, `%XX` a byte, and the bytes of every name and value must be UTF-8.
pub fn form_pairs(input: &[u8]) -> Result<Vec<(String, String)>, NotText> {
    input
        .split(|b| *b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = match part.iter().position(|b| *b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &b""[..]),
            };
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

/// One name or value of a form or query, decoded strictly (see [`form_pairs`]).
pub fn decode_component(input: &[u8]) -> Result<String, NotText> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let escaped = match input.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, input[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            // A `%` without two hex digits stays itself, as browsers and other decoders keep it.
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| NotText)
}

/// Whether the request carries a body worth reading: an announced length above zero, a chunked
/// body, or a method that may have one.
fn has_body(req: &Request) -> bool {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        Some(n) => n > 0,
        None => {
            req.headers().contains_key(header::TRANSFER_ENCODING)
                || !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        }
    }
}

/// Whether the request says its body is an HTML form.
pub fn is_form(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The body, read to at most `limit` bytes.
async fn read(req: &mut Request, limit: usize) -> Result<Vec<u8>, AppError> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // An announced size over the limit is refused before a byte of the body is read.
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut buf = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    let allowed = limit as u64 + 1;
    req.take_body()
        .into_async_read()
        .take(allowed)
        .read_to_end(&mut buf)
        .await
        // A body that breaks off or does not decompress is no request to act on.
        .map_err(|_| AppError::BadRequest)?;
    if buf.len() > limit {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(buf)
}

impl<E: Endpoint> Endpoint for InputGuardEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if let Some(query) = req.uri().query()
            && form_pairs(query.as_bytes()).is_err()
        {
            return Err(AppError::BadRequest.into());
        }
        if has_body(&req) {
            let limit = match req.data::<BodyLimit>() {
                Some(own) => own.0,
                None => req
                    .data::<WebState>()
                    .map_or(0, |web| web.settings().body_limit),
            };
            let body = read(&mut req, limit).await?;
            if is_form(&req) && form_pairs(&body).is_err() {
                return Err(AppError::BadRequest.into());
            }
            req.set_body(Body::from(body));
        }
        Ok(self.ep.call(req).await?.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_strictly() {
        let pairs = form_pairs(b"a=1&b=x+y%21&&c&d=%E2%82%AC&e=100%").unwrap();
        let expected = [
            ("a", "1"),
            ("b", "x y!"),
            ("c", ""),
            ("d", "€"),
            ("e", "100%"),
        ];
        assert_eq!(pairs.len(), expected.len());
        for ((name, value), (n, v)) in pairs.iter().zip(expected) {
            assert_eq!((name.as_str(), value.as_str()), (n, v));
        }
        assert_eq!(form_pairs(b"naam=%FF"), Err(NotText));
        assert_eq!(form_pairs(b"%C3=x"), Err(NotText));
        assert_eq!(
            form_pairs(br"a=\xff"),
            Ok(vec![("a".into(), r"\xff".into())])
        );
        assert_eq!(form_pairs(&[b'a', b'=', 0xC3]), Err(NotText));
    }
}

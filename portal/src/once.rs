//! Requests that create something, made once however often they arrive: the API's
//! `Idempotency-Key` header on a POST, and the one-time token of a confirm form.

use crate::page::PageContext;
use crate::state::Portal;
use parkportal_domain::idempotency::{Begin, Fingerprint, IdempotencyKey, StoredAnswer};
use parkportal_domain::{AccountId, StoreError};
use parkportal_web::{ApiFailure, ErrorCode};
use poem::http::{Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, PathPattern, Request, Response};
use std::sync::Arc;

/// The header of the API.
pub(crate) const HEADER: &str = "Idempotency-Key";
/// How long a repeat waits for the first request with its key before it is told the key is in
/// use. The first request holds its product's lock for milliseconds; this is generous.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// How often a waiting repeat looks again.
const POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// [`parkportal_domain::idempotency::Idempotency::begin`], waiting while the first request with
/// the key still runs (at most [`WAIT`]).
pub(crate) async fn begin(
    state: &Portal,
    account: AccountId,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
) -> Result<Begin, StoreError> {
    let since = std::time::Instant::now();
    loop {
        match state.idempotency().begin(account, key, fingerprint).await? {
            Begin::InUse if since.elapsed() < WAIT => tokio::time::sleep(POLL).await,
            other => return Ok(other),
        }
    }
}

/// Whether an answer is final and so given again to a repeat: a server failure or a throttle
/// is not (the repeat may try again).
fn kept(status: StatusCode) -> bool {
    !status.is_server_error() && status != StatusCode::TOO_MANY_REQUESTS
}

/// A refusal of the API as the site layer would write it (the JSON error body).
pub(crate) fn refusal(page: &PageContext, status: StatusCode, code: ErrorCode) -> Response {
    let failure = ApiFailure::new(status, code, page.t(code.message_key()));
    poem::web::Json(failure.body(&page.request_id))
        .with_status(status)
        .into_response()
}

/// Around the API: a POST by a resident with an `Idempotency-Key` is made once. A repeat with
/// the same key, path and body gets the first answer again (status and body); one while the
/// first still runs waits for it, or gets 409 `idempotency_key_in_use`; the same key with another
/// path or body gets 422 `idempotency_key_reused`; a malformed key 400
/// `idempotency_key_invalid`. Server failures are not kept: a repeat tries again.
pub(crate) async fn api<E: Endpoint + 'static>(
    next: Arc<E>,
    mut req: Request,
) -> poem::Result<Response> {
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let Ok(page) = PageContext::of(&req) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let state = page.state.clone();
    // Keys are per account; without a resident's token the endpoint answers for itself (401).
    let Some(account) = page.account.as_ref().filter(|_| page.bearer).map(|a| a.id) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let Some(key) = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(IdempotencyKey::parse)
    else {
        return Ok(refusal(
            &page,
            StatusCode::BAD_REQUEST,
            ErrorCode::IdempotencyKeyInvalid,
        ));
    };
    let body = req.take_body().into_bytes().await?;
    let path = req.uri().path_and_query().map_or("", |p| p.as_str());
    let fingerprint = Fingerprint::of(&[path.as_bytes(), &body]);
    req.set_body(Body::from(body));
    match begin(&state, account, &key, &fingerprint)
        .await
        .map_err(parkportal_web::AppError::internal)?
    {
        Begin::Proceed => {}
        Begin::Replay(answer) => return Ok(replay(answer)),
        Begin::InUse => {
            return Ok(refusal(
                &page,
                StatusCode::CONFLICT,
                ErrorCode::IdempotencyKeyInUse,
            ));
        }
        Begin::Reused => {
            return Ok(refusal(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
            ));
        }
    }
    // Run to its end in a task of its own: a client that hangs up must not cancel the request
    // between its write and keeping the answer, which would leave the key without one.
    let request_id = page.request_id.clone();
    let run = tokio::spawn({
        let (state, key) = (state.clone(), key.clone());
        async move { answer_once(next, req, &state, &request_id, account, &key).await }
    });
    match run.await {
        Ok(answered) => answered,
        Err(panicked) => {
            release(&state, account, &key).await;
            Err(parkportal_web::AppError::internal(panicked).into())
        }
    }
}

/// Calls the endpoint for the request that claimed `key` and keeps its answer, or releases the
/// key when the answer is not final.
async fn answer_once<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    state: &Portal,
    request_id: &str,
    account: AccountId,
    key: &IdempotencyKey,
) -> poem::Result<Response> {
    let answered = next.call(req).await.map(IntoResponse::into_response);
    let mut resp = match answered {
        Ok(resp) => resp,
        Err(err) => match err.downcast_ref::<ApiFailure>() {
            // The body the site layer would make of it, so that it can be kept.
            Some(failure) if kept(failure.status) => {
                let mut resp = poem::web::Json(failure.body(request_id))
                    .with_status(failure.status)
                    .into_response();
                if let Some(pattern) = err.data::<PathPattern>() {
                    resp.set_data(pattern.clone());
                }
                resp
            }
            _ => {
                release(state, account, key).await;
                return Err(err);
            }
        },
    };
    if !kept(resp.status()) {
        release(state, account, key).await;
        return Ok(resp);
    }
    let status = resp.status();
    let content_type = resp.content_type().map(str::to_owned);
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.take_body().into_bytes().await?;
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => {
            let answer = StoredAnswer {
                status: status.as_u16(),
                content_type,
                location,
                body: text,
            };
            if let Err(e) = state.idempotency().complete(account, key, &answer).await {
                // The work is done; only its repeat would not find the answer (until the claim
                // counts as abandoned and a repeat runs anew).
                tracing::error!(error = %e, "an idempotency key's answer was not kept");
            }
        }
        Err(_) => release(state, account, key).await,
    }
    resp.set_body(bytes);
    Ok(resp)
}

pub(crate) async fn release(state: &Portal, account: AccountId, key: &IdempotencyKey) {
    if let Err(e) = state.idempotency().release(account, key).await {
        tracing::error!(error = %e, "an idempotency key was not released");
    }
}

/// The first request's answer, again.
pub(crate) fn replay(answer: StoredAnswer) -> Response {
    let mut builder =
        Response::builder().status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK));
    if let Some(content_type) = &answer.content_type {
        builder = builder.content_type(content_type);
    }
    if let Some(location) = &answer.location {
        builder = builder.header(header::LOCATION, location);
    }
    builder
        .header("Idempotent-Replayed", "true")
        .body(answer.body)
}

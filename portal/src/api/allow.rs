//! The `Allow` header of a 405 of the resident API, from its own OpenAPI document (see
//! [`AllowedMethods`]).

use crate::page::PageContext;
use parkportal_web::ErrorCode;
pub(crate) use parkportal_web::allow::AllowedMethods;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response};
use std::sync::Arc;

/// Around the API: a 405 gets its JSON error body and the `Allow` header.
pub(crate) async fn answer<E: Endpoint + 'static>(
    allowed: Arc<AllowedMethods>,
    next: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let page = PageContext::of(&req).ok();
    let err = match next.call(req).await {
        Ok(resp) => return Ok(resp.into_response()),
        Err(err) if err.status() == StatusCode::METHOD_NOT_ALLOWED => err,
        Err(err) => return Err(err),
    };
    let (Some(page), Some(methods)) = (page, allowed.of(path.trim_start_matches("/api"))) else {
        return Err(err);
    };
    let mut resp = crate::once::refusal(
        &page,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
    );
    if let Ok(value) = HeaderValue::from_str(methods) {
        resp.headers_mut().insert(header::ALLOW, value);
    }
    if let Some(pattern) = err.data::<PathPattern>() {
        resp.set_data(pattern.clone());
    }
    Ok(resp)
}

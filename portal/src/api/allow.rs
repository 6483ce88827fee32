//! The `Allow` header of a 405: the methods a path of the API takes, read once from its own
//! OpenAPI document, so that the header and the document cannot disagree.

use crate::page::PageContext;
use parkportal_web::ErrorCode;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response};
use std::sync::Arc;

/// The methods of each path of the API.
pub(crate) struct AllowedMethods {
    paths: Vec<(Vec<String>, String)>,
}

impl AllowedMethods {
    /// The table of the OpenAPI document `spec` (JSON).
    pub(crate) fn of_spec(spec: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let paths = spec["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let segments = path.split('/').map(str::to_owned).collect();
                        let mut methods: Vec<String> = item
                            .as_object()
                            .map(|m| m.keys().map(|k| k.to_ascii_uppercase()).collect())
                            .unwrap_or_default();
                        methods.sort();
                        (segments, methods.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { paths }
    }

    /// The methods `path` (below `/api`) takes, when it is a path of the API.
    pub(crate) fn of(&self, path: &str) -> Option<&str> {
        let asked: Vec<&str> = path.split('/').collect();
        self.paths
            .iter()
            .find(|(segments, _)| {
                segments.len() == asked.len()
                    && segments
                        .iter()
                        .zip(&asked)
                        .all(|(s, a)| (s.starts_with('{') && !a.is_empty()) || s == a)
            })
            .map(|(_, methods)| methods.as_str())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_gets_the_methods_of_its_template() {
        let table = AllowedMethods::of_spec(
            r#"{"paths": {"/v1/sessions/{id}": {"patch": {}, "delete": {}},
                          "/v1/sessions": {"get": {}}}}"#,
        );
        assert_eq!(table.of("/v1/sessions/12"), Some("DELETE, PATCH"));
        assert_eq!(table.of("/v1/sessions"), Some("GET"));
        assert_eq!(table.of("/v1/sessions/"), None);
        assert_eq!(table.of("/v2/else"), None);
    }
}

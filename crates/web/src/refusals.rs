//! What an operation answers when it does not succeed, declared so that the OpenAPI document
//! lists every status it can give, with the error body and the codes each status can carry.
//!
//! Each operation returns `Result<Success, Failure<Its>>`, where `Its` is declared with
//! [`declare!`]: the statuses and codes of its own refusals, and flags for what every such
//! operation can meet (`bearer`: 401 without a valid token; `body`: 415 not JSON; `once`: the
//! `Idempotency-Key` refusals of a POST; `bearer` means the API's own credential, a resident's
//! token or a gemeente's API key). 400 `bad_request`, 413 `payload_too_large` (any request
//! may carry a body) and 500 `internal_error` are declared for every operation. A refusal of a status or code its operation does not declare is a
//! programming error: debug builds (and so the tests) panic on it.

use crate::{ApiFailure, ErrorCode};

use poem_openapi::ApiResponse;
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock};

/// The refusals of one operation.
pub trait Declared: Send + Sync + 'static {
    /// The operation's own refusals: statuses with the codes each can carry.
    const OWN: &'static [(u16, &'static [ErrorCode])];
    /// Whether it needs the bearer token (401 `unauthorized`).
    const BEARER: bool;
    /// Whether it reads a body (415 `unsupported_media_type`).
    const BODY: bool;
    /// Whether it is a POST that honours `Idempotency-Key`.
    const ONCE: bool;

    /// Every status with its codes, the common ones included, by status.
    fn table() -> BTreeMap<u16, Vec<ErrorCode>> {
        let mut table: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
        let mut add = |status: u16, code: ErrorCode| {
            let codes = table.entry(status).or_default();
            if !codes.contains(&code) {
                codes.push(code);
            }
        };
        add(400, ErrorCode::BadRequest);
        if Self::BEARER {
            add(401, ErrorCode::Unauthorized);
        }
        // Any request may come with a body, and one over the limit is refused before routing.
        add(413, ErrorCode::PayloadTooLarge);
        if Self::BODY {
            add(415, ErrorCode::UnsupportedMediaType);
        }
        if Self::ONCE {
            add(400, ErrorCode::IdempotencyKeyInvalid);
            add(409, ErrorCode::IdempotencyKeyInUse);
            add(422, ErrorCode::IdempotencyKeyReused);
        }
        for (status, codes) in Self::OWN {
            for code in *codes {
                add(*status, *code);
            }
        }
        add(500, ErrorCode::InternalError);
        table
    }
}

/// Declares the refusals of an operation:
/// `declare_refusals!(StartRefusals [bearer, body, once] { 404 => [NotFound], 422 => [PlateInvalid] });`
#[macro_export]
macro_rules! declare_refusals {
    ($name:ident [$($flag:ident),*] { $($status:literal => [$($code:ident),* $(,)?]),* $(,)? }) => {
        /// The refusals of one operation (see `parkportal_web::refusals`).
        pub(crate) struct $name;

        impl $crate::refusals::Declared for $name {
            const OWN: &'static [(u16, &'static [$crate::ErrorCode])] =
                &[$(($status, &[$($crate::ErrorCode::$code),*]),)*];
            const BEARER: bool = $crate::declare_refusals!(@has bearer $($flag)*);
            const BODY: bool = $crate::declare_refusals!(@has body $($flag)*);
            const ONCE: bool = $crate::declare_refusals!(@has once $($flag)*);
        }
    };
    (@has $want:ident) => { false };
    (@has bearer bearer $($rest:ident)*) => { true };
    (@has body body $($rest:ident)*) => { true };
    (@has once once $($rest:ident)*) => { true };
    (@has $want:ident $other:ident $($rest:ident)*) => { $crate::declare_refusals!(@has $want $($rest)*) };
}

/// The error of an operation that declared its refusals as `D`: a refusal with its code (an
/// [`ApiFailure`]), or an internal failure, which the site layer logs and answers with 500.
pub struct Failure<D: Declared> {
    error: poem::Error,
    declared: PhantomData<D>,
}

impl<D: Declared> std::fmt::Debug for Failure<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl<D: Declared> From<poem::Error> for Failure<D> {
    fn from(error: poem::Error) -> Self {
        if let Some(failure) = error.downcast_ref::<ApiFailure>() {
            debug_assert!(
                D::table()
                    .get(&failure.status.as_u16())
                    .is_some_and(|codes| codes.contains(&failure.code)),
                "{} {} is not declared for its operation",
                failure.status,
                failure.code.as_str()
            );
        }
        Self {
            error,
            declared: PhantomData,
        }
    }
}

impl<D: Declared> From<ApiFailure> for Failure<D> {
    fn from(failure: ApiFailure) -> Self {
        poem::Error::from(failure).into()
    }
}

impl<D: Declared> From<crate::AppError> for Failure<D> {
    fn from(error: crate::AppError) -> Self {
        poem::Error::from(error).into()
    }
}

impl<D: Declared> From<Failure<D>> for poem::Error {
    fn from(failure: Failure<D>) -> Self {
        failure.error
    }
}

/// Texts made once per operation and status and kept for the life of the process: the OpenAPI
/// registry takes `&'static str` descriptions.
fn lasting(text: String) -> &'static str {
    static TEXTS: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| Mutex::new(Vec::new()));
    let mut texts = match texts.lock() {
        Ok(t) => t,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(known) = texts.iter().find(|t| **t == text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.into_boxed_str());
    texts.push(leaked);
    leaked
}

/// The error body's schema with `code` limited to `codes`.
fn error_schema(codes: &[ErrorCode]) -> MetaSchemaRef {
    let string = |description: &'static str| {
        let mut s = MetaSchema::new("string");
        s.description = Some(description);
        MetaSchemaRef::Inline(Box::new(s))
    };
    let mut code = MetaSchema::new("string");
    code.description = Some("The stable code of the refusal.");
    code.enum_items = codes.iter().map(|c| c.as_str().into()).collect();
    let mut error = MetaSchema::new("object");
    error.required = vec!["code", "message"];
    error.properties = vec![
        ("code", MetaSchemaRef::Inline(Box::new(code))),
        (
            "message",
            string("What went wrong, in the caller's language."),
        ),
        ("request_id", string("The request's id, for the help desk.")),
    ];
    // Refusals of a session carry `reasons`, `alternatives` and `session_id` as well.
    error.additional_properties = Some(Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema::ANY))));
    let mut body = MetaSchema::new("object");
    body.required = vec!["error"];
    body.properties = vec![("error", MetaSchemaRef::Inline(Box::new(error)))];
    MetaSchemaRef::Inline(Box::new(body))
}

impl<D: Declared> ApiResponse for Failure<D> {
    fn meta() -> MetaResponses {
        let responses = D::table()
            .into_iter()
            .map(|(status, codes)| {
                let names: Vec<String> =
                    codes.iter().map(|c| format!("`{}`", c.as_str())).collect();
                MetaResponse {
                    description: lasting(format!("Refused: {}.", names.join(", "))),
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json",
                        schema: error_schema(&codes),
                    }],
                    headers: Vec::new(),
                }
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(_registry: &mut Registry) {}
}

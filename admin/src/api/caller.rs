//! The caller of an admin API operation, whose key the gate checked: from here the operation
//! audits itself, each refusal with the object it is about.

use super::gate::{Reached, action_of};
use crate::auth::client_of;
use crate::state::Console;
use parkportal_domain::Tenant;
use parkportal_domain::api_keys::{AuthenticatedKey, Scope};
use parkportal_domain::audit::AuditEntry;
use parkportal_web::{ApiFailure, AppError, ErrorCode, Page};
use poem::Request;
use poem::http::StatusCode;

// The refusals of a reading of one object of the key's gemeente (a product, a batch): 404 for
// any other gemeente's, 403 without the scope.
parkportal_web::declare_refusals!(ReadRefusals [bearer] { 403 => [Forbidden], 404 => [NotFound] });

/// What an audit entry is about: its kind (`product`, `batch`) and id.
pub(super) type Object = (&'static str, i64);

/// The caller of an operation: its key, its language and where it calls from.
pub(super) struct Caller {
    pub(super) console: Console,
    pub(super) page: Page,
    pub(super) key: AuthenticatedKey,
    pub(super) origin: String,
    action: &'static str,
}

impl Caller {
    /// The key's gemeente (the use cases name a gemeente by its slug).
    pub(super) async fn tenant(&self) -> poem::Result<Tenant> {
        let tenants = self.console.web().tenants().list().await;
        Ok(tenants
            .map_err(AppError::from)?
            .into_iter()
            .find(|t| t.id == self.key.tenant)
            .ok_or_else(|| AppError::internal("an API key of a gemeente that is not there"))?)
    }

    /// The caller of `req`, whose key the gate checked; from here the operation audits itself.
    pub(super) fn of(req: &Request) -> poem::Result<Self> {
        let console = req
            .data::<Console>()
            .cloned()
            .ok_or_else(|| AppError::internal("no console state"))?;
        let key = req
            .data::<AuthenticatedKey>()
            .cloned()
            .ok_or_else(|| AppError::internal("an admin API call past the gate without a key"))?;
        if let Some(reached) = req.data::<Reached>() {
            reached.mark();
        }
        Ok(Self {
            console,
            page: Page::of(req)?,
            key,
            origin: client_of(req),
            action: action_of(
                req.method(),
                req.uri().path().trim_start_matches("/api/admin"),
            ),
        })
    }

    /// The audit entry of this call, by the key, in its gemeente.
    pub(super) fn entry(&self) -> AuditEntry {
        AuditEntry::new(
            self.key.actor(),
            self.action,
            &self.origin,
            self.console.web().clock().now(),
        )
        .within(Some(self.key.tenant), None)
    }

    /// Records this call refused for `reason`, about `object` (its kind and id) when known.
    pub(super) async fn record_refusal(
        &self,
        object: Option<Object>,
        reason: &str,
    ) -> poem::Result<()> {
        let mut entry = self.entry().refused(reason);
        if let Some((kind, id)) = object {
            entry = entry.about(kind, id);
        }
        self.console.record(&entry).await?;
        Ok(())
    }

    /// A refusal with `code` and its message (or the one at `key`), recorded as `reason`.
    pub(super) async fn refuse(
        &self,
        status: StatusCode,
        code: ErrorCode,
        object: Option<Object>,
    ) -> poem::Result<poem::Error> {
        self.record_refusal(object, code.as_str()).await?;
        Ok(ApiFailure::new(status, code, self.page.t(code.message_key())).into())
    }

    /// 403 when the key lacks `scope`, recorded.
    pub(super) async fn require(&self, scope: Scope, object: Option<Object>) -> poem::Result<()> {
        self.require_any(&[scope], object).await
    }

    /// 403 when the key has none of `scopes` (the first is named), recorded.
    pub(super) async fn require_any(
        &self,
        scopes: &[Scope],
        object: Option<Object>,
    ) -> poem::Result<()> {
        if scopes.iter().any(|s| self.key.allows(*s)) {
            return Ok(());
        }
        let Some(scope) = scopes.first() else {
            return Ok(());
        };
        self.record_refusal(object, "scope_missing").await?;
        let message = self.console.web().catalogues().text(
            self.page.prefs.language,
            "api.scope_missing",
            &[("scope", scope.as_str().to_owned())],
        );
        Err(ApiFailure::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message).into())
    }
}

//! Rules as code (#23): `GET /v1/bundle` hands a gemeente's own repository its configuration as
//! a bundle, and `PUT /v1/bundle` takes it back (scope `config:write`). The archive is a
//! `.tar.gz` of one folder `<slug>/` laid out as `tenants/<slug>/` is, with the versions of
//! scripts and tariffs in force now. A bundle put back is checked as the console checks (422
//! with every problem by file and line, nothing stored on any); what only the
//! platformbeheerder changes (slug, host names, public URL) is refused; scripts and tariffs
//! get new versions only where they changed, from `effective_from` when given, and everything
//! else applies at once.

use super::ApiKey;
use crate::api::caller::Caller;
use crate::gemeenten::BundleProblem;
use chrono::{DateTime, Utc};
use parkportal_domain::RulesStamp;
use parkportal_domain::api_keys::Scope;
use parkportal_domain::ports::SaveTenantError;
use parkportal_domain::rules_bundle::BundleError;
use parkportal_domain::tenancy::ImportError;
use parkportal_web::refusals::Failure;
use parkportal_web::{ApiFailure, AppError, ErrorCode, declare_refusals};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};
use serde_json::{Value, json};

/// The bundle endpoints.
pub struct BundleApi;

/// A bundle: a `.tar.gz` of one folder `<slug>/` (or `tenants/<slug>/`) holding `tenant.toml`,
/// `rules/*.rhai`, `tariffs/*.toml` and the rest, as `GET /v1/bundle` gives it; at most 4 MiB.
#[derive(ApiRequest)]
enum BundleBody {
    /// The archive.
    #[oai(content_type = "application/gzip")]
    Gzip(Binary<Vec<u8>>),
    /// The archive's bytes as they are (a client that cannot name gzip).
    Bytes(Binary<Vec<u8>>),
}

/// The answer of `GET /v1/bundle`.
#[derive(ApiResponse)]
enum BundleAnswer {
    /// The gemeente as a bundle.
    #[oai(status = 200, content_type = "application/gzip")]
    Archive(
        Binary<Vec<u8>>,
        /// `attachment; filename="<slug>.tar.gz"`.
        #[oai(header = "Content-Disposition")]
        String,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// What a bundle put back changed in the rules.
#[derive(Debug, Object)]
pub struct AppliedItem {
    /// The scripts and tariffs that got a new version (`rules/bezoekers.rhai`, ...); empty
    /// when none changed. Everything else in the bundle applied at once.
    pub rule_files: Vec<String>,
    /// When their new versions take effect; null: at once.
    #[oai(nullable)]
    pub effective_from: Option<DateTime<Utc>>,
}

/// The answer of `PUT /v1/bundle`.
#[derive(ApiResponse)]
enum AppliedAnswer {
    /// Applied.
    #[oai(status = 200)]
    Ok(Json<AppliedItem>),
}

declare_refusals!(BundleReadRefusals [bearer] { 403 => [Forbidden] });
declare_refusals!(BundlePutRefusals [bearer, body] {
    403 => [Forbidden],
    422 => [BundleInvalid, BundleProtected, EffectiveFromInvalid],
});

/// A problem as the answer lists it: its file, its line (null when the whole file's) and what.
fn problem_json(p: &BundleProblem) -> Value {
    json!({ "file": p.file, "line": p.line, "message": p.message })
}

impl Caller {
    /// `bundle_invalid`: 422 listing `problems`, recorded.
    async fn invalid_bundle(&self, problems: &[BundleProblem]) -> poem::Result<poem::Error> {
        let code = ErrorCode::BundleInvalid;
        self.record_refusal(None, code.as_str()).await?;
        let mut failure = ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            self.page.t(code.message_key()),
        );
        failure.extra = Some(serde_json::Map::from_iter([(
            "problems".to_owned(),
            problems.iter().map(problem_json).collect::<Vec<_>>().into(),
        )]));
        Ok(failure.into())
    }
}

#[OpenApi]
impl BundleApi {
    /// The key's gemeente as a bundle (scope `config:write`): a `.tar.gz` of one folder
    /// `<slug>/` laid out as `tenants/<slug>/` is, with the scripts and tariffs in force now.
    /// On the record as `bundle.read`.
    #[oai(path = "/v1/bundle", method = "get")]
    async fn read(
        &self,
        req: &Request,
        _auth: ApiKey,
    ) -> Result<BundleAnswer, Failure<BundleReadRefusals>> {
        let caller = Caller::of(req)?;
        caller.require(Scope::ConfigWrite, None).await?;
        let tenant = caller.tenant().await?;
        let config = caller
            .console
            .web()
            .tenants()
            .export(&tenant.slug)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::internal("a key's gemeente without its configuration"))?;
        let bytes = caller
            .console
            .bundles()
            .write(&config, &format!("{}/", tenant.slug))
            .map_err(AppError::internal)?;
        let entry = caller.entry().about("tenant", tenant.slug.as_str());
        caller.console.record(&entry).await?;
        Ok(BundleAnswer::Archive(
            Binary(bytes),
            format!("attachment; filename=\"{}.tar.gz\"", tenant.slug),
            "no-store".into(),
        ))
    }

    /// Puts the key's gemeente back from a bundle (scope `config:write`), checked whole first:
    /// 422 `bundle_invalid` with every problem (`{"file", "line", "message"}`) and nothing
    /// stored; 422 `bundle_protected` naming the `fields` (`slug`, `hosts`, `public_url`) it
    /// would change, which are the platformbeheerder's. Scripts and tariffs get a new version
    /// only where they changed, taking effect from `effective_from` (RFC 3339, in the future;
    /// 422 `effective_from_invalid`) or at once; everything else applies at once. On the record
    /// as `bundle.put`, its reason naming each new version with the one before.
    #[oai(path = "/v1/bundle", method = "put")]
    async fn put(
        &self,
        req: &Request,
        _auth: ApiKey,
        effective_from: Query<Option<DateTime<Utc>>>,
        body: BundleBody,
    ) -> Result<AppliedAnswer, Failure<BundlePutRefusals>> {
        let caller = Caller::of(req)?;
        caller.require(Scope::ConfigWrite, None).await?;
        let tenant = caller.tenant().await?;
        let (BundleBody::Gzip(Binary(bytes)) | BundleBody::Bytes(Binary(bytes))) = body;
        // Inflating and checking take a while: off the threads that serve requests.
        let archives = caller.console.bundles();
        let read = tokio::task::spawn_blocking(move || archives.read(&bytes))
            .await
            .map_err(AppError::internal)?;
        let config = match read {
            Ok(config) => config,
            Err(problems) => return Err(caller.invalid_bundle(&problems).await?.into()),
        };
        let now = caller.console.web().clock().now();
        let stamp = RulesStamp {
            at: now,
            effective_from: effective_from.0,
            author: Some(caller.key.actor().label()),
            comment: Some("PUT /api/admin/v1/bundle".into()),
        };
        let entry = caller.entry().about("tenant", tenant.slug.as_str());
        let applied = caller
            .console
            .rules()
            .apply_bundle(&tenant, &config, &stamp, &entry)
            .await;
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match applied {
            Ok(applied) => Ok(AppliedAnswer::Ok(Json(AppliedItem {
                rule_files: applied.rule_files,
                effective_from: stamp.effective_from,
            }))),
            Err(BundleError::Protected(fields)) => {
                let code = ErrorCode::BundleProtected;
                caller.record_refusal(None, code.as_str()).await?;
                let mut failure =
                    ApiFailure::new(unprocessable, code, caller.page.t(code.message_key()));
                failure.extra = Some(serde_json::Map::from_iter([(
                    "fields".to_owned(),
                    fields.into(),
                )]));
                Err(poem::Error::from(failure).into())
            }
            Err(BundleError::EffectiveFromInvalid) => {
                let code = ErrorCode::EffectiveFromInvalid;
                Err(caller.refuse(unprocessable, code, None).await?.into())
            }
            Err(BundleError::Problems(problems)) => {
                let problems: Vec<BundleProblem> = problems
                    .into_iter()
                    .map(|p| BundleProblem {
                        file: format!("{}/{}", tenant.slug, p.file),
                        line: (p.problem.line > 0).then_some(p.problem.line),
                        message: p.problem.message,
                    })
                    .collect();
                Err(caller.invalid_bundle(&problems).await?.into())
            }
            Err(BundleError::Import(ImportError::Invalid { problems, .. })) => {
                let problems: Vec<BundleProblem> = problems
                    .iter()
                    .map(|p| BundleProblem {
                        file: format!("{}/tenant.toml", tenant.slug),
                        line: None,
                        message: p.to_string(),
                    })
                    .collect();
                Err(caller.invalid_bundle(&problems).await?.into())
            }
            // A zone with products stays, a product type with products keeps its kind and unit.
            Err(BundleError::Import(ImportError::Save(SaveTenantError::InUse(in_use)))) => {
                let problems: Vec<BundleProblem> = in_use
                    .messages()
                    .into_iter()
                    .map(|message| BundleProblem {
                        file: format!("{}/tenant.toml", tenant.slug),
                        line: None,
                        message,
                    })
                    .collect();
                Err(caller.invalid_bundle(&problems).await?.into())
            }
            Err(e) => Err(poem::Error::from(AppError::internal(e)).into()),
        }
    }
}

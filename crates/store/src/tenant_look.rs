//! One part of a gemeente's configuration changed in the console (settings, logo, tokens,
//! zones, product types), against the version the form was shown with: decided under the
//! gemeente's row lock, in one transaction with its audit entry.

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::tenants;
use crate::tenants::{check_hosts, replace_hosts};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::footer_links::link_text;
use parkportal_domain::ports::{LookPart, LookSaved, SaveTenantError};
use parkportal_domain::{StoreError, TenantId};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// Stores `part` of gemeente `tenant` if it is at `version` (see
/// [`parkportal_domain::TenantRepository::change_look`]).
pub(crate) async fn change(
    db: &Database,
    tenant: TenantId,
    version: i64,
    part: &LookPart,
    audit: &AuditEntry,
) -> Result<LookSaved, SaveTenantError> {
    let (_gate, txn) = db.begin_write().await?;
    // The row first, so that PostgreSQL holds it (and its version) until this commits.
    let lock = Query::update()
        .table(Alias::new("tenants"))
        .value(Alias::new("version"), Expr::col(Alias::new("version")))
        .and_where(Expr::col(Alias::new("id")).eq(tenant.0))
        .to_owned();
    txn.execute(&lock).await.map_err(StoreError::new)?;
    let row = tenants::Entity::find_by_id(tenant.0)
        .one_by_key(&txn)
        .await
        .map_err(StoreError::new)?;
    let Some(row) = row.filter(|r| r.version == version) else {
        txn.rollback().await.map_err(StoreError::new)?;
        return Ok(LookSaved::Stale);
    };
    let mut model = tenants::ActiveModel {
        id: Set(row.id),
        version: Set(row.version + 1),
        ..Default::default()
    };
    match part {
        LookPart::Settings(config) => {
            check_hosts(&txn, &config.hosts, Some(row.id)).await?;
            replace_hosts(&txn, row.id, &config.hosts).await?;
            model.name = Set(config.name.clone());
            model.public_url = Set(config.public_url.as_ref().map(|u| u.as_str().to_owned()));
            model.time_zone = Set(config.time_zone.name().to_owned());
            model.default_language = Set(config.default_language.code().to_owned());
            model.plate_retention_days = Set(i32::from(config.plate_retention.in_days()));
            model.letter_return_address = Set((!config.letter_return_address.is_empty())
                .then(|| config.letter_return_address.join("\n")));
            model.letter_contact = Set(config.letter_contact.clone());
            model.privacy_url = Set(link_text(&config.links.privacy));
            model.contact_url = Set(link_text(&config.links.contact));
            model.accessibility_url = Set(link_text(&config.links.accessibility));
        }
        LookPart::Logo(logo) => {
            model.logo = Set(logo.bytes.clone());
            model.logo_content_type = Set(logo.content_type.clone());
        }
        LookPart::Tokens(tokens) => model.tokens = Set(tokens.to_json()),
        LookPart::Zones(zones) => {
            crate::catalogue::save_zones(&txn, row.id, zones, audit.at).await?;
        }
        LookPart::ProductTypes(types) => {
            crate::catalogue::save_types(&txn, row.id, types, audit.at).await?;
        }
    }
    model.update(&txn).await.map_err(StoreError::new)?;
    crate::audit::write(&txn, audit).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(LookSaved::Saved(version + 1))
}

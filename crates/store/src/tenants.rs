//! The tenant repository: gemeenten, their hosts, zones and product types.

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{product_types, staff_roles, tenant_hosts, tenants, zones};
use crate::rules::SourceTable;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::footer_links::{FooterLinks, WebLink, link_text};
use parkportal_domain::ports::{
    CatalogueUse, LookPart, LookSaved, RulesStamp, SaveMode, SaveTenantError, Saved,
};
use parkportal_domain::privacy::PlateRetention;
use parkportal_domain::rules_console::{RuleChange, RuleKind, RuleSaved, RuleVersion};
use parkportal_domain::suspension::{Suspension, SuspensionChange, SuspensionOutcome};
use parkportal_domain::{
    Code, Hostname, Language, Logo, ProductTypeSpec, PublicUrl, StoreError, Tenant, TenantConfig,
    TenantId, TenantOverview, TenantRepository, TenantSlug, ThemeName, ThemeTokens, ZoneSpec,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

/// Gemeenten in the database.
#[derive(Clone, Debug)]
pub struct SeaTenantRepository {
    db: Database,
}

impl SeaTenantRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("stored {what} does not parse: {e}"))
}

fn to_tenant(row: tenants::Model, hosts: Vec<tenant_hosts::Model>) -> Result<Tenant, StoreError> {
    let links = links_of(&row)?;
    let contact = row.letter_contact.clone();
    Ok(Tenant {
        links,
        contact,
        id: TenantId(row.id),
        slug: TenantSlug::parse(&row.slug).map_err(|e| corrupt("slug", e))?,
        name: row.name,
        hosts: hosts
            .iter()
            .map(|h| Hostname::parse(&h.host).map_err(|e| corrupt("host", e)))
            .collect::<Result<_, _>>()?,
        public_url: row
            .public_url
            .as_deref()
            .map(PublicUrl::parse)
            .transpose()
            .map_err(|e| corrupt("public url", e))?,
        time_zone: row.time_zone.parse().map_err(|e| corrupt("time zone", e))?,
        default_language: Language::parse(&row.default_language)
            .map_err(|e| corrupt("language", e))?,
        theme: ThemeName::parse(&row.theme).map_err(|e| corrupt("theme", e))?,
        tokens: ThemeTokens::from_json(&row.tokens).map_err(|e| corrupt("tokens", e))?,
        version: row.version,
        suspension: row.suspended_at.map(|since| Suspension {
            since,
            by: row.suspended_by.unwrap_or_default(),
            reason: row.suspension_reason.unwrap_or_default(),
        }),
    })
}

/// The footer's links of a gemeente's row.
fn links_of(row: &tenants::Model) -> Result<FooterLinks, StoreError> {
    let link = |v: &Option<String>| {
        v.as_deref()
            .map(WebLink::parse)
            .transpose()
            .map_err(|e| corrupt("link", e))
    };
    Ok(FooterLinks {
        privacy: link(&row.privacy_url)?,
        contact: link(&row.contact_url)?,
        accessibility: link(&row.accessibility_url)?,
    })
}

async fn hosts_of<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Vec<tenant_hosts::Model>, StoreError> {
    tenant_hosts::Entity::find()
        .filter(tenant_hosts::Column::TenantId.eq(id))
        .order_by_asc(tenant_hosts::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)
}

impl SeaTenantRepository {
    async fn load(&self, row: Option<tenants::Model>) -> Result<Option<Tenant>, StoreError> {
        match row {
            Some(row) => {
                let hosts = hosts_of(self.db.connection(), row.id).await?;
                to_tenant(row, hosts).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn zones_and_types(
        &self,
        id: i64,
    ) -> Result<(Vec<ZoneSpec>, Vec<ProductTypeSpec>), StoreError> {
        let conn = self.db.connection();
        let zones = crate::catalogue::zones_of(conn, id).await?;
        let types = crate::catalogue::types_of(conn, id).await?;
        Ok((zones, types))
    }
}

#[async_trait]
impl TenantRepository for SeaTenantRepository {
    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        let conn = self.db.connection();
        let rows = tenants::Entity::find()
            .order_by_asc(tenants::Column::Name)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let hosts = tenant_hosts::Entity::find()
            .order_by_asc(tenant_hosts::Column::Id)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        rows.into_iter()
            .map(|row| {
                let own = hosts
                    .iter()
                    .filter(|h| h.tenant_id == row.id)
                    .cloned()
                    .collect();
                to_tenant(row, own)
            })
            .collect()
    }

    async fn count(&self) -> Result<u64, StoreError> {
        tenants::Entity::find()
            .count(self.db.connection())
            .await
            .map_err(StoreError::new)
    }

    async fn by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
        let row = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug.as_str()))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        self.load(row).await
    }

    async fn by_host(&self, host: &Hostname) -> Result<Option<Tenant>, StoreError> {
        let conn = self.db.connection();
        let Some(entry) = tenant_hosts::Entity::find()
            .filter(tenant_hosts::Column::Host.eq(host.as_str()))
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let row = tenants::Entity::find_by_id(entry.tenant_id)
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?;
        self.load(row).await
    }

    async fn overview(&self, id: TenantId) -> Result<Option<TenantOverview>, StoreError> {
        let row = tenants::Entity::find_by_id(id.0)
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        let Some(tenant) = self.load(row).await? else {
            return Ok(None);
        };
        let (zones, product_types) = self.zones_and_types(id.0).await?;
        Ok(Some(TenantOverview {
            tenant,
            zones,
            product_types,
        }))
    }

    async fn logo(&self, id: TenantId) -> Result<Option<Logo>, StoreError> {
        let row = tenants::Entity::find_by_id(id.0)
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(row.map(|r| Logo {
            content_type: r.logo_content_type,
            bytes: r.logo,
        }))
    }

    async fn config(
        &self,
        slug: &TenantSlug,
        at: DateTime<Utc>,
    ) -> Result<Option<TenantConfig>, StoreError> {
        let row = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug.as_str()))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        let Some(row) = row else { return Ok(None) };
        let logo = Logo {
            content_type: row.logo_content_type.clone(),
            bytes: row.logo.clone(),
        };
        let id = row.id;
        let letter_return_address = row
            .letter_return_address
            .as_deref()
            .map(|a| a.lines().map(str::to_owned).collect())
            .unwrap_or_default();
        let letter_contact = row.letter_contact.clone();
        let plate_retention = PlateRetention::days(i64::from(row.plate_retention_days))
            .map_err(|e| corrupt("plate retention", e))?;
        let Some(tenant) = self.load(Some(row)).await? else {
            return Ok(None);
        };
        let (zones, product_types) = self.zones_and_types(id).await?;
        Ok(Some(TenantConfig {
            slug: tenant.slug,
            name: tenant.name,
            hosts: tenant.hosts,
            public_url: tenant.public_url,
            time_zone: tenant.time_zone,
            default_language: tenant.default_language,
            plate_retention,
            theme: tenant.theme,
            tokens: tenant.tokens,
            logo,
            zones,
            product_types,
            scripts: crate::rules::current_sources(
                self.db.connection(),
                id,
                SourceTable::Scripts,
                at,
            )
            .await?,
            tariffs: crate::rules::current_sources(
                self.db.connection(),
                id,
                SourceTable::Tariffs,
                at,
            )
            .await?,
            letter_return_address,
            letter_contact,
            links: tenant.links,
        }))
    }

    async fn save(
        &self,
        config: &TenantConfig,
        audit: Option<&AuditEntry>,
        mode: SaveMode,
        stamp: &RulesStamp,
    ) -> Result<Saved, SaveTenantError> {
        let (_gate, txn) = self.db.begin_write().await?;
        if mode == SaveMode::UpdateOwn {
            // The gemeente's row first, so that PostgreSQL holds it until this commits.
            let lock = Query::update()
                .table(Alias::new("tenants"))
                .value(Alias::new("version"), Expr::col(Alias::new("version")))
                .and_where(Expr::col(Alias::new("slug")).eq(config.slug.as_str()))
                .to_owned();
            txn.execute(&lock).await.map_err(StoreError::new)?;
        }
        let existing = tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(config.slug.as_str()))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?;
        if existing.is_some() && mode == SaveMode::CreateOnly {
            txn.rollback().await.map_err(StoreError::new)?;
            return Err(SaveTenantError::Exists);
        }
        if mode == SaveMode::UpdateOwn {
            let protected = match &existing {
                None => vec!["slug".to_owned()],
                Some(row) => protected_changes(&txn, row, config).await?,
            };
            if !protected.is_empty() {
                txn.rollback().await.map_err(StoreError::new)?;
                return Err(SaveTenantError::Protected(protected));
            }
        }
        check_hosts(&txn, &config.hosts, existing.as_ref().map(|e| e.id)).await?;
        let mut model = tenants::ActiveModel {
            slug: Set(config.slug.as_str().to_owned()),
            name: Set(config.name.clone()),
            public_url: Set(config.public_url.as_ref().map(|u| u.as_str().to_owned())),
            time_zone: Set(config.time_zone.name().to_owned()),
            default_language: Set(config.default_language.code().to_owned()),
            plate_retention_days: Set(i32::from(config.plate_retention.in_days())),
            theme: Set(config.theme.as_str().to_owned()),
            tokens: Set(config.tokens.to_json()),
            logo: Set(config.logo.bytes.clone()),
            logo_content_type: Set(config.logo.content_type.clone()),
            // Validation keeps newlines out of the lines, so joining by them is lossless.
            letter_return_address: Set((!config.letter_return_address.is_empty())
                .then(|| config.letter_return_address.join("\n"))),
            letter_contact: Set(config.letter_contact.clone()),
            privacy_url: Set(link_text(&config.links.privacy)),
            contact_url: Set(link_text(&config.links.contact)),
            accessibility_url: Set(link_text(&config.links.accessibility)),
            ..Default::default()
        };
        let (id, saved) = match &existing {
            Some(row) => {
                model.id = Set(row.id);
                model.version = Set(row.version + 1);
                model.update(&txn).await.map_err(StoreError::new)?;
                (row.id, Saved::Updated(TenantId(row.id)))
            }
            None => {
                model.version = Set(1);
                let row = model.insert(&txn).await.map_err(StoreError::new)?;
                (row.id, Saved::Created(TenantId(row.id)))
            }
        };
        replace_hosts(&txn, id, &config.hosts).await?;
        // A configuration names every zone: one it leaves out goes, unless it has products.
        crate::catalogue::save_zones(&txn, id, &config.zones, stamp.at).await?;
        crate::catalogue::save_types(&txn, id, &config.product_types, stamp.at).await?;
        let mut versions = Vec::new();
        for (table, sources) in [
            (SourceTable::Scripts, &config.scripts),
            (SourceTable::Tariffs, &config.tariffs),
        ] {
            let types = (config.product_types.as_slice(), stamp);
            versions.extend(crate::rules::save_versions(&txn, id, table, sources, types).await?);
        }
        if let Some(entry) = audit {
            let mut entry = match entry.object {
                Some(_) => entry.clone(),
                None => entry.clone().about("tenant", config.slug.as_str()),
            };
            entry.tenant = Some(TenantId(id));
            // An update names each new rule version with the one before.
            entry.reason = Some(match saved {
                Saved::Created(_) => "created".to_owned(),
                Saved::Updated(_) if versions.is_empty() => "updated".to_owned(),
                Saved::Updated(_) => format!("updated; {}", versions.join(", ")),
            });
            crate::audit::write(&txn, &entry).await?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(saved)
    }

    async fn change_suspension(
        &self,
        tenant: TenantId,
        change: &SuspensionChange,
        audit: &AuditEntry,
    ) -> Result<SuspensionOutcome, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(row) = tenants::Entity::find_by_id(tenant.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            txn.rollback().await.map_err(StoreError::new)?;
            return Ok(SuspensionOutcome::NotFound);
        };
        let suspended = row.suspended_at.is_some();
        let wanted = matches!(change, SuspensionChange::Suspend(_));
        if suspended == wanted {
            // Asked for the state it is in: nothing to change, nothing to record.
            txn.rollback().await.map_err(StoreError::new)?;
            let hosts = hosts_of(self.db.connection(), row.id).await?;
            return to_tenant(row, hosts).map(SuspensionOutcome::Already);
        }
        let suspension = match change {
            SuspensionChange::Suspend(s) => Some(s),
            SuspensionChange::Resume => None,
        };
        // Only these columns: the configuration (and its version, which busts the caches of
        // theme and logo) stays as it is.
        let row = tenants::ActiveModel {
            id: Set(row.id),
            suspended_at: Set(suspension.map(|s| s.since)),
            suspended_by: Set(suspension.map(|s| s.by.clone())),
            suspension_reason: Set(suspension.map(|s| s.reason.clone())),
            ..Default::default()
        }
        .update(&txn)
        .await
        .map_err(StoreError::new)?;
        crate::audit::write(&txn, audit).await?;
        let hosts = hosts_of(&txn, row.id).await?;
        txn.commit().await.map_err(StoreError::new)?;
        to_tenant(row, hosts).map(SuspensionOutcome::Changed)
    }

    async fn remove_unused(&self, id: TenantId, audit: &AuditEntry) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let exists = tenants::Entity::find_by_id(id.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .is_some();
        // Staff roles would go with it by their cascade: a gemeente someone was given a role
        // in meanwhile is in use, and stays.
        let roles = staff_roles::Entity::find()
            .filter(staff_roles::Column::TenantId.eq(id.0))
            .count(&txn)
            .await
            .map_err(StoreError::new)?;
        if !exists || roles > 0 {
            txn.rollback().await.map_err(StoreError::new)?;
            return Ok(false);
        }
        // Its hosts, zones and product types only: a product refers to a product type without
        // a cascade, so a gemeente with one makes a delete fail and nothing is removed.
        tenant_hosts::Entity::delete_many()
            .filter(tenant_hosts::Column::TenantId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        zones::Entity::delete_many()
            .filter(zones::Column::TenantId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        product_types::Entity::delete_many()
            .filter(product_types::Column::TenantId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        tenants::Entity::delete_by_id(id.0)
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        crate::audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn rule_versions(
        &self,
        tenant: TenantId,
        code: &Code,
        kind: RuleKind,
    ) -> Result<Vec<RuleVersion>, StoreError> {
        crate::rule_versions::list(&self.db, tenant, code, kind).await
    }

    async fn save_rule(
        &self,
        tenant: TenantId,
        rule: (&Code, RuleKind),
        change: &RuleChange,
        audit: &AuditEntry,
    ) -> Result<RuleSaved, StoreError> {
        crate::rule_versions::save(&self.db, tenant, rule, change, audit).await
    }

    async fn change_look(
        &self,
        tenant: TenantId,
        version: i64,
        part: &LookPart,
        audit: &AuditEntry,
    ) -> Result<LookSaved, SaveTenantError> {
        crate::tenant_look::change(&self.db, tenant, version, part, audit).await
    }

    async fn catalogue_use(&self, tenant: TenantId) -> Result<CatalogueUse, StoreError> {
        crate::catalogue::usage(self.db.connection(), tenant.0).await
    }
}

/// Refuses `hosts` when another gemeente than `own` has one of them.
pub(crate) async fn check_hosts<C: ConnectionTrait>(
    txn: &C,
    hosts: &[Hostname],
    own: Option<i64>,
) -> Result<(), SaveTenantError> {
    for host in hosts {
        let taken = tenant_hosts::Entity::find()
            .filter(tenant_hosts::Column::Host.eq(host.as_str()))
            .one_by_key(txn)
            .await
            .map_err(StoreError::new)?;
        if let Some(taken) = taken
            && own != Some(taken.tenant_id)
        {
            let owner = tenants::Entity::find_by_id(taken.tenant_id)
                .one_by_key(txn)
                .await
                .map_err(StoreError::new)?;
            let owner = owner.map(|o| o.slug).unwrap_or_default();
            return Err(SaveTenantError::HostTaken {
                host: host.clone(),
                owner: TenantSlug::parse(&owner).map_err(|e| corrupt("slug", e))?,
            });
        }
    }
    Ok(())
}

/// Makes `hosts` gemeente `id`'s host names.
pub(crate) async fn replace_hosts<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    hosts: &[Hostname],
) -> Result<(), StoreError> {
    tenant_hosts::Entity::delete_many()
        .filter(tenant_hosts::Column::TenantId.eq(id))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    for host in hosts {
        tenant_hosts::ActiveModel {
            tenant_id: Set(id),
            host: Set(host.as_str().to_owned()),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(StoreError::new)?;
    }
    Ok(())
}

/// What saving `config` over the stored gemeente `row` would change that its own bundle may
/// not: its host names (in any order), its public URL, a product type's unit or kind.
async fn protected_changes<C: ConnectionTrait>(
    conn: &C,
    row: &tenants::Model,
    config: &TenantConfig,
) -> Result<Vec<String>, StoreError> {
    let mut changed = Vec::new();
    let mut stored: Vec<String> = tenant_hosts::Entity::find()
        .filter(tenant_hosts::Column::TenantId.eq(row.id))
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|h| h.host)
        .collect();
    let mut wanted: Vec<String> = config.hosts.iter().map(|h| h.as_str().to_owned()).collect();
    stored.sort();
    wanted.sort();
    if stored != wanted {
        changed.push("hosts".to_owned());
    }
    if row.public_url.as_deref() != config.public_url.as_ref().map(|u| u.as_str()) {
        changed.push("public_url".to_owned());
    }
    let types = product_types::Entity::find()
        .filter(product_types::Column::TenantId.eq(row.id))
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    for pt in &config.product_types {
        if let Some(was) = types.iter().find(|t| t.code == pt.code.as_str()) {
            if was.unit != pt.unit.as_str() {
                changed.push(format!("product_types.{}.unit", pt.code));
            }
            if was.kind != pt.kind.as_str() {
                changed.push(format!("product_types.{}.kind", pt.code));
            }
        }
    }
    Ok(changed)
}

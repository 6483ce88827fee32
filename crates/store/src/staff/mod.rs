//! Staff accounts in the database: their roles, enrolment links, login sessions, second factors
//! and recovery codes. Every change writes its audit entry in its own transaction, so that a
//! change that rolls back leaves no entry, and no change is without one.

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{staff_enrolments, staff_members, staff_recovery_codes, staff_sessions};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::ids::{StaffId, TenantId};
use parkportal_domain::mail::OutgoingMail;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::staff::{
    Assignment, Beheerder, EmailTaken, NewStaff, Role, RoleChange, StaffCredentials, StaffListing,
    StaffMember, StaffRepository, StaffSession, Stage, StoredLink,
};
use parkportal_domain::{EmailAddress, StoreError};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

mod listing;
mod rows;

use rows::*;

/// Staff accounts in the database.
#[derive(Clone, Debug)]
pub struct SeaStaffRepository {
    db: Database,
}

impl SeaStaffRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl StaffRepository for SeaStaffRepository {
    async fn create(
        &self,
        new: &NewStaff,
        link: &TokenHash,
        expires_at: DateTime<Utc>,
        audit: &AuditEntry,
        mail: Option<&OutgoingMail>,
    ) -> Result<Result<StaffId, EmailTaken>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let id = match insert_member(&txn, new, link, expires_at, audit.at).await? {
            Ok(id) => id,
            Err(taken) => {
                undo(txn).await?;
                return Ok(Err(taken));
            }
        };
        // The use case cannot name the account before it exists: the entry is about it now.
        let entry = match audit.object {
            Some(_) => audit.clone(),
            None => audit.clone().about("staff", id),
        };
        audit::write(&txn, &entry).await?;
        if let Some(mail) = mail {
            crate::outbox::enqueue_on(&txn, mail, audit.at).await?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Ok(StaffId(id)))
    }

    async fn credentials(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<StaffCredentials>, StoreError> {
        let conn = self.db.connection();
        let row = staff_members::Entity::find()
            .filter(staff_members::Column::Email.eq(email.as_str()))
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?;
        credentials_of_row(conn, row).await
    }

    async fn credentials_of(&self, id: StaffId) -> Result<Option<StaffCredentials>, StoreError> {
        let conn = self.db.connection();
        let row = staff_members::Entity::find_by_id(id.0)
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?;
        credentials_of_row(conn, row).await
    }

    async fn link(&self, link: &TokenHash) -> Result<Option<StoredLink>, StoreError> {
        let conn = self.db.connection();
        let Some(row) = staff_enrolments::Entity::find_by_id(link.as_str().to_owned())
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let Some(member) = find_member(conn, row.staff_id).await? else {
            return Ok(None);
        };
        Ok(Some(StoredLink {
            member,
            expires_at: row.expires_at,
            used_at: row.used_at,
        }))
    }

    async fn use_link(
        &self,
        link: &TokenHash,
        password_hash: &str,
        session: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<StaffMember>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        // The conditional update lets one of two parallel uses of the link have it.
        let used = staff_enrolments::Entity::update_many()
            .col_expr(staff_enrolments::Column::UsedAt, Expr::value(now))
            .filter(staff_enrolments::Column::TokenHash.eq(link.as_str()))
            .filter(staff_enrolments::Column::UsedAt.is_null())
            .filter(staff_enrolments::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        let row = if used.rows_affected == 1 {
            staff_enrolments::Entity::find_by_id(link.as_str().to_owned())
                .one_by_key(&txn)
                .await
                .map_err(StoreError::new)?
        } else {
            None
        };
        let member = match row {
            Some(row) => find_member(&txn, row.staff_id).await?,
            None => None,
        };
        // A deactivated account's link leads nowhere, however fresh.
        let Some(member) = member.filter(|m| m.active) else {
            undo(txn).await?;
            return Ok(None);
        };
        let staff = member.id.0;
        staff_members::Entity::update_many()
            .col_expr(
                staff_members::Column::PasswordHash,
                Expr::value(password_hash),
            )
            .filter(staff_members::Column::Id.eq(staff))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        forget_second_factor(&txn, staff).await?;
        end_sessions(&txn, staff).await?;
        insert_session(&txn, staff, session, Stage::Enrol, now).await?;
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Some(member))
    }

    async fn pending_secret(&self, staff: StaffId) -> Result<Option<String>, StoreError> {
        Ok(staff_members::Entity::find_by_id(staff.0)
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .and_then(|row| row.totp_pending))
    }

    async fn set_pending_secret(&self, staff: StaffId, secret: &str) -> Result<String, StoreError> {
        // Only where none is kept: of two pages asking at once, the first secret stays.
        staff_members::Entity::update_many()
            .col_expr(staff_members::Column::TotpPending, Expr::value(secret))
            .filter(staff_members::Column::Id.eq(staff.0))
            .filter(staff_members::Column::TotpPending.is_null())
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        self.pending_secret(staff)
            .await?
            .ok_or_else(|| StoreError::new("the secret being set up is gone"))
    }

    async fn confirm_second_factor(
        &self,
        staff: StaffId,
        step: i64,
        recovery: &[String],
        old: &TokenHash,
        new: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        if !replace_session(&txn, staff.0, old, Stage::Enrol, new, now).await? {
            undo(txn).await?;
            return Ok(false);
        }
        // The pending secret becomes the second factor in one statement, with the step the
        // confirmation used already spent.
        let confirmed = staff_members::Entity::update_many()
            .col_expr(
                staff_members::Column::TotpSecret,
                Expr::col(staff_members::Column::TotpPending),
            )
            .col_expr(
                staff_members::Column::TotpPending,
                Expr::value(Option::<String>::None),
            )
            .col_expr(staff_members::Column::TotpLastStep, Expr::value(step))
            .filter(staff_members::Column::Id.eq(staff.0))
            .filter(staff_members::Column::TotpPending.is_not_null())
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if confirmed.rows_affected != 1 {
            undo(txn).await?;
            return Ok(false);
        }
        forget_recovery_codes(&txn, staff.0).await?;
        for hash in recovery {
            staff_recovery_codes::ActiveModel {
                staff_id: Set(staff.0),
                code_hash: Set(hash.clone()),
                used_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(StoreError::new)?;
        }
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn create_session(
        &self,
        staff: StaffId,
        token: &TokenHash,
        stage: Stage,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        insert_session(&txn, staff.0, token, stage, now).await?;
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)
    }

    async fn session(&self, token: &TokenHash) -> Result<Option<StaffSession>, StoreError> {
        // One query for the session, its member and their roles (a row per role, or one row
        // without): every console request asks it.
        let (s, m, r) = (Alias::new("s"), Alias::new("m"), Alias::new("r"));
        let col = |table: &Alias, name: &str| Expr::col((table.clone(), Alias::new(name)));
        let mut query = Query::select();
        for (table, name, alias) in [
            (&s, "stage", "stage"),
            (&s, "started_at", "started_at"),
            (&s, "last_seen_at", "last_seen_at"),
            (&m, "id", "id"),
            (&m, "email", "email"),
            (&m, "name", "name"),
            (&m, "platform_admin", "platform_admin"),
            (&m, "active", "active"),
            (&r, "tenant_id", "tenant_id"),
            (&r, "role", "role"),
        ] {
            query.expr_as(col(table, name), Alias::new(alias));
        }
        query
            .from_as(Alias::new("staff_sessions"), s.clone())
            .join_as(
                JoinType::InnerJoin,
                Alias::new("staff_members"),
                m.clone(),
                col(&m, "id").equals((s.clone(), Alias::new("staff_id"))),
            )
            .join_as(
                JoinType::LeftJoin,
                Alias::new("staff_roles"),
                r.clone(),
                col(&r, "staff_id").equals((m.clone(), Alias::new("id"))),
            )
            .and_where(col(&s, "token_hash").eq(token.as_str()));
        let rows = self
            .db
            .connection()
            .query_all(&query)
            .await
            .map_err(StoreError::new)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let get_err = StoreError::new;
        let mut roles = Vec::new();
        for row in &rows {
            let tenant: Option<i64> = row.try_get("", "tenant_id").map_err(get_err)?;
            let role: Option<String> = row.try_get("", "role").map_err(get_err)?;
            if let (Some(tenant), Some(role)) = (tenant, role) {
                roles.push(Assignment {
                    tenant: TenantId(tenant),
                    role: to_role(&role)?,
                });
            }
        }
        let stage: String = first.try_get("", "stage").map_err(get_err)?;
        let email: String = first.try_get("", "email").map_err(get_err)?;
        Ok(Some(StaffSession {
            member: StaffMember {
                id: StaffId(first.try_get("", "id").map_err(get_err)?),
                email: EmailAddress::parse(&email)
                    .map_err(|e| StoreError::new(format!("stored staff e-mail address: {e}")))?,
                name: first.try_get("", "name").map_err(get_err)?,
                platform_admin: first.try_get("", "platform_admin").map_err(get_err)?,
                active: first.try_get("", "active").map_err(get_err)?,
                roles,
            },
            stage: Stage::parse(&stage)
                .ok_or_else(|| StoreError::new(format!("stored staff session stage: {stage}")))?,
            started_at: first.try_get("", "started_at").map_err(get_err)?,
            last_seen_at: first.try_get("", "last_seen_at").map_err(get_err)?,
        }))
    }

    async fn touch_session(&self, token: &TokenHash, now: DateTime<Utc>) -> Result<(), StoreError> {
        staff_sessions::Entity::update_many()
            .col_expr(staff_sessions::Column::LastSeenAt, Expr::value(now))
            .filter(staff_sessions::Column::TokenHash.eq(token.as_str()))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }

    async fn end_session(&self, token: &TokenHash, audit: &AuditEntry) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let ended = staff_sessions::Entity::delete_many()
            .filter(staff_sessions::Column::TokenHash.eq(token.as_str()))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        // Two requests that both find a session timed out end it once, with one entry.
        if ended.rows_affected == 0 {
            return undo(txn).await;
        }
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)
    }

    async fn accept_code(
        &self,
        staff: StaffId,
        step: i64,
        old: &TokenHash,
        new: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        // One conditional update: of two uses of a code (or of codes of the same step) only one
        // raises the last accepted step; the other waits for its row lock, then finds the
        // condition false and changes nothing.
        let accepted = staff_members::Entity::update_many()
            .col_expr(staff_members::Column::TotpLastStep, Expr::value(step))
            .filter(staff_members::Column::Id.eq(staff.0))
            .filter(
                Condition::any()
                    .add(staff_members::Column::TotpLastStep.is_null())
                    .add(staff_members::Column::TotpLastStep.lt(step)),
            )
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if accepted.rows_affected != 1
            || !replace_session(&txn, staff.0, old, Stage::Code, new, now).await?
        {
            undo(txn).await?;
            return Ok(false);
        }
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn use_recovery_code(
        &self,
        staff: StaffId,
        hash: &str,
        old: &TokenHash,
        new: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        // Conditional, like a TOTP step: a code is used up once, however many try it at once.
        let used = staff_recovery_codes::Entity::update_many()
            .col_expr(staff_recovery_codes::Column::UsedAt, Expr::value(now))
            .filter(staff_recovery_codes::Column::StaffId.eq(staff.0))
            .filter(staff_recovery_codes::Column::CodeHash.eq(hash))
            .filter(staff_recovery_codes::Column::UsedAt.is_null())
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if used.rows_affected == 0
            || !replace_session(&txn, staff.0, old, Stage::Code, new, now).await?
        {
            undo(txn).await?;
            return Ok(false);
        }
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn recovery_codes_left(&self, staff: StaffId) -> Result<u32, StoreError> {
        let left = staff_recovery_codes::Entity::find()
            .filter(staff_recovery_codes::Column::StaffId.eq(staff.0))
            .filter(staff_recovery_codes::Column::UsedAt.is_null())
            .count(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(u32::try_from(left).unwrap_or(u32::MAX))
    }

    async fn set_active(
        &self,
        staff: StaffId,
        active: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let deactivated_at = (!active).then_some(audit.at);
        let changed = staff_members::Entity::update_many()
            .col_expr(staff_members::Column::Active, Expr::value(active))
            .col_expr(
                staff_members::Column::DeactivatedAt,
                Expr::value(deactivated_at),
            )
            .filter(staff_members::Column::Id.eq(staff.0))
            .filter(staff_members::Column::Active.eq(!active))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if changed.rows_affected == 0 {
            undo(txn).await?;
            return Ok(false);
        }
        if !active {
            // At once: no session of a deactivated account outlives the change.
            end_sessions(&txn, staff.0).await?;
        }
        audit::write(&txn, audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn members_in(&self, tenant: TenantId) -> Result<Vec<StaffListing>, StoreError> {
        listing::listings(self.db.connection(), tenant, None).await
    }

    async fn beheerders(&self) -> Result<Vec<Beheerder>, StoreError> {
        listing::beheerders(self.db.connection()).await
    }

    async fn member_in(
        &self,
        tenant: TenantId,
        staff: StaffId,
    ) -> Result<Option<StaffListing>, StoreError> {
        Ok(listing::listings(self.db.connection(), tenant, Some(staff))
            .await?
            .pop())
    }

    async fn set_role(
        &self,
        tenant: TenantId,
        staff: StaffId,
        role: Option<Role>,
        audit: &AuditEntry,
    ) -> Result<Option<RoleChange>, StoreError> {
        listing::set_role(&self.db, tenant, staff, role, audit).await
    }

    async fn reset_second_factor(
        &self,
        staff: StaffId,
        link: &TokenHash,
        expires_at: DateTime<Utc>,
        audit: &AuditEntry,
        mail: Option<&OutgoingMail>,
    ) -> Result<(), StoreError> {
        let now = audit.at;
        let (_gate, txn) = self.db.begin_write().await?;
        forget_second_factor(&txn, staff.0).await?;
        end_sessions(&txn, staff.0).await?;
        // The new link is the only way in: links handed out before stop working (they show
        // as expired).
        staff_enrolments::Entity::update_many()
            .col_expr(staff_enrolments::Column::ExpiresAt, Expr::value(now))
            .filter(staff_enrolments::Column::StaffId.eq(staff.0))
            .filter(staff_enrolments::Column::UsedAt.is_null())
            .filter(staff_enrolments::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        insert_link(&txn, staff.0, link, now, expires_at).await?;
        audit::write(&txn, audit).await?;
        if let Some(mail) = mail {
            crate::outbox::enqueue_on(&txn, mail, now).await?;
        }
        txn.commit().await.map_err(StoreError::new)
    }
}

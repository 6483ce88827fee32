//! A resident's settings, kept on the account row.

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::accounts;
use async_trait::async_trait;
use parkportal_domain::settings::{AccountSettings, Contrast, SettingsChange, SettingsRepository};
use parkportal_domain::{AccountId, Language, ProductId, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The settings repository on a database.
#[derive(Clone)]
pub struct SeaSettingsRepository {
    db: Database,
}

impl SeaSettingsRepository {
    /// On `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SettingsRepository for SeaSettingsRepository {
    async fn settings(&self, account: AccountId) -> Result<AccountSettings, StoreError> {
        let Some(row) = accounts::Entity::find_by_id(account.0)
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(AccountSettings::default());
        };
        // A value this version does not know reads as "not chosen" rather than failing the page.
        Ok(AccountSettings {
            language: row
                .language
                .as_deref()
                .and_then(|l| Language::parse(l).ok()),
            start_product: row.start_product_id.map(ProductId),
            contrast: row.contrast.as_deref().and_then(Contrast::parse),
        })
    }

    async fn change_settings(
        &self,
        account: AccountId,
        change: &SettingsChange,
    ) -> Result<(), StoreError> {
        let mut update = accounts::Entity::update_many();
        if let Some(language) = change.language {
            update = update.col_expr(accounts::Column::Language, Expr::value(language.code()));
        }
        if let Some(start) = change.start_product {
            update = update.col_expr(
                accounts::Column::StartProductId,
                Expr::value(start.map(|p| p.0)),
            );
        }
        if let Some(contrast) = change.contrast {
            update = update.col_expr(accounts::Column::Contrast, Expr::value(contrast.as_str()));
        }
        if change == &SettingsChange::default() {
            return Ok(());
        }
        update
            .filter(accounts::Column::Id.eq(account.0))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }
}

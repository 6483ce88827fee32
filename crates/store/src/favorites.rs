//! Favorites on a database: each plate once per product (a unique index decides a race).

use crate::database::Database;
use crate::entities::favorites;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::favorites::{Favorite, FavoriteName, FavoriteRepository};
use parkportal_domain::plate::Plate;
use parkportal_domain::{FavoriteId, ProductId, StoreError};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};

/// The favorites repository on a database.
#[derive(Clone)]
pub struct SeaFavoriteRepository {
    db: Database,
}

impl SeaFavoriteRepository {
    /// On `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn favorite(row: favorites::Model) -> Result<Favorite, StoreError> {
    // Neither the plate nor the name goes into the message (and so into a log).
    let corrupt =
        |what: &str| StoreError::new(format!("stored favorite {}: {what} does not parse", row.id));
    Ok(Favorite {
        id: FavoriteId(row.id),
        plate: Plate::from_stored(&row.plate, &row.country).map_err(|_| corrupt("plate"))?,
        name: FavoriteName::parse(&row.name).map_err(|_| corrupt("name"))?,
    })
}

#[async_trait]
impl FavoriteRepository for SeaFavoriteRepository {
    async fn favorites(&self, product: ProductId) -> Result<Vec<Favorite>, StoreError> {
        favorites::Entity::find()
            .filter(favorites::Column::ProductId.eq(product.0))
            .order_by_asc(favorites::Column::Name)
            .order_by_asc(favorites::Column::Id)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(favorite)
            .collect()
    }

    async fn add_favorite(
        &self,
        product: ProductId,
        plate: &Plate,
        name: &FavoriteName,
        now: DateTime<Utc>,
    ) -> Result<Option<Favorite>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let inserted = favorites::ActiveModel {
            product_id: Set(product.0),
            plate: Set(plate.normalised().to_owned()),
            country: Set(plate.country().as_str().to_owned()),
            name: Set(name.as_str().to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(row) => {
                txn.commit().await.map_err(StoreError::new)?;
                favorite(row).map(Some)
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await.map_err(StoreError::new)?;
                Ok(None)
            }
            Err(e) => Err(StoreError::new(e)),
        }
    }

    async fn remove_favorite(
        &self,
        product: ProductId,
        id: FavoriteId,
    ) -> Result<bool, StoreError> {
        let done = favorites::Entity::delete_many()
            .filter(favorites::Column::Id.eq(id.0))
            .filter(favorites::Column::ProductId.eq(product.0))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(done.rows_affected == 1)
    }
}

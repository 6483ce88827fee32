//! "Favorieten": someone who parks with the resident often, as a plate with a name of at most
//! 10 characters, per own product. A favorite fills the plate of a new session ("Kenteken
//! opzoeken"). Products used through a mandate have none.

use crate::ParseError;
use crate::accounts::Account;
use crate::ids::{FavoriteId, ProductId};
use crate::parking::ParkingRepository;
use crate::plate::Plate;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A favorite's name: 1 to 10 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FavoriteName(String);

impl FavoriteName {
    /// The most characters a name may have (the manual).
    pub const MAX_CHARS: usize = 10;

    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let name = s.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(ParseError::new(
                "name",
                format!("a name has 1 to {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A favorite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Favorite {
    /// Its id.
    pub id: FavoriteId,
    /// Its plate.
    pub plate: Plate,
    /// Its name.
    pub name: FavoriteName,
}

/// What adding a favorite came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Added.
    Added(Favorite),
    /// The product has a favorite with this plate already.
    Exists,
    /// Not one of the resident's own products.
    NotFound,
}

/// Where favorites are kept. Callers have checked that the product is the resident's.
#[async_trait]
pub trait FavoriteRepository: Send + Sync {
    /// The favorites of `product`, by name.
    async fn favorites(&self, product: ProductId) -> Result<Vec<Favorite>, StoreError>;
    /// Adds a favorite; `None` when the product has one with this plate already.
    async fn add_favorite(
        &self,
        product: ProductId,
        plate: &Plate,
        name: &FavoriteName,
        now: DateTime<Utc>,
    ) -> Result<Option<Favorite>, StoreError>;
    /// Removes favorite `id` of `product`; whether there was one.
    async fn remove_favorite(&self, product: ProductId, id: FavoriteId)
    -> Result<bool, StoreError>;
}

/// How many recent plates "Kenteken opzoeken" offers.
const RECENT_PLATES: u64 = 20;

/// The two tabs of "Kenteken opzoeken".
#[derive(Debug, Clone)]
pub struct PlateLookup {
    /// Favorieten.
    pub favorites: Vec<Favorite>,
    /// Recent geparkeerde kentekens (niet zijnde favorieten), newest first.
    pub recent: Vec<Plate>,
}

/// The favorites use cases.
#[derive(Clone)]
pub struct Favorites {
    repo: Arc<dyn FavoriteRepository>,
    products: Arc<dyn ParkingRepository>,
    clock: Arc<dyn crate::Clock>,
}

impl Favorites {
    /// On their ports: where favorites are kept, the products (whose they are) and the clock.
    pub fn new(
        repo: Arc<dyn FavoriteRepository>,
        products: Arc<dyn ParkingRepository>,
        clock: Arc<dyn crate::Clock>,
    ) -> Self {
        Self {
            repo,
            products,
            clock,
        }
    }

    async fn own(&self, account: &Account, product: ProductId) -> Result<bool, StoreError> {
        // Not for a product used through a mandate: favorites are the owner's.
        Ok(self
            .products
            .product_of(account.id, product)
            .await?
            .is_some_and(|v| v.mandate.is_none()))
    }

    /// The favorites of the resident's own `product`; `None` when it is not theirs.
    pub async fn of(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<Vec<Favorite>>, StoreError> {
        if !self.own(account, product).await? {
            return Ok(None);
        }
        self.repo.favorites(product).await.map(Some)
    }

    /// "Kenteken opzoeken": the favorites of `product` (none on a product used through a
    /// mandate: favorites are the owner's) and the plates parked with it lately that are not
    /// favorites, newest first; `None` when the product is not the resident's.
    pub async fn lookup(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<PlateLookup>, StoreError> {
        let Some(view) = self.products.product_of(account.id, product).await? else {
            return Ok(None);
        };
        let favorites = match view.mandate {
            None => self.repo.favorites(product).await?,
            Some(_) => Vec::new(),
        };
        let recent = self
            .products
            .recent_plates(account.id, product, RECENT_PLATES)
            .await?
            .into_iter()
            .filter(|p| !favorites.iter().any(|f| &f.plate == p))
            .collect();
        Ok(Some(PlateLookup { favorites, recent }))
    }

    /// [Sla op]: adds a favorite to the resident's own `product`.
    pub async fn add(
        &self,
        account: &Account,
        product: ProductId,
        plate: &Plate,
        name: &FavoriteName,
    ) -> Result<Added, StoreError> {
        if !self.own(account, product).await? {
            return Ok(Added::NotFound);
        }
        Ok(
            match self
                .repo
                .add_favorite(product, plate, name, self.clock.now())
                .await?
            {
                Some(favorite) => Added::Added(favorite),
                None => Added::Exists,
            },
        )
    }

    /// [Verwijder]: removes a favorite of the resident's own `product`; whether there was one.
    pub async fn remove(
        &self,
        account: &Account,
        product: ProductId,
        id: FavoriteId,
    ) -> Result<bool, StoreError> {
        if !self.own(account, product).await? {
            return Ok(false);
        }
        self.repo.remove_favorite(product, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_has_one_to_ten_characters() {
        assert_eq!(FavoriteName::parse("  Oma  ").unwrap().as_str(), "Oma");
        assert!(FavoriteName::parse("Schoonmaak").is_ok(), "ten");
        assert!(
            FavoriteName::parse("Éénentwin").is_ok(),
            "characters, not bytes"
        );
        for bad in ["", "   ", "Schoonmaakt", "a\tb"] {
            assert!(FavoriteName::parse(bad).is_err(), "{bad:?}");
        }
    }
}

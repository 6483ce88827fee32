//! "Instellingen": the language, the product to start with after login ("Start met product")
//! and the contrast scheme, kept with the account so that every device shows them after the next
//! login.

use crate::accounts::Account;
use crate::ids::{AccountId, ProductId};
use crate::parking::ProductAccess;
use crate::ports::StoreError;
use crate::tenant::Language;
use async_trait::async_trait;
use std::sync::Arc;

/// A contrast scheme: the colours of the gemeente's theme, or one of two fixed schemes for people
/// who need stronger contrast. Each passes WCAG AA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contrast {
    /// The gemeente's own theme.
    #[default]
    Theme,
    /// Dark text on a light background.
    Light,
    /// Light text on a dark background.
    Dark,
}

impl Contrast {
    /// All schemes, the default first.
    pub const ALL: [Contrast; 3] = [Contrast::Theme, Contrast::Light, Contrast::Dark];

    /// The stable name used in cookies, the `data-contrast` attribute and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Contrast::Theme => "theme",
            Contrast::Light => "light",
            Contrast::Dark => "dark",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What a resident set; `None` where they chose nothing (the gemeente's or browser's default,
/// the product last used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountSettings {
    /// The language.
    pub language: Option<Language>,
    /// The product that opens after login.
    pub start_product: Option<ProductId>,
    /// The contrast scheme.
    pub contrast: Option<Contrast>,
}

/// A change of some settings: `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SettingsChange {
    /// A new language.
    pub language: Option<Language>,
    /// A new start product, or `Some(None)` for "the product last used".
    pub start_product: Option<Option<ProductId>>,
    /// A new contrast scheme.
    pub contrast: Option<Contrast>,
}

/// Why settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The start product is not one of the resident's products.
    #[error("the start product is not the resident's")]
    NotYourProduct,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where settings are kept.
#[async_trait]
pub trait SettingsRepository: Send + Sync {
    /// The settings of `account` (all `None` for an unknown account).
    async fn settings(&self, account: AccountId) -> Result<AccountSettings, StoreError>;
    /// Stores the settings `change` names for `account` and leaves the others: two changes at
    /// once of different settings both hold.
    async fn change_settings(
        &self,
        account: AccountId,
        change: &SettingsChange,
    ) -> Result<(), StoreError>;
}

/// The settings use cases.
#[derive(Clone)]
pub struct Settings {
    repo: Arc<dyn SettingsRepository>,
    products: Arc<dyn ProductAccess>,
}

impl Settings {
    /// On their ports: where settings are kept, and the products (whose they are).
    pub fn new(repo: Arc<dyn SettingsRepository>, products: Arc<dyn ProductAccess>) -> Self {
        Self { repo, products }
    }

    /// The resident's settings; a start product that is no longer theirs reads as none.
    pub async fn of(&self, account: &Account) -> Result<AccountSettings, StoreError> {
        let mut settings = self.repo.settings(account.id).await?;
        if let Some(product) = settings.start_product
            && self
                .products
                .product_of(account.id, product)
                .await?
                .is_none()
        {
            settings.start_product = None;
        }
        Ok(settings)
    }

    /// Applies `change` and returns the settings as saved. A start product must be one of the
    /// resident's own products.
    pub async fn change(
        &self,
        account: &Account,
        change: SettingsChange,
    ) -> Result<AccountSettings, SettingsError> {
        if let Some(Some(product)) = change.start_product
            && self
                .products
                .product_of(account.id, product)
                .await?
                .is_none()
        {
            return Err(SettingsError::NotYourProduct);
        }
        self.repo.change_settings(account.id, &change).await?;
        Ok(self.of(account).await?)
    }
}

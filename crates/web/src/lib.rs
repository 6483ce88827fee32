//! The shared web kit of the portal and the admin console: application state, tenant resolution,
//! preferences (language, contrast), login sessions, CSRF and the limits on what a request may carry, mail templates, the translation catalogues, the minijinja environments with
//! theme overrides, error pages, request ids, metrics and the operational endpoints.
//!
//! It reaches data only through the domain's use cases and ports.

pub mod auth;
pub mod codes;
pub mod cookies;
pub mod csrf;
pub mod dates;
pub mod error;
pub mod format;
pub mod i18n;
pub mod inputs;
pub mod mail;
pub mod metrics;
pub mod observe;
pub mod ops;
pub mod page;
pub mod prefs;
pub mod site;
pub mod state;
pub mod templates;

pub use codes::ErrorCode;
pub use error::{ApiFailure, AppError};
pub use page::PageContext;
pub use prefs::{Contrast, Prefs};
pub use site::{Site, SiteEndpoint};
pub use state::{AppState, Services, WebSettings};

//! The shared web kit of the front ends (the resident portal, the staff console): what every one
//! of them needs and none of them owns. The gemeente directory and tenant resolution, preferences
//! (language, contrast), cookies, CSRF and the limits on what a request may carry, route kinds and
//! the error answers that follow from them, mail templates, the translation catalogues, the
//! minijinja environments with theme overrides, request ids, client addresses, metrics and the
//! operational endpoints. A front end mounts its own use cases, login and page frame on its own
//! route tree.
//!
//! It reaches data only through the domain's use cases and ports.

pub mod allow;
pub mod client;
pub mod codes;
pub mod cookies;
pub mod csrf;
pub mod dates;
pub mod error;
pub mod flash;
pub mod format;
pub mod i18n;
pub mod inputs;
pub mod kind;
pub mod mail;
pub mod metrics;
pub mod multipart;
pub mod observe;
pub mod ops;
pub mod page;
pub mod prefs;
pub mod refusals;
pub mod site;
pub mod state;
pub mod templates;

pub use codes::ErrorCode;
pub use error::{ApiFailure, AppError};
pub use kind::RouteKind;
pub use page::{FrameExtras, Page};
pub use prefs::{Contrast, Prefs};
pub use site::{Site, SiteEndpoint};
pub use state::{WebSettings, WebState};

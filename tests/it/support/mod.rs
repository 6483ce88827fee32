//! What the tests stand on: the application started in-process ([`TestApp`]), typed users
//! that send requests and get typed answers ([`Anonymous`], [`Resident`],
//! [`response::Response`]), a small HTML reader for forms, links and table rows
//! ([`html::Html`]), the SMTP sink ([`smtp`]) and the fake Mollie ([`fake_mollie`]).
//!
//! A new test starts the application, makes a user and asserts on what it gets back:
//!
//! ```ignore
//! let app = TestApp::spawn().await;
//! let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
//! let page = jan.page(&app, "/producten").await;           // logged in on first use, 200
//! let form = page.form("/producten/1/favorieten");         // by action
//! let resp = jan.submit(&app, &form, &[("naam", "Oma")]).await;
//! assert_eq!(resp.status(), 303);
//! ```

mod app;
pub mod fake_mollie;
pub mod html;
pub mod response;
pub mod schema;
pub mod smtp;
mod staff;
mod users;
pub mod zips;

pub use app::*;
pub use staff::{STAFF_PASSWORD, Staff, audit_entries, platform_admin, staff, staff_link};
pub use users::{
    Anonymous, Resident, accept_creating_account, at, ledger_holds, resident, resident_with,
};

//! Parkportal: the municipal parking portal for many Dutch gemeenten at once.
//!
//! This crate is the composition root: configuration, the command line, and the wiring of the
//! store (database) into the domain's ports and of those into the portal and admin web layers.
//! Only this crate knows `parkportal-store` and `parkportal-rules`.

pub mod api_keys_cli;
pub mod app;
pub mod archive;
pub mod bundle;
pub mod bundle_archives;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_mode;
pub mod demo_staff;
pub mod desk_config;
pub mod duration;
pub mod logging;
pub mod loket_config;
pub mod mandates_cli;
pub mod mollie;
pub mod passwords;
pub mod products_cli;
pub mod rule_errors;
pub mod rules_cli;
pub mod smtp;
pub mod staff_cli;
pub mod wiring;

pub use app::{Application, StartError};
pub use config::Config;

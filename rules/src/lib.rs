//! The rules of Parkportal: each gemeente's tariffs, charged by the default tariff plugin in the
//! model of the RDW open parking data, and (arriving next) a hardened rhai engine for the rule
//! scripts (top-up cap, end-of-day deactivation, allowed hours, mandates, concurrent sessions).
//! It implements the domain's rule port; only the composition root knows this crate.

pub mod engine;
pub mod hooks;
pub mod ruleset;
pub mod tariff;

pub use tariff::{Cost, Tariff, TariffError, TariffUnit};

//! The rules of Parkportal: a hardened rhai engine for each gemeente's rule scripts (top-up cap,
//! end-of-day deactivation, allowed hours, mandates, concurrent sessions, cost), the default tariff
//! plugin in the model of the RDW open parking data, and the decisions with reasons and
//! alternatives made from them. It implements the domain's rule ports; only the composition root
//! knows this crate.

pub mod book;
pub mod engine;
pub mod hooks;
pub mod port;
pub mod ruleset;
pub mod tariff;
pub mod validator;

pub use book::RuleBook;
pub use port::RuleBookPort;
pub use tariff::{CostBreakdown, Tariff, TariffError, TariffUnit};
pub use validator::Validator;

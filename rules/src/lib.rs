//! The rules of Parkportal: a hardened rhai engine that runs each gemeente's rule scripts (top-up
//! cap, end-of-day deactivation, allowed hours, mandates, concurrent sessions) and the default
//! tariff plugin in the model of the RDW open parking data. It implements the domain's rule port.
//!
//! The engine arrives with its own issue; nothing calls into this crate yet.

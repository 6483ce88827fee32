//! Parking sessions ("Parkeeracties") and the ledger behind a product's balance (DESIGN §4).
//!
//! A session is the half-open interval [start, end) of one plate in the product's zone; its state
//! follows from the clock. Starting or extending reserves its cost from the balance (that is the
//! charge; nothing is settled later); stopping early refunds the unused part and deleting a planned
//! session refunds all of it, at the prices the session was made with. Every write locks the
//! product row first and is one transaction, so the limits hold across instances and the balance
//! never goes below zero.

mod breakdown;
mod charging;
mod lists;
mod model;
mod plate_switch;
mod ports;
mod rules;
mod use_cases;

pub use breakdown::*;
pub(crate) use charging::held_verdict;
pub use charging::used_part;
pub use model::*;
pub use plate_switch::*;
pub use ports::*;
pub use rules::*;
pub use use_cases::*;

#[cfg(test)]
mod tests;

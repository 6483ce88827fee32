//! The staff console's ground: its own app under `/beheer`, enrolment by a one-time link, the
//! login with a second factor (wrong, replayed and recovery codes, the lock-out, the time-outs),
//! authorisation declared per route (the role matrix is generated from the route table) and the
//! audit trail every console POST and refusal leaves.

mod access;
mod audit_log;
mod bundles;
mod enrolment;
mod login;

use crate::support::{
    Anonymous, STAFF_PASSWORD, Staff, TestApp, audit_entries, platform_admin, resident, staff,
    staff_link, test_config,
};
use chrono::Duration;
use parkportal_admin::{Need, RouteKind};
use parkportal_domain::staff::Role;
use parkportal_domain::staff::totp::TotpSecret;

/// A console route's pattern as a path to request: in Dijkstad, with an enrolment token no link
/// has, below a gemeente a page that does not exist.
fn sample_path(pattern: &str) -> String {
    let path = format!(
        "/beheer{}",
        pattern
            .replace(":gemeente", "dijkstad")
            .replace(":slug", "dijkstad")
            .replace(":token", &"ab".repeat(32))
            .replace("*rest", "onbekend")
    );
    path.trim_end_matches('/').to_owned()
}

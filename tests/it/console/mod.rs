//! The staff console's ground: its own app under `/beheer`, enrolment by a one-time link, the
//! login with a second factor (wrong, replayed and recovery codes, the lock-out, the time-outs),
//! authorisation declared per route (the role matrix is generated from the route table) and the
//! audit trail every console POST and refusal leaves.

mod access;
mod audit_log;
mod bundles;
mod dashboard;
mod enrolment;
mod issue;
mod login;
mod staff_management;
mod suspension;

use crate::support::{
    Anonymous, STAFF_PASSWORD, Staff, TestApp, audit_entries, ledger_holds, platform_admin,
    resident, staff, staff_link, test_config,
};
use chrono::Duration;
use parkportal_admin::{Need, RouteKind};
use parkportal_domain::staff::Role;
use parkportal_domain::staff::totp::TotpSecret;

/// The product code of sample paths: no product has it.
const SAMPLE_CODE: &str = "ACDEF-GHJKM";

/// A postal address for letters.
fn a_recipient() -> parkportal_domain::Recipient {
    parkportal_domain::Recipient::parse(&parkportal_domain::RecipientInput {
        name: "J. de Vries",
        street: "Kerkstraat",
        house_number: "12",
        postcode: "1234 AB",
        city: "Dijkstad",
    })
    .unwrap()
}

/// A console route's pattern as a path to request: in Dijkstad (also where the platform's pages
/// name a gemeente), with an enrolment token no link has, staff member `staff` (to be
/// deactivated), below a gemeente a page that does not exist.
fn sample_path(pattern: &str, staff: i64) -> String {
    let path = format!(
        "/beheer{}",
        pattern
            .replace(":gemeente", "dijkstad")
            .replace(":slug", "dijkstad")
            .replace(":token", &"ab".repeat(32))
            .replace(":id", &staff.to_string())
            .replace(":actie", "deactiveren")
            .replace(":code", SAMPLE_CODE)
            .replace("*rest", "onbekend")
    );
    path.trim_end_matches('/').to_owned()
}

//! The staff console's ground: its own app under `/beheer`, enrolment by a one-time link, the
//! login with a second factor (wrong, replayed and recovery codes, the lock-out, the time-outs),
//! authorisation declared per route (the role matrix is generated from the route table) and the
//! audit trail every console POST and refusal leaves.

mod access;
mod api_keys;
mod audit_log;
mod batches;
mod bundles;
mod catalogue;
mod corrections;
mod dashboard;
mod enrolment;
mod help_desk;
mod help_desk_holding;
mod help_desk_refund;
mod issue;
mod login;
mod look_logo;
mod look_settings;
mod look_theme;
mod rules_console;
mod rules_schedule;
mod rules_tariff_form;
mod search;
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

/// A product of Dijkstad issued by letter to [`a_recipient`], as a medewerker issues it.
async fn lettered_product(app: &TestApp) -> parkportal_domain::coupling::Issued {
    app.app
        .as_ref()
        .unwrap()
        .state()
        .desk()
        .issue(parkportal_domain::coupling::IssueRequest {
            tenant: "dijkstad".into(),
            recipient: Some(a_recipient()),
            letter: true,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The code of product `id` as its letter prints it.
pub(super) async fn code_of(app: &TestApp, id: i64) -> String {
    let stored = app
        .sql_text(&format!("SELECT code FROM products WHERE id = {id}"))
        .await
        .unwrap();
    format!("{}-{}", &stored[..5], &stored[5..])
}

/// The newest audit entry of `action`.
pub(super) async fn newest(
    app: &TestApp,
    action: &str,
) -> parkportal_domain::audit::StoredAuditEntry {
    audit_entries(app)
        .await
        .into_iter()
        .find(|e| e.action == action)
        .unwrap_or_else(|| panic!("no {action} on the record"))
}

/// A console route's pattern as a path to request: in Dijkstad (also where the platform's pages
/// name a gemeente), with an enrolment token no link has, staff member `staff` (to be
/// deactivated), API key `key`, below a gemeente a page that does not exist.
fn sample_path(pattern: &str, staff: i64, key: i64) -> String {
    let path = format!(
        "/beheer{}",
        pattern
            .replace(":gemeente", "dijkstad")
            .replace(":slug", "dijkstad")
            .replace(":token", &"ab".repeat(32))
            .replace(":id", &staff.to_string())
            .replace(":sleutel", &key.to_string())
            .replace(":actie", "deactiveren")
            .replace(":code", SAMPLE_CODE)
            .replace(":type", "bezoekers")
            .replace(":soort", "script")
            .replace(":zone", "binnenstad")
            .replace(":versie", "1")
            .replace("*rest", "onbekend")
    );
    path.trim_end_matches('/').to_owned()
}

/// A key of gemeente `slug` named `name` with every scope, made as `parkportal api-keys create`
/// makes it: its id and the key.
async fn api_key(app: &TestApp, slug: &str, name: &str) -> (i64, String) {
    use parkportal_domain::api_keys::Scopes;
    use parkportal_domain::audit::{Actor, AuditEntry};
    let tenant = app.tenant(slug).await;
    let keys = app.app.as_ref().unwrap().api_keys();
    let entry = AuditEntry::new(Actor::Operator, "api_key.created", "cli", keys.now());
    let all = "products:issue,products:read,letters:read,config:write,applications:decide";
    let (key, secret) = keys
        .create(tenant.id, name, Scopes::parse(all).unwrap(), None, entry)
        .await
        .unwrap();
    (key.id.0, secret.expose())
}

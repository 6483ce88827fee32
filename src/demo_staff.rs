//! The demo's staff accounts: a platformbeheerder, and a medewerker and a beheerder for each demo
//! gemeente, enrolled through the same use cases as everyone (the link, the password, the
//! authenticator confirmed with a code of its secret). Their logins and TOTP secrets are printed
//! at the first start; an authenticator app or `oathtool --totp -b SECRET` gives the codes.

use crate::app::StartError;
use parkportal_admin::ConsoleServices;
use parkportal_domain::audit::Actor;
use parkportal_domain::staff::StaffPassword;
use parkportal_domain::staff::totp::{TotpSecret, step_of};
use parkportal_domain::staff::{Assignment, NewStaff, Role, StaffState};
use parkportal_domain::{Clock, EmailAddress, Tenant};

/// The demo staff's password (each account has its own address and TOTP secret).
pub const DEMO_STAFF_PASSWORD: &str = "demo-beheer-2026";

/// A demo staff account as printed.
#[derive(Debug, Clone)]
pub struct DemoStaff {
    /// The login.
    pub email: String,
    /// What they are, in words.
    pub what: String,
    /// The TOTP secret in base32.
    pub secret: String,
}

fn fail(what: &str, e: impl std::fmt::Display) -> StartError {
    StartError::Demo(format!("demo staff: {what}: {e}"))
}

/// Creates the demo staff for `tenants`.
pub async fn create(
    console: &ConsoleServices,
    tenants: &[Tenant],
    clock: &dyn Clock,
) -> Result<Vec<DemoStaff>, StartError> {
    let mut made = Vec::new();
    made.push(
        enrol(
            console,
            clock,
            "platform@demo.parkportal.nl",
            "Demo platformbeheerder",
            None,
        )
        .await?,
    );
    for tenant in tenants {
        for (role, who, title) in [
            (Role::Staff, "medewerker", "Demo medewerker"),
            (Role::TenantAdmin, "beheerder", "Demo beheerder"),
        ] {
            let email = format!("{who}.{}@demo.parkportal.nl", tenant.slug);
            let name = format!("{title} {}", tenant.name);
            let assignment = Assignment {
                tenant: tenant.id,
                role,
            };
            made.push(enrol(console, clock, &email, &name, Some(assignment)).await?);
        }
    }
    Ok(made)
}

async fn enrol(
    console: &ConsoleServices,
    clock: &dyn Clock,
    email: &str,
    name: &str,
    role: Option<Assignment>,
) -> Result<DemoStaff, StartError> {
    let address = EmailAddress::parse(email).map_err(|e| fail("address", e))?;
    let new = NewStaff {
        email: address,
        name: name.to_owned(),
        platform_admin: role.is_none(),
        role,
    };
    let link = console
        .enrolment
        .create(&new, Actor::Operator, "demo")
        .await
        .map_err(|e| fail("create", e))?;
    let password = StaffPassword::parse(DEMO_STAFF_PASSWORD, DEMO_STAFF_PASSWORD)
        .map_err(|e| fail("password", e))?;
    let chosen = console
        .enrolment
        .choose_password(&link.token, &password, "demo")
        .await
        .map_err(|e| fail("password", e))?;
    let StaffState::Pending(session) = console
        .auth
        .resume(&chosen.session, "demo")
        .await
        .map_err(|e| fail("session", e))?
    else {
        return Err(fail("session", "not at the enrolment"));
    };
    let secret: TotpSecret = console
        .enrolment
        .secret(&session)
        .await
        .map_err(|e| fail("secret", e))?;
    let code = secret.code_at(step_of(clock.now()));
    let enrolled = console
        .enrolment
        .confirm(&chosen.session, &session, &code, "demo")
        .await
        .map_err(|e| fail("confirm", e))?;
    let member = match console
        .auth
        .resume(&enrolled.session, "demo")
        .await
        .map_err(|e| fail("session", e))?
    {
        StaffState::Active(s) => s.member,
        _ => return Err(fail("session", "not logged in after the enrolment")),
    };
    console
        .auth
        .logout(&enrolled.session, &member, "demo")
        .await
        .map_err(|e| fail("logout", e))?;
    Ok(DemoStaff {
        email: email.to_owned(),
        what: name.to_owned(),
        secret: secret.to_base32(),
    })
}

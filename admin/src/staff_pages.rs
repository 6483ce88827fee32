//! Staff management in a gemeente's console (beheerders, and platformbeheerders in any
//! gemeente): the list of its medewerkers and beheerders, inviting one, a member's page with
//! their role, and the confirmed account actions (deactivate, reactivate, a new enrolment
//! link). Every action, and every refusal of one, is in the audit trail.

use crate::auth::client_of;
use crate::page::{ConsolePage, context_of, see_other};
use minijinja::{Value, context};
use parkportal_domain::EmailAddress;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::ids::StaffId;
use parkportal_domain::staff::{
    Invited, ManageError, Role, StaffAct, StaffListing, StaffManagement,
};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The longest name a staff member may be given.
const NAME_MAX: usize = 100;

/// What the pages after an action say happened (`?gedaan=`), and about which object (`&id=`).
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub(crate) gedaan: String,
    #[serde(default)]
    pub(crate) id: Option<i64>,
}

/// The invitation form.
#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    naam: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    rol: String,
}

/// The role form of a member's page: `staff`, `tenant_admin` or `geen`.
#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    rol: String,
}

/// Who acts, from the request.
fn act_of(page: &ConsolePage, req: &Request) -> Result<StaffAct, AppError> {
    let ctx = context_of(page)?;
    Ok(StaffAct {
        by: ctx.staff.clone(),
        tenant: ctx.tenant.id,
        role: ctx.role,
        origin: client_of(req),
    })
}

fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!(
        "/beheer/{}/medewerkers",
        context_of(page)?.tenant.slug
    ))
}

/// The staff id of a path; anything else is no member (404).
fn staff_id(raw: &str) -> Result<StaffId, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(StaffId)
        .ok_or(AppError::NotFound)
}

fn management(page: &ConsolePage) -> &StaffManagement {
    page.console.staff()
}

/// Records a refused action of `act` on `staff` for `reason`, in the gemeente.
async fn refuse(
    page: &ConsolePage,
    act: &StaffAct,
    action: &'static str,
    staff: Option<StaffId>,
    reason: &str,
) -> Result<(), AppError> {
    let now = page.console.web().clock().now();
    let mut entry = AuditEntry::new(Actor::of(&act.by), action, &act.origin, now)
        .within(Some(act.tenant), Some(act.role))
        .refused(reason);
    if let Some(staff) = staff {
        entry = entry.about("staff", staff);
    }
    page.console.auth().audit().record(&entry).await?;
    Ok(())
}

/// How far a member is, as a text key and its arguments.
fn state_of(page: &ConsolePage, l: &StaffListing) -> Result<String, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    let now = page.console.web().clock().now();
    Ok(if !l.member.active {
        page.t("console.staff.state_inactive")
    } else if l.enrolled {
        page.t("console.staff.state_active")
    } else {
        match l.link_expires_at.filter(|until| *until > now) {
            Some(until) => page.text(
                "console.staff.state_invited",
                &[(
                    "until",
                    until
                        .with_timezone(&tz)
                        .format("%d-%m-%Y %H:%M")
                        .to_string(),
                )],
            ),
            None => page.t("console.staff.state_expired"),
        }
    })
}

fn role_label(page: &ConsolePage, role: Role) -> String {
    page.t(&format!("console.roles.{}", role.as_str()))
}

fn row(page: &ConsolePage, l: &StaffListing) -> Result<Value, AppError> {
    let tenant = context_of(page)?.tenant.id;
    Ok(context! {
        id => l.member.id.0,
        name => l.member.name.clone(),
        email => l.member.email.to_string(),
        role => role_label(page, l.role),
        state => state_of(page, l)?,
        elsewhere => l.member.roles.iter().filter(|a| a.tenant != tenant).count(),
    })
}

/// The message of `?gedaan=` about member `l` (if still here).
fn done_message(page: &ConsolePage, done: &Done, l: Option<&StaffListing>) -> Option<String> {
    let name = || l.map(|l| l.member.name.clone()).unwrap_or_default();
    let key = match done.gedaan.as_str() {
        "uitgenodigd" => "console.staff.done_invited",
        "toegevoegd" => "console.staff.done_added",
        "rol" => "console.staff.done_role",
        "verwijderd" => return Some(page.t("console.staff.done_removed")),
        "ongewijzigd" => return Some(page.t("console.staff.done_unchanged")),
        "gedeactiveerd" => "console.staff.done_deactivated",
        "geactiveerd" => "console.staff.done_activated",
        "link" => "console.staff.done_link",
        _ => return None,
    };
    let l = l?;
    Some(page.text(
        key,
        &[
            ("name", name()),
            ("email", l.member.email.to_string()),
            ("role", role_label(page, l.role).to_lowercase()),
        ],
    ))
}

/// `GET /beheer/{gemeente}/medewerkers`: the gemeente's staff, by name.
#[handler]
pub async fn list(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    let tenant = context_of(&page)?.tenant.id;
    let members = found(management(&page).members(tenant).await)?;
    let rows = members
        .iter()
        .map(|l| row(&page, l))
        .collect::<Result<Vec<_>, _>>()?;
    let about = done
        .id
        .and_then(|id| members.iter().find(|l| l.member.id.0 == id));
    let message = done_message(&page, &done, about);
    page.render(
        "staff_list.html",
        StatusCode::OK,
        context! { rows => rows, base => base(&page)?, message => message },
    )
    .await
}

/// `GET /beheer/{gemeente}/medewerkers/uitnodigen`: the invitation form.
#[handler]
pub async fn invite_form(page: ConsolePage) -> Result<Response, AppError> {
    let form = context! { naam => "", email => "", rol => "staff" };
    page.render(
        "staff_invite.html",
        StatusCode::OK,
        context! { form => form, base => base(&page)?, errors => context! {} },
    )
    .await
}

/// `POST /beheer/{gemeente}/medewerkers/uitnodigen`: invites a new medewerker or beheerder
/// (an enrolment link by mail), or gives an existing account a role here.
#[handler]
pub async fn invite(
    page: ConsolePage,
    req: &Request,
    Form(f): Form<InviteForm>,
) -> Result<Response, AppError> {
    let act = act_of(&page, req)?;
    let name = f.naam.trim();
    let email = EmailAddress::parse(f.email.trim());
    let role = match f.rol.as_str() {
        "staff" => Some(Role::Staff),
        "tenant_admin" => Some(Role::TenantAdmin),
        _ => None,
    };
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(("naam", page.t("console.staff.error_name")));
    } else if name.chars().count() > NAME_MAX {
        errors.push(("naam", page.t("console.staff.error_name_long")));
    }
    if email.is_err() {
        errors.push(("email", page.t("console.staff.error_email")));
    }
    if role.is_none() {
        errors.push(("rol", page.t("console.staff.error_role")));
    }
    let outcome = match (email, role) {
        (Ok(email), Some(role)) if errors.is_empty() => {
            Some(management(&page).invite(&act, &email, name, role).await)
        }
        _ => None,
    };
    let reason = match outcome {
        Some(Ok(Invited::Account(link))) => {
            let to = format!("{}?gedaan=uitgenodigd&id={}", base(&page)?, link.staff.0);
            return Ok(see_other(&to));
        }
        Some(Ok(Invited::RoleAdded(staff))) => {
            let to = format!("{}?gedaan=toegevoegd&id={}", base(&page)?, staff.0);
            return Ok(see_other(&to));
        }
        Some(Err(ManageError::AlreadyHere)) => {
            errors.push(("email", page.t("console.staff.error_already_here")));
            "staff_already_here"
        }
        Some(Err(ManageError::AccountElsewhere)) => {
            errors.push(("email", page.t("console.staff.error_account_elsewhere")));
            "account_elsewhere"
        }
        Some(Err(e)) => return Err(AppError::internal(e)),
        None => "invalid_input",
    };
    refuse(&page, &act, "staff.invited", None, reason).await?;
    let errors: std::collections::BTreeMap<&str, String> = errors.into_iter().collect();
    let form = context! { naam => name, email => f.email.trim(), rol => f.rol };
    page.render(
        "staff_invite.html",
        StatusCode::UNPROCESSABLE_ENTITY,
        context! { form => form, base => base(&page)?, errors => errors },
    )
    .await
}

/// What a member's page shows of them, and what the viewer may do.
async fn member_values(
    page: &ConsolePage,
    act: &StaffAct,
    l: &StaffListing,
) -> Result<Value, AppError> {
    // Where else they work, by name, only for a platformbeheerder: a beheerder sees how many.
    let names: Vec<String> = if !act.by.platform_admin {
        Vec::new()
    } else {
        let tenants = page.console.web().tenants().list().await?;
        l.member
            .roles
            .iter()
            .filter(|a| a.tenant != act.tenant)
            .filter_map(|a| {
                tenants
                    .iter()
                    .find(|t| t.id == a.tenant)
                    .map(|t| format!("{} ({})", t.name, role_label(page, a.role).to_lowercase()))
            })
            .collect()
    };
    let own = l.member.id == act.by.id;
    Ok(context! {
        id => l.member.id.0,
        name => l.member.name.clone(),
        email => l.member.email.to_string(),
        role => l.role.as_str(),
        role_label => role_label(page, l.role),
        state => state_of(page, l)?,
        active => l.member.active,
        enrolled => l.enrolled,
        elsewhere => names,
        elsewhere_count => l.member.roles.iter().filter(|a| a.tenant != act.tenant).count(),
        own => own,
        may_change_account => !own && StaffManagement::may_change_account(act, &l.member),
    })
}

/// `GET /beheer/{gemeente}/medewerkers/{id}`: a member, their role and what can be done.
#[handler]
pub async fn member(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let act = act_of(&page, req)?;
    let l = found(management(&page).member(act.tenant, staff_id(&id)?).await)?;
    let message = done_message(&page, &done, Some(&l));
    let values = member_values(&page, &act, &l).await?;
    page.render(
        "staff_member.html",
        StatusCode::OK,
        context! { member => values, base => base(&page)?, message => message },
    )
    .await
}

/// A member lookup's answer: not here is the console's 404.
fn found<T>(r: Result<T, ManageError>) -> Result<T, AppError> {
    match r {
        Ok(v) => Ok(v),
        Err(ManageError::NotHere) => Err(AppError::NotFound),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// `POST /beheer/{gemeente}/medewerkers/{id}`: changes the member's role here, or takes it
/// away; effective at their next request.
#[handler]
pub async fn change_role(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<RoleForm>,
) -> Result<Response, AppError> {
    let act = act_of(&page, req)?;
    let Ok(staff) = staff_id(&id) else {
        refuse(&page, &act, "staff.role_changed", None, "not_found").await?;
        return Err(AppError::NotFound);
    };
    let role = match f.rol.as_str() {
        "staff" => Some(Role::Staff),
        "tenant_admin" => Some(Role::TenantAdmin),
        "geen" => None,
        _ => {
            refuse(
                &page,
                &act,
                "staff.role_changed",
                Some(staff),
                "invalid_input",
            )
            .await?;
            return member_refused(page, &act, staff, "console.staff.error_role").await;
        }
    };
    let back = format!("{}/{}", base(&page)?, staff.0);
    match management(&page).change_role(&act, staff, role).await {
        Ok(None) => {
            refuse(&page, &act, "staff.role_changed", Some(staff), "unchanged").await?;
            Ok(see_other(&format!("{back}?gedaan=ongewijzigd")))
        }
        Ok(Some(_)) if role.is_none() => {
            Ok(see_other(&format!("{}?gedaan=verwijderd", base(&page)?)))
        }
        Ok(Some(_)) => Ok(see_other(&format!("{back}?gedaan=rol"))),
        Err(ManageError::OwnAccount) => {
            refuse(
                &page,
                &act,
                "staff.role_changed",
                Some(staff),
                "own_account",
            )
            .await?;
            member_refused(page, &act, staff, "console.staff.error_own").await
        }
        Err(ManageError::AccountElsewhere) => {
            let reason = "account_elsewhere";
            refuse(&page, &act, "staff.role_changed", Some(staff), reason).await?;
            member_refused(page, &act, staff, "console.staff.error_elsewhere").await
        }
        Err(ManageError::NotHere) => {
            refuse(&page, &act, "staff.role_changed", Some(staff), "not_found").await?;
            Err(AppError::NotFound)
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The member's page again with the error of `key` (422).
async fn member_refused(
    page: ConsolePage,
    act: &StaffAct,
    staff: StaffId,
    key: &str,
) -> Result<Response, AppError> {
    let l = found(management(&page).member(act.tenant, staff).await)?;
    let values = member_values(&page, act, &l).await?;
    let error = page.t(key);
    page.render(
        "staff_member.html",
        StatusCode::UNPROCESSABLE_ENTITY,
        context! { member => values, base => base(&page)?, error => error },
    )
    .await
}

/// An account action that needs a confirmation.
#[derive(Debug, Clone, Copy)]
enum AccountAction {
    Deactivate,
    Reactivate,
    NewLink,
}

impl AccountAction {
    fn audit_action(self) -> &'static str {
        match self {
            Self::Deactivate => "staff.deactivated",
            Self::Reactivate => "staff.reactivated",
            Self::NewLink => "staff.second_factor_reset",
        }
    }

    /// The word of its path and of its texts.
    fn word(self) -> &'static str {
        match self {
            Self::Deactivate => "deactiveren",
            Self::Reactivate => "activeren",
            Self::NewLink => "tweede-factor",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Self::Deactivate => "gedeactiveerd",
            Self::Reactivate => "geactiveerd",
            Self::NewLink => "link",
        }
    }

    fn texts(self) -> &'static str {
        match self {
            Self::Deactivate => "console.staff.deactivate",
            Self::Reactivate => "console.staff.reactivate",
            Self::NewLink => "console.staff.new_link",
        }
    }
}

async fn confirm_page(
    page: ConsolePage,
    req: &Request,
    id: &str,
    action: AccountAction,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let act = act_of(&page, req)?;
    let l = found(management(&page).member(act.tenant, staff_id(id)?).await)?;
    let values = member_values(&page, &act, &l).await?;
    let texts = action.texts();
    page.render(
        "staff_confirm.html",
        status,
        context! {
            member => values, base => base(&page)?, word => action.word(), texts => texts,
            error => error,
        },
    )
    .await
}

async fn confirmed(
    page: ConsolePage,
    req: &Request,
    id: &str,
    action: AccountAction,
) -> Result<Response, AppError> {
    let act = act_of(&page, req)?;
    let Ok(staff) = staff_id(id) else {
        refuse(&page, &act, action.audit_action(), None, "not_found").await?;
        return Err(AppError::NotFound);
    };
    let m = management(&page);
    let result = match action {
        AccountAction::Deactivate => m.set_active(&act, staff, false).await,
        AccountAction::Reactivate => m.set_active(&act, staff, true).await,
        AccountAction::NewLink => m.reset_second_factor(&act, staff).await.map(|_| true),
    };
    let (reason, key) = match result {
        Ok(changed) => {
            if !changed {
                // It already was so (a second click): nothing changed, and that is recorded.
                refuse(&page, &act, action.audit_action(), Some(staff), "unchanged").await?;
            }
            let to = format!("{}/{}?gedaan={}", base(&page)?, staff.0, action.done());
            return Ok(see_other(&to));
        }
        Err(ManageError::OwnAccount) => ("own_account", "console.staff.error_own"),
        Err(ManageError::AccountElsewhere) => {
            ("account_elsewhere", "console.staff.error_elsewhere")
        }
        Err(ManageError::NotHere) => {
            refuse(&page, &act, action.audit_action(), Some(staff), "not_found").await?;
            return Err(AppError::NotFound);
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    refuse(&page, &act, action.audit_action(), Some(staff), reason).await?;
    let error = page.t(key);
    confirm_page(
        page,
        req,
        id,
        action,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(error),
    )
    .await
}

/// The action of a path word; any other word is no page (404).
fn action_of(word: &str) -> Result<AccountAction, AppError> {
    [
        AccountAction::Deactivate,
        AccountAction::Reactivate,
        AccountAction::NewLink,
    ]
    .into_iter()
    .find(|a| a.word() == word)
    .ok_or(AppError::NotFound)
}

/// `GET /beheer/{gemeente}/medewerkers/{id}/{deactiveren|activeren|tweede-factor}`: the
/// confirmation of an account action.
#[handler]
pub async fn account_form(
    page: ConsolePage,
    req: &Request,
    Path((_, id, word)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let action = action_of(&word)?;
    confirm_page(page, req, &id, action, StatusCode::OK, None).await
}

/// `POST /beheer/{gemeente}/medewerkers/{id}/{deactiveren|activeren|tweede-factor}`:
/// deactivates the account (its sessions end at once), reactivates it, or forgets its second
/// factor, ends its sessions and mails a new enrolment link.
#[handler]
pub async fn account(
    page: ConsolePage,
    req: &Request,
    Path((_, id, word)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let Ok(action) = action_of(&word) else {
        crate::refusals::record(&page.console, req, "staff.account", "not_found").await?;
        return Err(AppError::NotFound);
    };
    confirmed(page, req, &id, action).await
}

//! The help desk's actions on a product (every medewerker), each a page that says what will
//! happen and asks for the reason, and a POST that does it: a new PIN with a new letter, the
//! coupling mail sent again, the validity extended. A refusal comes back on the same page with
//! its reason and is on the record; another gemeente's product is a 404 throughout.

use crate::auth::client_of;
use crate::page::{ConsolePage, context_of, see_other};
use crate::product_page::{code_or_refused, last_day, moment, viewed, viewed_for_form};
use minijinja::{Value, context};
use parkportal_domain::audit::Actor;
use parkportal_domain::coupling::{DeskAct, DeskError, StaffProductView};
use parkportal_domain::{EmailAddress, ProductCode};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// An action's form as typed: the reason, and what the action takes besides.
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    reden: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    laatste_dag: String,
    #[serde(default)]
    kentekens: String,
}

/// The actions of this page, by the last word of their path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    NewPin,
    CouplingMail,
    Extend,
    Uncouple,
    Plates,
}

impl Action {
    /// The path word, also the key of its texts.
    fn slug(self) -> &'static str {
        match self {
            Self::NewPin => "nieuwe-pincode",
            Self::CouplingMail => "koppelmail",
            Self::Extend => "geldigheid",
            Self::Uncouple => "ontkoppelen",
            Self::Plates => "kentekens",
        }
    }

    /// The text group of the action.
    fn texts(self) -> &'static str {
        match self {
            Self::NewPin => "console.desk.new_pin",
            Self::CouplingMail => "console.desk.coupling_mail",
            Self::Extend => "console.desk.extend",
            Self::Uncouple => "console.desk.uncouple",
            Self::Plates => "console.desk.plates",
        }
    }

    /// The audit action of a refusal.
    fn audited(self) -> &'static str {
        match self {
            Self::NewPin => "product.new_pin",
            Self::CouplingMail => "product.coupling_mail",
            Self::Extend => "product.extended",
            Self::Uncouple => "product.uncoupled",
            Self::Plates => "product.plates_changed",
        }
    }

    /// Why the action cannot be taken on `p` at all (the page then offers no form).
    fn impossible(self, p: &StaffProductView) -> Option<&'static str> {
        match self {
            _ if p.status != "active" => Some("product_not_active"),
            Self::NewPin | Self::CouplingMail if p.coupled => Some("product_coupled"),
            Self::Uncouple if !p.coupled => Some("product_not_coupled"),
            Self::Plates if p.kind != parkportal_domain::ProductKind::Permit => {
                Some("not_a_permit")
            }
            _ => None,
        }
    }
}

/// A date as typed: the date field's 2027-12-31, or the 31-12-2027 people type in a text field.
pub(crate) fn parse_day(typed: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(typed.trim(), "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(typed.trim(), "%d-%m-%Y"))
        .ok()
}

/// Renders the page of `action` on `p`, with `form` as typed and `error` (field, message).
async fn render(
    page: &ConsolePage,
    status: StatusCode,
    action: Action,
    p: &StaffProductView,
    form: Value,
    error: Option<(&str, String)>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let tz = ctx.tenant.time_zone;
    let texts = action.texts();
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, p.code);
    let impossible = action
        .impossible(p)
        .map(|code| page.t(&format!("console.desk.refused.{code}")));
    let values = context! {
        base => base.clone(),
        action => format!("{base}/{}", action.slug()),
        kind => action.slug(),
        title => page.t(&format!("{texts}.title")),
        explain => page.t(&format!("{texts}.explain")),
        submit => page.t(&format!("{texts}.submit")),
        code => p.code.to_string(),
        type_name => p.product_type.1.clone(),
        holder => p.holder.as_ref().map(|h| h.name.clone()),
        last_day => last_day(tz, p.valid_until),
        impossible => impossible,
        form => form,
        error_field => error.as_ref().map(|(f, _)| f.to_string()),
        error => error.map(|(_, m)| m),
    };
    page.render("product_action.html", status, values).await
}

/// `GET /beheer/{gemeente}/producten/{code}/{action}`: what the action will do, and its form.
async fn form(
    page: ConsolePage,
    req: &Request,
    code: &str,
    action: Action,
) -> Result<Response, AppError> {
    let p = viewed_for_form(&page, req, code).await?;
    let tz = context_of(&page)?.tenant.time_zone;
    let suggested = match action {
        // A year on from the present last day, in the date field's own format.
        Action::Extend => (p.valid_until - chrono::Duration::seconds(1))
            .with_timezone(&tz)
            .date_naive()
            .checked_add_months(chrono::Months::new(12))
            .map(|d| d.format("%Y-%m-%d").to_string()),
        _ => None,
    };
    // The plates as they are, in the form's own notation (a foreign one after its country).
    let plates = p
        .plates
        .iter()
        .map(|plate| match plate.country().as_str() {
            "NL" => plate.to_string(),
            country => format!("{country}:{}", plate.normalised()),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let form = context! { laatste_dag => suggested, kentekens => plates };
    render(&page, StatusCode::OK, action, &p, form, None).await
}

/// The act of the medewerker on `code` with the form's reason.
fn act(
    page: &ConsolePage,
    req: &Request,
    code: ProductCode,
    f: &ActionForm,
) -> Result<DeskAct, AppError> {
    let ctx = context_of(page)?;
    Ok(DeskAct {
        tenant: ctx.tenant.slug.to_string(),
        code,
        actor: Actor::of(&ctx.staff),
        role: ctx.role,
        origin: client_of(req),
        reason: Some(f.reden.trim().to_owned()).filter(|r| !r.is_empty()),
    })
}

/// The product again for the page of a refusal of `action` for `reason`: that refusal is the
/// reading's record, about the product.
async fn refused(
    page: &ConsolePage,
    req: &Request,
    action: Action,
    code: &str,
    reason: &str,
) -> Result<StaffProductView, AppError> {
    let entry = page.entry(req, action.audited())?.refused(reason);
    let code = code_or_refused(page, code, &entry).await?;
    viewed(page, &code, &entry).await
}

/// The field a refusal of the use case belongs to.
fn field_of(code: &str) -> &'static str {
    match code {
        "valid_until_not_later" | "valid_until_too_far" => "laatste_dag",
        "reason_too_long" => "reden",
        "plates_missing" => "kentekens",
        _ => "algemeen",
    }
}

/// `POST /beheer/{gemeente}/producten/{code}/{action}`: carries the action out, or shows its
/// page again with what stood in the way.
async fn submit(
    page: ConsolePage,
    req: &Request,
    code: &str,
    action: Action,
    f: ActionForm,
) -> Result<Response, AppError> {
    // What is no code is the same 404 as another gemeente's code.
    let parsed = code_or_refused(&page, code, &page.entry(req, action.audited())?).await?;
    let act = act(&page, req, parsed, &f)?;
    let desk = page.console.desk();
    let typed = context! {
        reden => f.reden.clone(), email => f.email.clone(),
        laatste_dag => f.laatste_dag.clone(), kentekens => f.kentekens.clone(),
    };
    let outcome = match action {
        Action::NewPin => match desk.new_pin(&act).await {
            Ok(new) => return pin_page(&page, &new).await,
            Err(e) => Err(e),
        },
        Action::CouplingMail => match EmailAddress::parse(f.email.trim()) {
            Ok(email) => desk.resend_coupling(&act, &email).await,
            Err(_) => {
                return invalid(
                    &page,
                    req,
                    action,
                    code,
                    typed,
                    "email",
                    "console.issue.error_email",
                )
                .await;
            }
        },
        Action::Uncouple => desk.uncouple(&act).await,
        Action::Plates => match parkportal_domain::plate::Plate::parse_list(&f.kentekens) {
            Ok(plates) => desk.change_plates(&act, &plates).await,
            Err(_) => {
                return invalid(
                    &page,
                    req,
                    action,
                    code,
                    typed,
                    "kentekens",
                    "console.desk.plates.error",
                )
                .await;
            }
        },
        Action::Extend => match parse_day(&f.laatste_dag) {
            Some(day) => desk.extend(&act, day).await,
            None => {
                return invalid(
                    &page,
                    req,
                    action,
                    code,
                    typed,
                    "laatste_dag",
                    "console.desk.error_day",
                )
                .await;
            }
        },
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "/beheer/{}/producten/{}?gedaan={}",
            context_of(&page)?.tenant.slug,
            act.code,
            action.slug()
        ))),
        Err(DeskError::NotFound) => {
            refused(&page, req, action, code, "not_found").await?;
            Err(AppError::NotFound)
        }
        Err(e) => match e.code() {
            Some(reason) => {
                let p = refused(&page, req, action, code, reason).await?;
                let message = page.t(&format!("console.desk.refused.{reason}"));
                let status = match reason {
                    "product_coupled"
                    | "product_not_active"
                    | "product_not_coupled"
                    | "sessions_live"
                    | "not_a_permit" => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                render(
                    &page,
                    status,
                    action,
                    &p,
                    typed,
                    Some((field_of(reason), message)),
                )
                .await
            }
            None => Err(AppError::internal(e)),
        },
    }
}

/// The page again with a field that did not read, that refusal on the record.
async fn invalid(
    page: &ConsolePage,
    req: &Request,
    action: Action,
    code: &str,
    typed: Value,
    field: &str,
    key: &str,
) -> Result<Response, AppError> {
    let p = refused(page, req, action, code, "invalid_input").await?;
    let message = page.t(key);
    render(
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        action,
        &p,
        typed,
        Some((field, message)),
    )
    .await
}

/// The answer to a new PIN: the PIN, this once, and the new letter while it is kept.
async fn pin_page(
    page: &ConsolePage,
    new: &parkportal_domain::coupling::NewPin,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let tz = ctx.tenant.time_zone;
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, new.code);
    let values = context! {
        base => base.clone(),
        code => new.code.to_string(),
        pin => new.pin.expose(),
        letter_url => new.letter.as_ref().map(|_| format!("{base}/brief.pdf")),
        kept_until => new.letter.as_ref().map(|(_, until)| moment(tz, *until)),
    };
    page.render("product_pin.html", StatusCode::CREATED, values)
        .await
}

macro_rules! action_routes {
    ($(($get:ident, $post:ident, $action:expr)),* $(,)?) => {$(
        /// The action's page (see [`form`]).
        #[handler]
        pub async fn $get(
            page: ConsolePage,
            req: &Request,
            Path((_, code)): Path<(String, String)>,
        ) -> Result<Response, AppError> {
            form(page, req, &code, $action).await
        }

        /// The action carried out (see [`submit`]).
        #[handler]
        pub async fn $post(
            page: ConsolePage,
            req: &Request,
            Path((_, code)): Path<(String, String)>,
            Form(f): Form<ActionForm>,
        ) -> Result<Response, AppError> {
            submit(page, req, &code, $action, f).await
        }
    )*};
}

action_routes!(
    (new_pin_form, new_pin, Action::NewPin),
    (coupling_mail_form, coupling_mail, Action::CouplingMail),
    (extend_form, extend, Action::Extend),
    (uncouple_form, uncouple, Action::Uncouple),
    (plates_form, plates_change, Action::Plates),
);

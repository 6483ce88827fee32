//! "Machtiging(en)" of the chosen own product: the list with whether each was accepted, a new
//! mandate (e-mail address, optionally one plate, an amount of the balance, [Bewaar]) and
//! [Intrekken] after confirmation.

use crate::input::{GiveMandate, typed_amount};
use crate::page::{PageContext, ResidentPage};
use crate::products::product_header;
use crate::refusal_texts;
use minijinja::{Value, context};
use parkportal_domain::mandates::{GiveOutcome, Mandate, MandateStatus, Refusal};
use parkportal_domain::parking::ProductView;
use parkportal_domain::plate::Plate;
use parkportal_domain::{BalanceUnit, MandateId, ProductId};
use parkportal_web::AppError;
use parkportal_web::flash::Flash;
use parkportal_web::format::{amount, exact_amount};
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// A mandate's values on a page.
fn mandate_values(page: &PageContext, product: &ProductView, m: &Mandate) -> Value {
    let lang = page.prefs.language;
    context! {
        id => m.id.0,
        email => m.email.as_str(),
        plate => m.plate.as_ref().map(Plate::display),
        balance => (!m.imported).then(|| amount(product.unit, product.unit.from_smallest(m.balance), lang)),
        accepted => m.status == MandateStatus::Accepted,
        revoke_href => page.site.link(&format!(
            "/producten/{}/machtigingen/{}/intrekken",
            product.id.0, m.id.0
        )),
    }
}

/// The form of a new mandate.
#[derive(Debug, Default, Deserialize)]
pub struct MandateForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    kenteken: String,
    land: Option<String>,
    #[serde(default)]
    bedrag: String,
}

async fn render(
    page: &mut PageContext,
    id: i64,
    form: &MandateForm,
    error: Option<(&str, String)>,
) -> Result<Response, AppError> {
    let account = page.account.clone().ok_or(AppError::NotFound)?;
    let (product, given) = page
        .state
        .mandates()
        .list(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    page.show_product(&product).await?;
    let page = &*page;
    let available = page
        .state
        .mandates()
        .available(&product)
        .await
        .map_err(AppError::internal)?;
    let items: Vec<Value> = given
        .iter()
        .map(|m| mandate_values(page, &product, m))
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (field, message) = match error {
        Some((field, message)) => (Some(field), Some(message)),
        None => (None, None),
    };
    let amount_label = match product.unit {
        BalanceUnit::Money => "mandates.amount_money",
        BalanceUnit::Minutes => "mandates.amount_minutes",
        _ => "mandates.amount_sessions",
    };
    Ok(page
        .render(
            "mandates.html",
            context! {
                product => product_header(page, &product),
                mandates => items,
                unavailable => available.err().map(|r| page.t(&refusal_texts::mandate(r))),
                action => page.site.link(&format!("/producten/{id}/machtigingen")),
                email => form.email.clone(),
                kenteken => form.kenteken.clone(),
                land => form.land.clone().unwrap_or_else(|| "NL".into()),
                bedrag => form.bedrag.clone(),
                amount_label => page.t(amount_label),
                // Next to a field in the balance's unit: minutes as minutes.
                balance => exact_amount(product.unit, product.balance_amount(), page.prefs.language),
                error_field => field,
                error => message,
            },
        )?
        .with_status(status)
        .into_response())
}

/// `GET /producten/{id}/machtigingen`.
#[handler]
pub async fn list(
    Path(id): Path<i64>,
    ResidentPage { mut page, account }: ResidentPage,
) -> Result<Response, AppError> {
    page.state
        .parking()
        .choose(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?;
    render(&mut page, id, &MandateForm::default(), None).await
}

/// `POST /producten/{id}/machtigingen`: [Bewaar].
#[handler]
pub async fn give(
    Path(id): Path<i64>,
    Form(f): Form<MandateForm>,
    ResidentPage { mut page, account }: ResidentPage,
) -> Result<Response, AppError> {
    let typed = GiveMandate::parse(
        &f.email,
        Some(&f.kenteken),
        f.land.as_deref(),
        typed_amount(&f.bedrag),
    );
    let GiveMandate {
        email,
        plate,
        amount: bedrag,
    } = match typed {
        Ok(given) => given,
        Err(e) => {
            let message = page.t(e.code.message_key());
            return render(&mut page, id, &f, Some((e.field, message))).await;
        }
    };
    let outcome = page
        .state
        .mandates()
        .give(&account, ProductId(id), &email, plate, bedrag)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    match outcome {
        GiveOutcome::Given(m) => {
            // The balance as it now is: what the mandate took has left it.
            let product = page
                .state
                .parking()
                .product(&account, ProductId(id))
                .await
                .map_err(AppError::internal)?
                .ok_or(AppError::NotFound)?;
            let balance = amount(product.unit, product.balance_amount(), page.prefs.language);
            let said = Flash::ok(
                page.text("mandates.saved", &[("email", m.email.to_string())]),
                Some(page.text("mandates.new_balance", &[("balance", balance)])),
            );
            let to = page.site.link(&format!("/producten/{id}/machtigingen"));
            Ok(page.see_other_saying(&to, &said))
        }
        GiveOutcome::Refused(refusal) => {
            let field = match refusal {
                Refusal::InsufficientBalance | Refusal::AmountInvalid => "bedrag",
                Refusal::OwnAddress | Refusal::Exists => "email",
                _ => "",
            };
            let message = page.t(&refusal_texts::mandate(refusal));
            render(&mut page, id, &f, Some((field, message))).await
        }
    }
}

/// The mandate `mid` of the account's own product `id`, or 404.
async fn own_mandate(
    page: &mut PageContext,
    id: i64,
    mid: i64,
) -> Result<(ProductView, Mandate), AppError> {
    let account = page.account.clone().ok_or(AppError::NotFound)?;
    let (product, given) = page
        .state
        .mandates()
        .list(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    let mandate = given
        .into_iter()
        .find(|m| m.id == MandateId(mid))
        .ok_or(AppError::NotFound)?;
    page.show_product(&product).await?;
    Ok((product, mandate))
}

/// `GET /producten/{id}/machtigingen/{mid}/intrekken`: [Intrekken] asks first.
#[handler]
pub async fn revoke_confirm(
    Path((id, mid)): Path<(i64, i64)>,
    ResidentPage { mut page, .. }: ResidentPage,
) -> Result<Response, AppError> {
    let (product, mandate) = own_mandate(&mut page, id, mid).await?;
    Ok(page
        .render(
            "mandate_revoke.html",
            context! {
                product => product_header(&page, &product),
                mandate => mandate_values(&page, &product, &mandate),
                action => page.site.link(&format!("/producten/{id}/machtigingen/{mid}/intrekken")),
                back_href => page.site.link(&format!("/producten/{id}/machtigingen")),
            },
        )?
        .into_response())
}

/// `POST /producten/{id}/machtigingen/{mid}/intrekken`: revokes the mandate.
#[handler]
pub async fn revoke(
    Path((id, mid)): Path<(i64, i64)>,
    ResidentPage { mut page, account }: ResidentPage,
) -> Result<Response, AppError> {
    let (product, mandate) = own_mandate(&mut page, id, mid).await?;
    let back = page
        .state
        .mandates()
        .revoke(&account, ProductId(id), MandateId(mid))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    let back = (back > 0 && product.unit != BalanceUnit::None).then(|| {
        let back = amount(
            product.unit,
            product.unit.from_smallest(back),
            page.prefs.language,
        );
        page.text("done.refund", &[("amount", back)])
    });
    let said = Flash::ok(
        page.text("mandates.revoked", &[("email", mandate.email.to_string())]),
        back,
    );
    let to = page.site.link(&format!("/producten/{id}/machtigingen"));
    Ok(page.see_other_saying(&to, &said))
}

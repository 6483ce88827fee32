//! "Favorieten" of the chosen own product: the list with its count, [Sla op] for a new one
//! (plate and a name of at most 10 characters) and [Verwijder] after confirmation.

use crate::input::AddFavorite;
use crate::page::{PageContext, ProductPage, ResidentPage};
use crate::products::{header_values, own_card};
use minijinja::{Value, context};
use parkportal_domain::favorites::{Added, Favorite, FavoriteName};
use parkportal_domain::parking::ProductCard;
use parkportal_domain::{FavoriteId, ProductId};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// A favorite's values on a page.
pub(crate) fn favorite_values(f: &Favorite) -> Value {
    context! {
        id => f.id.0,
        name => f.name.as_str(),
        plate => f.plate.display(),
    }
}

/// The form of a new favorite.
#[derive(Debug, Default, Deserialize)]
pub struct FavoriteForm {
    #[serde(default)]
    kenteken: String,
    land: Option<String>,
    #[serde(default)]
    naam: String,
}

async fn render(
    page: &PageContext,
    card: &ProductCard,
    form: &FavoriteForm,
    error: Option<(&str, String)>,
) -> Result<Response, AppError> {
    let account = page.account.clone().ok_or(AppError::NotFound)?;
    let id = card.product.id;
    let favorites: Vec<Value> = page
        .state
        .favorites()
        .of(&account, id)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?
        .iter()
        .map(|f| {
            let href = page.site.link(&format!(
                "/producten/{}/favorieten/{}/verwijderen",
                id.0, f.id.0
            ));
            context! { ..favorite_values(f), ..context! { delete_href => href } }
        })
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
    Ok(page
        .render(
            "favorites.html",
            context! {
                product => header_values(page, card),
                favorites => favorites,
                action => page.site.link(&format!("/producten/{}/favorieten", id.0)),
                kenteken => form.kenteken.clone(),
                land => form.land.clone().unwrap_or_else(|| "NL".into()),
                naam => form.naam.clone(),
                error_field => field,
                error => message,
                max => FavoriteName::MAX_CHARS,
            },
        )?
        .with_status(status)
        .into_response())
}

/// `GET /producten/{id}/favorieten`.
#[handler]
pub async fn list(mut page: PageContext, Path(id): Path<i64>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let card = own_card(&mut page, &account, ProductId(id)).await?;
    page.state
        .parking()
        .choose(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?;
    render(&page, &card, &FavoriteForm::default(), None).await
}

/// `POST /producten/{id}/favorieten`: [Sla op].
#[handler]
pub async fn add(
    Path(id): Path<i64>,
    Form(f): Form<FavoriteForm>,
    ProductPage {
        mut page,
        account,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    let AddFavorite { plate, name } =
        match AddFavorite::parse(&f.kenteken, f.land.as_deref(), &f.naam) {
            Ok(favorite) => favorite,
            Err(e) => {
                let message = page.t(e.code.message_key());
                return render(&page, &card, &f, Some((e.field, message))).await;
            }
        };
    match page
        .state
        .favorites()
        .add(&account, ProductId(id), &plate, &name)
        .await
        .map_err(AppError::internal)?
    {
        Added::Added(_) => {
            let said = page.done("done.favorite_saved", &[("name", name.as_str().to_owned())]);
            let to = page.site.link(&format!("/producten/{id}/favorieten"));
            Ok(page.see_other_saying(&to, &said))
        }
        Added::Exists => {
            let message = page.t("favorites.exists");
            render(&page, &card, &f, Some(("kenteken", message))).await
        }
        Added::NotFound => Err(AppError::NotFound),
    }
}

/// The favorite `fid` of the resident's own product `id`, or 404.
async fn own_favorite(
    page: &mut PageContext,
    id: i64,
    fid: i64,
) -> Result<(ProductCard, Favorite), AppError> {
    let account = page.account.clone().ok_or(AppError::NotFound)?;
    let card = own_card(page, &account, ProductId(id)).await?;
    let favorite = page
        .state
        .favorites()
        .of(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?
        .unwrap_or_default()
        .into_iter()
        .find(|f| f.id == FavoriteId(fid))
        .ok_or(AppError::NotFound)?;
    Ok((card, favorite))
}

/// `GET /producten/{id}/favorieten/{fid}/verwijderen`: [Verwijder] asks first.
#[handler]
pub async fn delete_confirm(
    Path((id, fid)): Path<(i64, i64)>,
    ResidentPage { mut page, .. }: ResidentPage,
) -> Result<Response, AppError> {
    let (card, favorite) = own_favorite(&mut page, id, fid).await?;
    Ok(page
        .render(
            "favorite_delete.html",
            context! {
                product => header_values(&page, &card),
                favorite => favorite_values(&favorite),
                action => page.site.link(&format!("/producten/{id}/favorieten/{fid}/verwijderen")),
                back_href => page.site.link(&format!("/producten/{id}/favorieten")),
            },
        )?
        .into_response())
}

/// `POST /producten/{id}/favorieten/{fid}/verwijderen`: removes the favorite.
#[handler]
pub async fn delete(
    Path((id, fid)): Path<(i64, i64)>,
    ResidentPage { mut page, account }: ResidentPage,
) -> Result<Response, AppError> {
    let (_, favorite) = own_favorite(&mut page, id, fid).await?;
    if !page
        .state
        .favorites()
        .remove(&account, ProductId(id), FavoriteId(fid))
        .await
        .map_err(AppError::internal)?
    {
        return Err(AppError::NotFound);
    }
    let said = page.done(
        "done.favorite_deleted",
        &[("name", favorite.name.as_str().to_owned())],
    );
    let to = page.site.link(&format!("/producten/{id}/favorieten"));
    Ok(page.see_other_saying(&to, &said))
}

//! "Favorieten" in the JSON API: `GET|POST /v1/products/{id}/favorites` and
//! `DELETE /v1/products/{id}/favorites/{fid}`, for own products only.

use super::BearerToken;
use super::refusals::{Failure, declare};
use super::{Caller, failure};
use crate::input::AddFavorite;
use parkportal_domain::favorites::{Added, Favorite};
use parkportal_domain::{FavoriteId, ProductId};
use parkportal_web::ErrorCode;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

/// The favorites endpoints.
pub struct FavoritesApi;

/// A favorite.
#[derive(Debug, Object)]
pub struct FavoriteItem {
    /// Its id.
    pub id: i64,
    /// The plate as written.
    pub plate: String,
    /// The plate's country.
    pub country: String,
    /// The name (at most 10 characters).
    pub name: String,
}

/// The favorites of a product.
#[derive(Debug, Object)]
pub struct FavoriteList {
    /// By name.
    pub items: Vec<FavoriteItem>,
}

/// A new favorite.
#[derive(Debug, Object)]
pub struct NewFavorite {
    /// The plate.
    pub plate: String,
    /// The plate's country (two letters); NL when left out.
    #[oai(nullable)]
    pub country: Option<String>,
    /// The name: 1 to 10 characters.
    pub name: String,
}

/// A favorite was added.
#[derive(ApiResponse)]
pub enum FavoriteCreated {
    /// Added.
    #[oai(status = 201)]
    Created(Json<FavoriteItem>),
}

/// A favorite was removed.
#[derive(ApiResponse)]
pub enum Removed {
    /// Removed.
    #[oai(status = 204)]
    NoContent,
}

fn item(f: &Favorite) -> FavoriteItem {
    FavoriteItem {
        id: f.id.0,
        plate: f.plate.display(),
        country: f.plate.country().as_str().to_owned(),
        name: f.name.as_str().to_owned(),
    }
}

declare!(ListRefusals [bearer] { 404 => [NotFound] });
declare!(AddRefusals [bearer, body, once] {
    404 => [NotFound],
    422 => [CountryInvalid, PlateInvalid, NameInvalid, FavoriteExists],
});
declare!(RemoveRefusals [bearer] { 404 => [NotFound] });
declare!(RecentRefusals [bearer] { 404 => [NotFound] });

/// A plate parked with the product lately.
#[derive(Debug, Object)]
pub struct RecentPlate {
    /// The plate as written.
    pub plate: String,
    /// The plate's country.
    pub country: String,
}

/// "Recent geparkeerde kentekens (niet zijnde favorieten)".
#[derive(Debug, Object)]
pub struct RecentPlates {
    /// The latest first.
    pub items: Vec<RecentPlate>,
}

#[OpenApi]
impl FavoritesApi {
    /// The favorites of an own product.
    #[oai(path = "/v1/products/:id/favorites", method = "get")]
    async fn list(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
    ) -> Result<Json<FavoriteList>, Failure<ListRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let favorites = caller
            .state
            .favorites()
            .of(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        Ok(Json(FavoriteList {
            items: favorites.iter().map(item).collect(),
        }))
    }

    /// [Sla op]: a plate with a name of at most 10 characters (422 `name_invalid`); a plate the
    /// product has as a favorite already is 422 `favorite_exists`.
    #[oai(path = "/v1/products/:id/favorites", method = "post")]
    async fn add(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        body: Json<NewFavorite>,
    ) -> Result<FavoriteCreated, Failure<AddRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let invalid = |code| caller.fail(StatusCode::UNPROCESSABLE_ENTITY, code);
        let AddFavorite { plate, name } =
            AddFavorite::parse(&body.plate, body.country.as_deref(), &body.name)
                .map_err(|e| invalid(e.code))?;
        match caller
            .state
            .favorites()
            .add(&account, ProductId(id.0), &plate, &name)
            .await
            .map_err(failure::internal)?
        {
            Added::Added(f) => Ok(FavoriteCreated::Created(Json(item(&f)))),
            Added::Exists => Err(invalid(ErrorCode::FavoriteExists).into()),
            Added::NotFound => Err(caller.not_found().into()),
        }
    }

    /// "Kenteken opzoeken", its second tab: the plates parked with the product lately that are
    /// not favorites (the first tab is the favorites). Also for a product used through a
    /// mandate, which has no favorites.
    #[oai(path = "/v1/products/:id/recent-plates", method = "get")]
    async fn recent(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
    ) -> Result<Json<RecentPlates>, Failure<RecentRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let lookup = caller
            .state
            .favorites()
            .lookup(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        Ok(Json(RecentPlates {
            items: lookup
                .recent
                .iter()
                .map(|p| RecentPlate {
                    plate: p.display(),
                    country: p.country().as_str().to_owned(),
                })
                .collect(),
        }))
    }

    /// [Verwijder]: removes a favorite of an own product.
    #[oai(path = "/v1/products/:id/favorites/:fid", method = "delete")]
    async fn remove(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        fid: Path<i64>,
    ) -> Result<Removed, Failure<RemoveRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        if caller
            .state
            .favorites()
            .remove(&account, ProductId(id.0), FavoriteId(fid.0))
            .await
            .map_err(failure::internal)?
        {
            Ok(Removed::NoContent)
        } else {
            Err(caller.not_found().into())
        }
    }
}

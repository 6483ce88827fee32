//! The help desk's search (every medewerker): a gemeente's products found by code, e-mail
//! address, plate, postcode or name, a page at a time, newest first. Every search that runs is
//! on the record with the ids it returned; an empty one runs not at all.

use crate::page::{ConsolePage, context_of};
use minijinja::{Value, context};
use parkportal_domain::search::{ProductHit, SearchKind, SearchQuery};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The search form, as the query string carries it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    soort: String,
    #[serde(default)]
    zoek: String,
    pagina: Option<u64>,
}

impl SearchForm {
    /// The kind asked for; a name by default (what a resident at the counter says first).
    fn kind(&self) -> SearchKind {
        SearchKind::parse(self.soort.trim()).unwrap_or(SearchKind::Name)
    }

    /// The query string of this search's page `page`.
    fn link(&self, page: u64) -> String {
        [
            ("soort", self.kind().as_str().to_owned()),
            ("zoek", self.zoek.trim().to_owned()),
            ("pagina", page.to_string()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", parkportal_web::page::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// A hit as the result table shows it.
fn row(page: &ConsolePage, hit: &ProductHit) -> Result<Value, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    let place = [hit.holder_postcode.as_deref(), hit.holder_city.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(context! {
        code => hit.code.to_string(),
        product_type => hit.product_type.clone(),
        holder => hit.holder_name.clone().unwrap_or_default(),
        place => place,
        status => page.t(&format!("console.search.status.{}", status_key(page, hit))),
        valid_until => hit.valid_until.with_timezone(&tz).format("%d-%m-%Y").to_string(),
        coupled => page.t(if hit.coupled { "console.search.coupled_yes" } else { "console.search.coupled_no" }),
    })
}

/// The text key of a product's state: active, expired (past its last valid moment), or
/// another its status names.
fn status_key(page: &ConsolePage, hit: &ProductHit) -> &'static str {
    match hit.status.as_str() {
        "active" if hit.valid_until <= page.console.web().clock().now() => "expired",
        "active" => "active",
        "blocked" => "revoked",
        _ => "other",
    }
}

/// `GET /beheer/{gemeente}/producten`: the search form and, when a term was typed, a page of
/// the products it finds (20, newest first), or the form again with what is wrong with it.
#[handler]
pub async fn search(
    page: ConsolePage,
    req: &Request,
    Query(form): Query<SearchForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let kind = form.kind();
    let kinds: Vec<Value> = SearchKind::ALL
        .iter()
        .map(|k| {
            context! {
                value => k.as_str(),
                text => page.t(&format!("console.search.kind.{}", k.as_str())),
                selected => *k == kind,
            }
        })
        .collect();
    let base = format!("/beheer/{}/producten", ctx.tenant.slug);
    let shown = context! { soort => kind.as_str(), zoek => form.zoek.trim() };
    let query = match SearchQuery::parse(kind, &form.zoek) {
        Ok(query) => query,
        Err(e) => {
            let values = context! {
                base => base, kinds => kinds, form => shown,
                error => page.t(&format!("console.search.error.{}", e.code())),
            };
            return page
                .render("search.html", StatusCode::UNPROCESSABLE_ENTITY, values)
                .await;
        }
    };
    let Some(query) = query else {
        let values = context! { base => base, kinds => kinds, form => shown };
        return page.render("search.html", StatusCode::OK, values).await;
    };
    let number = form.pagina.unwrap_or(1).max(1);
    let entry = page.entry(req, "product.search")?;
    let found = page
        .console
        .search()
        .search(ctx.tenant.id, &query, number, entry)
        .await?;
    let rows: Vec<Value> = found
        .hits
        .iter()
        .map(|h| row(&page, h))
        .collect::<Result<_, _>>()?;
    let previous = (number > 1).then(|| form.link(number - 1));
    let next = found.more.then(|| form.link(number + 1));
    let values = context! {
        base => base, kinds => kinds, form => shown, rows => rows,
        page_number => number, previous => previous, next => next,
    };
    page.render("search.html", StatusCode::OK, values).await
}

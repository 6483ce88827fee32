//! The resident side of Parkportal: the pages residents see (in Dutch and English, in their
//! gemeente's theme) and the resident JSON API under `/api/v1`, described by `/api/openapi.json`.
//!
//! Handlers are thin: they extract, call a domain use case through the portal's state, and
//! render. The portal mounts its own state, resident login and page frame on its own route tree
//! ([`routes`]); the web kit gives it what every front end shares.

mod all_sessions;
mod api;
mod assets;
mod auth;
mod checkout;
mod coupling;
mod demo;
mod done;
mod favorites;
mod history;
mod input;
mod login;
mod loket;
mod mandates;
mod once;
mod own_data;
mod page;
mod pages;
mod password_reset;
mod plate_lookup;
mod plate_switch;
mod preferences;
mod products;
mod refusal_texts;
mod session_check;
mod session_extend;
mod session_new;
mod sessions;
mod settings;
mod state;
mod top_up;

pub use auth::{REMEMBER_COOKIE, SESSION_COOKIE};
pub use parkportal_web::RouteKind;
pub use state::{Portal, Services};

use parkportal_web::csrf::{CheckCsrf, IssueCsrf};
use parkportal_web::inputs::InputGuard;
use parkportal_web::kind::{Serve, UNMATCHED, not_found};
use parkportal_web::site::SiteResolver;
use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Response, Route, get, post};

type Table = Vec<(&'static str, RouteKind, BoxEndpoint<'static, Response>)>;

fn table() -> Table {
    fn ep<E: IntoEndpoint>(e: E) -> poem::endpoint::BoxEndpoint<'static, Response>
    where
        E::Endpoint: 'static,
    {
        e.into_endpoint().map_to_response().boxed()
    }
    let api = api::service();
    let spec = api.spec_endpoint();
    let allowed = std::sync::Arc::new(api::AllowedMethods::of_spec(&api.spec()));
    // Swagger UI is one self-contained page (its script and styles inline, nothing fetched from
    // elsewhere), so it gets a policy of its own that allows inline code on this path only.
    let docs = api
        .swagger_ui()
        .with(poem::middleware::SetHeader::new().overriding(
        poem::http::header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ));
    vec![
        ("/", RouteKind::Page, ep(get(pages::home))),
        ("/menu", RouteKind::Page, ep(get(pages::menu))),
        ("/over", RouteKind::Page, ep(get(pages::about))),
        (
            "/toegankelijkheid",
            RouteKind::Page,
            ep(get(pages::accessibility)),
        ),
        (
            "/inloggen",
            RouteKind::Page,
            ep(get(login::form).post(login::submit_email)),
        ),
        (
            "/inloggen/wachtwoord",
            RouteKind::Page,
            ep(get(login::password_form).post(login::submit_password)),
        ),
        ("/uitloggen", RouteKind::Redirect, ep(post(login::logout))),
        (
            "/wachtwoord-vergeten",
            RouteKind::Page,
            ep(get(password_reset::form).post(password_reset::request)),
        ),
        (
            "/wachtwoord-herstellen/:token",
            RouteKind::Page,
            ep(get(password_reset::new_password).post(password_reset::change)),
        ),
        (
            "/koppel/:token",
            RouteKind::Page,
            ep(get(coupling::show).post(coupling::accept)),
        ),
        // The digitaal loket: applying for a product, its status, "Mijn aanvragen".
        ("/aanvragen", RouteKind::Page, ep(get(loket::list))),
        (
            "/aanvragen/:type",
            RouteKind::Page,
            ep(get(loket::form_page).post(loket::submit)),
        ),
        (
            "/aanvragen/status/:token",
            RouteKind::Page,
            ep(get(loket::status_page).post(loket::answer)),
        ),
        ("/mijn-aanvragen", RouteKind::Page, ep(get(loket::mine))),
        ("/producten", RouteKind::Page, ep(get(products::all))),
        (
            "/parkeeracties",
            RouteKind::Page,
            ep(get(all_sessions::list)),
        ),
        (
            "/producten/toevoegen",
            RouteKind::Page,
            ep(get(products::claim_form).post(products::claim)),
        ),
        (
            "/producten/:id",
            RouteKind::Redirect,
            ep(get(products::choose)),
        ),
        (
            "/producten/:id/parkeeracties",
            RouteKind::Page,
            ep(get(sessions::list)),
        ),
        (
            "/producten/:id/parkeeracties/nieuw",
            RouteKind::Page,
            ep(get(session_new::new_form).post(session_new::new_submit)),
        ),
        (
            "/producten/:id/favorieten",
            RouteKind::Page,
            ep(get(favorites::list).post(favorites::add)),
        ),
        (
            "/producten/:id/favorieten/:fid/verwijderen",
            RouteKind::Page,
            ep(get(favorites::delete_confirm).post(favorites::delete)),
        ),
        (
            "/producten/:id/opwaarderen",
            RouteKind::Page,
            ep(get(top_up::show).post(top_up::pay)),
        ),
        (
            "/producten/:id/opwaarderen/:payment",
            RouteKind::Page,
            ep(get(top_up::result)),
        ),
        (
            "/betalen/simulatie/:id",
            RouteKind::Page,
            ep(get(checkout::show).post(checkout::choose)),
        ),
        (
            "/producten/:id/machtigingen",
            RouteKind::Page,
            ep(get(mandates::list).post(mandates::give)),
        ),
        (
            "/producten/:id/machtigingen/:mid/intrekken",
            RouteKind::Page,
            ep(get(mandates::revoke_confirm).post(mandates::revoke)),
        ),
        (
            "/producten/:id/historie",
            RouteKind::Page,
            ep(get(history::show)),
        ),
        (
            "/producten/:id/kentekenswitch",
            RouteKind::Page,
            ep(get(plate_switch::show).post(plate_switch::select)),
        ),
        (
            "/producten/:id/kentekens",
            RouteKind::Page,
            ep(get(plate_lookup::plates)),
        ),
        (
            "/parkeeracties/:id/beeindigen",
            RouteKind::Page,
            ep(get(sessions::end_confirm).post(sessions::finish)),
        ),
        (
            "/parkeeracties/:id/verlengen",
            RouteKind::Page,
            ep(get(session_extend::extend_form).post(session_extend::extend)),
        ),
        (
            "/instellingen",
            RouteKind::Page,
            ep(get(settings::form).post(settings::save)),
        ),
        (
            "/instellingen/mijn-gegevens",
            RouteKind::Download,
            ep(get(own_data::download)),
        ),
        (
            "/instellingen/account-verwijderen",
            RouteKind::Page,
            ep(get(own_data::delete_confirm).post(own_data::delete)),
        ),
        (
            "/account-verwijderd",
            RouteKind::Page,
            ep(get(own_data::deleted)),
        ),
        ("/demo/outbox", RouteKind::Page, ep(get(demo::outbox))),
        ("/demo/outbox/:id", RouteKind::Page, ep(get(demo::mail))),
        ("/taal", RouteKind::Redirect, ep(get(preferences::language))),
        (
            "/contrast",
            RouteKind::Redirect,
            ep(get(preferences::contrast)),
        ),
        ("/theme.css", RouteKind::Asset, ep(get(assets::theme_css))),
        ("/logo", RouteKind::Asset, ep(get(assets::logo))),
        ("/api/openapi.json", RouteKind::Api, ep(spec)),
        ("/api/docs", RouteKind::Api, ep(docs)),
        (
            "/api",
            RouteKind::Api,
            ep(api
                .around(once::api)
                .around(move |next, req| api::allow_methods(allowed.clone(), next, req))),
        ),
    ]
}

/// `ep` as a route of `kind`: its input limited and its errors answered in that kind; a route
/// that takes forms also resumes a remembered login and issues and checks the CSRF token (after
/// the limit: the check reads the form).
fn mount(kind: RouteKind, ep: BoxEndpoint<'static, Response>) -> BoxEndpoint<'static, Response> {
    if kind.takes_forms() {
        ep.with(CheckCsrf)
            .with(InputGuard)
            .with(Serve(kind))
            .with(IssueCsrf)
            .with(auth::Remembered)
            .boxed()
    } else {
        ep.with(InputGuard).with(Serve(kind)).boxed()
    }
}

/// The portal's route tree on `portal`, to be nested at `/` by the composition root: the
/// gemeente of each request resolved, the resident's login, and every route mounted in its kind
/// (a path no route matches is a page: the themed 404).
pub fn routes(portal: Portal) -> impl Endpoint<Output = Response> {
    // Two patterns, since a catch-all right after `/` would also take `/` itself.
    let unmatched = UNMATCHED
        .iter()
        .map(|path| (*path, RouteKind::Page, not_found().boxed()));
    let secure = portal.settings().secure_cookies();
    table()
        .into_iter()
        .chain(unmatched)
        .fold(Route::new(), |route, (path, kind, endpoint)| {
            let endpoint = mount(kind, endpoint);
            match kind {
                RouteKind::Api if matches!(path, "/api" | "/api/docs") => {
                    route.nest(path, endpoint)
                }
                _ => route.at(path, endpoint),
            }
        })
        .with(auth::Authenticate::new(portal.clone()))
        .around(move |next, req| parkportal_web::flash::consume(next, req, secure))
        .data(portal.clone())
        .with(SiteResolver::new(portal.web().clone()))
}

/// Every route of the portal with what it serves, for the browser checks' coverage rule.
pub fn route_list() -> Vec<(&'static str, RouteKind)> {
    table()
        .into_iter()
        .map(|(path, kind, _)| (path, kind))
        .collect()
}

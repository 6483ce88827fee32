//! The staff console of Parkportal under `/beheer`: the pages with which gemeente staff and
//! administrators work and platform administrators run the platform.
//!
//! It mounts its own route tree with its own state ([`Console`]), its own login
//! ([`auth::StaffAuthenticate`]: password and a second factor, its own cookie), its own look
//! (`themes/admin/`, never a gemeente's theme) and texts, and shares the web kit with the
//! portal; the two never import each other. Every route declares what it needs where it is
//! mounted ([`access::Need`]); the route table cannot hold a route without one.

pub mod access;
pub mod api;
mod api_keys;
mod applications;
mod audit_log;
pub mod auth;
mod batches;
mod catalogue_shared;
mod catalogue_types;
mod catalogue_zones;
mod corrections;
mod csv;
mod dashboard;
mod desk_actions;
mod desk_sessions;
mod enrol;
pub mod gemeenten;
mod home;
mod issue;
mod login;
mod look;
mod look_logo;
mod look_settings;
mod look_shared;
mod look_theme;
mod page;
mod payer_refund;
mod period;
mod prefs;
mod product_page;
mod qr;
mod refusals;
mod revoke;
mod rule_errors;
mod rules_dry_run;
mod rules_dry_run_application;
mod rules_pages;
mod rules_tariff_form;
mod rules_versions;
mod search;
mod staff_pages;
mod state;
mod suspension;

pub use access::{Need, StaffContext};
pub use gemeenten::{BundleArchives, BundleProblem};
pub use parkportal_web::RouteKind;
pub use state::{Console, ConsoleServices};

use access::Require;
use parkportal_domain::staff::Role;
use parkportal_web::AppError;
use parkportal_web::csrf::{CheckCsrf, IssueCsrf};
use parkportal_web::inputs::{BodyLimit, InputGuard};
use parkportal_web::kind::{Serve, not_found};
use parkportal_web::page::PageLook;
use poem::endpoint::{BoxEndpoint, StaticFilesEndpoint};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Response, Route, get, post};
use std::path::Path;

/// One route of the console: its path under `/beheer`, what it serves, what it needs.
struct Mounted {
    path: &'static str,
    kind: RouteKind,
    need: Need,
    endpoint: BoxEndpoint<'static, Response>,
    /// A body limit of its own (an upload), instead of `server.body_limit_kib`.
    body_limit: Option<usize>,
    /// Whether a platformbeheerder's reading leaves no `console.visit` (see [`Mounted::quiet`]).
    quiet: bool,
}

impl Mounted {
    /// The same route, taking bodies of up to `bytes`.
    fn accepting(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// The same route, its readings by a platformbeheerder not recorded as visits: for figures
    /// without personal data that a page's script polls, or a stylesheet a page loads (the
    /// page's own visit is recorded).
    fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }
}

fn ep<E: IntoEndpoint>(e: E) -> BoxEndpoint<'static, Response>
where
    E::Endpoint: 'static,
{
    e.into_endpoint().map_to_response().boxed()
}

/// A route: nothing is mounted without its [`Need`].
fn route(
    path: &'static str,
    kind: RouteKind,
    need: Need,
    endpoint: BoxEndpoint<'static, Response>,
) -> Mounted {
    Mounted {
        path,
        kind,
        need,
        endpoint,
        body_limit: None,
        quiet: false,
    }
}

fn table(static_dir: &Path) -> Vec<Mounted> {
    // Every refusal of a file is the console's 404: it names no path and tells nothing of the
    // disk.
    let files = StaticFilesEndpoint::new(static_dir).around(|files, req| async move {
        match files.call(req).await {
            Ok(resp) => Ok(resp.into_response()),
            Err(_) => Err(poem::Error::from(AppError::NotFound)),
        }
    });
    vec![
        route("/", RouteKind::Page, Need::Signed, ep(get(home::choose))),
        route(
            "/inloggen",
            RouteKind::Page,
            Need::Anyone,
            ep(get(login::form).post(login::submit_password)),
        ),
        route(
            "/inloggen/code",
            RouteKind::Page,
            Need::Anyone,
            ep(get(login::code_form).post(login::submit_code)),
        ),
        route(
            "/uitloggen",
            RouteKind::Redirect,
            Need::Anyone,
            ep(post(login::logout)),
        ),
        route(
            "/inschrijven/:token",
            RouteKind::Page,
            Need::Anyone,
            ep(get(enrol::password_form).post(enrol::choose_password)),
        ),
        route(
            "/tweede-factor",
            RouteKind::Page,
            Need::Anyone,
            ep(get(enrol::app_form).post(enrol::confirm)),
        ),
        route(
            "/taal",
            RouteKind::Redirect,
            Need::Anyone,
            ep(get(prefs::language)),
        ),
        route(
            "/platform",
            RouteKind::Page,
            Need::Platform,
            ep(get(home::platform)),
        ),
        route(
            "/platform/auditlog",
            RouteKind::Page,
            Need::Platform,
            ep(get(audit_log::platform_page)),
        ),
        route(
            "/platform/auditlog.csv",
            RouteKind::Download,
            Need::Platform,
            ep(get(audit_log::platform_csv)),
        ),
        // Suspending and resuming a gemeente (the platform's list links to both).
        route(
            "/platform/gemeenten/:slug/schorsen",
            RouteKind::Page,
            Need::Platform,
            ep(get(suspension::suspend_form).post(suspension::suspend)),
        ),
        route(
            "/platform/gemeenten/:slug/hervatten",
            RouteKind::Page,
            Need::Platform,
            ep(get(suspension::resume_form).post(suspension::resume)),
        ),
        // Gemeenten made, uploaded and downloaded as a whole (the platform's bundles).
        route(
            "/platform/gemeenten/nieuw",
            RouteKind::Page,
            Need::Platform,
            ep(get(gemeenten::new::form).post(gemeenten::new::submit)),
        ),
        route(
            "/platform/gemeenten/uploaden",
            RouteKind::Page,
            Need::Platform,
            ep(get(gemeenten::upload::form).post(gemeenten::upload::submit)),
        )
        .accepting(gemeenten::UPLOAD_LIMIT),
        route(
            "/platform/gemeenten/:slug/bundel.tar.gz",
            RouteKind::Download,
            Need::Platform,
            ep(get(gemeenten::download::bundle)),
        ),
        route(
            "/:gemeente",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(home::gemeente)),
        ),
        route(
            "/:gemeente/auditlog",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(audit_log::gemeente_page)),
        ),
        route(
            "/:gemeente/auditlog.csv",
            RouteKind::Download,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(audit_log::gemeente_csv)),
        ),
        // Staff management: a gemeente's beheerders (and platformbeheerders) manage its staff.
        route(
            "/:gemeente/medewerkers",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(staff_pages::list)),
        ),
        route(
            "/:gemeente/medewerkers/uitnodigen",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(staff_pages::invite_form).post(staff_pages::invite)),
        ),
        route(
            "/:gemeente/medewerkers/:id",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(staff_pages::member).post(staff_pages::change_role)),
        ),
        route(
            "/:gemeente/medewerkers/:id/:actie",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(staff_pages::account_form).post(staff_pages::account)),
        ),
        // Issuing a product with its allocation letter: every medewerker.
        route(
            "/:gemeente/producten/uitgeven",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(issue::issue_form).post(issue::issue)),
        ),
        route(
            "/:gemeente/producten/:code/brief.pdf",
            RouteKind::Download,
            Need::Gemeente(Role::Staff),
            ep(get(issue::kept_letter)),
        ),
        // The digitaal loket's queue and decisions (every medewerker).
        route(
            "/:gemeente/aanvragen",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(applications::queue)),
        ),
        route(
            "/:gemeente/aanvragen/:id",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(applications::show).post(applications::decide)),
        ),
        // The help desk's search of the gemeente's products (every medewerker).
        route(
            "/:gemeente/producten",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(search::search)),
        ),
        // The help desk's product page and its actions (every medewerker).
        route(
            "/:gemeente/producten/:code",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(product_page::show)),
        ),
        route(
            "/:gemeente/producten/:code/nieuwe-pincode",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(desk_actions::new_pin_form).post(desk_actions::new_pin)),
        ),
        route(
            "/:gemeente/producten/:code/koppelmail",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(desk_actions::coupling_mail_form).post(desk_actions::coupling_mail)),
        ),
        route(
            "/:gemeente/producten/:code/ontkoppelen",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(desk_actions::uncouple_form).post(desk_actions::uncouple)),
        ),
        route(
            "/:gemeente/producten/:code/kentekens",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(desk_actions::plates_form).post(desk_actions::plates_change)),
        ),
        route(
            "/:gemeente/producten/:code/geldigheid",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(desk_actions::extend_form).post(desk_actions::extend)),
        ),
        route(
            "/:gemeente/producten/:code/parkeeracties/:sessie/stoppen",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(desk_sessions::stop_form).post(desk_sessions::stop)),
        ),
        route(
            "/:gemeente/producten/:code/intrekken",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(revoke::revoke_form).post(revoke::revoke)),
        ),
        route(
            "/:gemeente/producten/:code/terugbetalen",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(payer_refund::refund_form).post(payer_refund::refund)),
        ),
        // Balance corrections, above the limit with a second medewerker's approval.
        route(
            "/:gemeente/producten/:code/saldo",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(corrections::correction_form).post(corrections::propose)),
        ),
        route(
            "/:gemeente/correcties",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(corrections::waiting)),
        ),
        route(
            "/:gemeente/correcties/:correctie",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(corrections::show).post(corrections::decide)),
        ),
        // Letter batches: a spreadsheet of recipients issued as one job, its progress, report
        // and PDF (every medewerker, as issuing one product is).
        route(
            "/:gemeente/brieven",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(batches::list).post(batches::upload)),
        )
        .accepting(batches::UPLOAD_LIMIT),
        route(
            "/:gemeente/brieven/voorbeeld.csv",
            RouteKind::Download,
            Need::Gemeente(Role::Staff),
            ep(get(batches::sample)),
        ),
        route(
            "/:gemeente/brieven/:batch",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(batches::batch::show)),
        ),
        route(
            "/:gemeente/brieven/:batch/voortgang",
            RouteKind::Api,
            Need::Gemeente(Role::Staff),
            ep(get(batches::batch::progress)),
        )
        .quiet(),
        route(
            "/:gemeente/brieven/:batch/rapport.csv",
            RouteKind::Download,
            Need::Gemeente(Role::Staff),
            ep(get(batches::batch::report)),
        ),
        route(
            "/:gemeente/brieven/:batch/brieven.pdf",
            RouteKind::Download,
            Need::Gemeente(Role::Staff),
            ep(get(batches::batch::letters)),
        ),
        // The gemeente's keys for the admin API: made, listed and revoked by its beheerders.
        route(
            "/:gemeente/api-sleutels",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(api_keys::list).post(api_keys::create)),
        ),
        route(
            "/:gemeente/api-sleutels/:sleutel/intrekken",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(api_keys::revoke_form).post(api_keys::revoke)),
        ),
        // The rules console: each product type's script and tariff, checked, priced and
        // saved as versions by the gemeente's beheerders.
        route(
            "/:gemeente/regels",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rules_pages::list)),
        ),
        route(
            "/:gemeente/regels/uitproberen",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rules_dry_run::show).post(rules_dry_run::submit)),
        ),
        route(
            "/:gemeente/regels/aanvraag-uitproberen",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rules_dry_run_application::show).post(rules_dry_run_application::submit)),
        ),
        route(
            "/:gemeente/regels/:type/:soort",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rules_pages::editor).post(rules_pages::submit)),
        )
        .accepting(rules_pages::FORM_LIMIT),
        route(
            "/:gemeente/regels/:type/:soort/versies/:versie",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rules_versions::version).post(rules_versions::restore)),
        ),
        route(
            "/:gemeente/regels/:type/tarief/formulier",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rules_tariff_form::show).post(rules_tariff_form::submit)),
        ),
        route(
            "/:gemeente/regels/:type/:soort/verschil",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rules_versions::compare)),
        ),
        // Look and catalogue: the gemeente's settings, logo and theme, for its beheerders.
        route(
            "/:gemeente/instellingen",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(look_settings::form).post(look_settings::submit)),
        ),
        route(
            "/:gemeente/logo",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(look_logo::form).post(look_logo::upload)),
        )
        .accepting(look_logo::FORM_LIMIT),
        route(
            "/:gemeente/thema",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(look_theme::form).post(look_theme::submit)),
        )
        .accepting(look_theme::FORM_LIMIT),
        route(
            "/:gemeente/thema/voorbeeld",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(look_theme::preview_page)),
        ),
        route(
            "/:gemeente/thema/voorbeeld.css",
            RouteKind::Download,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(look_theme::preview_stylesheet)),
        )
        // A stylesheet the page loads: the page's own visit is recorded.
        .quiet(),
        route(
            "/:gemeente/thema/voorbeeld-pagina.css",
            RouteKind::Download,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(look_theme::preview_page_stylesheet)),
        )
        // A stylesheet the page loads: the page's own visit is recorded.
        .quiet(),
        route(
            "/:gemeente/thema/tokens.json",
            RouteKind::Download,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(look_theme::download)),
        ),
        // The catalogue: zones and product types, for the gemeente's beheerders.
        route(
            "/:gemeente/zones",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(catalogue_zones::list)),
        ),
        route(
            "/:gemeente/zones/nieuw",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(catalogue_zones::new_form).post(catalogue_zones::create)),
        ),
        route(
            "/:gemeente/zones/:zone",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(catalogue_zones::edit_form).post(catalogue_zones::submit)),
        ),
        route(
            "/:gemeente/producttypen",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(catalogue_types::list)),
        ),
        route(
            "/:gemeente/producttypen/nieuw",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(catalogue_types::new_form).post(catalogue_types::create)),
        ),
        route(
            "/:gemeente/producttypen/:type",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(catalogue_types::edit_form).post(catalogue_types::submit)),
        ),
        // The dashboard's pages (its figures are the gemeente's home above): the rule errors.
        route(
            "/:gemeente/regelfouten",
            RouteKind::Page,
            Need::Gemeente(Role::TenantAdmin),
            ep(get(rule_errors::list)),
        ),
        // A prefix: the files below it (see `routes`).
        route("/static", RouteKind::Asset, Need::Anyone, ep(files)),
        // Any other path below a gemeente is the console's 404, for the same visitors its home
        // is open to.
        route(
            "/:gemeente/*rest",
            RouteKind::Page,
            Need::Gemeente(Role::Staff),
            ep(get(not_found())),
        ),
    ]
}

/// `endpoint` as a route of `kind` that needs `need`: its input limited, its errors answered in
/// that kind, and a route that takes forms issues and checks the CSRF token.
fn mount(console: &Console, m: Mounted) -> BoxEndpoint<'static, Response> {
    let guarded = m
        .endpoint
        .with(Require::new(m.need, console.clone()).quiet(m.quiet));
    if m.kind.takes_forms() {
        // A POST refused before its route's check (the CSRF token, the input's limits) is
        // recorded by `AuditUnreached`; from `Require` on, the check or the use case records.
        let read = guarded
            .with(refusals::MarkReached)
            .with(CheckCsrf)
            .with(InputGuard);
        let read = match m.body_limit {
            Some(limit) => read.with(BodyLimit(limit)).boxed(),
            None => read.boxed(),
        };
        read.with(refusals::AuditUnreached::new(console.clone()))
            .with(Serve(m.kind))
            .with(IssueCsrf)
            .boxed()
    } else {
        guarded.with(InputGuard).with(Serve(m.kind)).boxed()
    }
}

/// The console's route tree on `console`, to be nested at `/beheer` by the composition root.
pub fn routes(console: Console) -> impl Endpoint<Output = Response> {
    let (files, pages): (Vec<Mounted>, Vec<Mounted>) = table(console.static_dir())
        .into_iter()
        .partition(|m| m.kind == RouteKind::Asset);
    let pages = pages
        .into_iter()
        .fold(Route::new(), |route, m| {
            let path = m.path;
            route.at(path, mount(&console, m))
        })
        .with(auth::StaffAuthenticate::new(console.clone()));
    // Files are served below their prefix (which the endpoint strips), without a look at the
    // session: a stylesheet is no activity of a login.
    files
        .into_iter()
        .fold(Route::new(), |route, m| {
            let path = m.path;
            route.nest(path, mount(&console, m))
        })
        .nest("/", pages)
        .data(PageLook(console.look().clone()))
        .data(console)
}

/// Every route of the console with what it serves and what it needs, for the role matrix and
/// the browser checks.
pub fn route_list() -> Vec<(&'static str, RouteKind, Need)> {
    table(Path::new(""))
        .into_iter()
        .map(|m| (m.path, m.kind, m.need))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_the_console_paths_is_reserved_as_a_gemeente_slug() {
        for (path, _, _) in route_list() {
            let first = path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            if first.is_empty() || first.starts_with(':') {
                continue;
            }
            assert!(
                parkportal_domain::tenant::RESERVED_SLUGS.contains(&first),
                "{first} (of {path}) could be a gemeente's slug"
            );
            assert!(parkportal_domain::TenantSlug::parse(first).is_err());
        }
    }

    #[test]
    fn every_route_declares_its_need_and_gemeente_routes_take_the_gemeente_from_the_path() {
        for (path, _, need) in route_list() {
            if let Need::Gemeente(_) = need {
                assert!(path.starts_with("/:gemeente"), "{path}");
            }
            if path.starts_with("/:gemeente") {
                assert!(matches!(need, Need::Gemeente(_)), "{path}");
            }
        }
    }
}

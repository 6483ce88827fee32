//! The list of pages the browser checks visit (`pages.toml`) and the rule that every portal route
//! is either listed or excluded with a reason.

pub mod fixtures;

use serde::Deserialize;

/// `pages.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageList {
    /// Window widths in CSS pixels.
    pub widths: Vec<u32>,
    /// Paths checked in every demo gemeente's theme and every contrast scheme.
    pub frame_paths: Vec<String>,
    /// Contrast schemes.
    pub contrasts: Vec<String>,
    /// The pages.
    #[serde(rename = "page")]
    pub pages: Vec<Page>,
    /// Routes that are not pages.
    #[serde(rename = "exclude", default)]
    pub excludes: Vec<Exclude>,
}

/// One page to check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The route.
    pub path: String,
    /// The URL to load, when not `path`.
    pub visit: Option<String>,
    /// Who must be logged in.
    pub login: String,
    /// The data the page needs.
    pub fixture: String,
    /// The expected status.
    #[serde(default = "ok")]
    pub status: u16,
    /// A button to press after loading (CSS selector): the page checked is the one its form
    /// leads to (a POST's answer, such as the cost of a new session).
    pub submit: Option<String>,
}

fn ok() -> u16 {
    200
}

impl Page {
    /// The URL path to load.
    pub fn url_path(&self) -> &str {
        self.visit.as_deref().unwrap_or(&self.path)
    }
}

/// A route that is not a page, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclude {
    /// The route.
    pub path: String,
    /// Why it is not checked.
    pub reason: String,
}

/// The widths the walkthroughs run at: a small phone and a desktop.
pub const WALK_WIDTHS: [u32; 2] = [320, 1280];

/// `walks.toml`: scripted walkthroughs of the resident's main tasks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkList {
    /// The walks, in the order they run (each may build on the one before).
    #[serde(rename = "walk")]
    pub walks: Vec<Walk>,
}

/// One task, walked as a resident does it: page after page, each checked with axe-core.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Walk {
    /// Its name (the screenshots' and failures' label).
    pub name: String,
    /// The steps.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// One step: optionally open a page, fill and tick what the resident fills and ticks, press a
/// button or link, then find what the resident must see.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A path to open first (`{walk_product}`, `{walk_permit}` and the fixtures' placeholders).
    pub visit: Option<String>,
    /// Fields to fill, by name.
    #[serde(default)]
    pub fill: std::collections::BTreeMap<String, String>,
    /// What to open first when it is shown (a `<summary>` a phone folds actions under).
    pub reveal: Option<String>,
    /// A link to follow (the first visible one the selector finds).
    pub follow: Option<String>,
    /// Radio buttons or boxes to tick (CSS selectors).
    #[serde(default)]
    pub check: Vec<String>,
    /// A field to press Enter in (its name): the form sent as a resident sends it from the
    /// keyboard.
    pub enter: Option<String>,
    /// What to press (a CSS selector; Playwright's `:has-text()` and `:visible` work).
    pub press: Option<String>,
    /// Texts the page must show.
    #[serde(default)]
    pub expect: Vec<String>,
    /// Texts the confirmation message at the top of the page must hold.
    #[serde(default)]
    pub said: Vec<String>,
    /// Texts the page header must show (the product and its gemeente).
    #[serde(default)]
    pub header: Vec<String>,
    /// Values the named fields must hold (a plate chosen in a lookup, written as on the plate).
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, String>,
}

/// Reads `walks.toml`.
pub fn load_walks(text: &str) -> Result<WalkList, String> {
    toml::from_str(text).map_err(|e| format!("walks.toml: {e}"))
}

/// Who can be logged in for a page: nobody, the demo resident of the fixtures, or in the
/// console a medewerker of Dijkstad (`staff`), the platformbeheerder (`platform`), a login
/// waiting for its code (`code`) or an account half-way through its enrolment (`enrolling`).
pub const LOGINS: &[&str] = &["none", "resident", "staff", "platform", "code", "enrolling"];
/// The data a page can need: the demo gemeenten; with coupling links, a resident and a mail
/// (`{new_link}`, `{resident_link}`, `{used_link}`, `{mail_id}`, `{reset_link}`, `{product_id}`,
/// `{poor_product_id}`, `{minutes_product_id}`, `{permit_id}`, `{favorite_id}`, `{running_session}`, `{planned_session}` in `visit`); or the address of
/// the first login step in its cookie.
/// `console`: the console's sessions and an unused and a used enrolment link (`{staff_link}`,
/// `{used_staff_link}`), the id of Dijkstad's demo medewerker (`{staff_id}`), and the ids of an
/// API key of Dijkstad in use and of one revoked (`{api_key_id}`, `{revoked_api_key_id}`), a
/// finished letter batch of Dijkstad and one that waited for the worker (`{batch_id}`,
/// `{queued_batch_id}`), the code of a product of Dijkstad issued by letter
/// (`{product_code}`) and a correction of its balance waiting for approval (`{correction_id}`).
pub const FIXTURES: &[&str] = &["demo", "coupling", "login-step", "console"];

/// Every route of the portal and of the console (under `/beheer`), as `pages.toml` names them.
pub fn all_routes() -> Vec<String> {
    let portal = parkportal_portal::route_list()
        .into_iter()
        .map(|(p, _)| p.to_owned());
    let console = parkportal_admin::route_list()
        .into_iter()
        .map(|(p, _, _)| format!("/beheer{p}").trim_end_matches('/').to_owned());
    portal.chain(console).collect()
}

/// Whether a console route is a page (checked in the browser, never excluded).
pub fn console_pages() -> Vec<String> {
    parkportal_admin::route_list()
        .into_iter()
        .filter(|(_, kind, _)| *kind == parkportal_admin::RouteKind::Page)
        .map(|(p, _, _)| format!("/beheer{p}").trim_end_matches('/').to_owned())
        .collect()
}

/// Reads `pages.toml`.
pub fn load(text: &str) -> Result<PageList, String> {
    toml::from_str(text).map_err(|e| format!("pages.toml: {e}"))
}

/// The problems with the list: portal routes neither listed nor excluded, entries that are no route
/// (pseudo-routes starting with `/g/:slug/` stand for error pages), and logins or fixtures that do
/// not exist yet.
pub fn coverage_problems(list: &PageList, routes: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for route in routes {
        let listed = list.pages.iter().any(|p| p.path == *route);
        let excluded = list
            .excludes
            .iter()
            .any(|e| e.path == *route && !e.reason.trim().is_empty());
        if !listed && !excluded {
            problems.push(format!(
                "route {route} is neither listed in pages.toml nor excluded with a reason"
            ));
        }
    }
    for page in &list.pages {
        if !routes.contains(&page.path.as_str()) && !page.path.starts_with("/g/:slug/") {
            problems.push(format!(
                "pages.toml lists {}, which is no portal route",
                page.path
            ));
        }
        if !LOGINS.contains(&page.login.as_str()) {
            problems.push(format!(
                "{}: login {:?} is not known yet",
                page.path, page.login
            ));
        }
        if !FIXTURES.contains(&page.fixture.as_str()) {
            problems.push(format!(
                "{}: fixture {:?} is not known",
                page.path, page.fixture
            ));
        }
    }
    for exclude in &list.excludes {
        if !routes.contains(&exclude.path.as_str()) {
            problems.push(format!(
                "pages.toml excludes {}, which is no portal route",
                exclude.path
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> PageList {
        load(include_str!("../pages.toml")).unwrap()
    }

    #[test]
    fn every_walk_checks_what_the_resident_sees_after_it_acts() {
        let walks = load_walks(include_str!("../walks.toml")).unwrap();
        let names: Vec<&str> = walks.walks.iter().map(|w| w.name.as_str()).collect();
        for task in [
            "start-now",
            "plan",
            "extend",
            "stop",
            "top-up",
            "favorite",
            "lookup",
            "mandate",
            "switch",
        ] {
            assert!(names.contains(&task), "no walk {task}: {names:?}");
        }
        for walk in &walks.walks {
            // The step after the last action must look for something: a walk that asserts
            // nothing could not fail.
            let last = walk.steps.last().unwrap();
            let looks = !last.expect.is_empty()
                || !last.said.is_empty()
                || !last.header.is_empty()
                || !last.values.is_empty();
            assert!(looks, "{} ends without looking", walk.name);
        }
        assert!(load_walks("[[walk]]\nname = \"x\"\n[[walk.step]]\nprss = \"a\"\n").is_err());
    }

    #[test]
    fn every_portal_route_is_listed_or_excluded() {
        let routes = all_routes();
        let routes: Vec<&str> = routes.iter().map(String::as_str).collect();
        let problems = coverage_problems(&list(), &routes);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_new_route_that_is_not_listed_fails() {
        let problems = coverage_problems(
            &list(),
            &["/", "/menu", "/over", "/toegankelijkheid", "/nieuw"],
        );
        assert!(
            problems.iter().any(|p| p.contains("/nieuw")),
            "{problems:?}"
        );
    }

    #[test]
    fn every_page_route_is_listed_not_excluded() {
        let list = list();
        for (path, kind) in parkportal_portal::route_list() {
            if kind == parkportal_portal::RouteKind::Page {
                assert!(
                    list.pages.iter().any(|p| p.path == path),
                    "page {path} must be checked, not excluded"
                );
            }
        }
        for path in console_pages() {
            assert!(
                list.pages.iter().any(|p| p.path == path),
                "console page {path} must be checked, not excluded"
            );
        }
        for width in [320, 375, 1280] {
            assert!(list.widths.contains(&width), "{width} px is not checked");
        }
    }
}

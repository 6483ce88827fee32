//! Tenant resolution by path and by Host, the platform pages, theming, unknown gemeenten, the API.

use crate::support::{TestApp, unescape};

#[tokio::test]
async fn the_platform_lists_every_demo_gemeente() {
    let app = TestApp::spawn().await;
    let body = app.page("/").await;
    for name in [
        "Gemeente Dijkstad",
        "Gemeente Havenmond",
        "Gemeente Weidevelde",
    ] {
        assert!(body.contains(name), "{name} missing from the platform page");
    }
    assert!(
        body.contains("href=\"&#x2f;g&#x2f;dijkstad&#x2f;\""),
        "no link to the gemeente's pages"
    );
}

#[tokio::test]
async fn a_path_prefix_selects_the_gemeente_and_its_theme() {
    let app = TestApp::spawn().await;
    let dijkstad = app.page("/g/dijkstad/").await;
    let havenmond = app.page("/g/havenmond/").await;
    assert!(dijkstad.contains("Parkeren in Gemeente Dijkstad"));
    assert!(dijkstad.contains("Binnenstad") && !dijkstad.contains("Kop van de Haven"));
    assert!(havenmond.contains("Kop van de Haven"));
    // Each page links its own gemeente's stylesheet and logo.
    assert!(dijkstad.contains("&#x2f;g&#x2f;dijkstad&#x2f;theme.css?v=1"));
    assert!(dijkstad.contains("&#x2f;g&#x2f;dijkstad&#x2f;logo?v=1"));
    let css_d = app.page("/g/dijkstad/theme.css").await;
    let css_h = app.page("/g/havenmond/theme.css").await;
    assert!(
        css_d.contains("--utrecht-page-header-background-color: #0b4f6c;"),
        "{css_d}"
    );
    assert!(
        css_h.contains("--utrecht-page-header-background-color: #00594f;"),
        "{css_h}"
    );
    let logo_d = app.get("/g/dijkstad/logo").send().await.unwrap();
    assert_eq!(logo_d.headers()["content-type"], "image/svg+xml");
    let logo_d = logo_d.text().await.unwrap();
    let logo_h = app.page("/g/havenmond/logo").await;
    assert!(logo_d.contains("<title id=\"t\">Dijkstad</title>"));
    assert_ne!(logo_d, logo_h);
}

#[tokio::test]
async fn the_local_time_follows_the_fixed_clock_in_the_gemeentes_zone() {
    let app = TestApp::spawn().await;
    // The clock stands at 09:00 UTC on Monday 2 March 2026: 10:00 in Amsterdam (CET).
    let body = app.page("/g/dijkstad/").await;
    assert!(body.contains("maandag 2 maart 2026, 10:00"), "{body}");
    // Moving the clock over the spring DST change: 01:30 UTC on 29 March is 03:30 summer time.
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 29, 1, 30, 0).unwrap());
    let body = app.page("/g/dijkstad/").await;
    assert!(body.contains("zondag 29 maart 2026, 03:30"), "{body}");
}

#[tokio::test]
async fn a_host_selects_the_gemeente_and_an_unknown_host_the_platform() {
    let app = TestApp::spawn().await;
    let body = app
        .text_with("/", "host", "Weidevelde.localhost:8080")
        .await;
    assert!(body.contains("Parkeren in Gemeente Weidevelde"), "{body}");
    assert!(
        body.contains("href=\"&#x2f;theme.css?v=1\""),
        "a host-selected page links without prefix"
    );
    let css = app
        .text_with("/theme.css", "host", "weidevelde.localhost")
        .await;
    assert!(css.contains("#6a1b4d"));
    let platform = app.text_with("/", "host", "elders.example").await;
    assert!(platform.contains("Kies uw gemeente"));
    assert!(!platform.contains("Parkeren in Gemeente"));
}

#[tokio::test]
async fn a_path_prefix_wins_over_the_host() {
    let app = TestApp::spawn().await;
    let body = app
        .text_with("/g/havenmond/", "host", "dijkstad.localhost")
        .await;
    assert!(body.contains("Parkeren in Gemeente Havenmond"));
}

#[tokio::test]
async fn an_unknown_gemeente_gets_a_themed_404() {
    let app = TestApp::spawn().await;
    for path in [
        "/g/nergenshuizen/",
        "/g/nergenshuizen/over",
        "/g/NIET_GELDIG/",
    ] {
        let resp = app.get(path).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("Pagina niet gevonden"), "{path}: {body}");
        assert!(
            body.contains("/static/parkportal.css"),
            "the 404 is not themed"
        );
    }
    let resp = app.get("/g/dijkstad/bestaat-niet").send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("Pagina niet gevonden") && body.contains("Gemeente Dijkstad"),
        "a gemeente's 404 carries its frame"
    );
}

#[tokio::test]
async fn the_bare_prefix_redirects_to_the_gemeentes_home() {
    let app = TestApp::spawn().await;
    let resp = app.get("/g/dijkstad").send().await.unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.headers()["location"], "/g/dijkstad/");
}

#[tokio::test]
async fn the_frame_has_menu_about_and_accessibility() {
    let app = TestApp::spawn().await;
    let home = app.page("/g/dijkstad/").await;
    assert!(
        home.contains("href=\"&#x2f;g&#x2f;dijkstad/menu?terug=&#x2f;g&#x2f;dijkstad&#x2f;\""),
        "menu icon link: {home}"
    );
    assert!(home.contains("href=\"&#x2f;g&#x2f;dijkstad/toegankelijkheid\""));
    let menu = app.page("/g/dijkstad/menu?terug=/g/dijkstad/").await;
    assert!(menu.contains("Verlaat het menu") && menu.contains("Over Parkportal"));
    let about = app.page("/g/dijkstad/over").await;
    assert!(about.contains(&format!("Versie {}", env!("CARGO_PKG_VERSION"))));
    let statement = app.page("/toegankelijkheid").await;
    assert!(statement.contains("WCAG") && statement.contains("EN 301 549"));
}

#[tokio::test]
async fn the_api_lists_gemeenten_and_the_spec_is_served() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/v1/tenants").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let json: serde_json::Value = resp.json().await.unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let dijkstad = items.iter().find(|i| i["slug"] == "dijkstad").unwrap();
    assert_eq!(dijkstad["name"], "Gemeente Dijkstad");
    assert_eq!(dijkstad["time_zone"], "Europe/Amsterdam");
    assert_eq!(dijkstad["url"], format!("{}/g/dijkstad", app.url));
    // Its product types, the visitor scheme open for application (#25).
    assert_eq!(
        dijkstad["product_types"],
        serde_json::json!([
            {"code": "bezoekers", "name": "Bezoekersregeling", "kind": "visitor_scheme",
             "open_for_application": true},
            {"code": "bewoners", "name": "Bewonersvergunning", "kind": "permit",
             "open_for_application": false},
        ])
    );
    let spec: serde_json::Value = app
        .get("/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/v1/tenants"]["get"].is_object(), "{spec}");
    let missing = app.get("/api/v1/nothing").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn each_gemeente_tells_time_in_its_own_zone() {
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    // A gemeente in the Caribbean Netherlands: the same instant is 05:00 there (UTC-4, no DST).
    let mut caribbean = tenants
        .export(&"weidevelde".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    caribbean.slug = "kralendam".parse().unwrap();
    caribbean.name = "Openbaar lichaam Kralendam".into();
    caribbean.hosts.clear();
    caribbean.time_zone = chrono_tz::America::Kralendijk;
    tenants.import(&caribbean).await.unwrap();
    let there = app.page("/g/kralendam/").await;
    // The local time is the gemeente's own; residents read no zone's code name.
    assert!(there.contains("maandag 2 maart 2026, 05:00"), "{there}");
    assert!(!there.contains("Kralendijk"), "{there}");
    let here = app.page("/g/weidevelde/").await;
    assert!(here.contains("maandag 2 maart 2026, 10:00"), "{here}");
}

#[tokio::test]
async fn a_gemeente_changed_elsewhere_shows_once_the_tenant_cache_has_passed() {
    let app = TestApp::spawn_with(|c| {
        c.server.tenant_cache = parkportal::duration::ConfigDuration::millis(1500);
    })
    .await;
    let server = app.app.as_ref().unwrap();
    assert!(app.page("/g/dijkstad/").await.contains("Gemeente Dijkstad"));
    // Another instance (or the command line) on the same database renames the gemeente.
    let elsewhere =
        parkportal::app::tenant_directory(&app.config, server.database(), app.clock.clone())
            .unwrap();
    let mut renamed = elsewhere
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    renamed.name = "Gemeente Dijkstad-Noord".into();
    elsewhere.import(&renamed).await.unwrap();
    // The cache time is measured on the application's clock, which stands still until moved.
    let soon = app.page("/g/dijkstad/").await;
    assert!(
        soon.contains("Gemeente Dijkstad") && !soon.contains("Dijkstad-Noord"),
        "remembered for a moment: {soon}"
    );
    app.clock.advance(chrono::Duration::milliseconds(1499));
    let almost = app.page("/g/dijkstad/").await;
    assert!(
        almost.contains("Gemeente Dijkstad") && !almost.contains("Dijkstad-Noord"),
        "still remembered just before the cache time has passed: {almost}"
    );
    app.clock.advance(chrono::Duration::milliseconds(1));
    assert!(
        app.page("/g/dijkstad/")
            .await
            .contains("Gemeente Dijkstad-Noord")
    );
    // A change through this instance's own directory shows at once.
    renamed.name = "Gemeente Dijkstad-Zuid".into();
    server.tenants().import(&renamed).await.unwrap();
    assert!(
        app.page("/g/dijkstad/")
            .await
            .contains("Gemeente Dijkstad-Zuid")
    );
}

/// How a test reaches the portal: through Dijkstad's `/g/dijkstad/` prefix or Dijkstad's host.
#[derive(Clone, Copy, Debug)]
enum Via {
    Prefix,
    Host,
}

impl Via {
    /// The path as the resident's browser asks for it.
    fn path(self, path: &str) -> String {
        match self {
            Via::Prefix => format!("/g/dijkstad{path}"),
            Via::Host => path.to_owned(),
        }
    }

    /// Dijkstad's own link prefix on pages reached this way.
    fn base(self) -> &'static str {
        match self {
            Via::Prefix => "/g/dijkstad",
            Via::Host => "",
        }
    }

    fn request(self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Via::Prefix => builder,
            Via::Host => builder.header("host", "dijkstad.localhost"),
        }
    }

    async fn get(self, app: &TestApp, path: &str) -> reqwest::Response {
        self.request(app.get(&self.path(path)))
            .send()
            .await
            .unwrap()
    }

    async fn post(self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = app.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let url = format!("{}{}", app.url, self.path(path));
        self.request(app.client.post(url).form(&form))
            .send()
            .await
            .unwrap()
    }
}

/// The `href` of the page's stylesheet that is not the static one.
fn theme_href(html: &str) -> String {
    html.split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no theme stylesheet: {html}"))
        .to_owned()
}

/// A product page reached through Dijkstad shows the product's `gemeente` (`slug`): its
/// stylesheet (with its `colour`), its logo and its name in the header, not Dijkstad's; its links
/// stay on the way the resident came.
async fn assert_shows(
    app: &TestApp,
    via: Via,
    what: &str,
    html: &str,
    (slug, gemeente, colour): (&str, &str, &str),
) {
    let html = unescape(html);
    let theme = theme_href(&html);
    assert!(
        theme.starts_with(&format!("/g/{slug}/theme.css?v=")),
        "{via:?} {what}: stylesheet {theme}"
    );
    let css = via.request(app.get(&theme)).send().await.unwrap();
    assert_eq!(css.status(), 200, "{via:?} {what}: {theme}");
    let css = css.text().await.unwrap();
    assert!(
        css.contains(&format!(
            "--utrecht-page-header-background-color: {colour};"
        )),
        "{via:?} {what}: {css}"
    );
    assert!(
        html.contains(&format!(
            "class=\"pp-header__logo\" src=\"/g/{slug}/logo?v="
        )),
        "{via:?} {what}: logo: {html}"
    );
    let header = html
        .split("<header class=\"pp-header\">")
        .nth(1)
        .and_then(|h| h.split("</header>").next())
        .unwrap_or_else(|| panic!("{via:?} {what}: no header: {html}"));
    assert!(
        header.contains(gemeente),
        "{via:?} {what}: the header does not name {gemeente}: {header}"
    );
    assert!(
        html.contains(&format!(" · {gemeente}</title>")),
        "{via:?} {what}: title: {html}"
    );
    assert!(
        !html.contains("Gemeente Dijkstad")
            && !html.contains("/g/dijkstad/theme.css")
            && !html.contains("/g/dijkstad/logo")
            && !html.contains("href=\"/theme.css")
            && !html.contains("src=\"/logo"),
        "{via:?} {what}: Dijkstad's look: {html}"
    );
    // Links stay on the prefix or host the resident used.
    let menu = format!("href=\"{}/menu?terug=", via.base());
    assert!(
        html.contains(&menu),
        "{via:?} {what}: {menu} missing: {html}"
    );
}

#[tokio::test]
async fn a_products_pages_show_its_own_gemeente_through_another_gemeentes_prefix_or_host() {
    use crate::support::{at, resident, resident_with};
    use parkportal_domain::EmailAddress;
    use parkportal_domain::coupling::IssueRequest;
    use parkportal_domain::plate::{Country, Plate};
    use serde_json::json;

    const WEIDEVELDE: (&str, &str, &str) = ("weidevelde", "Gemeente Weidevelde", "#6a1b4d");
    const HAVENMOND: (&str, &str, &str) = ("havenmond", "Gemeente Havenmond", "#00594f");

    let mut app = TestApp::spawn().await;
    let email = "wim@example.nl";
    // A Weidevelde visitor scheme in euros (it sells top-ups, gives no mandates), a Havenmond
    // one in minutes (it gives mandates) and a Havenmond permit for two plates.
    let weide = resident(&app, "weidevelde", email, Some("25.00")).await;
    let haven = resident(&app, "havenmond", email, Some("600")).await;
    let permit = resident_with(
        &app,
        IssueRequest {
            tenant: "havenmond".into(),
            product_type: Some("bewoners".into()),
            email: Some(EmailAddress::parse(email).unwrap()),
            plates: ["12-GBD-3", "34-GBD-5"]
                .iter()
                .map(|p| Plate::parse(p, Country::NL).unwrap())
                .collect(),
            ..IssueRequest::default()
        },
    )
    .await;
    let (status, session) = weide
        .start(
            &app,
            json!({"plate": "ab-12-34", "end": at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let session = session["id"].as_i64().unwrap();
    app.login(email, "fietsbel42xy").await;
    let (w, h, p) = (weide.product, haven.product, permit.product);
    let added = app
        .post_form(
            &format!("/producten/{w}/favorieten"),
            &[("kenteken", "XX-99-XX"), ("naam", "Oma")],
        )
        .await;
    assert_eq!(added.status(), 303);
    let favorite = app.sql_i64("SELECT id FROM favorites").await;
    let given = app
        .post_form(
            &format!("/producten/{h}/machtigingen"),
            &[("email", "gast@example.nl"), ("bedrag", "60")],
        )
        .await;
    let status = given.status();
    assert_eq!(status, 303, "{}", given.text().await.unwrap());
    let mandate = app.sql_i64("SELECT id FROM mandates").await;
    let bought = app
        .post_form(
            &format!("/producten/{w}/opwaarderen"),
            &[("optie", "10.00")],
        )
        .await;
    assert_eq!(bought.status(), 303);
    let payment = app.sql_i64("SELECT id FROM payments").await;

    let pages = [
        (format!("/producten/{w}/parkeeracties"), WEIDEVELDE),
        (
            format!("/producten/{w}/parkeeracties?tab=gepland"),
            WEIDEVELDE,
        ),
        (format!("/producten/{w}/parkeeracties/nieuw"), WEIDEVELDE),
        (format!("/producten/{w}/kentekens"), WEIDEVELDE),
        (format!("/producten/{w}/historie"), WEIDEVELDE),
        (
            format!("/producten/{w}/historie?tab=transacties"),
            WEIDEVELDE,
        ),
        (format!("/producten/{w}/opwaarderen"), WEIDEVELDE),
        (format!("/producten/{w}/opwaarderen/{payment}"), WEIDEVELDE),
        (format!("/producten/{w}/favorieten"), WEIDEVELDE),
        (
            format!("/producten/{w}/favorieten/{favorite}/verwijderen"),
            WEIDEVELDE,
        ),
        (format!("/producten/{w}/machtigingen"), WEIDEVELDE),
        (format!("/parkeeracties/{session}/beeindigen"), WEIDEVELDE),
        (format!("/parkeeracties/{session}/verlengen"), WEIDEVELDE),
        (format!("/producten/{h}/parkeeracties"), HAVENMOND),
        (format!("/producten/{h}/machtigingen"), HAVENMOND),
        (
            format!("/producten/{h}/machtigingen/{mandate}/intrekken"),
            HAVENMOND,
        ),
        (format!("/producten/{p}/kentekenswitch"), HAVENMOND),
        (format!("/producten/{p}/historie"), HAVENMOND),
    ];
    for via in [Via::Prefix, Via::Host] {
        for (path, gemeente) in &pages {
            let resp = via.get(&app, path).await;
            assert_eq!(resp.status(), 200, "{via:?} {path}");
            assert_shows(&app, via, path, &resp.text().await.unwrap(), *gemeente).await;
        }
        // The forms' answers: [Bekijk kosten], and a refusal shown again on its form.
        let new = format!("/producten/{w}/parkeeracties/nieuw");
        let check = via
            .post(
                &app,
                &new,
                &[
                    ("stap", "bekijk"),
                    ("kenteken", "AB-12-34"),
                    ("startdatum", "2026-03-02"),
                    ("starttijd", "12:00"),
                    ("einddatum", "2026-03-02"),
                    ("eindtijd", "13:00"),
                ],
            )
            .await;
        assert_eq!(check.status(), 200, "{via:?} check");
        let check = check.text().await.unwrap();
        assert!(
            check.contains("name=\"stap\" value=\"bevestig\""),
            "{check}"
        );
        assert_shows(&app, via, "check", &check, WEIDEVELDE).await;
        let refused = via
            .post(
                &app,
                &format!("/producten/{p}/kentekenswitch"),
                &[("kenteken", "NL:99XXX9")],
            )
            .await;
        assert_eq!(refused.status(), 422, "{via:?} switch");
        let refused = refused.text().await.unwrap();
        assert_shows(&app, via, "switch refused", &refused, HAVENMOND).await;
        // Dijkstad's own pages keep Dijkstad's look.
        let menu = via.get(&app, "/menu").await.text().await.unwrap();
        assert!(menu.contains("Gemeente Dijkstad"), "{via:?}: {menu}");
    }
    // Through the product's own gemeente, the same look.
    let own = app
        .page(&format!("/g/weidevelde/producten/{w}/favorieten"))
        .await;
    assert!(unescape(&own).contains("href=\"/g/weidevelde/theme.css?v="));

    // Another resident reaches none of them, through any gemeente or host, and learns nothing
    // of their gemeente.
    app.new_browser();
    resident(&app, "dijkstad", "piet@example.nl", None).await;
    app.login("piet@example.nl", "fietsbel42xy").await;
    for (path, _) in &pages {
        for (prefix, host, site) in [
            ("/g/dijkstad", "127.0.0.1", "Gemeente Dijkstad"),
            ("", "dijkstad.localhost", "Gemeente Dijkstad"),
            ("", "weidevelde.localhost", "Gemeente Weidevelde"),
            ("/g/havenmond", "127.0.0.1", "Gemeente Havenmond"),
        ] {
            let resp = app
                .get(&format!("{prefix}{path}"))
                .header("host", host)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 404, "{host} {prefix}{path}");
            let body = resp.text().await.unwrap();
            assert!(body.contains(site), "{host} {prefix}{path}: {body}");
            for (_, name, _) in [WEIDEVELDE, HAVENMOND] {
                assert!(
                    name == site || !body.contains(name),
                    "{host} {prefix}{path} names {name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_create_only_save_never_replaces_a_gemeente_made_meanwhile() {
    use parkportal_domain::audit::{Actor, AuditEntry};
    use parkportal_domain::{Clock, ImportError, SaveMode, SaveTenantError, TenantSlug};
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let slug = TenantSlug::parse("dijkstad").unwrap();
    let mut config = tenants.export(&slug).await.unwrap().unwrap();
    let before = config.name.clone();
    config.name = "Gemeente Dijkstad (nieuw)".into();
    let entry = AuditEntry::new(Actor::Operator, "tenant.created", "test", app.clock.now());
    let refused = tenants
        .import_audited(&config, &entry, SaveMode::CreateOnly)
        .await;
    assert!(
        matches!(refused, Err(ImportError::Save(SaveTenantError::Exists))),
        "{refused:?}"
    );
    assert_eq!(tenants.export(&slug).await.unwrap().unwrap().name, before);
    // An upsert, as `tenants import` and a bundle with "vervang" do, replaces it.
    tenants
        .import_audited(&config, &entry, SaveMode::Upsert)
        .await
        .unwrap();
    assert_eq!(
        tenants.export(&slug).await.unwrap().unwrap().name,
        "Gemeente Dijkstad (nieuw)"
    );
}

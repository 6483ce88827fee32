//! CSRF: every page route refuses an unsafe request that does not carry the token bound to the
//! visitor's own session, with 403 and nothing changed, whatever cookie an attacker planted.

use crate::support::{Resident, at, resident};
use crate::support::{TestApp, call, csrf_of};
use parkportal_portal::{RouteKind, route_list};
use serde_json::json;

/// The ids a route's parameters stand for: the logged-in resident's own things.
struct Things {
    product: i64,
    session: i64,
    favorite: i64,
    mandate: i64,
    payment: i64,
    checkout: String,
    coupling: String,
}

impl Things {
    /// `path` with each parameter replaced by the thing it names; a parameter this test does
    /// not know fails it, so that a new route is walked too.
    fn fill(&self, path: &str) -> String {
        let mut out = Vec::new();
        let mut previous = "";
        for segment in path.split('/') {
            let value = match (previous, segment) {
                ("producten", ":id") => self.product.to_string(),
                ("parkeeracties", ":id") => self.session.to_string(),
                ("simulatie", ":id") => self.checkout.clone(),
                ("outbox", ":id") => "1".to_owned(),
                (_, ":fid") => self.favorite.to_string(),
                (_, ":mid") => self.mandate.to_string(),
                (_, ":payment") => self.payment.to_string(),
                ("koppel", ":token") => self.coupling.clone(),
                ("wachtwoord-herstellen", ":token") => "ab".repeat(32),
                ("aanvragen", ":type") => "bezoekers".to_owned(),
                ("status", ":token") => "ab".repeat(32),
                (_, p) if p.starts_with(':') => panic!("no value for {p} in {path}"),
                (_, s) => s.to_owned(),
            };
            out.push(value);
            previous = segment;
        }
        out.join("/")
    }
}

/// Jan with a running session, a favorite, a mandate, an open payment and a coupling link
/// waiting, logged in on the test's browser.
async fn jan_with_everything(app: &TestApp) -> (Resident, Things) {
    let jan = resident(app, "dijkstad", "jan@example.nl", Some("50")).await;
    let session = jan.park(app, "12-GBD-3", at(2, 12, 0)).await;
    let products = format!("/api/v1/products/{}", jan.product);
    let bearer = Some(jan.token.as_str());
    let (status, favorite) = call(
        app,
        "POST",
        &format!("{products}/favorites"),
        Some(json!({"plate": "34-XYZ-5", "name": "Oma"})),
        bearer,
    )
    .await;
    assert_eq!(status, 201, "{favorite}");
    let (status, mandate) = call(
        app,
        "POST",
        &format!("{products}/mandates"),
        Some(json!({"email": "piet@example.nl", "amount": "5"})),
        bearer,
    )
    .await;
    assert_eq!(status, 201, "{mandate}");
    let (_, options) = call(app, "GET", &format!("{products}/top-ups"), None, bearer).await;
    let option = options["items"][0]["id"].clone();
    let (status, payment) = call(
        app,
        "POST",
        &format!("{products}/top-ups"),
        Some(json!({"option": option})),
        bearer,
    )
    .await;
    assert_eq!(status, 201, "{payment}");
    let checkout = payment["checkout_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    app.issue_to("dijkstad", "jan@example.nl").await;
    let mail = app
        .sql_text("SELECT body_text FROM outbox WHERE body_text LIKE '%/koppel/%' ORDER BY id DESC")
        .await
        .unwrap();
    let coupling = mail.split("/koppel/").nth(1).unwrap()[..64].to_owned();
    app.login("jan@example.nl", "fietsbel42xy").await;
    let things = Things {
        product: jan.product,
        session,
        favorite: favorite["id"].as_i64().unwrap(),
        mandate: mandate["id"].as_i64().unwrap(),
        payment: payment["id"].as_i64().unwrap(),
        checkout,
        coupling,
    };
    (jan, things)
}

/// What a form that got through could have changed.
async fn fingerprint(app: &TestApp) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for sql in [
        "SELECT CAST(COUNT(*) AS TEXT) FROM accounts",
        "SELECT password_hash || COALESCE(language, '-') || COALESCE(contrast, '-') \
         || CAST(COALESCE(start_product_id, 0) AS TEXT) FROM accounts ORDER BY id",
        "SELECT CAST(COUNT(*) AS TEXT) FROM auth_sessions",
        "SELECT CAST(COUNT(*) AS TEXT) FROM remember_tokens",
        "SELECT CAST(COUNT(*) AS TEXT) FROM parking_sessions",
        "SELECT CAST(MAX(end_at) AS TEXT) FROM parking_sessions",
        "SELECT CAST(COUNT(*) AS TEXT) FROM parking_sessions \
         WHERE stopped_at IS NOT NULL OR deleted_at IS NOT NULL",
        "SELECT CAST(COUNT(*) AS TEXT) || ':' || CAST(SUM(amount) AS TEXT) FROM ledger_entries",
        "SELECT CAST(SUM(balance) AS TEXT) || ':' || CAST(SUM(COALESCE(owner_id, 0)) AS TEXT) \
         FROM products",
        "SELECT CAST(COUNT(*) AS TEXT) FROM favorites",
        "SELECT CAST(COUNT(*) AS TEXT) FROM mandates WHERE revoked_at IS NULL",
        "SELECT CAST(COUNT(*) AS TEXT) FROM payments",
        "SELECT status FROM simulated_payments",
        "SELECT CAST(COUNT(*) AS TEXT) FROM product_plates WHERE active",
        "SELECT CAST(COUNT(*) AS TEXT) FROM email_links WHERE used_at IS NULL",
        "SELECT CAST(COUNT(*) AS TEXT) FROM outbox",
        "SELECT CAST(COUNT(*) AS TEXT) FROM throttles",
    ] {
        out.push(app.sql_text(sql).await);
    }
    out
}

/// The page routes (pages and the links that redirect), with their parameters filled in.
fn page_routes(things: &Things) -> Vec<String> {
    route_list()
        .into_iter()
        .filter(|(_, kind)| matches!(kind, RouteKind::Page | RouteKind::Redirect))
        .map(|(path, _)| things.fill(path))
        .collect()
}

#[tokio::test]
async fn every_page_route_refuses_a_form_without_the_sessions_own_token() {
    let app = TestApp::spawn().await;
    // Before logging in, Jan's browser holds a token bound to its anonymous visit.
    let before_login = app.csrf().await;
    let (_, things) = jan_with_everything(&app).await;
    let session = app.cookie("pp_session").expect("Jan is logged in");
    let own = app.csrf().await;
    assert_ne!(
        own, before_login,
        "the login binds the token to the session"
    );

    // Another resident, logged in on a browser of their own.
    let other = app.anonymous();
    resident(&app, "havenmond", "els@example.nl", Some("10")).await;
    other.login("els@example.nl", "fietsbel42xy").await;
    let others = other.csrf().await;
    assert_ne!(others, own);

    // An attacker's own visit: a cookie and the token that goes with it, as an attacker on a
    // sibling host or a plain-http page would plant them.
    let attacker = app.anonymous();
    let attacker_token = attacker
        .page("/inloggen")
        .await
        .meta("csrf-token")
        .filter(|t| !t.is_empty())
        .expect("the login page carries a CSRF token");
    let attacker_visit = attacker.cookie("pp_visit").expect("a visit cookie");
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let before = fingerprint(&app).await;
    let routes = page_routes(&things);
    assert!(routes.len() > 25, "the walk covers the route table");
    for path in &routes {
        let url = format!("{}{path}", app.url);
        let refusals = [
            ("no token", app.client.post(&url).form(&[("naam", "x")])),
            (
                "another session's token",
                app.client.post(&url).form(&[("csrf", others.as_str())]),
            ),
            (
                "this browser's token from before the login",
                app.client
                    .post(&url)
                    .form(&[("csrf", before_login.as_str())]),
            ),
            (
                "a planted visit with its own token",
                plain
                    .post(&url)
                    .header(
                        "cookie",
                        format!("pp_session={session}; pp_visit={attacker_visit}"),
                    )
                    .form(&[("csrf", attacker_token.as_str())]),
            ),
            (
                "a planted double-submit pair",
                plain
                    .post(&url)
                    .header(
                        "cookie",
                        format!("pp_session={session}; pp_csrf={}", "cd".repeat(32)),
                    )
                    .form(&[("csrf", "cd".repeat(32).as_str())]),
            ),
            (
                "the token in the wrong header",
                app.client.delete(&url).header("x-csrf", own.as_str()),
            ),
        ];
        for (what, request) in refusals {
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), 403, "{what}: POST {path}");
            let body = resp.text().await.unwrap();
            assert!(body.contains("Geen toegang"), "{what}: {path}: {body}");
        }
    }
    assert_eq!(
        fingerprint(&app).await,
        before,
        "a refused form changed something"
    );

    // The same forms with the session's own token pass the check (whatever their handler then
    // says), so the refusals above are the token's doing. The logout goes last: it ends the
    // session the token is bound to.
    let mut ordered = routes.clone();
    ordered.sort_by_key(|p| p.ends_with("/uitloggen"));
    for path in &ordered {
        let own = app.csrf().await;
        let resp = app
            .client
            .post(format!("{}{path}", app.url))
            .form(&[("csrf", own.as_str())])
            .send()
            .await
            .unwrap();
        assert_ne!(resp.status(), 403, "POST {path} with the session's token");
        let header = app
            .client
            .post(format!("{}{path}", app.url))
            .header("x-csrf-token", own.as_str())
            .send()
            .await
            .unwrap();
        if !path.ends_with("/uitloggen") {
            assert_ne!(header.status(), 403, "POST {path} with X-CSRF-Token");
        }
    }
}

#[tokio::test]
async fn a_token_is_bound_to_the_visit_before_login_and_follows_the_gemeente_prefix() {
    let app = TestApp::spawn().await;
    let token = app.csrf().await;
    assert_eq!(app.csrf().await, token, "stable for the visit");
    let prefixed = app.page("/g/dijkstad/inloggen").await;
    assert_eq!(csrf_of(&prefixed), token, "one token whatever the gemeente");
    // A planted visit cookie replaces nothing: the browser's own visit keeps its token, and the
    // token of the planted one does not pass with the browser's cookie.
    let foreign = app.anonymous().csrf().await;
    assert_ne!(foreign, token);
    let resp = app
        .client
        .post(format!("{}/inloggen", app.url))
        .form(&[("csrf", foreign.as_str()), ("email", "a@example.nl")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = app
        .post_form("/inloggen", &[("email", "a@example.nl")])
        .await;
    assert_eq!(resp.status(), 303, "the visit's own token passes");
}

#[tokio::test]
async fn over_https_the_login_cookies_are_host_only_and_plain_ones_count_for_nothing() {
    let app =
        TestApp::spawn_with(|c| c.server.public_url = Some("https://parkeren.test".into())).await;
    let first = app.get("/inloggen").send().await.unwrap();
    let cookies: Vec<String> = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let visit = cookies
        .iter()
        .find(|c| c.starts_with("__Host-pp_visit="))
        .unwrap_or_else(|| panic!("a __Host- visit cookie: {cookies:?}"));
    assert!(
        visit.contains("; Path=/") && visit.ends_with("; Secure"),
        "{visit}"
    );
    assert!(!visit.contains("Domain"), "{visit}");

    // A session token, from a coupling accepted through the API.
    app.issue_to("dijkstad", "jan@example.nl").await;
    let mail = app
        .sql_text("SELECT body_text FROM outbox WHERE body_text LIKE '%/koppel/%'")
        .await
        .unwrap();
    let link = mail.split("/koppel/").nth(1).unwrap()[..64].to_owned();
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/couplings/accept",
        Some(json!({"token": link, "password": "fietsbel42xy", "password_repeat": "fietsbel42xy"})),
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let session = body["token"].as_str().unwrap();
    let with_cookie = |cookie: String| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/producten", app.url))
            .header("cookie", cookie)
            .send()
    };
    let host_only = with_cookie(format!("__Host-pp_session={session}"))
        .await
        .unwrap();
    assert_eq!(host_only.status(), 200, "the __Host- cookie logs in");
    let planted = with_cookie(format!("pp_session={session}")).await.unwrap();
    assert_eq!(
        planted.status(),
        303,
        "a plain cookie is no login over https"
    );
}

#[tokio::test]
async fn a_form_sent_after_the_time_out_on_a_remembered_device_is_not_refused() {
    let app = TestApp::spawn().await;
    resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    app.login_remembered("jan@example.nl", "fietsbel42xy").await;
    // The settings form is opened, and sent after the session timed out: the remember-me
    // token logs the device in again on that very POST, and the form's token (of the session
    // that ended) still counts.
    let form = app.page("/instellingen").await;
    let token = csrf_of(&form);
    app.clock.advance(chrono::Duration::hours(1));
    let saved = app
        .client
        .post(format!("{}/instellingen", app.url))
        .form(&[
            ("csrf", token.as_str()),
            ("taal", "en"),
            ("startproduct", ""),
            ("contrast", "dark"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    assert_eq!(
        app.sql_text("SELECT contrast FROM accounts")
            .await
            .as_deref(),
        Some("dark")
    );
    // A page path that merely contains /api/ is a page like any other.
    let resp = app
        .client
        .post(format!(
            "{}/g/dijkstad/parkeeracties/api/beeindigen",
            app.url
        ))
        .form(&[("naam", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

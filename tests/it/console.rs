//! The staff console's ground: its own app under `/beheer`, enrolment by a one-time link, the
//! login with a second factor (wrong, replayed and recovery codes, the lock-out, the time-outs),
//! authorisation declared per route (the role matrix is generated from the route table) and the
//! audit trail every console POST and refusal leaves.

use crate::support::{
    Anonymous, STAFF_PASSWORD, Staff, TestApp, audit_entries, platform_admin, resident, staff,
    staff_link, test_config,
};
use chrono::Duration;
use parkportal_admin::{Need, RouteKind};
use parkportal_domain::staff::Role;
use parkportal_domain::staff::totp::TotpSecret;

#[tokio::test]
async fn enrolment_by_the_link_sets_password_and_authenticator_and_the_link_works_once() {
    let app = TestApp::spawn().await;
    let link = staff_link(&app, "an@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    let browser = Staff::browser(&app, "an@dijkstad.nl");
    let page = browser.page(&link).await;
    let form = page.form(&link);
    assert!(page.text().contains("an@dijkstad.nl"));
    assert_eq!(
        form.fields
            .iter()
            .filter(|f| f.autocomplete.as_deref() == Some("new-password"))
            .count(),
        2,
        "two new-password inputs"
    );
    // The console's rule: at least 12 characters (the resident's 8 are not enough).
    let before = audit_entries(&app).await.len();
    let resp = browser
        .submit(
            &form,
            &[("wachtwoord", "fietsbel42"), ("herhaling", "fietsbel42")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html().contains_text("minstens 12 tekens"),
        "{}",
        resp.text()
    );
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1, "a refused step leaves one entry");
    assert_eq!(
        (entries[0].action.as_str(), entries[0].result.as_str()),
        ("staff.enrolment.password", "refused")
    );
    // The whole enrolment through the pages, then the console.
    let an = Staff::enrol_with_link(&app, "an@dijkstad.nl", &link).await;
    assert_eq!(an.recovery.len(), 10);
    let distinct: std::collections::HashSet<_> = an.recovery.iter().collect();
    assert_eq!(distinct.len(), 10);
    let home = an.page("/beheer/dijkstad").await;
    assert!(
        home.contains_text("werkt hier als medewerker"),
        "{}",
        home.text()
    );
    // The link worked once.
    let again = Anonymous::new(&app).get(&link).await;
    assert_eq!(again.status(), 410);
    assert!(again.html().contains_text("al gebruikt"));
    let unknown = Anonymous::new(&app)
        .get(&format!("/beheer/inschrijven/{}", "ab".repeat(32)))
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn an_enrolment_link_expires_after_a_day() {
    let app = TestApp::spawn().await;
    let link = staff_link(&app, "bo@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    app.clock.advance(Duration::hours(24));
    let resp = Anonymous::new(&app).get(&link).await;
    assert_eq!(resp.status(), 410);
    assert!(resp.html().contains_text("verlopen"));
}

#[tokio::test]
async fn the_login_asks_a_code_after_the_password_and_refuses_wrong_and_replayed_codes() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let out = an.post_form("/beheer/uitloggen", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(
        an.get("/beheer/dijkstad").await.location(),
        "/beheer/inloggen"
    );

    let page = an.page("/beheer/inloggen").await;
    let form = page.form("/beheer/inloggen");
    let autocomplete: Vec<_> = form
        .fields
        .iter()
        .filter_map(|f| f.autocomplete.clone())
        .collect();
    assert_eq!(autocomplete, ["username", "current-password"]);
    // A wrong password: one message, one refused entry.
    let before = audit_entries(&app).await.len();
    let resp = an
        .submit(
            &form,
            &[
                ("email", "an@dijkstad.nl"),
                ("wachtwoord", "verkeerd-wachtwoord-1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("klopt niet"));
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 1);
    assert_eq!(entries[0].reason.as_deref(), Some("invalid_credentials"));

    app.clock.advance(Duration::seconds(30));
    let resp = an
        .submit(
            &form,
            &[("email", "an@dijkstad.nl"), ("wachtwoord", STAFF_PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), "/beheer/inloggen/code");
    // Half-way is not logged in.
    assert_eq!(
        an.get("/beheer/dijkstad").await.location(),
        "/beheer/inloggen"
    );
    let page = an.page("/beheer/inloggen/code").await;
    let code_form = page.form("/beheer/inloggen/code");
    assert_eq!(
        code_form
            .fields
            .iter()
            .find(|f| f.name == "code")
            .and_then(|f| f.autocomplete.clone()),
        Some("one-time-code".to_owned())
    );
    let wrong = if an.code(&app) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let resp = an.submit(&code_form, &[("code", wrong)]).await;
    assert_eq!(resp.status(), 422);
    let again = resp.html();
    assert!(again.contains_text("klopt niet"));
    assert!(
        again
            .forms()
            .iter()
            .any(|f| f.action == "/beheer/inloggen/code"),
        "the code form again"
    );
    let resp = an.submit(&code_form, &[("code", &an.code(&app))]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(resp.location(), "/beheer/dijkstad");
    an.page("/beheer/dijkstad").await;

    // The same code, replayed within its step on another login: refused.
    let other = Staff::browser(&app, "an@dijkstad.nl");
    other.password_step(STAFF_PASSWORD).await;
    let page = other.page("/beheer/inloggen/code").await;
    let resp = other
        .submit(
            &page.form("/beheer/inloggen/code"),
            &[("code", &an.code(&app))],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("al gebruikt"));
    let entries = audit_entries(&app).await;
    assert_eq!(
        (entries[0].action.as_str(), entries[0].reason.as_deref()),
        ("staff.login.code", Some("code_used"))
    );
    // The next step's code works.
    app.clock.advance(Duration::seconds(30));
    let resp = other
        .submit(
            &page.form("/beheer/inloggen/code"),
            &[("code", &an.code(&app))],
        )
        .await;
    assert_eq!(resp.status(), 303);
}

#[tokio::test]
async fn a_recovery_code_logs_in_once() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let code = an.recovery[3].clone();
    for (attempt, expected) in [(1, 303), (2, 422)] {
        let browser = Staff::browser(&app, "an@dijkstad.nl");
        browser.password_step(STAFF_PASSWORD).await;
        let page = browser.page("/beheer/inloggen/code").await;
        let typed = code.to_lowercase().replace('-', " ");
        let resp = browser
            .submit(&page.form("/beheer/inloggen/code"), &[("code", &typed)])
            .await;
        assert_eq!(resp.status(), expected, "attempt {attempt}");
    }
    let home = an.page("/beheer/dijkstad").await;
    assert!(home.contains_text("nog 9 herstelcodes"), "{}", home.text());
    let entries = audit_entries(&app).await;
    assert!(
        entries
            .iter()
            .any(|e| e.action == "staff.login.recovery_code" && e.result == "ok")
    );
}

#[tokio::test]
async fn ten_wrong_codes_in_a_row_make_the_code_step_wait_and_the_lockout_is_recorded() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let browser = Staff::browser(&app, "an@dijkstad.nl");
    browser.password_step(STAFF_PASSWORD).await;
    let page = browser.page("/beheer/inloggen/code").await;
    let form = page.form("/beheer/inloggen/code");
    let right = an.code(&app);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..10 {
        assert_eq!(
            browser.submit(&form, &[("code", wrong)]).await.status(),
            422
        );
    }
    // The tenth failure starts the wait: the lock-out is on the record as such.
    let entries = audit_entries(&app).await;
    assert_eq!(entries[0].reason.as_deref(), Some("locked_out"));
    assert_eq!(entries[1].reason.as_deref(), Some("wrong_code"));
    // Now even the right code waits.
    let resp = browser.submit(&form, &[("code", &right)]).await;
    assert_eq!(resp.status(), 429);
    assert!(resp.html().contains_text("Te veel mislukte pogingen"));
    let entries = audit_entries(&app).await;
    assert_eq!(entries[0].reason.as_deref(), Some("blocked"));
    // The password step counts apart: it still answers.
    let other = Staff::browser(&app, "an@dijkstad.nl");
    let resp = other.password_step(STAFF_PASSWORD).await;
    assert_eq!(resp.status(), 303);
    // After the wait the right code works.
    app.clock.advance(Duration::minutes(2));
    let resp = browser.submit(&form, &[("code", &an.code(&app))]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
}

#[tokio::test]
async fn the_console_cookie_is_its_own_strict_and_sessions_end_idle_or_after_a_working_day() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let resp = an.login(&app).await;
    let cookie = resp.header("set-cookie").unwrap_or_default().to_owned();
    assert!(cookie.starts_with("pp_staff="), "{cookie}");
    for part in ["Path=/beheer", "SameSite=Strict", "HttpOnly"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Max-Age"), "no remember-me: {cookie}");
    // Idle for 15 minutes: out, and the login says why.
    app.clock.advance(Duration::minutes(15));
    let resp = an.get("/beheer/dijkstad").await;
    assert_eq!(resp.location(), "/beheer/inloggen?reden=time-out");
    assert!(
        an.page("/beheer/inloggen?reden=time-out")
            .await
            .contains_text("uitgelogd")
    );
    assert_eq!(audit_entries(&app).await[0].action, "staff.timeout");
    // Active all day: out after ten hours all the same.
    an.login(&app).await;
    let mut minutes = 0;
    let resp = loop {
        app.clock.advance(Duration::minutes(10));
        minutes += 10;
        let resp = an.get("/beheer/dijkstad").await;
        if resp.status() != 200 || minutes > 700 {
            break resp;
        }
    };
    assert_eq!(minutes, 600, "out after ten hours, not before");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), "/beheer/inloggen?reden=time-out");
}

#[tokio::test]
async fn another_gemeentes_console_does_not_exist_and_a_platform_visit_is_recorded() {
    let app = TestApp::spawn().await;
    let haven = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let resp = haven.get("/beheer/dijkstad").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.html().contains_text("Pagina niet gevonden"));
    let entries = audit_entries(&app).await;
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].result.as_str(),
            entries[0].reason.as_deref()
        ),
        ("console.access", "refused", Some("not_found"))
    );
    assert_eq!(entries[0].actor, "piet@havenmond.nl");
    // The header names the gemeente and the page is in the console's own look.
    let home = haven.get("/beheer/havenmond").await;
    assert_eq!(home.status(), 200);
    assert!(home.text().contains("/beheer/static/console.css"));
    let css = Anonymous::new(&app).get("/beheer/static/console.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.header("content-type")
            .unwrap_or_default()
            .starts_with("text/css")
    );
    let missing = Anonymous::new(&app)
        .get("/beheer/static/bestaat-niet.css")
        .await;
    assert_eq!(missing.status(), 404);
    assert!(!home.text().contains("theme.css"));
    assert!(home.html().contains_text("Havenmond"));

    let root = platform_admin(&app, "root@parkportal.nl").await;
    root.page("/beheer/dijkstad").await;
    let entries = audit_entries(&app).await;
    let dijkstad = app
        .app
        .as_ref()
        .unwrap()
        .tenants()
        .by_slug("dijkstad")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries[0].action, "console.visit");
    assert_eq!(entries[0].tenant, Some(dijkstad.id));
    assert_eq!(entries[0].role.as_deref(), Some("platform_admin"));
}

/// What a GET of a route's path answers each kind of visitor, from what the route needs.
fn expected(need: Need, path: &str, who: &str) -> Option<u16> {
    let signed = matches!(who, "staff" | "admin" | "other" | "platform");
    // The answer of a route to someone it lets in: a path below a gemeente that no page has
    // is the console's 404.
    let ok = if path.ends_with("*rest") { 404 } else { 200 };
    Some(match need {
        Need::Anyone => return None,
        _ if !signed => 303,
        Need::Signed => ok,
        Need::Platform => {
            if who == "platform" {
                ok
            } else {
                403
            }
        }
        Need::Gemeente(role) => match who {
            "other" => 404,
            "platform" => ok,
            "admin" if Role::TenantAdmin.allows(role) => ok,
            "staff" if Role::Staff.allows(role) => ok,
            _ => 403,
        },
    })
}

#[tokio::test]
async fn every_console_route_answers_each_role_as_it_declares() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("5.00")).await;
    let anon = Staff::browser(&app, "nobody@example.nl");
    let users = [
        (
            "staff",
            staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await,
        ),
        (
            "admin",
            staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await,
        ),
        (
            "other",
            staff(&app, "cor@havenmond.nl", "havenmond", Role::Staff).await,
        ),
        ("platform", platform_admin(&app, "root@parkportal.nl").await),
    ];
    let routes = parkportal_admin::route_list();
    assert!(routes.len() >= 10, "{routes:?}");
    let mut checked = 0;
    for (pattern, kind, need) in routes {
        if kind == RouteKind::Redirect && pattern == "/uitloggen" {
            continue; // POST only: the audit tests send it
        }
        let path = format!(
            "/beheer{}",
            pattern
                .replace(":gemeente", "dijkstad")
                .replace(":token", &"ab".repeat(32))
                .replace("*rest", "onbekend")
        );
        let path = path.trim_end_matches('/').to_owned();
        let mut answers = vec![("anonymous", anon.get(&path).await)];
        answers.push(("resident", jan.get(&app, &path).await));
        for (who, user) in &users {
            answers.push((who, user.get(&path).await));
        }
        for (who, resp) in answers {
            match expected(need, pattern, who) {
                Some(303) => {
                    assert_eq!(resp.status(), 303, "{who} GET {path}");
                    assert!(
                        resp.location().starts_with("/beheer/inloggen"),
                        "{who} GET {path}"
                    );
                }
                Some(status) => assert_eq!(resp.status(), status, "{who} GET {path}"),
                None => assert!(
                    resp.status() < 500 && resp.status() != 403,
                    "{who} GET {path}: {}",
                    resp.status()
                ),
            }
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked}");
}

#[tokio::test]
async fn every_step_of_enrolment_and_login_leaves_exactly_one_entry_with_its_actor() {
    let app = TestApp::spawn().await;
    let count = || async { audit_entries(&app).await.len() };
    let start = count().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    // Created, password chosen, second factor confirmed.
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), start + 3);
    let actions: Vec<_> = entries[..3]
        .iter()
        .rev()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "staff.created",
            "staff.enrolment.password",
            "staff.enrolment.second_factor"
        ]
    );
    let dijkstad = app
        .app
        .as_ref()
        .unwrap()
        .tenants()
        .by_slug("dijkstad")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries[2].tenant, Some(dijkstad.id));
    assert_eq!(entries[2].actor, "command line");
    assert!(
        entries[..2]
            .iter()
            .all(|e| e.actor == "an@dijkstad.nl" && e.actor_id.is_some())
    );
    // Logout, password, code: one each.
    for (step, action) in [("logout", "staff.logout")] {
        let before = count().await;
        an.post_form("/beheer/uitloggen", &[]).await;
        assert_eq!(count().await, before + 1, "{step}");
        assert_eq!(audit_entries(&app).await[0].action, action);
    }
    let before = count().await;
    an.login(&app).await;
    let entries = audit_entries(&app).await;
    assert_eq!(entries.len(), before + 2);
    assert_eq!(entries[1].action, "staff.login.password");
    assert_eq!(entries[0].action, "staff.login.code");
    assert!(
        entries[..2]
            .iter()
            .all(|e| e.result == "ok" && e.origin == "127.0.0.1")
    );
    // A wrong confirmation code at enrolment leaves its refusal.
    let link = staff_link(&app, "cor@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    let cor = Staff::browser(&app, "cor@dijkstad.nl");
    let page = cor.page(&link).await;
    cor.submit(
        &page.form(&link),
        &[
            ("wachtwoord", STAFF_PASSWORD),
            ("herhaling", STAFF_PASSWORD),
        ],
    )
    .await;
    let page = cor.page("/beheer/tweede-factor").await;
    let before = count().await;
    let resp = cor
        .submit(&page.form("/beheer/tweede-factor"), &[("code", "12345")])
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(count().await, before + 1);
    assert_eq!(
        audit_entries(&app).await[0].action,
        "staff.enrolment.second_factor"
    );
}

#[tokio::test]
async fn a_console_host_serves_the_console_and_no_gemeentes_pages() {
    let app = TestApp::spawn_with(|c| c.staff.hosts = vec!["beheer.localhost".into()]).await;
    let visitor = Anonymous::new(&app);
    for path in ["/", "/producten", "/g/dijkstad/"] {
        let resp = visitor
            .get_with(path, "host", "beheer.localhost:8080")
            .await;
        assert_eq!(resp.status(), 303, "{path}");
        assert_eq!(resp.location(), "/beheer", "{path}");
    }
    let login = visitor
        .get_with("/beheer/inloggen", "host", "beheer.localhost")
        .await;
    assert_eq!(login.status(), 200);
    assert!(login.html().contains_text("Inloggen op de beheerconsole"));
    // Elsewhere the portal is as it was.
    let home = visitor.get_with("/", "host", "dijkstad.localhost").await;
    assert_eq!(home.status(), 200);
    assert!(home.html().contains_text("Dijkstad"));
}

#[tokio::test]
async fn the_demo_staff_log_in_only_while_the_server_is_the_demo() {
    // The embedded database as the demo's first start makes it.
    let dir = tempfile::tempdir().unwrap();
    let demo = test_config(dir.path());
    let app = TestApp::start(demo.clone(), dir).await;
    let printed = app.app.as_ref().unwrap().demo_staff().to_vec();
    assert_eq!(printed.len(), 7, "{printed:?}");
    let medewerker = printed
        .iter()
        .find(|d| d.email == "medewerker.dijkstad@demo.parkportal.nl")
        .unwrap();
    let mut browser = Staff::browser(&app, &medewerker.email);
    browser.secret = TotpSecret::from_base32(&medewerker.secret).unwrap();
    let resp = browser.login_with(&app, "demo-beheer-2026").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(resp.location(), "/beheer/dijkstad");

    // The same database behind an https public URL is no demo: its staff cannot log in.
    let mut app = app;
    app.stop().await;
    let dir = std::mem::replace(&mut app.dir, tempfile::tempdir().unwrap());
    let mut real = demo;
    real.server.public_url = Some("https://parkeren.example.nl".into());
    let app = TestApp::start(real, dir).await;
    assert!(app.app.as_ref().unwrap().demo_staff().is_empty());
    let browser = Staff::browser(&app, &medewerker.email);
    let resp = browser.password_step("demo-beheer-2026").await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("klopt niet"));
}

#[tokio::test]
async fn over_https_the_console_cookie_goes_by_its_secure_prefixed_name() {
    let app = TestApp::spawn_with(|c| {
        c.server.public_url = Some("https://parkeren.example.nl".into());
    })
    .await;
    let link = staff_link(&app, "an@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    let browser = Staff::browser(&app, "an@dijkstad.nl");
    let page = browser.page(&link).await;
    let resp = browser
        .submit(
            &page.form(&link),
            &[
                ("wachtwoord", STAFF_PASSWORD),
                ("herhaling", STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let cookie = resp.header("set-cookie").unwrap_or_default();
    assert!(cookie.starts_with("__Secure-pp_staff="), "{cookie}");
    for part in ["Path=/beheer", "SameSite=Strict", "HttpOnly", "Secure"] {
        assert!(cookie.contains(part), "{cookie}");
    }
}

#[tokio::test]
async fn every_post_to_every_console_route_leaves_exactly_one_entry() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let anon = Staff::browser(&app, "nobody@example.nl");
    let mut checked = 0;
    for (pattern, kind, _) in parkportal_admin::route_list() {
        if !kind.takes_forms() {
            continue;
        }
        let path = format!(
            "/beheer{}",
            pattern
                .replace(":gemeente", "dijkstad")
                .replace(":token", &"ab".repeat(32))
                .replace("*rest", "onbekend")
        );
        let path = path.trim_end_matches('/').to_owned();
        for (who, user) in [("anonymous", &anon), ("medewerker", &an)] {
            if who == "medewerker" && an.get("/beheer").await.status() != 200 {
                an.login(&app).await; // a POST to /uitloggen logged out
            }
            // Forged (no CSRF token): refused before the route, on the record.
            let before = audit_entries(&app).await.len();
            let resp = user.post_without_csrf(&path, &[]).await;
            assert_eq!(resp.status(), 403, "{who} POST {path}");
            let entries = audit_entries(&app).await;
            assert_eq!(entries.len(), before + 1, "{who} forged POST {path}");
            assert_eq!(entries[0].result, "refused");
            // With the token and an empty form: one entry, whatever the route answers, unless
            // the route takes no POST at all.
            let before = audit_entries(&app).await.len();
            let resp = user.post_form(&path, &[]).await;
            let after = audit_entries(&app).await.len();
            if resp.status() == 405 {
                assert_eq!(after, before, "{who} POST {path}: no route, no entry");
            } else {
                assert_eq!(after, before + 1, "{who} POST {path}: {}", resp.status());
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked}");
}

#[tokio::test]
async fn housekeeping_removes_idle_console_sessions_and_old_enrolment_links() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let link = staff_link(&app, "bo@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    // Counted by what is left: the housekeeping every start runs in the background may be the
    // one that removes a row, when it runs late.
    let housekeeping = || async {
        app.app
            .as_ref()
            .unwrap()
            .housekeeping()
            .run_once()
            .await
            .unwrap();
    };
    let sessions = || app.sql_i64("SELECT COUNT(*) FROM staff_sessions");
    let links = || app.sql_i64("SELECT COUNT(*) FROM staff_enrolments");
    housekeeping().await;
    assert_eq!((sessions().await, links().await), (1, 2));
    an.page("/beheer/dijkstad").await;
    app.clock.advance(Duration::minutes(16));
    housekeeping().await;
    assert_eq!(sessions().await, 0);
    assert_eq!(
        an.get("/beheer/dijkstad").await.location(),
        "/beheer/inloggen"
    );
    // An expired link stays a while to say it expired, then goes (and an's used one with it).
    app.clock.advance(Duration::hours(24));
    housekeeping().await;
    assert_eq!(links().await, 2);
    assert_eq!(Anonymous::new(&app).get(&link).await.status(), 410);
    app.clock.advance(Duration::days(31));
    housekeeping().await;
    assert_eq!(links().await, 0);
    assert_eq!(Anonymous::new(&app).get(&link).await.status(), 404);
}

#[tokio::test]
async fn with_a_mail_server_the_enrolment_link_is_mailed_as_well() {
    let smtp = crate::support::smtp::SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| {
        crate::support::with_smtp(c, port);
        c.server.public_url = Some("http://parkeren.test".into());
    })
    .await;
    let printed = staff_link(&app, "an@dijkstad.nl", Some(("dijkstad", Role::Staff))).await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].to, vec!["an@dijkstad.nl".to_owned()]);
    assert!(
        mails[0].text().contains("Beste Test an@dijkstad.nl"),
        "{}",
        mails[0].text()
    );
    let link = mails[0].link("/beheer/inschrijven/");
    assert_eq!(link, format!("http://parkeren.test{printed}"));
    // The mailed link is the printed one: it opens the enrolment.
    let page = Staff::browser(&app, "an@dijkstad.nl").page(&printed).await;
    assert!(page.contains_text("Kies uw wachtwoord"));
}

#[tokio::test]
async fn deactivating_an_account_ends_its_sessions_at_once_and_shuts_it_out_until_reactivated() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    an.page("/beheer/dijkstad").await;
    let enrolment = app.app.as_ref().unwrap().console().enrolment();
    let email = parkportal_domain::EmailAddress::parse("an@dijkstad.nl").unwrap();
    let deactivated = enrolment
        .set_active(
            &email,
            false,
            parkportal_domain::audit::Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    assert!(deactivated);
    assert_eq!(audit_entries(&app).await[0].action, "staff.deactivated");
    // The open session is gone at once, and the password no longer leads anywhere.
    assert_eq!(
        an.get("/beheer/dijkstad").await.location(),
        "/beheer/inloggen"
    );
    let resp = an.password_step(STAFF_PASSWORD).await;
    assert_eq!(resp.status(), 422);
    // Twice is once.
    assert!(
        !enrolment
            .set_active(
                &email,
                false,
                parkportal_domain::audit::Actor::Operator,
                "cli"
            )
            .await
            .unwrap()
    );
    enrolment
        .set_active(
            &email,
            true,
            parkportal_domain::audit::Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    let resp = an.login(&app).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.location(), "/beheer/dijkstad");
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_exports_a_gemeentes_entries_to_its_beheerders() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    // Entries of Dijkstad: an's refused visit to the beheerder's page, two accounts created.
    assert_eq!(an.get("/beheer/dijkstad/auditlog").await.status(), 403);
    let log = bo.page("/beheer/dijkstad/auditlog").await;
    let rows = log_rows(&log);
    assert!(rows.len() >= 3, "{rows:?}");
    assert!(
        rows.iter().all(|r| !r.iter().any(|c| c.contains("piet@"))),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.iter().any(|c| c == "an@dijkstad.nl") && r.iter().any(|c| c == "Geweigerd"))
    );
    // Filters: actor, action prefix, result, period.
    let refused = log_rows(
        &bo.page("/beheer/dijkstad/auditlog?wie=AN%40dijkstad&resultaat=refused")
            .await,
    );
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].iter().any(|c| c == "console.access"));
    let created = log_rows(&bo.page("/beheer/dijkstad/auditlog?actie=staff.creat").await);
    assert_eq!(created.len(), 2, "{created:?}");
    let tomorrow = bo.page("/beheer/dijkstad/auditlog?van=2026-03-03").await;
    assert!(log_rows(&tomorrow).is_empty());
    assert!(tomorrow.contains_text("Geen regels gevonden"));
    let today = bo
        .page("/beheer/dijkstad/auditlog?van=2026-03-02&tot=2026-03-02")
        .await;
    assert_eq!(log_rows(&today).len(), rows.len());
    // A date that is none: the form again, with its error.
    let bad = bo.get("/beheer/dijkstad/auditlog?van=gisteren").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.html().contains_text("jjjj-mm-dd"));

    // The CSV: a byte-order mark, `;`, the filtered rows, and the export on the record.
    let csv = bo
        .get("/beheer/dijkstad/auditlog.csv?actie=staff.creat")
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        csv.header("content-disposition")
            .unwrap_or_default()
            .contains("auditlog-dijkstad.csv")
    );
    let text = csv.text();
    assert!(text.starts_with('\u{feff}'), "a byte-order mark");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("Tijd;Wie;Rol;Gemeente;Actie"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(";staff.created;staff;"), "{}", lines[1]);
    let entries = audit_entries(&app).await;
    assert_eq!(entries[0].action, "audit.exported");
    assert_eq!(entries[0].object_id.as_deref(), Some("2"));

    // Another gemeente's beheerder sees neither this log nor its export.
    assert_eq!(piet.get("/beheer/dijkstad/auditlog").await.status(), 404);
    assert_eq!(
        piet.get("/beheer/dijkstad/auditlog.csv").await.status(),
        404
    );
    let own = log_rows(&piet.page("/beheer/havenmond/auditlog").await);
    assert!(
        own.iter()
            .all(|r| !r.iter().any(|c| c.contains("dijkstad.nl"))),
        "{own:?}"
    );

    // The platform's log has every gemeente's entries and those of no gemeente (enrolment).
    let root = platform_admin(&app, "root@parkportal.nl").await;
    let all = log_rows(
        &root
            .page("/beheer/platform/auditlog?actie=staff.enrolment")
            .await,
    );
    assert!(!all.is_empty());
    let everything = root.page("/beheer/platform/auditlog").await;
    assert!(
        log_rows(&everything)
            .iter()
            .any(|r| r.iter().any(|c| c == "Gemeente Havenmond"))
    );
}

#[tokio::test]
async fn the_audit_log_pages_newest_first() {
    let app = TestApp::spawn().await;
    let root = platform_admin(&app, "root@parkportal.nl").await;
    // Sixty visits to a gemeente's console, each on the record.
    for _ in 0..60 {
        root.page("/beheer/weidevelde").await;
    }
    let first = root
        .page("/beheer/platform/auditlog?actie=console.visit")
        .await;
    assert_eq!(log_rows(&first).len(), 50);
    let next = first.link("Oudere regels");
    assert!(
        next.contains("pagina=2") && next.contains("actie=console.visit"),
        "{next}"
    );
    let second = root.page(&next).await;
    assert_eq!(log_rows(&second).len(), 10);
    assert!(second.links_to(&first_page_link(&next)));
}

/// The link back from page 2 to page 1.
fn first_page_link(page_two: &str) -> String {
    page_two.replace("pagina=2", "pagina=1")
}

/// The entries of an audit log page (its table's rows without the header).
fn log_rows(page: &crate::support::html::Html) -> Vec<Vec<String>> {
    page.rows().into_iter().skip(1).collect()
}

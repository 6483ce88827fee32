//! Authorisation declared per route (the role matrix is generated from the route table), other gemeenten, console hosts, and the one audit entry every POST leaves.

use super::*;
use parkportal_domain::Clock;

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
    let dijkstad = app.tenant("dijkstad").await;
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
    let app = TestApp::spawn_with(|c| c.batches.worker = false).await;
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
    // The staff pages show a member of Dijkstad: the medewerker.
    let dijkstad = app.tenant("dijkstad").await;
    let members = app
        .app
        .as_ref()
        .unwrap()
        .console()
        .staff()
        .members(dijkstad.id)
        .await
        .unwrap();
    let an_id = members
        .iter()
        .find(|l| l.member.email.as_str() == "an@dijkstad.nl")
        .map(|l| l.member.id.0)
        .unwrap();
    // The letter pages show a letter of Dijkstad that is kept.
    let letter = lettered_product(&app).await;
    // The pages of a key show one of Dijkstad.
    let (key, _) = api_key(&app, "dijkstad", "koppeling").await;
    // The pages of a batch show a finished one of Dijkstad (its PDF kept).
    let batches = app.app.as_ref().unwrap().batches();
    let batch = batches
        .upload(parkportal_domain::batches::Upload {
            tenant: "dijkstad",
            file_name: "matrix.csv",
            bytes: b"naam;straat;huisnummer;postcode;plaats\nA;Kerkstraat;1;1234 AB;Dijkstad\n",
            issuer: parkportal_domain::coupling::Issuer {
                actor: parkportal_domain::audit::Actor::Operator,
                role: None,
                origin: "cli".into(),
            },
            key: None,
        })
        .await
        .unwrap()
        .batch;
    let report = batches.runner("matrix").run_once(None).await.unwrap();
    assert!(report.is_some_and(|r| r.finished && r.batch == batch));
    // The page of a session shows Jan's, running.
    let jan_session = jan
        .park(&app, "AB-12-34", app.clock.now() + Duration::hours(2))
        .await;
    let jan_code = code_of(&app, jan.product).await;
    // The page of a correction shows one of Dijkstad waiting for approval.
    let dijkstad_staff = members
        .iter()
        .find(|l| l.member.email.as_str() == "bo@dijkstad.nl")
        .map(|l| l.member.id)
        .unwrap();
    let waiting = app
        .app
        .as_ref()
        .unwrap()
        .console()
        .corrections()
        .propose(parkportal_domain::corrections::CorrectionRequest {
            tenant: dijkstad.id,
            code: letter.code.clone(),
            amount: "60".parse().unwrap(),
            reason: "matrix".into(),
            staff: dijkstad_staff,
            audit: parkportal_domain::audit::AuditEntry::new(
                parkportal_domain::audit::Actor::Operator,
                "balance.correction_proposed",
                "test",
                app.clock.now(),
            ),
        })
        .await
        .unwrap();
    let parkportal_domain::corrections::Corrected::Waiting(correction) = waiting else {
        panic!("{waiting:?}");
    };
    let application = app.application("dijkstad", "aanvrager@example.nl").await;
    let routes = parkportal_admin::route_list();
    assert!(routes.len() >= 10, "{routes:?}");
    let mut checked = 0;
    for (pattern, kind, need) in routes {
        if kind == RouteKind::Redirect && pattern == "/uitloggen" {
            continue; // POST only: the audit tests send it
        }
        // A session's page shows Jan's running one.
        let product = if pattern.contains(":sessie") {
            jan_code.clone()
        } else {
            letter.code.to_string()
        };
        // An application's page shows Dijkstad's application.
        let id = if pattern.contains("/aanvragen/") {
            application
        } else {
            an_id
        };
        let path = sample_path(pattern, id, key)
            .replace(SAMPLE_CODE, &product)
            .replace(":sessie", &jan_session.to_string())
            .replace(":batch", &batch.0.to_string())
            .replace(":correctie", &correction.0.to_string());
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
    let dijkstad = app.tenant("dijkstad").await;
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
async fn every_post_to_every_console_route_leaves_exactly_one_entry() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let anon = Staff::browser(&app, "nobody@example.nl");
    let mut checked = 0;
    for (pattern, kind, _) in parkportal_admin::route_list() {
        if !kind.takes_forms() {
            continue;
        }
        // No staff member nor key has id 0: these visitors are refused before any lookup.
        let path = sample_path(pattern, 0, 0);
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
async fn every_post_a_beheerder_or_platformbeheerder_may_send_leaves_exactly_one_entry() {
    let app = TestApp::spawn().await;
    let _an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let an_id = app
        .app
        .as_ref()
        .unwrap()
        .console()
        .staff()
        .members(app.tenant("dijkstad").await.id)
        .await
        .unwrap()
        .iter()
        .find(|l| l.member.email.as_str() == "an@dijkstad.nl")
        .map(|l| l.member.id.0)
        .unwrap();
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let root = platform_admin(&app, "root@parkportal.nl").await;
    // The beheerder revokes it, the platformbeheerder finds it revoked: one entry each.
    let (key, _) = api_key(&app, "dijkstad", "koppeling").await;
    let mut checked = 0;
    for (pattern, kind, need) in parkportal_admin::route_list() {
        if !kind.takes_forms() || pattern == "/uitloggen" || need == Need::Anyone {
            continue;
        }
        let path = sample_path(pattern, an_id, key);
        for (who, user) in [("beheerder", &bo), ("platformbeheerder", &root)] {
            // An empty form, or whatever the route makes of it: one entry, done or refused.
            let before = audit_entries(&app).await.len();
            let resp = user.post_form(&path, &[]).await;
            let after = audit_entries(&app).await.len();
            if resp.status() == 405 {
                assert_eq!(after, before, "{who} POST {path}: no route, no entry");
                continue;
            }
            assert_eq!(after, before + 1, "{who} POST {path}: {}", resp.status());
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked}");
}

//! The login with a second factor: wrong, replayed and recovery codes, the lock-out, the cookie and the time-outs.

use super::*;

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

//! What protects logins: the growing delay after ten wrong passwords (for known and unknown
//! addresses alike), [Onthoud mij] across the time-out, and "Wachtwoord vergeten?" with its
//! captcha, its single-use expiring link, and the end of every session.

use crate::captcha;
use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, with_smtp};

const PASSWORD: &str = "fietsbel42xy";
const NEW_PASSWORD: &str = "nieuwe fiets met bel 2026";

/// An app with SMTP and a resident `email` whose account exists (created through the coupling
/// link), logged out in a fresh browser.
async fn resident(email: &str) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let mut app = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    app.issue_to("dijkstad", email).await;
    let link = smtp.wait_for(1).await[0].link("/koppel/");
    let path = link[app.app.as_ref().unwrap().public_url().len()..].to_owned();
    let created = app
        .post_form(&path, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    assert_eq!(created.status(), 200);
    app.new_browser();
    (app, smtp)
}

/// One password attempt through both steps: the status and the page's alert.
async fn attempt(app: &TestApp, email: &str, password: &str) -> (u16, String) {
    let step1 = app.post_form("/inloggen", &[("email", email)]).await;
    assert_eq!(step1.status(), 303);
    let resp = app
        .post_form("/inloggen/wachtwoord", &[("wachtwoord", password)])
        .await;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    let alert = body
        .split("role=\"alert\">")
        .nth(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .unwrap_or_default();
    (status, alert)
}

/// One password attempt through both steps from client address `client`.
async fn attempt_from(app: &TestApp, email: &str, password: &str, client: &str) -> (u16, String) {
    let csrf = app.csrf().await;
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(fields);
        app.client
            .post(format!("{}{path}", app.url))
            .header("x-test-client", client)
            .form(&form)
            .send()
    };
    let step1 = post("/inloggen", vec![("email", email.to_owned())])
        .await
        .unwrap();
    assert_eq!(step1.status(), 303);
    let resp = post(
        "/inloggen/wachtwoord",
        vec![("wachtwoord", password.to_owned())],
    )
    .await
    .unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    let alert = body
        .split("role=\"alert\">")
        .nth(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .unwrap_or_default();
    (status, alert)
}

#[tokio::test]
async fn ten_wrong_passwords_make_even_the_right_one_wait_for_known_and_unknown_alike() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| {
        with_smtp(c, port);
        c.server.client_ip_header = Some("X-Test-Client".into());
    })
    .await;
    app.issue_to("dijkstad", "gert@example.nl").await;
    let link = smtp.wait_for(1).await[0].link("/koppel/");
    let path = link[app.app.as_ref().unwrap().public_url().len()..].to_owned();
    app.post_form(&path, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;

    // Ten wrong guesses for each address, every one from another client address: the address
    // alone must make the eleventh wait.
    for (i, email) in ["gert@example.nl", "onbekend@example.nl"]
        .iter()
        .enumerate()
    {
        for n in 0..10 {
            let client = format!("10.{i}.0.{n}");
            let (status, alert) = attempt_from(&app, email, "verkeerd123", &client).await;
            assert_eq!(status, 422, "{email} attempt {n}");
            assert!(alert.contains("klopt niet"), "{email} attempt {n}: {alert}");
        }
    }
    let known = attempt_from(&app, "gert@example.nl", PASSWORD, "10.9.9.1").await;
    let unknown = attempt_from(&app, "onbekend@example.nl", "verkeerd123", "10.9.9.2").await;
    assert_eq!(known.0, 422, "the right password waits too");
    assert!(
        known.1.contains("te vaak") && known.1.contains("10:00:30"),
        "{}",
        known.1
    );
    assert_eq!(
        known, unknown,
        "known and unknown addresses get the same answer"
    );

    // Ten wrong guesses from one client on ten addresses make that client wait.
    for n in 0..10 {
        attempt_from(
            &app,
            &format!("iemand{n}@example.nl"),
            "verkeerd123",
            "10.8.8.8",
        )
        .await;
    }
    let (status, alert) = attempt_from(&app, "gert@example.nl", PASSWORD, "10.8.8.8").await;
    assert_eq!(status, 422);
    assert!(alert.contains("te vaak"), "{alert}");

    // After the delay the right password works again, and ends the address's run.
    app.clock.advance(chrono::Duration::minutes(5));
    let (status, _) = attempt_from(&app, "gert@example.nl", PASSWORD, "10.7.7.7").await;
    assert_eq!(status, 303);
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM throttles WHERE blocked_until IS NOT NULL AND count >= 10"
        )
        .await,
        2,
        "the unknown address and the guessing client still count; gert's run is over"
    );
}

#[tokio::test]
async fn remember_me_starts_a_new_session_after_the_time_out_and_logout_revokes_it() {
    let (app, _smtp) = resident("roos@example.nl").await;
    let step1 = app
        .post_form("/inloggen", &[("email", "roos@example.nl")])
        .await;
    assert_eq!(step1.status(), 303);
    let login = app
        .post_form(
            "/inloggen/wachtwoord",
            &[("wachtwoord", PASSWORD), ("onthoud", "ja")],
        )
        .await;
    assert_eq!(login.status(), 303);
    let first = app.cookie("pp_remember").expect("a remember-me cookie");
    let stored = app
        .sql_text("SELECT token_hash FROM remember_tokens")
        .await
        .unwrap();
    assert_ne!(stored, first, "stored hashed");

    // An hour later the session has timed out, yet the resident is still logged in.
    app.clock.advance(chrono::Duration::hours(1));
    assert!(
        app.page("/menu")
            .await
            .contains("ingelogd als roos@example.nl")
    );
    let second = app.cookie("pp_remember").unwrap();
    assert_ne!(first, second, "the token rotates at every use");
    // For a minute the old token still opens the exchange's session (two tabs resuming at
    // once), without replacing the new token; after that it revokes them (remember_me.rs).
    let tab = app
        .page_with_cookie("/menu", &format!("pp_remember={first}"))
        .await;
    assert!(tab.contains("ingelogd als roos@example.nl"));

    // [Uitloggen] revokes it: the next time-out really logs out.
    let out = app.post_form("/uitloggen", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM remember_tokens").await, 0);
    let revoked = app
        .page_with_cookie("/menu", &format!("pp_remember={second}"))
        .await;
    assert!(!revoked.contains("ingelogd als"));
}

/// Asks for a reset of `email`, answering the captcha.
async fn ask_reset(app: &TestApp, email: &str) -> reqwest::Response {
    let page = app.page("/wachtwoord-vergeten").await;
    let (id, question) = captcha::read(&page);
    app.post_form(
        "/wachtwoord-vergeten",
        &[
            ("email", email),
            ("captcha_id", &id),
            ("captcha_answer", &captcha::solve(&question)),
        ],
    )
    .await
}

#[tokio::test]
async fn a_password_reset_sets_the_password_ends_every_session_and_lifts_the_delay() {
    let (mut app, smtp) = resident("lies@example.nl").await;
    // Logged in on a second device with [Onthoud mij]; and ten wrong guesses from here.
    let device = {
        let step1 = app
            .post_form("/inloggen", &[("email", "lies@example.nl")])
            .await;
        assert_eq!(step1.status(), 303);
        app.post_form(
            "/inloggen/wachtwoord",
            &[("wachtwoord", PASSWORD), ("onthoud", "ja")],
        )
        .await;
        (
            app.cookie("pp_session").unwrap(),
            app.cookie("pp_remember").unwrap(),
        )
    };
    app.new_browser();
    for _ in 0..10 {
        attempt(&app, "lies@example.nl", "verkeerd123").await;
    }

    // Known and unknown addresses get the same page; only the account gets a mail.
    let unknown = ask_reset(&app, "niemand@example.nl").await;
    assert_eq!(unknown.status(), 200);
    let unknown = unknown.text().await.unwrap();
    let known = ask_reset(&app, "lies@example.nl").await;
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap();
    assert_eq!(
        unknown.replace("niemand@example.nl", "X"),
        known.replace("lies@example.nl", "X")
    );
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2, "the coupling mail and the reset mail");
    let mail = &mails[1];
    assert_eq!(mail.to, vec!["lies@example.nl".to_owned()]);
    let link = mail.link("/wachtwoord-herstellen/");
    let path = link[app.app.as_ref().unwrap().public_url().len()..].to_owned();

    // A weak password, then a wrong captcha, are refused; nothing changes.
    let page = app.page(&path).await;
    assert!(page.contains("Eisen voor uw wachtwoord"));
    let (id, question) = captcha::read(&page);
    let weak = app
        .post_form(
            &path,
            &[
                ("wachtwoord", "kort1"),
                ("herhaling", "kort1"),
                ("captcha_id", &id),
                ("captcha_answer", &captcha::solve(&question)),
            ],
        )
        .await;
    assert_eq!(weak.status(), 422);
    let weak = weak.text().await.unwrap();
    assert!(weak.contains("te kort"));
    let (id, _) = captcha::read(&weak);
    let wrong = app
        .post_form(
            &path,
            &[
                ("wachtwoord", NEW_PASSWORD),
                ("herhaling", NEW_PASSWORD),
                ("captcha_id", &id),
                ("captcha_answer", "zeker niet"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let wrong = wrong.text().await.unwrap();
    assert!(wrong.contains("controlevraag klopt niet"));
    // The same challenge again, now answered right, is refused: a challenge is single-use.
    let replay = app
        .post_form(
            &path,
            &[
                ("wachtwoord", NEW_PASSWORD),
                ("herhaling", NEW_PASSWORD),
                ("captcha_id", &id),
                ("captcha_answer", "12"),
            ],
        )
        .await;
    assert_eq!(replay.status(), 422);

    let (id, question) = captcha::read(&replay.text().await.unwrap());
    let done = app
        .post_form(
            &path,
            &[
                ("wachtwoord", NEW_PASSWORD),
                ("herhaling", NEW_PASSWORD),
                ("captcha_id", &id),
                ("captcha_answer", &captcha::solve(&question)),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("Uw wachtwoord is nu gewijzigd")
    );

    // Every session and remember-me token of the account has ended.
    for cookie in [
        format!("pp_session={}", device.0),
        format!("pp_remember={}", device.1),
    ] {
        assert!(
            !app.page_with_cookie("/menu", &cookie)
                .await
                .contains("ingelogd als")
        );
    }
    // The delay is lifted and the new password works; the old one does not.
    let (status, _) = attempt(&app, "lies@example.nl", PASSWORD).await;
    assert_eq!(status, 422);
    let (status, _) = attempt(&app, "lies@example.nl", NEW_PASSWORD).await;
    assert_eq!(status, 303);

    // The link is used up.
    let used = app.get(&path).send().await.unwrap();
    assert_eq!(used.status(), 410);
    assert!(used.text().await.unwrap().contains("al gebruikt"));
}

#[tokio::test]
async fn a_reset_link_expires_and_requests_are_limited() {
    let (app, smtp) = resident("tom@example.nl").await;
    let sent = ask_reset(&app, "tom@example.nl").await;
    assert_eq!(sent.status(), 200);
    let mail = &smtp.wait_for(2).await[1];
    let link = mail.link("/wachtwoord-herstellen/");
    let path = link[app.app.as_ref().unwrap().public_url().len()..].to_owned();
    app.clock.advance(chrono::Duration::minutes(61));
    let expired = app.get(&path).send().await.unwrap();
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("verlopen"));

    // Three requests an hour per address (the clock moved on: a new hour); the fourth waits.
    for _ in 0..3 {
        assert_eq!(ask_reset(&app, "tom@example.nl").await.status(), 200);
    }
    let limited = ask_reset(&app, "tom@example.nl").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.text().await.unwrap().contains("te vaak gevraagd"));

    // A wrong answer to the captcha sends nothing.
    let before = smtp.wait_for(5).await.len();
    let queued = app.sql_i64("SELECT COUNT(*) FROM outbox").await;
    let page = app.page("/wachtwoord-vergeten").await;
    let (id, _) = captcha::read(&page);
    let wrong = app
        .post_form(
            "/wachtwoord-vergeten",
            &[
                ("email", "tom@example.nl"),
                ("captcha_id", &id),
                ("captcha_answer", "nee"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    // Every mail goes through the outbox: none queued is none ever sent.
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM outbox").await, queued);
    assert_eq!(smtp.received().len(), before);
}

#[tokio::test]
async fn guessing_links_makes_the_client_wait_even_for_a_real_one() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    app.issue_to("dijkstad", "echt@example.nl").await;
    let link = smtp.wait_for(1).await[0].link("/koppel/");
    let real = link[app.app.as_ref().unwrap().public_url().len()..].to_owned();
    for i in 0..20u8 {
        let guess = format!("/koppel/{}", format!("{i:02x}").repeat(32));
        assert_eq!(
            app.get(&guess).send().await.unwrap().status(),
            404,
            "guess {i}"
        );
    }
    let blocked = app.get(&real).send().await.unwrap();
    assert_eq!(blocked.status(), 429);
    assert!(blocked.text().await.unwrap().contains("te vaak een link"));
    let reset = app
        .get(&format!("/wachtwoord-herstellen/{}", "ab".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 404, "reset links count on their own");
    app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(app.get(&real).send().await.unwrap().status(), 200);
}

//! Resident accounts: products issued to an address, the coupling link in the mail (with and
//! without an account), login in two steps, logout and the idle time-out. Mails go through a real
//! SMTP server inside the test.

use crate::support::html::Html;
use crate::support::smtp::{Received, SmtpServer};
use crate::support::{TestApp, unescape, with_smtp};
use parkportal_domain::coupling::IssueRequest;

const PASSWORD: &str = "fietsbel42xy";

/// The path of the coupling link in `mail`, checked to start with the configured public URL.
fn link_path(app: &TestApp, mail: &Received) -> String {
    let link = mail.link("/koppel/");
    let public = app.app.as_ref().unwrap().public_url().to_owned();
    assert!(link.starts_with(&public), "{link} is not under {public}");
    link[public.len()..].to_owned()
}

async fn smtp_app() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| {
        with_smtp(c, port);
        // Links must come from the configured URL, never from the Host a request used.
        c.server.public_url = Some("http://parkeren.test".into());
    })
    .await;
    (app, smtp)
}

#[tokio::test]
async fn a_coupling_link_without_an_account_creates_it_and_couples_the_product() {
    let (app, smtp) = smtp_app().await;
    let issued = app.issue_to("dijkstad", "Jan.Jansen@Example.nl").await;

    let mails = smtp.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["jan.jansen@example.nl".to_owned()]);
    assert!(mail.text().contains("Gemeente Dijkstad"), "{}", mail.text());
    assert!(
        unescape(&mail.html()).contains("http://parkeren.test/g/dijkstad/logo"),
        "the logo heads the html part"
    );
    let path = link_path(&app, mail);
    assert!(path.starts_with("/g/dijkstad/koppel/"), "{path}");

    // Only the hash of the token is stored.
    let token = path.rsplit('/').next().unwrap();
    let stored = app
        .sql_text("SELECT token_hash FROM email_links")
        .await
        .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored.len(), 64);
    // Once sent, the mail in the outbox keeps its words but not the working link.
    app.wait_sent(1).await;
    let kept = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%{token}%' OR body_html LIKE '%{token}%'"
        ))
        .await;
    assert_eq!(kept, 0, "the token survives in the outbox");
    let text = app.sql_text("SELECT body_text FROM outbox").await.unwrap();
    assert!(
        text.contains("/koppel/…") && text.contains("Gemeente Dijkstad"),
        "{text}"
    );

    let page = app.page(&path).await;
    assert!(page.contains("Account aanmaken"), "{page}");
    assert!(page.contains("jan.jansen@example.nl"));
    assert!(
        page.contains("Eisen voor uw wachtwoord"),
        "requirements show before typing"
    );

    // A weak password and a wrong repetition are refused with their reasons; nothing is created.
    let weak = app
        .post_form(
            &path,
            &[("wachtwoord", "welkom01"), ("herhaling", "welkom01")],
        )
        .await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("te vaak gebruikt"));
    let mismatch = app
        .post_form(
            &path,
            &[("wachtwoord", PASSWORD), ("herhaling", "fietsbel42xz")],
        )
        .await;
    assert_eq!(mismatch.status(), 422);
    assert!(mismatch.text().await.unwrap().contains("niet gelijk"));
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM accounts").await, 0);

    let done = app
        .post_form(&path, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Product gekoppeld"));
    let owner = app
        .sql_i64(&format!(
            "SELECT COALESCE(owner_id, 0) FROM products WHERE id = {}",
            issued.id
        ))
        .await;
    let account = app
        .sql_i64("SELECT id FROM accounts WHERE email = 'jan.jansen@example.nl'")
        .await;
    assert_eq!(owner, account);
    let hash = app
        .sql_text("SELECT password_hash FROM accounts")
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    // Logged in now; the link is used up.
    assert!(
        app.page("/menu")
            .await
            .contains("ingelogd als jan.jansen@example.nl")
    );
    let again = app.get(&path).send().await.unwrap();
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("al gebruikt"));
}

#[tokio::test]
async fn an_existing_account_logs_in_first_and_then_confirms() {
    let (mut app, smtp) = smtp_app().await;
    app.issue_to("dijkstad", "piet@example.nl").await;
    let first = link_path(&app, &smtp.wait_for(1).await[0]);
    let resp = app
        .post_form(&first, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    assert_eq!(resp.status(), 200);

    // A second product for the same address, opened on another device that is not logged in.
    let second = app.issue_to("havenmond", "piet@example.nl").await;
    let mails = smtp.wait_for(2).await;
    let path = link_path(&app, &mails[1]);
    assert!(path.starts_with("/g/havenmond/"), "{path}");
    app.new_browser();
    let page = unescape(&app.page(&path).await);
    assert!(
        page.contains("Er is al een account voor piet@example.nl"),
        "{page}"
    );
    let login_href = format!("/g/havenmond/inloggen?terug={path}");
    assert!(page.contains(&login_href), "{page}");

    // Step 1 and step 2, returning to the link.
    let step1 = app
        .post_form(
            "/g/havenmond/inloggen",
            &[("email", "piet@example.nl"), ("terug", &path)],
        )
        .await;
    assert_eq!(step1.status(), 303);
    let next = step1.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        next.starts_with("/g/havenmond/inloggen/wachtwoord?terug="),
        "{next}"
    );
    let step_page = unescape(&app.page(&next).await);
    assert!(step_page.contains(&format!("value=\"{path}\"")));
    assert!(step_page.contains("piet@example.nl"));
    let step2 = app
        .post_form(
            "/g/havenmond/inloggen/wachtwoord",
            &[("wachtwoord", PASSWORD), ("terug", &path)],
        )
        .await;
    assert_eq!(step2.status(), 303);
    assert_eq!(step2.headers()["location"], path.as_str());

    let confirm = app.page(&path).await;
    assert!(confirm.contains("Bevestigen"));
    assert!(confirm.contains("Gemeente Havenmond"));
    let done = app.post_form(&path, &[]).await;
    assert_eq!(done.status(), 200);
    let owned = app
        .sql_i64(&format!(
            "SELECT COUNT(*) FROM products p JOIN accounts a ON a.id = p.owner_id \
             WHERE a.email = 'piet@example.nl' AND p.id IN (1, {})",
            second.id
        ))
        .await;
    assert_eq!(owned, 2);
}

#[tokio::test]
async fn used_expired_unknown_and_foreign_links_get_clear_pages() {
    let (mut app, smtp) = smtp_app().await;
    app.issue_to("dijkstad", "anna@example.nl").await;
    app.issue_to("dijkstad", "bert@example.nl").await;
    let mails = smtp.wait_for(2).await;
    let anna = mails.iter().find(|m| m.to[0] == "anna@example.nl").unwrap();
    let bert = mails.iter().find(|m| m.to[0] == "bert@example.nl").unwrap();
    let (anna, bert) = (link_path(&app, anna), link_path(&app, bert));

    // Anna creates her account; Bert's link is foreign to her.
    app.post_form(&anna, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    let foreign = app.get(&bert).send().await.unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.text().await.unwrap().contains("ander e-mailadres"));
    let forced = app.post_form(&bert, &[]).await;
    assert_eq!(
        forced.status(),
        403,
        "confirming someone else's link is refused too"
    );

    let unknown = app
        .get(&format!("/koppel/{}", "ab".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("bestaat niet"));
    let malformed = app.get("/koppel/kort").send().await.unwrap();
    assert_eq!(malformed.status(), 404);

    // Bert waits eight days: the link of seven days has expired.
    app.new_browser();
    app.clock.advance(chrono::Duration::days(8));
    let expired = app.get(&bert).send().await.unwrap();
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("verlopen"));
    let late = app
        .post_form(&bert, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    assert_eq!(late.status(), 410);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM accounts WHERE email = 'bert@example.nl'")
            .await,
        0
    );
}

#[tokio::test]
async fn login_is_two_steps_and_one_answer_for_unknown_and_wrong() {
    let (mut app, smtp) = smtp_app().await;
    app.issue_to("weidevelde", "kees@example.nl").await;
    let path = link_path(&app, &smtp.wait_for(1).await[0]);
    app.post_form(&path, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    app.new_browser();

    let page = app.page("/inloggen").await;
    assert!(page.contains("name=\"email\""));
    assert!(
        !page.contains("name=\"wachtwoord\""),
        "the password is the second step"
    );
    let bad_email = app.post_form("/inloggen", &[("email", "kees@")]).await;
    assert_eq!(bad_email.status(), 422);
    assert!(
        bad_email
            .text()
            .await
            .unwrap()
            .contains("geldig e-mailadres")
    );

    let attempt = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let step1 = app.post_form("/inloggen", &[("email", email)]).await;
            assert_eq!(step1.status(), 303);
            let resp = app
                .post_form("/inloggen/wachtwoord", &[("wachtwoord", password)])
                .await;
            let status = resp.status();
            let body = resp.text().await.unwrap();
            let message = body
                .split("role=\"alert\">")
                .nth(1)
                .map(|s| s.split('<').next().unwrap().to_owned());
            (status, message)
        }
    };
    let wrong = attempt("kees@example.nl", "verkeerd123").await;
    let unknown = attempt("niemand@example.nl", "verkeerd123").await;
    assert_eq!(wrong.0, 422);
    assert_eq!(
        wrong, unknown,
        "unknown and known addresses get the same answer"
    );
    assert!(wrong.1.unwrap().contains("klopt niet"));
    assert!(app.cookie("pp_session").is_none());

    app.login("Kees@Example.NL", PASSWORD).await;
    assert!(
        app.page("/menu")
            .await
            .contains("ingelogd als kees@example.nl")
    );
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM auth_sessions").await, 2);

    // [Uitloggen] ends the session in the database, not only the cookie.
    let session = app.cookie("pp_session").unwrap();
    let out = app.post_form("/uitloggen", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/inloggen?reden=uitgelogd");
    let login = Html::parse(&app.page("/inloggen?reden=uitgelogd").await);
    assert_eq!(
        login.messages(),
        [(
            "ok".into(),
            Some("status".into()),
            "U bent uitgelogd.".into()
        )],
        "done, as asked"
    );
    let replay = app
        .get("/menu")
        .header("cookie", format!("pp_session={session}"))
        .send()
        .await
        .unwrap();
    assert!(!replay.text().await.unwrap().contains("ingelogd als"));
}

#[tokio::test]
async fn the_idle_time_out_ends_the_session_and_the_login_page_says_why() {
    let (mut app, smtp) = smtp_app().await;
    app.issue_to("dijkstad", "els@example.nl").await;
    let path = link_path(&app, &smtp.wait_for(1).await[0]);
    app.post_form(&path, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    app.new_browser();
    app.login("els@example.nl", PASSWORD).await;

    // Activity keeps the session: 14 minutes, twice.
    for _ in 0..2 {
        app.clock.advance(chrono::Duration::minutes(14));
        assert!(
            app.page("/menu")
                .await
                .contains("ingelogd als els@example.nl")
        );
    }
    // Fifteen minutes of nothing end it.
    app.clock.advance(chrono::Duration::minutes(15));
    let login = app.page("/inloggen").await;
    assert!(login.contains("automatisch uitgelogd"), "{login}");
    let told = Html::parse(&login).messages();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].0, "warning", "not asked for: to heed");
    assert!(!app.page("/menu").await.contains("ingelogd als"));
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM auth_sessions a JOIN accounts b ON a.account_id = b.id \
                     WHERE b.email = 'els@example.nl'"
        )
        .await,
        1,
        "only the session of the device that created the account is left"
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.csrf().await;
    let resp = app
        .client
        .post(format!("{}/inloggen", app.url))
        .form(&[("email", "a@example.nl"), ("csrf", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let cookie = app.get("/").send().await.unwrap();
    assert!(cookie.status().is_success());
}

#[tokio::test]
async fn products_are_issued_only_with_the_gemeentes_own_types_and_zones() {
    let app = TestApp::spawn().await;
    let desk = app.app.as_ref().unwrap().state().desk().clone();
    let havenmond = app.tenant("havenmond").await;
    let overview = app
        .app
        .as_ref()
        .unwrap()
        .tenants()
        .overview(havenmond.id)
        .await
        .unwrap()
        .unwrap();
    let foreign_zone = overview.zones[0].code.to_string();
    let dijkstad_zones: Vec<String> = {
        let d = app.tenant("dijkstad").await;
        app.app
            .as_ref()
            .unwrap()
            .tenants()
            .overview(d.id)
            .await
            .unwrap()
            .unwrap()
            .zones
            .iter()
            .map(|z| z.code.to_string())
            .collect()
    };
    assert!(
        !dijkstad_zones.contains(&foreign_zone),
        "the demo zones differ"
    );
    let err = desk
        .issue(IssueRequest {
            tenant: "dijkstad".into(),
            zone: Some(foreign_zone),
            ..IssueRequest::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has no zone"), "{err}");
    let err = desk
        .issue(IssueRequest {
            tenant: "nergenshuizen".into(),
            ..IssueRequest::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no gemeente"), "{err}");
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM products").await, 0);
}

#[tokio::test]
async fn behind_https_every_cookie_is_secure_http_only_and_lax() {
    let app =
        TestApp::spawn_with(|c| c.server.public_url = Some("https://parkeren.test".into())).await;
    let resp = app.get("/inloggen").send().await.unwrap();
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(!cookies.is_empty());
    for c in &cookies {
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"),
            "{c}"
        );
    }
}

#[tokio::test]
async fn a_resident_who_chose_english_gets_english_mail_and_sessions_serve_every_instance() {
    let (app, smtp) = smtp_app().await;
    app.issue_to("dijkstad", "mary@example.nl").await;
    let path = link_path(&app, &smtp.wait_for(1).await[0]);
    // Mary reads the portal in English when she creates her account.
    app.get("/taal?lang=en").send().await.unwrap();
    let done = app
        .post_form(&path, &[("wachtwoord", PASSWORD), ("herhaling", PASSWORD)])
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Product coupled"));
    app.issue_to("havenmond", "mary@example.nl").await;
    let english = &smtp.wait_for(2).await[1];
    assert!(
        english.text().contains("Dear Sir or Madam"),
        "{}",
        english.text()
    );
    assert!(english.text().contains("Gemeente Havenmond"));

    // A second instance on the same database knows her session.
    let second = parkportal::Application::start(&app.config, app.clock.clone())
        .await
        .unwrap();
    let session = app.cookie("pp_session").unwrap();
    let menu = reqwest::Client::new()
        .get(format!("{}/menu", second.url()))
        .header("cookie", format!("pp_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(menu.contains("mary@example.nl"), "{menu}");
    second.stop().await.unwrap();
}

//! The account part of the JSON API: login with bearer tokens, logout, the captcha, password
//! reset and coupling links, with `{"error": {"code", "message"}}` refusals.

use crate::captcha;
use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, call, with_smtp};
use serde_json::{Value, json};

const PASSWORD: &str = "fietsbel42xy";

async fn smtp_app() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    (TestApp::spawn_with(|c| with_smtp(c, port)).await, smtp)
}

async fn post(app: &TestApp, path: &str, body: Value, bearer: Option<&str>) -> (u16, Value) {
    call(app, "POST", path, Some(body), bearer).await
}

async fn get(app: &TestApp, path: &str, bearer: Option<&str>) -> (u16, Value) {
    call(app, "GET", path, None, bearer).await
}

/// The token of the coupling link in the newest mail.
fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_coupling_link_creates_the_account_and_login_gives_a_bearer_token() {
    let (app, smtp) = smtp_app().await;
    app.issue_to("havenmond", "api@example.nl").await;
    let token = token_of(&smtp.wait_for(1).await[0].link("/koppel/"));

    let (status, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": token, "password": "kort", "password_repeat": "kort"}),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "password_too_short");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("te kort")
    );

    let (status, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": token, "password": PASSWORD, "password_repeat": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["product"]["gemeente"], "Gemeente Havenmond");
    let created_token = body["token"].as_str().unwrap().to_owned();
    let (status, me) = get(&app, "/api/v1/me", Some(&created_token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "api@example.nl");

    let (status, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": token, "password": PASSWORD, "password_repeat": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, 410);
    assert_eq!(body["error"]["code"], "coupling_link_used");

    // Login: wrong password and unknown address get the same refusal.
    let (status, wrong) = post(
        &app,
        "/api/v1/auth/login",
        json!({"email": "api@example.nl", "password": "verkeerd123"}),
        None,
    )
    .await;
    let (_, unknown) = post(
        &app,
        "/api/v1/auth/login",
        json!({"email": "niemand@example.nl", "password": "verkeerd123"}),
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(wrong["error"]["code"], "invalid_credentials");
    assert_eq!(wrong["error"]["code"], unknown["error"]["code"]);
    assert_eq!(wrong["error"]["message"], unknown["error"]["message"]);

    let (status, body) = post(
        &app,
        "/api/v1/auth/login",
        json!({"email": "API@example.nl", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let bearer = body["token"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, "/api/v1/me", Some(&bearer)).await.0, 200);

    // A second product for the same address, accepted with the bearer token.
    app.issue_to("dijkstad", "api@example.nl").await;
    let second = token_of(&smtp.wait_for(2).await[1].link("/koppel/"));
    let (status, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": second}),
        None,
    )
    .await;
    assert_eq!(status, 409, "an existing account must log in first");
    assert_eq!(body["error"]["code"], "account_exists");
    let (status, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": second}),
        Some(&bearer),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["product"]["gemeente"], "Gemeente Dijkstad");
    assert!(body["token"].is_null());

    // Logout ends the token.
    let (status, _) = post(&app, "/api/v1/auth/logout", json!({}), Some(&bearer)).await;
    assert_eq!(status, 204);
    let (status, body) = get(&app, "/api/v1/me", Some(&bearer)).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn the_api_takes_no_cookies_and_refuses_other_peoples_links() {
    let (mut app, smtp) = smtp_app().await;
    app.issue_to("dijkstad", "een@example.nl").await;
    app.issue_to("dijkstad", "twee@example.nl").await;
    let mails = smtp.wait_for(2).await;
    let link = |who: &str| {
        token_of(
            &mails
                .iter()
                .find(|m| m.to[0] == who)
                .unwrap()
                .link("/koppel/"),
        )
    };
    let (_, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": link("een@example.nl"), "password": PASSWORD, "password_repeat": PASSWORD}),
        None,
    )
    .await;
    let een = body["token"].as_str().unwrap().to_owned();
    let (status, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": link("twee@example.nl")}),
        Some(&een),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "coupling_link_foreign");

    // A page session (cookie) does not open the API.
    app.new_browser();
    app.login("een@example.nl", PASSWORD).await;
    let resp = app.get("/api/v1/me").send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn password_reset_through_the_api_with_the_captcha() {
    let (app, smtp) = smtp_app().await;
    app.issue_to("dijkstad", "reset@example.nl").await;
    let token = token_of(&smtp.wait_for(1).await[0].link("/koppel/"));
    let (_, body) = post(
        &app,
        "/api/v1/couplings/accept",
        json!({"token": token, "password": PASSWORD, "password_repeat": PASSWORD}),
        None,
    )
    .await;
    let old_bearer = body["token"].as_str().unwrap().to_owned();

    let (status, english) = {
        let resp = reqwest::Client::new()
            .get(format!("{}/api/v1/captcha", app.url))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert!(english["question"].as_str().unwrap().ends_with('?'));
    assert!(
        ["What", "Which"]
            .iter()
            .any(|w| english["question"].as_str().unwrap().starts_with(w)),
        "{english}"
    );

    let captcha = || async {
        let (_, c) = get(&app, "/api/v1/captcha", None).await;
        let id = c["id"].as_str().unwrap().to_owned();
        let answer = captcha::solve(c["question"].as_str().unwrap());
        (id, answer)
    };
    let (id, _) = captcha().await;
    let (status, body) = post(
        &app,
        "/api/v1/auth/password-reset",
        json!({"email": "reset@example.nl", "captcha_id": id, "captcha_answer": "fout"}),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "captcha_wrong");

    let (id, answer) = captcha().await;
    let (status, _) = post(
        &app,
        "/api/v1/auth/password-reset",
        json!({"email": "reset@example.nl", "captcha_id": id, "captcha_answer": answer}),
        None,
    )
    .await;
    assert_eq!(status, 202);
    // The same challenge a second time is refused.
    let (status, body) = post(
        &app,
        "/api/v1/auth/password-reset",
        json!({"email": "reset@example.nl", "captcha_id": id, "captcha_answer": answer}),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "captcha_wrong");

    let reset = token_of(&smtp.wait_for(2).await[1].link("/wachtwoord-herstellen/"));
    let (id, answer) = captcha().await;
    let new = "een lange zin als wachtwoord";
    let (status, body) = post(&app,
        "/api/v1/auth/password-reset/confirm",
        json!({"token": reset, "password": new, "password_repeat": new, "captcha_id": id, "captcha_answer": answer}),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        get(&app, "/api/v1/me", Some(&old_bearer)).await.0,
        401,
        "sessions end"
    );
    let (status, _) = post(
        &app,
        "/api/v1/auth/login",
        json!({"email": "reset@example.nl", "password": new}),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (id, answer) = captcha().await;
    let (status, body) = post(&app,
        "/api/v1/auth/password-reset/confirm",
        json!({"token": reset, "password": new, "password_repeat": new, "captcha_id": id, "captcha_answer": answer}),
        None,
    )
    .await;
    assert_eq!(status, 410);
    assert_eq!(body["error"]["code"], "reset_link_used");
}

#[tokio::test]
async fn the_api_waits_after_ten_wrong_passwords() {
    let app = TestApp::spawn().await;
    for _ in 0..10 {
        let (status, _) = post(
            &app,
            "/api/v1/auth/login",
            json!({"email": "iemand@example.nl", "password": "verkeerd123"}),
            None,
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, body) = post(
        &app,
        "/api/v1/auth/login",
        json!({"email": "iemand@example.nl", "password": "verkeerd123"}),
        None,
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "too_many_attempts");
    let spec: Value = app
        .get("/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/auth/login",
        "/v1/auth/logout",
        "/v1/captcha",
        "/v1/auth/password-reset",
        "/v1/auth/password-reset/confirm",
        "/v1/couplings/accept",
        "/v1/me",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is not in the spec");
    }
}

#[tokio::test]
async fn the_spec_can_be_browsed() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/docs").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("'unsafe-inline'"), "{csp}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("SwaggerUIBundle") && html.contains("/v1/auth/login"));
    // Elsewhere inline scripts stay forbidden.
    let home = app.get("/").send().await.unwrap();
    let csp = home.headers()["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
}

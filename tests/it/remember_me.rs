//! [Onthoud mij] under replay: within its grace a replaced token gives back the session its
//! exchange made and creates nothing; after the grace it revokes its whole family and ends the
//! family's sessions (a copy is in other hands), leaving other devices and accounts alone.

use crate::support::TestApp;
use chrono::Duration;
use parkportal_domain::{EmailAddress, Language, NewPassword};
use std::collections::HashMap;

const PASSWORD: &str = "fietsbel42xy";

/// An account for `email`, made through the coupling link of a product, logged out.
async fn account(app: &TestApp, email: &str) {
    let issued = app.issue_to("dijkstad", email).await;
    let state = app.app.as_ref().unwrap().state();
    let password = NewPassword::parse(PASSWORD, PASSWORD).unwrap();
    let (signed_in, _) = state
        .desk()
        .accept_creating_account(
            &issued.coupling_token.unwrap(),
            &password,
            Language::Nl,
            "test",
        )
        .await
        .unwrap();
    state.accounts().logout(&signed_in.token).await.unwrap();
    assert!(EmailAddress::parse(email).is_ok());
}

/// A device: the cookies it holds.
#[derive(Debug, Clone, Default)]
struct Device {
    session: Option<String>,
    remember: Option<String>,
}

/// Logs `email` in with [Onthoud mij] in a fresh browser; the device's cookies.
async fn login_remembered(app: &mut TestApp, email: &str) -> Device {
    app.new_browser();
    let step1 = app.post_form("/inloggen", &[("email", email)]).await;
    assert_eq!(step1.status(), 303);
    let step2 = app
        .post_form(
            "/inloggen/wachtwoord",
            &[("wachtwoord", PASSWORD), ("onthoud", "ja")],
        )
        .await;
    assert_eq!(step2.status(), 303, "login of {email}");
    Device {
        session: app.cookie("pp_session"),
        remember: app.cookie("pp_remember"),
    }
}

/// A page visit by `device` (sending only its cookies): whether it is logged in, and the
/// cookies the answer sets (an empty value removes one).
async fn visit(app: &TestApp, device: &Device) -> (bool, HashMap<String, String>) {
    visit_at(app.url.clone(), device.clone()).await
}

/// [`visit`] on the server at `url`, owning its arguments (for tasks of their own).
async fn visit_at(url: String, device: Device) -> (bool, HashMap<String, String>) {
    let mut cookies = Vec::new();
    if let Some(s) = &device.session {
        cookies.push(format!("pp_session={s}"));
    }
    if let Some(r) = &device.remember {
        cookies.push(format!("pp_remember={r}"));
    }
    let resp = reqwest::Client::new()
        .get(format!("{url}/menu"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    let set: HashMap<String, String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| {
            let (name, rest) = v.to_str().ok()?.split_once('=')?;
            Some((name.to_owned(), rest.split(';').next()?.to_owned()))
        })
        .collect();
    let body = resp.text().await.unwrap();
    (body.contains("ingelogd als"), set)
}

/// `device` after a visit that set `set`.
fn after(device: &Device, set: &HashMap<String, String>) -> Device {
    let pick = |name: &str, old: &Option<String>| match set.get(name) {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v.clone()),
        None => old.clone(),
    };
    Device {
        session: pick("pp_session", &device.session),
        remember: pick("pp_remember", &device.remember),
    }
}

/// Only the remember-me token of `device` (its session forgotten, as a copy of the cookie).
fn token_only(device: &Device) -> Device {
    Device {
        session: None,
        remember: device.remember.clone(),
    }
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.sql_i64(&format!("SELECT COUNT(*) FROM {table}")).await
}

#[tokio::test]
async fn a_replay_within_the_grace_gives_back_the_exchanges_session_and_creates_nothing() {
    let mut app = TestApp::spawn().await;
    account(&app, "roos@example.nl").await;
    let device = login_remembered(&mut app, "roos@example.nl").await;

    // An hour later the session has timed out: the token is exchanged for a session and a token.
    app.clock.advance(Duration::hours(1));
    let (logged_in, set) = visit(&app, &device).await;
    assert!(logged_in);
    let resumed = after(&device, &set);
    assert_ne!(resumed.session, device.session);
    assert_ne!(resumed.remember, device.remember, "the token rotates");
    let sessions = count(&app, "auth_sessions").await;
    let tokens = count(&app, "remember_tokens").await;

    // The old token, replayed within the minute (another tab, a parallel request): the same
    // session and the same next token, again and again, and not one row more.
    app.clock.advance(Duration::seconds(30));
    for _ in 0..5 {
        let (logged_in, set) = visit(&app, &token_only(&device)).await;
        assert!(logged_in);
        assert_eq!(set.get("pp_session"), resumed.session.as_ref());
        assert_eq!(set.get("pp_remember"), resumed.remember.as_ref());
    }
    assert_eq!(count(&app, "auth_sessions").await, sessions);
    assert_eq!(count(&app, "remember_tokens").await, tokens);

    // A page's requests racing with one token after the next time-out: one exchange, one
    // session, shared by all of them.
    app.clock.advance(Duration::hours(1));
    // Counted by id: the start-up housekeeping may run late on a loaded machine and clean up
    // the first exchange's session, idle for an hour on the test clock by now.
    let before = app
        .sql_i64("SELECT COALESCE(MAX(id), 0) FROM auth_sessions")
        .await;
    let racing = token_only(&resumed);
    let tasks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(visit_at(app.url.clone(), racing.clone())))
        .collect();
    let mut shared = Vec::new();
    for task in tasks {
        let (logged_in, set) = task.await.unwrap();
        assert!(logged_in);
        shared.push((
            set.get("pp_session").cloned(),
            set.get("pp_remember").cloned(),
        ));
    }
    assert!(
        shared.iter().all(|s| *s == shared[0] && s.0.is_some()),
        "{shared:?}"
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM auth_sessions WHERE remember_family IS NOT NULL AND id > {before}"
        ))
        .await,
        1,
        "one session for the racing requests' one exchange"
    );
    assert_eq!(count(&app, "remember_tokens").await, tokens + 1);
}

#[tokio::test]
async fn a_replay_after_the_grace_revokes_the_family_and_ends_its_sessions() {
    let mut app = TestApp::spawn().await;
    account(&app, "roos@example.nl").await;
    account(&app, "jan@example.nl").await;
    let phone = login_remembered(&mut app, "roos@example.nl").await;
    let laptop = login_remembered(&mut app, "roos@example.nl").await;
    let other = login_remembered(&mut app, "jan@example.nl").await;

    app.clock.advance(Duration::hours(1));
    let (logged_in, set) = visit(&app, &phone).await;
    assert!(logged_in);
    let phone_now = after(&phone, &set);
    let (logged_in, set) = visit(&app, &other).await;
    assert!(logged_in);
    let other_now = after(&other, &set);

    // Housekeeping keeps replaced tokens (to recognise them) but erases what they sealed.
    app.clock.advance(Duration::minutes(10));
    app.housekeep().await;
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM remember_tokens WHERE successor IS NOT NULL")
            .await,
        0
    );
    // Ten minutes on, the phone's replaced token comes back: a copy was taken.
    let (logged_in, set) = visit(&app, &token_only(&phone)).await;
    assert!(!logged_in);
    assert!(!set.contains_key("pp_session"), "no session for a replay");
    assert_eq!(set.get("pp_remember").map(String::as_str), Some(""));

    // The phone's next request is logged out, and its new token opens nothing any more.
    let (logged_in, _) = visit(&app, &phone_now).await;
    assert!(!logged_in, "the family's session has ended");
    let (logged_in, _) = visit(&app, &token_only(&phone_now)).await;
    assert!(!logged_in, "the family's newest token is revoked");
    // The laptop (the same account, a family of its own) and the other account stay.
    let (logged_in, _) = visit(&app, &laptop).await;
    assert!(logged_in, "another device of the account keeps its login");
    let (logged_in, _) = visit(&app, &other_now).await;
    assert!(logged_in, "another account is untouched");
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(DISTINCT family) FROM remember_tokens t JOIN accounts a \
             ON a.id = t.account_id WHERE a.email = 'roos@example.nl'"
        )
        .await,
        1,
        "only the laptop's family is left of roos's"
    );
}

#[tokio::test]
async fn a_thief_who_used_the_token_first_loses_the_session_when_the_device_returns() {
    let mut app = TestApp::spawn().await;
    account(&app, "roos@example.nl").await;
    let device = login_remembered(&mut app, "roos@example.nl").await;
    // The cookie is copied; the thief uses it at once, while the resident keeps browsing.
    let (logged_in, set) = visit(&app, &token_only(&device)).await;
    assert!(logged_in);
    let thief = after(&token_only(&device), &set);
    let (logged_in, _) = visit(&app, &thief).await;
    assert!(logged_in);

    // The thief keeps the stolen session alive; the resident's times out, and the device sends
    // its (replaced) token.
    app.clock.advance(Duration::minutes(10));
    let (logged_in, _) = visit(&app, &thief).await;
    assert!(logged_in);
    app.clock.advance(Duration::minutes(6));
    let (logged_in, _) = visit(&app, &device).await;
    assert!(!logged_in, "the resident logs in again");
    let (logged_in, _) = visit(&app, &thief).await;
    assert!(!logged_in, "the thief's session has ended");
    let (logged_in, _) = visit(&app, &token_only(&thief)).await;
    assert!(!logged_in, "and the thief's token opens nothing");
    assert_eq!(count(&app, "remember_tokens").await, 0);
}

#[tokio::test]
async fn a_request_that_failed_before_its_route_spends_no_remember_me_token() {
    let mut app = TestApp::spawn().await;
    account(&app, "lotte@example.nl").await;
    let device = token_only(&login_remembered(&mut app, "lotte@example.nl").await);
    // An unknown gemeente: the 404 sets no cookie of the login, and the token stays good.
    let resp = reqwest::Client::new()
        .get(format!("{}/g/nergenshuizen/menu", app.url))
        .header(
            "cookie",
            format!("pp_remember={}", device.remember.clone().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let set: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    assert!(
        !set.iter()
            .any(|c| c.starts_with("pp_remember") || c.starts_with("pp_session")),
        "{set:?}"
    );
    let (logged_in, set) = visit(&app, &device).await;
    assert!(logged_in, "the token was spent by the failed request");
    assert!(set.contains_key("pp_remember"), "{set:?}");
}

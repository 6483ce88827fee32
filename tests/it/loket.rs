//! The digitaal loket (#25): an anonymous person applies through the HTML form and follows the
//! mailed link to the status page; wrong fields and a wrong captcha are named with what was
//! typed kept; a permit takes at most its plates; a type not open (or retired, or another
//! gemeente's) is not there; the day's limit holds; a logged-in resident applies with their
//! account and finds it under "Mijn aanvragen", which no one else sees.

use crate::captcha;
use crate::support::{Anonymous, TestApp, resident};

pub(crate) const LOKET: &str = "/g/dijkstad/aanvragen";
pub(crate) const FORM: &str = "/g/dijkstad/aanvragen/bezoekers";

/// A complete application's fields, the captcha of `page` answered.
pub(crate) fn fields(page: &str, email: &str) -> Vec<(&'static str, String)> {
    let (id, question) = captcha::read(page);
    vec![
        ("postcode", "1234ab".into()),
        ("huisnummer", "12 A".into()),
        ("straat", "Kerkstraat".into()),
        ("plaats", "Dijkstad".into()),
        ("naam", "J. de Vries".into()),
        ("email", email.into()),
        (
            "opmerking",
            "Voor mijn moeder, die op woensdag komt.".into(),
        ),
        ("captcha_id", id),
        ("captcha_answer", captcha::solve(&question)),
    ]
}

/// Sends the form at `path` in `browser` with `overrides` over [`fields`].
pub(crate) async fn apply(
    browser: &Anonymous,
    path: &str,
    email: &str,
    overrides: &[(&'static str, &str)],
) -> crate::support::response::Response {
    let page = browser.get(path).await;
    assert_eq!(page.status(), 200, "GET {path}");
    let mut sent = fields(page.text(), email);
    for (name, value) in overrides {
        sent.retain(|(n, _)| n != name);
        sent.push((name, (*value).to_owned()));
    }
    let sent: Vec<(&str, &str)> = sent.iter().map(|(n, v)| (*n, v.as_str())).collect();
    browser.post_form(path, &sent).await
}

pub(crate) async fn applications(app: &TestApp) -> i64 {
    app.sql_i64("SELECT COUNT(*) FROM applications").await
}

/// The status link in the newest mail to `to`.
pub(crate) async fn status_link(app: &TestApp, to: &str) -> (String, String) {
    let mails = app
        .app
        .as_ref()
        .unwrap()
        .state()
        .outbox()
        .list(20)
        .await
        .unwrap();
    let mail = mails
        .into_iter()
        .find(|m| m.to == to)
        .expect("a mail to the applicant");
    let path = status_path(app, &mail.text);
    (mail.subject, path)
}

/// The path of the status link in a mail's `text`.
pub(crate) fn status_path(app: &TestApp, text: &str) -> String {
    text.split(&app.url)
        .find_map(|rest| {
            rest.split_whitespace()
                .next()
                .filter(|p| p.contains("/aanvragen/status/"))
        })
        .expect("the status link")
        .to_owned()
}

#[tokio::test]
async fn an_anonymous_person_applies_and_follows_the_mailed_link_to_the_status() {
    let app = TestApp::spawn().await;
    let home = app.page("/g/dijkstad/").await;
    assert!(
        home.contains(r#"href="/g/dijkstad/aanvragen""#)
            || home.contains("&#x2f;g&#x2f;dijkstad&#x2f;aanvragen")
    );
    let browser = Anonymous::new(&app);
    let list = browser.page(LOKET).await;
    assert!(list.contains_text("Bezoekersregeling aanvragen"));
    assert!(list.links_to(FORM));
    assert!(
        !list.contains_text("Bewonersvergunning"),
        "the permit is not open for application"
    );

    let resp = apply(&browser, FORM, "aanvrager@example.nl", &[]).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let page = resp.html();
    let text = page.text();
    let reference = text
        .split("Uw referentienummer is ")
        .nth(1)
        .map(|r| r[..12].to_owned())
        .expect("the reference on screen");
    assert!(reference.starts_with("AV-"), "{reference}");
    assert!(page.contains_text("aanvrager@example.nl"));
    assert_eq!(
        app.sql_text(&format!(
            "SELECT status || '|' || postcode || '|' || house_number || '|' || email \
             FROM applications WHERE reference = '{reference}'"
        ))
        .await
        .as_deref(),
        Some("received|1234 AB|12 A|aanvrager@example.nl")
    );

    let (subject, link) = status_link(&app, "aanvrager@example.nl").await;
    assert_eq!(subject, "Uw aanvraag bij Gemeente Dijkstad is ontvangen");
    // The link alone, in a browser that has seen nothing before, shows where it stands.
    let other = Anonymous::new(&app);
    let status = other.page(&link).await;
    // Under another gemeente's prefix it is not there.
    let elsewhere = link.replace("/g/dijkstad/", "/g/havenmond/");
    assert_eq!(other.get(&elsewhere).await.status(), 404);
    assert!(status.contains_text(&format!("Aanvraag {reference}")));
    assert!(status.contains_text("Ontvangen"));
    assert!(status.contains_text("Bezoekersregeling"));
    // Only the stored hash knows the token: a link with another is nothing.
    let last = if link.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &link[..link.len() - 1]);
    assert_eq!(other.get(&forged).await.status(), 404);
}

#[tokio::test]
async fn wrong_fields_and_a_wrong_captcha_are_named_and_what_was_typed_stays() {
    let app = TestApp::spawn().await;
    let browser = Anonymous::new(&app);
    let resp = apply(
        &browser,
        FORM,
        "geen-adres",
        &[("postcode", "12345"), ("naam", "")],
    )
    .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    for message in [
        "Vul een postcode in als 1234 AB.",
        "Vul een geldig e-mailadres in",
        "Vul uw naam in",
    ] {
        assert!(page.contains_text(message), "{message}: {}", page.text());
    }
    let form = page.form(FORM);
    assert_eq!(form.value("postcode"), Some("12345"));
    assert_eq!(form.value("straat"), Some("Kerkstraat"));
    assert_eq!(
        form.value("opmerking"),
        Some("Voor mijn moeder, die op woensdag komt.")
    );
    assert_eq!(applications(&app).await, 0);

    let resp = apply(
        &browser,
        FORM,
        "a@example.nl",
        &[("captcha_answer", "fout")],
    )
    .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Het antwoord op de controlevraag klopt niet")
    );
    assert_eq!(applications(&app).await, 0);
}

#[tokio::test]
async fn a_permit_takes_at_most_its_plates_and_what_is_not_open_is_not_there() {
    let app = TestApp::spawn().await;
    let browser = Anonymous::new(&app);
    let permit = "/g/dijkstad/aanvragen/bewoners";
    assert_eq!(browser.get(permit).await.status(), 404, "not open yet");
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    config.product_types[1].open_for_application = true;
    config.product_types[1].max_plates = 2;
    tenants.import(&config).await.unwrap();

    // Open in Dijkstad only: Havenmond's own permit and a gemeente without one have no form.
    for other in [
        "/g/havenmond/aanvragen/bewoners",
        "/g/weidevelde/aanvragen/bewoners",
    ] {
        assert_eq!(browser.get(other).await.status(), 404, "{other}");
        let resp = browser.post_form(other, &[("naam", "X")]).await;
        assert_eq!(resp.status(), 404, "POST {other}");
    }
    let resp = apply(
        &browser,
        permit,
        "b@example.nl",
        &[("kentekens", "AB-12-34, DE:B-XY123, FR:AB123CD")],
    )
    .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("Vul maximaal 2 kentekens in."));
    let resp = apply(
        &browser,
        permit,
        "b@example.nl",
        &[("kentekens", "AB-12-34\nDE:B-XY123")],
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_eq!(
        app.sql_text("SELECT plates FROM applications")
            .await
            .as_deref(),
        Some("AB-12-34\nDE:BXY123")
    );
    let (_, link) = status_link(&app, "b@example.nl").await;
    assert!(browser.page(&link).await.contains_text("AB-12-34"));

    // Retired, it is open no more.
    config.product_types[1].retired = true;
    tenants.import(&config).await.unwrap();
    assert_eq!(browser.get(permit).await.status(), 404);
    assert!(
        !browser
            .page(LOKET)
            .await
            .contains_text("Bewonersvergunning")
    );
}

#[tokio::test]
async fn the_days_limit_holds_per_address_and_per_client_and_refusals_count_for_neither() {
    let app = TestApp::spawn_with(|c| {
        c.loket.applications_per_day = 2;
        c.server.client_ip_header = Some("X-Test-Client".into());
    })
    .await;
    let browser = Anonymous::new(&app).with_client("192.0.2.1");
    // A wrong captcha and a wrong form use up nothing.
    let resp = apply(
        &browser,
        FORM,
        "veel@example.nl",
        &[("captcha_answer", "fout")],
    )
    .await;
    assert_eq!(resp.status(), 422);
    let resp = apply(&browser, FORM, "veel@example.nl", &[("postcode", "x")]).await;
    assert_eq!(resp.status(), 422);
    for _ in 0..2 {
        let resp = apply(&browser, FORM, "veel@example.nl", &[]).await;
        assert_eq!(resp.status(), 200, "{}", resp.text());
    }
    // The address's day is full, from any client.
    let elsewhere = Anonymous::new(&app).with_client("192.0.2.7");
    let resp = apply(&elsewhere, FORM, "veel@example.nl", &[]).await;
    assert_eq!(resp.status(), 429);
    assert!(
        resp.html()
            .contains_text("U heeft vandaag het maximum aantal aanvragen gedaan.")
    );
    // The first client's day is full, for any address.
    let resp = apply(&browser, FORM, "ander@example.nl", &[]).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(applications(&app).await, 2);
}

#[tokio::test]
async fn a_logged_in_resident_applies_with_their_account_and_finds_it_under_mijn_aanvragen() {
    let app = TestApp::spawn().await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", None).await;
    let piet = resident(&app, "dijkstad", "piet@example.nl", None).await;
    let browser = jan.web(&app).await;
    let form = browser.page(FORM).await;
    assert!(
        !form.form(FORM).has("email"),
        "the account's address is used"
    );
    assert!(form.contains_text("jan@example.nl"));
    let resp = apply(browser, FORM, "ander@example.nl", &[]).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_eq!(
        app.sql_text("SELECT email FROM applications")
            .await
            .as_deref(),
        Some("jan@example.nl"),
        "an address typed over is not taken"
    );
    let mine = browser.page("/g/dijkstad/mijn-aanvragen").await;
    assert!(mine.contains_text("Bezoekersregeling, Gemeente Dijkstad"));
    assert!(mine.contains_text("Ontvangen"));
    let menu = browser.page("/g/dijkstad/menu").await;
    assert!(menu.links_to("/g/dijkstad/mijn-aanvragen"));
    // Another resident sees none of it.
    let theirs = piet.page(&app, "/g/dijkstad/mijn-aanvragen").await;
    assert!(theirs.contains_text("U heeft nog geen aanvragen gedaan"));
    assert!(!theirs.contains_text("Bezoekersregeling, Gemeente Dijkstad"));
    // Without a login, "Mijn aanvragen" is the login's.
    let anon = Anonymous::new(&app);
    assert_eq!(anon.get("/g/dijkstad/mijn-aanvragen").await.status(), 303);

    // The resident's own data holds it, with the address typed; Piet's does not.
    let (status, data) = crate::own_data::api_export(&app, &jan.token).await;
    assert_eq!(status, 200, "{data}");
    let listed = &data["applications"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{data}");
    assert_eq!(listed[0]["status"], "received");
    assert_eq!(listed[0]["applicant"]["postcode"], "1234 AB");
    assert_eq!(listed[0]["email"], "jan@example.nl");
    assert_eq!(
        listed[0]["remark"],
        "Voor mijn moeder, die op woensdag komt."
    );
    let (_, theirs) = crate::own_data::api_export(&app, &piet.token).await;
    assert_eq!(theirs["applications"], serde_json::json!([]));
    // An application sent anonymously to the account's address is the resident's too.
    let resp = apply(&anon, FORM, "jan@example.nl", &[]).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let (_, data) = crate::own_data::api_export(&app, &jan.token).await;
    assert_eq!(data["applications"].as_array().map(Vec::len), Some(2));
    // Of that one only what was mailed to the address: another may have typed the rest.
    assert_eq!(
        data["applications"][1]["applicant"],
        serde_json::Value::Null
    );
    assert_eq!(data["applications"][1]["remark"], serde_json::Value::Null);
    assert_eq!(data["applications"][1]["status"], "received");
    // Deleting the account takes them with it; Piet's application stays.
    apply(piet.web(&app).await, FORM, "", &[]).await;
    let (status, body) = crate::own_data::api_delete(&app, &jan.token, "fietsbel42xy").await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(applications(&app).await, 1);
    assert_eq!(
        app.sql_text("SELECT email FROM applications")
            .await
            .as_deref(),
        Some("piet@example.nl")
    );
}

//! Typed users, in the manner of the crates.io test helpers: an [`Anonymous`] visitor's browser
//! and a [`Resident`] with an API token, a product and a browser that logs in on first use. Their
//! requests answer a [`Response`]; their pages an [`Html`] to read forms, links and rows from.

use super::app::{TestApp, call, client_with, cookie_in};
use super::html::{Form, Html};
use super::response::Response;
use chrono::{DateTime, TimeZone, Utc};
use parkportal_domain::EmailAddress;
use parkportal_domain::coupling::IssueRequest;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// A visitor's browser: cookies of its own, no account until it logs in.
#[derive(Clone)]
pub struct Anonymous {
    url: String,
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl Anonymous {
    /// A fresh browser on `app`.
    pub fn new(app: &TestApp) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Self {
            url: app.url.clone(),
            client: client_with(jar.clone()),
            jar,
        }
    }

    /// This browser as if from client address `ip`, sent in `X-Test-Client` (for an app whose
    /// `server.client_ip_header` names it).
    pub fn with_client(mut self, ip: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "X-Test-Client",
            reqwest::header::HeaderValue::from_str(ip).unwrap(),
        );
        self.client = reqwest::Client::builder()
            .cookie_provider(self.jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        self
    }

    /// A GET of `path`, whatever its status.
    pub async fn get(&self, path: &str) -> Response {
        Response::read(
            self.client
                .get(format!("{}{path}", self.url))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A GET of `path` with one extra header (Host, Accept-Language, ...), whatever its status.
    pub async fn get_with(&self, path: &str, header: &str, value: &str) -> Response {
        Response::read(
            self.client
                .get(format!("{}{path}", self.url))
                .header(header, value)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// An API request from this browser (no bearer token: only its cookies, if any).
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        Response::read(req.send().await.unwrap()).await
    }

    /// The page at `path`, which must answer 200.
    pub async fn page(&self, path: &str) -> Html {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.html()
    }

    /// The CSRF token of this browser's forms as a page gives it now (its `csrf-token` meta):
    /// bound to the visit, and to the session once logged in.
    pub async fn csrf(&self) -> String {
        self.page("/over")
            .await
            .meta("csrf-token")
            .filter(|t| !t.is_empty())
            .expect("the page carries a CSRF token")
    }

    /// A form POST of `fields` with this browser's CSRF token added, as
    /// [`TestApp::post_form`] sends it.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.send_form(path, &form).await
    }

    /// Sends `form` as a browser would (its own fields, CSRF token included), with `overrides`
    /// replacing or adding fields.
    pub async fn submit(&self, form: &Form, overrides: &[(&str, &str)]) -> Response {
        assert_eq!(form.method, "post", "only POST forms are sent here");
        let fields = form.submission(overrides);
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.send_form(&form.action, &fields).await
    }

    async fn send_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        Response::read(
            self.client
                .post(format!("{}{path}", self.url))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Logs in through both steps of the login page, as [`TestApp::login`] does (the same
    /// checks); where the login sends the resident.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let step1 = self.post_form("/inloggen", &[("email", email)]).await;
        assert_eq!(step1.status(), 303);
        let next = step1.location().to_owned();
        assert!(
            self.page(&next)
                .await
                .form("/inloggen/wachtwoord")
                .has("wachtwoord")
        );
        let step2 = self
            .post_form("/inloggen/wachtwoord", &[("wachtwoord", password)])
            .await;
        assert_eq!(step2.status(), 303, "login of {email} failed");
        step2.location().to_owned()
    }

    /// The value of cookie `name` in this browser, if set.
    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_in(&self.jar, &self.url, name)
    }
}

/// A resident with a bearer token and one product, and a browser of their own that logs in
/// (password `fietsbel42xy`) the first time a page is asked for.
#[derive(Clone)]
pub struct Resident {
    pub token: String,
    pub product: i64,
    pub email: String,
    web: Arc<OnceCell<Anonymous>>,
}

/// Local time in Amsterdam on a March 2026 day, as UTC.
pub fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Amsterdam
        .with_ymd_and_hms(2026, 3, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Issues a product of `tenant` with `balance` to `email` and couples it through the API,
/// creating the account.
pub async fn resident(app: &TestApp, tenant: &str, email: &str, balance: Option<&str>) -> Resident {
    resident_with(
        app,
        IssueRequest {
            tenant: tenant.into(),
            email: Some(EmailAddress::parse(email).unwrap()),
            balance: balance.map(|b| b.parse().unwrap()),
            ..IssueRequest::default()
        },
    )
    .await
}

/// Follows the coupling link `token` through the API, creating an account with the test
/// password: the status and body of the answer.
pub async fn accept_creating_account(app: &TestApp, token: &str) -> (u16, Value) {
    call(
        app,
        "POST",
        "/api/v1/couplings/accept",
        Some(
            json!({"token": token, "password": "fietsbel42xy", "password_repeat": "fietsbel42xy"}),
        ),
        None,
    )
    .await
}

/// Issues the product `request` describes (with an address) and couples it through the API,
/// creating the account when needed.
pub async fn resident_with(app: &TestApp, request: IssueRequest) -> Resident {
    let email = request.email.clone().unwrap().to_string();
    let email = email.as_str();
    let state = app.app.as_ref().unwrap().state();
    state.desk().issue(request).await.unwrap();
    let mail = state.outbox().list(1).await.unwrap().pop().unwrap();
    let token = mail.text.split("/koppel/").nth(1).unwrap()[..64].to_owned();
    let (status, body) = accept_creating_account(app, &token).await;
    if status == 409 {
        // The address has an account already: log in and accept with it.
        let (_, login) = call(
            app,
            "POST",
            "/api/v1/auth/login",
            Some(json!({"email": email, "password": "fietsbel42xy"})),
            None,
        )
        .await;
        let bearer = login["token"].as_str().unwrap().to_owned();
        let (status, body) = call(
            app,
            "POST",
            "/api/v1/couplings/accept",
            Some(json!({"token": token})),
            Some(&bearer),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        return Resident::new(bearer, body["product"]["id"].as_i64().unwrap(), email);
    }
    assert_eq!(status, 201, "{body}");
    Resident::new(
        body["token"].as_str().unwrap().to_owned(),
        body["product"]["id"].as_i64().unwrap(),
        email,
    )
}

impl Resident {
    /// A resident of `email` with API token `token` acting on `product`.
    pub fn new(token: String, product: i64, email: &str) -> Self {
        Self {
            token,
            product,
            email: email.to_owned(),
            web: Arc::default(),
        }
    }

    /// The same resident acting on `product` (a mandated one, or another resident's to be
    /// refused).
    pub fn on_product(&self, product: i64) -> Self {
        Self::new(self.token.clone(), product, &self.email)
    }

    /// The same resident with another API token (after logging in again).
    pub fn with_token(&self, token: String) -> Self {
        Self::new(token, self.product, &self.email)
    }

    /// An API request with this resident's bearer token.
    pub async fn api(
        &self,
        app: &TestApp,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", app.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        Response::read(req.send().await.unwrap()).await
    }

    /// This resident's browser, logged in on first use.
    pub async fn web(&self, app: &TestApp) -> &Anonymous {
        self.web
            .get_or_init(|| async {
                let browser = Anonymous::new(app);
                browser.login(&self.email, "fietsbel42xy").await;
                browser
            })
            .await
    }

    /// A GET of page `path` in this resident's browser, whatever its status.
    pub async fn get(&self, app: &TestApp, path: &str) -> Response {
        self.web(app).await.get(path).await
    }

    /// The page at `path` in this resident's browser, which must answer 200.
    pub async fn page(&self, app: &TestApp, path: &str) -> Html {
        self.web(app).await.page(path).await
    }

    /// A form POST from this resident's browser (see [`Anonymous::post_form`]).
    pub async fn post_form(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        self.web(app).await.post_form(path, fields).await
    }

    /// Sends `form` from this resident's browser (see [`Anonymous::submit`]).
    pub async fn submit(&self, app: &TestApp, form: &Form, overrides: &[(&str, &str)]) -> Response {
        self.web(app).await.submit(form, overrides).await
    }

    /// `POST /api/v1/products/{id}/sessions`.
    pub async fn start(&self, app: &TestApp, body: Value) -> (u16, Value) {
        call(
            app,
            "POST",
            &format!("/api/v1/products/{}/sessions", self.product),
            Some(body),
            Some(&self.token),
        )
        .await
    }

    /// Starts `plate` now until `end`, which must succeed; the session's id.
    pub async fn park(&self, app: &TestApp, plate: &str, end: DateTime<Utc>) -> i64 {
        let (status, s) = self
            .start(app, json!({"plate": plate, "end": end.to_rfc3339()}))
            .await;
        assert_eq!(status, 201, "{s}");
        s["id"].as_i64().unwrap()
    }

    /// `GET /api/v1/products/{id}/sessions`: the running and planned sessions.
    pub async fn live(&self, app: &TestApp) -> Value {
        let (status, list) = call(
            app,
            "GET",
            &format!("/api/v1/products/{}/sessions", self.product),
            None,
            Some(&self.token),
        )
        .await;
        assert_eq!(status, 200, "{list}");
        list
    }

    /// `PATCH /api/v1/sessions/{id}` to a new end.
    pub async fn extend(&self, app: &TestApp, id: i64, end: DateTime<Utc>) -> (u16, Value) {
        call(
            app,
            "PATCH",
            &format!("/api/v1/sessions/{id}"),
            Some(json!({"end": end.to_rfc3339()})),
            Some(&self.token),
        )
        .await
    }

    /// `DELETE /api/v1/sessions/{id}`: stop or delete.
    pub async fn end(&self, app: &TestApp, id: i64) -> (u16, Value) {
        call(
            app,
            "DELETE",
            &format!("/api/v1/sessions/{id}"),
            None,
            Some(&self.token),
        )
        .await
    }

    /// `GET /api/v1/products`: this resident's products, which must answer 200.
    pub async fn products(&self, app: &TestApp) -> Value {
        let resp = self.api(app, "GET", "/api/v1/products", None).await;
        assert_eq!(resp.status(), 200, "{}", resp.text());
        resp.json()
    }

    /// The balance of this resident's product, as the API states it.
    pub async fn balance(&self, app: &TestApp) -> String {
        self.products(app).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == self.product)
            .unwrap()["balance"]["value"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The ledger of every balance sums to it, and no balance is negative: a product's own (the
/// entries without a mandate) and each mandate's (the entries that carry it).
pub async fn ledger_holds(app: &TestApp) {
    let off = app
        .sql_i64(
            "SELECT COUNT(*) FROM products p WHERE p.balance < 0 OR p.balance <> \
             (SELECT COALESCE(SUM(l.amount), 0) FROM ledger_entries l \
              WHERE l.product_id = p.id AND l.mandate_id IS NULL)",
        )
        .await;
    assert_eq!(off, 0, "a balance differs from its ledger");
    let off = app
        .sql_i64(
            "SELECT COUNT(*) FROM mandates m WHERE m.balance < 0 OR m.balance <> \
             (SELECT COALESCE(SUM(l.amount), 0) FROM ledger_entries l WHERE l.mandate_id = m.id)",
        )
        .await;
    assert_eq!(off, 0, "a mandate's balance differs from its ledger");
    // Each session's entries are what it holds, on the balance it was paid from: its mandate's,
    // unless it has none or that mandate spends the owner's.
    let off = app
        .sql_i64(
            "SELECT COUNT(*) FROM parking_sessions s WHERE -s.reserved <> \
             (SELECT COALESCE(SUM(l.amount), 0) FROM ledger_entries l WHERE l.session_id = s.id)",
        )
        .await;
    assert_eq!(off, 0, "a session's entries differ from what it holds");
    let off = app
        .sql_i64(
            "SELECT COUNT(*) FROM ledger_entries l JOIN parking_sessions s ON s.id = l.session_id \
             LEFT JOIN mandates m ON m.id = s.mandate_id \
             WHERE COALESCE(l.mandate_id, -1) <> \
             COALESCE(CASE WHEN m.imported THEN NULL ELSE s.mandate_id END, -1)",
        )
        .await;
    assert_eq!(
        off, 0,
        "a session's entry is on another balance than it was paid from"
    );
}

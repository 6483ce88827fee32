//! Staff, the console's typed users: an account made through the enrolment use case (as
//! `parkportal staff create` makes it), enrolled through the pages (the link, the password, the
//! authenticator from the secret on the page, the recovery codes) and logged in, with a browser
//! of its own. Codes come from the secret the page showed, at the test's fixed clock.

use super::app::{TestApp, client_with};
use super::html::{Form, Html};
use super::response::Response;
use chrono::Duration;
use parkportal_domain::audit::{Actor, AuditFilter, StoredAuditEntry};
use parkportal_domain::staff::totp::{TotpSecret, step_of};
use parkportal_domain::staff::{Assignment, NewStaff, Role};
use parkportal_domain::{Clock, EmailAddress};
use std::sync::Arc;

/// The password every test staff member chooses.
pub const STAFF_PASSWORD: &str = "console-test-2026";

/// A staff member's browser, logged in once enrolled.
pub struct Staff {
    /// The login.
    pub email: String,
    /// The TOTP secret the enrolment page showed.
    pub secret: TotpSecret,
    /// The recovery codes the enrolment showed once.
    pub recovery: Vec<String>,
    url: String,
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

/// The one-time enrolment link of a new account of `email` in `role` (`None`: a
/// platformbeheerder) at gemeente `slug`, made as `parkportal staff create` makes it; the path
/// of the link.
pub async fn staff_link(app: &TestApp, email: &str, role: Option<(&str, Role)>) -> String {
    let application = app.app.as_ref().unwrap();
    let assignment = match role {
        Some((slug, role)) => {
            let tenant = app.tenant(slug).await;
            Some(Assignment {
                tenant: tenant.id,
                role,
            })
        }
        None => None,
    };
    let new = NewStaff {
        email: EmailAddress::parse(email).unwrap(),
        name: format!("Test {email}"),
        platform_admin: assignment.is_none(),
        role: assignment,
    };
    let link = application
        .console()
        .enrolment()
        .create(&new, Actor::Operator, "cli")
        .await
        .unwrap();
    link.url("")
}

/// A staff member of `slug` in `role`, enrolled through the pages and logged in.
pub async fn staff(app: &TestApp, email: &str, slug: &str, role: Role) -> Staff {
    Staff::enrol(app, email, Some((slug, role))).await
}

/// A platformbeheerder, enrolled and logged in.
pub async fn platform_admin(app: &TestApp, email: &str) -> Staff {
    Staff::enrol(app, email, None).await
}

/// The audit entries of the whole platform, newest first.
pub async fn audit_entries(app: &TestApp) -> Vec<StoredAuditEntry> {
    app.app
        .as_ref()
        .unwrap()
        .console()
        .auth()
        .audit()
        .entries(&AuditFilter::default(), 10_000, 0)
        .await
        .unwrap()
}

impl Staff {
    /// A fresh browser for `email` that has not enrolled yet.
    pub fn browser(app: &TestApp, email: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Self {
            email: email.to_owned(),
            secret: TotpSecret::from_base32("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap(),
            recovery: Vec::new(),
            url: app.url.clone(),
            client: client_with(jar.clone()),
            jar,
        }
    }

    /// Creates the account and enrols it through the pages; logged in afterwards.
    pub async fn enrol(app: &TestApp, email: &str, role: Option<(&str, Role)>) -> Self {
        let link = staff_link(app, email, role).await;
        Self::enrol_with_link(app, email, &link).await
    }

    /// Enrols through the pages of `link`; logged in afterwards.
    pub async fn enrol_with_link(app: &TestApp, email: &str, link: &str) -> Self {
        let link = link.to_owned();
        let mut me = Self::browser(app, email);
        let page = me.page(&link).await;
        let resp = me
            .submit(
                &page.form(&link),
                &[
                    ("wachtwoord", STAFF_PASSWORD),
                    ("herhaling", STAFF_PASSWORD),
                ],
            )
            .await;
        assert_eq!(resp.status(), 303, "{}", resp.text());
        assert_eq!(resp.location(), "/beheer/tweede-factor");
        let page = me.page("/beheer/tweede-factor").await;
        let shown = page.first("code").expect("the secret is shown");
        me.secret = TotpSecret::from_base32(&shown).expect("the shown secret is base32");
        let code = me.code(app);
        let resp = me
            .submit(&page.form("/beheer/tweede-factor"), &[("code", &code)])
            .await;
        assert_eq!(resp.status(), 200, "{}", resp.text());
        me.recovery = resp
            .html()
            .text()
            .split_whitespace()
            .filter(|w| w.len() == 19 && w.matches('-').count() == 3)
            .map(str::to_owned)
            .collect();
        assert_eq!(me.recovery.len(), 10, "{}", resp.text());
        // The code just used cannot log in again: later logins wait for the next step.
        app.clock.advance(Duration::seconds(30));
        me
    }

    /// The code the authenticator shows now.
    pub fn code(&self, app: &TestApp) -> String {
        self.secret.code_at(step_of(app.clock.now()))
    }

    /// The first step of the login: opens the login page and sends the address with `password`.
    pub async fn password_step(&self, password: &str) -> Response {
        let page = self.page("/beheer/inloggen").await;
        self.submit(
            &page.form("/beheer/inloggen"),
            &[("email", &self.email), ("wachtwoord", password)],
        )
        .await
    }

    /// Logs in through both steps (logging out first when logged in), 30 seconds after the last
    /// code so it is a new one.
    pub async fn login(&self, app: &TestApp) -> Response {
        self.login_with(app, STAFF_PASSWORD).await
    }

    /// [`Staff::login`] with `password`.
    pub async fn login_with(&self, app: &TestApp, password: &str) -> Response {
        if self.get("/beheer").await.status() == 200 {
            self.post_form("/beheer/uitloggen", &[]).await;
        }
        app.clock.advance(Duration::seconds(30));
        let resp = self.password_step(password).await;
        assert_eq!(resp.status(), 303, "{}", resp.text());
        let page = self.page("/beheer/inloggen/code").await;
        self.submit(
            &page.form("/beheer/inloggen/code"),
            &[("code", &self.code(app))],
        )
        .await
    }

    /// A GET as a page's script makes it by itself (the header `Parkportal-Background`).
    pub async fn get_in_background(&self, path: &str) -> Response {
        let url = format!("{}{path}", self.url);
        let sent = self.client.get(url).header("parkportal-background", "1");
        Response::read(sent.send().await.unwrap()).await
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

    /// A GET of `path` read as bytes (a PDF): the status, the content type and the body.
    pub async fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let resp = self.client.get(format!("{}{path}", self.url)).send();
        super::app::bytes_of(resp.await.unwrap()).await
    }

    /// The page at `path`, which must answer 200.
    pub async fn page(&self, path: &str) -> Html {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}: {}", resp.text());
        resp.html()
    }

    /// Sends `form` as a browser would, with `overrides`.
    pub async fn submit(&self, form: &Form, overrides: &[(&str, &str)]) -> Response {
        let fields = form.submission(overrides);
        Response::read(
            self.client
                .post(format!("{}{}", self.url, form.action))
                .form(&fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A form POST of `fields` to `path` without a CSRF token, as a forged form sends it.
    pub async fn post_without_csrf(&self, path: &str, fields: &[(&str, &str)]) -> Response {
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

    /// The `Cookie` header this browser sends to the console (its session), for a request
    /// made by hand.
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = format!("{}/beheer/", self.url).parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// A multipart POST of the form at `path` (its CSRF token read from that page): `fields`
    /// and a file input `file` named `filename` with `bytes`, as a browser sends a form with a
    /// file.
    pub async fn upload(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: &str,
        filename: &str,
        bytes: &[u8],
    ) -> Response {
        let csrf = self.page(path).await.meta("csrf-token").unwrap_or_default();
        let boundary = "----parkportal-test-7f3a9c";
        let mut body = Vec::new();
        for (name, value) in [("csrf", csrf.as_str())].iter().chain(fields) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Response::read(
            self.client
                .post(format!("{}{path}", self.url))
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A GET of `path` read as bytes: the status, the headers and the body.
    pub async fn download(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.unwrap().to_vec())
    }

    /// A form POST of `fields` to `path` with the CSRF token of a console page.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        // Logged in, the list of gemeenten; else the login page (which sends a login away).
        let mut page = self.get("/beheer").await;
        if page.status() != 200 {
            page = self.get("/beheer/inloggen").await;
        }
        let csrf = page.html().meta("csrf-token").unwrap_or_default();
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        Response::read(
            self.client
                .post(format!("{}{path}", self.url))
                .form(&form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

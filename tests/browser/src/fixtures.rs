//! The data pages need beyond the demo gemeenten, made through the same use cases as the portal:
//! coupling links (new, for a resident, used), a resident's session and a mail in the outbox.

use parkportal::Application;
use parkportal_domain::api_keys::Scopes;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::coupling::IssueRequest;
use parkportal_domain::mandates::GiveOutcome;
use parkportal_domain::parking::{Outcome, StartRequest};
use parkportal_domain::plate::{Country, Plate};
use parkportal_domain::top_up::{Bought, PaymentStatus};
use parkportal_domain::{EmailAddress, Language, NewPassword, Token};
use std::collections::HashMap;

/// The address of the demo resident of the browser checks.
pub const RESIDENT: &str = "bewoner@example.nl";

/// What the fixtures made: values for `{name}` placeholders in `visit`, and the resident's session.
pub struct Fixtures {
    /// Placeholder values.
    pub values: HashMap<&'static str, String>,
    /// The session token of the logged-in resident.
    pub resident_session: String,
    /// The console's session tokens by login (`staff`, `platform`, `code`, `enrolling`).
    pub console_sessions: HashMap<&'static str, String>,
    /// The walkthroughs' products by width: a visitor scheme (`{walk_product}`) and a permit for
    /// two plates (`{walk_permit}`).
    pub walks: HashMap<u32, (i64, i64)>,
}

impl Fixtures {
    /// `visit` with its placeholders filled.
    pub fn fill(&self, visit: &str) -> String {
        self.values.iter().fold(visit.to_owned(), |v, (k, value)| {
            v.replace(&format!("{{{k}}}"), value)
        })
    }

    /// `text` of a walkthrough at `width`: its own products and plate filled in (the plate as
    /// written, and as a resident might type it), then the rest.
    pub fn fill_walk(&self, text: &str, width: u32) -> String {
        let (product, permit) = self.walks.get(&width).copied().unwrap_or_default();
        let (plate, typed) = if width < 1000 {
            ("AB-56-78", "ab5678")
        } else {
            ("AB-90-12", "ab9012")
        };
        self.fill(
            &text
                .replace("{walk_product}", &product.to_string())
                .replace("{walk_permit}", &permit.to_string())
                .replace("{walk_plate_typed}", typed)
                .replace("{walk_plate}", plate),
        )
    }
}

async fn issue(
    app: &Application,
    tenant: &str,
    email: &str,
    balance: Option<&str>,
) -> Result<(Token, i64), String> {
    let state = app.state();
    state
        .desk()
        .issue(IssueRequest {
            tenant: tenant.into(),
            email: Some(EmailAddress::parse(email).map_err(|e| e.to_string())?),
            balance: balance.and_then(|b| b.parse().ok()),
            ..IssueRequest::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    // No mail server: the mail waits in the outbox; the newest is this one.
    let mail = state
        .outbox()
        .list(1)
        .await
        .map_err(|e| e.to_string())?
        .pop()
        .ok_or("no mail")?;
    let token = mail
        .text
        .split("/koppel/")
        .nth(1)
        .and_then(|rest| Token::parse(rest.get(..64)?))
        .ok_or("no coupling link in the mail")?;
    Ok((token, mail.id.0))
}

/// An application in Dijkstad's loket, stored as the loket stores it (the captcha is the pages'
/// to answer): the token of its status link, and its id (for the console's page of it).
async fn application(
    app: &Application,
    reference: &str,
    email: &str,
    account: Option<parkportal_domain::AccountId>,
) -> Result<(Token, i64), String> {
    use parkportal_domain::loket::{ApplicationRepository, NewApplication, Stored};
    let token = Token::generate().map_err(|e| e.to_string())?;
    let tenant = app
        .tenants()
        .by_slug("dijkstad")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no Dijkstad")?;
    let applicant = parkportal_domain::Recipient::parse(&parkportal_domain::RecipientInput {
        name: "J. de Vries",
        street: "Kerkstraat",
        house_number: "12 A",
        postcode: "1234 AB",
        city: "Dijkstad",
    })
    .map_err(|e| format!("{e:?}"))?;
    let email = EmailAddress::parse(email).map_err(|e| e.to_string())?;
    let new = NewApplication {
        tenant: tenant.id,
        product_type: parkportal_domain::Code::parse("bezoekers").map_err(|e| e.to_string())?,
        reference: reference.into(),
        applicant,
        email: email.clone(),
        language: Language::Nl,
        plates: Vec::new(),
        remark: None,
        account,
        token_hash: token.hash(),
        at: chrono::Utc::now(),
        rule_outcome: "review",
        rejection: None,
        audit: None,
    };
    let mail = parkportal_domain::mail::OutgoingMail {
        to: email,
        subject: "browser checks".into(),
        text: String::new(),
        html: String::new(),
        tenant: Some(tenant.id),
        plates: Vec::new(),
    };
    match parkportal_store::SeaApplicationRepository::new(app.database().clone())
        .create(&new, &mail)
        .await
        .map_err(|e| e.to_string())?
    {
        Stored::Created(id) => Ok((token, id.0)),
        Stored::ReferenceTaken => Err("the fixture's reference was taken".into()),
    }
}

/// A password-reset link for the resident, answering the captcha the way the pages' store keeps
/// it: the browser checks only look at the page the link opens.
async fn reset(app: &Application) -> Result<Token, String> {
    let state = app.state();
    let token = Token::generate().map_err(|e| e.to_string())?;
    let now = chrono::Utc::now();
    let link = parkportal_domain::coupling::NewLink {
        token: token.hash(),
        email: EmailAddress::parse(RESIDENT).map_err(|e| e.to_string())?,
        // Far ahead of the fixed clock of the checks.
        expires_at: now + chrono::Duration::days(3650),
    };
    let mail = parkportal_domain::mail::OutgoingMail {
        to: link.email.clone(),
        subject: "browser checks".into(),
        text: String::new(),
        html: String::new(),
        tenant: None,
        plates: Vec::new(),
    };
    state
        .accounts()
        .repository()
        .create_reset_link(&link, &mail, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(token)
}

/// Makes every fixture.
pub async fn make(app: &Application) -> Result<Fixtures, String> {
    let (new_link, mail_id) = issue(app, "dijkstad", "nieuw@example.nl", None).await?;
    let (used_link, _) = issue(app, "dijkstad", RESIDENT, Some("25.00")).await?;
    let password = NewPassword::parse("browser checks 2026", "browser checks 2026")
        .map_err(|e| e.to_string())?;
    let (signed_in, _) = app
        .state()
        .desk()
        .accept_creating_account(&used_link, &password, Language::Nl, "browser")
        .await
        .map_err(|e| e.to_string())?;
    let account = signed_in.account.clone();
    let parking = app.state().parking();
    let product = parking
        .products(&account)
        .await
        .map_err(|e| e.to_string())?
        .first()
        .map(|c| c.product.id)
        .ok_or("the resident has no product")?;
    parking
        .choose(&account, product)
        .await
        .map_err(|e| e.to_string())?;
    // A running and a planned session on it.
    let plate = Plate::parse("AB-12-34", Country::NL).map_err(|e| e.to_string())?;
    let now = parking.now();
    let mut sessions = Vec::new();
    for (start, hours) in [(None, 2), (Some(now + chrono::Duration::days(1)), 1)] {
        let begin = start.unwrap_or(now);
        let outcome = parking
            .start(
                &account,
                product,
                StartRequest {
                    plate: plate.clone(),
                    start,
                    end: Some(begin + chrono::Duration::hours(hours)),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        match outcome {
            Outcome::Done(s) => sessions.push(s.id.0),
            other => return Err(format!("a fixture session was refused: {other:?}")),
        }
    }
    // Ten more planned the day after tomorrow, so that the transactions of "Historie" have
    // [Toon meer] (the sessions tab lists what has started).
    for hour in 0..10 {
        let start = now + chrono::Duration::days(2) + chrono::Duration::hours(hour);
        let outcome = parking
            .start(
                &account,
                product,
                StartRequest {
                    plate: plate.clone(),
                    start: Some(start),
                    end: Some(start + chrono::Duration::minutes(10)),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        if !matches!(outcome, Outcome::Done(_)) {
            return Err(format!("a fixture session was refused: {outcome:?}"));
        }
    }
    // A favorite, for "Favorieten", its [Verwijder] and "Kenteken opzoeken".
    let favorite = match app
        .state()
        .favorites()
        .add(
            &account,
            product,
            &Plate::parse("56-GBD-7", Country::NL).map_err(|e| e.to_string())?,
            &parkportal_domain::favorites::FavoriteName::parse("Oma").map_err(|e| e.to_string())?,
        )
        .await
        .map_err(|e| e.to_string())?
    {
        parkportal_domain::favorites::Added::Added(f) => f.id.0,
        other => return Err(format!("the fixture favorite was refused: {other:?}")),
    };
    // A second product with too little balance, for the page of a refused session.
    let (poor_link, _) = issue(app, "weidevelde", RESIDENT, Some("0.10")).await?;
    let poor = app
        .state()
        .desk()
        .accept(&poor_link, &account, "browser")
        .await
        .map_err(|e| e.to_string())?
        .id;
    // A balance in minutes under a long name (Havenmond's 500 hours of "Bezoekersparkeren"):
    // the header on the narrowest phone.
    let (minutes_link, _) = issue(app, "havenmond", RESIDENT, None).await?;
    let minutes = app
        .state()
        .desk()
        .accept(&minutes_link, &account, "browser")
        .await
        .map_err(|e| e.to_string())?
        .id;
    // A permit for two plates, none active yet: the plate switch with its warning.
    let permit = two_plate_permit(app, &account).await?;
    // The walkthroughs' own products, one set per width they run at (each walk changes them):
    // a visitor scheme of Dijkstad with EUR 25.00 and a permit for two plates.
    let mut walks = Vec::new();
    for width in crate::WALK_WIDTHS {
        let (link, _) = issue(app, "dijkstad", RESIDENT, Some("25.00")).await?;
        let product = app
            .state()
            .desk()
            .accept(&link, &account, "browser")
            .await
            .map_err(|e| e.to_string())?
            .id;
        let walk_permit = two_plate_permit(app, &account).await?;
        walks.push((width, product, walk_permit));
    }
    // A paid top-up (its result page) and a product whose yearly cap is taken by two paid
    // top-ups and an open one (the cap's message, and the simulated checkout of the open one).
    let top_ups = app.state().top_ups();
    let base = app.public_url().to_owned();
    let pay = |product, option: &'static str| {
        let account = account.clone();
        let base = base.clone();
        async move {
            match top_ups
                .buy(
                    &account,
                    product,
                    option,
                    &base,
                    "Opwaardering (browser checks)",
                )
                .await
                .map_err(|e| e.to_string())?
            {
                Some(Bought::Created(p)) => Ok::<_, String>(p),
                other => Err(format!("a fixture top-up was refused: {other:?}")),
            }
        }
    };
    let paid = pay(product, "10.00").await?;
    let reference = paid.provider_ref.clone().ok_or("no provider id")?;
    top_ups
        .simulate(&reference, PaymentStatus::Paid)
        .await
        .map_err(|e| e.to_string())?;
    let (capped_link, _) = issue(app, "dijkstad", RESIDENT, None).await?;
    let capped = app
        .state()
        .desk()
        .accept(&capped_link, &account, "browser")
        .await
        .map_err(|e| e.to_string())?
        .id;
    for option in ["100.00", "100.00"] {
        let p = pay(capped, option).await?;
        let reference = p.provider_ref.ok_or("no provider id")?;
        top_ups
            .simulate(&reference, PaymentStatus::Paid)
            .await
            .map_err(|e| e.to_string())?;
    }
    let open = pay(capped, "50.00").await?;
    let checkout = open.provider_ref.ok_or("no provider id")?;
    // A mandate the resident gave on the product (its list and [Intrekken]), and one the
    // resident holds on someone else's product ("gemachtigd door").
    let mandates = app.state().mandates();
    let given = mandates
        .give(
            &account,
            product,
            &EmailAddress::parse("gemachtigde@example.nl").map_err(|e| e.to_string())?,
            Some(Plate::parse("78-GBD-9", Country::NL).map_err(|e| e.to_string())?),
            "5.00".parse().map_err(|_| "amount")?,
        )
        .await
        .map_err(|e| e.to_string())?;
    let mandate = match given {
        Some(GiveOutcome::Given(m)) => m.id.0,
        other => return Err(format!("the fixture mandate was refused: {other:?}")),
    };
    let (owner_link, _) = issue(app, "dijkstad", "eigenaar@example.nl", Some("30.00")).await?;
    let (owner, _) = app
        .state()
        .desk()
        .accept_creating_account(&owner_link, &password, Language::Nl, "browser")
        .await
        .map_err(|e| e.to_string())?;
    let owned = app
        .state()
        .parking()
        .products(&owner.account)
        .await
        .map_err(|e| e.to_string())?
        .first()
        .map(|c| c.product.id)
        .ok_or("the owner has no product")?;
    let resident_email = EmailAddress::parse(RESIDENT).map_err(|e| e.to_string())?;
    mandates
        .give(
            &owner.account,
            owned,
            &resident_email,
            None,
            "10.00".parse().map_err(|_| "amount")?,
        )
        .await
        .map_err(|e| e.to_string())?;
    let invitation = app
        .state()
        .outbox()
        .list(1)
        .await
        .map_err(|e| e.to_string())?
        .pop()
        .and_then(|m| Token::parse(m.text.split("/koppel/").nth(1)?.get(..64)?))
        .ok_or("no invitation")?;
    app.state()
        .desk()
        .accept(&invitation, &account, "browser")
        .await
        .map_err(|e| e.to_string())?;
    let (resident_link, _) = issue(app, "havenmond", RESIDENT, None).await?;
    let reset_link = reset(app).await?;
    let (application_link, application_id) =
        application(app, "AV-KM4T-X9QA", "aanvrager@example.nl", None).await?;
    // One of the resident's own: "Mijn aanvragen" lists it.
    application(app, "AV-HJ6K-M7NP", RESIDENT, Some(account.id)).await?;
    // Another, about which the gemeente asked a question: its page has the answer form.
    let (question_link, asked) = application(app, "AV-PQ7R-W3HX", "vraag@example.nl", None).await?;
    let dijkstad = app
        .tenants()
        .by_slug("dijkstad")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no Dijkstad")?;
    app.state()
        .loket()
        .ask(
            &dijkstad,
            (parkportal_domain::ApplicationId(asked), None),
            "Woont u op dit adres?",
            parkportal_domain::coupling::Issuer {
                actor: parkportal_domain::audit::Actor::Operator,
                role: None,
                origin: "browser".into(),
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut values = HashMap::from([
        ("new_link", new_link.expose().to_owned()),
        ("used_link", used_link.expose().to_owned()),
        ("resident_link", resident_link.expose().to_owned()),
        ("mail_id", mail_id.to_string()),
        ("reset_link", reset_link.expose().to_owned()),
        ("application_link", application_link.expose().to_owned()),
        ("application_id", application_id.to_string()),
        ("question_link", question_link.expose().to_owned()),
        ("product_id", product.0.to_string()),
        ("poor_product_id", poor.0.to_string()),
        ("minutes_product_id", minutes.0.to_string()),
        ("permit_id", permit.0.to_string()),
        ("favorite_id", favorite.to_string()),
        ("payment_id", paid.id.0.to_string()),
        ("capped_product_id", capped.0.to_string()),
        ("checkout_id", checkout),
        ("mandate_id", mandate.to_string()),
        ("mandated_product_id", owned.0.to_string()),
        ("running_session", sessions[0].to_string()),
        ("planned_session", sessions[1].to_string()),
    ]);
    let (console_sessions, console_values) = console(app).await?;
    values.extend(console_values);
    // The help desk's session page shows the resident's running session: its product's code,
    // found as a medewerker finds it.
    let dijkstad = app
        .tenants()
        .by_slug("dijkstad")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no demo gemeente dijkstad")?;
    let code = code_of(app, dijkstad.id, product).await?;
    values.insert("resident_product_code", code.to_string());
    // The refund pages show a product of the resident with € 25,00 paid, then revoked.
    let (refund_link, _) = issue(app, "dijkstad", RESIDENT, None).await?;
    let revoked = app
        .state()
        .desk()
        .accept(&refund_link, &account, "browser")
        .await
        .map_err(|e| e.to_string())?
        .id;
    let paid = pay(revoked, "25.00").await?;
    top_ups
        .simulate(
            &paid.provider_ref.ok_or("no provider id")?,
            PaymentStatus::Paid,
        )
        .await
        .map_err(|e| e.to_string())?;
    let revoked_code = code_of(app, dijkstad.id, revoked).await?;
    let entry = AuditEntry::new(
        Actor::Operator,
        "product.revoked",
        "fixtures",
        parking.now(),
    );
    app.console()
        .revocations()
        .revoke(dijkstad.id, &revoked_code, &entry)
        .await
        .map_err(|e| e.to_string())?;
    values.insert("revoked_product_code", revoked_code.to_string());
    // The rules console: Dijkstad's tariff saved a second time, so that version 1 can be gone
    // back to and the two compared.
    {
        use parkportal_domain::rules_console::{RuleChange, RuleKind};
        let rules = app.console().rules();
        let code = parkportal_domain::Code::parse("bezoekers").map_err(|e| e.to_string())?;
        let (_, versions) = rules
            .versions(&dijkstad, &code, RuleKind::Tariff)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("Dijkstad has no bezoekers")?;
        let source = versions
            .first()
            .map(|v| v.source.clone())
            .unwrap_or_default();
        let change = RuleChange {
            source: source.replace("amount = \"0.02\"", "amount = \"0.03\""),
            comment: "Browsercontrole".into(),
            author: "fixtures".into(),
            at: parking.now(),
            effective_from: None,
        };
        let entry = AuditEntry::new(Actor::Operator, "rules.saved", "fixtures", parking.now());
        rules
            .save(&dijkstad, (&code, RuleKind::Tariff), &change, &entry)
            .await
            .map_err(|e| e.to_string())?;
        // And next month's, scheduled: the pages show what comes next.
        let next = RuleChange {
            source: change
                .source
                .replace("amount = \"0.03\"", "amount = \"0.04\""),
            comment: "Nieuw tarief".into(),
            effective_from: Some(parking.now() + chrono::Duration::days(30)),
            ..change
        };
        rules
            .save(&dijkstad, (&code, RuleKind::Tariff), &next, &entry)
            .await
            .map_err(|e| e.to_string())?;
    }
    // Last, when everything of Weidevelde is made: its pages show the notice of a suspension.
    app.console()
        .suspensions()
        .suspend(
            "weidevelde",
            "Browsercontrole",
            parkportal_domain::audit::Actor::Operator,
            "fixtures",
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(Fixtures {
        values,
        resident_session: signed_in.token.expose().to_owned(),
        console_sessions,
        walks: walks
            .into_iter()
            .map(|(width, product, permit)| (width, (product.0, permit.0)))
            .collect(),
    })
}

/// A Dijkstad permit for 12-GBD-3 and 34-GBD-5, none active yet, coupled to `account`.
async fn two_plate_permit(
    app: &Application,
    account: &parkportal_domain::Account,
) -> Result<parkportal_domain::ProductId, String> {
    let plates = ["12-GBD-3", "34-GBD-5"]
        .iter()
        .map(|p| Plate::parse(p, Country::NL).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let permit = app
        .state()
        .desk()
        .issue(IssueRequest {
            tenant: "dijkstad".into(),
            product_type: Some("bewoners".into()),
            email: Some(EmailAddress::parse(RESIDENT).map_err(|e| e.to_string())?),
            plates,
            ..IssueRequest::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let link = permit.coupling_token.ok_or("no coupling token")?;
    Ok(app
        .state()
        .desk()
        .accept(&link, account, "browser")
        .await
        .map_err(|e| e.to_string())?
        .id)
}

/// The code of the resident's `product` of `tenant`, found by their address as a medewerker
/// finds it.
async fn code_of(
    app: &Application,
    tenant: parkportal_domain::TenantId,
    product: parkportal_domain::ProductId,
) -> Result<parkportal_domain::ProductCode, String> {
    let query = parkportal_domain::search::SearchQuery::parse(
        parkportal_domain::search::SearchKind::Email,
        RESIDENT,
    )
    .map_err(|e| e.to_string())?
    .ok_or("an empty search")?;
    let now = app.state().web().clock().now();
    let entry = AuditEntry::new(Actor::Operator, "product.search", "fixtures", now);
    let found = app
        .console()
        .search()
        .search(tenant, &query, 1, entry)
        .await
        .map_err(|e| e.to_string())?;
    found
        .hits
        .iter()
        .find(|h| h.id == product)
        .map(|h| h.code.clone())
        .ok_or_else(|| "a resident's product is not found by its address".to_owned())
}

/// The console's sessions, made through its use cases with the demo staff's secrets: a
/// medewerker of Dijkstad and the platformbeheerder logged in, a beheerder half-way (the code
/// asked), a new account half-way through its enrolment; and an unused and a used enrolment link.
async fn console(
    app: &Application,
) -> Result<(HashMap<&'static str, String>, Vec<(&'static str, String)>), String> {
    use parkportal_domain::staff::totp::{TotpSecret, step_of};
    use parkportal_domain::staff::{PasswordStep, StaffPassword};
    let console = app.console();
    let demo = app.demo_staff();
    let now = app.state().clock().now();
    let password = parkportal::demo_staff::DEMO_STAFF_PASSWORD;
    let login = |email: String| async move {
        let step = console
            .auth()
            .password(&email, password, "fixtures")
            .await
            .map_err(|e| e.to_string())?;
        let PasswordStep::Code(token) = step else {
            return Err(format!("{email} is not enrolled"));
        };
        Ok::<_, String>(token)
    };
    let logged_in = |email: &'static str| {
        async move {
            let secret = demo
                .iter()
                .find(|d| d.email == email)
                .and_then(|d| TotpSecret::from_base32(&d.secret))
                .ok_or(format!("no demo staff {email}"))?;
            let pending = login(email.to_owned()).await?;
            // The step after the one the demo's enrolment used (within the accepted skew).
            let code = secret.code_at(step_of(now) + 1);
            let (token, _) = console
                .auth()
                .code(&pending, &code, "fixtures")
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(token.expose().to_owned())
        }
    };
    let mut sessions = HashMap::new();
    sessions.insert(
        "staff",
        logged_in("medewerker.dijkstad@demo.parkportal.nl").await?,
    );
    sessions.insert("platform", logged_in("platform@demo.parkportal.nl").await?);
    sessions.insert(
        "code",
        login("beheerder.dijkstad@demo.parkportal.nl".to_owned())
            .await?
            .expose()
            .to_owned(),
    );
    let fresh = new_link(console, "nieuw@example.nl").await?;
    let used = new_link(console, "halfweg@example.nl").await?;
    let chosen = console
        .enrolment()
        .choose_password(
            &used.token,
            &StaffPassword::parse(password, password).map_err(|e| e.to_string())?,
            "fixtures",
        )
        .await
        .map_err(|e| e.to_string())?;
    sessions.insert("enrolling", chosen.session.expose().to_owned());
    // The staff pages show Dijkstad's demo medewerker.
    let dijkstad = console
        .web()
        .tenants()
        .by_slug("dijkstad")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no demo gemeente dijkstad")?;
    let medewerker = console
        .staff()
        .members(dijkstad.id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|l| l.member.email.as_str() == "medewerker.dijkstad@demo.parkportal.nl")
        .ok_or("no demo medewerker of dijkstad")?;
    // The API key pages show a key of Dijkstad in use and one revoked.
    let key = |name: &'static str| api_key(console, dijkstad.id, name);
    let in_use = key("Zaaksysteem").await?;
    let revoked = key("Oude koppeling").await?;
    let entry = AuditEntry::new(Actor::Operator, "api_key.revoked", "fixtures", now);
    console
        .api_keys()
        .revoke(dijkstad.id, revoked, entry)
        .await
        .map_err(|e| e.to_string())?;
    // The batch pages show a finished batch of Dijkstad and one that waits (the harness runs
    // no worker).
    let done = batch(app, "bezoekers-2027.csv").await?;
    app.batches()
        .runner("fixtures")
        .run_once(None)
        .await
        .map_err(|e| e.to_string())?;
    let queued = batch(app, "bewoners-noordoever.csv").await?;
    // The help desk's pages show a product of Dijkstad issued by letter, with two plates.
    let recipient = parkportal_domain::Recipient::parse(&parkportal_domain::RecipientInput {
        name: "Marieke van den Berg",
        street: "Havenstraat",
        house_number: "7 A",
        postcode: "1234 AB",
        city: "Dijkstad",
    })
    .map_err(|e| format!("{e:?}"))?;
    let plates = ["AB-12-34", "56-GBD-7"]
        .iter()
        .map(|p| Plate::parse(p, Country::NL).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let product = app
        .state()
        .desk()
        .issue(IssueRequest {
            tenant: "dijkstad".into(),
            recipient: Some(recipient),
            plates,
            letter: true,
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    // The correction pages show one the demo beheerder proposed, waiting for the medewerker.
    let beheerder = console
        .staff()
        .members(dijkstad.id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|l| l.member.email.as_str() == "beheerder.dijkstad@demo.parkportal.nl")
        .ok_or("no demo beheerder of dijkstad")?;
    let waiting = console
        .corrections()
        .propose(parkportal_domain::corrections::CorrectionRequest {
            tenant: dijkstad.id,
            code: product.code.clone(),
            amount: "75.00".parse().map_err(|_| "an amount")?,
            reason: "Vergoeding na klacht over de parkeerautomaat".into(),
            staff: beheerder.member.id,
            audit: AuditEntry::new(
                Actor::Operator,
                "balance.correction_proposed",
                "fixtures",
                now,
            ),
        })
        .await
        .map_err(|e| e.to_string())?;
    let parkportal_domain::corrections::Corrected::Waiting(correction) = waiting else {
        return Err(format!(
            "the fixture's correction did not wait: {waiting:?}"
        ));
    };
    Ok((
        sessions,
        vec![
            ("product_code", product.code.to_string()),
            ("correction_id", correction.0.to_string()),
            ("batch_id", done.0.to_string()),
            ("queued_batch_id", queued.0.to_string()),
            ("staff_link", fresh.token.expose().to_owned()),
            ("used_staff_link", used.token.expose().to_owned()),
            ("staff_id", medewerker.member.id.0.to_string()),
            ("api_key_id", in_use.0.to_string()),
            ("revoked_api_key_id", revoked.0.to_string()),
        ],
    ))
}

/// A letter batch of two rows in Dijkstad named `file_name`, as the console uploads one.
async fn batch(app: &Application, file_name: &str) -> Result<parkportal_domain::BatchId, String> {
    let sheet = "naam;straat;huisnummer;postcode;plaats\n\
                 J. de Vries;Kerkstraat;12 A;1234 AB;Dijkstad\n\
                 P. Jansen;Dorpsweg;3;1235 CD;Dijkstad\n";
    app.batches()
        .upload(parkportal_domain::batches::Upload {
            tenant: "dijkstad",
            file_name,
            bytes: sheet.as_bytes(),
            issuer: parkportal_domain::coupling::Issuer {
                actor: Actor::Operator,
                role: None,
                origin: "fixtures".into(),
            },
            key: None,
        })
        .await
        .map(|u| u.batch)
        .map_err(|e| e.to_string())
}

/// A key of gemeente `tenant` named `name`, as `parkportal api-keys create` makes it.
async fn api_key(
    console: &parkportal_admin::Console,
    tenant: parkportal_domain::TenantId,
    name: &str,
) -> Result<parkportal_domain::ApiKeyId, String> {
    let keys = console.api_keys();
    let entry = AuditEntry::new(Actor::Operator, "api_key.created", "fixtures", keys.now());
    let scopes = Scopes::parse("products:read,letters:read").map_err(|e| e.to_string())?;
    let (key, _) = keys
        .create(tenant, name, scopes, None, entry)
        .await
        .map_err(|e| e.to_string())?;
    Ok(key.id)
}

/// An enrolment link for a new platformbeheerder at `email`.
async fn new_link(
    console: &parkportal_admin::Console,
    email: &str,
) -> Result<parkportal_domain::staff::NewLink, String> {
    let new = parkportal_domain::staff::NewStaff {
        email: EmailAddress::parse(email).map_err(|e| e.to_string())?,
        name: "Nieuwe collega".to_owned(),
        platform_admin: true,
        role: None,
    };
    console
        .enrolment()
        .create(&new, parkportal_domain::audit::Actor::Operator, "fixtures")
        .await
        .map_err(|e| e.to_string())
}

//! The portal's own state: the resident use cases its pages and API call, beside what every
//! front end shares ([`WebState`]). The staff console has its own and never reaches these.

use parkportal_domain::favorites::Favorites;
use parkportal_domain::history::History;
use parkportal_domain::idempotency::Idempotency;
use parkportal_domain::loket::Loket;
use parkportal_domain::mandates::Mandates;
use parkportal_domain::own_data::OwnData;
use parkportal_domain::parking::Parking;
use parkportal_domain::password_reset::PasswordResets;
use parkportal_domain::settings::Settings;
use parkportal_domain::top_up::TopUps;
use parkportal_domain::{Accounts, Clock, OutboxRepository, ProductDesk, TenantDirectory};
use parkportal_web::i18n::Catalogues;
use parkportal_web::{WebSettings, WebState};
use std::sync::Arc;

/// The use cases the portal's pages and API call.
#[derive(Clone)]
pub struct Services {
    /// Gemeenten.
    pub tenants: TenantDirectory,
    /// Accounts and login sessions.
    pub accounts: Accounts,
    /// Issuing and coupling products.
    pub desk: ProductDesk,
    /// "Wachtwoord vergeten?" and the captcha.
    pub resets: PasswordResets,
    /// Products, parking sessions and the ledger.
    pub parking: Parking,
    /// "Historie": a product's sessions and transactions.
    pub history: History,
    /// "Favorieten".
    pub favorites: Favorites,
    /// "Instellingen".
    pub settings: Settings,
    /// "Opwaarderen" and its payments.
    pub top_ups: TopUps,
    /// "Machtiging(en)".
    pub mandates: Mandates,
    /// Requests that create something made once: `Idempotency-Key` and confirm forms' tokens.
    pub idempotency: Idempotency,
    /// The outbox: every mail queued, sent or waiting.
    pub outbox: Arc<dyn OutboxRepository>,
    /// Whether this is the demo (the embedded demo database without a real part), the only
    /// place where the pages may show the outbox.
    pub demo_mode: bool,
    /// The resident's own data: its download and the deletion of the account.
    pub own_data: OwnData,
    /// The digitaal loket: applying for a product.
    pub loket: Loket,
}

/// Everything a portal handler may use. Cheap to clone.
#[derive(Clone)]
pub struct Portal {
    inner: Arc<Inner>,
}

struct Inner {
    web: WebState,
    services: Services,
}

impl Portal {
    /// The portal on `services`, beside what every front end shares.
    pub fn new(web: WebState, services: Services) -> Self {
        Self {
            inner: Arc::new(Inner { web, services }),
        }
    }

    /// What every front end shares.
    pub fn web(&self) -> &WebState {
        &self.inner.web
    }

    /// Gemeenten.
    pub fn tenants(&self) -> &TenantDirectory {
        &self.inner.services.tenants
    }

    /// Accounts and login sessions.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.services.accounts
    }

    /// Issuing and coupling products.
    pub fn desk(&self) -> &ProductDesk {
        &self.inner.services.desk
    }

    /// Requests made once: `Idempotency-Key` and the one-time tokens of confirm forms.
    pub fn idempotency(&self) -> &Idempotency {
        &self.inner.services.idempotency
    }

    /// Products, parking sessions and the ledger.
    pub fn parking(&self) -> &Parking {
        &self.inner.services.parking
    }

    /// "Instellingen": language, start product and contrast of an account.
    pub fn account_settings(&self) -> &Settings {
        &self.inner.services.settings
    }

    /// "Machtiging(en)": mandates on own products.
    pub fn mandates(&self) -> &Mandates {
        &self.inner.services.mandates
    }

    /// The resident's own data: "Download mijn gegevens" and "Account verwijderen".
    pub fn own_data(&self) -> &OwnData {
        &self.inner.services.own_data
    }

    /// "Opwaarderen": top-ups paid with iDEAL.
    pub fn top_ups(&self) -> &TopUps {
        &self.inner.services.top_ups
    }

    /// "Favorieten": plates with a name, per own product.
    pub fn favorites(&self) -> &Favorites {
        &self.inner.services.favorites
    }

    /// "Historie": a product's sessions and transactions.
    pub fn history(&self) -> &History {
        &self.inner.services.history
    }

    /// The digitaal loket: applying for a product, its status, "Mijn aanvragen".
    pub fn loket(&self) -> &Loket {
        &self.inner.services.loket
    }

    /// "Wachtwoord vergeten?" and the captcha.
    pub fn resets(&self) -> &PasswordResets {
        &self.inner.services.resets
    }

    /// The outbox for `/demo/outbox`: `None` unless this is the demo. Pages read mail only
    /// through this.
    pub fn demo_outbox(&self) -> Option<&dyn OutboxRepository> {
        let services = &self.inner.services;
        services.demo_mode.then_some(services.outbox.as_ref())
    }

    /// The outbox whatever the mode, for the composition root, commands and tests (pages use
    /// [`Self::demo_outbox`]): the mails queued, sent or waiting.
    pub fn outbox(&self) -> &dyn OutboxRepository {
        self.inner.services.outbox.as_ref()
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.inner.web.clock()
    }

    /// The translation catalogues.
    pub fn catalogues(&self) -> &Catalogues {
        self.inner.web.catalogues()
    }

    /// The web settings: the public URL, the version, the proxy header.
    pub fn settings(&self) -> &WebSettings {
        self.inner.web.settings()
    }
}

//! What every front end shares (the portal today, the staff console next): the gemeente
//! directory, the clock, templates, catalogues, metrics, readiness and settings. A front end's
//! own use cases live in its own state, never here. Configuration travels here, never in
//! globals.

use crate::i18n::Catalogues;
use crate::metrics::Metrics;
use crate::templates::Templates;
use parkportal_domain::{Clock, PublicUrl, Readiness, TenantDirectory};
use std::sync::Arc;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The platform's public URL: the base of links in e-mails and the `Secure` flag of cookies.
    pub public_url: PublicUrl,
    /// The version shown in "Over Parkportal".
    pub version: String,
    /// The header a trusted reverse proxy puts the client's address in (`X-Forwarded-For`);
    /// without one the peer address counts.
    pub client_ip_header: Option<String>,
    /// The most bytes a request body may have (after any `Content-Encoding` is undone).
    pub body_limit: usize,
}

impl WebSettings {
    /// Whether cookies must carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_str().starts_with("https://")
    }
}

/// What every request of every front end may use. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    inner: Arc<Inner>,
}

struct Inner {
    tenants: TenantDirectory,
    readiness: Arc<dyn Readiness>,
    clock: Arc<dyn Clock>,
    templates: Arc<Templates>,
    catalogues: Catalogues,
    metrics: Metrics,
    settings: WebSettings,
}

impl WebState {
    /// Builds the state from its parts (the composition root does this).
    pub fn new(
        tenants: TenantDirectory,
        readiness: Arc<dyn Readiness>,
        clock: Arc<dyn Clock>,
        templates: Arc<Templates>,
        catalogues: Catalogues,
        settings: WebSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                tenants,
                readiness,
                clock,
                templates,
                catalogues,
                metrics: Metrics::default(),
                settings,
            }),
        }
    }

    /// Gemeenten: which one a host or `/g/{slug}/` prefix selects, and their look.
    pub fn tenants(&self) -> &TenantDirectory {
        &self.inner.tenants
    }

    /// Database readiness.
    pub fn readiness(&self) -> &dyn Readiness {
        self.inner.readiness.as_ref()
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    /// The templates of every theme.
    pub fn templates(&self) -> &Templates {
        &self.inner.templates
    }

    /// The translation catalogues.
    pub fn catalogues(&self) -> &Catalogues {
        &self.inner.catalogues
    }

    /// Request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Settings.
    pub fn settings(&self) -> &WebSettings {
        &self.inner.settings
    }
}

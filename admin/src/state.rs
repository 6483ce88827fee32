//! The console's own state: the staff use cases its pages call and its own look, beside what
//! every front end shares ([`WebState`]). The portal has its own and never reaches these.

use crate::gemeenten::BundleArchives;
use crate::look::ConsoleLook;
use parkportal_domain::ProductDesk;
use parkportal_domain::api_keys::ApiKeys;
use parkportal_domain::batches::LetterBatches;
use parkportal_domain::corrections::Corrections;
use parkportal_domain::dashboard::Dashboard;
use parkportal_domain::dossier::Dossiers;
use parkportal_domain::gemeente_look::GemeenteLook;
use parkportal_domain::parking::Parking;
use parkportal_domain::payer_refunds::PayerRefunds;
use parkportal_domain::revocation::Revocations;
use parkportal_domain::rules_console::RulesConsole;
use parkportal_domain::search::ProductSearch;
use parkportal_domain::staff::{Enrolment, StaffAuth, StaffManagement};
use parkportal_domain::suspension::Suspensions;
use parkportal_web::WebState;
use parkportal_web::i18n::Catalogues;
use parkportal_web::templates::Templates;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The console's texts, added to the shared catalogues.
const NL: &str = include_str!("../i18n/nl.toml");
const EN: &str = include_str!("../i18n/en.toml");

/// The use cases the console's pages call.
#[derive(Clone)]
pub struct ConsoleServices {
    /// The login and its sessions.
    pub auth: StaffAuth,
    /// Making accounts and enrolling them.
    pub enrolment: Enrolment,
    /// A gemeente's staff managed by its beheerders.
    pub staff: StaffManagement,
    /// A gemeente's figures and its rule errors.
    pub dashboard: Dashboard,
    /// Suspending and resuming gemeenten.
    pub suspensions: Suspensions,
    /// Gemeente bundles as archives: uploads read, downloads written.
    pub bundles: Arc<dyn BundleArchives>,
    /// Issuing products with their allocation letters.
    pub desk: ProductDesk,
    /// Letter batches: uploaded sheets, their progress, report and PDF.
    pub batches: LetterBatches,
    /// The help desk's search of a gemeente's products.
    pub search: ProductSearch,
    /// The help desk's product pages.
    pub dossiers: Dossiers,
    /// Staff corrections of balances, with their second approval.
    pub corrections: Corrections,
    /// The residents' parking, for staff acting on their behalf.
    pub parking: Parking,
    /// Revoking products.
    pub revocations: Revocations,
    /// Refunds of a revoked product's paid balance to the payer.
    pub payer_refunds: PayerRefunds,
    /// A gemeente's API keys for the admin API: made, listed and revoked by its beheerders,
    /// and the authentication of a presented key.
    pub api_keys: ApiKeys,
    /// The rules console: scripts and tariffs checked, priced and saved as versions.
    pub rules: RulesConsole,
    /// A gemeente's settings, logo and theme.
    pub gemeente_look: GemeenteLook,
    /// The digitaal loket: the queue and the decisions.
    pub loket: parkportal_domain::loket::Loket,
}

/// Everything a console handler may use. Cheap to clone.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    web: WebState,
    services: ConsoleServices,
    look: Arc<ConsoleLook>,
    static_dir: PathBuf,
}

impl Console {
    /// The console on `services`, with its templates and files from `themes_dir/admin`.
    pub fn new(
        web: WebState,
        services: ConsoleServices,
        themes_dir: &Path,
    ) -> Result<Self, String> {
        let catalogues: Catalogues = web.catalogues().extended(NL, EN)?;
        let templates = Templates::console(themes_dir, &catalogues)?;
        let look = Arc::new(ConsoleLook::new(templates, catalogues));
        Ok(Self {
            inner: Arc::new(Inner {
                web,
                services,
                look,
                static_dir: themes_dir.join("admin").join("static"),
            }),
        })
    }

    /// What every front end shares.
    pub fn web(&self) -> &WebState {
        &self.inner.web
    }

    /// The login and its sessions.
    pub fn auth(&self) -> &StaffAuth {
        &self.inner.services.auth
    }

    /// Making accounts and enrolling them.
    pub fn enrolment(&self) -> &Enrolment {
        &self.inner.services.enrolment
    }

    /// A gemeente's staff managed by its beheerders.
    pub fn staff(&self) -> &StaffManagement {
        &self.inner.services.staff
    }

    /// A gemeente's figures and its rule errors.
    pub fn dashboard(&self) -> &Dashboard {
        &self.inner.services.dashboard
    }

    /// Suspending and resuming gemeenten.
    pub fn suspensions(&self) -> &Suspensions {
        &self.inner.services.suspensions
    }

    /// A gemeente's API keys, and the authentication of a presented key.
    pub fn api_keys(&self) -> &ApiKeys {
        &self.inner.services.api_keys
    }

    /// The rules console: scripts and tariffs checked, priced and saved as versions.
    pub fn rules(&self) -> &RulesConsole {
        &self.inner.services.rules
    }

    /// A gemeente's settings, logo and theme.
    pub fn gemeente_look(&self) -> &GemeenteLook {
        &self.inner.services.gemeente_look
    }

    /// Gemeente bundles as archives.
    pub fn bundles(&self) -> Arc<dyn BundleArchives> {
        self.inner.services.bundles.clone()
    }

    /// Writes `entry` to the audit trail on its own: for what no use case records in its own
    /// transaction (refusals before one ran, reads of the console itself).
    pub async fn record(
        &self,
        entry: &parkportal_domain::audit::AuditEntry,
    ) -> Result<(), parkportal_web::AppError> {
        self.auth().audit().record(entry).await?;
        Ok(())
    }

    /// The digitaal loket: the queue and the decisions.
    pub fn loket(&self) -> &parkportal_domain::loket::Loket {
        &self.inner.services.loket
    }

    /// Issuing products with their allocation letters.
    pub fn desk(&self) -> &ProductDesk {
        &self.inner.services.desk
    }

    /// The letter batches.
    pub fn batches(&self) -> &LetterBatches {
        &self.inner.services.batches
    }

    /// The help desk's search.
    pub fn search(&self) -> &ProductSearch {
        &self.inner.services.search
    }

    /// The help desk's product pages.
    pub fn dossiers(&self) -> &Dossiers {
        &self.inner.services.dossiers
    }

    /// The residents' parking, for staff acting on their behalf.
    pub fn parking(&self) -> &Parking {
        &self.inner.services.parking
    }

    /// Revoking products.
    pub fn revocations(&self) -> &Revocations {
        &self.inner.services.revocations
    }

    /// Refunds of a revoked product's paid balance to the payer.
    pub fn payer_refunds(&self) -> &PayerRefunds {
        &self.inner.services.payer_refunds
    }

    /// Staff corrections of balances.
    pub fn corrections(&self) -> &Corrections {
        &self.inner.services.corrections
    }

    /// The console's look.
    pub fn look(&self) -> &Arc<ConsoleLook> {
        &self.inner.look
    }

    /// The folder of the console's files (`/beheer/static/...`).
    pub fn static_dir(&self) -> &Path {
        &self.inner.static_dir
    }

    /// Whether cookies must carry `Secure`.
    pub fn secure(&self) -> bool {
        self.inner.web.settings().secure_cookies()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parkportal_domain::Language;

    fn catalogues() -> Catalogues {
        Catalogues::embedded()
            .and_then(|c| c.extended(NL, EN))
            .expect("the catalogues parse")
    }

    fn own_keys(text: &str) -> Vec<String> {
        let empty = Catalogues::embedded()
            .and_then(|c| c.extended("", ""))
            .expect("the shared catalogues parse");
        let with = Catalogues::embedded()
            .and_then(|c| c.extended(text, text))
            .expect("the console's catalogue parses");
        let shared: std::collections::HashSet<_> = empty.keys(Language::Nl).into_iter().collect();
        with.keys(Language::Nl)
            .into_iter()
            .filter(|k| !shared.contains(k))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_console_speaks_dutch_and_english_with_the_same_keys_and_placeholders() {
        assert_eq!(own_keys(NL), own_keys(EN));
        let c = catalogues();
        for key in own_keys(NL) {
            let holes = |lang| {
                let text = c.text(lang, &key, &[]);
                let mut found: Vec<String> = text
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(h, _)| h.to_owned()))
                    .collect();
                found.sort();
                found
            };
            assert_eq!(holes(Language::Nl), holes(Language::En), "{key}");
        }
    }

    #[test]
    fn every_key_a_console_template_uses_is_in_both_catalogues() {
        let c = catalogues();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/admin/templates");
        let mut missing = Vec::new();
        let mut found = 0;
        for entry in std::fs::read_dir(&dir)
            .expect("themes/admin/templates")
            .flatten()
        {
            let text = std::fs::read_to_string(entry.path()).expect("a template");
            for quote in ['"', '\''] {
                for part in text.split(&format!("t({quote}")).skip(1) {
                    let Some((key, _)) = part.split_once(quote) else {
                        continue;
                    };
                    found += 1;
                    let known = if key.ends_with('.') {
                        c.keys(Language::Nl).iter().any(|k| k.starts_with(key))
                    } else {
                        c.has(key)
                    };
                    if !known {
                        missing.push(format!("{}: {key}", entry.path().display()));
                    }
                }
            }
        }
        assert!(found > 30, "{found}");
        assert!(missing.is_empty(), "{missing:?}");
    }
}

//! The lists of sessions a resident reads: a product's running and planned ones, and those of
//! all their products, each with what the list shows of it (whose it is, and for an owner which
//! mandatee started it).

use super::model::{ListedSession, ParkingSession, ProductView, SessionState};
use super::use_cases::{Parking, ParkingError, shown_to};
use crate::accounts::Account;
use crate::ids::{MandateId, ProductId};
use std::collections::BTreeMap;

impl Parking {
    /// The running and planned sessions of a product of the resident; `None` when it is not
    /// theirs.
    pub async fn sessions(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<Vec<ListedSession>>, ParkingError> {
        let Some(view) = self.repo.product_of(account.id, product).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let active = self.repo.active_sessions(account.id, product, now).await?;
        let shown = shown_to(account, &view, active, now);
        Ok(Some(self.listed(account, shown).await?))
    }

    /// `sessions` as `account` sees them in a list: which are theirs, and for an owner who of
    /// the mandatees started the others.
    async fn listed(
        &self,
        account: &Account,
        sessions: Vec<ParkingSession>,
    ) -> Result<Vec<ListedSession>, ParkingError> {
        let mut by_product: BTreeMap<ProductId, Vec<MandateId>> = BTreeMap::new();
        for s in sessions.iter().filter(|s| s.account != Some(account.id)) {
            if let Some(mandate) = s.mandate {
                by_product.entry(s.product).or_default().push(mandate);
            }
        }
        let mut addresses = BTreeMap::new();
        for (product, mandates) in by_product {
            addresses.extend(self.repo.mandatee_addresses(product, &mandates).await?);
        }
        Ok(sessions
            .into_iter()
            .map(|session| {
                let mine = session.account == Some(account.id);
                let started_by = session
                    .mandate
                    .filter(|_| !mine)
                    .and_then(|m| addresses.get(&m).cloned());
                ListedSession {
                    session,
                    mine,
                    started_by,
                }
            })
            .collect())
    }

    /// "Alle parkeeracties": the running and planned sessions of all the resident's products,
    /// by start, each with its product.
    pub async fn all_sessions(
        &self,
        account: &Account,
    ) -> Result<Vec<(ListedSession, ProductView)>, ParkingError> {
        let now = self.clock.now();
        let sessions = self.repo.live_sessions_of(account.id, now).await?;
        if sessions.is_empty() {
            return Ok(Vec::new());
        }
        let products = self.repo.products_of(account.id).await?;
        // A product given up between the two reads is left out with its sessions.
        let live = sessions
            .into_iter()
            .filter(|s| matches!(s.state(now), SessionState::Running | SessionState::Planned))
            .filter(|s| products.iter().any(|p| p.id == s.product))
            .collect();
        Ok(self
            .listed(account, live)
            .await?
            .into_iter()
            .filter_map(|listed| {
                let product = products.iter().find(|p| p.id == listed.session.product)?;
                Some((listed, product.clone()))
            })
            .collect())
    }
}

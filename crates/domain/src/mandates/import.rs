//! The import of the previous system's mandates: every row is looked up first and every row
//! that does not fit is named by its line; then all are stored in one transaction, or none.

use super::{InviteText, MandateError, Mandates};
use crate::email::EmailAddress;
use crate::ids::{AccountId, ProductId};
use crate::mail::OutgoingMail;
use crate::plate::Plate;
use crate::product_type::ProductKind;
use crate::secret::TokenHash;
use chrono::{DateTime, Utc};

/// One row of an import from the previous system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The line of the file.
    pub line: usize,
    /// The gemeente's slug.
    pub tenant: String,
    /// The product's code.
    pub product_code: String,
    /// The mandatee's address.
    pub email: EmailAddress,
    /// The one plate, if any.
    pub plate: Option<Plate>,
    /// Whether the mandatee had accepted it.
    pub accepted: bool,
}

/// Why an import row does not fit, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ImportProblem {
    /// The line of the file.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Imported {
    /// Mandates stored as accepted (the address has an account).
    pub accepted: usize,
    /// Mandates stored as invited (an invitation mail was queued).
    pub invited: usize,
}

/// An import row ready to store.
#[derive(Debug, Clone)]
pub struct ImportEntry {
    /// The row.
    pub row: ImportRow,
    /// Its product.
    pub product: ProductId,
    /// The product's owner.
    pub owner: AccountId,
    /// The mandatee's account, when the row was accepted and the address has one.
    pub mandatee: Option<AccountId>,
    /// The invitation's token hash, expiry and mail, for the other rows.
    pub invite: Option<(TokenHash, DateTime<Utc>, OutgoingMail)>,
}

/// A product an import row names, as the import needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportTarget {
    /// The product.
    pub product: ProductId,
    /// Its owner and the owner's address, once coupled.
    pub owner: Option<(AccountId, EmailAddress)>,
    /// Visitor scheme or permit.
    pub kind: ProductKind,
    /// The product type's name.
    pub type_name: String,
    /// The zone's name.
    pub zone_name: String,
}

impl Mandates {
    /// Imports mandates of the previous system (all rows or none): no balance of their own;
    /// a row whose address has an account and was accepted is accepted at once, the others get
    /// an invitation mail. Every row that does not fit is named.
    pub async fn import(
        &self,
        rows: Vec<ImportRow>,
    ) -> Result<Result<Imported, Vec<ImportProblem>>, MandateError> {
        let now = self.clock.now();
        let mut entries: Vec<ImportEntry> = Vec::with_capacity(rows.len());
        let mut problems = Vec::new();
        for row in rows {
            let target = match self.target(&row, &entries).await? {
                Ok(found) => found,
                Err(problem) => {
                    problems.push(ImportProblem {
                        line: row.line,
                        problem,
                    });
                    continue;
                }
            };
            let (tenant, target, owner, owner_email) = target;
            let credentials = self.accounts.credentials(&row.email).await?;
            let mandatee = credentials
                .as_ref()
                .map(|c| c.account.id)
                .filter(|_| row.accepted);
            let invite = if mandatee.is_some() {
                None
            } else {
                let language = credentials
                    .and_then(|c| c.account.language)
                    .unwrap_or(tenant.default_language);
                let text = InviteText {
                    owner: owner_email.to_string(),
                    product: target.type_name.clone(),
                    zone: target.zone_name.clone(),
                    plate: row.plate.clone(),
                    amount: None,
                };
                Some(self.invitation(&tenant, &row.email, language, text)?)
            };
            entries.push(ImportEntry {
                row,
                product: target.product,
                owner,
                mandatee,
                invite,
            });
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        Ok(self.repo.import(&entries, now).await?.map_err(|p| vec![p]))
    }

    /// The gemeente, product and owner of `row`, or why it does not fit.
    async fn target(
        &self,
        row: &ImportRow,
        earlier: &[ImportEntry],
    ) -> Result<
        Result<(crate::tenant::Tenant, ImportTarget, AccountId, EmailAddress), String>,
        MandateError,
    > {
        let Some(tenant) = self.tenants.by_slug(&row.tenant).await? else {
            return Ok(Err(format!("no gemeente {:?}", row.tenant)));
        };
        let Some(target) = self
            .repo
            .import_target(tenant.id, &row.product_code)
            .await?
        else {
            return Ok(Err(format!(
                "gemeente {} has no product {:?}",
                row.tenant, row.product_code
            )));
        };
        let Some((owner, owner_email)) = target.owner.clone() else {
            return Ok(Err(format!(
                "product {} is not coupled to an account",
                row.product_code
            )));
        };
        if target.kind != ProductKind::VisitorScheme {
            return Ok(Err(format!(
                "product {} is not a visitor scheme",
                row.product_code
            )));
        }
        if owner_email == row.email {
            return Ok(Err("a mandate to the product's own owner".into()));
        }
        if let Some(e) = earlier
            .iter()
            .find(|e| e.product == target.product && e.row.email == row.email)
        {
            return Ok(Err(format!("the same mandate as line {}", e.row.line)));
        }
        Ok(Ok((tenant, target, owner, owner_email)))
    }
}

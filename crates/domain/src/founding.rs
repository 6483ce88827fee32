//! A new gemeente made from the platform's console: its configuration with defaults (the
//! default theme, a logo of its initials, one zone for the whole gemeente, no product types),
//! and its first beheerder, who gets an enrolment link. Nothing is left half-made: a taken
//! address is found before the gemeente is stored, and when the beheerder cannot be made after
//! all (the address was taken meanwhile) the gemeente is removed again, both on the record.

use crate::ParseError;
use crate::audit::{Actor, AuditEntry};
use crate::email::EmailAddress;
use crate::ids::TenantId;
use crate::ports::{SaveMode, SaveTenantError, StoreError};
use crate::privacy::PlateRetention;
use crate::staff::{Assignment, EnrolError, Enrolment, NewLink, NewStaff, Role};
use crate::tenancy::{ImportError, ImportOutcome, TenantDirectory};
use crate::tenant::{Code, Language, Logo, TenantConfig, TenantSlug, ThemeName, ZoneSpec};
use crate::theme::ThemeTokens;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// What the form asks for a new gemeente.
#[derive(Debug, Clone)]
pub struct NewGemeente {
    /// Its slug (checked: not reserved, well formed).
    pub slug: TenantSlug,
    /// Its name.
    pub name: String,
    /// Its time zone.
    pub time_zone: Tz,
    /// The first beheerder's name.
    pub admin_name: String,
    /// The first beheerder's address.
    pub admin_email: EmailAddress,
}

/// A gemeente made, with its first beheerder's enrolment link.
#[derive(Debug)]
pub struct Founded {
    /// The gemeente.
    pub tenant: TenantId,
    /// The first beheerder's link (also mailed when mailing is configured).
    pub link: NewLink,
}

/// Why no gemeente was made.
#[derive(Debug, thiserror::Error)]
pub enum FoundError {
    /// A gemeente has this slug already.
    #[error("slug_taken")]
    SlugTaken,
    /// The address already has a staff account.
    #[error("staff_email_taken")]
    EmailTaken,
    /// The configuration is not valid (a name too long, ...).
    #[error("invalid: {0:?}")]
    Invalid(Vec<ParseError>),
    /// Saving failed.
    #[error(transparent)]
    Save(#[from] SaveTenantError),
    /// The beheerder could not be made.
    #[error(transparent)]
    Enrol(EnrolError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The staff side a new gemeente needs: whether an address has an account, and its first
/// beheerder made with an enrolment link. [`Enrolment`] is it; a test may put a failing one in
/// its place to see the gemeente taken back.
#[async_trait]
pub trait FirstBeheerder: Send + Sync {
    /// Whether `email` already has a staff account.
    async fn has_account(&self, email: &EmailAddress) -> Result<bool, StoreError>;
    /// Makes the account with its role and enrolment link.
    async fn create(
        &self,
        new: &NewStaff,
        actor: Actor,
        origin: &str,
    ) -> Result<NewLink, EnrolError>;
}

#[async_trait]
impl FirstBeheerder for Enrolment {
    async fn has_account(&self, email: &EmailAddress) -> Result<bool, StoreError> {
        Enrolment::has_account(self, email).await
    }

    async fn create(
        &self,
        new: &NewStaff,
        actor: Actor,
        origin: &str,
    ) -> Result<NewLink, EnrolError> {
        Enrolment::create(self, new, actor, origin).await
    }
}

/// The code of the one zone a new gemeente starts with.
pub const FIRST_ZONE: &str = "gemeente";

/// A logo of the first letters of `name`'s words, white on dark blue, until the gemeente's
/// own is uploaded. Only ASCII letters and digits are taken, so nothing needs escaping.
pub fn initials_logo(name: &str) -> Logo {
    let initials: String = name
        .split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case("gemeente"))
        .filter_map(|w| w.chars().find(char::is_ascii_alphanumeric))
        .take(2)
        .collect::<String>()
        .to_ascii_uppercase();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" role=\"img\">\
<rect width=\"64\" height=\"64\" rx=\"8\" fill=\"#1d3a5f\"/>\
<text x=\"32\" y=\"42\" font-family=\"sans-serif\" font-size=\"26\" font-weight=\"bold\" \
text-anchor=\"middle\" fill=\"#ffffff\">{initials}</text></svg>\n"
    );
    Logo {
        content_type: "image/svg+xml".to_owned(),
        bytes: svg.into_bytes(),
    }
}

/// The configuration a new gemeente starts with.
pub(crate) fn config_of(new: &NewGemeente) -> Result<TenantConfig, ParseError> {
    Ok(TenantConfig {
        slug: new.slug.clone(),
        name: new.name.clone(),
        hosts: Vec::new(),
        public_url: None,
        time_zone: new.time_zone,
        default_language: Language::Nl,
        plate_retention: PlateRetention::days(i64::from(PlateRetention::MAX_DAYS))?,
        theme: ThemeName::parse("default")?,
        tokens: ThemeTokens::default(),
        logo: initials_logo(&new.name),
        zones: vec![ZoneSpec {
            code: Code::parse(FIRST_ZONE)?,
            name: "Hele gemeente".to_owned(),
            postcodes: Vec::new(),
            retired: false,
        }],
        product_types: Vec::new(),
        scripts: Default::default(),
        tariffs: Default::default(),
        letter_return_address: Vec::new(),
        letter_contact: None,
        links: Default::default(),
    })
}

/// Makes the gemeente of `new` and its first beheerder, by `actor` from `origin` at `now`:
/// `tenant.created` in the gemeente's transaction, `staff.created` in the beheerder's.
pub async fn found(
    directory: &TenantDirectory,
    enrolment: &dyn FirstBeheerder,
    new: &NewGemeente,
    actor: Actor,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<Founded, FoundError> {
    // Asked of the store itself, not of what requests remember: a gemeente made on another
    // instance a moment ago must not be overwritten.
    if directory.export(&new.slug).await?.is_some() {
        return Err(FoundError::SlugTaken);
    }
    if enrolment.has_account(&new.admin_email).await? {
        return Err(FoundError::EmailTaken);
    }
    let config = config_of(new).map_err(|e| FoundError::Invalid(vec![e]))?;
    let role = actor_role(&actor);
    let entry = AuditEntry::new(actor.clone(), "tenant.created", origin, now).within(None, role);
    let tenant = match directory
        .import_audited(&config, &entry, SaveMode::CreateOnly)
        .await
    {
        Ok(ImportOutcome::Created(id)) => id,
        // Made meanwhile by someone else: a create-only save leaves theirs as they saved it.
        Ok(ImportOutcome::Updated(_)) | Err(ImportError::Save(SaveTenantError::Exists)) => {
            return Err(FoundError::SlugTaken);
        }
        Err(ImportError::Invalid { problems, .. }) => return Err(FoundError::Invalid(problems)),
        Err(ImportError::Save(e)) => return Err(FoundError::Save(e)),
    };
    let admin = NewStaff {
        email: new.admin_email.clone(),
        name: new.admin_name.clone(),
        platform_admin: false,
        role: Some(Assignment {
            tenant,
            role: Role::TenantAdmin,
        }),
    };
    match enrolment.create(&admin, actor.clone(), origin).await {
        Ok(link) => Ok(Founded { tenant, link }),
        Err(e) => {
            let reason = match &e {
                EnrolError::EmailTaken(_) => "staff_email_taken",
                _ => "first_admin_failed",
            };
            let mut undo = AuditEntry::new(actor, "tenant.removed", origin, now)
                .about("tenant", &new.slug)
                .within(Some(tenant), role);
            undo.reason = Some(reason.to_owned());
            directory.remove_unused(tenant, &undo).await?;
            Err(match e {
                EnrolError::EmailTaken(_) => FoundError::EmailTaken,
                other => FoundError::Enrol(other),
            })
        }
    }
}

/// The role a staff actor acts in on the platform.
fn actor_role(actor: &Actor) -> Option<Role> {
    matches!(actor, Actor::Staff { .. }).then_some(Role::PlatformAdmin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initials_logo_is_a_logo_the_bundle_check_takes() {
        let logo = initials_logo("Gemeente Nieuw Amstel <script>");
        let text = String::from_utf8(logo.bytes.clone()).unwrap();
        assert!(text.contains(">NA</text>"), "{text}");
        assert!(Logo::parse("logo.svg", logo.bytes).is_ok());
    }
}

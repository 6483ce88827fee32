//! Products waiting for their resident: issuing a product (with code and PIN for the allocation
//! letter) and, when it is issued to an e-mail address, the single-use coupling link that couples it
//! to the account of that address, creating the account when there is none.

use crate::accounts::{Account, Accounts, SignedIn};
use crate::audit::AuditEntry;
use crate::batches::{BatchPage, BatchRowIssue};
use crate::calendar;
use crate::email::EmailAddress;
use crate::ids::BatchId;
use crate::ids::ProductId;
use crate::letters::{Letter, LetterRenderer, Recipient, Sender, claim_link};
use crate::mail::{MailBrand, MailComposer, MailMessage, OutgoingMail};
use crate::parking::switches_plates;
use crate::password::NewPassword;
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::secret::{Pin, ProductCode, Token};
use crate::tenancy::TenantDirectory;
use crate::tenant::{Language, PublicUrl};
use crate::throttle::{FailurePolicy, hashed_key};
use crate::{Clock, ProductKind};
use chrono::Months;
use std::sync::Arc;

mod desk_actions;
mod ports;
mod requests;
pub use desk_actions::{DeskAct, DeskError, DeskOutcome, MAX_REASON_CHARS, NewPin, PinChange};
pub use ports::{
    CoupleOutcome, IssueOutcome, IssueWith, KeptLetter, LinkRecord, NewLetter, NewLink, NewProduct,
    ProductRepository, ProductSummary, StaffProductView,
};
pub use requests::{
    Checked, ClaimError, CouplingError, CouplingOffer, IssueContext, IssueError, IssueRequest,
    Issued, Issuer, LinkRequest, Linked, MAX_VALIDITY_YEARS,
};

/// Issuing products and coupling them.
#[derive(Clone)]
pub struct ProductDesk {
    products: Arc<dyn ProductRepository>,
    accounts: Accounts,
    tenants: TenantDirectory,
    composer: Arc<dyn MailComposer>,
    clock: Arc<dyn Clock>,
    platform_url: PublicUrl,
    letters: Option<LetterDesk>,
}

/// What making letters takes: the renderer and how long a letter is kept for reprinting.
#[derive(Clone)]
struct LetterDesk {
    renderer: Arc<dyn LetterRenderer>,
    keep: chrono::Duration,
}

/// Attempts at drawing a free product code before giving up (a clash is already one in 10^14).
const CODE_ATTEMPTS: usize = 5;

impl ProductDesk {
    /// The use cases on their ports.
    pub fn new(
        products: Arc<dyn ProductRepository>,
        accounts: Accounts,
        tenants: TenantDirectory,
        composer: Arc<dyn MailComposer>,
        clock: Arc<dyn Clock>,
        platform_url: PublicUrl,
    ) -> Self {
        Self {
            products,
            accounts,
            tenants,
            composer,
            clock,
            platform_url,
            letters: None,
        }
    }

    /// The desk that also makes allocation letters with `renderer`, keeping each for reprinting
    /// for `keep` (then housekeeping deletes it, with the PIN in it).
    pub fn with_letters(
        mut self,
        renderer: Arc<dyn LetterRenderer>,
        keep: chrono::Duration,
    ) -> Self {
        self.letters = Some(LetterDesk { renderer, keep });
        self
    }

    /// The id of the product of `tenant` with `code`, if there is one (no personal data read).
    pub async fn product_in(
        &self,
        tenant: crate::ids::TenantId,
        code: &ProductCode,
    ) -> Result<Option<ProductId>, StoreError> {
        self.products.id_in(tenant, code).await
    }

    /// The product of `tenant` with `code` as staff see it, its reading in the audit trail
    /// (`audit`, about the product).
    pub async fn staff_view(
        &self,
        tenant: crate::ids::TenantId,
        code: &ProductCode,
        audit: &AuditEntry,
    ) -> Result<Option<StaffProductView>, StoreError> {
        self.products
            .staff_view(tenant, code, self.clock.now(), Some(audit))
            .await
    }

    /// The product just `issued` in `tenant` as staff see it. Its issue is its audit entry: only
    /// the caller that issued it holds an [`Issued`], so this read is not recorded again.
    pub async fn issued_view(
        &self,
        tenant: crate::ids::TenantId,
        issued: &Issued,
    ) -> Result<Option<StaffProductView>, StoreError> {
        self.products
            .staff_view(tenant, &issued.code, self.clock.now(), None)
            .await
    }

    /// The kept letter of the product of `tenant` with `code`, its reading in the audit trail
    /// (`audit`, about the product). `None`: no such product of this gemeente, or its letter is
    /// no longer kept.
    pub async fn kept_letter(
        &self,
        tenant: crate::ids::TenantId,
        code: &ProductCode,
        audit: &AuditEntry,
    ) -> Result<Option<KeptLetter>, StoreError> {
        self.products
            .kept_letter(tenant, code, self.clock.now(), audit)
            .await
    }

    /// What issuing in the gemeente `slug` looks up once (`letters`: also its sender block for
    /// letters): for one product, or for every row of a batch.
    pub async fn context(&self, slug: &str, letters: bool) -> Result<IssueContext, IssueError> {
        let unknown = || IssueError::UnknownTenant(slug.to_owned());
        let tenant = self.tenants.by_slug(slug).await?.ok_or_else(unknown)?;
        let overview = self
            .tenants
            .overview(tenant.id)
            .await?
            .ok_or_else(unknown)?;
        // The sender comes from the gemeente's whole configuration (logo, return address).
        let sender = match letters {
            true => Some(Sender::of(
                &self
                    .tenants
                    .export(&tenant.slug)
                    .await?
                    .ok_or_else(unknown)?,
            )),
            false => None,
        };
        Ok(IssueContext {
            tenant,
            overview,
            sender,
        })
    }

    /// Checks `request` against its gemeente without storing anything: what issuing it would
    /// refuse, or everything decided but the code and PIN. A batch checks every row so.
    pub fn check<'c>(
        &self,
        context: &'c IssueContext,
        request: &IssueRequest,
    ) -> Result<Checked<'c>, IssueError> {
        let IssueContext {
            tenant, overview, ..
        } = context;
        let product_type = match &request.product_type {
            Some(code) => overview
                .product_types
                .iter()
                .find(|p| p.code.as_str() == code),
            None => overview
                .product_types
                .iter()
                .find(|p| p.kind == ProductKind::VisitorScheme && !p.retired),
        }
        .ok_or_else(|| IssueError::UnknownProductType {
            tenant: request.tenant.clone(),
            code: request
                .product_type
                .clone()
                .unwrap_or_else(|| "(visitor scheme)".into()),
        })?;
        let zone = match &request.zone {
            Some(code) => overview.zones.iter().find(|z| z.code.as_str() == code),
            None => overview.zones.iter().find(|z| !z.retired),
        }
        .ok_or_else(|| IssueError::UnknownZone {
            tenant: request.tenant.clone(),
            code: request
                .zone
                .clone()
                .unwrap_or_else(|| "(first zone)".into()),
        })?;
        // What is retired keeps its products working and issues nothing new.
        if product_type.retired {
            return Err(IssueError::ProductTypeRetired(
                product_type.code.to_string(),
            ));
        }
        if zone.retired {
            return Err(IssueError::ZoneRetired(zone.code.to_string()));
        }

        let opening = match request.balance {
            None => 0,
            Some(amount) => product_type
                .unit
                .to_smallest(amount)
                .filter(|v| *v >= 0)
                .ok_or_else(|| IssueError::BalanceUnfit {
                    amount,
                    code: product_type.code.to_string(),
                })?,
        };
        let now = self.clock.now();
        let tz = tenant.time_zone;
        let today = calendar::local_date(tz, now);
        let furthest = today
            .checked_add_months(Months::new(12 * MAX_VALIDITY_YEARS))
            .unwrap_or(today);
        let last_day = match request.valid_until {
            Some(day) if day < today => return Err(IssueError::ValidUntilPassed(day)),
            Some(day) if day > furthest => return Err(IssueError::ValidUntilTooFar(day)),
            Some(day) => day,
            None => today
                .checked_add_months(Months::new(u32::from(product_type.validity_months)))
                .and_then(|d| d.pred_opt())
                .unwrap_or(today),
        };
        if tenant.suspension.is_some() {
            return Err(IssueError::TenantSuspended(request.tenant.clone()));
        }
        if request.letter && request.recipient.is_none() {
            return Err(IssueError::RecipientMissing);
        }
        if request.letter && (self.letters.is_none() || context.sender.is_none()) {
            return Err(IssueError::LettersUnavailable);
        }
        // The same plate typed twice (`AB-12-34, ab1234`) is one plate.
        let mut plates: Vec<Plate> = Vec::with_capacity(request.plates.len());
        for plate in &request.plates {
            if !plates.contains(plate) {
                plates.push(plate.clone());
            }
        }
        Ok(Checked {
            product_type,
            zone,
            opening,
            today,
            last_day,
            valid_until: calendar::day_bounds(tz, last_day).1,
            plates,
        })
    }

    /// Issues a product; with an address, queues the coupling mail in the same transaction.
    pub async fn issue(&self, request: IssueRequest) -> Result<Issued, IssueError> {
        let context = self.context(&request.tenant, request.letter).await?;
        self.issue_in(&context, &request, None)
            .await?
            .ok_or_else(|| IssueError::Store(StoreError::new("a product issued twice")))
    }

    /// Issues `request` in the gemeente of `context`; for the row of a batch (`row`: the batch
    /// and the line), marks that row issued in the same transaction and keeps its page there.
    /// `None`: that row was issued already (by another instance that took the batch over).
    pub(crate) async fn issue_in(
        &self,
        context: &IssueContext,
        request: &IssueRequest,
        row: Option<(BatchId, usize)>,
    ) -> Result<Option<Issued>, IssueError> {
        let checked = self.check(context, request)?;
        let IssueContext { tenant, sender, .. } = context;
        let now = self.clock.now();
        let letters = self.letters.as_ref().filter(|_| request.letter);
        let pin = Pin::generate()?;
        let pin_hash = self.accounts.hasher().hash(pin.expose()).await?;
        let language = request.letter_language.unwrap_or(tenant.default_language);
        let invite = match &request.email {
            None => None,
            Some(email) => Some(
                self.invite(
                    tenant,
                    (
                        &checked.product_type.name,
                        &checked.zone.name,
                        switches_plates(checked.product_type.kind, checked.plates.len()),
                    ),
                    email,
                    request.letter_language,
                )
                .await?,
            ),
        };
        let audit = request.issuer.as_ref().map(|issuer| {
            AuditEntry::new(issuer.actor.clone(), "product.issue", &issuer.origin, now)
                .within(Some(tenant.id), issuer.role)
        });
        for _ in 0..CODE_ATTEMPTS {
            let code = ProductCode::generate()?;
            let letter = match (letters, sender, &request.recipient) {
                (Some(desk), Some(sender), Some(recipient)) => {
                    let letter = Letter {
                        recipient: recipient.clone(),
                        sender: sender.clone(),
                        language,
                        place: place_of(&tenant.name),
                        date: checked.today,
                        product_type: checked.product_type.name.clone(),
                        zone: checked.zone.name.clone(),
                        valid_until: Some(checked.last_day),
                        claim_url: claim_link(&tenant.public_url(&self.platform_url), &code),
                        code: code.clone(),
                        pin: pin.clone(),
                        texts: Default::default(),
                    };
                    Some(NewLetter {
                        language,
                        pdf: render(desk, letter, tenant, &self.platform_url).await?,
                        expires_at: now + desk.keep,
                    })
                }
                _ => None,
            };
            let product = NewProduct {
                tenant: tenant.id,
                product_type: checked.product_type.code.clone(),
                zone: checked.zone.code.clone(),
                unit: checked.product_type.unit,
                code: code.clone(),
                pin_hash: pin_hash.clone(),
                valid_from: now,
                valid_until: checked.valid_until,
                plates: checked.plates.clone(),
                opening: checked.opening,
                holder: request.recipient.clone(),
            };
            let page = row.map(|(batch, line)| BatchRowIssue {
                batch,
                line,
                page: BatchPage {
                    language,
                    date: checked.today,
                    product_type: checked.product_type.name.clone(),
                    zone: checked.zone.name.clone(),
                    last_day: checked.last_day,
                    code: code.clone(),
                    pin: pin.clone(),
                },
            });
            let with = IssueWith {
                invite: invite.as_ref().map(|(l, m, _)| (l, m)),
                letter: letter.as_ref(),
                audit: audit.as_ref(),
                batch_row: page.as_ref(),
                application: request.application.as_ref(),
            };
            match self.products.issue(&product, with, now).await? {
                IssueOutcome::CodeTaken => continue,
                IssueOutcome::RowDone if request.application.is_some() => {
                    return Err(IssueError::ApplicationDecided);
                }
                IssueOutcome::RowDone => return Ok(None),
                IssueOutcome::Retired { zone: true } => {
                    return Err(IssueError::ZoneRetired(checked.zone.code.to_string()));
                }
                IssueOutcome::Retired { zone: false } => {
                    return Err(IssueError::ProductTypeRetired(
                        checked.product_type.code.to_string(),
                    ));
                }
                IssueOutcome::Issued(id) => {
                    return Ok(Some(Issued {
                        id,
                        code,
                        pin,
                        valid_until: checked.valid_until,
                        mailed_to: request.email.clone(),
                        coupling_token: invite.as_ref().map(|(_, _, t)| t.clone()),
                        letter: letter.map(|l| (l.pdf, l.expires_at)),
                    }));
                }
            }
        }
        Err(IssueError::Store(StoreError::new(
            "no free product code after several draws",
        )))
    }

    /// The letters of a batch's `pages` (in their order, each on its own page) as one PDF, its
    /// texts from the gemeente's template as at issue.
    pub(crate) async fn render_pages(
        &self,
        context: &IssueContext,
        pages: Vec<(Recipient, BatchPage)>,
    ) -> Result<Vec<u8>, IssueError> {
        let (Some(desk), Some(sender)) = (&self.letters, &context.sender) else {
            return Err(IssueError::LettersUnavailable);
        };
        let tenant = &context.tenant;
        let base = tenant.public_url(&self.platform_url);
        let portal = portal_of(&base).to_owned();
        let mut letters = Vec::with_capacity(pages.len());
        for (recipient, page) in pages {
            let mut letter = Letter {
                recipient,
                sender: sender.clone(),
                language: page.language,
                place: place_of(&tenant.name),
                date: page.date,
                product_type: page.product_type,
                zone: page.zone,
                valid_until: Some(page.last_day),
                claim_url: claim_link(&base, &page.code),
                code: page.code,
                pin: page.pin,
                texts: Default::default(),
            };
            letter.texts = desk
                .renderer
                .texts(&letter, tenant.theme.as_str(), &portal)?;
            letters.push(letter);
        }
        let renderer = desk.renderer.clone();
        blocking(move || renderer.render_all(&letters)).await
    }

    /// A coupling link of a product of `tenant` (its type and zone named in the mail) to
    /// `email`, with its mail in the language of the address's account, else in `chosen` (the
    /// letter's, picked by staff for this resident), else in the gemeente's.
    async fn invite(
        &self,
        tenant: &crate::tenant::Tenant,
        (product, zone, plate_switch): (&str, &str, bool),
        email: &EmailAddress,
        chosen: Option<Language>,
    ) -> Result<(NewLink, OutgoingMail, Token), IssueError> {
        let token = Token::generate()?;
        let expires_at = self.clock.now() + self.accounts.settings().coupling_link;
        let language = self
            .accounts
            .repository()
            .credentials(email)
            .await?
            .and_then(|c| c.account.language)
            .or(chosen)
            .unwrap_or(tenant.default_language);
        let base = tenant.public_url(&self.platform_url);
        let brand = MailBrand {
            tenant: tenant.id,
            name: tenant.name.clone(),
            logo_url: format!("{base}/logo?v={}", tenant.version),
            time_zone: tenant.time_zone,
        };
        let message = MailMessage::Coupling {
            product: product.to_owned(),
            zone: zone.to_owned(),
            link: format!("{base}/koppel/{}", token.expose()),
            expires_at,
            plate_switch,
        };
        let mail = self
            .composer
            .compose(email, language, Some(&brand), &message)?;
        let link = NewLink {
            token: token.hash(),
            email: email.clone(),
            expires_at,
        };
        Ok((link, mail, token))
    }

    /// A new coupling link for a product of the gemeente that nobody holds (its resident
    /// deleted their account; it kept its balance), mailed to `email` like an issued product's.
    /// The product's older links stop working.
    pub async fn link(&self, request: LinkRequest) -> Result<Linked, IssueError> {
        let unknown = || IssueError::UnknownProduct {
            tenant: request.tenant.clone(),
            code: request.code.clone(),
        };
        let tenant = self
            .tenants
            .by_slug(&request.tenant)
            .await?
            .ok_or_else(|| IssueError::UnknownTenant(request.tenant.clone()))?;
        let code = ProductCode::parse(&request.code).map_err(|_| unknown())?;
        let product = self
            .products
            .summary_by_code(&code)
            .await?
            .filter(|p| p.tenant == tenant.id)
            .ok_or_else(unknown)?;
        let coupled = || IssueError::ProductCoupled(code.to_string());
        if product.owner.is_some() {
            return Err(coupled());
        }
        let (link, mail, token) = self
            .invite(
                &tenant,
                (&product.type_name, &product.zone_name, product.plate_switch),
                &request.email,
                None,
            )
            .await?;
        if !self
            .products
            .add_link(product.id, &link, &mail, self.clock.now(), None)
            .await?
        {
            return Err(coupled());
        }
        Ok(Linked {
            product: product.id,
            mailed_to: request.email,
            coupling_token: token,
        })
    }

    /// The link, unless it is used or expired. A client that keeps trying links that do not
    /// exist is guessing: after [`FailurePolicy::LINKS`] it has to wait.
    /// [Voeg product toe]: the code and PIN of an allocation letter couple the product. Every
    /// wrong combination gets one answer and counts against the code, the account and the
    /// client; from the fifth wrong PIN for a code (or the tenth for an account or client) the
    /// next attempts wait, even with the right PIN.
    pub async fn claim(
        &self,
        account: &Account,
        code: &str,
        pin: &str,
        client: &str,
    ) -> Result<ProductId, ClaimError> {
        let code = ProductCode::parse(code).ok();
        let keys = vec![
            (
                hashed_key(
                    "claim:code",
                    code.as_ref().map_or("malformed", |c| c.as_str()),
                ),
                FailurePolicy::PIN,
            ),
            (
                hashed_key("claim:account", &account.id.to_string()),
                FailurePolicy::LOGIN_ACCOUNT,
            ),
            (
                hashed_key("claim:client", client),
                FailurePolicy::LOGIN_CLIENT,
            ),
        ];
        let throttle = self.accounts.throttle();
        let now = self.clock.now();
        throttle.attempt(&keys, now).await??;
        let found = match &code {
            Some(code) => self.products.by_code(code).await?,
            None => None,
        };
        // The same argon2 work whether or not the code exists.
        let pin_ok = self
            .accounts
            .hasher()
            .verify(pin.trim(), found.as_ref().map(|(_, hash, _)| hash.as_str()))
            .await;
        let Some((product, _, owner)) = found.filter(|_| pin_ok) else {
            return Err(ClaimError::Unknown);
        };
        match owner {
            Some(o) if o == account.id => {}
            Some(_) => return Err(ClaimError::Unknown),
            None => {
                if !self.products.claim(product, account.id).await? {
                    return Err(ClaimError::Unknown);
                }
            }
        }
        throttle.forgive(&keys, now).await?;
        Ok(product)
    }

    async fn usable_link(&self, token: &Token, client: &str) -> Result<LinkRecord, CouplingError> {
        let throttle = self.accounts.throttle();
        let keys = [hashed_key("coupling:client", client)];
        let now = self.clock.now();
        throttle.check(&keys, now).await??;
        let Some(link) = self.products.coupling_link(&token.hash()).await? else {
            throttle.fail(&keys, now, FailurePolicy::LINKS).await?;
            return Err(CouplingError::Unknown);
        };
        if link.used_at.is_some() {
            return Err(CouplingError::Used);
        }
        if self.clock.now() >= link.expires_at {
            return Err(CouplingError::Expired);
        }
        Ok(link)
    }

    /// What the link offers, or why it cannot be used.
    pub async fn offer(&self, token: &Token, client: &str) -> Result<CouplingOffer, CouplingError> {
        let link = self.usable_link(token, client).await?;
        let account_exists = self
            .accounts
            .repository()
            .credentials(&link.email)
            .await?
            .is_some();
        Ok(CouplingOffer {
            email: link.email,
            product: link.product,
            account_exists,
            mandated_by: link.mandated_by,
        })
    }

    /// [Bevestigen] by the logged-in resident the link was sent to.
    pub async fn accept(
        &self,
        token: &Token,
        account: &Account,
        client: &str,
    ) -> Result<ProductSummary, CouplingError> {
        let link = self.usable_link(token, client).await?;
        if link.email != account.email {
            return Err(CouplingError::Foreign);
        }
        match self
            .products
            .couple(&token.hash(), account.id, self.clock.now())
            .await?
        {
            CoupleOutcome::Coupled | CoupleOutcome::Created(_) => Ok(link.product),
            CoupleOutcome::LinkUsed => Err(CouplingError::Used),
            CoupleOutcome::OwnedByOther => Err(CouplingError::OwnedByOther),
            CoupleOutcome::AccountExists => Err(CouplingError::AccountExists),
        }
    }

    /// No account yet: creates one for the link's address with `password`, couples the product and
    /// starts a session.
    pub async fn accept_creating_account(
        &self,
        token: &Token,
        password: &NewPassword,
        language: Language,
        client: &str,
    ) -> Result<(SignedIn, ProductSummary), CouplingError> {
        let link = self.usable_link(token, client).await?;
        if self
            .accounts
            .repository()
            .credentials(&link.email)
            .await?
            .is_some()
        {
            return Err(CouplingError::AccountExists);
        }
        let hash = self.accounts.hash_password(password).await?;
        match self
            .products
            .couple_new_account(&token.hash(), &hash, language, self.clock.now())
            .await?
        {
            CoupleOutcome::Created(account) => {
                let signed_in = self.accounts.start_session(account).await?;
                Ok((signed_in, link.product))
            }
            CoupleOutcome::Coupled => Err(CouplingError::AccountExists),
            CoupleOutcome::LinkUsed => Err(CouplingError::Used),
            CoupleOutcome::OwnedByOther => Err(CouplingError::OwnedByOther),
            CoupleOutcome::AccountExists => Err(CouplingError::AccountExists),
        }
    }
}

/// The place a gemeente's letters are dated in: its name without "Gemeente".
fn place_of(name: &str) -> String {
    name.strip_prefix("Gemeente ")
        .unwrap_or(name)
        .trim()
        .to_owned()
}

/// Fills in `letter`'s texts from its gemeente's template and renders it. It runs on the calling
/// task: one letter is a few milliseconds of CPU, below what moving it to a blocking thread is
/// worth; a batch of thousands runs in its own job.
/// The portal's address as a person reads it and types it: no scheme, no trailing slash.
fn portal_of(base: &str) -> &str {
    base.split_once("://")
        .map_or(base, |(_, rest)| rest)
        .trim_end_matches('/')
}

/// Runs `work` (rendering: milliseconds of CPU) on a blocking thread, so that letters render in
/// parallel and never stall request handling.
async fn blocking(
    work: impl FnOnce() -> Result<Vec<u8>, crate::letters::LetterError> + Send + 'static,
) -> Result<Vec<u8>, IssueError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| IssueError::Store(StoreError::new(e)))?
        .map_err(IssueError::from)
}

/// Fills in `letter`'s texts from its gemeente's template and renders it.
async fn render(
    desk: &LetterDesk,
    mut letter: Letter,
    tenant: &crate::tenant::Tenant,
    platform: &PublicUrl,
) -> Result<Vec<u8>, IssueError> {
    let base = tenant.public_url(platform);
    letter.texts = desk
        .renderer
        .texts(&letter, tenant.theme.as_str(), portal_of(&base))?;
    let renderer = desk.renderer.clone();
    blocking(move || renderer.render(&letter)).await
}

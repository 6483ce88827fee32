//! [Onthoud mij]: a token that lets a device start a session after the idle time-out, replaced at
//! every use.
//!
//! Every token descending from one login belongs to that login's family, and so does every
//! session the family opens. A replaced token still counts for a minute (the grace): a page's
//! parallel requests, or two tabs, use the old token at once, and each of them must end up in
//! the one session the exchange made, never in a session of its own. Used after the grace, a
//! replaced token means that a copy is in other hands (the device itself moved on to the next
//! token): the whole family is revoked and its sessions end, the thief's and the resident's
//! alike, and the resident logs in again.
//!
//! Giving back "the same session" needs its token, while the database keeps only hashes. The
//! exchange therefore seals the new session's token and the next remember-me token under the
//! token being replaced (see [`crate::sealed`]) and stores that with the replaced row: only a
//! request that presents the replaced token can open it, and it creates nothing.

use super::{Account, Accounts, LoginError, SessionState, SignedIn};
use crate::ids::AccountId;
use crate::ports::StoreError;
use crate::sealed::Sealed;
use crate::secret::{Token, TokenHash};
use chrono::{DateTime, Duration, Utc};

/// How long a replaced remember-me token still gives back what its exchange made.
pub const REMEMBER_GRACE_SECONDS: i64 = 60;

/// What the exchange seals under the token it replaces: the session, then the next token.
const SUCCESSOR: &str = "parkportal remember-me successor";

/// What an unreplaced remember-me token is exchanged for; the tokens only as hashes and sealed.
#[derive(Debug, Clone)]
pub struct RememberExchange {
    /// The hash of the new session's token.
    pub session: TokenHash,
    /// The hash of the next remember-me token.
    pub next: TokenHash,
    /// The session's token and the next token, sealed under the token being replaced.
    pub sealed: Sealed,
    /// When the next token expires.
    pub expires_at: DateTime<Utc>,
}

/// What using a remember-me token came to.
#[derive(Debug, Clone)]
pub enum RememberUse {
    /// Exchanged now: the exchange's session and next token are stored.
    Exchanged(Account),
    /// Exchanged less than the grace ago: what that exchange sealed (`None` for a token replaced
    /// before exchanges were sealed). Nothing was created.
    Replayed {
        /// The account of the token.
        account: Account,
        /// The exchange's session and next token, sealed.
        sealed: Option<Sealed>,
    },
    /// Exchanged longer ago: every token of the family is revoked and its sessions have ended.
    FamilyRevoked {
        /// The account of the token.
        account: AccountId,
        /// The family.
        family: i64,
        /// How many sessions ended.
        sessions: u64,
    },
    /// Unknown, expired or revoked.
    Unknown,
}

impl Accounts {
    /// [Onthoud mij] at a login: a token of a new family, to which the login's session belongs
    /// too (a theft of the family ends it as well).
    pub async fn remember(&self, signed_in: &SignedIn) -> Result<Token, LoginError> {
        let token = Token::generate()?;
        let now = self.clock.now();
        self.repo
            .create_remember(
                signed_in.account.id,
                &token.hash(),
                &signed_in.token.hash(),
                now,
                now + self.settings.remember_me,
            )
            .await?;
        Ok(token)
    }

    /// A session from a remember-me token, with the token that replaces it: both go into the
    /// device's cookies. Within the grace a replaced token gives back the session and the token
    /// of its exchange (the same cookies again), creating nothing. `None` when the token opens
    /// nothing: unknown, expired, revoked, or replaced longer ago, which revokes its family.
    pub async fn resume_remembered(
        &self,
        token: &Token,
    ) -> Result<Option<(SignedIn, Token)>, LoginError> {
        let session = Token::generate()?;
        let next = Token::generate()?;
        let now = self.clock.now();
        let exchange = RememberExchange {
            session: session.hash(),
            next: next.hash(),
            sealed: token.seal(SUCCESSOR, &[&session, &next]),
            expires_at: now + self.settings.remember_me,
        };
        let grace = Duration::seconds(REMEMBER_GRACE_SECONDS);
        match self
            .repo
            .rotate_remember(&token.hash(), &exchange, now, grace)
            .await?
        {
            RememberUse::Exchanged(account) => Ok(Some((
                SignedIn {
                    token: session,
                    account,
                },
                next,
            ))),
            RememberUse::Replayed { account, sealed } => {
                let Some([session, next]) = sealed
                    .and_then(|s| token.unseal(SUCCESSOR, &s))
                    .and_then(|tokens| <[Token; 2]>::try_from(tokens).ok())
                else {
                    return Ok(None);
                };
                // The exchange's session while it lives; once ended, nothing.
                match self.resume(&session).await? {
                    SessionState::Active(found) if found.id == account.id => Ok(Some((
                        SignedIn {
                            token: session,
                            account: found,
                        },
                        next,
                    ))),
                    _ => Ok(None),
                }
            }
            RememberUse::FamilyRevoked {
                account,
                family,
                sessions,
            } => {
                // Never the token: the log says whose family went and how much ended.
                tracing::warn!(
                    account = account.0,
                    family,
                    sessions_ended = sessions,
                    "a replaced remember-me token was used after its grace: a copy is in other \
                     hands, so its family is revoked and the family's sessions have ended"
                );
                Ok(None)
            }
            RememberUse::Unknown => Ok(None),
        }
    }

    /// Forgets a remember-me token ([Uitloggen]): its family is revoked and the family's
    /// sessions end, so this device is logged out everywhere the login went.
    pub async fn forget(&self, token: &Token) -> Result<(), StoreError> {
        self.repo.revoke_remember(&token.hash()).await
    }
}

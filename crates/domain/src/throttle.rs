//! Limits on guessing and abuse: consecutive failures (logins, PINs, coupling links) make the next
//! attempts wait a delay that grows, and frequent requests (password resets) are capped per
//! window. The counters live in the database so that every server instance sees the same.

use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// One counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    /// Failures in a row, or requests in the window.
    pub count: u32,
    /// For failures: when the last one was counted; for request rates: when the window began.
    pub window_start: DateTime<Utc>,
    /// Attempts wait until then.
    pub blocked_until: Option<DateTime<Utc>>,
}

/// A change of a counter, applied under the counter's lock.
pub type ThrottleChange = dyn Fn(Option<ThrottleState>) -> ThrottleState + Send + Sync;

/// The counters.
#[async_trait]
pub trait ThrottleRepository: Send + Sync {
    /// The counter of `key`.
    async fn get(&self, key: &str) -> Result<Option<ThrottleState>, StoreError>;
    /// Replaces the counter of `key` by `change(current)` in one transaction that locks it, so
    /// that concurrent attempts on several instances all count. Returns the counter before and
    /// after.
    async fn update(
        &self,
        key: &str,
        change: &ThrottleChange,
    ) -> Result<(Option<ThrottleState>, ThrottleState), StoreError>;
    /// Forgets the counter of `key`.
    async fn clear(&self, key: &str) -> Result<(), StoreError>;
}

/// The attempts must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts: wait until {until}")]
pub struct Blocked {
    /// Until when.
    pub until: DateTime<Utc>,
}

/// How failures turn into waiting.
#[derive(Debug, Clone, Copy)]
pub struct FailurePolicy {
    /// Failures in a row that cost nothing.
    pub free: u32,
    /// The wait after the first failure beyond `free`; it doubles with each further one.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// A run of failures is forgotten after this long without one; `None`: only a success (or a
    /// password reset) ends it.
    pub forget_after: Option<Duration>,
}

impl FailurePolicy {
    /// Logins per address: 10 free failures in a row, then 30 seconds doubling up to an hour;
    /// only a successful login or a password reset ends the run.
    pub const LOGIN_ACCOUNT: Self = Self {
        free: 10,
        first_delay: Duration::seconds(30),
        max_delay: Duration::hours(1),
        forget_after: None,
    };

    /// Logins per client address: the same, but a success only takes back its own attempt (so an
    /// attacker cannot wipe the count by logging into an account of their own), and a quarter of
    /// an hour without failures ends the run (so a household behind one address recovers).
    pub const LOGIN_CLIENT: Self = Self {
        forget_after: Some(Duration::minutes(15)),
        ..Self::LOGIN_ACCOUNT
    };

    /// PINs per product code: 5 free, then a minute doubling up to an hour; only the right PIN
    /// ends the run. A six-digit PIN then takes an attacker years.
    pub const PIN: Self = Self {
        free: 5,
        first_delay: Duration::minutes(1),
        max_delay: Duration::hours(1),
        forget_after: None,
    };

    /// Links from e-mails (coupling, reset) that do not exist: 20 free, then a minute doubling up
    /// to an hour. Nobody mistypes a 64-digit link twenty times; a guesser does.
    pub const LINKS: Self = Self {
        free: 20,
        first_delay: Duration::minutes(1),
        max_delay: Duration::hours(1),
        forget_after: Some(Duration::hours(1)),
    };

    /// The counter to continue from: a run that was forgotten starts again, unless it still
    /// blocks.
    fn carry(&self, current: Option<ThrottleState>, now: DateTime<Utc>) -> Option<ThrottleState> {
        current.filter(|c| {
            c.blocked_until.is_some_and(|b| b > now)
                || self.forget_after.is_none_or(|f| now - c.window_start < f)
        })
    }

    /// The wait after `failures` failures in a row, if any.
    pub fn delay(&self, failures: u32) -> Option<Duration> {
        if failures < self.free {
            return None;
        }
        let doublings = (failures - self.free).min(16);
        let delay = self.first_delay * (1_i32 << doublings);
        Some(delay.min(self.max_delay))
    }
}

/// A key for a counter about something personal (an address): only its hash is stored.
pub fn hashed_key(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{kind}:{hex}")
}

/// The use cases on the counters.
#[derive(Clone)]
pub struct Throttle {
    repo: Arc<dyn ThrottleRepository>,
}

impl Throttle {
    /// On `repo`.
    pub fn new(repo: Arc<dyn ThrottleRepository>) -> Self {
        Self { repo }
    }

    /// Refuses while any of `keys` is blocked.
    pub async fn check(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Result<(), Blocked>, StoreError> {
        let mut latest: Option<DateTime<Utc>> = None;
        for key in keys {
            if let Some(state) = self.repo.get(key).await?
                && let Some(until) = state.blocked_until
                && until > now
            {
                latest = Some(latest.map_or(until, |l| l.max(until)));
            }
        }
        Ok(latest.map_or(Ok(()), |until| Err(Blocked { until })))
    }

    /// Counts a failure on every key; from the policy's limit on, the next attempts wait.
    pub async fn fail(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        policy: FailurePolicy,
    ) -> Result<(), StoreError> {
        for key in keys {
            let change = move |current: Option<ThrottleState>| {
                let count = policy
                    .carry(current, now)
                    .map_or(0, |c| c.count)
                    .saturating_add(1);
                ThrottleState {
                    count,
                    window_start: now,
                    blocked_until: policy.delay(count).map(|d| now + d),
                }
            };
            self.repo.update(key, &change).await?;
        }
        Ok(())
    }

    /// Reserves an attempt on every key: refused while any is blocked; otherwise the attempt is
    /// counted as a failure before it is judged, in the same locked update, so that attempts
    /// made at the same moment (on one instance or several) all count. A success then calls
    /// [`Throttle::forgive`].
    pub async fn attempt(
        &self,
        keys: &[(String, FailurePolicy)],
        now: DateTime<Utc>,
    ) -> Result<Result<(), Blocked>, StoreError> {
        let mut blocked: Option<DateTime<Utc>> = None;
        for (key, policy) in keys {
            let policy = *policy;
            let change = move |current: Option<ThrottleState>| match policy.carry(current, now) {
                Some(c) if c.blocked_until.is_some_and(|b| b > now) => c,
                carried => {
                    let count = carried.map_or(0, |c| c.count).saturating_add(1);
                    ThrottleState {
                        count,
                        window_start: now,
                        blocked_until: policy.delay(count).map(|d| now + d),
                    }
                }
            };
            let (before, _) = self.repo.update(key, &change).await?;
            if let Some(until) = before
                .and_then(|b| b.blocked_until)
                .filter(|until| *until > now)
            {
                blocked = Some(blocked.map_or(until, |b| b.max(until)));
            }
        }
        Ok(blocked.map_or(Ok(()), |until| Err(Blocked { until })))
    }

    /// After a successful attempt: the keys with a policy that only a success ends are cleared;
    /// the others take back the failure [`Throttle::attempt`] counted in advance.
    pub async fn forgive(
        &self,
        keys: &[(String, FailurePolicy)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (key, policy) in keys {
            if policy.forget_after.is_none() {
                self.repo.clear(key).await?;
                continue;
            }
            let policy = *policy;
            let change = move |current: Option<ThrottleState>| {
                let count = current.map_or(0, |c| c.count).saturating_sub(1);
                ThrottleState {
                    count,
                    window_start: current.map_or(now, |c| c.window_start),
                    blocked_until: policy.delay(count).map(|d| now + d),
                }
            };
            self.repo.update(key, &change).await?;
        }
        Ok(())
    }

    /// Ends the runs of failures of `keys` (a password reset proves the resident).
    pub async fn clear(&self, keys: &[String]) -> Result<(), StoreError> {
        for key in keys {
            self.repo.clear(key).await?;
        }
        Ok(())
    }

    /// Counts a request against `max` per `window`; refuses beyond it until the window ends.
    pub async fn rate(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
        max: u32,
    ) -> Result<Result<(), Blocked>, StoreError> {
        let change = move |current: Option<ThrottleState>| match current {
            Some(c) if now < c.window_start + window => {
                let count = c.count.saturating_add(1);
                ThrottleState {
                    count,
                    window_start: c.window_start,
                    blocked_until: (count > max).then_some(c.window_start + window),
                }
            }
            _ => ThrottleState {
                count: 1,
                window_start: now,
                blocked_until: None,
            },
        };
        let (_, state) = self.repo.update(key, &change).await?;
        Ok(match state.blocked_until {
            Some(until) if state.count > max => Err(Blocked { until }),
            _ => Ok(()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_delay_starts_at_the_tenth_failure_and_grows() {
        let p = FailurePolicy::LOGIN_ACCOUNT;
        assert_eq!(p.delay(9), None);
        assert_eq!(p.delay(10), Some(Duration::seconds(30)));
        assert_eq!(p.delay(11), Some(Duration::seconds(60)));
        assert_eq!(p.delay(13), Some(Duration::seconds(240)));
        assert_eq!(p.delay(40), Some(Duration::hours(1)));
    }

    #[test]
    fn keys_hide_what_they_count() {
        let key = hashed_key("login:account", "jan@example.nl");
        assert!(key.starts_with("login:account:"));
        assert!(!key.contains("jan"));
        assert_eq!(key, hashed_key("login:account", "jan@example.nl"));
    }
}

//! argon2id hashing of passwords and PINs, on tokio's blocking threads so that the expensive work
//! never stalls request handling.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use parkportal_domain::PasswordHasher;
use parkportal_domain::accounts::HashError;
use std::sync::Arc;

/// argon2id with the configured cost.
#[derive(Clone)]
pub struct Argon2Hasher {
    argon: Arc<Argon2<'static>>,
    /// A hash of a random secret, verified against when the account is unknown, so that both
    /// cases cost the same.
    dummy: Arc<String>,
}

impl Argon2Hasher {
    /// A hasher using `memory_kib` KiB and `iterations` passes (one lane).
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, HashError> {
        let params =
            Params::new(memory_kib, iterations, 1, None).map_err(|e| HashError(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let secret = parkportal_domain::Token::generate().map_err(|e| HashError(e.to_string()))?;
        let dummy = hash_with(&argon, secret.expose())?;
        Ok(Self {
            argon: Arc::new(argon),
            dummy: Arc::new(dummy),
        })
    }
}

fn hash_with(argon: &Argon2<'_>, secret: &str) -> Result<String, HashError> {
    // argon2 0.6 draws a fresh random salt for every hash.
    argon
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, secret: &str) -> Result<String, HashError> {
        let argon = self.argon.clone();
        let secret = secret.to_owned();
        tokio::task::spawn_blocking(move || hash_with(&argon, &secret))
            .await
            .map_err(|e| HashError(e.to_string()))?
    }

    async fn verify(&self, secret: &str, hash: Option<&str>) -> bool {
        let argon = self.argon.clone();
        let secret = secret.to_owned();
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy.as_str().to_owned(), str::to_owned);
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| argon.verify_password(secret.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        known && matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = Argon2Hasher::new(64, 1).unwrap();
        let hash = hasher.hash("fietsbel42").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify("fietsbel42", Some(&hash)).await);
        assert!(!hasher.verify("fietsbel43", Some(&hash)).await);
        assert!(!hasher.verify("fietsbel42", None).await);
        assert!(!hasher.verify("fietsbel42", Some("not a hash")).await);
        assert_ne!(hash, hasher.hash("fietsbel42").await.unwrap(), "salted");
    }
}

//! Per-pool signing keys: generated at pool creation, rotated by the operator, sealed at rest,
//! cached opened in memory.
//!
//! Rotation adds a new ID key and a new access key, which sign from then on. The keys they
//! replace stay in the JWKS for [`SUPERSEDED_KEY_LIFETIME`], the longest an ID or access token
//! lives, so that every token signed before the rotation verifies until it expires; a later
//! rotation removes them. Other servers on the same database sign with the new keys within
//! [`KEY_CACHE_LIFETIME`], and verify tokens signed with them at once (an unknown `kid` reloads).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::Cognito;
use crate::audit::AuditRecord;
use crate::error::{Error, Result};
use crate::ids::{PoolId, Timestamp};
use crate::model::{SigningKey, TokenUse};
use crate::tokens::{generate_rsa_key, ActiveKey};

/// How long a superseded key stays published: a day, the longest ID and access token validity.
pub const SUPERSEDED_KEY_LIFETIME: i64 = 24 * 3600;

/// How long a server signs with the keys it has opened before looking for newer ones.
pub const KEY_CACHE_LIFETIME: Duration = Duration::from_secs(60);

/// A pool's keys, opened, and when they were read.
type OpenedKeys = (Instant, Arc<Vec<ActiveKey>>);

#[derive(Clone, Default)]
pub(super) struct KeyCache {
    opened: Arc<RwLock<HashMap<PoolId, OpenedKeys>>>,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRotation {
    pub new_kids: Vec<String>,
    pub retired_kids: Vec<String>,
}

/// The keys superseded (by a newer key for the same tokens) longer than
/// [`SUPERSEDED_KEY_LIFETIME`] before `now`: no unexpired token can carry their signature.
fn expired_keys(keys: &[SigningKey], now: Timestamp) -> Vec<String> {
    keys.iter()
        .filter(|key| {
            keys.iter()
                .filter(|other| other.token_use == key.token_use && other.created > key.created)
                .map(|successor| successor.created)
                .min()
                .is_some_and(|superseded| superseded.plus_secs(SUPERSEDED_KEY_LIFETIME) <= now)
        })
        .map(|key| key.kid.clone())
        .collect()
}

impl Cognito {
    /// One key for ID tokens and one for access tokens, as Cognito does.
    pub(super) async fn generate_pool_keys(&self, pool: &PoolId) -> Result<Vec<SigningKey>> {
        let generated = self
            .cpu_bound(|| -> Result<_> {
                Ok([
                    (TokenUse::Id, generate_rsa_key()?),
                    (TokenUse::Access, generate_rsa_key()?),
                ])
            })
            .await??;
        Ok(generated
            .into_iter()
            .map(|(token_use, key)| SigningKey {
                kid: uuid::Uuid::new_v4().to_string(),
                pool_id: pool.clone(),
                token_use,
                sealed_private_key: self.secrets.seal(&key.private_der),
                n: key.n,
                e: key.e,
                created: Timestamp::now(),
            })
            .collect())
    }

    /// The pool's keys, opened. A miss (new pool, or a key rotated by another server) reloads
    /// from the store.
    pub(super) async fn pool_keys(
        &self,
        pool: &PoolId,
        want_kid: Option<&str>,
    ) -> Result<Arc<Vec<ActiveKey>>> {
        if let Some((opened, keys)) = self.keys.opened.read().expect("key cache lock").get(pool) {
            let fresh = opened.elapsed() < KEY_CACHE_LIFETIME;
            match want_kid {
                Some(kid) if keys.iter().any(|k| k.kid == kid) => return Ok(keys.clone()),
                None if fresh => return Ok(keys.clone()),
                _ => {}
            }
        }
        let stored = self.store.signing_keys(pool).await?;
        let mut opened = Vec::with_capacity(stored.len());
        for key in stored {
            let der = self.secrets.open(&key.sealed_private_key)?;
            opened.push(ActiveKey::new(
                key.kid,
                key.token_use,
                &der,
                &key.n,
                &key.e,
            )?);
        }
        let opened = Arc::new(opened);
        self.keys
            .opened
            .write()
            .expect("key cache lock")
            .insert(pool.clone(), (Instant::now(), opened.clone()));
        Ok(opened)
    }

    /// The newest key for a token use (the store lists keys oldest first).
    pub(super) async fn signing_key(
        &self,
        pool: &PoolId,
        token_use: TokenUse,
    ) -> Result<ActiveKey> {
        self.pool_keys(pool, None)
            .await?
            .iter()
            .rev()
            .find(|k| k.token_use == token_use)
            .cloned()
            .ok_or_else(|| {
                Error::internal(format!("pool {pool} has no {} key", token_use.as_str()))
            })
    }

    pub(super) fn forget_pool_keys(&self, pool: &PoolId) {
        self.keys
            .opened
            .write()
            .expect("key cache lock")
            .remove(pool);
    }

    /// Rotates the pool's signing keys (see the module documentation).
    pub async fn rotate_signing_keys(&self, pool: &PoolId) -> Result<KeyRotation> {
        self.pool(pool).await?;
        let existing = self.store.signing_keys(pool).await?;
        let new = self.generate_pool_keys(pool).await?;
        let rotation = KeyRotation {
            new_kids: new.iter().map(|k| k.kid.clone()).collect(),
            retired_kids: expired_keys(&existing, Timestamp::now()),
        };
        let audit = AuditRecord::new(
            "RotateSigningKeys",
            Some(pool),
            format!("pool:{pool}"),
            json!({"new_kids": rotation.new_kids, "retired_kids": rotation.retired_kids}),
        );
        self.store
            .rotate_signing_keys(pool, &new, &rotation.retired_kids, Some(&audit))
            .await?;
        self.forget_pool_keys(pool);
        tracing::info!(pool = %pool, new = ?rotation.new_kids, retired = ?rotation.retired_kids, "rotated signing keys");
        Ok(rotation)
    }

    /// The JWKS document served at `{issuer}/.well-known/jwks.json`.
    pub async fn jwks(&self, pool: &PoolId) -> Result<Value> {
        self.pool(pool).await?;
        // From the store, not this server's opened keys: another server may already sign with
        // a key rotated in since this one opened its keys.
        let keys = self.store.signing_keys(pool).await?;
        Ok(json!({ "keys": keys.iter().map(SigningKey::jwk).collect::<Vec<_>>() }))
    }

    /// The OpenID Connect discovery document served beside the JWKS: what a resource server needs
    /// to verify tokens (issuer, keys). There are no OAuth endpoints, so none are advertised.
    pub async fn openid_configuration(&self, pool: &PoolId) -> Result<Value> {
        self.pool(pool).await?;
        let issuer = self.issuer(pool);
        Ok(json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "token_use", "cognito:username", "cognito:groups", "cognito:roles", "cognito:preferred_role", "email", "email_verified", "phone_number", "phone_number_verified"],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, token_use: TokenUse, created_secs: i64) -> SigningKey {
        SigningKey {
            kid: kid.into(),
            pool_id: PoolId::parse("us-east-1_keys").unwrap(),
            token_use,
            sealed_private_key: Vec::new(),
            n: String::new(),
            e: String::new(),
            created: Timestamp(created_secs * 1000),
        }
    }

    #[test]
    fn a_key_expires_a_day_after_it_is_superseded_for_its_own_tokens() {
        let day = SUPERSEDED_KEY_LIFETIME;
        let keys = [
            key("id-1", TokenUse::Id, 0),
            key("access-1", TokenUse::Access, 0),
            key("id-2", TokenUse::Id, 10),
            key("access-2", TokenUse::Access, 10),
            key("id-3", TokenUse::Id, 10 + day),
        ];
        assert!(expired_keys(&keys, Timestamp((10 + day - 1) * 1000)).is_empty());
        assert_eq!(
            expired_keys(&keys, Timestamp((10 + day) * 1000)),
            ["id-1", "access-1"]
        );
        assert_eq!(
            expired_keys(&keys, Timestamp((10 + 2 * day) * 1000)),
            ["id-1", "access-1", "id-2"],
            "the newest key of each use is never retired"
        );
    }
}

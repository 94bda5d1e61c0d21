//! Per-pool signing keys: generated at pool creation, sealed at rest, cached opened in memory.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::{json, Value};

use super::Cognito;
use crate::error::{Error, Result};
use crate::ids::{PoolId, Timestamp};
use crate::model::{SigningKey, TokenUse};
use crate::tokens::{generate_rsa_key, ActiveKey};

#[derive(Clone, Default)]
pub(super) struct KeyCache {
    opened: Arc<RwLock<HashMap<PoolId, Arc<Vec<ActiveKey>>>>>,
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
        if let Some(keys) = self.keys.opened.read().expect("key cache lock").get(pool) {
            if want_kid.is_none_or(|kid| keys.iter().any(|k| k.kid == kid)) {
                return Ok(keys.clone());
            }
        }
        let stored = self.store.signing_keys(pool).await?;
        let mut opened = Vec::with_capacity(stored.len());
        for key in stored {
            let der = self.secrets.open(&key.sealed_private_key)?;
            opened.push(ActiveKey::new(key.kid, key.token_use, &der, key.n, key.e)?);
        }
        let opened = Arc::new(opened);
        self.keys
            .opened
            .write()
            .expect("key cache lock")
            .insert(pool.clone(), opened.clone());
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

    /// The JWKS document served at `{issuer}/.well-known/jwks.json`.
    pub async fn jwks(&self, pool: &PoolId) -> Result<Value> {
        self.pool(pool).await?;
        let keys = self.pool_keys(pool, None).await?;
        Ok(json!({ "keys": keys.iter().map(ActiveKey::jwk).collect::<Vec<_>>() }))
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

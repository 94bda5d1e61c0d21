//! The server's credential source: the root key pair, IAM users' access keys (secrets sealed
//! at rest), and temporary credentials (a session token this deployment sealed).

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::Cognito;
use crate::credentials::{Credential, CredentialSource, Principal, RootCredentials};
use crate::error::Result;

/// Every kind of access key cognate knows, behind the one door.
pub struct Keys {
    root: RootCredentials,
    cognito: Cognito,
}

impl Keys {
    pub fn new(root: RootCredentials, cognito: Cognito) -> Self {
        Keys { root, cognito }
    }
}

#[async_trait]
impl CredentialSource for Keys {
    async fn lookup(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<Option<Credential>> {
        if let Some(root) = self.root.lookup(access_key_id, session_token).await? {
            return Ok(Some(root));
        }
        match session_token {
            Some(token) => {
                self.cognito
                    .temporary_credential(access_key_id, token)
                    .await
            }
            None => self.cognito.access_key_credential(access_key_id).await,
        }
    }

    async fn secret_of(&self, access_key_id: &str) -> Result<Option<Zeroizing<String>>> {
        if let Some(root) = self.root.lookup(access_key_id, None).await? {
            return Ok(Some(root.secret_access_key));
        }
        if access_key_id.starts_with(TEMPORARY_KEY_PREFIX) {
            return Ok(Some(self.cognito.temporary_secret(access_key_id)));
        }
        Ok(self
            .cognito
            .access_key_credential(access_key_id)
            .await?
            .map(|c| c.secret_access_key))
    }
}

/// Temporary credentials' access key ids start so (long-term keys with `AKIA`).
pub(super) const TEMPORARY_KEY_PREFIX: &str = "ASIA";

impl Cognito {
    /// An IAM user's active access key.
    pub async fn access_key_credential(&self, access_key_id: &str) -> Result<Option<Credential>> {
        let Some(key) = self.store.get_access_key(access_key_id).await? else {
            return Ok(None);
        };
        if !key.active {
            return Ok(None);
        }
        let Some(user) = self.store.get_iam_user(&key.user).await? else {
            return Ok(None);
        };
        let secret = Zeroizing::new(self.secrets.open_string(&key.sealed_secret)?);
        Ok(Some(Credential {
            principal: Principal::User {
                name: user.name,
                arn: user.arn,
                id: user.id,
            },
            secret_access_key: secret,
        }))
    }
}

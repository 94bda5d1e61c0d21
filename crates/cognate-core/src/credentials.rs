//! The one door for AWS credentials: every signed surface turns the access key (and session
//! token) of a request into a [`Credential`] here, then checks the signature with its secret.
//! Root keys answer today; identity-pool temporary credentials and IAM users join as further
//! [`Principal`] variants behind the same [`CredentialSource`].

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::crypto::constant_time_eq;
use crate::error::{Error, Result};

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The server's root key pair: may do everything.
    Root,
}

impl Principal {
    /// The name the audit log records for changes this principal makes.
    pub fn audit_name(&self) -> &str {
        match self {
            Principal::Root => "root",
        }
    }
}

/// A known access key: whose it is and the secret it signs with.
#[derive(Clone)]
pub struct Credential {
    pub principal: Principal,
    pub secret_access_key: Zeroizing<String>,
}

/// Resolves access keys. `session_token` is the request's `X-Amz-Security-Token`: temporary
/// credentials are valid only with the token they were issued with, long-term keys only
/// without one.
#[async_trait]
pub trait CredentialSource: Send + Sync + 'static {
    async fn lookup(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<Option<Credential>>;
}

/// The answer AWS gives for an access key or session token it does not know.
pub fn unrecognized() -> Error {
    Error::UnrecognizedClient("The security token included in the request is invalid.".into())
}

/// The root key pair, compared in constant time.
pub struct RootCredentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
}

impl RootCredentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        RootCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
        }
    }
}

#[async_trait]
impl CredentialSource for RootCredentials {
    async fn lookup(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<Option<Credential>> {
        let known = constant_time_eq(access_key_id.as_bytes(), self.access_key_id.as_bytes());
        // Long-term keys carry no session token; one that comes with a token is not them.
        Ok((known && session_token.is_none()).then(|| Credential {
            principal: Principal::Root,
            secret_access_key: self.secret_access_key.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_root_key_is_known_only_without_a_session_token() {
        let root = RootCredentials::new("AKIDROOT", "secret");
        let found = root.lookup("AKIDROOT", None).await.unwrap().unwrap();
        assert_eq!(found.principal, Principal::Root);
        assert_eq!(found.secret_access_key.as_str(), "secret");
        assert!(root.lookup("AKIDOTHER", None).await.unwrap().is_none());
        assert!(root
            .lookup("AKIDROOT", Some("token"))
            .await
            .unwrap()
            .is_none());
    }
}

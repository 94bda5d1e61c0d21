//! The one door for AWS credentials: every signed surface turns the access key (and session
//! token) of a request into a [`Credential`] here, then checks the signature with its secret.
//! Root keys, IAM users' access keys and temporary credentials (identity pools, STS) are the
//! [`Principal`]s; the server's source tries each in turn (`service::Keys`).

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::crypto::constant_time_eq;
use crate::error::{Error, Result};
use crate::iam::IamName;
use crate::identity::{IdentityId, IdentityPoolId};
use crate::ids::Timestamp;

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The server's root key pair: may do everything.
    Root,
    /// An IAM user's long-term access key: may do what the user's policies allow.
    User {
        name: IamName,
        arn: String,
        id: String,
    },
    /// Temporary credentials of an assumed role: may do what the role's policies allow.
    Role(RoleSession),
}

/// A role session: the role, the session's name, and (for identity pools and web identity
/// federation) the identity it was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSession {
    pub role: IamName,
    pub role_arn: String,
    pub role_id: String,
    pub session_name: String,
    pub account: String,
    pub expires: Timestamp,
    pub identity: Option<WebIdentity>,
}

/// The identity-pool identity behind a role session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    pub identity_id: IdentityId,
    pub identity_pool_id: IdentityPoolId,
    /// `cognito-identity.amazonaws.com:amr`: `["authenticated", <provider>, …]` or
    /// `["unauthenticated"]`.
    pub amr: Vec<String>,
}

impl WebIdentity {
    /// The keys Cognito's identity service sets, in trust policies and in the session's own
    /// requests alike: `cognito-identity.amazonaws.com:aud`, `:sub`, `:amr`.
    pub fn add_keys(&self, context: &mut cognate_iam::Context) {
        context.insert(
            "cognito-identity.amazonaws.com:aud",
            self.identity_pool_id.as_str(),
        );
        context.insert(
            "cognito-identity.amazonaws.com:sub",
            self.identity_id.as_str(),
        );
        context.insert_multi("cognito-identity.amazonaws.com:amr", self.amr.clone());
    }
}

impl RoleSession {
    /// `arn:aws:sts::<account>:assumed-role/<RoleName>/<session>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.account, self.role, self.session_name
        )
    }
}

impl Principal {
    /// The name the audit log records for changes this principal makes.
    pub fn audit_name(&self) -> String {
        match self {
            Principal::Root => "root".into(),
            Principal::User { name, .. } => format!("user/{name}"),
            Principal::Role(session) => {
                format!("assumed-role/{}/{}", session.role, session.session_name)
            }
        }
    }

    /// The ARN AWS names this caller by (GetCallerIdentity, AccessDenied messages).
    pub fn arn(&self, account: &str) -> String {
        match self {
            Principal::Root => format!("arn:aws:iam::{account}:root"),
            Principal::User { arn, .. } => arn.clone(),
            Principal::Role(session) => session.arn(),
        }
    }

    /// GetCallerIdentity's `UserId`.
    pub fn user_id(&self, account: &str) -> String {
        match self {
            Principal::Root => account.to_owned(),
            Principal::User { id, .. } => id.clone(),
            Principal::Role(session) => format!("{}:{}", session.role_id, session.session_name),
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

    /// The secret an access key signs with, from the key alone: S3's signature check comes
    /// before the session token is read. For temporary credentials this says nothing about
    /// the session; `lookup` with the token still decides who the caller is.
    async fn secret_of(&self, access_key_id: &str) -> Result<Option<Zeroizing<String>>> {
        Ok(self
            .lookup(access_key_id, None)
            .await?
            .map(|c| c.secret_access_key))
    }
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

//! Identity pools and their identities.

use async_trait::async_trait;

use super::{Audit, Page};
use crate::error::Result;
use crate::identity::{Identity, IdentityId, IdentityPool, IdentityPoolId, Login};

/// What [`IdentityStore::claim_login`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The login was new and is now linked to the identity asked for.
    Linked,
    /// The login already belonged to this identity.
    Already(IdentityId),
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn insert_identity_pool(&self, pool: &IdentityPool, audit: Audit<'_>) -> Result<()>;
    async fn get_identity_pool(&self, id: &IdentityPoolId) -> Result<Option<IdentityPool>>;
    async fn list_identity_pools(
        &self,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<IdentityPool>>;
    async fn update_identity_pool(&self, pool: &IdentityPool, audit: Audit<'_>) -> Result<bool>;
    /// Deletes the pool with its identities and their logins.
    async fn delete_identity_pool(&self, id: &IdentityPoolId, audit: Audit<'_>) -> Result<bool>;

    /// A new identity with no logins (a guest).
    async fn insert_identity(&self, identity: &Identity) -> Result<()>;
    async fn get_identity(&self, id: &IdentityId) -> Result<Option<Identity>>;
    /// Links `login` to `identity` (creating the identity if it does not exist yet) unless the
    /// login already belongs to an identity of the pool, which is then named. One transaction:
    /// two concurrent first sign-ins of one user end with one identity.
    async fn claim_login(&self, identity: &Identity, login: &Login) -> Result<Claim>;
    async fn unlink_login(&self, identity: &IdentityId, login: &Login) -> Result<bool>;
    async fn list_identities(
        &self,
        pool: &IdentityPoolId,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<Identity>>;
    /// Deletes the identities that exist, with their logins.
    async fn delete_identities(&self, ids: &[IdentityId]) -> Result<()>;
}

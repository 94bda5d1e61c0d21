//! User pools and their token signing keys.

use async_trait::async_trait;

use super::{Audit, Page};
use crate::error::Result;
use crate::ids::PoolId;
use crate::model::{SigningKey, UserPool};

#[async_trait]
pub trait PoolStore: Send + Sync {
    async fn insert_pool(
        &self,
        pool: &UserPool,
        keys: &[SigningKey],
        audit: Audit<'_>,
    ) -> Result<()>;
    async fn get_pool(&self, id: &PoolId) -> Result<Option<UserPool>>;
    async fn list_pools(&self, limit: u32, after: Option<&str>) -> Result<Page<UserPool>>;
    async fn update_pool(&self, pool: &UserPool, audit: Audit<'_>) -> Result<()>;
    /// Removes the pool and everything in it. False if there was no such pool.
    async fn delete_pool(&self, id: &PoolId, audit: Audit<'_>) -> Result<bool>;
    async fn signing_keys(&self, pool: &PoolId) -> Result<Vec<SigningKey>>;
    /// Adds the `new` keys and removes the keys named in `retire`, in one transaction.
    async fn rotate_signing_keys(
        &self,
        pool: &PoolId,
        new: &[SigningKey],
        retire: &[String],
        audit: Audit<'_>,
    ) -> Result<()>;
}

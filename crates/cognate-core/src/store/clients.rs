//! App clients. Secrets arrive and leave sealed.

use async_trait::async_trait;

use super::{Audit, Page};
use crate::error::Result;
use crate::ids::{ClientId, PoolId};
use crate::model::AppClient;

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn insert_client(
        &self,
        client: &AppClient,
        sealed_secret: Option<&[u8]>,
        audit: Audit<'_>,
    ) -> Result<()>;
    /// Clients are found by id alone: unauthenticated calls name only the client.
    async fn get_client(&self, id: &ClientId) -> Result<Option<(AppClient, Option<Vec<u8>>)>>;
    async fn list_clients(
        &self,
        pool: &PoolId,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<AppClient>>;
    async fn update_client(&self, client: &AppClient, audit: Audit<'_>) -> Result<bool>;
    async fn delete_client(&self, pool: &PoolId, id: &ClientId, audit: Audit<'_>) -> Result<bool>;
}

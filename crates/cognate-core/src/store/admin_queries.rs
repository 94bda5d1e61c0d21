//! Admin Queries APIs.

use async_trait::async_trait;

use super::Audit;
use crate::error::Result;
use crate::ids::PoolId;
use crate::model::AdminQueriesApi;

#[async_trait]
pub trait AdminQueriesStore: Send + Sync {
    async fn insert_admin_queries_api(&self, api: &AdminQueriesApi, audit: Audit<'_>)
        -> Result<()>;
    async fn get_admin_queries_api(&self, id: &str) -> Result<Option<AdminQueriesApi>>;
    /// All APIs, or those of one pool, oldest first.
    async fn list_admin_queries_apis(&self, pool: Option<&PoolId>) -> Result<Vec<AdminQueriesApi>>;
    async fn update_admin_queries_api(
        &self,
        api: &AdminQueriesApi,
        audit: Audit<'_>,
    ) -> Result<bool>;
    async fn delete_admin_queries_api(&self, id: &str, audit: Audit<'_>) -> Result<bool>;
}

//! A project's backend, applied as one batch by `cognate push`.

use async_trait::async_trait;

use crate::audit::AuditRecord;
use crate::error::Result;
use crate::ids::{GroupName, PoolId};
use crate::model::{AdminQueriesApi, AppClient, Group, SigningKey, UserPool};

/// A project's auth backend changes, applied together by [`BackendStore::apply_auth_batch`].
#[derive(Debug, Clone, Default)]
pub struct AuthBatch {
    pub new_pool: Option<(UserPool, Vec<SigningKey>)>,
    pub update_pool: Option<UserPool>,
    pub new_client: Option<AppClient>,
    /// Inserted, or updated when the group exists.
    pub put_groups: Vec<Group>,
    pub delete_groups: Vec<(PoolId, GroupName)>,
    /// Inserted, or updated when the API exists.
    pub put_admin_queries: Option<AdminQueriesApi>,
    pub delete_admin_queries: Option<String>,
    pub audit: Option<AuditRecord>,
}

#[async_trait]
pub trait BackendStore: Send + Sync {
    /// Applies a project's auth backend changes in one transaction: all of them or none.
    async fn apply_auth_batch(&self, batch: &AuthBatch) -> Result<()>;
}

//! User pool groups and their members.

use async_trait::async_trait;

use super::{Audit, Page};
use crate::error::Result;
use crate::ids::{GroupName, PoolId};
use crate::model::{Group, User};

/// `insert_group` fails with GroupExists for a taken name and LimitExceeded past `max_groups`
/// in the pool; `add_member` is idempotent and fails with LimitExceeded past
/// `max_groups_per_user` for the user.
#[async_trait]
pub trait GroupStore: Send + Sync {
    async fn insert_group(&self, group: &Group, max_groups: u32, audit: Audit<'_>) -> Result<()>;
    async fn get_group(&self, pool: &PoolId, name: &GroupName) -> Result<Option<Group>>;
    async fn list_groups(
        &self,
        pool: &PoolId,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<Group>>;
    async fn update_group(&self, group: &Group, audit: Audit<'_>) -> Result<bool>;
    /// Deletes the group and its memberships.
    async fn delete_group(&self, pool: &PoolId, name: &GroupName, audit: Audit<'_>)
        -> Result<bool>;
    async fn add_member(
        &self,
        pool: &PoolId,
        group: &GroupName,
        sub: &str,
        max_groups_per_user: u32,
        audit: Audit<'_>,
    ) -> Result<()>;
    async fn remove_member(
        &self,
        pool: &PoolId,
        group: &GroupName,
        sub: &str,
        audit: Audit<'_>,
    ) -> Result<()>;
    /// A user's groups in name order, after the group name `after`.
    async fn groups_of_user(
        &self,
        pool: &PoolId,
        sub: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<Group>>;
    /// A group's members in username order, after the username key `after`.
    async fn members_of_group(
        &self,
        pool: &PoolId,
        group: &GroupName,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<User>>;
}

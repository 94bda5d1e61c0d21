//! Users with their attributes and failed sign-in counters.

use async_trait::async_trait;

use super::{Audit, Page};
use crate::error::Result;
use crate::filter::UserFilter;
use crate::ids::{PoolId, Timestamp};
use crate::model::User;

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Fails with UsernameExists when the username key is taken.
    async fn insert_user(&self, user: &User, audit: Audit<'_>) -> Result<()>;
    /// Imports many users in one transaction (all or none), e.g. a migration from another pool.
    async fn insert_users(&self, users: &[User]) -> Result<()>;
    async fn get_user(&self, pool: &PoolId, username_key: &str) -> Result<Option<User>>;
    async fn get_user_by_sub(&self, pool: &PoolId, sub: &str) -> Result<Option<User>>;
    /// Users whose attribute `name` equals `value` exactly.
    async fn find_users_by_attribute(
        &self,
        pool: &PoolId,
        name: &str,
        value: &str,
    ) -> Result<Vec<User>>;
    /// Writes the whole user (row and attributes) at once, except the failed sign-in counters,
    /// which change only through the two methods below. False if the user is gone.
    async fn update_user(&self, user: &User, audit: Audit<'_>) -> Result<bool>;
    /// Deletes the user with their sessions and codes.
    async fn delete_user(&self, pool: &PoolId, sub: &str, audit: Audit<'_>) -> Result<bool>;
    /// Users in username order, after the username key `after`.
    async fn list_users(
        &self,
        pool: &PoolId,
        filter: Option<&UserFilter>,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<User>>;
    /// Counts a sign-in attempt as failed at `at`, before its password is checked, if the user
    /// has exactly `seen` failures: reading the count and taking it are one step, so parallel
    /// guesses cannot all pass a lockout check made on the same count. False, counting nothing,
    /// when another attempt came first. A correct password clears the count afterwards.
    async fn admit_sign_in_attempt(
        &self,
        pool: &PoolId,
        sub: &str,
        seen: i64,
        at: Timestamp,
    ) -> Result<bool>;
    async fn clear_failed_sign_ins(&self, pool: &PoolId, sub: &str) -> Result<()>;
    /// The failed sign-ins under a name that is no user (kept as `name_hash`), and the last.
    async fn unknown_sign_in_failures(
        &self,
        pool: &PoolId,
        name_hash: &str,
    ) -> Result<(i64, Option<Timestamp>)>;
    /// [`UserStore::admit_sign_in_attempt`] for a name that is no user. Records last failed
    /// before `forget_before` are dropped first: no lockout depends on them any more.
    async fn admit_unknown_sign_in_attempt(
        &self,
        pool: &PoolId,
        name_hash: &str,
        seen: i64,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool>;
}

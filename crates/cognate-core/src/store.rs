//! What the services need from persistence. Implementations live in `cognate-store` (SQLite and
//! PostgreSQL); both pass the same conformance suite. A store enforces uniqueness and makes each
//! method one transaction; it makes no decisions.

use async_trait::async_trait;

use crate::audit::AuditRecord;
use crate::error::Result;
use crate::filter::UserFilter;
use crate::ids::{ClientId, GroupName, PoolId, Timestamp};
use crate::model::{
    AdminQueriesApi, AppClient, Group, OutboxMessage, Session, SigningKey, User, UserPool,
    VerificationCode,
};

/// What a call made with an access token needs to know: its user, and whether the sign-in session
/// it came from still holds.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_live: bool,
    pub user: Option<User>,
}

/// A page of results and the key to continue after, if there are more.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// A project's auth backend changes, applied together by [`Store::apply_auth_batch`].
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

/// The audit record of an administrative change, written in the change's transaction when the
/// change takes effect; `None` for changes users make themselves (sign-up, their own password).
pub type Audit<'a> = Option<&'a AuditRecord>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Pools and their signing keys.
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

    // App clients. The secret arrives sealed.
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

    // Users. `insert_user` fails with UsernameExists when the username key is taken.
    async fn insert_user(&self, user: &User, audit: Audit<'_>) -> Result<()>;
    /// Imports many users in one transaction (all or none), e.g. a migration from another pool.
    async fn insert_users(&self, users: &[User]) -> Result<()>;
    async fn get_user(&self, pool: &PoolId, username_key: &str) -> Result<Option<User>>;
    async fn get_user_by_sub(&self, pool: &PoolId, sub: &str) -> Result<Option<User>>;
    /// The user `sub` and whether session `session_id` is live (exists, not revoked), in one
    /// read: every call made with an access token needs both.
    async fn get_session_user(
        &self,
        pool: &PoolId,
        session_id: &str,
        sub: &str,
    ) -> Result<SessionUser>;
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
    /// Counts one failed sign-in at `at`, atomically, and returns the new count.
    async fn record_failed_sign_in(&self, pool: &PoolId, sub: &str, at: Timestamp) -> Result<i64>;
    async fn clear_failed_sign_ins(&self, pool: &PoolId, sub: &str) -> Result<()>;

    // Sessions (one per sign-in; carries the refresh token hash).
    /// Records a new session and returns its user's groups (at most `max_groups`, by name) as
    /// they are at that moment, which its first tokens carry.
    async fn start_session(&self, session: &Session, max_groups: u32) -> Result<Vec<Group>>;
    async fn get_session(&self, id: &str) -> Result<Option<Session>>;
    async fn get_session_by_refresh_hash(&self, hash: &str) -> Result<Option<Session>>;
    async fn revoke_session(&self, id: &str) -> Result<()>;
    async fn revoke_user_sessions(&self, pool: &PoolId, sub: &str, audit: Audit<'_>)
        -> Result<u64>;

    // Verification codes: one per user and purpose; a new one replaces the old.
    async fn put_code(&self, code: &VerificationCode) -> Result<()>;
    async fn get_code(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &str,
    ) -> Result<Option<VerificationCode>>;
    async fn delete_code(&self, pool: &PoolId, sub: &str, purpose: &str) -> Result<()>;
    async fn count_code_failure(&self, pool: &PoolId, sub: &str, purpose: &str) -> Result<i64>;

    /// Marks a one-time challenge as answered. False if it already was. Entries are kept until
    /// `expires` (after which the challenge is refused anyway) and pruned as of `now`.
    async fn consume_challenge(&self, id: &str, expires: Timestamp, now: Timestamp)
        -> Result<bool>;

    // Admin Queries APIs.
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

    /// Applies a project's auth backend changes in one transaction: all of them or none.
    async fn apply_auth_batch(&self, batch: &AuthBatch) -> Result<()>;

    // The outbox. Bodies arrive sealed.
    async fn push_message(&self, message: &OutboxMessage, sealed_body: &[u8]) -> Result<i64>;
    async fn list_messages(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
    ) -> Result<Vec<(OutboxMessage, Vec<u8>)>>;

    // Groups. `insert_group` fails with GroupExists for a taken name and LimitExceeded past
    // `max_groups` in the pool; `add_member` is idempotent and fails with LimitExceeded past
    // `max_groups_per_user` for the user.
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

    /// Applies a user update and consumes a code in one transaction (confirmations).
    async fn update_user_consuming_code(&self, user: &User, purpose: &str) -> Result<bool>;

    /// The audit log, newest first: all of it or one pool's, before the record `before`.
    async fn list_audit(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditRecord>>;
}

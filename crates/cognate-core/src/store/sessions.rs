//! Sign-in sessions (one per sign-in; each carries its refresh token's hash) and the one-time
//! challenges they start from.

use async_trait::async_trait;

use super::Audit;
use crate::error::Result;
use crate::ids::{PoolId, Timestamp};
use crate::model::{Group, Session, User};

/// What a call made with an access token needs to know: its user, and whether the sign-in session
/// it came from still holds.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_live: bool,
    pub user: Option<User>,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a new session and returns its user's groups (at most `max_groups`, by name) as
    /// they are at that moment, which its first tokens carry.
    async fn start_session(&self, session: &Session, max_groups: u32) -> Result<Vec<Group>>;
    async fn get_session(&self, id: &str) -> Result<Option<Session>>;
    async fn get_session_by_refresh_hash(&self, hash: &str) -> Result<Option<Session>>;
    /// The session a refresh token was rotated out of, while that token is still honoured
    /// (its grace period ends after `now`).
    async fn get_session_by_rotated_refresh_hash(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>>;
    /// Gives session `id` the refresh token hash `to` in place of `from`, atomically: false,
    /// changing nothing, if the session's token is no longer `from` (a concurrent rotation won)
    /// or the session is revoked. With `keep_from_until`, `from` stays honoured until then.
    /// Rotated-out tokens past their grace period are pruned as of `now`.
    async fn rotate_refresh_token(
        &self,
        id: &str,
        from: &str,
        to: &str,
        keep_from_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool>;
    /// The user `sub` and whether session `session_id` is live (exists, not revoked), in one
    /// read: every call made with an access token needs both.
    async fn get_session_user(
        &self,
        pool: &PoolId,
        session_id: &str,
        sub: &str,
    ) -> Result<SessionUser>;
    async fn revoke_session(&self, id: &str) -> Result<()>;
    async fn revoke_user_sessions(&self, pool: &PoolId, sub: &str, audit: Audit<'_>)
        -> Result<u64>;
    /// Marks a one-time challenge as answered. False if it already was. Entries are kept until
    /// `expires` (after which the challenge is refused anyway) and pruned as of `now`.
    async fn consume_challenge(&self, id: &str, expires: Timestamp, now: Timestamp)
        -> Result<bool>;
}

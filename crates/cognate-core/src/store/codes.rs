//! Verification codes: one per user and purpose; a new one replaces the old.

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{PoolId, Timestamp};
use crate::model::{CodePurpose, User, VerificationCode};

/// How many codes one user may be sent for one purpose within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssueLimit {
    pub per_window: u32,
    pub window_secs: i64,
}

#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores a new code for its user and purpose in place of the old one, atomically counted
    /// against `limit`: false, storing nothing, when the user was sent `limit.per_window` codes
    /// in the current window. Wrong guesses carry over to the new code unless the old one had
    /// expired as of `now`, so that asking for codes does not buy guesses.
    async fn put_code(
        &self,
        code: &VerificationCode,
        limit: IssueLimit,
        now: Timestamp,
    ) -> Result<bool>;
    async fn get_code(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &CodePurpose,
    ) -> Result<Option<VerificationCode>>;
    async fn delete_code(&self, pool: &PoolId, sub: &str, purpose: &CodePurpose) -> Result<()>;
    /// Counts one guess at the code before it is checked, if the code has had exactly `seen`
    /// guesses: the check and the count are one step, so parallel guesses cannot share a
    /// count. False, counting nothing, when another guess came first.
    async fn admit_code_attempt(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &CodePurpose,
        seen: i64,
    ) -> Result<bool>;
    /// Applies a user update and consumes the user's code for `purpose` in one transaction
    /// (confirmations). ExpiredCode if someone else used the code first.
    async fn update_user_consuming_code(&self, user: &User, purpose: &CodePurpose) -> Result<bool>;
}

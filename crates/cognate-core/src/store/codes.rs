//! Verification codes: one per user and purpose; a new one replaces the old.

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::PoolId;
use crate::model::{CodePurpose, User, VerificationCode};

#[async_trait]
pub trait CodeStore: Send + Sync {
    async fn put_code(&self, code: &VerificationCode) -> Result<()>;
    async fn get_code(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &CodePurpose,
    ) -> Result<Option<VerificationCode>>;
    async fn delete_code(&self, pool: &PoolId, sub: &str, purpose: &CodePurpose) -> Result<()>;
    /// Counts one wrong guess at the code, atomically, and returns the new count.
    async fn count_code_failure(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &CodePurpose,
    ) -> Result<i64>;
    /// Applies a user update and consumes the user's code for `purpose` in one transaction
    /// (confirmations). ExpiredCode if someone else used the code first.
    async fn update_user_consuming_code(&self, user: &User, purpose: &CodePurpose) -> Result<bool>;
}

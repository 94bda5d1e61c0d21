//! Verification codes, one per user and purpose, stored by [`CodePurpose::as_key`].

use async_trait::async_trait;
use cognate_core::ids::{PoolId, Timestamp};
use cognate_core::model::{CodePurpose, User, VerificationCode};
use cognate_core::store::{CodeStore, IssueLimit};
use cognate_core::{Error, Result};

use crate::rows::{db_error, get};
use crate::tx::finish;
use crate::SqlStore;

#[async_trait]
impl CodeStore for SqlStore {
    async fn put_code(
        &self,
        code: &VerificationCode,
        limit: IssueLimit,
        now: Timestamp,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        // One statement: the limit is checked and the count taken together, on every backend.
        let row = sqlx::query(
            "INSERT INTO verification_codes (pool_id, user_sub, purpose, code_hash, expires_at, failed_attempts, issued_count, window_start) \
             VALUES ($1, $2, $3, $4, $5, 0, 1, $6) \
             ON CONFLICT (pool_id, user_sub, purpose) DO UPDATE SET \
               code_hash = excluded.code_hash, expires_at = excluded.expires_at, \
               failed_attempts = CASE WHEN verification_codes.expires_at < $6 THEN 0 ELSE verification_codes.failed_attempts END, \
               issued_count = CASE WHEN verification_codes.window_start + $7 <= $6 THEN 1 ELSE verification_codes.issued_count + 1 END, \
               window_start = CASE WHEN verification_codes.window_start + $7 <= $6 THEN $6 ELSE verification_codes.window_start END \
             WHERE verification_codes.window_start + $7 <= $6 OR verification_codes.issued_count < $8 \
             RETURNING issued_count",
        )
        .bind(code.pool_id.as_str())
        .bind(code.user_sub.as_str())
        .bind(code.purpose.as_key())
        .bind(code.code_hash.as_str())
        .bind(code.expires.0)
        .bind(now.0)
        .bind(limit.window_secs.saturating_mul(1000))
        .bind(i64::from(limit.per_window))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.is_some())
    }

    async fn get_code(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &CodePurpose,
    ) -> Result<Option<VerificationCode>> {
        let row = sqlx::query("SELECT * FROM verification_codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3")
            .bind(pool.as_str())
            .bind(sub)
            .bind(purpose.as_key())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| {
            Ok(VerificationCode {
                pool_id: pool.clone(),
                user_sub: get(&r, "user_sub")?,
                purpose: purpose.clone(),
                code_hash: get(&r, "code_hash")?,
                expires: Timestamp(get(&r, "expires_at")?),
                failed_attempts: get(&r, "failed_attempts")?,
            })
        })
        .transpose()
    }

    async fn delete_code(&self, pool: &PoolId, sub: &str, purpose: &CodePurpose) -> Result<()> {
        let _w = self.write_lock().await;
        sqlx::query(
            "DELETE FROM verification_codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3",
        )
        .bind(pool.as_str())
        .bind(sub)
        .bind(purpose.as_key())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn admit_code_attempt(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &CodePurpose,
        seen: i64,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        let counted = sqlx::query(
            "UPDATE verification_codes SET failed_attempts = failed_attempts + 1 \
             WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3 AND failed_attempts = $4",
        )
        .bind(pool.as_str())
        .bind(sub)
        .bind(purpose.as_key())
        .bind(seen)
        .execute(&self.pool)
        .await
        .map_err(db_error)?
        .rows_affected();
        Ok(counted > 0)
    }

    async fn update_user_consuming_code(&self, user: &User, purpose: &CodePurpose) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            let consumed = sqlx::query(
                "DELETE FROM verification_codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3",
            )
            .bind(user.pool_id.as_str())
            .bind(user.sub.as_str())
            .bind(purpose.as_key())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            if consumed == 0 {
                // Someone else used the code first.
                return Err(Error::ExpiredCode(
                    "Invalid code provided, please request a code again.".into(),
                ));
            }
            if !Self::write_user_row(&mut tx, user).await? {
                return Ok(false);
            }
            Self::write_attributes(&mut tx, user).await?;
            Ok(true)
        }
        .await;
        finish(tx, result).await
    }
}

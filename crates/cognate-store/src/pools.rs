//! User pools (one JSON document each, cached for a moment) and their signing keys.

use async_trait::async_trait;
use cognate_core::ids::{PoolId, Timestamp};
use cognate_core::model::{SigningKey, TokenUse, UserPool};
use cognate_core::store::{Audit, Page, PoolStore};
use cognate_core::{Error, Result};

use crate::audit::{audit_if, write_audit};
use crate::rows::{db_error, from_json, get, page, to_json};
use crate::tx::finish;
use crate::SqlStore;

impl SqlStore {
    pub(crate) async fn insert_pool_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        pool: &UserPool,
        keys: &[SigningKey],
    ) -> Result<()> {
        sqlx::query("INSERT INTO user_pools (id, created_at, document) VALUES ($1, $2, $3)")
            .bind(pool.id.as_str())
            .bind(pool.created.0)
            .bind(to_json(pool)?)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        Self::insert_key_rows(tx, keys).await
    }

    pub(crate) async fn insert_key_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        keys: &[SigningKey],
    ) -> Result<()> {
        for key in keys {
            sqlx::query(
                "INSERT INTO signing_keys (kid, pool_id, token_use, sealed_private_key, n, e, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(key.kid.as_str())
            .bind(key.pool_id.as_str())
            .bind(key.token_use.as_str())
            .bind(key.sealed_private_key.clone())
            .bind(key.n.as_str())
            .bind(key.e.as_str())
            .bind(key.created.0)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl PoolStore for SqlStore {
    async fn insert_pool(
        &self,
        pool: &UserPool,
        keys: &[SigningKey],
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            Self::insert_pool_rows(&mut tx, pool, keys).await?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn get_pool(&self, id: &PoolId) -> Result<Option<UserPool>> {
        self.pools
            .read_through(id, async {
                let row = sqlx::query("SELECT document FROM user_pools WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_error)?;
                row.map(|r| from_json(&get::<String>(&r, "document")?))
                    .transpose()
            })
            .await
    }

    async fn list_pools(&self, limit: u32, after: Option<&str>) -> Result<Page<UserPool>> {
        let rows =
            sqlx::query("SELECT id, document FROM user_pools WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        let mut items = rows
            .iter()
            .map(|r| from_json::<UserPool>(&get::<String>(r, "document")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut items, limit, |p| p.id.to_string()))
    }

    async fn update_pool(&self, pool: &UserPool, audit: Audit<'_>) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let updated = sqlx::query("UPDATE user_pools SET document = $2 WHERE id = $1")
                .bind(pool.id.as_str())
                .bind(to_json(pool)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, updated > 0, audit).await
        }
        .await;
        let updated = finish(tx, result).await;
        self.pools.forget(&pool.id);
        updated.map(|_| ())
    }

    async fn delete_pool(&self, id: &PoolId, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            // Sessions do not reference the pool row itself; remove them explicitly.
            sqlx::query("DELETE FROM sessions WHERE pool_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let deleted = sqlx::query("DELETE FROM user_pools WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        }
        .await;
        let deleted = finish(tx, result).await;
        self.pools.forget(id);
        self.clients.forget_all();
        deleted
    }

    async fn signing_keys(&self, pool: &PoolId) -> Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, pool_id, token_use, sealed_private_key, n, e, created_at FROM signing_keys WHERE pool_id = $1 ORDER BY created_at, kid",
        )
        .bind(pool.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let token_use: String = get(r, "token_use")?;
                Ok(SigningKey {
                    kid: get(r, "kid")?,
                    pool_id: pool.clone(),
                    token_use: TokenUse::parse(&token_use)
                        .ok_or_else(|| Error::internal("unknown key use"))?,
                    sealed_private_key: get(r, "sealed_private_key")?,
                    n: get(r, "n")?,
                    e: get(r, "e")?,
                    created: Timestamp(get(r, "created_at")?),
                })
            })
            .collect()
    }

    async fn rotate_signing_keys(
        &self,
        pool: &PoolId,
        new: &[SigningKey],
        retire: &[String],
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            Self::insert_key_rows(&mut tx, new).await?;
            for kid in retire {
                sqlx::query("DELETE FROM signing_keys WHERE pool_id = $1 AND kid = $2")
                    .bind(pool.as_str())
                    .bind(kid.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }
}

//! A project's auth backend, applied in one transaction.

use async_trait::async_trait;
use cognate_core::store::{AuthBatch, BackendStore};
use cognate_core::Result;

use crate::audit::write_audit;
use crate::groups::GROUP_COLUMNS;
use crate::rows::{db_error, to_json};
use crate::tx::finish;
use crate::SqlStore;

#[async_trait]
impl BackendStore for SqlStore {
    async fn apply_auth_batch(&self, batch: &AuthBatch) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<()> = async {
            if let Some((pool, keys)) = &batch.new_pool {
                Self::insert_pool_rows(&mut tx, pool, keys).await?;
            }
            if let Some(pool) = &batch.update_pool {
                sqlx::query("UPDATE user_pools SET document = $2 WHERE id = $1")
                    .bind(pool.id.as_str())
                    .bind(to_json(pool)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            if let Some(client) = &batch.new_client {
                Self::insert_client_row(&mut *tx, client, None).await?;
            }
            for group in &batch.put_groups {
                sqlx::query(&format!(
                    "INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (pool_id, name) DO UPDATE SET description = excluded.description, precedence = excluded.precedence, \
                     role_arn = excluded.role_arn, modified_at = excluded.modified_at"
                ))
                .bind(group.pool_id.as_str())
                .bind(group.name.as_str())
                .bind(group.description.as_deref())
                .bind(group.precedence)
                .bind(group.role_arn.as_deref())
                .bind(group.created.0)
                .bind(group.modified.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            }
            for (pool, name) in &batch.delete_groups {
                Self::delete_group_row(&mut *tx, pool, name).await?;
            }
            if let Some(id) = &batch.delete_admin_queries {
                Self::delete_admin_queries_row(&mut *tx, id).await?;
            }
            write_audit(&mut tx, batch.audit.as_ref()).await?;
            if let Some(api) = &batch.put_admin_queries {
                sqlx::query(
                    "INSERT INTO admin_queries_apis (id, pool_id, created_at, document) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET document = excluded.document",
                )
                .bind(api.id.as_str())
                .bind(api.pool_id.as_str())
                .bind(api.created.0)
                .bind(to_json(api)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            }
            Ok(())
        }
        .await;
        let applied = finish(tx, result).await;
        self.pools.forget_all();
        self.clients.forget_all();
        applied
    }
}

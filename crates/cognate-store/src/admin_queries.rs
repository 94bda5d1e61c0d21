//! Admin Queries APIs, one JSON document each.

use async_trait::async_trait;
use cognate_core::ids::PoolId;
use cognate_core::model::AdminQueriesApi;
use cognate_core::store::{AdminQueriesStore, Audit};
use cognate_core::Result;

use crate::audit::{audit_if, write_audit};
use crate::rows::{db_error, from_json, get, to_json};
use crate::tx::finish;
use crate::SqlStore;

impl SqlStore {
    pub(crate) async fn delete_admin_queries_row<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        id: &str,
    ) -> Result<bool> {
        let result = sqlx::query("DELETE FROM admin_queries_apis WHERE id = $1")
            .bind(id)
            .execute(executor)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected() > 0)
    }
}

#[async_trait]
impl AdminQueriesStore for SqlStore {
    async fn insert_admin_queries_api(
        &self,
        api: &AdminQueriesApi,
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            sqlx::query("INSERT INTO admin_queries_apis (id, pool_id, created_at, document) VALUES ($1, $2, $3, $4)")
                .bind(api.id.as_str())
                .bind(api.pool_id.as_str())
                .bind(api.created.0)
                .bind(to_json(api)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn get_admin_queries_api(&self, id: &str) -> Result<Option<AdminQueriesApi>> {
        let row = sqlx::query("SELECT document FROM admin_queries_apis WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| from_json(&get::<String>(&r, "document")?))
            .transpose()
    }

    async fn list_admin_queries_apis(&self, pool: Option<&PoolId>) -> Result<Vec<AdminQueriesApi>> {
        let rows = sqlx::query("SELECT document FROM admin_queries_apis WHERE ($1 = '' OR pool_id = $1) ORDER BY created_at, id")
            .bind(pool.map(PoolId::as_str).unwrap_or(""))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, "document")?))
            .collect()
    }

    async fn update_admin_queries_api(
        &self,
        api: &AdminQueriesApi,
        audit: Audit<'_>,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let updated = sqlx::query("UPDATE admin_queries_apis SET document = $2 WHERE id = $1")
                .bind(api.id.as_str())
                .bind(to_json(api)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, updated > 0, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn delete_admin_queries_api(&self, id: &str, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let deleted = Self::delete_admin_queries_row(&mut *tx, id).await?;
            audit_if(&mut tx, deleted, audit).await
        }
        .await;
        finish(tx, result).await
    }
}

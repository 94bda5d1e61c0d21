//! REST APIs, one JSON document each.

use async_trait::async_trait;
use cognate_core::rest_api::RestApi;
use cognate_core::store::RestApiStore;
use cognate_core::Result;

use crate::rows::{db_error, from_json, get, to_json};
use crate::tx::write_tx;
use crate::SqlStore;

#[async_trait]
impl RestApiStore for SqlStore {
    async fn put_rest_api(&self, api: &RestApi) -> Result<()> {
        let document = to_json(api)?;
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO rest_apis (id, created_at, document) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET document = excluded.document",
            )
            .bind(api.id.as_str())
            .bind(api.created.0)
            .bind(&document)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            Ok(())
        })
    }

    async fn get_rest_api(&self, id: &str) -> Result<Option<RestApi>> {
        let row = sqlx::query("SELECT document FROM rest_apis WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| from_json(&get::<String>(&r, "document")?))
            .transpose()
    }

    async fn list_rest_apis(&self) -> Result<Vec<RestApi>> {
        let rows = sqlx::query("SELECT document FROM rest_apis ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, "document")?))
            .collect()
    }

    async fn delete_rest_api(&self, id: &str) -> Result<bool> {
        write_tx!(self, |tx| {
            let deleted = sqlx::query("DELETE FROM rest_apis WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            Ok(deleted.rows_affected() > 0)
        })
    }
}

//! App clients (one JSON document each, cached for a moment) and their sealed secrets.

use async_trait::async_trait;
use cognate_core::ids::{ClientId, PoolId};
use cognate_core::model::AppClient;
use cognate_core::store::{Audit, ClientStore, Page};
use cognate_core::Result;

use crate::audit::{audit_if, write_audit};
use crate::rows::{db_error, from_json, get, page, to_json};
use crate::tx::finish;
use crate::SqlStore;

impl SqlStore {
    pub(crate) async fn insert_client_row<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        client: &AppClient,
        sealed_secret: Option<&[u8]>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO app_clients (id, pool_id, document, sealed_secret) VALUES ($1, $2, $3, $4)")
            .bind(client.id.as_str())
            .bind(client.pool_id.as_str())
            .bind(to_json(client)?)
            .bind(sealed_secret.map(<[u8]>::to_vec))
            .execute(executor)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(
        &self,
        client: &AppClient,
        sealed_secret: Option<&[u8]>,
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            Self::insert_client_row(&mut *tx, client, sealed_secret).await?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn get_client(&self, id: &ClientId) -> Result<Option<(AppClient, Option<Vec<u8>>)>> {
        self.clients
            .read_through(id, async {
                let row =
                    sqlx::query("SELECT document, sealed_secret FROM app_clients WHERE id = $1")
                        .bind(id.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_error)?;
                row.map(|r| {
                    Ok((
                        from_json(&get::<String>(&r, "document")?)?,
                        get(&r, "sealed_secret")?,
                    ))
                })
                .transpose()
            })
            .await
    }

    async fn list_clients(
        &self,
        pool: &PoolId,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<AppClient>> {
        let rows = sqlx::query(
            "SELECT document FROM app_clients WHERE pool_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(pool.as_str())
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut items = rows
            .iter()
            .map(|r| from_json::<AppClient>(&get::<String>(r, "document")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut items, limit, |c| c.id.to_string()))
    }

    async fn update_client(&self, client: &AppClient, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let updated =
                sqlx::query("UPDATE app_clients SET document = $3 WHERE id = $1 AND pool_id = $2")
                    .bind(client.id.as_str())
                    .bind(client.pool_id.as_str())
                    .bind(to_json(client)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?
                    .rows_affected();
            audit_if(&mut tx, updated > 0, audit).await
        }
        .await;
        let updated = finish(tx, result).await;
        self.clients.forget(&client.id);
        updated
    }

    async fn delete_client(&self, pool: &PoolId, id: &ClientId, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            sqlx::query("DELETE FROM sessions WHERE client_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let deleted = sqlx::query("DELETE FROM app_clients WHERE id = $1 AND pool_id = $2")
                .bind(id.as_str())
                .bind(pool.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        }
        .await;
        let deleted = finish(tx, result).await;
        self.clients.forget(id);
        deleted
    }
}

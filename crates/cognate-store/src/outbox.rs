//! The outbox of messages to users, bodies sealed.

use async_trait::async_trait;
use cognate_core::ids::{PoolId, Timestamp};
use cognate_core::model::OutboxMessage;
use cognate_core::store::OutboxStore;
use cognate_core::Result;

use crate::rows::{db_error, get};
use crate::SqlStore;

#[async_trait]
impl OutboxStore for SqlStore {
    async fn push_message(&self, message: &OutboxMessage, sealed_body: &[u8]) -> Result<i64> {
        let _w = self.write_lock().await;
        let row = sqlx::query(
            "INSERT INTO outbox (pool_id, username, destination, subject, sealed_body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(message.pool_id.as_str())
        .bind(message.username.as_str())
        .bind(message.destination.as_str())
        .bind(message.subject.as_str())
        .bind(sealed_body.to_vec())
        .bind(message.created.0)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        get(&row, "id")
    }

    async fn list_messages(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
    ) -> Result<Vec<(OutboxMessage, Vec<u8>)>> {
        let rows = sqlx::query(
            "SELECT id, pool_id, username, destination, subject, sealed_body, created_at FROM outbox \
             WHERE ($1 = '' OR pool_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(pool.map(PoolId::as_str).unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    OutboxMessage {
                        id: get(r, "id")?,
                        pool_id: PoolId::parse(&get::<String>(r, "pool_id")?)?,
                        username: get(r, "username")?,
                        destination: get(r, "destination")?,
                        subject: get(r, "subject")?,
                        body: String::new(),
                        created: Timestamp(get(r, "created_at")?),
                    },
                    get(r, "sealed_body")?,
                ))
            })
            .collect()
    }
}

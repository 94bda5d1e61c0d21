//! Server settings shared through the database.

use async_trait::async_trait;
use cognate_core::store::ServerStore;
use cognate_core::Result;

use crate::rows::{db_error, get};
use crate::SqlStore;

#[async_trait]
impl ServerStore for SqlStore {
    async fn master_key_check(&self, check: &str) -> Result<String> {
        let _w = self.write_lock().await;
        sqlx::query(
            "INSERT INTO server_settings (name, value) VALUES ('master_key_check', $1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(check)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        let row = sqlx::query("SELECT value FROM server_settings WHERE name = 'master_key_check'")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        get(&row, "value")
    }
}

//! Facts about the deployment that every server sharing the database must agree on.

use async_trait::async_trait;

use crate::error::Result;

#[async_trait]
pub trait ServerStore: Send + Sync {
    /// The master key's check value the database was first opened with: `check` itself when
    /// none was recorded yet (it is recorded then), else the one recorded, whoever wins a race.
    async fn master_key_check(&self, check: &str) -> Result<String>;
}

//! The outbox: messages the server would send users. Bodies arrive and leave sealed.

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::PoolId;
use crate::model::OutboxMessage;

#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn push_message(&self, message: &OutboxMessage, sealed_body: &[u8]) -> Result<i64>;
    /// The newest `limit` messages, of all pools or of one.
    async fn list_messages(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
    ) -> Result<Vec<(OutboxMessage, Vec<u8>)>>;
}

//! The audit log. Records are written by the other aggregates, in the transaction of the change
//! they record; this trait reads them, and records events that change nothing (a denied call)
//! on their own.

use async_trait::async_trait;

use crate::audit::AuditRecord;
use crate::error::Result;
use crate::ids::PoolId;

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// The audit log, newest first: all of it or one pool's, before the record `before`.
    async fn list_audit(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditRecord>>;
    /// Records an event that is not part of a change, such as a call the evaluator denied.
    async fn record_audit(&self, record: &AuditRecord) -> Result<()>;
}

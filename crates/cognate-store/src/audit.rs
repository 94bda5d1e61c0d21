//! The audit log: written inside each change's transaction, read newest first.

use async_trait::async_trait;
use cognate_core::audit::AuditRecord;
use cognate_core::ids::{PoolId, Timestamp};
use cognate_core::store::{Audit, AuditStore};
use cognate_core::Result;

use crate::rows::{db_error, from_json, get};
use crate::SqlStore;

/// Writes the audit record of a change, if it has one, in the change's transaction.
pub(crate) async fn write_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    audit: Audit<'_>,
) -> Result<()> {
    let Some(record) = audit else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO audit_log (at, actor, source, action, pool_id, target, details) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(record.at.0)
    .bind(record.actor.as_str())
    .bind(record.source.as_str())
    .bind(record.action.as_str())
    .bind(record.pool_id.as_ref().map(PoolId::as_str))
    .bind(record.target.as_str())
    .bind(record.details.to_string())
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Writes the audit record when the change took effect (`changed`), and passes `changed` on.
pub(crate) async fn audit_if(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    changed: bool,
    audit: Audit<'_>,
) -> Result<bool> {
    if changed {
        write_audit(tx, audit).await?;
    }
    Ok(changed)
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn record_audit(&self, record: &AuditRecord) -> Result<()> {
        crate::tx::write_tx!(self, |tx| write_audit(&mut tx, Some(record)).await)
    }

    async fn list_audit(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, source, action, pool_id, target, details FROM audit_log \
             WHERE ($1 = '' OR pool_id = $1) AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(pool.map(PoolId::as_str).unwrap_or(""))
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: get(r, "id")?,
                    at: Timestamp(get(r, "at")?),
                    actor: get(r, "actor")?,
                    source: get(r, "source")?,
                    action: get(r, "action")?,
                    pool_id: get::<Option<String>>(r, "pool_id")?
                        .map(|p| PoolId::parse(&p))
                        .transpose()?,
                    target: get(r, "target")?,
                    details: from_json(&get::<String>(r, "details")?)?,
                })
            })
            .collect()
    }
}

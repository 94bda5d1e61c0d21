//! Transactions: SQLite's one-writer lock and how a write ends.

use cognate_core::Result;

use crate::rows::db_error;
use crate::SqlStore;

impl SqlStore {
    /// Held for the duration of every write on SQLite.
    pub(crate) async fn write_lock(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        }
    }
}

/// Commits on success and rolls back on failure, both before the caller lets go of the SQLite
/// write lock: a transaction merely dropped keeps SQLite's write lock until the pool gets round
/// to rolling it back, and the next writer would fail with SQLITE_BUSY.
pub(crate) async fn finish<T>(
    tx: sqlx::Transaction<'_, sqlx::Any>,
    result: Result<T>,
) -> Result<T> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(db_error)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(e) = tx.rollback().await {
                tracing::warn!(error = %e, "rollback failed");
            }
            Err(error)
        }
    }
}

/// One write: takes SQLite's write lock, runs `$body` (an expression of type `Result<T>` that
/// uses `&mut *$tx`) in a transaction, and commits or rolls back with [`finish`].
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let _write = $store.write_lock().await;
        #[allow(unused_mut)]
        let mut $tx = $store.pool.begin().await.map_err($crate::rows::db_error)?;
        let result: cognate_core::Result<_> = async { $body }.await;
        $crate::tx::finish($tx, result).await
    }};
}
pub(crate) use write_tx;

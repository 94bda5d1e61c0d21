//! Object writes on SQLite, committed in groups. SQLite has one writer at a time, and each
//! statement is a round trip to the connection's thread; a small PUT's write was five of them
//! under the write lock, and those waits, not work, held small PUTs to about 2,000 a second
//! (BENCHMARKS.md). So a write joins a queue, and whoever holds the write lock next runs every
//! queued write in one transaction, as one multi-statement query: three round trips for the
//! whole group. Each write's statements only touch the object when its own upsert wrote it
//! (the row carries the write's id in its document), so a refused write (`If-None-Match: *`, a
//! missing bucket) changes nothing and the rest of the group still commits.

use std::fmt::Write as _;

use cognate_core::storage::{BlobId, StoredObject, WriteCondition};
use cognate_core::store::ObjectWrite;
use cognate_core::{Error, Result};
use sqlx::{AnyPool, Row as _};
use tokio::sync::oneshot;

use crate::buckets::{object_document, stored_blob, upsert_clause};
use crate::rows::db_error;
use crate::tx::finish;

/// Writes with more segments than this (copies of large multipart objects) are written alone:
/// a group's statements carry every segment, and SQLite limits a statement's terms.
pub(crate) const GROUPED_SEGMENTS_MAX: usize = 16;
/// The most writes one transaction of a group holds (SQLite limits a query's parameters).
const WRITES_PER_TRANSACTION: usize = 100;

/// Writes waiting for the write lock.
#[derive(Default)]
pub(crate) struct WriteQueue(std::sync::Mutex<Vec<QueuedWrite>>);

struct QueuedWrite {
    object: StoredObject,
    condition: WriteCondition,
    done: oneshot::Sender<Result<ObjectWrite>>,
}

impl WriteQueue {
    fn push(&self, write: QueuedWrite) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(write);
    }

    fn take(&self) -> Vec<QueuedWrite> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl crate::SqlStore {
    /// Writes `object` with the group that the next holder of the write lock commits.
    pub(crate) async fn put_object_in_group(
        &self,
        object: &StoredObject,
        condition: WriteCondition,
    ) -> Result<ObjectWrite> {
        let (done, answer) = oneshot::channel();
        self.object_writes.push(QueuedWrite {
            object: object.clone(),
            condition,
            done,
        });
        let lock = self.write_lock().await;
        let group = self.object_writes.take();
        if !group.is_empty() {
            // Run to the end even if this caller goes away: the others wait for its answers,
            // and the lock is let go only once the transaction has ended.
            let pool = self.pool.clone();
            let _ = tokio::spawn(async move {
                let _lock = lock;
                let mut group = group;
                while !group.is_empty() {
                    let rest = group.split_off(group.len().min(WRITES_PER_TRANSACTION));
                    commit_group(&pool, group).await;
                    group = rest;
                }
            })
            .await;
        }
        answer
            .await
            .map_err(|_| Error::internal("an object write's group ended without an answer"))?
    }
}

async fn commit_group(pool: &AnyPool, group: Vec<QueuedWrite>) {
    match write_group(pool, &group).await {
        Ok(outcomes) => {
            for (write, outcome) in group.into_iter().zip(outcomes) {
                let _ = write.done.send(Ok(outcome));
            }
        }
        Err(error) => {
            for write in group {
                let _ = write.done.send(Err(error.clone()));
            }
        }
    }
}

/// One transaction for the whole group; the outcome of each write, in order.
async fn write_group(pool: &AnyPool, group: &[QueuedWrite]) -> Result<Vec<ObjectWrite>> {
    let mut sql = String::new();
    let mut documents = Vec::with_capacity(group.len());
    let mut next = 0usize;
    let mut param = || {
        next += 1;
        format!("${next}")
    };
    for (i, write) in group.iter().enumerate() {
        let [bucket, key, size, etag, modified, document] = std::array::from_fn(|_| param());
        let ours = format!(
            "EXISTS (SELECT 1 FROM objects WHERE bucket = {bucket} AND object_key = {key} AND document = {document})"
        );
        let _ = write!(
            sql,
            "INSERT INTO objects (bucket, object_key, size, etag, modified_at, document) \
             SELECT {bucket}, {key}, {size}, {etag}, {modified}, {document} \
             WHERE EXISTS (SELECT 1 FROM buckets WHERE name = {bucket}) \
             ON CONFLICT (bucket, object_key) {}; \
             DELETE FROM object_segments WHERE bucket = {bucket} AND object_key = {key} AND {ours} \
             RETURNING blob AS released, {i} AS write_no; ",
            upsert_clause(write.condition)
        );
        if !write.object.segments.is_empty() {
            let rows: Vec<String> = (0..write.object.segments.len())
                .map(|seq| {
                    let (blob, size) = (param(), param());
                    format!("SELECT {bucket}, {key}, {seq}, {blob}, {size} WHERE {ours}")
                })
                .collect();
            let _ = write!(
                sql,
                "INSERT INTO object_segments (bucket, object_key, seq, blob, size) {}; ",
                rows.join(" UNION ALL ")
            );
        }
        let _ = write!(
            sql,
            "SELECT {i} AS written FROM objects WHERE bucket = {bucket} AND object_key = {key} AND document = {document}; \
             SELECT {i} AS bucket_found FROM buckets WHERE name = {bucket}; "
        );
        documents.push(object_document(&write.object)?);
    }
    let mut query = sqlx::query(&sql);
    for (write, document) in group.iter().zip(&documents) {
        let object = &write.object;
        query = query
            .bind(object.bucket.as_str())
            .bind(object.key.as_str())
            .bind(object.size as i64)
            .bind(&object.etag)
            .bind(object.last_modified.0)
            .bind(document);
        for segment in &object.segments {
            query = query.bind(segment.blob.as_str()).bind(segment.size as i64);
        }
    }
    let mut tx = pool.begin().await.map_err(db_error)?;
    let rows = query.fetch_all(&mut *tx).await.map_err(db_error);
    let rows = finish(tx, rows).await?;

    let mut released: Vec<Vec<BlobId>> = vec![Vec::new(); group.len()];
    let mut written = vec![false; group.len()];
    let mut bucket_found = vec![false; group.len()];
    let index = |row: &sqlx::any::AnyRow, column: &str| -> Result<Option<usize>> {
        match row.try_get::<i64, _>(column) {
            Ok(i) => Ok(Some(i as usize)),
            Err(sqlx::Error::ColumnNotFound(_)) => Ok(None),
            Err(e) => Err(db_error(e)),
        }
    };
    for row in &rows {
        if let Some(i) = index(row, "write_no")? {
            released[i].push(stored_blob(row.try_get("released").map_err(db_error)?)?);
        } else if let Some(i) = index(row, "written")? {
            written[i] = true;
        } else if let Some(i) = index(row, "bucket_found")? {
            bucket_found[i] = true;
        }
    }
    Ok((0..group.len())
        .map(|i| match (written[i], bucket_found[i]) {
            (true, _) => ObjectWrite::Stored {
                released: std::mem::take(&mut released[i]),
            },
            (false, true) => ObjectWrite::ConditionFailed,
            (false, false) => ObjectWrite::NoSuchBucket,
        })
        .collect())
}

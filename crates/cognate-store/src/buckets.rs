//! Storage's metadata: buckets (settings as one JSON document), objects with their segments
//! (the blobs holding their bytes, in order), multipart uploads and their parts.

use std::ops::Bound;

use async_trait::async_trait;
use cognate_core::ids::Timestamp;
use cognate_core::storage::{
    BlobId, Bucket, BucketName, Checksum, CorsRule, ObjectHeaders, ObjectKey, Part, Segment,
    StoredObject, Upload, UploadId, WriteCondition,
};
use cognate_core::store::{BucketDeletion, BucketStore, ObjectWrite};
use cognate_core::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::rows::{db_error, from_json, get, is_unique_violation, to_json};
use crate::tx::write_tx;
use crate::SqlStore;

/// A bucket's settings.
#[derive(Serialize, Deserialize)]
struct BucketDocument {
    cors: Option<Vec<CorsRule>>,
    policy: Option<String>,
    tags: Vec<(String, String)>,
}

/// What an object row holds besides its columns.
#[derive(Serialize, Deserialize)]
struct ObjectDocument {
    headers: ObjectHeaders,
    checksum: Option<Checksum>,
    tags: Vec<(String, String)>,
    /// Unique to the write that stored the row, so that a write's later statements can tell
    /// whether its upsert is the one there (`object_writes`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    write_id: String,
}

/// The document of an object row as a new write stores it.
pub(crate) fn object_document(object: &StoredObject) -> Result<String> {
    to_json(&ObjectDocument {
        headers: object.headers.clone(),
        checksum: object.checksum.clone(),
        tags: object.tags.clone(),
        write_id: BlobId::generate().as_str().to_owned(),
    })
}

/// What an object upsert does when the key holds an object already.
pub(crate) fn upsert_clause(condition: WriteCondition) -> &'static str {
    match condition {
        WriteCondition::IfAbsent => "DO NOTHING",
        WriteCondition::Always => {
            "DO UPDATE SET size = excluded.size, etag = excluded.etag, \
             modified_at = excluded.modified_at, document = excluded.document"
        }
    }
}

#[derive(Serialize, Deserialize)]
struct UploadDocument {
    headers: ObjectHeaders,
    checksum_algorithm: Option<String>,
    tags: Vec<(String, String)>,
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

pub(crate) fn stored_blob(raw: String) -> Result<BlobId> {
    BlobId::parse(&raw)
        .ok_or_else(|| Error::internal(format!("a stored blob id is malformed: {raw}")))
}

fn bucket_from_row(row: &AnyRow) -> Result<Bucket> {
    let document: BucketDocument = from_json(&get::<String>(row, "document")?)?;
    Ok(Bucket {
        name: BucketName::parse(&get::<String>(row, "name")?)?,
        created: Timestamp(get(row, "created_at")?),
        cors: document.cors,
        policy: document.policy,
        tags: document.tags,
    })
}

fn object_from_row(row: &AnyRow, segments: Vec<Segment>) -> Result<StoredObject> {
    let document: ObjectDocument = from_json(&get::<String>(row, "document")?)?;
    Ok(StoredObject {
        bucket: BucketName::parse(&get::<String>(row, "bucket")?)?,
        key: ObjectKey::parse(&get::<String>(row, "object_key")?)?,
        size: get::<i64>(row, "size")? as u64,
        etag: get(row, "etag")?,
        last_modified: Timestamp(get(row, "modified_at")?),
        headers: document.headers,
        checksum: document.checksum,
        tags: document.tags,
        segments,
    })
}

fn upload_from_row(row: &AnyRow) -> Result<Upload> {
    let document: UploadDocument = from_json(&get::<String>(row, "document")?)?;
    Ok(Upload {
        id: UploadId::parse(&get::<String>(row, "id")?)
            .ok_or_else(|| Error::internal("a stored upload id is malformed"))?,
        bucket: BucketName::parse(&get::<String>(row, "bucket")?)?,
        key: ObjectKey::parse(&get::<String>(row, "object_key")?)?,
        owner: get(row, "owner")?,
        initiated: Timestamp(get(row, "initiated_at")?),
        headers: document.headers,
        checksum_algorithm: document.checksum_algorithm,
        tags: document.tags,
    })
}

fn part_from_row(row: &AnyRow) -> Result<Part> {
    let checksum: Option<String> = get(row, "checksum")?;
    Ok(Part {
        number: get::<i64>(row, "number")? as u32,
        blob: stored_blob(get(row, "blob")?)?,
        size: get::<i64>(row, "size")? as u64,
        etag: get(row, "etag")?,
        last_modified: Timestamp(get(row, "modified_at")?),
        checksum: checksum.map(|c| from_json(&c)).transpose()?,
    })
}

/// Whether `sql` (a `SELECT 1 AS one … WHERE … = $1`) finds a row for `key` in `tx`.
async fn exists(tx: &mut Tx<'_>, sql: &str, key: &str) -> Result<bool> {
    Ok(sqlx::query(sql)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?
        .is_some())
}

const BUCKET_EXISTS: &str = "SELECT 1 AS one FROM buckets WHERE name = $1";
const UPLOAD_EXISTS: &str = "SELECT 1 AS one FROM uploads WHERE id = $1";

impl SqlStore {
    async fn segments_of<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        bucket: &str,
        key: &str,
    ) -> Result<Vec<Segment>> {
        let rows = sqlx::query(
            "SELECT blob, size FROM object_segments WHERE bucket = $1 AND object_key = $2 ORDER BY seq",
        )
        .bind(bucket)
        .bind(key)
        .fetch_all(executor)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(Segment {
                    blob: stored_blob(get(r, "blob")?)?,
                    size: get::<i64>(r, "size")? as u64,
                })
            })
            .collect()
    }

    /// Replaces the object under its key in `tx`, unless `condition` forbids it.
    async fn write_object(
        tx: &mut Tx<'_>,
        object: &StoredObject,
        condition: WriteCondition,
    ) -> Result<ObjectWrite> {
        let bucket = object.bucket.as_str();
        let key = object.key.as_str();
        let document = object_document(object)?;
        // The upsert takes the row's lock first, so concurrent writers of one key queue up and
        // each releases exactly the segments it replaced. It writes nothing into a missing
        // bucket; which of the two stopped it is asked only then (small writes are statements,
        // and each costs).
        let on_conflict = upsert_clause(condition);
        let written = sqlx::query(&format!(
            "INSERT INTO objects (bucket, object_key, size, etag, modified_at, document) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM buckets WHERE name = $1) \
             ON CONFLICT (bucket, object_key) {on_conflict}"
        ))
        .bind(bucket)
        .bind(key)
        .bind(object.size as i64)
        .bind(&object.etag)
        .bind(object.last_modified.0)
        .bind(document)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
        if written.rows_affected() == 0 {
            return Ok(if exists(tx, BUCKET_EXISTS, bucket).await? {
                ObjectWrite::ConditionFailed
            } else {
                ObjectWrite::NoSuchBucket
            });
        }
        let released = sqlx::query(
            "DELETE FROM object_segments WHERE bucket = $1 AND object_key = $2 RETURNING blob",
        )
        .bind(bucket)
        .bind(key)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| stored_blob(get(row, "blob")?))
        .collect::<Result<Vec<_>>>()?;
        for (seq, segment) in object.segments.iter().enumerate() {
            sqlx::query(
                "INSERT INTO object_segments (bucket, object_key, seq, blob, size) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(bucket)
            .bind(key)
            .bind(seq as i64)
            .bind(segment.blob.as_str())
            .bind(segment.size as i64)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Ok(ObjectWrite::Stored { released })
    }

    async fn part_blobs(tx: &mut Tx<'_>, upload: &str) -> Result<Vec<BlobId>> {
        let rows = sqlx::query("SELECT blob FROM upload_parts WHERE upload_id = $1")
            .bind(upload)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?;
        rows.iter().map(|r| stored_blob(get(r, "blob")?)).collect()
    }
}

#[async_trait]
impl BucketStore for SqlStore {
    async fn insert_bucket(&self, bucket: &Bucket) -> Result<bool> {
        let document = BucketDocument {
            cors: bucket.cors.clone(),
            policy: bucket.policy.clone(),
            tags: bucket.tags.clone(),
        };
        write_tx!(self, |tx| {
            let inserted =
                sqlx::query("INSERT INTO buckets (name, created_at, document) VALUES ($1, $2, $3)")
                    .bind(bucket.name.as_str())
                    .bind(bucket.created.0)
                    .bind(to_json(&document)?)
                    .execute(&mut *tx)
                    .await;
            match inserted {
                Ok(_) => Ok(true),
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(db_error(e)),
            }
        })
    }

    async fn get_bucket(&self, name: &BucketName) -> Result<Option<Bucket>> {
        sqlx::query("SELECT name, created_at, document FROM buckets WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?
            .map(|row| bucket_from_row(&row))
            .transpose()
    }

    async fn list_buckets(&self) -> Result<Vec<Bucket>> {
        sqlx::query("SELECT name, created_at, document FROM buckets ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?
            .iter()
            .map(bucket_from_row)
            .collect()
    }

    async fn update_bucket(&self, bucket: &Bucket) -> Result<bool> {
        let document = BucketDocument {
            cors: bucket.cors.clone(),
            policy: bucket.policy.clone(),
            tags: bucket.tags.clone(),
        };
        write_tx!(self, |tx| {
            let updated = sqlx::query("UPDATE buckets SET document = $1 WHERE name = $2")
                .bind(to_json(&document)?)
                .bind(bucket.name.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            Ok(updated.rows_affected() > 0)
        })
    }

    async fn delete_bucket(&self, name: &BucketName) -> Result<BucketDeletion> {
        write_tx!(self, |tx| {
            let object = sqlx::query("SELECT 1 AS one FROM objects WHERE bucket = $1 LIMIT 1")
                .bind(name.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
            if object.is_some() {
                return Ok(BucketDeletion::NotEmpty);
            }
            let rows = sqlx::query(
                "SELECT p.blob AS blob FROM upload_parts p JOIN uploads u ON u.id = p.upload_id WHERE u.bucket = $1",
            )
            .bind(name.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
            let released = rows
                .iter()
                .map(|r| stored_blob(get(r, "blob")?))
                .collect::<Result<Vec<_>>>()?;
            sqlx::query("DELETE FROM uploads WHERE bucket = $1")
                .bind(name.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let deleted = sqlx::query("DELETE FROM buckets WHERE name = $1")
                .bind(name.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            Ok(if deleted.rows_affected() == 0 {
                BucketDeletion::NotFound
            } else {
                BucketDeletion::Deleted(released)
            })
        })
    }

    async fn put_object(
        &self,
        object: &StoredObject,
        condition: WriteCondition,
    ) -> Result<ObjectWrite> {
        if self.writer.is_some()
            && object.segments.len() <= crate::object_writes::GROUPED_SEGMENTS_MAX
        {
            return self.put_object_in_group(object, condition).await;
        }
        write_tx!(self, |tx| Self::write_object(&mut tx, object, condition)
            .await)
    }

    async fn get_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<StoredObject>> {
        let row = sqlx::query(
            "SELECT bucket, object_key, size, etag, modified_at, document FROM objects WHERE bucket = $1 AND object_key = $2",
        )
        .bind(bucket.as_str())
        .bind(key.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let segments = Self::segments_of(&self.pool, bucket.as_str(), key.as_str()).await?;
        object_from_row(&row, segments).map(Some)
    }

    async fn delete_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<Vec<BlobId>>> {
        write_tx!(self, |tx| {
            let released: Vec<BlobId> = Self::segments_of(&mut *tx, bucket.as_str(), key.as_str())
                .await?
                .into_iter()
                .map(|s| s.blob)
                .collect();
            let deleted = sqlx::query("DELETE FROM objects WHERE bucket = $1 AND object_key = $2")
                .bind(bucket.as_str())
                .bind(key.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            Ok((deleted.rows_affected() > 0).then_some(released))
        })
    }

    async fn list_objects(
        &self,
        bucket: &BucketName,
        prefix: &str,
        start: Bound<&str>,
        limit: u32,
    ) -> Result<Vec<StoredObject>> {
        // Keys with the prefix are one run in byte order, from the prefix itself on: the
        // range keeps the scan on the index, the comparison ends it.
        let (from, inclusive) = match start {
            Bound::Included(s) if s >= prefix => (s, true),
            Bound::Excluded(s) if s >= prefix => (s, false),
            _ => (prefix, true),
        };
        let sql = format!(
            "SELECT bucket, object_key, size, etag, modified_at, document FROM objects \
             WHERE bucket = $1 AND object_key {} $2 ORDER BY object_key LIMIT $3",
            if inclusive { ">=" } else { ">" }
        );
        let rows = sqlx::query(&sql)
            .bind(bucket.as_str())
            .bind(from)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut objects = Vec::with_capacity(rows.len());
        for row in &rows {
            let object = object_from_row(row, Vec::new())?;
            if !object.key.as_str().starts_with(prefix) {
                break;
            }
            objects.push(object);
        }
        Ok(objects)
    }

    async fn set_object_tags(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        tags: &[(String, String)],
    ) -> Result<bool> {
        write_tx!(self, |tx| {
            let row = sqlx::query(
                "SELECT bucket, object_key, size, etag, modified_at, document FROM objects WHERE bucket = $1 AND object_key = $2",
            )
            .bind(bucket.as_str())
            .bind(key.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
            let Some(row) = row else {
                return Ok(false);
            };
            let mut document: ObjectDocument = from_json(&get::<String>(&row, "document")?)?;
            document.tags = tags.to_vec();
            sqlx::query("UPDATE objects SET document = $1 WHERE bucket = $2 AND object_key = $3")
                .bind(to_json(&document)?)
                .bind(bucket.as_str())
                .bind(key.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            Ok(true)
        })
    }

    async fn insert_upload(&self, upload: &Upload) -> Result<bool> {
        let document = UploadDocument {
            headers: upload.headers.clone(),
            checksum_algorithm: upload.checksum_algorithm.clone(),
            tags: upload.tags.clone(),
        };
        write_tx!(self, |tx| {
            if !exists(&mut tx, BUCKET_EXISTS, upload.bucket.as_str()).await? {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO uploads (id, bucket, object_key, owner, initiated_at, document) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(upload.id.as_str())
            .bind(upload.bucket.as_str())
            .bind(upload.key.as_str())
            .bind(&upload.owner)
            .bind(upload.initiated.0)
            .bind(to_json(&document)?)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            Ok(true)
        })
    }

    async fn get_upload(&self, id: &UploadId) -> Result<Option<Upload>> {
        sqlx::query(
            "SELECT id, bucket, object_key, owner, initiated_at, document FROM uploads WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .map(|row| upload_from_row(&row))
        .transpose()
    }

    async fn put_part(&self, upload: &UploadId, part: &Part) -> Result<Option<Option<BlobId>>> {
        write_tx!(self, |tx| {
            if !exists(&mut tx, UPLOAD_EXISTS, upload.as_str()).await? {
                return Ok(None);
            }
            let replaced =
                sqlx::query("SELECT blob FROM upload_parts WHERE upload_id = $1 AND number = $2")
                    .bind(upload.as_str())
                    .bind(i64::from(part.number))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error)?
                    .map(|r| stored_blob(get(&r, "blob")?))
                    .transpose()?;
            sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 AND number = $2")
                .bind(upload.as_str())
                .bind(i64::from(part.number))
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let checksum = part.checksum.as_ref().map(to_json).transpose()?;
            sqlx::query(
                "INSERT INTO upload_parts (upload_id, number, blob, size, etag, modified_at, checksum) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(upload.as_str())
            .bind(i64::from(part.number))
            .bind(part.blob.as_str())
            .bind(part.size as i64)
            .bind(&part.etag)
            .bind(part.last_modified.0)
            .bind(checksum)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            Ok(Some(replaced))
        })
    }

    async fn list_parts(&self, upload: &UploadId, after: u32, limit: u32) -> Result<Vec<Part>> {
        sqlx::query(
            "SELECT number, blob, size, etag, modified_at, checksum FROM upload_parts WHERE upload_id = $1 AND number > $2 ORDER BY number LIMIT $3",
        )
        .bind(upload.as_str())
        .bind(i64::from(after))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?
        .iter()
        .map(part_from_row)
        .collect()
    }

    async fn list_uploads(
        &self,
        bucket: &BucketName,
        prefix: &str,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<Upload>> {
        let (key, id) = after.unwrap_or(("", ""));
        let rows = sqlx::query(
            "SELECT id, bucket, object_key, owner, initiated_at, document FROM uploads \
             WHERE bucket = $1 AND object_key >= $4 AND (object_key > $2 OR (object_key = $2 AND id > $3)) \
             ORDER BY object_key, id LIMIT $5",
        )
        .bind(bucket.as_str())
        .bind(key)
        .bind(id)
        .bind(prefix)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut uploads = Vec::with_capacity(rows.len());
        for row in &rows {
            let upload = upload_from_row(row)?;
            if !upload.key.as_str().starts_with(prefix) {
                break;
            }
            uploads.push(upload);
        }
        Ok(uploads)
    }

    async fn complete_upload(
        &self,
        upload: &UploadId,
        object: &StoredObject,
        condition: WriteCondition,
    ) -> Result<ObjectWrite> {
        write_tx!(self, |tx| {
            if !exists(&mut tx, UPLOAD_EXISTS, upload.as_str()).await? {
                return Ok(ObjectWrite::NoSuchUpload);
            }
            let used: Vec<&BlobId> = object.segments.iter().map(|s| &s.blob).collect();
            let unused: Vec<BlobId> = Self::part_blobs(&mut tx, upload.as_str())
                .await?
                .into_iter()
                .filter(|b| !used.contains(&b))
                .collect();
            let written = Self::write_object(&mut tx, object, condition).await?;
            let ObjectWrite::Stored { mut released } = written else {
                return Ok(written);
            };
            sqlx::query("DELETE FROM uploads WHERE id = $1")
                .bind(upload.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            released.extend(unused);
            Ok(ObjectWrite::Stored { released })
        })
    }

    async fn delete_upload(&self, upload: &UploadId) -> Result<Option<Vec<BlobId>>> {
        write_tx!(self, |tx| {
            let blobs = Self::part_blobs(&mut tx, upload.as_str()).await?;
            let deleted = sqlx::query("DELETE FROM uploads WHERE id = $1")
                .bind(upload.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            Ok((deleted.rows_affected() > 0).then_some(blobs))
        })
    }

    async fn blob_in_use(&self, blob: &BlobId) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM object_segments WHERE blob = $1 \
             UNION ALL SELECT 1 AS one FROM upload_parts WHERE blob = $1 LIMIT 1",
        )
        .bind(blob.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.is_some())
    }
}

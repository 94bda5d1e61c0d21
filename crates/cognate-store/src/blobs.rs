//! Objects' bytes, behind the `object_store` crate: a directory by default, or any backend it
//! speaks by URL (`s3://bucket/prefix` for S3-compatible clusters such as MinIO, Ceph or
//! Garage, `gs://`, `az://`), configured from the backend's usual environment variables
//! (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME` …).
//! Blobs are named `blobs/<2 hex>/<id>`: by id, never by a user's key.

use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use cognate_core::storage::BlobId;
use cognate_core::store::{BlobStore, ByteStream};
use cognate_core::{Error, Result};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};

/// Bodies up to this size are written in one request; larger ones as a multipart upload of
/// parts this size (the remote backends' minimum part is 5 MiB).
const CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// The same for the local directory, which has no minimum: each body in flight holds up to
/// `PARTS_IN_FLIGHT` of these in memory, and an upload's parts are often in flight ten at a
/// time (the AWS CLI's default).
const LOCAL_CHUNK_BYTES: usize = 1024 * 1024;
/// Parts of one blob in flight to the backend at once.
const PARTS_IN_FLIGHT: usize = 4;
const ROOT: &str = "blobs";

pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// What `describe` says, without credentials.
    location: String,
    /// See [`CHUNK_BYTES`].
    chunk_bytes: usize,
    /// The directory of a local store, whose staging files (`<blob>#<n>`) a killed process
    /// leaves behind.
    local_dir: Option<std::path::PathBuf>,
}

fn blob_error(context: &'static str) -> impl FnOnce(object_store::Error) -> Error {
    Error::caused_by(context)
}

/// A body's own error (a client that went away, a size limit, a digest) is the request's
/// answer; anything else is the blob store's fault.
fn body_error(e: std::io::Error) -> Error {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
        Some(domain) => domain.clone(),
        None => Error::caused_by("reading a request body")(e),
    }
}

impl Blobs {
    /// Blobs in a directory (created if missing).
    pub fn local(dir: &FsPath) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(Error::caused_by("creating the blob directory"))?;
        // Without automatic cleanup: it tried to remove a blob's (shared, two-hex) directory
        // after every delete, and the next write in it made it again.
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(blob_error("opening the blob directory"))?;
        Ok(Blobs {
            store: Arc::new(store),
            location: dir.display().to_string(),
            chunk_bytes: LOCAL_CHUNK_BYTES,
            local_dir: Some(dir.to_path_buf()),
        })
    }

    /// Blobs in the backend `url` names: `s3://`, `gs://`, `az://` (or `abfs://`), or
    /// `file:///dir`.
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or_default();
        let invalid = |e: object_store::Error| {
            Error::invalid(format!("the blob store URL {url} cannot be used: {e}"))
        };
        let store: Arc<dyn ObjectStore> = match scheme {
            "s3" | "s3a" => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(invalid)?,
            ),
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(invalid)?,
            ),
            "az" | "abfs" | "abfss" | "azure" => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(invalid)?,
            ),
            "file" => return Self::local(FsPath::new(&url["file://".len()..])),
            _ => {
                return Err(Error::invalid(format!(
                    "the blob store URL {url} names no backend cognate knows: use s3://, gs://, az:// or file://"
                )))
            }
        };
        Ok(Blobs {
            store,
            location: url.to_owned(),
            chunk_bytes: CHUNK_BYTES,
            local_dir: None,
        })
    }

    /// Where the blobs are, for the log.
    pub fn describe(&self) -> &str {
        &self.location
    }

    fn path(id: &BlobId) -> Path {
        let id = id.as_str();
        Path::from(format!("{ROOT}/{}/{id}", &id[..2]))
    }
}

#[async_trait]
impl BlobStore for Blobs {
    async fn write(&self, id: &BlobId, mut body: ByteStream) -> Result<u64> {
        let path = Self::path(id);
        let mut size = 0u64;
        let mut first = Vec::new();
        let mut buffered = 0usize;
        while buffered < self.chunk_bytes {
            match body.next().await {
                Some(chunk) => {
                    let chunk = chunk.map_err(body_error)?;
                    buffered += chunk.len();
                    first.push(chunk);
                }
                None => {
                    self.store
                        .put(&path, PutPayload::from_iter(first))
                        .await
                        .map_err(blob_error("writing a blob"))?;
                    return Ok(buffered as u64);
                }
            }
        }
        // Larger than one chunk: a multipart upload, which the backend (or the local store's
        // staging file and rename) makes visible only when complete.
        let upload = self
            .store
            .put_multipart(&path)
            .await
            .map_err(blob_error("starting a blob upload"))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.chunk_bytes);
        for chunk in first {
            size += chunk.len() as u64;
            writer.put(chunk);
        }
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(body_error(e));
                }
            };
            size += chunk.len() as u64;
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                return Err(blob_error("writing a blob")(e));
            }
            writer.put(chunk);
        }
        writer
            .finish()
            .await
            .map_err(blob_error("finishing a blob"))?;
        Ok(size)
    }

    async fn read(&self, id: &BlobId, range: Option<Range<u64>>) -> Result<ByteStream> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&Self::path(id), options)
            .await
            .map_err(blob_error("reading a blob"))?;
        Ok(result.into_stream().map_err(std::io::Error::other).boxed())
    }

    async fn copy(&self, from: &BlobId, to: &BlobId) -> Result<()> {
        self.store
            .copy(&Self::path(from), &Self::path(to))
            .await
            .map_err(blob_error("copying a blob"))
    }

    async fn delete(&self, id: &BlobId) -> Result<()> {
        match self.store.delete(&Self::path(id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(blob_error("deleting a blob")(e)),
        }
    }

    async fn older_than(&self, age: Duration) -> Result<Vec<BlobId>> {
        // Compared at the store's own precision: a cutoff cut to whole milliseconds made a blob
        // written earlier in that millisecond look younger than it is.
        let cutoff = SystemTime::now().checked_sub(age).unwrap_or(UNIX_EPOCH);
        let mut listing = self.store.list(Some(&Path::from(ROOT)));
        let mut old = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(blob_error("listing blobs"))?;
            if SystemTime::from(meta.last_modified) >= cutoff {
                continue;
            }
            if let Some(id) = meta.location.filename().and_then(BlobId::parse) {
                old.push(id);
            }
        }
        Ok(old)
    }

    async fn sweep_partial_writes(&self, age: Duration) -> Result<usize> {
        let Some(dir) = self.local_dir.clone() else {
            return Ok(0);
        };
        tokio::task::spawn_blocking(move || sweep_staging(&dir.join(ROOT), age))
            .await
            .map_err(Error::caused_by("sweeping staging files"))?
            .map_err(Error::caused_by("sweeping staging files"))
    }
}

/// The local store's staging files under `dir` older than `age`, deleted; how many.
fn sweep_staging(dir: &FsPath, age: Duration) -> std::io::Result<usize> {
    let mut swept = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let meta = entry.metadata()?;
        if meta.is_dir() {
            swept += sweep_staging(&path, age)?;
            continue;
        }
        let staged = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains('#'));
        let old = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|elapsed| elapsed >= age);
        if staged && old {
            std::fs::remove_file(&path)?;
            swept += 1;
        }
    }
    Ok(swept)
}

/// A body from bytes in memory (tests, small copies).
pub fn body_of(bytes: Bytes) -> ByteStream {
    futures::stream::once(async move { Ok(bytes) }).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_blob_is_written_read_by_range_copied_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local(dir.path()).unwrap();
        let id = BlobId::generate();
        let size = blobs
            .write(&id, body_of(Bytes::from_static(b"hello blobs")))
            .await
            .unwrap();
        assert_eq!(size, 11);
        let read = |range| {
            let blobs = &blobs;
            let id = id.clone();
            async move {
                let chunks: Vec<Bytes> = blobs
                    .read(&id, range)
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                chunks.concat()
            }
        };
        assert_eq!(read(None).await, b"hello blobs");
        assert_eq!(read(Some(6..11)).await, b"blobs");
        let copy = BlobId::generate();
        blobs.copy(&id, &copy).await.unwrap();
        blobs.delete(&id).await.unwrap();
        blobs.delete(&id).await.unwrap();
        assert!(blobs.read(&id, None).await.is_err());
        assert_eq!(blobs.older_than(Duration::ZERO).await.unwrap(), vec![copy]);
    }

    #[tokio::test]
    async fn staging_files_a_killed_process_left_are_swept_once_old() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local(dir.path()).unwrap();
        let staged = dir
            .path()
            .join("blobs/ab/ab000000000000000000000000000000#1");
        std::fs::create_dir_all(staged.parent().unwrap()).unwrap();
        std::fs::write(&staged, b"half an upload").unwrap();
        assert_eq!(
            blobs
                .sweep_partial_writes(Duration::from_secs(3600))
                .await
                .unwrap(),
            0
        );
        assert!(staged.exists());
        assert_eq!(blobs.sweep_partial_writes(Duration::ZERO).await.unwrap(), 1);
        assert!(!staged.exists());
    }
}

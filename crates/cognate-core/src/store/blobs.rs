//! Where objects' bytes live: blobs, written once under a fresh id, read whole or by range,
//! deleted when no object holds them. Implemented over `object_store` in `cognate-store`.

use std::ops::Range;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::Result;
use crate::storage::BlobId;

/// A body on its way in or out.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Writes `body` under `id`. Nothing is visible under `id` until the whole body is written:
    /// a failed or interrupted write leaves no blob (or an orphan that is never read).
    /// Returns the number of bytes written.
    async fn write(&self, id: &BlobId, body: ByteStream) -> Result<u64>;
    /// The blob's bytes, or those in `range`.
    async fn read(&self, id: &BlobId, range: Option<Range<u64>>) -> Result<ByteStream>;
    /// A copy of `from` under `to`.
    async fn copy(&self, from: &BlobId, to: &BlobId) -> Result<()>;
    /// Deleting a blob that is not there succeeds.
    async fn delete(&self, id: &BlobId) -> Result<()>;
    /// Blobs written longer ago than `age`.
    async fn older_than(&self, age: Duration) -> Result<Vec<BlobId>>;
    /// Deletes what writes cut off longer ago than `age` left behind, which no reader ever
    /// sees (the local store's staging files of a killed process); how many. Cloud backends
    /// keep incomplete uploads out of sight themselves and expire them by their lifecycle
    /// rules.
    async fn sweep_partial_writes(&self, age: Duration) -> Result<usize>;
}

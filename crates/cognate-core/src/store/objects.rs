//! Buckets, object metadata, multipart uploads and their parts. Bytes are not here: rows name
//! the blobs that hold them, and every method that lets go of a blob returns its id for the
//! caller to delete once the change is committed.

use std::ops::Bound;

use async_trait::async_trait;

use crate::error::Result;
use crate::storage::{
    BlobId, Bucket, BucketName, ObjectKey, Part, StoredObject, Upload, UploadId, WriteCondition,
};

/// What [`BucketStore::delete_bucket`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketDeletion {
    NotFound,
    NotEmpty,
    /// Deleted, with the blobs of the uploads it still had.
    Deleted(Vec<BlobId>),
}

/// What a write of an object did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectWrite {
    NoSuchBucket,
    /// `If-None-Match: *` and an object is there.
    ConditionFailed,
    /// Multipart completion of an upload that is gone.
    NoSuchUpload,
    /// Stored; the blobs no longer used (the replaced object's, unused parts').
    Stored {
        released: Vec<BlobId>,
    },
}

#[async_trait]
pub trait BucketStore: Send + Sync {
    /// False when a bucket of that name exists.
    async fn insert_bucket(&self, bucket: &Bucket) -> Result<bool>;
    async fn get_bucket(&self, name: &BucketName) -> Result<Option<Bucket>>;
    async fn list_buckets(&self) -> Result<Vec<Bucket>>;
    /// Replaces the bucket's settings (CORS, policy, tags); false when there is no bucket.
    async fn update_bucket(&self, bucket: &Bucket) -> Result<bool>;
    /// Deletes an empty bucket and the uploads left in it.
    async fn delete_bucket(&self, name: &BucketName) -> Result<BucketDeletion>;

    /// Stores `object` under its key, replacing what is there unless `condition` forbids it.
    async fn put_object(
        &self,
        object: &StoredObject,
        condition: WriteCondition,
    ) -> Result<ObjectWrite>;
    async fn get_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<StoredObject>>;
    /// The deleted object's blobs; `None` when there was none.
    async fn delete_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Result<Option<Vec<BlobId>>>;
    /// Objects whose keys start with `prefix` and lie past `start`, in key order (by bytes),
    /// without their segments.
    async fn list_objects(
        &self,
        bucket: &BucketName,
        prefix: &str,
        start: Bound<&str>,
        limit: u32,
    ) -> Result<Vec<StoredObject>>;
    /// False when there is no such object.
    async fn set_object_tags(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        tags: &[(String, String)],
    ) -> Result<bool>;

    /// False when the bucket does not exist.
    async fn insert_upload(&self, upload: &Upload) -> Result<bool>;
    async fn get_upload(&self, id: &UploadId) -> Result<Option<Upload>>;
    /// Adds or replaces a part: `None` when the upload is gone, else the replaced part's blob.
    async fn put_part(&self, upload: &UploadId, part: &Part) -> Result<Option<Option<BlobId>>>;
    /// Parts numbered above `after`, in order.
    async fn list_parts(&self, upload: &UploadId, after: u32, limit: u32) -> Result<Vec<Part>>;
    /// Uploads in the bucket whose keys start with `prefix`, after (key, upload id) `after`.
    async fn list_uploads(
        &self,
        bucket: &BucketName,
        prefix: &str,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<Upload>>;
    /// In one transaction: stores `object` (built from some of the upload's parts) and removes
    /// the upload; the parts it does not use are released.
    async fn complete_upload(
        &self,
        upload: &UploadId,
        object: &StoredObject,
        condition: WriteCondition,
    ) -> Result<ObjectWrite>;
    /// Removes the upload; its parts' blobs, or `None` when it was not there.
    async fn delete_upload(&self, upload: &UploadId) -> Result<Option<Vec<BlobId>>>;

    /// Whether any object or part holds this blob (for collecting orphans).
    async fn blob_in_use(&self, blob: &BlobId) -> Result<bool>;
}

//! The rules of storage: buckets and their settings, objects written whole or in parts, read
//! whole or by range, copied, listed with prefixes and delimiters, and who may do each (the
//! one evaluator, with the bucket's policy beside the caller's). Bytes go to the blob store
//! under fresh ids; metadata commits only once every byte is written and verified, so no
//! reader ever sees a partial object.

use std::ops::{Bound, Range};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures::{StreamExt, TryStreamExt};
use md5::Digest as _;

use super::Cognito;
use crate::credentials::Principal;
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::storage::{
    no_such_bucket, no_such_key, no_such_upload, storage_error, BlobId, Bucket, BucketName,
    Checksum, CorsRule, ObjectHeaders, ObjectKey, Part, Segment, StorageCode, StoredObject, Upload,
    UploadId, WriteCondition, MIN_PART_BYTES, PART_NUMBERS,
};
use crate::store::{BlobStore, BucketDeletion, ByteStream, ObjectWrite, Store};

/// Blobs no object or part holds are deleted once they are this old (a blob being written
/// is younger; one whose object was replaced or whose write failed half-way is older).
pub const ORPHAN_AGE: Duration = Duration::from_secs(3600);
/// The most keys one list answers with.
pub const MAX_LIST_KEYS: u32 = 1000;

/// The storage service. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    cognito: Cognito,
    store: Arc<dyn Store>,
    blobs: Arc<dyn BlobStore>,
    max_object_bytes: u64,
}

/// An object's description as a write gives it.
#[derive(Debug, Clone, Default)]
pub struct NewObject {
    pub headers: ObjectHeaders,
    pub tags: Vec<(String, String)>,
    pub condition: Option<WriteCondition>,
    pub integrity: Integrity,
}

/// What the client says the body's digests are, and which additional checksum to keep.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    /// `Content-MD5`, base64.
    pub content_md5: Option<String>,
    /// `x-amz-checksum-<algorithm>`: the value the body must have.
    pub checksum: Option<Checksum>,
    /// `x-amz-checksum-algorithm` (or the upload's): compute and keep this one.
    pub algorithm: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub objects: Vec<StoredObject>,
    pub common_prefixes: Vec<String>,
    /// Where the next page starts (the last key or common prefix answered), when truncated.
    pub next: Option<String>,
}

/// What a listing asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Answer only what sorts after this (a continuation token's key, start-after, marker).
    pub after: Option<String>,
    pub max_keys: u32,
}

/// A copy's source and what the copy keeps of it.
pub struct CopySource {
    pub bucket: BucketName,
    pub key: ObjectKey,
    /// `x-amz-metadata-directive: REPLACE`: these headers instead of the source's.
    pub replace_headers: Option<ObjectHeaders>,
    /// `x-amz-tagging-directive: REPLACE`: these tags instead of the source's.
    pub replace_tags: Option<Vec<(String, String)>>,
}

/// Digests of a body as it streams by: MD5 (the ETag), the size, and one additional
/// checksum; the size limit is enforced on the way.
struct Digests {
    md5: md5::Md5,
    checksum: Option<(String, ChecksumHasher)>,
    size: u64,
}

enum ChecksumHasher {
    Crc32(crc_fast::Digest),
    Crc32c(crc_fast::Digest),
    Crc64Nvme(crc_fast::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl ChecksumHasher {
    fn new(algorithm: &str) -> Result<Self> {
        use crc_fast::{CrcAlgorithm, Digest};
        Ok(match algorithm.to_ascii_uppercase().as_str() {
            "CRC32" => ChecksumHasher::Crc32(Digest::new(CrcAlgorithm::Crc32IsoHdlc)),
            "CRC32C" => ChecksumHasher::Crc32c(Digest::new(CrcAlgorithm::Crc32Iscsi)),
            "CRC64NVME" => ChecksumHasher::Crc64Nvme(Digest::new(CrcAlgorithm::Crc64Nvme)),
            "SHA1" => ChecksumHasher::Sha1(sha1::Sha1::new()),
            "SHA256" => ChecksumHasher::Sha256(sha2::Sha256::new()),
            other => {
                return Err(storage_error(
                    StorageCode::InvalidArgument,
                    format!("Checksum algorithm {other} is not supported: use CRC32, CRC32C, CRC64NVME, SHA1 or SHA256."),
                ))
            }
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            ChecksumHasher::Crc32(d) | ChecksumHasher::Crc32c(d) | ChecksumHasher::Crc64Nvme(d) => {
                d.update(data)
            }
            ChecksumHasher::Sha1(d) => d.update(data),
            ChecksumHasher::Sha256(d) => d.update(data),
        }
    }

    fn finish(self) -> String {
        let bytes: Vec<u8> = match self {
            ChecksumHasher::Crc32(d) | ChecksumHasher::Crc32c(d) => {
                (d.finalize() as u32).to_be_bytes().to_vec()
            }
            ChecksumHasher::Crc64Nvme(d) => d.finalize().to_be_bytes().to_vec(),
            ChecksumHasher::Sha1(d) => d.finalize().to_vec(),
            ChecksumHasher::Sha256(d) => d.finalize().to_vec(),
        };
        STANDARD.encode(bytes)
    }
}

/// What a written body turned out to be.
struct Digested {
    size: u64,
    md5: [u8; 16],
    checksum: Option<Checksum>,
}

impl Integrity {
    /// The algorithm to compute: the one whose value was sent, else the one asked for.
    fn algorithm(&self) -> Option<&str> {
        self.checksum
            .as_ref()
            .map(|c| c.algorithm.as_str())
            .or(self.algorithm.as_deref())
    }

    /// The body's digests against what the client said they are.
    fn verify(&self, digested: &Digested) -> Result<()> {
        if let Some(md5) = &self.content_md5 {
            let sent = STANDARD
                .decode(md5)
                .ok()
                .filter(|d| d.len() == 16)
                .ok_or_else(|| {
                    storage_error(
                        StorageCode::InvalidDigest,
                        "The Content-MD5 you specified was invalid.",
                    )
                })?;
            if sent != digested.md5 {
                return Err(storage_error(
                    StorageCode::BadDigest,
                    "The Content-MD5 you specified did not match what we received.",
                ));
            }
        }
        if let (Some(expected), Some(actual)) = (&self.checksum, &digested.checksum) {
            if expected.value != actual.value {
                return Err(storage_error(
                    StorageCode::BadDigest,
                    format!(
                        "The {} you specified did not match the calculated checksum.",
                        expected.algorithm.to_ascii_uppercase()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn too_large(limit: u64) -> Error {
    storage_error(
        StorageCode::EntityTooLarge,
        format!("Your proposed upload exceeds the maximum allowed size of {limit} bytes."),
    )
}

/// The smallest string above every string that starts with `prefix` (for skipping a common
/// prefix's keys); `None` when there is none.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// S3's ETag of a multipart object: the MD5 of the parts' MD5s, and the number of parts.
fn multipart_etag(parts: &[&Part]) -> Result<String> {
    let mut md5 = md5::Md5::new();
    for part in parts {
        let digest = hex::decode(&part.etag).map_err(Error::caused_by("a stored part ETag"))?;
        md5.update(&digest);
    }
    Ok(format!("{}-{}", hex::encode(md5.finalize()), parts.len()))
}

/// An ETag as a client sends it back: quotes and a weak marker are optional.
fn bare_etag(etag: &str) -> &str {
    etag.trim().trim_start_matches("W/").trim_matches('"')
}

impl Storage {
    pub fn new(cognito: Cognito, blobs: Arc<dyn BlobStore>, max_object_bytes: u64) -> Self {
        Storage {
            store: cognito.store.clone(),
            cognito,
            blobs,
            max_object_bytes,
        }
    }

    pub fn max_object_bytes(&self) -> u64 {
        self.max_object_bytes
    }

    pub fn cognito(&self) -> &Cognito {
        &self.cognito
    }

    /// Decides whether `principal` (`None`: anonymous) may perform `action` on `resource` in
    /// `bucket`, with the bucket's policy beside the caller's own.
    pub async fn authorize(
        &self,
        principal: Option<&Principal>,
        bucket: Option<&BucketName>,
        action: &str,
        resource: &str,
        context: cognate_iam::Context,
    ) -> Result<()> {
        let policy = match bucket {
            Some(name) => self.find_bucket(name).await?.and_then(|b| b.policy),
            None => None,
        };
        self.cognito
            .authorize_on(principal, action, resource, context, policy.as_deref())
            .await
    }

    // Buckets.

    pub async fn create_bucket(&self, name: &BucketName) -> Result<()> {
        let bucket = Bucket {
            name: name.clone(),
            created: Timestamp::now(),
            cors: None,
            policy: None,
            tags: Vec::new(),
        };
        let inserted = self.store.insert_bucket(&bucket).await?;
        self.cognito.decisions.forget_bucket(name);
        if inserted {
            return Ok(());
        }
        // us-east-1 answers a repeated CreateBucket of one's own bucket with success.
        if self.cognito.config().region == "us-east-1" {
            return Ok(());
        }
        Err(storage_error(
            StorageCode::BucketAlreadyOwnedByYou,
            "Your previous request to create the named bucket succeeded and you already own it.",
        ))
    }

    pub async fn bucket(&self, name: &BucketName) -> Result<Bucket> {
        self.find_bucket(name).await?.ok_or_else(no_such_bucket)
    }

    /// The bucket, or None when there is none. Every object request reads its bucket for the
    /// access check (its policy), for the operation and for CORS, and those reads cost more than
    /// the rest of a small GET or PUT, so a bucket seen is kept for the decision inputs'
    /// lifetime (`decision_cache`); a missing one is looked for again each time.
    async fn find_bucket(&self, name: &BucketName) -> Result<Option<Bucket>> {
        if let Some(bucket) = self.cognito.decisions.bucket(name) {
            return Ok(Some(bucket));
        }
        let bucket = self.store.get_bucket(name).await?;
        if let Some(bucket) = &bucket {
            self.cognito.decisions.saw_bucket(bucket.clone());
        }
        Ok(bucket)
    }

    pub async fn list_buckets(&self) -> Result<Vec<Bucket>> {
        self.store.list_buckets().await
    }

    pub async fn delete_bucket(&self, name: &BucketName) -> Result<()> {
        let deletion = self.store.delete_bucket(name).await?;
        self.cognito.decisions.forget_bucket(name);
        match deletion {
            BucketDeletion::NotFound => Err(no_such_bucket()),
            BucketDeletion::NotEmpty => Err(storage_error(
                StorageCode::BucketNotEmpty,
                "The bucket you tried to delete is not empty",
            )),
            BucketDeletion::Deleted(released) => {
                self.release(released);
                Ok(())
            }
        }
    }

    async fn change_bucket(
        &self,
        name: &BucketName,
        change: impl FnOnce(&mut Bucket),
    ) -> Result<()> {
        // Changed from what the store holds now, not from what the cache remembers.
        let mut bucket = self
            .store
            .get_bucket(name)
            .await?
            .ok_or_else(no_such_bucket)?;
        change(&mut bucket);
        let updated = self.store.update_bucket(&bucket).await?;
        self.cognito.decisions.forget_bucket(name);
        if updated {
            Ok(())
        } else {
            Err(no_such_bucket())
        }
    }

    pub async fn set_cors(&self, name: &BucketName, rules: Option<Vec<CorsRule>>) -> Result<()> {
        if let Some(rules) = &rules {
            if rules.is_empty() || rules.len() > 100 {
                return Err(storage_error(
                    StorageCode::MalformedXML,
                    "A CORS configuration holds 1 to 100 rules.",
                ));
            }
        }
        self.change_bucket(name, |b| b.cors = rules).await
    }

    /// Puts (`Some`) or deletes the bucket's policy; a document that is not a valid resource
    /// policy is refused with where it breaks.
    pub async fn set_policy(&self, name: &BucketName, policy: Option<String>) -> Result<()> {
        if let Some(text) = &policy {
            super::iam::parse_document(text, cognate_iam::PolicyKind::Resource)?;
        }
        self.change_bucket(name, |b| b.policy = policy).await
    }

    pub async fn set_bucket_tags(
        &self,
        name: &BucketName,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        check_tags(&tags, 50)?;
        self.change_bucket(name, |b| b.tags = tags).await
    }

    // Objects.

    /// Writes `body` to a new blob, computing its digests and holding it to the size limit;
    /// the blob is deleted again if the body fails, is too large, or does not match.
    async fn write_blob(
        &self,
        body: ByteStream,
        integrity: &Integrity,
    ) -> Result<(Segment, Digested)> {
        let algorithm = integrity.algorithm().map(ChecksumHasher::new).transpose()?;
        let digests = Arc::new(Mutex::new(Digests {
            md5: md5::Md5::new(),
            checksum: algorithm.map(|h| {
                (
                    integrity
                        .algorithm()
                        .unwrap_or_default()
                        .to_ascii_uppercase(),
                    h,
                )
            }),
            size: 0,
        }));
        let limit = self.max_object_bytes;
        let seen = digests.clone();
        let body = body
            .map(move |chunk| {
                let chunk = chunk?;
                let mut d = seen.lock().unwrap_or_else(|e| e.into_inner());
                d.size += chunk.len() as u64;
                if d.size > limit {
                    return Err(std::io::Error::other(too_large(limit)));
                }
                d.md5.update(&chunk);
                if let Some((_, hasher)) = &mut d.checksum {
                    hasher.update(&chunk);
                }
                Ok(chunk)
            })
            .boxed();
        let blob = BlobId::generate();
        let written = self.blobs.write(&blob, body).await;
        let digests = std::mem::replace(
            &mut *digests.lock().unwrap_or_else(|e| e.into_inner()),
            Digests {
                md5: md5::Md5::new(),
                checksum: None,
                size: 0,
            },
        );
        let size = match written {
            Ok(size) => size,
            Err(e) => {
                self.release(vec![blob]);
                return Err(e);
            }
        };
        let digested = Digested {
            size,
            md5: digests.md5.finalize().into(),
            checksum: digests.checksum.map(|(algorithm, hasher)| Checksum {
                algorithm,
                value: hasher.finish(),
            }),
        };
        if let Err(e) = integrity.verify(&digested) {
            self.release(vec![blob]);
            return Err(e);
        }
        Ok((Segment { blob, size }, digested))
    }

    /// Stores `body` as the object under `key`, replacing what is there (unless the write's
    /// condition forbids it).
    pub async fn put_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        new: NewObject,
        body: ByteStream,
    ) -> Result<StoredObject> {
        check_tags(&new.tags, 10)?;
        // A missing bucket is answered before a byte is written.
        self.bucket(bucket).await?;
        let (segment, digested) = self.write_blob(body, &new.integrity).await?;
        let object = StoredObject {
            bucket: bucket.clone(),
            key: key.clone(),
            size: digested.size,
            etag: hex::encode(digested.md5),
            last_modified: Timestamp::now(),
            headers: new.headers,
            checksum: digested.checksum,
            tags: new.tags,
            segments: if segment.size == 0 {
                self.release(vec![segment.blob]);
                Vec::new()
            } else {
                vec![segment]
            },
        };
        let condition = new.condition.unwrap_or(WriteCondition::Always);
        let written = self.store.put_object(&object, condition).await;
        self.settle(written, &object).await?;
        Ok(object)
    }

    /// Releases what a committed write replaced, or the new object's blobs if it did not
    /// commit; turns the store's answer into the client's.
    async fn settle(&self, written: Result<ObjectWrite>, object: &StoredObject) -> Result<()> {
        let outcome = match written {
            Ok(ObjectWrite::Stored { released }) => {
                self.release(released);
                return Ok(());
            }
            Ok(ObjectWrite::NoSuchBucket) => Err(no_such_bucket()),
            Ok(ObjectWrite::NoSuchUpload) => Err(no_such_upload()),
            Ok(ObjectWrite::ConditionFailed) => Err(storage_error(
                StorageCode::PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold",
            )),
            Err(e) => Err(e),
        };
        self.release(object.blobs());
        outcome
    }

    pub async fn object(&self, bucket: &BucketName, key: &ObjectKey) -> Result<StoredObject> {
        match self.store.get_object(bucket, key).await? {
            Some(object) => Ok(object),
            None => {
                self.bucket(bucket).await?;
                Err(no_such_key())
            }
        }
    }

    /// The object's bytes, or those in `range` (already checked against its size).
    pub async fn read(
        &self,
        object: &StoredObject,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream> {
        let range = range.unwrap_or(0..object.size);
        let mut plan = Vec::new();
        let mut offset = 0u64;
        for segment in &object.segments {
            let (start, end) = (offset, offset + segment.size);
            offset = end;
            if end <= range.start || start >= range.end {
                continue;
            }
            let from = range.start.max(start) - start;
            let to = range.end.min(end) - start;
            let whole = from == 0 && to == segment.size;
            plan.push((segment.blob.clone(), (!whole).then_some(from..to)));
        }
        let blobs = self.blobs.clone();
        // The first blob is opened now, so a missing blob is an error rather than a short body.
        let mut plan = plan.into_iter();
        let first = match plan.next() {
            Some((blob, range)) => self.blobs.read(&blob, range).await?,
            None => return Ok(futures::stream::empty().boxed()),
        };
        let rest = futures::stream::iter(plan)
            .then(move |(blob, range)| {
                let blobs = blobs.clone();
                async move {
                    blobs
                        .read(&blob, range)
                        .await
                        .map_err(std::io::Error::other)
                }
            })
            .try_flatten();
        Ok(first.chain(rest).boxed())
    }

    /// Deleting a key that is not there succeeds, as in S3.
    pub async fn delete_object(&self, bucket: &BucketName, key: &ObjectKey) -> Result<()> {
        match self.store.delete_object(bucket, key).await? {
            Some(released) => {
                self.release(released);
                Ok(())
            }
            None => {
                self.bucket(bucket).await?;
                Ok(())
            }
        }
    }

    pub async fn copy_object(
        &self,
        source: CopySource,
        bucket: &BucketName,
        key: &ObjectKey,
        condition: Option<WriteCondition>,
    ) -> Result<StoredObject> {
        let original = self.object(&source.bucket, &source.key).await?;
        if source.bucket == *bucket
            && source.key == *key
            && source.replace_headers.is_none()
            && source.replace_tags.is_none()
        {
            return Err(storage_error(
                StorageCode::InvalidArgument,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        self.bucket(bucket).await?;
        let mut segments = Vec::with_capacity(original.segments.len());
        for segment in &original.segments {
            let blob = BlobId::generate();
            if let Err(e) = self.blobs.copy(&segment.blob, &blob).await {
                self.release(segments.iter().map(|s: &Segment| s.blob.clone()).collect());
                return Err(e);
            }
            segments.push(Segment {
                blob,
                size: segment.size,
            });
        }
        let object = StoredObject {
            bucket: bucket.clone(),
            key: key.clone(),
            size: original.size,
            etag: original.etag,
            last_modified: Timestamp::now(),
            headers: source.replace_headers.unwrap_or(original.headers),
            checksum: original.checksum,
            tags: source.replace_tags.unwrap_or(original.tags),
            segments,
        };
        let written = self
            .store
            .put_object(&object, condition.unwrap_or(WriteCondition::Always))
            .await;
        self.settle(written, &object).await?;
        Ok(object)
    }

    pub async fn set_object_tags(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        check_tags(&tags, 10)?;
        if self.store.set_object_tags(bucket, key, &tags).await? {
            Ok(())
        } else {
            self.object(bucket, key).await.map(|_| ())
        }
    }

    /// One page of keys under `query.prefix`, with keys that share a segment up to the
    /// delimiter rolled up into common prefixes (each counting as one key).
    pub async fn list(&self, bucket: &BucketName, query: &ListQuery) -> Result<Listing> {
        self.bucket(bucket).await?;
        let max_keys = query.max_keys.min(MAX_LIST_KEYS);
        let mut listing = Listing::default();
        if max_keys == 0 {
            return Ok(listing);
        }
        let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
        // A token that ends on a common prefix continues past all of its keys.
        let mut start = match (&query.after, delimiter) {
            (None, _) => Bound::Unbounded,
            (Some(after), Some(d)) if after.ends_with(d) && after.starts_with(&query.prefix) => {
                match past_prefix(after) {
                    Some(next) => Bound::Included(next),
                    None => return Ok(listing),
                }
            }
            (Some(after), _) => Bound::Excluded(after.clone()),
        };
        let mut answered = 0u32;
        loop {
            let batch = self
                .store
                .list_objects(
                    bucket,
                    &query.prefix,
                    start.as_ref().map(String::as_str),
                    max_keys - answered + 1,
                )
                .await?;
            if batch.is_empty() {
                return Ok(listing);
            }
            for object in batch {
                if answered == max_keys {
                    listing.next = listing
                        .objects
                        .last()
                        .map(|o| o.key.to_string())
                        .into_iter()
                        .chain(listing.common_prefixes.last().cloned())
                        .max();
                    return Ok(listing);
                }
                let rest = &object.key.as_str()[query.prefix.len()..];
                match delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
                    Some(end) => {
                        let common = format!("{}{}", query.prefix, &rest[..end]);
                        answered += 1;
                        match past_prefix(&common) {
                            Some(next) => start = Bound::Included(next),
                            None => {
                                listing.common_prefixes.push(common);
                                return Ok(listing);
                            }
                        }
                        listing.common_prefixes.push(common);
                        break;
                    }
                    None => {
                        answered += 1;
                        start = Bound::Excluded(object.key.to_string());
                        listing.objects.push(object);
                    }
                }
            }
        }
    }

    // Multipart uploads.

    pub async fn create_upload(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: &Principal,
        new: NewObject,
    ) -> Result<Upload> {
        check_tags(&new.tags, 10)?;
        if let Some(algorithm) = &new.integrity.algorithm {
            ChecksumHasher::new(algorithm)?;
        }
        let upload = Upload {
            id: UploadId::generate(),
            bucket: bucket.clone(),
            key: key.clone(),
            owner: owner.arn(&self.cognito.config().account_id),
            initiated: Timestamp::now(),
            headers: new.headers,
            checksum_algorithm: new.integrity.algorithm.map(|a| a.to_ascii_uppercase()),
            tags: new.tags,
        };
        if self.store.insert_upload(&upload).await? {
            Ok(upload)
        } else {
            Err(no_such_bucket())
        }
    }

    /// The upload `id` of `key` in `bucket`.
    pub async fn upload(&self, bucket: &BucketName, key: &ObjectKey, id: &str) -> Result<Upload> {
        let upload = match UploadId::parse(id) {
            Some(id) => self.store.get_upload(&id).await?,
            None => None,
        };
        match upload {
            Some(upload) if upload.bucket == *bucket && upload.key == *key => Ok(upload),
            _ => {
                self.bucket(bucket).await?;
                Err(no_such_upload())
            }
        }
    }

    fn part_number(number: i32) -> Result<u32> {
        u32::try_from(number)
            .ok()
            .filter(|n| PART_NUMBERS.contains(n))
            .ok_or_else(|| {
                storage_error(
                    StorageCode::InvalidArgument,
                    "Part number must be an integer between 1 and 10000, inclusive",
                )
            })
    }

    pub async fn upload_part(
        &self,
        upload: &Upload,
        number: i32,
        mut integrity: Integrity,
        body: ByteStream,
    ) -> Result<Part> {
        let number = Self::part_number(number)?;
        if integrity.algorithm.is_none() {
            integrity.algorithm = upload.checksum_algorithm.clone();
        }
        let (segment, digested) = self.write_blob(body, &integrity).await?;
        self.add_part(upload, number, segment, digested).await
    }

    async fn add_part(
        &self,
        upload: &Upload,
        number: u32,
        segment: Segment,
        digested: Digested,
    ) -> Result<Part> {
        let part = Part {
            number,
            blob: segment.blob,
            size: digested.size,
            etag: hex::encode(digested.md5),
            last_modified: Timestamp::now(),
            checksum: digested.checksum,
        };
        match self.store.put_part(&upload.id, &part).await {
            Ok(Some(replaced)) => {
                self.release(replaced.into_iter().collect());
                Ok(part)
            }
            Ok(None) => {
                self.release(vec![part.blob]);
                Err(no_such_upload())
            }
            Err(e) => {
                self.release(vec![part.blob]);
                Err(e)
            }
        }
    }

    /// A part copied from (a range of) another object.
    pub async fn upload_part_copy(
        &self,
        upload: &Upload,
        number: i32,
        source: &StoredObject,
        range: Option<Range<u64>>,
    ) -> Result<Part> {
        let number = Self::part_number(number)?;
        let body = self.read(source, range).await?;
        let integrity = Integrity {
            algorithm: upload.checksum_algorithm.clone(),
            ..Integrity::default()
        };
        let (segment, digested) = self.write_blob(body, &integrity).await?;
        self.add_part(upload, number, segment, digested).await
    }

    pub async fn list_parts(&self, upload: &Upload, after: u32, limit: u32) -> Result<Vec<Part>> {
        self.store
            .list_parts(&upload.id, after, limit.clamp(1, MAX_LIST_KEYS))
            .await
    }

    pub async fn list_uploads(
        &self,
        bucket: &BucketName,
        prefix: &str,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<Upload>> {
        self.bucket(bucket).await?;
        self.store
            .list_uploads(bucket, prefix, after, limit.clamp(1, MAX_LIST_KEYS))
            .await
    }

    /// Joins the named parts (ascending numbers, ETags as UploadPart answered them) into the
    /// object; parts not named are discarded.
    pub async fn complete_upload(
        &self,
        upload: &Upload,
        chosen: &[(i32, String)],
        condition: Option<WriteCondition>,
    ) -> Result<StoredObject> {
        if chosen.is_empty() {
            return Err(storage_error(
                StorageCode::MalformedXML,
                "You must specify at least one part",
            ));
        }
        let mut stored = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .store
                .list_parts(&upload.id, after, MAX_LIST_KEYS)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.number;
            stored.extend(page);
        }
        let invalid_part = || {
            storage_error(
                StorageCode::InvalidPart,
                "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
            )
        };
        let mut parts: Vec<&Part> = Vec::with_capacity(chosen.len());
        let mut previous = 0u32;
        for (number, etag) in chosen {
            let number = u32::try_from(*number).map_err(|_| invalid_part())?;
            if number <= previous {
                return Err(storage_error(
                    StorageCode::InvalidPartOrder,
                    "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
                ));
            }
            previous = number;
            let part = stored
                .iter()
                .find(|p| p.number == number && p.etag == bare_etag(etag))
                .ok_or_else(invalid_part)?;
            parts.push(part);
        }
        if let Some(small) = parts[..parts.len() - 1]
            .iter()
            .find(|p| p.size < MIN_PART_BYTES)
        {
            return Err(storage_error(
                StorageCode::EntityTooSmall,
                format!(
                    "Your proposed upload is smaller than the minimum allowed size: part {} is {} bytes, and every part but the last must be at least {MIN_PART_BYTES}.",
                    small.number, small.size
                ),
            ));
        }
        let size: u64 = parts.iter().map(|p| p.size).sum();
        if size > self.max_object_bytes {
            return Err(too_large(self.max_object_bytes));
        }
        let object = StoredObject {
            bucket: upload.bucket.clone(),
            key: upload.key.clone(),
            size,
            etag: multipart_etag(&parts)?,
            last_modified: Timestamp::now(),
            headers: upload.headers.clone(),
            checksum: None,
            tags: upload.tags.clone(),
            segments: parts
                .iter()
                .filter(|p| p.size > 0)
                .map(|p| Segment {
                    blob: p.blob.clone(),
                    size: p.size,
                })
                .collect(),
        };
        let written = self
            .store
            .complete_upload(
                &upload.id,
                &object,
                condition.unwrap_or(WriteCondition::Always),
            )
            .await?;
        match written {
            ObjectWrite::Stored { released } => {
                self.release(released);
                Ok(object)
            }
            // The parts stay with the upload, which can still be completed or aborted.
            ObjectWrite::ConditionFailed => Err(storage_error(
                StorageCode::PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold",
            )),
            ObjectWrite::NoSuchUpload => Err(no_such_upload()),
            ObjectWrite::NoSuchBucket => Err(no_such_bucket()),
        }
    }

    pub async fn abort_upload(&self, upload: &Upload) -> Result<()> {
        match self.store.delete_upload(&upload.id).await? {
            Some(released) => {
                self.release(released);
                Ok(())
            }
            None => Err(no_such_upload()),
        }
    }

    // Blobs.

    /// Deletes blobs nothing holds any more, in the background: the client has nothing to wait
    /// for. A failure is logged; the blob becomes an orphan that [`Storage::collect_orphans`]
    /// deletes later, as it does those a crash leaves.
    fn release(&self, blobs: Vec<BlobId>) {
        if blobs.is_empty() {
            return;
        }
        let store = self.blobs.clone();
        tokio::spawn(async move {
            for blob in blobs {
                if let Err(e) = store.delete(&blob).await {
                    tracing::warn!(blob = %blob, error = %e, "could not delete a released blob; it is collected later");
                }
            }
        });
    }

    /// Deletes blobs older than `age` that no object or part holds (those of writes that
    /// failed half-way, of servers killed mid-upload, of deletes that could not finish) and
    /// the partial writes of killed servers. Returns how many were deleted.
    pub async fn collect_orphans(&self, age: Duration) -> Result<usize> {
        let mut collected = self.blobs.sweep_partial_writes(age).await?;
        for blob in self.blobs.older_than(age).await? {
            if !self.store.blob_in_use(&blob).await? {
                self.blobs.delete(&blob).await?;
                collected += 1;
            }
        }
        Ok(collected)
    }
}

/// S3's tag limits: at most `max` tags, keys of 1..=128 and values of 0..=256 characters,
/// keys unique.
fn check_tags(tags: &[(String, String)], max: usize) -> Result<()> {
    let invalid = |message: &str| storage_error(StorageCode::InvalidTag, message);
    if tags.len() > max {
        return Err(invalid(&format!(
            "Object tags cannot be greater than {max}"
        )));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(invalid("The TagKey you have provided is invalid"));
        }
        if value.chars().count() > 256 {
            return Err(invalid("The TagValue you have provided is invalid"));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid("Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_prefix_is_above_every_key_under_the_prefix() {
        assert_eq!(past_prefix("photos/").as_deref(), Some("photos0"));
        assert_eq!(past_prefix("a").as_deref(), Some("b"));
        assert!(past_prefix("photos/").unwrap().as_str() > "photos/\u{10FFFF}zzz");
        assert_eq!(past_prefix(""), None);
        assert_eq!(past_prefix("\u{10FFFF}"), None);
    }

    #[test]
    fn etags_sent_back_with_quotes_or_weak_markers_match() {
        assert_eq!(bare_etag("\"abc\""), "abc");
        assert_eq!(bare_etag("W/\"abc\""), "abc");
        assert_eq!(bare_etag("abc"), "abc");
    }

    #[test]
    fn the_multipart_etag_is_the_md5_of_the_part_md5s() {
        let part = |etag: &str| Part {
            number: 1,
            blob: BlobId::generate(),
            size: 1,
            etag: etag.to_owned(),
            last_modified: Timestamp(0),
            checksum: None,
        };
        // md5("a") and md5("b"); md5 of their 32 bytes, as S3 computes it.
        let a = part("0cc175b9c0f1b6a831c399e269772661");
        let b = part("92eb5ffee6ae2fec3ad71c777531578f");
        let mut md5 = md5::Md5::new();
        md5.update(hex::decode(&a.etag).unwrap());
        md5.update(hex::decode(&b.etag).unwrap());
        let expected = format!("{}-2", hex::encode(md5.finalize()));
        assert_eq!(multipart_etag(&[&a, &b]).unwrap(), expected);
    }

    #[test]
    fn checksums_are_computed_as_s3_sends_them() {
        let mut crc = ChecksumHasher::new("crc32").unwrap();
        crc.update(b"hello world");
        // CRC32 of "hello world" is 0x0d4a1185.
        assert_eq!(crc.finish(), STANDARD.encode(0x0d4a_1185u32.to_be_bytes()));
        assert!(ChecksumHasher::new("md4").is_err());
    }

    #[test]
    fn tags_are_held_to_s3s_limits() {
        let tag = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert!(check_tags(&[tag("a", "1"), tag("b", "")], 10).is_ok());
        assert!(check_tags(&[tag("a", "1"), tag("a", "2")], 10).is_err());
        assert!(check_tags(&[tag("", "1")], 10).is_err());
        assert!(check_tags(&vec![tag("k", "v"); 11], 10).is_err());
    }
}

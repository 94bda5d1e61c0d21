//! The S3 operations cognate implements, as s3s hands them over: each turns s3s's input into
//! domain types, calls the storage service, and renders its answer. The decisions are the
//! service's; who may call was decided by [`super::access`] before the operation runs.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognate_core::ids::Timestamp;
use cognate_core::service::{CopySource, Integrity, ListQuery, NewObject, Storage};
use cognate_core::storage::{
    storage_error, Bucket, BucketName, Checksum, CorsRule, ObjectHeaders, ObjectKey, StorageCode,
    StoredObject, Upload, WriteCondition,
};
use cognate_core::store::ByteStream;
use futures::{StreamExt, TryStreamExt};
use s3s::dto::{self, ETag, StreamingBlob};
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};

use super::access::{caller_of, Door};
use super::errors::to_s3;
use super::{bucket_of, copy_source, key_of};

pub struct Objects {
    pub door: Door,
    pub storage: Storage,
}

fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

fn time_of(at: Timestamp) -> dto::Timestamp {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .into()
}

fn timestamp_of(at: &dto::Timestamp) -> Timestamp {
    let at: time::OffsetDateTime = at.clone().into();
    Timestamp((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// A request body for the service.
fn body_in(body: Option<StreamingBlob>) -> ByteStream {
    match body {
        Some(blob) => blob.map_err(std::io::Error::other).boxed(),
        None => futures::stream::empty().boxed(),
    }
}

/// A response body from the service's stream (s3s wants `Sync`; the wrapper makes it so).
fn body_out(stream: ByteStream) -> StreamingBlob {
    StreamingBlob::wrap(sync_wrapper::SyncStream::new(stream))
}

/// `x-amz-tagging`: `k=v&k2=v2`, URL-encoded.
fn tags_of(header: Option<&str>) -> Vec<(String, String)> {
    header
        .map(|h| form_urlencoded::parse(h.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn tag_set(tags: &[(String, String)]) -> Vec<dto::Tag> {
    tags.iter()
        .map(|(k, v)| dto::Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

fn tags_from_set(set: dto::TagSet) -> Vec<(String, String)> {
    set.into_iter()
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect()
}

/// The headers an object is written with, from any input that carries them.
macro_rules! written_headers {
    ($input:expr) => {
        Written {
            content_type: $input.content_type,
            content_encoding: $input.content_encoding,
            content_disposition: $input.content_disposition,
            content_language: $input.content_language,
            cache_control: $input.cache_control,
            expires: $input.expires,
            metadata: $input.metadata,
        }
        .headers()
    };
}

/// The headers an object is written with.
struct Written {
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<dto::Timestamp>,
    metadata: Option<dto::Metadata>,
}

impl Written {
    fn headers(self) -> ObjectHeaders {
        ObjectHeaders {
            content_type: self.content_type,
            content_encoding: self.content_encoding,
            content_disposition: self.content_disposition,
            content_language: self.content_language,
            cache_control: self.cache_control,
            expires: self.expires.map(|e| {
                let mut out = Vec::new();
                let _ = e.format(dto::TimestampFormat::HttpDate, &mut out);
                String::from_utf8_lossy(&out).into_owned()
            }),
            user_metadata: self
                .metadata
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect::<BTreeMap<_, _>>(),
        }
    }
}

fn expires_of(headers: &ObjectHeaders) -> Option<dto::Timestamp> {
    headers
        .expires
        .as_deref()
        .and_then(|e| dto::Timestamp::parse(dto::TimestampFormat::HttpDate, e).ok())
}

fn metadata_of(headers: &ObjectHeaders) -> Option<dto::Metadata> {
    (!headers.user_metadata.is_empty()).then(|| {
        headers
            .user_metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

/// The sent checksum, if any (`x-amz-checksum-<algorithm>`), and the algorithm to keep.
fn integrity_of(
    content_md5: Option<String>,
    algorithm: Option<&dto::ChecksumAlgorithm>,
    sent: [(&str, Option<String>); 5],
) -> Integrity {
    let checksum = sent.into_iter().find_map(|(name, value)| {
        value.map(|value| Checksum {
            algorithm: name.to_owned(),
            value,
        })
    });
    Integrity {
        content_md5,
        checksum,
        algorithm: algorithm.map(|a| a.as_str().to_owned()),
    }
}

macro_rules! sent_checksums {
    ($input:expr) => {
        [
            ("CRC32", $input.checksum_crc32.take()),
            ("CRC32C", $input.checksum_crc32c.take()),
            ("CRC64NVME", $input.checksum_crc64nvme.take()),
            ("SHA1", $input.checksum_sha1.take()),
            ("SHA256", $input.checksum_sha256.take()),
        ]
    };
}

fn condition_of(if_none_match: Option<&dto::IfNoneMatch>) -> S3Result<Option<WriteCondition>> {
    match if_none_match {
        None => Ok(None),
        Some(condition) if condition.is_any() => Ok(Some(WriteCondition::IfAbsent)),
        Some(_) => Err(s3_error!(
            NotImplemented,
            "A header you provided implies functionality that is not implemented: If-None-Match takes only *."
        )),
    }
}

/// `x-amz-checksum-mode: ENABLED`: the stored checksum is wanted in the answer.
fn checksum_asked(mode: Option<&dto::ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

/// The checksum fields of an answer.
struct ChecksumFields {
    crc32: Option<String>,
    crc32c: Option<String>,
    crc64nvme: Option<String>,
    sha1: Option<String>,
    sha256: Option<String>,
}

fn checksum_fields(checksum: Option<&Checksum>) -> ChecksumFields {
    let mut fields = ChecksumFields {
        crc32: None,
        crc32c: None,
        crc64nvme: None,
        sha1: None,
        sha256: None,
    };
    if let Some(c) = checksum {
        let slot = match c.algorithm.as_str() {
            "CRC32" => &mut fields.crc32,
            "CRC32C" => &mut fields.crc32c,
            "CRC64NVME" => &mut fields.crc64nvme,
            "SHA1" => &mut fields.sha1,
            _ => &mut fields.sha256,
        };
        *slot = Some(c.value.clone());
    }
    fields
}

/// S3's answer to the conditional headers of a read: 412 before 304, and If-Match and
/// If-None-Match outrank the date conditions they are sent with.
fn check_conditions(
    object: &StoredObject,
    if_match: Option<&dto::IfMatch>,
    if_none_match: Option<&dto::IfNoneMatch>,
    if_modified_since: Option<&dto::Timestamp>,
    if_unmodified_since: Option<&dto::Timestamp>,
) -> S3Result<()> {
    let matches = |condition: &dto::ETagCondition| {
        condition.is_any()
            || condition
                .as_etag()
                .is_some_and(|e| e.value() == object.etag)
    };
    // HTTP dates have whole seconds.
    let modified = object.last_modified.0 / 1000;
    let failed = || {
        s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )
    };
    let not_modified = || s3_error!(NotModified, "Not Modified");
    match if_match {
        Some(condition) if !matches(condition) => return Err(failed()),
        Some(_) => {}
        None => {
            if let Some(since) = if_unmodified_since {
                if modified > timestamp_of(since).0 / 1000 {
                    return Err(failed());
                }
            }
        }
    }
    match if_none_match {
        Some(condition) if matches(condition) => Err(not_modified()),
        Some(_) => Ok(()),
        None => match if_modified_since {
            Some(since) if modified <= timestamp_of(since).0 / 1000 => Err(not_modified()),
            _ => Ok(()),
        },
    }
}

/// A continuation token: the key (or common prefix) the page ended on.
fn continuation_of(token: &str) -> S3Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The continuation token provided is incorrect"
            )
        })
}

/// `encoding-type=url`: keys and prefixes percent-encoded as S3 does (spaces as `+`).
fn encoder(encoding: Option<&dto::EncodingType>) -> impl Fn(String) -> String {
    let url = encoding.is_some_and(|e| e.as_str().eq_ignore_ascii_case("url"));
    move |value: String| {
        if url {
            form_urlencoded::byte_serialize(value.as_bytes())
                .collect::<String>()
                .replace("%2F", "/")
        } else {
            value
        }
    }
}

fn listed(object: &StoredObject, encode: &impl Fn(String) -> String) -> dto::Object {
    dto::Object {
        key: Some(encode(object.key.to_string())),
        e_tag: Some(etag(&object.etag)),
        last_modified: Some(time_of(object.last_modified)),
        size: Some(object.size as i64),
        storage_class: Some(dto::ObjectStorageClass::from_static(
            dto::ObjectStorageClass::STANDARD,
        )),
        ..dto::Object::default()
    }
}

fn cors_rules(bucket: &Bucket) -> S3Result<&[CorsRule]> {
    bucket.cors.as_deref().ok_or_else(|| {
        to_s3(storage_error(
            StorageCode::NoSuchCORSConfiguration,
            "The CORS configuration does not exist",
        ))
    })
}

/// `bytes=first-last` of a copy source.
fn copy_range(range: Option<&str>, size: u64) -> S3Result<Option<std::ops::Range<u64>>> {
    let Some(range) = range else { return Ok(None) };
    let parsed = dto::Range::parse(range)
        .map_err(|_| s3_error!(InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"))?;
    parsed
        .check(size)
        .map(Some)
        .map_err(|_| s3_error!(InvalidRange, "The requested range is not satisfiable"))
}

impl Objects {
    async fn upload(&self, bucket: &str, key: &str, id: &str) -> S3Result<Upload> {
        let bucket = bucket_of(bucket)?;
        let key = key_of(key)?;
        self.storage.upload(&bucket, &key, id).await.map_err(to_s3)
    }

    /// The object, or AccessDenied instead of NoSuchKey for a caller who may not list.
    async fn readable<T>(
        &self,
        req: &S3Request<T>,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> S3Result<StoredObject> {
        match self.storage.object(bucket, key).await {
            Ok(object) => Ok(object),
            Err(e) if matches!(e, cognate_core::Error::Storage(StorageCode::NoSuchKey, _)) => {
                let caller = caller_of(req)?;
                if self.door.may_list(&caller, bucket, key).await {
                    Err(to_s3(e))
                } else {
                    Err(s3_error!(AccessDenied, "Access Denied"))
                }
            }
            Err(e) => Err(to_s3(e)),
        }
    }
}

#[async_trait]
impl S3 for Objects {
    async fn list_buckets(
        &self,
        _req: S3Request<dto::ListBucketsInput>,
    ) -> S3Result<S3Response<dto::ListBucketsOutput>> {
        let buckets = self.storage.list_buckets().await.map_err(to_s3)?;
        let region = self.storage.cognito().config().region.clone();
        Ok(S3Response::new(dto::ListBucketsOutput {
            buckets: Some(
                buckets
                    .iter()
                    .map(|b| dto::Bucket {
                        name: Some(b.name.to_string()),
                        creation_date: Some(time_of(b.created)),
                        bucket_region: Some(region.clone()),
                    })
                    .collect(),
            ),
            owner: Some(dto::Owner {
                display_name: Some("cognate".to_owned()),
                id: Some(self.storage.cognito().config().account_id.clone()),
            }),
            ..dto::ListBucketsOutput::default()
        }))
    }

    async fn create_bucket(
        &self,
        req: S3Request<dto::CreateBucketInput>,
    ) -> S3Result<S3Response<dto::CreateBucketOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage.create_bucket(&name).await.map_err(to_s3)?;
        Ok(S3Response::new(dto::CreateBucketOutput {
            location: Some(format!("/{name}")),
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<dto::HeadBucketInput>,
    ) -> S3Result<S3Response<dto::HeadBucketOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage.bucket(&name).await.map_err(to_s3)?;
        Ok(S3Response::new(dto::HeadBucketOutput {
            bucket_region: Some(self.storage.cognito().config().region.clone()),
            ..dto::HeadBucketOutput::default()
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<dto::DeleteBucketInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage.delete_bucket(&name).await.map_err(to_s3)?;
        Ok(S3Response::new(dto::DeleteBucketOutput {}))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<dto::GetBucketLocationInput>,
    ) -> S3Result<S3Response<dto::GetBucketLocationOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage.bucket(&name).await.map_err(to_s3)?;
        let region = &self.storage.cognito().config().region;
        // us-east-1 is answered with an empty constraint, as S3 does.
        Ok(S3Response::new(dto::GetBucketLocationOutput {
            location_constraint: (region != "us-east-1")
                .then(|| dto::BucketLocationConstraint::from(region.clone())),
        }))
    }

    async fn put_bucket_cors(
        &self,
        req: S3Request<dto::PutBucketCorsInput>,
    ) -> S3Result<S3Response<dto::PutBucketCorsOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        let rules = req
            .input
            .cors_configuration
            .cors_rules
            .into_iter()
            .map(|r| CorsRule {
                id: r.id,
                allowed_headers: r.allowed_headers.unwrap_or_default(),
                allowed_methods: r.allowed_methods,
                allowed_origins: r.allowed_origins,
                expose_headers: r.expose_headers.unwrap_or_default(),
                max_age_seconds: r.max_age_seconds,
            })
            .collect();
        self.storage
            .set_cors(&name, Some(rules))
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::PutBucketCorsOutput {}))
    }

    async fn get_bucket_cors(
        &self,
        req: S3Request<dto::GetBucketCorsInput>,
    ) -> S3Result<S3Response<dto::GetBucketCorsOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        let bucket = self.storage.bucket(&name).await.map_err(to_s3)?;
        let rules = cors_rules(&bucket)?
            .iter()
            .map(|r| dto::CORSRule {
                id: r.id.clone(),
                allowed_headers: Some(r.allowed_headers.clone()),
                allowed_methods: r.allowed_methods.clone(),
                allowed_origins: r.allowed_origins.clone(),
                expose_headers: Some(r.expose_headers.clone()),
                max_age_seconds: r.max_age_seconds,
            })
            .collect();
        Ok(S3Response::new(dto::GetBucketCorsOutput {
            cors_rules: Some(rules),
        }))
    }

    async fn delete_bucket_cors(
        &self,
        req: S3Request<dto::DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketCorsOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage.set_cors(&name, None).await.map_err(to_s3)?;
        Ok(S3Response::new(dto::DeleteBucketCorsOutput {}))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<dto::PutBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::PutBucketPolicyOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage
            .set_policy(&name, Some(req.input.policy))
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::PutBucketPolicyOutput {}))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<dto::GetBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::GetBucketPolicyOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        let bucket = self.storage.bucket(&name).await.map_err(to_s3)?;
        let policy = bucket.policy.ok_or_else(|| {
            to_s3(storage_error(
                StorageCode::NoSuchBucketPolicy,
                "The bucket policy does not exist",
            ))
        })?;
        Ok(S3Response::new(dto::GetBucketPolicyOutput {
            policy: Some(policy),
        }))
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<dto::DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketPolicyOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage.set_policy(&name, None).await.map_err(to_s3)?;
        Ok(S3Response::new(dto::DeleteBucketPolicyOutput {}))
    }

    async fn put_bucket_tagging(
        &self,
        req: S3Request<dto::PutBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::PutBucketTaggingOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        let tags = tags_from_set(req.input.tagging.tag_set);
        self.storage
            .set_bucket_tags(&name, tags)
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::PutBucketTaggingOutput {}))
    }

    async fn get_bucket_tagging(
        &self,
        req: S3Request<dto::GetBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::GetBucketTaggingOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        let bucket = self.storage.bucket(&name).await.map_err(to_s3)?;
        if bucket.tags.is_empty() {
            return Err(to_s3(storage_error(
                StorageCode::NoSuchTagSet,
                "The TagSet does not exist",
            )));
        }
        Ok(S3Response::new(dto::GetBucketTaggingOutput {
            tag_set: tag_set(&bucket.tags),
        }))
    }

    async fn delete_bucket_tagging(
        &self,
        req: S3Request<dto::DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketTaggingOutput>> {
        let name = bucket_of(&req.input.bucket)?;
        self.storage
            .set_bucket_tags(&name, Vec::new())
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::DeleteBucketTaggingOutput {}))
    }

    async fn put_object(
        &self,
        req: S3Request<dto::PutObjectInput>,
    ) -> S3Result<S3Response<dto::PutObjectOutput>> {
        let mut input = req.input;
        let bucket = bucket_of(&input.bucket)?;
        let key = key_of(&input.key)?;
        let condition = condition_of(input.if_none_match.as_ref())?;
        let integrity = integrity_of(
            input.content_md5.take(),
            input.checksum_algorithm.as_ref(),
            sent_checksums!(input),
        );
        let new = NewObject {
            tags: tags_of(input.tagging.as_deref()),
            condition,
            integrity,
            headers: written_headers!(input),
        };
        let object = self
            .storage
            .put_object(&bucket, &key, new, body_in(input.body))
            .await
            .map_err(to_s3)?;
        let sums = checksum_fields(object.checksum.as_ref());
        Ok(S3Response::new(dto::PutObjectOutput {
            e_tag: Some(etag(&object.etag)),
            checksum_crc32: sums.crc32,
            checksum_crc32c: sums.crc32c,
            checksum_crc64nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            size: Some(object.size as i64),
            ..dto::PutObjectOutput::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<dto::GetObjectInput>,
    ) -> S3Result<S3Response<dto::GetObjectOutput>> {
        let bucket = bucket_of(&req.input.bucket)?;
        let key = key_of(&req.input.key)?;
        let object = self.readable(&req, &bucket, &key).await?;
        let input = req.input;
        check_conditions(
            &object,
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        )?;
        if input.part_number.is_some() {
            return Err(s3_error!(
                NotImplemented,
                "GetObject by part number is not supported."
            ));
        }
        let range =
            match &input.range {
                None => None,
                Some(range) => Some(range.check(object.size).map_err(|_| {
                    s3_error!(InvalidRange, "The requested range is not satisfiable")
                })?),
            };
        let body = self
            .storage
            .read(&object, range.clone())
            .await
            .map_err(to_s3)?;
        let headers = &object.headers;
        // Checksums are of the whole object: sent when asked for and the whole is sent.
        let asked = checksum_asked(input.checksum_mode.as_ref());
        let sums = checksum_fields(
            object
                .checksum
                .as_ref()
                .filter(|_| asked && range.is_none()),
        );
        let length = range.as_ref().map_or(object.size, |r| r.end - r.start);
        let output = dto::GetObjectOutput {
            body: Some(body_out(body)),
            accept_ranges: Some("bytes".to_owned()),
            content_length: Some(length as i64),
            content_range: range
                .as_ref()
                .map(|r| format!("bytes {}-{}/{}", r.start, r.end - 1, object.size)),
            content_type: input
                .response_content_type
                .or_else(|| headers.content_type.clone())
                .or_else(|| Some("binary/octet-stream".to_owned())),
            content_encoding: input
                .response_content_encoding
                .or_else(|| headers.content_encoding.clone()),
            content_disposition: input
                .response_content_disposition
                .or_else(|| headers.content_disposition.clone()),
            content_language: input
                .response_content_language
                .or_else(|| headers.content_language.clone()),
            cache_control: input
                .response_cache_control
                .or_else(|| headers.cache_control.clone()),
            expires: input.response_expires.or_else(|| expires_of(headers)),
            e_tag: Some(etag(&object.etag)),
            last_modified: Some(time_of(object.last_modified)),
            metadata: metadata_of(headers),
            tag_count: (!object.tags.is_empty()).then_some(object.tags.len() as i32),
            checksum_crc32: sums.crc32,
            checksum_crc32c: sums.crc32c,
            checksum_crc64nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            ..dto::GetObjectOutput::default()
        };
        let mut response = S3Response::new(output);
        if range.is_some() {
            response.status = Some(http::StatusCode::PARTIAL_CONTENT);
        }
        Ok(response)
    }

    async fn head_object(
        &self,
        req: S3Request<dto::HeadObjectInput>,
    ) -> S3Result<S3Response<dto::HeadObjectOutput>> {
        let bucket = bucket_of(&req.input.bucket)?;
        let key = key_of(&req.input.key)?;
        let object = self.readable(&req, &bucket, &key).await?;
        let input = req.input;
        check_conditions(
            &object,
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        )?;
        let headers = &object.headers;
        let asked = checksum_asked(input.checksum_mode.as_ref());
        let sums = checksum_fields(object.checksum.as_ref().filter(|_| asked));
        Ok(S3Response::new(dto::HeadObjectOutput {
            accept_ranges: Some("bytes".to_owned()),
            content_length: Some(object.size as i64),
            content_type: input
                .response_content_type
                .or_else(|| headers.content_type.clone())
                .or_else(|| Some("binary/octet-stream".to_owned())),
            content_encoding: headers.content_encoding.clone(),
            content_disposition: input
                .response_content_disposition
                .or_else(|| headers.content_disposition.clone()),
            content_language: headers.content_language.clone(),
            cache_control: input
                .response_cache_control
                .or_else(|| headers.cache_control.clone()),
            expires: expires_of(headers),
            e_tag: Some(etag(&object.etag)),
            last_modified: Some(time_of(object.last_modified)),
            metadata: metadata_of(headers),
            checksum_crc32: sums.crc32,
            checksum_crc32c: sums.crc32c,
            checksum_crc64nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            ..dto::HeadObjectOutput::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<dto::DeleteObjectInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectOutput>> {
        let bucket = bucket_of(&req.input.bucket)?;
        let key = key_of(&req.input.key)?;
        self.storage
            .delete_object(&bucket, &key)
            .await
            .map_err(to_s3)?;
        let mut response = S3Response::new(dto::DeleteObjectOutput::default());
        response.status = Some(http::StatusCode::NO_CONTENT);
        Ok(response)
    }

    async fn delete_objects(
        &self,
        req: S3Request<dto::DeleteObjectsInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectsOutput>> {
        let caller = caller_of(&req)?;
        let bucket = bucket_of(&req.input.bucket)?;
        self.storage.bucket(&bucket).await.map_err(to_s3)?;
        let quiet = req.input.delete.quiet.unwrap_or(false);
        if req.input.delete.objects.len() > 1000 {
            return Err(s3_error!(
                MalformedXML,
                "A DeleteObjects request names at most 1000 keys."
            ));
        }
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for object in req.input.delete.objects {
            let refused = |code: &str, message: &str| dto::Error {
                code: Some(code.to_owned()),
                key: Some(object.key.clone()),
                message: Some(message.to_owned()),
                version_id: None,
            };
            let key = match ObjectKey::parse(&object.key) {
                Ok(key) => key,
                Err(e) => {
                    errors.push(refused(e.name(), e.message()));
                    continue;
                }
            };
            if self
                .door
                .authorize(
                    &caller,
                    Some(&bucket),
                    "s3:DeleteObject",
                    &key.arn(&bucket),
                    &[],
                )
                .await
                .is_err()
            {
                errors.push(refused("AccessDenied", "Access Denied"));
                continue;
            }
            match self.storage.delete_object(&bucket, &key).await {
                Ok(()) => {
                    if !quiet {
                        deleted.push(dto::DeletedObject {
                            key: Some(object.key.clone()),
                            ..dto::DeletedObject::default()
                        });
                    }
                }
                Err(e) => {
                    let e = to_s3(e);
                    errors.push(refused(e.code().as_str(), e.message().unwrap_or_default()));
                }
            }
        }
        Ok(S3Response::new(dto::DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: Some(errors),
            ..dto::DeleteObjectsOutput::default()
        }))
    }

    async fn copy_object(
        &self,
        req: S3Request<dto::CopyObjectInput>,
    ) -> S3Result<S3Response<dto::CopyObjectOutput>> {
        let input = req.input;
        let (from_bucket, from_key) = copy_source(&input.copy_source)?;
        let bucket = bucket_of(&input.bucket)?;
        let key = key_of(&input.key)?;
        let source = self
            .storage
            .object(&from_bucket, &from_key)
            .await
            .map_err(to_s3)?;
        check_conditions(
            &source,
            input.copy_source_if_match.as_ref(),
            input.copy_source_if_none_match.as_ref(),
            input.copy_source_if_modified_since.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
        )
        .map_err(|e| {
            // A copy's failed conditions are all 412.
            if *e.code() == s3s::S3ErrorCode::NotModified {
                s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                )
            } else {
                e
            }
        })?;
        let replace =
            |directive: Option<&str>| directive.is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
        let replace_headers = replace(input.metadata_directive.as_ref().map(|d| d.as_str()))
            .then(|| written_headers!(input));
        let replace_tags = replace(input.tagging_directive.as_ref().map(|d| d.as_str()))
            .then(|| tags_of(input.tagging.as_deref()));
        let copied = self
            .storage
            .copy_object(
                CopySource {
                    bucket: from_bucket,
                    key: from_key,
                    replace_headers,
                    replace_tags,
                },
                &bucket,
                &key,
                None,
            )
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::CopyObjectOutput {
            copy_object_result: Some(dto::CopyObjectResult {
                e_tag: Some(etag(&copied.etag)),
                last_modified: Some(time_of(copied.last_modified)),
                ..dto::CopyObjectResult::default()
            }),
            ..dto::CopyObjectOutput::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<dto::ListObjectsV2Input>,
    ) -> S3Result<S3Response<dto::ListObjectsV2Output>> {
        let input = req.input;
        let bucket = bucket_of(&input.bucket)?;
        let after = match &input.continuation_token {
            Some(token) => Some(continuation_of(token)?),
            None => input.start_after.clone(),
        };
        let max_keys = input.max_keys.unwrap_or(1000).max(0) as u32;
        let query = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            after,
            max_keys,
        };
        let listing = self.storage.list(&bucket, &query).await.map_err(to_s3)?;
        let encode = encoder(input.encoding_type.as_ref());
        let key_count = (listing.objects.len() + listing.common_prefixes.len()) as i32;
        Ok(S3Response::new(dto::ListObjectsV2Output {
            name: Some(bucket.to_string()),
            prefix: Some(encode(query.prefix.clone())),
            delimiter: input.delimiter.map(&encode),
            max_keys: Some(max_keys as i32),
            key_count: Some(key_count),
            is_truncated: Some(listing.next.is_some()),
            continuation_token: input.continuation_token,
            next_continuation_token: listing.next.as_ref().map(|n| URL_SAFE_NO_PAD.encode(n)),
            start_after: input.start_after.map(&encode),
            encoding_type: input.encoding_type,
            contents: Some(listing.objects.iter().map(|o| listed(o, &encode)).collect()),
            common_prefixes: Some(
                listing
                    .common_prefixes
                    .into_iter()
                    .map(|p| dto::CommonPrefix {
                        prefix: Some(encode(p)),
                    })
                    .collect(),
            ),
            ..dto::ListObjectsV2Output::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<dto::ListObjectsInput>,
    ) -> S3Result<S3Response<dto::ListObjectsOutput>> {
        let input = req.input;
        let bucket = bucket_of(&input.bucket)?;
        let max_keys = input.max_keys.unwrap_or(1000).max(0) as u32;
        let query = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            after: input.marker.clone().filter(|m| !m.is_empty()),
            max_keys,
        };
        let listing = self.storage.list(&bucket, &query).await.map_err(to_s3)?;
        let encode = encoder(input.encoding_type.as_ref());
        // NextMarker is only sent with a delimiter; without one clients use the last key.
        let next_marker = listing
            .next
            .clone()
            .filter(|_| query.delimiter.is_some())
            .map(&encode);
        Ok(S3Response::new(dto::ListObjectsOutput {
            name: Some(bucket.to_string()),
            prefix: Some(encode(query.prefix.clone())),
            delimiter: input.delimiter.map(&encode),
            marker: input.marker.map(&encode),
            max_keys: Some(max_keys as i32),
            is_truncated: Some(listing.next.is_some()),
            next_marker,
            encoding_type: input.encoding_type,
            contents: Some(listing.objects.iter().map(|o| listed(o, &encode)).collect()),
            common_prefixes: Some(
                listing
                    .common_prefixes
                    .into_iter()
                    .map(|p| dto::CommonPrefix {
                        prefix: Some(encode(p)),
                    })
                    .collect(),
            ),
            ..dto::ListObjectsOutput::default()
        }))
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<dto::GetObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::GetObjectTaggingOutput>> {
        let bucket = bucket_of(&req.input.bucket)?;
        let key = key_of(&req.input.key)?;
        let object = self.storage.object(&bucket, &key).await.map_err(to_s3)?;
        Ok(S3Response::new(dto::GetObjectTaggingOutput {
            tag_set: tag_set(&object.tags),
            version_id: None,
        }))
    }

    async fn put_object_tagging(
        &self,
        req: S3Request<dto::PutObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::PutObjectTaggingOutput>> {
        let bucket = bucket_of(&req.input.bucket)?;
        let key = key_of(&req.input.key)?;
        let tags = tags_from_set(req.input.tagging.tag_set);
        self.storage
            .set_object_tags(&bucket, &key, tags)
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::PutObjectTaggingOutput::default()))
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<dto::DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectTaggingOutput>> {
        let bucket = bucket_of(&req.input.bucket)?;
        let key = key_of(&req.input.key)?;
        self.storage
            .set_object_tags(&bucket, &key, Vec::new())
            .await
            .map_err(to_s3)?;
        let mut response = S3Response::new(dto::DeleteObjectTaggingOutput::default());
        response.status = Some(http::StatusCode::NO_CONTENT);
        Ok(response)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<dto::CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CreateMultipartUploadOutput>> {
        let caller = caller_of(&req)?;
        let input = req.input;
        let bucket = bucket_of(&input.bucket)?;
        let key = key_of(&input.key)?;
        let owner = caller
            .principal
            .ok_or_else(|| s3_error!(AccessDenied, "Access Denied"))?;
        let new = NewObject {
            tags: tags_of(input.tagging.as_deref()),
            condition: None,
            integrity: Integrity {
                algorithm: input
                    .checksum_algorithm
                    .as_ref()
                    .map(|a| a.as_str().to_owned()),
                ..Integrity::default()
            },
            headers: written_headers!(input),
        };
        let upload = self
            .storage
            .create_upload(&bucket, &key, &owner, new)
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::CreateMultipartUploadOutput {
            bucket: Some(bucket.to_string()),
            key: Some(key.to_string()),
            upload_id: Some(upload.id.to_string()),
            checksum_algorithm: input.checksum_algorithm,
            ..dto::CreateMultipartUploadOutput::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<dto::UploadPartInput>,
    ) -> S3Result<S3Response<dto::UploadPartOutput>> {
        let mut input = req.input;
        let upload = self
            .upload(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let integrity = integrity_of(
            input.content_md5.take(),
            input.checksum_algorithm.as_ref(),
            sent_checksums!(input),
        );
        let part = self
            .storage
            .upload_part(&upload, input.part_number, integrity, body_in(input.body))
            .await
            .map_err(to_s3)?;
        let sums = checksum_fields(part.checksum.as_ref());
        Ok(S3Response::new(dto::UploadPartOutput {
            e_tag: Some(etag(&part.etag)),
            checksum_crc32: sums.crc32,
            checksum_crc32c: sums.crc32c,
            checksum_crc64nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            ..dto::UploadPartOutput::default()
        }))
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<dto::UploadPartCopyInput>,
    ) -> S3Result<S3Response<dto::UploadPartCopyOutput>> {
        let input = req.input;
        let upload = self
            .upload(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let (from_bucket, from_key) = copy_source(&input.copy_source)?;
        let source = self
            .storage
            .object(&from_bucket, &from_key)
            .await
            .map_err(to_s3)?;
        let range = copy_range(input.copy_source_range.as_deref(), source.size)?;
        let part = self
            .storage
            .upload_part_copy(&upload, input.part_number, &source, range)
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(dto::UploadPartCopyOutput {
            copy_part_result: Some(dto::CopyPartResult {
                e_tag: Some(etag(&part.etag)),
                last_modified: Some(time_of(part.last_modified)),
                ..dto::CopyPartResult::default()
            }),
            ..dto::UploadPartCopyOutput::default()
        }))
    }

    async fn list_parts(
        &self,
        req: S3Request<dto::ListPartsInput>,
    ) -> S3Result<S3Response<dto::ListPartsOutput>> {
        let input = req.input;
        let upload = self
            .upload(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let after = input
            .part_number_marker
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0);
        let max = input.max_parts.unwrap_or(1000).clamp(1, 1000) as u32;
        let mut parts = self
            .storage
            .list_parts(&upload, after, max + 1)
            .await
            .map_err(to_s3)?;
        let truncated = parts.len() as u32 > max;
        parts.truncate(max as usize);
        Ok(S3Response::new(dto::ListPartsOutput {
            bucket: Some(upload.bucket.to_string()),
            key: Some(upload.key.to_string()),
            upload_id: Some(upload.id.to_string()),
            max_parts: Some(max as i32),
            is_truncated: Some(truncated),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: parts.last().filter(|_| truncated).map(|p| p.number as i32),
            initiator: Some(dto::Initiator {
                id: Some(upload.owner.clone()),
                display_name: Some(upload.owner.clone()),
            }),
            parts: Some(
                parts
                    .iter()
                    .map(|p| {
                        let sums = checksum_fields(p.checksum.as_ref());
                        dto::Part {
                            part_number: Some(p.number as i32),
                            e_tag: Some(etag(&p.etag)),
                            size: Some(p.size as i64),
                            last_modified: Some(time_of(p.last_modified)),
                            checksum_crc32: sums.crc32,
                            checksum_crc32c: sums.crc32c,
                            checksum_crc64nvme: sums.crc64nvme,
                            checksum_sha1: sums.sha1,
                            checksum_sha256: sums.sha256,
                        }
                    })
                    .collect(),
            ),
            ..dto::ListPartsOutput::default()
        }))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<dto::ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<dto::ListMultipartUploadsOutput>> {
        let input = req.input;
        let bucket = bucket_of(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = input.max_uploads.unwrap_or(1000).clamp(1, 1000) as u32;
        let after = input
            .key_marker
            .as_deref()
            .map(|k| (k, input.upload_id_marker.as_deref().unwrap_or("")));
        let mut uploads = self
            .storage
            .list_uploads(&bucket, &prefix, after, max + 1)
            .await
            .map_err(to_s3)?;
        let truncated = uploads.len() as u32 > max;
        uploads.truncate(max as usize);
        let last = uploads.last().filter(|_| truncated);
        Ok(S3Response::new(dto::ListMultipartUploadsOutput {
            bucket: Some(bucket.to_string()),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            next_key_marker: last.map(|u| u.key.to_string()),
            next_upload_id_marker: last.map(|u| u.id.to_string()),
            uploads: Some(
                uploads
                    .iter()
                    .map(|u| dto::MultipartUpload {
                        key: Some(u.key.to_string()),
                        upload_id: Some(u.id.to_string()),
                        initiated: Some(time_of(u.initiated)),
                        initiator: Some(dto::Initiator {
                            id: Some(u.owner.clone()),
                            display_name: Some(u.owner.clone()),
                        }),
                        ..dto::MultipartUpload::default()
                    })
                    .collect(),
            ),
            ..dto::ListMultipartUploadsOutput::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<dto::CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CompleteMultipartUploadOutput>> {
        let input = req.input;
        let upload = self
            .upload(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let chosen: Vec<(i32, String)> = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                (
                    p.part_number.unwrap_or(0),
                    p.e_tag.map(|e| e.into_value()).unwrap_or_default(),
                )
            })
            .collect();
        let condition = condition_of(input.if_none_match.as_ref())?;
        let object = self
            .storage
            .complete_upload(&upload, &chosen, condition)
            .await
            .map_err(to_s3)?;
        let public_url = &self.storage.cognito().config().public_url;
        Ok(S3Response::new(dto::CompleteMultipartUploadOutput {
            bucket: Some(object.bucket.to_string()),
            key: Some(object.key.to_string()),
            e_tag: Some(etag(&object.etag)),
            location: Some(format!("{public_url}/{}/{}", object.bucket, object.key)),
            ..dto::CompleteMultipartUploadOutput::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<dto::AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::AbortMultipartUploadOutput>> {
        let input = req.input;
        let upload = self
            .upload(&input.bucket, &input.key, &input.upload_id)
            .await?;
        self.storage.abort_upload(&upload).await.map_err(to_s3)?;
        let mut response = S3Response::new(dto::AbortMultipartUploadOutput::default());
        response.status = Some(http::StatusCode::NO_CONTENT);
        Ok(response)
    }
}

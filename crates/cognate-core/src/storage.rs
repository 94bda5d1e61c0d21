//! Storage's records: buckets, the objects in them (metadata here, bytes in blobs), multipart
//! uploads and their parts. An object's bytes are a list of blobs addressed by id; a user's key
//! is only ever a column, never a path, so no key reaches outside its bucket.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::Timestamp;

/// The S3 error codes storage answers with; each adapter renders them in its dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageCode {
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    BucketNotEmpty,
    BucketAlreadyOwnedByYou,
    InvalidBucketName,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    EntityTooSmall,
    EntityTooLarge,
    BadDigest,
    InvalidDigest,
    PreconditionFailed,
    NotModified,
    InvalidRange,
    NoSuchCORSConfiguration,
    NoSuchBucketPolicy,
    NoSuchTagSet,
    MalformedXML,
    InvalidTag,
    KeyTooLongError,
}

impl StorageCode {
    pub fn as_str(self) -> &'static str {
        use StorageCode::*;
        match self {
            NoSuchBucket => "NoSuchBucket",
            NoSuchKey => "NoSuchKey",
            NoSuchUpload => "NoSuchUpload",
            BucketNotEmpty => "BucketNotEmpty",
            BucketAlreadyOwnedByYou => "BucketAlreadyOwnedByYou",
            InvalidBucketName => "InvalidBucketName",
            InvalidArgument => "InvalidArgument",
            InvalidPart => "InvalidPart",
            InvalidPartOrder => "InvalidPartOrder",
            EntityTooSmall => "EntityTooSmall",
            EntityTooLarge => "EntityTooLarge",
            BadDigest => "BadDigest",
            InvalidDigest => "InvalidDigest",
            PreconditionFailed => "PreconditionFailed",
            NotModified => "NotModified",
            InvalidRange => "InvalidRange",
            NoSuchCORSConfiguration => "NoSuchCORSConfiguration",
            NoSuchBucketPolicy => "NoSuchBucketPolicy",
            NoSuchTagSet => "NoSuchTagSet",
            MalformedXML => "MalformedXML",
            InvalidTag => "InvalidTag",
            KeyTooLongError => "KeyTooLongError",
        }
    }
}

/// A storage error with S3's code.
pub fn storage_error(code: StorageCode, message: impl Into<String>) -> Error {
    Error::Storage(code, message.into())
}

pub fn no_such_bucket() -> Error {
    storage_error(
        StorageCode::NoSuchBucket,
        "The specified bucket does not exist",
    )
}

pub fn no_such_key() -> Error {
    storage_error(StorageCode::NoSuchKey, "The specified key does not exist.")
}

pub fn no_such_upload() -> Error {
    storage_error(
        StorageCode::NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

/// A bucket name by S3's rules for new buckets: 3 to 63 characters of lowercase letters,
/// digits, dots and hyphens, beginning and ending with a letter or digit, no `..`, not shaped
/// like an IP address, none of the reserved prefixes and suffixes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BucketName(String);

impl BucketName {
    pub fn parse(raw: &str) -> Result<Self> {
        let bytes = raw.as_bytes();
        let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let valid = (3..=63).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && edge(bytes.first())
            && edge(bytes.last())
            && !raw.contains("..")
            && !raw.contains(".-")
            && !raw.contains("-.")
            && raw.parse::<std::net::Ipv4Addr>().is_err()
            && !raw.starts_with("xn--")
            && !raw.starts_with("sthree-")
            && !raw.ends_with("-s3alias")
            && !raw.ends_with("--ol-s3");
        if valid {
            Ok(BucketName(raw.to_owned()))
        } else {
            Err(storage_error(
                StorageCode::InvalidBucketName,
                "The specified bucket is not valid.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.0)
    }
}

impl std::fmt::Display for BucketName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An object key: 1 to 1024 bytes of UTF-8, anything else allowed (`..`, `//`, a leading `/`),
/// as in S3. Keys are data, never paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectKey(String);

pub const MAX_KEY_BYTES: usize = 1024;

impl ObjectKey {
    pub fn parse(raw: &str) -> Result<Self> {
        if raw.is_empty() {
            return Err(storage_error(
                StorageCode::InvalidArgument,
                "An object key must not be empty.",
            ));
        }
        if raw.len() > MAX_KEY_BYTES {
            return Err(storage_error(
                StorageCode::KeyTooLongError,
                "Your key is too long",
            ));
        }
        Ok(ObjectKey(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn arn(&self, bucket: &BucketName) -> String {
        format!("arn:aws:s3:::{}/{}", bucket, self.0)
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                $name(uuid::Uuid::new_v4().simple().to_string())
            }

            /// 32 lowercase hex digits; anything else names nothing.
            pub fn parse(raw: &str) -> Option<Self> {
                (raw.len() == 32 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
                    .then(|| $name(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

random_id!(
    /// Where a run of an object's bytes lives in the blob store.
    BlobId
);
random_id!(
    /// A multipart upload.
    UploadId
);

/// A bucket's CORS rule, as PutBucketCors takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_headers: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

impl CorsRule {
    /// The rule's answer for a request from `origin` with `method`, if it covers them.
    pub fn matches(&self, origin: &str, method: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|o| wildcard_match(o, origin))
            && self
                .allowed_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
    }

    /// Whether every requested header is allowed (case-insensitively, with one `*` each).
    pub fn allows_headers<'a>(&self, mut headers: impl Iterator<Item = &'a str>) -> bool {
        headers.all(|h| {
            self.allowed_headers
                .iter()
                .any(|a| wildcard_match(&a.to_ascii_lowercase(), &h.to_ascii_lowercase()))
        })
    }
}

/// S3's CORS patterns: at most one `*`, matching any run of characters.
fn wildcard_match(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.len() >= head.len() + tail.len()
                && value.starts_with(head)
                && value.ends_with(tail)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub name: BucketName,
    pub created: Timestamp,
    pub cors: Option<Vec<CorsRule>>,
    /// The bucket policy's text, checked when it was put.
    pub policy: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// The headers an object is stored with and answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ObjectHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    /// `x-amz-meta-*`, names lowercased without the prefix.
    pub user_metadata: BTreeMap<String, String>,
}

/// An additional checksum (`x-amz-checksum-<algorithm>`), base64 as S3 sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub algorithm: String,
    pub value: String,
}

/// A run of an object's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub blob: BlobId,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bucket: BucketName,
    pub key: ObjectKey,
    pub size: u64,
    /// As S3 computes it, without quotes: the MD5 in hex, or for a multipart upload the MD5 of
    /// the parts' MD5s with `-<parts>`.
    pub etag: String,
    pub last_modified: Timestamp,
    pub headers: ObjectHeaders,
    pub checksum: Option<Checksum>,
    pub tags: Vec<(String, String)>,
    /// The bytes, in order.
    pub segments: Vec<Segment>,
}

impl StoredObject {
    /// The blobs holding this object's bytes.
    pub fn blobs(&self) -> Vec<BlobId> {
        self.segments.iter().map(|s| s.blob.clone()).collect()
    }
}

/// A multipart upload in progress. It belongs to the identity that began it (the principal's
/// ARN), not the access key: temporary keys rotate during long uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: UploadId,
    pub bucket: BucketName,
    pub key: ObjectKey,
    pub owner: String,
    pub initiated: Timestamp,
    pub headers: ObjectHeaders,
    pub checksum_algorithm: Option<String>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub number: u32,
    pub blob: BlobId,
    pub size: u64,
    /// MD5 in hex, without quotes.
    pub etag: String,
    pub last_modified: Timestamp,
    pub checksum: Option<Checksum>,
}

/// What a write requires of the object it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteCondition {
    Always,
    /// `If-None-Match: *`: only if there is no object under the key.
    IfAbsent,
}

/// Part numbers S3 accepts.
pub const PART_NUMBERS: std::ops::RangeInclusive<u32> = 1..=10_000;
/// Every part but the last must be at least this large.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["abc", "my-bucket", "app.storage", "a1b2c3", &"a".repeat(63)] {
            assert!(BucketName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "MyBucket",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.5.4",
            "xn--abc",
            "my_bucket",
            "abc-s3alias",
            "healthz/",
        ] {
            let error = BucketName::parse(bad).unwrap_err();
            assert_eq!(
                error,
                Error::Storage(
                    StorageCode::InvalidBucketName,
                    "The specified bucket is not valid.".into()
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn keys_are_data_so_dots_slashes_and_unicode_are_kept() {
        for key in [
            "public/../private/x",
            "//a//b",
            "/leading",
            "ünïcødé/🙂",
            ".",
            "..",
        ] {
            assert_eq!(ObjectKey::parse(key).unwrap().as_str(), key);
        }
        assert!(ObjectKey::parse("").is_err());
        assert!(ObjectKey::parse(&"k".repeat(1025)).is_err());
        assert!(ObjectKey::parse(&"k".repeat(1024)).is_ok());
    }

    #[test]
    fn blob_ids_are_hex_and_nothing_else_parses() {
        let id = BlobId::generate();
        assert_eq!(BlobId::parse(id.as_str()), Some(id));
        assert_eq!(BlobId::parse("../../etc/passwd0000000000000000"), None);
        assert_eq!(BlobId::parse(""), None);
    }

    #[test]
    fn cors_rules_match_origins_with_one_wildcard() {
        let rule = CorsRule {
            allowed_origins: vec!["https://*.example.com".into()],
            allowed_methods: vec!["GET".into(), "PUT".into()],
            allowed_headers: vec!["x-amz-*".into(), "content-type".into()],
            ..CorsRule::default()
        };
        assert!(rule.matches("https://app.example.com", "PUT"));
        assert!(!rule.matches("https://example.org", "PUT"));
        assert!(!rule.matches("https://app.example.com", "DELETE"));
        assert!(rule.allows_headers(["X-Amz-Date", "Content-Type"].into_iter()));
        assert!(!rule.allows_headers(["authorization"].into_iter()));
    }
}

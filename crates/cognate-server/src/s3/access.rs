//! Who may do what in storage: s3s verifies the signature with the secret the credential door
//! finds for the access key ([`S3Auth`]); then [`S3Access`] reads the session token, asks the
//! door who the caller is, and puts each operation's action and resource to the one evaluator,
//! with the bucket's policy beside the caller's. Operations whose decision depends on their
//! parsed input (a listing's prefix, a copy's source) are decided in their per-op hooks;
//! DeleteObjects is decided key by key in the operation itself.

use std::net::{IpAddr, SocketAddr};

use async_trait::async_trait;
use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, Uri};
use cognate_core::credentials::Principal;
use cognate_core::service::Storage;
use cognate_core::sigv4::percent_decode;
use cognate_core::storage::{BucketName, ObjectKey};
use cognate_core::Error;
use cognate_iam::Context;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{
    CopyObjectInput, CopySource, ListObjectsInput, ListObjectsV2Input, UploadPartCopyInput,
};
use s3s::path::S3Path;
use s3s::{s3_error, S3Request, S3Result};

use super::errors::to_s3;
use super::{bucket_of, copy_source, key_of};
use crate::listener::Transport;
use crate::AppState;

/// The verified caller of a storage request, for the operations that decide more themselves.
#[derive(Clone)]
pub struct S3Caller {
    /// `None`: an anonymous request.
    pub principal: Option<Principal>,
    pub address: IpAddr,
    pub secure: bool,
}

#[derive(Clone)]
pub struct Door {
    pub state: AppState,
    pub storage: Storage,
}

#[async_trait]
impl S3Auth for Door {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.state.credentials.secret_of(access_key).await {
            Ok(Some(secret)) => Ok(SecretKey::from(secret.as_str())),
            Ok(None) => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
            Err(e) => Err(to_s3(e)),
        }
    }
}

/// The request's session token: the header, or a presigned URL's query parameter.
fn session_token(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(token) = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(token.to_owned());
    }
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.eq_ignore_ascii_case("X-Amz-Security-Token")
            .then(|| percent_decode(v, true))
    })
}

/// What an operation needs allowed, when its path alone says.
enum Required {
    /// This action on the bucket's ARN.
    Bucket(&'static str),
    /// This action on the object's ARN.
    Object(&'static str),
    /// ListAllMyBuckets on every bucket.
    Service,
    /// Decided later, with the parsed input.
    Later,
}

/// AWS's operation → action mapping for what cognate implements; anything else is refused.
fn required(operation: &str) -> Option<Required> {
    use Required::*;
    Some(match operation {
        "ListBuckets" => Service,
        "CreateBucket" => Bucket("s3:CreateBucket"),
        "HeadBucket" => Bucket("s3:ListBucket"),
        "DeleteBucket" => Bucket("s3:DeleteBucket"),
        "GetBucketLocation" => Bucket("s3:GetBucketLocation"),
        "PutBucketCors" | "DeleteBucketCors" => Bucket("s3:PutBucketCORS"),
        "GetBucketCors" => Bucket("s3:GetBucketCORS"),
        "PutBucketPolicy" => Bucket("s3:PutBucketPolicy"),
        "GetBucketPolicy" => Bucket("s3:GetBucketPolicy"),
        "DeleteBucketPolicy" => Bucket("s3:DeleteBucketPolicy"),
        "PutBucketTagging" | "DeleteBucketTagging" => Bucket("s3:PutBucketTagging"),
        "GetBucketTagging" => Bucket("s3:GetBucketTagging"),
        "ListMultipartUploads" => Bucket("s3:ListBucketMultipartUploads"),
        "GetObject" | "HeadObject" => Object("s3:GetObject"),
        "PutObject"
        | "PostObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "CompleteMultipartUpload" => Object("s3:PutObject"),
        "DeleteObject" => Object("s3:DeleteObject"),
        "AbortMultipartUpload" => Object("s3:AbortMultipartUpload"),
        "ListParts" => Object("s3:ListMultipartUploadParts"),
        "GetObjectTagging" => Object("s3:GetObjectTagging"),
        "PutObjectTagging" => Object("s3:PutObjectTagging"),
        "DeleteObjectTagging" => Object("s3:DeleteObjectTagging"),
        "ListObjects" | "ListObjectsV2" | "CopyObject" | "UploadPartCopy" | "DeleteObjects" => {
            Later
        }
        _ => return None,
    })
}

impl Door {
    /// Decides whether `caller` may perform `action` on `resource` of `bucket`, with the
    /// request's context keys and `extra` ones.
    pub async fn authorize(
        &self,
        caller: &S3Caller,
        bucket: Option<&BucketName>,
        action: &str,
        resource: &str,
        extra: &[(&str, String)],
    ) -> S3Result<()> {
        let mut context = Context::new();
        context.insert("aws:SourceIp", caller.address.to_string());
        context.insert("aws:SecureTransport", caller.secure.to_string());
        for (key, value) in extra {
            context.insert(key, value.as_str());
        }
        self.storage
            .authorize(caller.principal.as_ref(), bucket, action, resource, context)
            .await
            .map_err(to_s3)
    }

    /// Whether `caller` may list `bucket` (S3 answers a missing key with AccessDenied to
    /// callers who may not, so that they learn nothing of what is there).
    pub async fn may_list(&self, caller: &S3Caller, bucket: &BucketName, key: &ObjectKey) -> bool {
        self.authorize(
            caller,
            Some(bucket),
            "s3:ListBucket",
            &bucket.arn(),
            &[("s3:prefix", key.to_string())],
        )
        .await
        .is_ok()
    }

    /// Decides a copy: GetObject on the source, PutObject on the target.
    async fn authorize_copy(
        &self,
        caller: &S3Caller,
        source: &CopySource,
        bucket: &str,
        key: &str,
    ) -> S3Result<()> {
        let (from_bucket, from_key) = copy_source(source)?;
        self.authorize(
            caller,
            Some(&from_bucket),
            "s3:GetObject",
            &from_key.arn(&from_bucket),
            &[],
        )
        .await?;
        let bucket = bucket_of(bucket)?;
        let key = key_of(key)?;
        self.authorize(
            caller,
            Some(&bucket),
            "s3:PutObject",
            &key.arn(&bucket),
            &[],
        )
        .await
    }

    async fn authorize_listing(
        &self,
        caller: &S3Caller,
        bucket: &str,
        prefix: Option<&str>,
        delimiter: Option<&str>,
        max_keys: Option<i32>,
    ) -> S3Result<()> {
        let bucket = bucket_of(bucket)?;
        let mut keys = vec![("s3:prefix", prefix.unwrap_or_default().to_owned())];
        if let Some(delimiter) = delimiter {
            keys.push(("s3:delimiter", delimiter.to_owned()));
        }
        keys.push(("s3:max-keys", max_keys.unwrap_or(1000).to_string()));
        self.authorize(caller, Some(&bucket), "s3:ListBucket", &bucket.arn(), &keys)
            .await
    }
}

/// The caller a check put in the request's extensions.
pub fn caller_of<T>(request: &S3Request<T>) -> S3Result<S3Caller> {
    request
        .extensions
        .get::<S3Caller>()
        .cloned()
        .ok_or_else(|| s3_error!(InternalError, "the request was not authorized"))
}

/// The peer's address and whether the connection is TLS.
pub fn connection(extensions: &Extensions) -> (SocketAddr, bool) {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let secure = extensions.get::<Transport>().is_some_and(|t| t.secure);
    (peer, secure)
}

impl Door {
    /// Who signed the request (`access_key`: the one s3s verified the signature of; none:
    /// anonymous), with the session token the request carries, and where it came from
    /// ([`connection`]).
    pub async fn caller(
        &self,
        access_key: Option<&str>,
        headers: &HeaderMap,
        uri: &Uri,
        connection: (SocketAddr, bool),
    ) -> S3Result<S3Caller> {
        let principal = match access_key {
            None => None,
            Some(access_key) => {
                let token = session_token(headers, uri).filter(|t| !t.is_empty());
                match self
                    .state
                    .credentials
                    .lookup(access_key, token.as_deref())
                    .await
                {
                    Ok(Some(found)) => Some(found.principal),
                    Ok(None) if token.is_some() => {
                        return Err(s3_error!(
                            InvalidToken,
                            "The provided token is malformed or otherwise invalid."
                        ))
                    }
                    Ok(None) => {
                        return Err(s3_error!(
                            InvalidAccessKeyId,
                            "The AWS Access Key Id you provided does not exist in our records."
                        ))
                    }
                    Err(Error::ExpiredToken(_)) => {
                        return Err(s3_error!(ExpiredToken, "The provided token has expired."))
                    }
                    Err(e) => return Err(to_s3(e)),
                }
            }
        };
        let (peer, secure) = connection;
        Ok(S3Caller {
            principal,
            address: crate::client_address(&self.state, peer, headers),
            secure,
        })
    }
}

#[async_trait]
impl S3Access for Door {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let access_key = cx.credentials().map(|c| c.access_key.clone());
        let connection = connection(cx.extensions_mut());
        let caller = self
            .caller(access_key.as_deref(), cx.headers(), cx.uri(), connection)
            .await?;
        self.check_size(cx)?;
        let operation = cx.s3_op().name();
        let required = required(operation)
            .ok_or_else(|| s3_error!(NotImplemented, "cognate does not implement {operation}."))?;
        let (bucket, key) = match cx.s3_path() {
            S3Path::Root => (None, None),
            S3Path::Bucket { bucket } => (Some(bucket.as_ref()), None),
            S3Path::Object { bucket, key } => (Some(bucket.as_ref()), Some(key.as_ref())),
        };
        let bucket = bucket.map(bucket_of).transpose()?;
        match required {
            Required::Service => {
                self.authorize(&caller, None, "s3:ListAllMyBuckets", "arn:aws:s3:::*", &[])
                    .await?
            }
            Required::Bucket(action) => {
                let bucket =
                    bucket.ok_or_else(|| s3_error!(InvalidRequest, "A bucket is required."))?;
                self.authorize(&caller, Some(&bucket), action, &bucket.arn(), &[])
                    .await?
            }
            // PostObject's key is in the form, read with the input (its hook).
            Required::Object(_) if operation == "PostObject" => {}
            Required::Object(action) => {
                let bucket =
                    bucket.ok_or_else(|| s3_error!(InvalidRequest, "A bucket is required."))?;
                let key = key_of(key.unwrap_or_default())?;
                self.authorize(&caller, Some(&bucket), action, &key.arn(&bucket), &[])
                    .await?
            }
            Required::Later => {}
        }
        cx.extensions_mut().insert(caller);
        Ok(())
    }

    async fn list_objects(&self, req: &mut S3Request<ListObjectsInput>) -> S3Result<()> {
        let caller = caller_of(req)?;
        let input = &req.input;
        self.authorize_listing(
            &caller,
            &input.bucket,
            input.prefix.as_deref(),
            input.delimiter.as_deref(),
            input.max_keys,
        )
        .await
    }

    async fn list_objects_v2(&self, req: &mut S3Request<ListObjectsV2Input>) -> S3Result<()> {
        let caller = caller_of(req)?;
        let input = &req.input;
        self.authorize_listing(
            &caller,
            &input.bucket,
            input.prefix.as_deref(),
            input.delimiter.as_deref(),
            input.max_keys,
        )
        .await
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        let caller = caller_of(req)?;
        let input = &req.input;
        self.authorize_copy(&caller, &input.copy_source, &input.bucket, &input.key)
            .await
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        let caller = caller_of(req)?;
        let input = &req.input;
        self.authorize_copy(&caller, &input.copy_source, &input.bucket, &input.key)
            .await
    }

    async fn post_object(&self, req: &mut S3Request<s3s::dto::PostObjectInput>) -> S3Result<()> {
        let caller = caller_of(req)?;
        let bucket = bucket_of(&req.input.bucket)?;
        let key = key_of(&req.input.key)?;
        self.authorize(
            &caller,
            Some(&bucket),
            "s3:PutObject",
            &key.arn(&bucket),
            &[],
        )
        .await
    }
}

impl Door {
    /// A body larger than the limit is refused before it is read, by its declared length.
    fn check_size(&self, cx: &S3AccessContext<'_>) -> S3Result<()> {
        let limit = self.storage.max_object_bytes();
        let declared = ["x-amz-decoded-content-length", "content-length"]
            .iter()
            .find_map(|name| cx.headers().get(*name))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(length) if length > limit => Err(s3_error!(
                EntityTooLarge,
                "Your proposed upload exceeds the maximum allowed size of {limit} bytes."
            )),
            _ => Ok(()),
        }
    }
}

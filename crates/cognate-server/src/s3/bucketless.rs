//! aws-amplify's DeleteObjects for a path-style bucket (one with a dot in its name) is sent as
//! `POST /?delete`: it sets the URL's path to `/`, losing the bucket (amplify-js.md). S3 cannot
//! answer it; cognate can, when the operator names the bucket such requests mean
//! (`--s3-default-bucket`). The request is signed as sent, so it cannot be rewritten before s3s
//! checks the signature; this route takes it after the check, and hands DeleteObjects for the
//! default bucket to the operation every other DeleteObjects goes through (which decides key by
//! key).

use async_trait::async_trait;
use axum::http::{Extensions, HeaderMap, Method, StatusCode, Uri};
use cognate_core::storage::BucketName;
use futures::TryStreamExt;
use md5::Digest as _;
use s3s::dto::{Delete, DeleteObjectsInput};
use s3s::route::S3Route;
use s3s::xml::Deserialize as _;
use s3s::{s3_error, Body, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, S3};

use super::access::{connection, Door};
use super::ops::Objects;
use super::Domain;

/// A DeleteObjects body names at most 1,000 keys of at most 1,024 bytes each.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub struct BucketlessDelete {
    pub door: Door,
    pub objects: Objects,
    pub domain: std::sync::Arc<Domain>,
    pub bucket: BucketName,
}

#[async_trait]
impl S3Route for BucketlessDelete {
    fn is_match(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        _extensions: &mut Extensions,
    ) -> bool {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        method == Method::POST
            && uri.path() == "/"
            && uri
                .query()
                .unwrap_or_default()
                .split('&')
                .any(|pair| pair.split('=').next() == Some("delete"))
            && self.domain.bucket_in(host).is_none()
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        let access_key = req.credentials.as_ref().map(|c| c.access_key.clone());
        let caller = self
            .door
            .caller(
                access_key.as_deref(),
                &req.headers,
                &req.uri,
                connection(&req.extensions),
            )
            .await?;
        req.extensions.insert(caller);
        Ok(())
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let xml = read_body(std::mem::replace(&mut req.input, Body::empty())).await?;
        check_digests(&req.headers, &xml)?;
        let delete = Delete::deserialize(&mut s3s::xml::Deserializer::new(&xml))
            .map_err(|_| s3_error!(MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema."))?;
        let mut input = DeleteObjectsInput::builder();
        input.set_bucket(self.bucket.to_string());
        input.set_delete(delete);
        let input = input
            .build()
            .map_err(|e| s3_error!(InternalError, "a DeleteObjects input: {e}"))?;
        let answer = self
            .objects
            .delete_objects(req.map_input(|_| input))
            .await?;
        let mut xml = Vec::new();
        let mut serializer = s3s::xml::Serializer::new(&mut xml);
        serializer
            .decl()
            .and_then(|()| s3s::xml::Serialize::serialize(&answer.output, &mut serializer))
            .map_err(|e| s3_error!(InternalError, "could not write the answer: {e}"))?;
        let mut response = S3Response::new(Body::from(xml));
        response.headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/xml"),
        );
        Ok(response)
    }
}

async fn read_body(body: Body) -> S3Result<Vec<u8>> {
    let mut xml = Vec::new();
    let mut stream = body;
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|_| s3_error!(IncompleteBody, "The request body ended early."))?
    {
        if xml.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(s3_error!(
                MalformedXML,
                "A DeleteObjects request names at most 1000 keys."
            ));
        }
        xml.extend_from_slice(&chunk);
    }
    Ok(xml)
}

/// The signature covers `x-amz-content-sha256`, not the body: the body must have that digest
/// (and the `Content-MD5` it came with), or it is not the one that was signed.
fn check_digests(headers: &HeaderMap, body: &[u8]) -> S3Result<()> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(declared) = header("x-amz-content-sha256") {
        if declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit()) {
            let actual = hex::encode(sha2::Sha256::digest(body));
            if !actual.eq_ignore_ascii_case(declared) {
                let mut error = S3Error::with_message(
                    S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                );
                error.set_status_code(StatusCode::BAD_REQUEST);
                return Err(error);
            }
        }
    }
    if let Some(declared) = header("content-md5") {
        use base64::Engine as _;
        let actual = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
        if actual != declared {
            return Err(s3_error!(
                BadDigest,
                "The Content-MD5 you specified did not match what we received."
            ));
        }
    }
    Ok(())
}

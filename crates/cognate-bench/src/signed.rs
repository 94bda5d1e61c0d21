//! SigV4-signed calls without an SDK: the REST scenarios' signed GET, and the small-object
//! storage scenarios' GetObject and PutObject. Signing is aws-sigv4's, the signer inside the AWS
//! SDKs. For S3 the request carries what the AWS SDK for Rust sends for the same call (the test
//! below compares the two), so the server does the same work for either. What is skipped is the
//! SDK's orchestrator (interceptors, endpoint resolution, response parsing), which cost the load
//! tool about as much CPU per small PUT as the server spent on it; on two cores shared with the
//! server, that cost was taken from the server being measured (BENCHMARKS.md).

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::Digest;

use cognate_client::CallError;

pub(crate) fn transport(e: impl std::fmt::Display) -> CallError {
    CallError::Transport(e.to_string())
}

/// The headers that sign `method url` with `headers` and a body of `payload_sha256` (hex) for
/// `service`: `authorization`, `x-amz-date`, and for S3 `x-amz-content-sha256`, and the session
/// token's header when there is one.
pub fn signature_headers(
    credentials: &Credentials,
    region: &str,
    service: &str,
    (method, url): (&str, &str),
    headers: &[(&str, &str)],
    payload_sha256: &str,
) -> Result<Vec<(String, String)>, CallError> {
    let mut settings = SigningSettings::default();
    if service == "s3" {
        // S3's own rules: the key is encoded once and never normalized, and the payload's hash
        // travels in a header that is itself signed.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .map_err(transport)?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Precomputed(payload_sha256.to_owned()),
    )
    .map_err(transport)?;
    let (instructions, _) = sign(signable, &params).map_err(transport)?.into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

/// The SHA-256 of an empty payload, as SigV4 writes it.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A body to PUT again and again, with the hashes a signed PUT of it carries. The body never
/// changes, so they are computed once; the server still computes both from the bytes it receives.
pub struct PutBody {
    bytes: bytes::Bytes,
    sha256: String,
    crc32: String,
}

impl PutBody {
    pub fn new(bytes: bytes::Bytes) -> PutBody {
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let crc32 = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, &bytes) as u32;
        let crc32 = STANDARD.encode(crc32.to_be_bytes());
        PutBody {
            bytes,
            sha256,
            crc32,
        }
    }
}

/// GetObject and PutObject on one path-style endpoint, as the AWS SDK for Rust sends them.
pub struct S3 {
    http: reqwest::Client,
    endpoint: String,
    region: String,
    credentials: Credentials,
}

impl S3 {
    pub fn new(endpoint: &str, region: &str, credentials: Credentials) -> S3 {
        S3 {
            http: reqwest::Client::new(),
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            credentials,
        }
    }

    /// The object's URL, with the `x-id` the SDK adds to name the operation.
    fn url(&self, bucket: &str, key: &str, operation: &str) -> String {
        format!("{}/{bucket}/{key}?x-id={operation}", self.endpoint)
    }

    /// GetObject, with response checksums asked for as the SDK asks; the object's bytes.
    pub async fn get(&self, bucket: &str, key: &str) -> Result<bytes::Bytes, CallError> {
        let url = self.url(bucket, key, "GetObject");
        let headers = [("x-amz-checksum-mode", "ENABLED")];
        let signature = signature_headers(
            &self.credentials,
            &self.region,
            "s3",
            ("GET", &url),
            &headers,
            EMPTY_SHA256,
        )?;
        let request = with_headers(self.http.get(&url), &headers, signature);
        let answer = request.send().await.map_err(transport)?;
        let status = answer.status();
        let body = answer.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(CallError::Transport(format!(
                "GET {url}: {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(body)
    }

    /// PutObject of `body`, with its CRC32 and the content type the SDK sends by default.
    pub async fn put(&self, bucket: &str, key: &str, body: &PutBody) -> Result<(), CallError> {
        let url = self.url(bucket, key, "PutObject");
        let length = body.bytes.len().to_string();
        let headers = [
            ("content-length", length.as_str()),
            ("content-type", "application/octet-stream"),
            ("x-amz-checksum-crc32", body.crc32.as_str()),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ];
        let signature = signature_headers(
            &self.credentials,
            &self.region,
            "s3",
            ("PUT", &url),
            &headers,
            &body.sha256,
        )?;
        let request = with_headers(self.http.put(&url), &headers, signature);
        let answer = request
            .body(body.bytes.clone())
            .send()
            .await
            .map_err(transport)?;
        let status = answer.status();
        if !status.is_success() {
            let text = answer.text().await.unwrap_or_default();
            return Err(CallError::Transport(format!("PUT {url}: {status}: {text}")));
        }
        Ok(())
    }
}

fn with_headers(
    mut request: reqwest::RequestBuilder,
    headers: &[(&str, &str)],
    signature: Vec<(String, String)>,
) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    for (name, value) in signature {
        request = request.header(name, value);
    }
    request
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A request as it arrived: its request line, and its headers by lowercased name.
    struct Arrived {
        line: String,
        headers: BTreeMap<String, String>,
        body: Vec<u8>,
    }

    impl Arrived {
        /// The names in the `SignedHeaders` of its `authorization`.
        fn signed_headers(&self) -> Vec<String> {
            let authorization = &self.headers["authorization"];
            let (_, rest) = authorization.split_once("SignedHeaders=").unwrap();
            let (names, _) = rest.split_once(',').unwrap();
            names.split(';').map(str::to_owned).collect()
        }
    }

    /// Accepts one connection on a fresh port, reads one request and answers `response`.
    async fn one_request(response: Vec<u8>) -> (String, tokio::task::JoinHandle<Arrived>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let arrived = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let head_end = loop {
                let mut chunk = [0u8; 4096];
                let n = socket.read(&mut chunk).await.unwrap();
                assert!(
                    n > 0,
                    "the connection closed before the request's head ended"
                );
                received.extend_from_slice(&chunk[..n]);
                if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at;
                }
            };
            let head = String::from_utf8(received[..head_end].to_vec()).unwrap();
            let mut lines = head.split("\r\n");
            let line = lines.next().unwrap().to_owned();
            let headers: BTreeMap<String, String> = lines
                .map(|l| {
                    let (name, value) = l.split_once(':').unwrap();
                    (name.trim().to_ascii_lowercase(), value.trim().to_owned())
                })
                .collect();
            let length: usize = headers
                .get("content-length")
                .map_or(0, |l| l.parse().unwrap());
            let mut body = received[head_end + 4..].to_vec();
            while body.len() < length {
                let mut chunk = [0u8; 4096];
                let n = socket.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the connection closed before the body ended");
                body.extend_from_slice(&chunk[..n]);
            }
            socket.write_all(&response).await.unwrap();
            socket.shutdown().await.unwrap();
            Arrived {
                line,
                headers,
                body,
            }
        });
        (endpoint, arrived)
    }

    // The credentials both clients sign with.
    const KEY_ID: &str = "ASIAEXAMPLE";
    const SECRET: &str = "secret";
    const TOKEN: &str = "token";

    fn credentials() -> Credentials {
        Credentials::new(KEY_ID, SECRET, Some(TOKEN.into()), None, "test")
    }

    fn sdk(endpoint: &str) -> aws_sdk_s3::Client {
        crate::scenarios::s3_client(endpoint, "us-east-1", KEY_ID, SECRET, Some(TOKEN.into()))
    }

    /// Headers that only say which SDK sent a request and which attempt it was.
    const SDK_BOOKKEEPING: [&str; 4] = [
        "user-agent",
        "x-amz-user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    ];

    /// The two requests match: the same line, the same headers with the same values (but for
    /// the SDK's own bookkeeping), the same headers signed and the same body.
    fn assert_same_request(by_sdk: &Arrived, by_us: &Arrived) {
        assert_eq!(by_sdk.line, by_us.line);
        // The signature and its time differ, and so does `host`: each listener has its own port.
        // reqwest adds `accept: */*`, which is not signed and which S3 ignores.
        const DIFFERING: [&str; 4] = ["authorization", "x-amz-date", "host", "accept"];
        let comparable = |a: &Arrived| -> BTreeMap<String, String> {
            a.headers
                .iter()
                .filter(|(name, _)| !SDK_BOOKKEEPING.contains(&name.as_str()))
                .filter(|(name, _)| !DIFFERING.contains(&name.as_str()))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        };
        assert_eq!(comparable(by_sdk), comparable(by_us));
        let signed = |a: &Arrived| -> Vec<String> {
            a.signed_headers()
                .into_iter()
                .filter(|name| !SDK_BOOKKEEPING.contains(&name.as_str()))
                .collect()
        };
        assert_eq!(signed(by_sdk), signed(by_us));
        assert_eq!(by_sdk.body, by_us.body);
    }

    const PUT_ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\n\r\n";

    #[tokio::test]
    async fn a_signed_put_is_the_request_the_sdk_sends() {
        let bytes = bytes::Bytes::from(vec![7u8; 4096]);
        let body = PutBody::new(bytes.clone());
        let (endpoint, arrived) = one_request(PUT_ANSWER.to_vec()).await;
        sdk(&endpoint)
            .put_object()
            .bucket("bucket")
            .key("put/12")
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send()
            .await
            .unwrap();
        let by_sdk = arrived.await.unwrap();
        let (endpoint, arrived) = one_request(PUT_ANSWER.to_vec()).await;
        S3::new(&endpoint, "us-east-1", credentials())
            .put("bucket", "put/12", &body)
            .await
            .unwrap();
        assert_same_request(&by_sdk, &arrived.await.unwrap());
    }

    #[tokio::test]
    async fn a_signed_get_is_the_request_the_sdk_sends() {
        let mut answer = b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n".to_vec();
        answer.extend_from_slice(&[7u8; 4096]);
        let (endpoint, arrived) = one_request(answer.clone()).await;
        sdk(&endpoint)
            .get_object()
            .bucket("bucket")
            .key("object-4k")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap();
        let by_sdk = arrived.await.unwrap();
        let (endpoint, arrived) = one_request(answer).await;
        let object = S3::new(&endpoint, "us-east-1", credentials())
            .get("bucket", "object-4k")
            .await
            .unwrap();
        assert_eq!(object.len(), 4096);
        assert_same_request(&by_sdk, &arrived.await.unwrap());
    }
}

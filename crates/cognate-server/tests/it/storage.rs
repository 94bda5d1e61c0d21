//! Storage through the official aws-sdk-s3, path-style and virtual-hosted: buckets, objects,
//! listings, copies, tags, multipart uploads, presigned URLs, CORS and bucket policies; and
//! every request held to the caller's role: Amplify's storage policies for owners, other
//! identities, guests and groups, with identity-pool credentials.

use std::time::Duration;

use aws_sdk_s3 as s3;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, CorsConfiguration, CorsRule, Delete, ObjectIdentifier,
    Tag, Tagging,
};

use crate::identity_pools::{role_arn, Project};
use crate::support::{expired_session_token, iam_client, Keys, TestServer};

/// An aws-sdk-s3 client on cognate's endpoint.
fn s3_client(url: &str, keys: &Keys, path_style: bool) -> s3::Client {
    let credentials = s3::config::Credentials::new(
        keys.id,
        keys.secret,
        keys.token.map(str::to_owned),
        None,
        "test",
    );
    let config = s3::Config::builder()
        .behavior_version(s3::config::BehaviorVersion::latest())
        .region(s3::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .force_path_style(path_style)
        .credentials_provider(credentials)
        .retry_config(s3::config::retry::RetryConfig::disabled())
        .build();
    s3::Client::from_conf(config)
}

/// Sends virtual-hosted requests (`<bucket>.localhost:<port>`, which this machine's resolver
/// does not know) to the server's address, the signed Host header unchanged.
#[derive(Debug)]
struct ToLoopback(String);

impl s3::config::Intercept for ToLoopback {
    fn name(&self) -> &'static str {
        "ToLoopback"
    }

    fn modify_before_transmit(
        &self,
        context: &mut s3::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let request = context.request_mut();
        let uri: http::Uri = request.uri().parse()?;
        let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
        request.headers_mut().insert("host", host);
        let rewritten = format!(
            "http://{}{}",
            self.0,
            uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
        );
        request.set_uri(rewritten)?;
        Ok(())
    }
}

/// A root-signed aws-sdk-s3 client on `endpoint` whose requests `interceptor` changes.
fn intercepted_client(
    t: &TestServer,
    endpoint: &str,
    path_style: bool,
    interceptor: impl s3::config::Intercept + 'static,
) -> s3::Client {
    let keys = t.root_keys();
    let credentials = s3::config::Credentials::new(keys.id, keys.secret, None, None, "test");
    let config = s3::Config::builder()
        .behavior_version(s3::config::BehaviorVersion::latest())
        .region(s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(path_style)
        .credentials_provider(credentials)
        .interceptor(interceptor)
        .retry_config(s3::config::retry::RetryConfig::disabled())
        .build();
    s3::Client::from_conf(config)
}

fn virtual_hosted_client(t: &TestServer) -> s3::Client {
    let endpoint = format!("http://localhost:{}", t.server.addr.port());
    intercepted_client(t, &endpoint, false, ToLoopback(t.server.addr.to_string()))
}

fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, s3::error::SdkError<E>>,
) -> String {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        // Answers without a body (HEAD, 304) have no code: their status stands for it.
        Err(e) => match e.as_service_error().and_then(|s| s.code()) {
            Some(code) => code.to_owned(),
            None => match e.raw_response() {
                Some(raw) => format!("status {}", raw.status().as_u16()),
                None => format!("{e:?}"),
            },
        },
    }
}

async fn body(output: s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    output.body.collect().await.unwrap().into_bytes().to_vec()
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

#[tokio::test]
async fn objects_are_written_read_listed_copied_and_deleted_as_s3_does() {
    let t = TestServer::start().await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("photos").send().await.unwrap();
    assert_eq!(
        code(s3.create_bucket().bucket("Bad_Name").send().await),
        "InvalidBucketName"
    );
    let put = s3
        .put_object()
        .bucket("photos")
        .key("albums/2026/cat.txt")
        .body(ByteStream::from_static(b"hello cat"))
        .content_type("text/plain")
        .metadata("camera", "pinhole")
        .tagging("kind=pet&color=grey")
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.e_tag(),
        Some(format!("\"{}\"", md5_hex(b"hello cat")).as_str())
    );

    let got = s3
        .get_object()
        .bucket("photos")
        .key("albums/2026/cat.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(
        got.metadata().unwrap().get("camera").map(String::as_str),
        Some("pinhole")
    );
    assert_eq!(body(got).await, b"hello cat");

    let ranged = s3
        .get_object()
        .bucket("photos")
        .key("albums/2026/cat.txt")
        .range("bytes=6-")
        .response_content_type("application/x-cat")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.content_range(), Some("bytes 6-8/9"));
    assert_eq!(ranged.content_type(), Some("application/x-cat"));
    assert_eq!(body(ranged).await, b"cat");
    assert_eq!(
        code(
            s3.get_object()
                .bucket("photos")
                .key("albums/2026/cat.txt")
                .range("bytes=100-")
                .send()
                .await
        ),
        "InvalidRange"
    );
    let etag = format!("\"{}\"", md5_hex(b"hello cat"));
    assert_eq!(
        code(
            s3.get_object()
                .bucket("photos")
                .key("albums/2026/cat.txt")
                .if_none_match(&etag)
                .send()
                .await
        ),
        "status 304"
    );
    assert_eq!(
        code(
            s3.get_object()
                .bucket("photos")
                .key("albums/2026/cat.txt")
                .if_match("\"other\"")
                .send()
                .await
        ),
        "PreconditionFailed"
    );
    let head = s3
        .head_object()
        .bucket("photos")
        .key("albums/2026/cat.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(9));
    assert_eq!(
        code(s3.get_object().bucket("photos").key("nothing").send().await),
        "NoSuchKey"
    );
    assert_eq!(
        code(s3.get_object().bucket("nobucket").key("k").send().await),
        "NoSuchBucket"
    );

    // If-None-Match: * refuses to overwrite.
    assert_eq!(
        code(
            s3.put_object()
                .bucket("photos")
                .key("albums/2026/cat.txt")
                .if_none_match("*")
                .body(ByteStream::from_static(b"again"))
                .send()
                .await
        ),
        "PreconditionFailed"
    );

    let tags = s3
        .get_object_tagging()
        .bucket("photos")
        .key("albums/2026/cat.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_set().len(), 2);
    s3.put_object_tagging()
        .bucket("photos")
        .key("albums/2026/cat.txt")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("k").value("v").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tags = s3
        .get_object_tagging()
        .bucket("photos")
        .key("albums/2026/cat.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_set()[0].key(), "k");

    for key in [
        "albums/2026/dog.txt",
        "albums/2025/old.txt",
        "readme.txt",
        "albums/top.txt",
    ] {
        s3.put_object()
            .bucket("photos")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let listed = s3
        .list_objects_v2()
        .bucket("photos")
        .prefix("albums/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<&str> = listed
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["albums/top.txt"]);
    assert_eq!(prefixes, ["albums/2025/", "albums/2026/"]);

    // Pages of two, continued by token, cover every key once in order.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("photos")
            .max_keys(2)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        token = page.next_continuation_token().map(str::to_owned);
    }
    assert_eq!(
        seen,
        [
            "albums/2025/old.txt",
            "albums/2026/cat.txt",
            "albums/2026/dog.txt",
            "albums/top.txt",
            "readme.txt"
        ]
    );
    let v1 = s3
        .list_objects()
        .bucket("photos")
        .marker("albums/top.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        v1.contents()
            .iter()
            .filter_map(|o| o.key())
            .collect::<Vec<_>>(),
        ["readme.txt"]
    );

    let copied = s3
        .copy_object()
        .bucket("photos")
        .key("copy.txt")
        .copy_source("photos/albums/2026/cat.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        copied.copy_object_result().unwrap().e_tag(),
        Some(etag.as_str())
    );
    let copy = s3
        .get_object()
        .bucket("photos")
        .key("copy.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        copy.metadata().unwrap().get("camera").map(String::as_str),
        Some("pinhole")
    );
    assert_eq!(body(copy).await, b"hello cat");
    s3.copy_object()
        .bucket("photos")
        .key("copy.txt")
        .copy_source("photos/copy.txt")
        .metadata_directive(s3::types::MetadataDirective::Replace)
        .content_type("text/x-copied")
        .send()
        .await
        .unwrap();
    let replaced = s3
        .head_object()
        .bucket("photos")
        .key("copy.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.content_type(), Some("text/x-copied"));
    assert!(replaced.metadata().is_none_or(|m| m.is_empty()));

    assert_eq!(
        code(s3.delete_bucket().bucket("photos").send().await),
        "BucketNotEmpty"
    );
    let deleted = s3
        .delete_objects()
        .bucket("photos")
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("readme.txt")
                        .build()
                        .unwrap(),
                )
                .objects(
                    ObjectIdentifier::builder()
                        .key("never-there")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.deleted().len(), 2);
    s3.delete_object()
        .bucket("photos")
        .key("readme.txt")
        .send()
        .await
        .unwrap();
    let remaining = s3.list_objects_v2().bucket("photos").send().await.unwrap();
    for object in remaining.contents() {
        s3.delete_object()
            .bucket("photos")
            .key(object.key().unwrap())
            .send()
            .await
            .unwrap();
    }
    s3.delete_bucket().bucket("photos").send().await.unwrap();
    assert_eq!(
        code(s3.head_bucket().bucket("photos").send().await),
        "NotFound"
    );
    assert_eq!(
        code(s3.get_bucket_location().bucket("photos").send().await),
        "NoSuchBucket"
    );
}

#[tokio::test]
async fn virtual_hosted_requests_name_the_bucket_in_the_host() {
    let t = TestServer::start().await;
    let s3 = virtual_hosted_client(&t);
    s3.create_bucket().bucket("hosted").send().await.unwrap();
    s3.put_object()
        .bucket("hosted")
        .key("a/b.txt")
        .body(ByteStream::from_static(b"by host"))
        .send()
        .await
        .unwrap();
    let listed = s3.list_objects_v2().bucket("hosted").send().await.unwrap();
    assert_eq!(listed.contents()[0].key(), Some("a/b.txt"));
    let got = s3
        .get_object()
        .bucket("hosted")
        .key("a/b.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(body(got).await, b"by host");
    // The same object path-style.
    let path = s3_client(t.url(), &t.root_keys(), true);
    let got = path
        .get_object()
        .bucket("hosted")
        .key("a/b.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(body(got).await, b"by host");
    let buckets = path.list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets()[0].name(), Some("hosted"));
}

#[tokio::test]
async fn odd_keys_are_data_and_never_reach_outside_their_object() {
    let t = TestServer::start().await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("odd").send().await.unwrap();
    s3.create_bucket().bucket("other").send().await.unwrap();
    s3.put_object()
        .bucket("other")
        .key("secret")
        .body(ByteStream::from_static(b"other bucket"))
        .send()
        .await
        .unwrap();
    let keys = [
        "public/../private/someone/x",
        "../other/secret",
        "a//b",
        "ünïcødé/ключ 🙂.txt",
        "with space+plus%percent",
        "..",
    ];
    for key in keys {
        s3.put_object()
            .bucket("odd")
            .key(key)
            .body(ByteStream::from(key.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
    }
    for key in keys {
        let got = s3.get_object().bucket("odd").key(key).send().await.unwrap();
        assert_eq!(body(got).await, key.as_bytes(), "{key}");
    }
    let got = s3
        .get_object()
        .bucket("other")
        .key("secret")
        .send()
        .await
        .unwrap();
    assert_eq!(body(got).await, b"other bucket");
    assert_eq!(
        code(
            s3.get_object()
                .bucket("odd")
                .key("private/someone/x")
                .send()
                .await
        ),
        "NoSuchKey"
    );
    let listed = s3.list_objects_v2().bucket("odd").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(keys.len() as i32));
    // The blob directory holds ids only.
    let blobs = t.data_dir.path().join("blobs");
    for entry in walk(&blobs) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn multipart_uploads_join_their_parts_with_s3s_etag() {
    let t = TestServer::start().await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("big").send().await.unwrap();
    let upload = s3
        .create_multipart_upload()
        .bucket("big")
        .key("video.bin")
        .content_type("video/x-test")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let first = vec![7u8; 5 * 1024 * 1024];
    let second = b"the end".to_vec();
    let mut parts = Vec::new();
    for (number, data) in [(1, &first), (2, &second)] {
        let part = s3
            .upload_part()
            .bucket("big")
            .key("video.bin")
            .upload_id(id)
            .part_number(number)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(part.e_tag().unwrap())
                .build(),
        );
    }
    let listed = s3
        .list_parts()
        .bucket("big")
        .key("video.bin")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts().len(), 2);
    let uploads = s3
        .list_multipart_uploads()
        .bucket("big")
        .send()
        .await
        .unwrap();
    assert_eq!(uploads.uploads()[0].upload_id(), Some(id));
    assert_eq!(
        code(
            s3.complete_multipart_upload()
                .bucket("big")
                .key("video.bin")
                .upload_id(id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .parts(parts[1].clone())
                        .parts(parts[0].clone())
                        .build()
                )
                .send()
                .await
        ),
        "InvalidPartOrder"
    );
    let done = s3
        .complete_multipart_upload()
        .bucket("big")
        .key("video.bin")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut md5s = hex::decode(md5_hex(&first)).unwrap();
    md5s.extend(hex::decode(md5_hex(&second)).unwrap());
    assert_eq!(
        done.e_tag(),
        Some(format!("\"{}-2\"", md5_hex(&md5s)).as_str())
    );
    let got = s3
        .get_object()
        .bucket("big")
        .key("video.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("video/x-test"));
    let bytes = body(got).await;
    assert_eq!(bytes.len(), first.len() + second.len());
    assert!(bytes.ends_with(b"the end"));
    // A range across the parts' boundary.
    let across = s3
        .get_object()
        .bucket("big")
        .key("video.bin")
        .range(format!("bytes={}-{}", first.len() - 2, first.len() + 2))
        .send()
        .await
        .unwrap();
    assert_eq!(body(across).await, [7, 7, b't', b'h', b'e']);
    // The upload is gone; a small first part is refused; an aborted upload is gone.
    assert_eq!(
        code(
            s3.list_parts()
                .bucket("big")
                .key("video.bin")
                .upload_id(id)
                .send()
                .await
        ),
        "NoSuchUpload"
    );
    let small = s3
        .create_multipart_upload()
        .bucket("big")
        .key("small")
        .send()
        .await
        .unwrap();
    let small_id = small.upload_id().unwrap();
    let mut parts = Vec::new();
    for number in [1, 2] {
        let part = s3
            .upload_part()
            .bucket("big")
            .key("small")
            .upload_id(small_id)
            .part_number(number)
            .body(ByteStream::from_static(b"tiny"))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(part.e_tag().unwrap())
                .build(),
        );
    }
    assert_eq!(
        code(
            s3.complete_multipart_upload()
                .bucket("big")
                .key("small")
                .upload_id(small_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build()
                )
                .send()
                .await
        ),
        "EntityTooSmall"
    );
    s3.abort_multipart_upload()
        .bucket("big")
        .key("small")
        .upload_id(small_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            s3.list_parts()
                .bucket("big")
                .key("small")
                .upload_id(small_id)
                .send()
                .await
        ),
        "NoSuchUpload"
    );
    // UploadPartCopy takes a range of an existing object.
    let copy = s3
        .create_multipart_upload()
        .bucket("big")
        .key("tail")
        .send()
        .await
        .unwrap();
    let copy_id = copy.upload_id().unwrap();
    let part = s3
        .upload_part_copy()
        .bucket("big")
        .key("tail")
        .upload_id(copy_id)
        .part_number(1)
        .copy_source("big/video.bin")
        .copy_source_range(format!("bytes={}-{}", first.len(), first.len() + 6))
        .send()
        .await
        .unwrap();
    let etag = part.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    s3.complete_multipart_upload()
        .bucket("big")
        .key("tail")
        .upload_id(copy_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let tail = s3
        .get_object()
        .bucket("big")
        .key("tail")
        .send()
        .await
        .unwrap();
    assert_eq!(body(tail).await, b"the end");
}

#[tokio::test]
async fn digests_that_do_not_match_the_body_are_refused_and_nothing_is_stored() {
    let t = TestServer::start().await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("sums").send().await.unwrap();
    use base64::Engine;
    let wrong_md5 = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    assert_eq!(
        code(
            s3.put_object()
                .bucket("sums")
                .key("k")
                .content_md5(wrong_md5)
                .body(ByteStream::from_static(b"data"))
                .send()
                .await
        ),
        "BadDigest"
    );
    assert_eq!(
        code(
            s3.put_object()
                .bucket("sums")
                .key("k")
                .checksum_crc32("AAAAAA==")
                .body(ByteStream::from_static(b"data"))
                .send()
                .await
        ),
        "BadDigest"
    );
    assert_eq!(
        code(s3.head_object().bucket("sums").key("k").send().await),
        "NotFound"
    );
    // A checksum the SDK computes itself is verified and kept.
    s3.put_object()
        .bucket("sums")
        .key("k")
        .checksum_algorithm(s3::types::ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("sums")
        .key("k")
        .checksum_mode(s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert!(got.checksum_crc32().is_some());
    assert_eq!(body(got).await, b"data");
}

#[tokio::test]
async fn objects_larger_than_the_limit_are_refused_before_they_are_stored() {
    let t = TestServer::start_with(|c| c.max_object_size = 1024).await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("small").send().await.unwrap();
    assert_eq!(
        code(
            s3.put_object()
                .bucket("small")
                .key("big")
                .body(ByteStream::from(vec![1u8; 2048]))
                .send()
                .await
        ),
        "EntityTooLarge"
    );
    s3.put_object()
        .bucket("small")
        .key("ok")
        .body(ByteStream::from(vec![1u8; 1024]))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn presigned_urls_work_until_they_expire() {
    let t = TestServer::start().await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("shared").send().await.unwrap();
    let config = s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60)).unwrap();
    let put = s3
        .put_object()
        .bucket("shared")
        .key("up.txt")
        .presigned(config.clone())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let response = http
        .put(put.uri())
        .body("uploaded by URL")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let get = s3
        .get_object()
        .bucket("shared")
        .key("up.txt")
        .presigned(config)
        .await
        .unwrap();
    let response = http.get(get.uri()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "uploaded by URL");
    let short = s3::presigning::PresigningConfig::expires_in(Duration::from_secs(1)).unwrap();
    let expiring = s3
        .get_object()
        .bucket("shared")
        .key("up.txt")
        .presigned(short)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = http.get(expiring.uri()).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("<Code>AccessDenied</Code>"));
}

#[tokio::test]
async fn bucket_cors_answers_preflights_and_bucket_policies_grant_anonymous_reads() {
    let t = TestServer::start().await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("site").send().await.unwrap();
    s3.put_object()
        .bucket("site")
        .key("public/index.html")
        .body(ByteStream::from_static(b"<h1>hi</h1>"))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("site")
        .key("private/x")
        .body(ByteStream::from_static(b"no"))
        .send()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/site/public/index.html", t.url());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 403);
    assert_eq!(
        code(s3.get_bucket_policy().bucket("site").send().await),
        "NoSuchBucketPolicy"
    );
    assert_eq!(
        code(
            s3.put_bucket_policy()
                .bucket("site")
                .policy("{\"Version\":\"2012-10-17\"}")
                .send()
                .await
        ),
        "MalformedPolicy"
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/public/*"}]}"#;
    s3.put_bucket_policy()
        .bucket("site")
        .policy(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3.get_bucket_policy()
            .bucket("site")
            .send()
            .await
            .unwrap()
            .policy(),
        Some(policy)
    );
    let anonymous = http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.text().await.unwrap(), "<h1>hi</h1>");
    assert_eq!(
        http.get(format!("{}/site/private/x", t.url()))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let preflight = || {
        http.request(reqwest::Method::OPTIONS, &url)
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "x-amz-date, content-type")
    };
    assert_eq!(preflight().send().await.unwrap().status(), 403);
    s3.put_bucket_cors()
        .bucket("site")
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(
                    CorsRule::builder()
                        .allowed_origins("https://app.example.com")
                        .allowed_methods("GET")
                        .allowed_methods("PUT")
                        .allowed_headers("*")
                        .expose_headers("ETag")
                        .max_age_seconds(3000)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let answered = preflight().send().await.unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(
        answered.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(answered.headers()["access-control-expose-headers"], "ETag");
    let simple = http
        .get(&url)
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let cors = s3.get_bucket_cors().bucket("site").send().await.unwrap();
    assert_eq!(cors.cors_rules().len(), 1);
    s3.delete_bucket_cors().bucket("site").send().await.unwrap();
    assert_eq!(
        code(s3.get_bucket_cors().bucket("site").send().await),
        "NoSuchCORSConfiguration"
    );
}

/// Amplify's storage policies (as `amplify add storage` generates them) on the project's
/// roles: auth users own private/ and protected/ prefixes and share public/; guests read
/// public/; admins may do everything, editors only read.
async fn amplify_storage(p: &Project) {
    let bucket = "amplify-app-storage";
    let s3 = s3_client(p.t.url(), &p.t.root_keys(), true);
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let iam = iam_client(p.t.url(), &p.t.root_keys());
    let arn = format!("arn:aws:s3:::{bucket}");
    let sub = "${cognito-identity.amazonaws.com:sub}";
    let auth = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":["{arn}/public/*","{arn}/protected/{sub}/*","{arn}/private/{sub}/*"]}},
        {{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["{arn}/uploads/*"]}},
        {{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["{arn}/protected/*"]}},
        {{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["{arn}"],"Condition":{{"StringLike":{{"s3:prefix":["public/","public/*","protected/","protected/*","private/{sub}/","private/{sub}/*"]}}}}}}]}}"#
    );
    let guest = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["{arn}/public/*","{arn}/protected/*"]}},
        {{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["{arn}"],"Condition":{{"StringLike":{{"s3:prefix":["public/","public/*","protected/","protected/*"]}}}}}}]}}"#
    );
    let group = |actions: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{actions}],"Resource":["{arn}/*"]}},{{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["{arn}"]}}]}}"#
        )
    };
    let pool = &p.user_pool;
    for (role, name, document) in [
        ("auth".to_owned(), "Private_policy", auth),
        ("unauth".to_owned(), "Public_policy", guest),
        (
            format!("{pool}-adminGroupRole"),
            "admin-group-s3-policy",
            group(r#""s3:PutObject","s3:GetObject","s3:ListBucket","s3:DeleteObject""#),
        ),
        (
            format!("{pool}-editorsGroupRole"),
            "editors-group-s3-policy",
            group(r#""s3:GetObject","s3:ListBucket""#),
        ),
    ] {
        iam.put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .unwrap();
    }
}

/// An S3 client with the identity's temporary credentials, and its identity id.
async fn identity_s3(p: &Project, id_token: Option<&str>) -> (s3::Client, String) {
    let logins = id_token.map(|t| p.logins(t));
    let id = p.id_of(logins.clone()).await;
    let credentials = p
        .credentials(&id, logins, None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    let keys = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: credentials.session_token(),
    };
    (s3_client(p.t.url(), &keys, true), id)
}

#[tokio::test]
async fn amplify_storage_policies_hold_owners_other_identities_guests_and_groups_to_their_prefixes()
{
    let p = Project::new().await;
    amplify_storage(&p).await;
    let bucket = "amplify-app-storage";
    let put = |s3: &s3::Client, key: &str| {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(key.as_bytes().to_vec()))
            .send()
    };
    let alice_token = p.member("alice", &[]).await;
    let (alice, alice_id) = identity_s3(&p, Some(&alice_token)).await;
    let bob_token = p.member("bob", &[]).await;
    let (bob, _) = identity_s3(&p, Some(&bob_token)).await;
    let (guest, _) = identity_s3(&p, None).await;
    let admin_token = p.member("root-admin", &["admin"]).await;
    let (admin, _) = identity_s3(&p, Some(&admin_token)).await;
    let editor_token = p.member("ed", &["editors"]).await;
    let (editor, _) = identity_s3(&p, Some(&editor_token)).await;

    let private = format!("private/{alice_id}/diary.txt");
    let protected = format!("protected/{alice_id}/card.txt");
    put(&alice, &private).await.unwrap();
    put(&alice, &protected).await.unwrap();
    put(&alice, "public/hello.txt").await.unwrap();
    put(&alice, "uploads/inbox.txt").await.unwrap();

    // Bob reads public and Alice's protected files, not her private ones; writes neither.
    assert!(bob
        .get_object()
        .bucket(bucket)
        .key("public/hello.txt")
        .send()
        .await
        .is_ok());
    assert!(bob
        .get_object()
        .bucket(bucket)
        .key(&protected)
        .send()
        .await
        .is_ok());
    assert_eq!(
        code(bob.get_object().bucket(bucket).key(&private).send().await),
        "AccessDenied"
    );
    assert_eq!(code(put(&bob, &private).await), "AccessDenied");
    assert_eq!(code(put(&bob, &protected).await), "AccessDenied");
    assert_eq!(
        code(
            bob.delete_object()
                .bucket(bucket)
                .key("uploads/inbox.txt")
                .send()
                .await
        ),
        "AccessDenied"
    );
    // Traversal in a key is not a way into another prefix: the key is what the policy sees.
    put(&bob, &format!("public/../{private}")).await.unwrap();
    let still = alice
        .get_object()
        .bucket(bucket)
        .key(&private)
        .send()
        .await
        .unwrap();
    assert_eq!(body(still).await, private.as_bytes());

    // Listing is held to the s3:prefix condition.
    let listed = alice
        .list_objects_v2()
        .bucket(bucket)
        .prefix(format!("private/{alice_id}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(1));
    assert_eq!(
        code(
            bob.list_objects_v2()
                .bucket(bucket)
                .prefix(format!("private/{alice_id}/"))
                .send()
                .await
        ),
        "AccessDenied"
    );
    assert_eq!(
        code(bob.list_objects_v2().bucket(bucket).send().await),
        "AccessDenied"
    );

    // Guests read public files and nothing else.
    assert!(guest
        .get_object()
        .bucket(bucket)
        .key("public/hello.txt")
        .send()
        .await
        .is_ok());
    assert_eq!(
        code(put(&guest, "public/graffiti.txt").await),
        "AccessDenied"
    );
    assert_eq!(
        code(guest.get_object().bucket(bucket).key(&private).send().await),
        "AccessDenied"
    );
    // A missing key answers AccessDenied to a caller who may not list there, NoSuchKey to one who may.
    assert_eq!(
        code(
            guest
                .get_object()
                .bucket(bucket)
                .key("private/x/none")
                .send()
                .await
        ),
        "AccessDenied"
    );
    assert_eq!(
        code(
            admin
                .get_object()
                .bucket(bucket)
                .key("private/x/none")
                .send()
                .await
        ),
        "NoSuchKey"
    );

    // Admins may do everything in the bucket; editors read only.
    assert!(admin
        .get_object()
        .bucket(bucket)
        .key(&private)
        .send()
        .await
        .is_ok());
    put(&admin, "reports/q4.pdf").await.unwrap();
    assert!(
        admin
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .key_count()
            .unwrap()
            >= 5
    );
    assert!(editor
        .get_object()
        .bucket(bucket)
        .key("reports/q4.pdf")
        .send()
        .await
        .is_ok());
    assert!(editor.list_objects_v2().bucket(bucket).send().await.is_ok());
    assert_eq!(code(put(&editor, "reports/q5.pdf").await), "AccessDenied");
    assert_eq!(
        code(
            editor
                .delete_object()
                .bucket(bucket)
                .key("reports/q4.pdf")
                .send()
                .await
        ),
        "AccessDenied"
    );
    // Nobody but root makes buckets.
    assert_eq!(
        code(admin.create_bucket().bucket("admins-own").send().await),
        "AccessDenied"
    );

    // DeleteObjects decides key by key; CopyObject needs read on the source and write on the target.
    let deleted = bob
        .delete_objects()
        .bucket(bucket)
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("public/hello.txt")
                        .build()
                        .unwrap(),
                )
                .objects(ObjectIdentifier::builder().key(&private).build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.deleted().len(), 1);
    assert_eq!(deleted.errors()[0].code(), Some("AccessDenied"));
    assert_eq!(
        code(
            bob.copy_object()
                .bucket(bucket)
                .key("public/leak.txt")
                .copy_source(format!("{bucket}/{private}"))
                .send()
                .await
        ),
        "AccessDenied"
    );
    alice
        .copy_object()
        .bucket(bucket)
        .key("public/shared-diary.txt")
        .copy_source(format!("{bucket}/{private}"))
        .send()
        .await
        .unwrap();

    // A multipart upload belongs to the identity: parts sent with fresh credentials join it.
    let upload = alice
        .create_multipart_upload()
        .bucket(bucket)
        .key(&protected)
        .send()
        .await
        .unwrap();
    let (alice_again, same_id) = identity_s3(&p, Some(&alice_token)).await;
    assert_eq!(same_id, alice_id);
    let part = alice_again
        .upload_part()
        .bucket(bucket)
        .key(&protected)
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"refreshed"))
        .send()
        .await
        .unwrap();
    alice_again
        .complete_multipart_upload()
        .bucket(bucket)
        .key(&protected)
        .upload_id(upload.upload_id().unwrap())
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let joined = bob
        .get_object()
        .bucket(bucket)
        .key(&protected)
        .send()
        .await
        .unwrap();
    assert_eq!(body(joined).await, b"refreshed");
    let _ = role_arn("auth");
}

#[tokio::test]
async fn tampered_and_unknown_credentials_are_refused_in_s3s_words() {
    let p = Project::new().await;
    amplify_storage(&p).await;
    let guest_id = p.id_of(None).await;
    let credentials = p
        .credentials(&guest_id, None, None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    let forged = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: Some("not-a-token"),
    };
    let s3 = s3_client(p.t.url(), &forged, true);
    assert_eq!(code(s3.list_buckets().send().await), "InvalidToken");
    let unknown = Keys {
        id: "AKIAUNKNOWNKEY000000",
        secret: "x",
        token: None,
    };
    let s3 = s3_client(p.t.url(), &unknown, true);
    assert_eq!(code(s3.list_buckets().send().await), "InvalidAccessKeyId");
    let wrong_secret = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: "wrong-secret",
        token: credentials.session_token(),
    };
    let s3 = s3_client(p.t.url(), &wrong_secret, true);
    assert_eq!(
        code(s3.list_buckets().send().await),
        "SignatureDoesNotMatch"
    );
}

#[tokio::test]
async fn expired_temporary_credentials_answer_expired_token_as_amplify_expects() {
    let p = Project::new().await;
    amplify_storage(&p).await;
    let guest = p.id_of(None).await;
    let credentials = p
        .credentials(&guest, None, None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    let expired = expired_session_token(p.t.data_dir.path(), credentials.session_token().unwrap());
    let keys = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: Some(&expired),
    };
    let s3 = s3_client(p.t.url(), &keys, true);
    assert_eq!(
        code(
            s3.get_object()
                .bucket("amplify-app-storage")
                .key("public/x")
                .send()
                .await
        ),
        "ExpiredToken"
    );
    // The same credentials before they expired were fine.
    let fresh = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: credentials.session_token(),
    };
    let s3 = s3_client(p.t.url(), &fresh, true);
    assert_eq!(
        code(
            s3.get_object()
                .bucket("amplify-app-storage")
                .key("public/x")
                .send()
                .await
        ),
        "NoSuchKey"
    );
}

/// Sends DeleteObjects to `/`, without the bucket, as aws-amplify does for a path-style bucket;
/// the path is changed before the request is signed, as aws-amplify's is.
#[derive(Debug)]
struct DropBucketFromDeletes;

impl s3::config::Intercept for DropBucketFromDeletes {
    fn name(&self) -> &'static str {
        "DropBucketFromDeletes"
    }

    fn modify_before_signing(
        &self,
        context: &mut s3::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let request = context.request_mut();
        let uri: http::Uri = request.uri().parse()?;
        if uri.query().is_some_and(|q| q.starts_with("delete")) {
            let rewritten = format!(
                "{}://{}/?{}",
                uri.scheme_str().unwrap_or("http"),
                uri.authority().map(|a| a.as_str()).unwrap_or_default(),
                uri.query().unwrap_or_default()
            );
            request.set_uri(rewritten)?;
        }
        Ok(())
    }
}

fn bucketless_delete_client(t: &TestServer) -> s3::Client {
    intercepted_client(t, t.url(), true, DropBucketFromDeletes)
}

fn deletion(keys: &[&str]) -> s3::types::Delete {
    s3::types::Delete::builder()
        .set_objects(Some(
            keys.iter()
                .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
                .collect(),
        ))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_delete_without_its_bucket_means_the_default_bucket_and_is_decided_key_by_key() {
    let t = TestServer::start_with(|c| {
        c.s3_default_bucket = Some(cognate_core::storage::BucketName::parse("app.files").unwrap())
    })
    .await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("app.files").send().await.unwrap();
    for key in ["public/a.txt", "public/b.txt", "keep/c.txt"] {
        s3.put_object()
            .bucket("app.files")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    s3.put_bucket_policy()
        .bucket("app.files")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::app.files/keep/*"}]}"#)
        .send()
        .await
        .unwrap();

    let deleted = bucketless_delete_client(&t)
        .delete_objects()
        .bucket("app.files")
        .delete(deletion(&["public/a.txt", "keep/c.txt"]))
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = deleted.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(keys, ["public/a.txt"]);
    let refused: Vec<_> = deleted
        .errors()
        .iter()
        .map(|e| (e.key().unwrap(), e.code().unwrap()))
        .collect();
    assert_eq!(refused, [("keep/c.txt", "AccessDenied")]);
    let left = s3
        .list_objects_v2()
        .bucket("app.files")
        .send()
        .await
        .unwrap();
    let left: Vec<_> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(left, ["keep/c.txt", "public/b.txt"]);
}

#[tokio::test]
async fn a_delete_without_its_bucket_is_refused_when_no_default_bucket_is_set() {
    let t = TestServer::start().await;
    let s3 = s3_client(t.url(), &t.root_keys(), true);
    s3.create_bucket().bucket("app.files").send().await.unwrap();
    s3.put_object()
        .bucket("app.files")
        .key("public/a.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let answer = bucketless_delete_client(&t)
        .delete_objects()
        .bucket("app.files")
        .delete(deletion(&["public/a.txt"]))
        .send()
        .await;
    assert!(answer.is_err(), "{answer:?}");
    let head = s3
        .head_object()
        .bucket("app.files")
        .key("public/a.txt")
        .send()
        .await;
    assert!(head.is_ok(), "nothing was deleted");
}

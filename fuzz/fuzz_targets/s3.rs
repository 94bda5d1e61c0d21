//! The S3 API as a client reaches it, over raw HTTP/1.1: any method, path, query, headers and
//! body that make a request line get an answer, never a 500 and never a panic (a panic anywhere
//! aborts the run). The request line is written byte for byte (only bytes HTTP forbids there are
//! percent-encoded), so object keys with `..`, `//`, `%2F`, unicode and control characters, odd
//! query strings and XML bodies reach s3s's parsing and cognate's key, bucket, listing, copy-source
//! and multipart handling behind it.
//!
//! One bit of the first byte makes the request a browser POST form (`multipart/form-data` with the
//! boundary `fz`), whose start cognate reads for a session token before s3s parses the rest.
//!
//! One server runs for the whole run, on SQLite and local blobs in a temporary directory, with a
//! bucket `fuzz` whose policy lets anyone do anything in it, so that unsigned requests get past
//! the access check into the operations. Afterwards, no file exists in the data directory outside
//! the places cognate keeps its database and blobs: no key reached the file system.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use cognate_core::storage::BucketName;
use libfuzzer_sys::fuzz_target;

#[path = "server.rs"]
mod server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];
/// Headers the harness writes itself.
const FRAMING: &[&str] = &["host", "content-length", "transfer-encoding", "connection", "expect"];

struct Target {
    runtime: tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    /// Holds only `data`, the server's data directory: a key that escaped would land beside it.
    root: tempfile::TempDir,
    /// What the data directory held once the server started.
    data_names: Vec<String>,
    runs: std::sync::atomic::AtomicU64,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let root = tempfile::tempdir().expect("temp dir");
        let data = root.path().join("data");
        let (runtime, server) = server::start(&data);
        let addr = runtime.block_on(async {
            let bucket = BucketName::parse("fuzz").expect("bucket name");
            let storage = server.storage();
            storage.create_bucket(&bucket).await.expect("bucket");
            let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::fuzz","arn:aws:s3:::fuzz/*"]}]}"#;
            storage
                .set_policy(&bucket, Some(policy.into()))
                .await
                .expect("bucket policy");
            let addr = server.addr;
            tokio::spawn(server.wait());
            addr
        });
        Target {
            runtime,
            addr,
            data_names: names(&data),
            root,
            runs: Default::default(),
        }
    })
}

/// The bytes of a request line's target: visible ASCII as is, anything else percent-encoded.
fn request_target(raw: &[u8]) -> String {
    let mut target = String::from("/");
    for &b in raw.strip_prefix(b"/").unwrap_or(raw) {
        if b.is_ascii_graphic() {
            target.push(b as char);
        } else {
            target.push_str(&format!("%{b:02X}"));
        }
    }
    target
}

/// `name: value` lines with a token name and a visible value; the framing headers are left out.
fn headers(raw: &[u8]) -> String {
    let mut out = String::new();
    for line in raw.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
        if name.is_empty() || !name.iter().all(token) || !value.iter().all(|b| (0x20..0x7f).contains(b)) {
            continue;
        }
        let name = String::from_utf8_lossy(name);
        if FRAMING.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        out.push_str(&format!("{name}:{}\r\n", String::from_utf8_lossy(value)));
    }
    out
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a directory")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether every file under `dir` (the blob store) is named as cognate names blobs: a blob id,
/// or a blob id and `#<n>` while it is written.
fn only_blobs(dir: &Path) -> bool {
    std::fs::read_dir(dir).expect("the blob store").all(|entry| {
        let entry = entry.expect("an entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            name.len() == 2 && only_blobs(&entry.path())
        } else {
            name.chars().all(|c| c.is_ascii_hexdigit() || c == '#')
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, rest)) = data.split_first() else {
        return;
    };
    let form = shape & 0x20 != 0;
    let method = if form { "POST" } else { METHODS[usize::from(shape & 0x7) % METHODS.len()] };
    // Path-style on cognate's address, or virtual-hosted under the default S3 domain.
    let virtual_hosted = shape & 0x8 != 0;
    let (target_bytes, rest) = match rest.iter().position(|&b| b == b'\n') {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest, &[][..]),
    };
    let (header_bytes, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(end) => (&rest[..end], &rest[end + 2..]),
        None => (rest, &[][..]),
    };
    let t = target();
    let host = if virtual_hosted {
        format!("fuzz.localhost:{}", t.addr.port())
    } else {
        t.addr.to_string()
    };
    let mut target = request_target(target_bytes);
    if !virtual_hosted && shape & 0x10 != 0 {
        target = format!("/fuzz{target}");
    }
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nhost: {host}\r\n{}{}content-length: {}\r\nconnection: close\r\n\r\n",
        if form { "content-type: multipart/form-data; boundary=fz\r\n" } else { "" },
        headers(header_bytes),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    let response = t.runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), async {
            let mut stream = tokio::net::TcpStream::connect(t.addr).await.expect("connects");
            stream.write_all(&request).await.expect("request written");
            let mut response = Vec::new();
            // The server may answer (and close) before reading a body it refuses.
            let _ = stream.read_to_end(&mut response).await;
            response
        })
        .await
        .expect("the server answers within 20 s")
    });
    let status_line = response.split(|&b| b == b'\r').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status_line);
    assert!(status.starts_with("HTTP/1.1 "), "no answer to {method} {target}: {status:?}");
    // 501 NotImplemented is S3's answer to an operation it does not know.
    assert!(
        !status.starts_with("HTTP/1.1 500"),
        "{method} {target} answered {status}: {}",
        String::from_utf8_lossy(&response)
    );
    let data = t.root.path().join("data");
    assert_eq!(names(t.root.path()), ["data"], "{method} {target} wrote beside the data directory");
    assert_eq!(names(&data), t.data_names, "{method} {target} wrote in the data directory");
    // The whole blob tree now and then: it grows with every PUT.
    if t.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1000 == 0 {
        let tree = data.join("blobs/blobs");
        assert!(!tree.exists() || only_blobs(&tree), "a file in the blob store is not a blob");
    }
});

//! A browser POST upload, made ready for s3s: its session token lifted from the form into the
//! request's header, and `${filename}` in its key replaced by the uploaded file's name.
//!
//! Temporary credentials sign a POST form like long-term keys, with their session token as the
//! form field `x-amz-security-token`. s3s checks the form's signature but keeps the field to
//! itself, so cognate could not tell which session the key belongs to; nor does it hand over the
//! file's name, which S3 puts in place of `${filename}`. The fields come before the file (S3
//! requires `file` to be last), so the start of the body is read here, up to the file's own
//! headers, and the body handed on whole. Trusting the token is safe for the reason a header is:
//! a session token is sealed to the one access key it was issued with, and the signature proves
//! that key's secret. (A multipart crate would consume the body that s3s must still read, hence
//! this small scan.)

use std::ops::Range;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Method, Request};
use futures::StreamExt;

const TOKEN_FIELD: &str = "x-amz-security-token";
const FILENAME: &str = "${filename}";
/// How much of a form is read looking for its fields; past this the form goes on as it is.
const FIELDS_LIMIT: usize = 1024 * 1024;

/// The request, with a POST form's session token copied into its header when it has one and
/// `${filename}` in its key replaced.
pub async fn prepare_form(request: Request<Body>) -> Request<Body> {
    let Some(boundary) = form_boundary(&request) else {
        return request;
    };
    let (mut parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let mut scan = FileScan::new(&boundary);
    let mut file_headers = None;
    while head.len() < FIELDS_LIMIT && file_headers.is_none() {
        match stream.next().await {
            Some(Ok(chunk)) => {
                head.extend_from_slice(&chunk);
                file_headers = scan.advance(&head);
            }
            Some(Err(e)) => {
                // Handed on as it came: s3s answers the broken body.
                let rest = futures::stream::iter([Ok(Bytes::from(head)), Err(e)]);
                return Request::from_parts(parts, Body::from_stream(rest));
            }
            None => break,
        }
    }
    if !parts.headers.contains_key(TOKEN_FIELD) {
        if let Some(value) = form_field(&head, &boundary, TOKEN_FIELD)
            .and_then(|token| HeaderValue::from_str(token.trim()).ok())
        {
            parts.headers.insert(TOKEN_FIELD, value);
        }
    }
    let named = file_headers.and_then(|range| {
        let headers = std::str::from_utf8(&head[range]).ok()?;
        with_file_name(&head, &boundary, headers)
    });
    if let Some(named) = named {
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if let Some(length) = declared {
            let length = length.saturating_sub(head.len()) + named.len();
            parts.headers.insert(header::CONTENT_LENGTH, length.into());
        }
        head = named;
    }
    let whole = futures::stream::once(async move { Ok(Bytes::from(head)) }).chain(stream);
    Request::from_parts(parts, Body::from_stream(whole))
}

/// The form's start with `${filename}` in its `key` field replaced by the name the file part
/// gives, as S3 does; none when the key has no `${filename}`.
fn with_file_name(head: &[u8], boundary: &str, file_headers: &str) -> Option<Vec<u8>> {
    let range = field_range(head, boundary, "key")?;
    let key = std::str::from_utf8(&head[range.clone()]).ok()?;
    if !key.contains(FILENAME) {
        return None;
    }
    let name = file_name(file_headers)?;
    let mut named = head[..range.start].to_vec();
    named.extend_from_slice(key.replace(FILENAME, &name).as_bytes());
    named.extend_from_slice(&head[range.end..]);
    Some(named)
}

/// The `filename` parameter of the file part's Content-Disposition.
fn file_name(headers: &str) -> Option<String> {
    parameter(disposition(headers)?, "filename").map(str::to_owned)
}

/// A POST with a `multipart/form-data` body: its boundary.
fn form_boundary(request: &Request<Body>) -> Option<String> {
    if request.method() != Method::POST {
        return None;
    }
    let content_type = request.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let (kind, parameters) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    // RFC 2046 allows 70 characters; a longer one is left to s3s.
    parameter(parameters, "boundary")
        .filter(|boundary| (1..=70).contains(&boundary.len()))
        .map(str::to_owned)
}

/// The parameter `name` of a header's value such as `form-data; name="key"`, unquoted.
fn parameter<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').find_map(|parameter| {
        let (key, value) = parameter.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"'))
    })
}

/// A part's Content-Disposition.
fn disposition(headers: &str) -> Option<&str> {
    headers.lines().find_map(|line| {
        let (header, value) = line.split_once(':')?;
        header
            .trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })
}

/// The value of the form field `name` among the complete parts at the start of `body`.
fn form_field<'a>(body: &'a [u8], boundary: &str, name: &str) -> Option<&'a str> {
    std::str::from_utf8(&body[field_range(body, boundary, name)?]).ok()
}

/// Where the value of the form field `name` is, among the complete parts at the start of `body`.
fn field_range(body: &[u8], boundary: &str, name: &str) -> Option<Range<usize>> {
    let delimiter = format!("--{boundary}");
    let mut at = 0;
    loop {
        at += find(&body[at..], delimiter.as_bytes())? + delimiter.len();
        let part_end = at + find(&body[at..], delimiter.as_bytes())?;
        let part = &body[at..part_end];
        let headers_end = find(part, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&part[..headers_end]).ok()?;
        if names_field(headers, name) {
            let value = &part[headers_end + 4..];
            let trimmed = value.strip_suffix(b"\r\n").unwrap_or(value).len();
            let start = at + headers_end + 4;
            return Some(start..start + trimmed);
        }
    }
}

/// Looks through a form's start as it arrives for the file part's headers. It resumes where it
/// stopped, so each byte is looked at about once however finely the body is cut up: a client
/// sending a byte at a time costs no more than one sending it all at once.
struct FileScan {
    delimiter: Vec<u8>,
    /// Where to look next.
    at: usize,
    /// Where the headers of the part being read begin, once its delimiter was seen.
    headers: Option<usize>,
}

impl FileScan {
    fn new(boundary: &str) -> FileScan {
        FileScan {
            delimiter: format!("--{boundary}").into_bytes(),
            at: 0,
            headers: None,
        }
    }

    /// Where the file part's headers are, once `body` (the form's start so far) holds them.
    fn advance(&mut self, body: &[u8]) -> Option<Range<usize>> {
        loop {
            let start = match self.headers {
                Some(start) => start,
                None => match find(&body[self.at..], &self.delimiter) {
                    Some(found) => {
                        let start = self.at + found + self.delimiter.len();
                        (self.headers, self.at) = (Some(start), start);
                        start
                    }
                    None => {
                        // A delimiter may be cut in two by the end of what has arrived.
                        self.at = self.at.max(body.len().saturating_sub(self.delimiter.len()));
                        return None;
                    }
                },
            };
            let Some(found) = find(&body[self.at..], b"\r\n\r\n") else {
                self.at = self.at.max(body.len().saturating_sub(3));
                return None;
            };
            let end = self.at + found;
            (self.headers, self.at) = (None, end + 4);
            let headers = std::str::from_utf8(&body[start..end]).unwrap_or_default();
            if names_field(headers, "file") {
                return Some(start..end);
            }
        }
    }
}

/// Whether a part's headers say it is the form field `name`.
fn names_field(headers: &str, name: &str) -> bool {
    disposition(headers)
        .and_then(|value| parameter(value, "name"))
        .is_some_and(|field| field.eq_ignore_ascii_case(name))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nthe file\r\n--XyZ--\r\n");
        body
    }

    #[test]
    fn a_field_is_found_among_the_parts_before_the_file() {
        let body = form(&[
            ("key", "uploads/a.txt"),
            (TOKEN_FIELD, "tok=en/+"),
            ("policy", "eyJ9"),
        ]);
        assert_eq!(form_field(&body, "XyZ", TOKEN_FIELD), Some("tok=en/+"));
        assert_eq!(form_field(&body, "XyZ", "key"), Some("uploads/a.txt"));
        assert_eq!(form_field(&body, "XyZ", "missing"), None);
    }

    #[tokio::test]
    async fn filename_in_the_key_becomes_the_files_name_and_the_length_follows() {
        let body = form(&[("key", "uploads/${filename}")]);
        let request = Request::post("/bucket")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body.clone()))
            .unwrap();
        let prepared = prepare_form(request).await;
        let expected = String::from_utf8(body)
            .unwrap()
            .replace("uploads/${filename}", "uploads/a.txt");
        assert_eq!(
            prepared.headers()[header::CONTENT_LENGTH],
            expected.len().to_string()
        );
        let after = axum::body::to_bytes(prepared.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(after, expected.as_bytes());
    }

    #[test]
    fn the_file_headers_are_found_however_the_form_arrives() {
        let body = form(&[("key", "uploads/${filename}"), (TOKEN_FIELD, "t")]);
        let whole = FileScan::new("XyZ").advance(&body).unwrap();
        assert!(std::str::from_utf8(&body[whole.clone()])
            .unwrap()
            .contains("filename=\"a.txt\""));
        let mut scan = FileScan::new("XyZ");
        let found = (1..=body.len()).find_map(|n| scan.advance(&body[..n]));
        assert_eq!(found, Some(whole));
    }

    #[test]
    fn a_field_named_in_the_files_content_is_not_taken_for_one() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nname=\"x-amz-security-token\"\r\n--XyZ--\r\n";
        assert_eq!(form_field(body, "XyZ", TOKEN_FIELD), None);
    }

    #[tokio::test]
    async fn the_token_is_lifted_into_the_header_and_the_body_goes_on_whole() {
        let body = form(&[(TOKEN_FIELD, "the-token"), ("policy", "eyJ9")]);
        let request = Request::post("/bucket")
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=\"XyZ\"",
            )
            .body(Body::from(body.clone()))
            .unwrap();
        let lifted = prepare_form(request).await;
        assert_eq!(lifted.headers()[TOKEN_FIELD], "the-token");
        let after = axum::body::to_bytes(lifted.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(after, body);
    }

    #[tokio::test]
    async fn a_header_the_client_sent_stands_and_other_requests_pass_untouched() {
        let body = form(&[(TOKEN_FIELD, "from-the-form")]);
        let request = Request::post("/bucket")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
            .header(TOKEN_FIELD, "from-the-header")
            .body(Body::from(body))
            .unwrap();
        assert_eq!(
            prepare_form(request).await.headers()[TOKEN_FIELD],
            "from-the-header"
        );
        let request = Request::put("/bucket/key")
            .body(Body::from(form(&[(TOKEN_FIELD, "x")])))
            .unwrap();
        assert!(!prepare_form(request)
            .await
            .headers()
            .contains_key(TOKEN_FIELD));
    }
}

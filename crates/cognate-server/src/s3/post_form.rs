//! A browser POST upload's session token, lifted from the form into the request's header.
//!
//! Temporary credentials sign a POST form like long-term keys, with their session token as the
//! form field `x-amz-security-token`. s3s checks the form's signature but keeps the field to
//! itself, so cognate could not tell which session the key belongs to. The fields come before
//! the file (S3 requires `file` to be last), so the start of the body is read here, the field
//! found, and the body handed on whole with the token as `x-amz-security-token`, where every
//! other request carries it. Trusting it is safe for the reason a header is: a session token is
//! sealed to the one access key it was issued with, and the signature proves that key's secret.
//! (A multipart crate would consume the body that s3s must still read, hence this small scan.)

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Method, Request};
use futures::StreamExt;

const TOKEN_FIELD: &str = "x-amz-security-token";
/// How much of a form is read looking for its fields; past this the form goes on as it is.
const FIELDS_LIMIT: usize = 1024 * 1024;

/// The request, with a POST form's session token copied into its header when it has one.
pub async fn lift_session_token(request: Request<Body>) -> Request<Body> {
    let Some(boundary) = form_boundary(&request) else {
        return request;
    };
    if request.headers().contains_key(TOKEN_FIELD) {
        return request;
    }
    let (mut parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut read: Vec<Bytes> = Vec::new();
    let mut head: Vec<u8> = Vec::new();
    let file_part = b"name=\"file\"";
    while head.len() < FIELDS_LIMIT && !contains(&head, file_part) {
        match stream.next().await {
            Some(Ok(chunk)) => {
                head.extend_from_slice(&chunk);
                read.push(chunk);
            }
            Some(Err(e)) => {
                // Handed on as it came: s3s answers the broken body.
                let rest = futures::stream::iter(read.into_iter().map(Ok))
                    .chain(futures::stream::once(async move { Err(e) }));
                return Request::from_parts(parts, Body::from_stream(rest));
            }
            None => break,
        }
    }
    if let Some(value) = form_field(&head, &boundary, TOKEN_FIELD)
        .and_then(|token| HeaderValue::from_str(token.trim()).ok())
    {
        parts.headers.insert(TOKEN_FIELD, value);
    }
    let whole = futures::stream::iter(read.into_iter().map(Ok)).chain(stream);
    Request::from_parts(parts, Body::from_stream(whole))
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
    parameters.split(';').find_map(|parameter| {
        let (name, value) = parameter.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The value of the form field `name` among the complete parts at the start of `body`.
fn form_field<'a>(body: &'a [u8], boundary: &str, name: &str) -> Option<&'a str> {
    let delimiter = format!("--{boundary}");
    let mut rest = body;
    loop {
        let start = find(rest, delimiter.as_bytes())? + delimiter.len();
        rest = &rest[start..];
        let part_end = find(rest, delimiter.as_bytes())?;
        let part = &rest[..part_end];
        let headers_end = find(part, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&part[..headers_end]).ok()?;
        if names_field(headers, name) {
            let value = &part[headers_end + 4..];
            let value = value.strip_suffix(b"\r\n").unwrap_or(value);
            return std::str::from_utf8(value).ok();
        }
    }
}

/// Whether a part's headers say it is the form field `name`.
fn names_field(headers: &str, name: &str) -> bool {
    headers.lines().any(|line| {
        let Some((header, value)) = line.split_once(':') else {
            return false;
        };
        header.trim().eq_ignore_ascii_case("content-disposition")
            && value.split(';').any(|parameter| {
                parameter
                    .trim()
                    .split_once('=')
                    .is_some_and(|(key, field)| {
                        key.trim().eq_ignore_ascii_case("name")
                            && field.trim().trim_matches('"').eq_ignore_ascii_case(name)
                    })
            })
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
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
        let lifted = lift_session_token(request).await;
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
            lift_session_token(request).await.headers()[TOKEN_FIELD],
            "from-the-header"
        );
        let request = Request::put("/bucket/key")
            .body(Body::from(form(&[(TOKEN_FIELD, "x")])))
            .unwrap();
        assert!(!lift_session_token(request)
            .await
            .headers()
            .contains_key(TOKEN_FIELD));
    }
}

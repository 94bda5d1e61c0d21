//! AWS Signature Version 4 verification, pure: the adapter hands in the request's parts and a
//! secret, this module says whether the signature is right. Hand-rolled because the AWS crates
//! only sign; verifying means rebuilding the canonical request from what the client sent.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::crypto::constant_time_eq;
use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// How far the client's clock may be from ours.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

/// The parts of a request that a signature covers.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as received, still percent-encoded.
    pub path: &'a str,
    pub query: &'a str,
    /// Every header, names in lower case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn header_values<'b>(&'b self, name: &'b str) -> impl Iterator<Item = &'b str> + 'b {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn parse(header: &str) -> Result<Self> {
        let incomplete = |what: &str| {
            Error::InvalidSignature(format!(
                "Authorization header requires '{what}' parameter. Authorization={header}"
            ))
        };
        let rest = header.strip_prefix("AWS4-HMAC-SHA256").ok_or_else(|| {
            Error::InvalidSignature(
                "Unsupported signing algorithm; expected AWS4-HMAC-SHA256".into(),
            )
        })?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed_headers = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let credential = credential.ok_or_else(|| incomplete("Credential"))?;
        let signed_headers = signed_headers.ok_or_else(|| incomplete("SignedHeaders"))?;
        let signature = signature.ok_or_else(|| incomplete("Signature"))?;
        let scope: Vec<&str> = credential.split('/').collect();
        if scope.len() != 5 || scope[4] != "aws4_request" || scope[0].is_empty() {
            return Err(Error::InvalidSignature(format!(
                "Credential should be scoped to a valid region, service and date: {credential}"
            )));
        }
        Ok(Authorization {
            access_key_id: scope[0].to_owned(),
            date: scope[1].to_owned(),
            region: scope[2].to_owned(),
            service: scope[3].to_owned(),
            signed_headers: signed_headers.split(';').map(str::to_owned).collect(),
            signature: signature.to_owned(),
        })
    }

    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Percent-encodes as SigV4 wants: everything but unreserved characters.
fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for b in input.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes; in a query `+` is a space, in a path it is itself.
/// RFC 3986 percent-encoding of everything but the unreserved characters, `/` included: the
/// form IAM returns policy documents in.
pub fn percent_encode(input: &str) -> String {
    uri_encode(input, false)
}

pub fn percent_decode(input: &str, plus_is_space: bool) -> String {
    fn hex_digit(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && bytes[i] == b'+' {
            b' '
        } else {
            bytes[i]
        });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k, true), false),
                uri_encode(&percent_decode(v, true), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn normalize_header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How the canonical request writes the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRules {
    /// Every service but S3: the path as sent is encoded once more.
    EncodedTwice,
    /// S3: the path is encoded once (object keys are signed as they are named), never
    /// normalised.
    S3,
}

impl PathRules {
    /// The rules the signer used, told by the credential scope's service.
    pub fn for_service(service: &str) -> Self {
        if service == "s3" {
            PathRules::S3
        } else {
            PathRules::EncodedTwice
        }
    }
}

/// The canonical request of SigV4.
pub fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
    rules: PathRules,
) -> String {
    let path = if req.path.is_empty() { "/" } else { req.path };
    let canonical_uri = match rules {
        PathRules::EncodedTwice => uri_encode(path, true),
        // Decoded first, so that a key sent with or without escapes for characters that need
        // none (`!`, `(`) is signed in the one canonical form.
        PathRules::S3 => uri_encode(&percent_decode(path, false), true),
    };
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = req
            .header_values(name)
            .map(normalize_header_value)
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri,
        canonical_query(req.query),
        canonical_headers,
        signed_headers.join(";"),
        hex::encode(Sha256::digest(req.body)),
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The signature a correct client would have sent.
pub fn expected_signature(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    amz_date: &str,
    secret: &str,
) -> String {
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
        auth.scope(),
        hex::encode(Sha256::digest(
            canonical_request(
                req,
                &auth.signed_headers,
                PathRules::for_service(&auth.service)
            )
            .as_bytes()
        ))
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    let k_region = hmac(&k_date, auth.region.as_bytes());
    let k_service = hmac(&k_region, auth.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex::encode(hmac(&k_signing, string_to_sign.as_bytes()))
}

/// Parses `20240101T120000Z`.
pub fn parse_amz_date(raw: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(raw, format)
        .ok()
        .map(|d| d.assume_utc())
}

/// Checks the signature and the clock. The caller has already resolved the access key to
/// `secret`.
pub fn verify(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    secret: &str,
    now: OffsetDateTime,
) -> Result<()> {
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(Error::InvalidSignature(
            "'Host' must be a signed header".into(),
        ));
    }
    let amz_date = req
        .header_values("x-amz-date")
        .next()
        .ok_or_else(|| Error::InvalidSignature("Missing X-Amz-Date header".into()))?;
    let signed_at = parse_amz_date(amz_date)
        .ok_or_else(|| Error::InvalidSignature(format!("Invalid X-Amz-Date: {amz_date}")))?;
    if !amz_date.starts_with(&auth.date) {
        return Err(Error::InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP".into(),
        ));
    }
    let skew = (now - signed_at).whole_seconds();
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
        let bound = if skew > 0 {
            now - time::Duration::seconds(MAX_CLOCK_SKEW_SECS)
        } else {
            now + time::Duration::seconds(MAX_CLOCK_SKEW_SECS)
        };
        return Err(Error::InvalidSignature(format!(
            "Signature expired: {amz_date} is now {} than {} ({} - 15 min.)",
            if skew > 0 { "earlier" } else { "later" },
            bound.format(fmt).unwrap_or_default(),
            now.format(fmt).unwrap_or_default(),
        )));
    }
    let expected = expected_signature(req, auth, amz_date, secret);
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(Error::InvalidSignature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "get-vanilla" case of the AWS SigV4 test suite (published with the SigV4 docs):
    /// secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, service `service`, region `us-east-1`.
    fn vanilla_headers() -> Vec<(String, String)> {
        vec![
            ("host".into(), "example.amazonaws.com".into()),
            ("x-amz-date".into(), "20150830T123600Z".into()),
        ]
    }

    const VANILLA_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn canonical_request_matches_the_aws_test_suite() {
        let headers = vanilla_headers();
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let auth = Authorization::parse(VANILLA_AUTH).unwrap();
        assert_eq!(
            canonical_request(&req, &auth.signed_headers, PathRules::EncodedTwice),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_aws_test_suite_signature_verifies() {
        let headers = vanilla_headers();
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let auth = Authorization::parse(VANILLA_AUTH).unwrap();
        let now = parse_amz_date("20150830T123800Z").unwrap();
        verify(&req, &auth, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now).unwrap();
        let wrong = verify(&req, &auth, "not-the-secret", now).unwrap_err();
        assert_eq!(wrong.name(), "InvalidSignatureException");
    }

    #[test]
    fn a_stale_date_is_signature_expired() {
        let headers = vanilla_headers();
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let auth = Authorization::parse(VANILLA_AUTH).unwrap();
        let later = parse_amz_date("20150830T125200Z").unwrap();
        let err = verify(
            &req,
            &auth,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            later,
        )
        .unwrap_err();
        assert!(
            err.message()
                .starts_with("Signature expired: 20150830T123600Z is now earlier than"),
            "{err}"
        );
    }

    #[test]
    fn query_strings_are_sorted_and_encoded() {
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("k=a%20b&x=~y"), "k=a%20b&x=~y");
        assert_eq!(canonical_query("k=a b"), "k=a%20b");
    }

    #[test]
    fn header_values_are_trimmed_and_folded() {
        let headers = vec![
            ("host".into(), "h".into()),
            ("my-header".into(), "  a   b  ".into()),
        ];
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let c = canonical_request(
            &req,
            &["host".into(), "my-header".into()],
            PathRules::EncodedTwice,
        );
        assert!(c.contains("my-header:a b\n"), "{c}");
    }

    #[test]
    fn s3_paths_are_encoded_once_and_other_paths_twice() {
        let headers = vec![("host".into(), "h".into())];
        let req = SignedRequest {
            method: "GET",
            path: "/bucket/my%20file+(1).txt",
            query: "",
            headers: &headers,
            body: b"",
        };
        let uri = |rules| {
            canonical_request(&req, &["host".into()], rules)
                .lines()
                .nth(1)
                .unwrap()
                .to_owned()
        };
        assert_eq!(uri(PathRules::S3), "/bucket/my%20file%2B%281%29.txt");
        assert_eq!(
            uri(PathRules::EncodedTwice),
            "/bucket/my%2520file%2B%281%29.txt"
        );
        assert_eq!(PathRules::for_service("s3"), PathRules::S3);
        assert_eq!(
            PathRules::for_service("cognito-idp"),
            PathRules::EncodedTwice
        );
    }

    /// Signs `path` with the AWS SDK's signer, S3's settings (`s3`) or every other service's,
    /// and verifies the result here.
    fn verify_aws_signed(path: &str, s3: bool) -> Result<()> {
        use aws_sigv4::http_request::{
            sign, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
            UriPathNormalizationMode,
        };
        use aws_smithy_runtime_api::client::identity::Identity;
        let identity: Identity =
            aws_credential_types::Credentials::new("AKID", "secret", None, None, "test").into();
        let mut settings = SigningSettings::default();
        if s3 {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        let service = if s3 { "s3" } else { "execute-api" };
        let now = parse_amz_date("20261201T100000Z").unwrap();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(now.into())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let url = format!("http://127.0.0.1:9230{path}");
        let host = [("host", "127.0.0.1:9230")];
        let signable =
            SignableRequest::new("GET", &url, host.iter().copied(), SignableBody::Bytes(b""))
                .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut headers: Vec<(String, String)> = vec![("host".into(), host[0].1.into())];
        let mut authorization = String::new();
        for (name, value) in instructions.headers() {
            if name == "authorization" {
                authorization = value.to_owned();
            } else {
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        let request = SignedRequest {
            method: "GET",
            path,
            query: "",
            headers: &headers,
            body: b"",
        };
        verify(
            &request,
            &Authorization::parse(&authorization)?,
            "secret",
            now,
        )
    }

    #[test]
    fn the_aws_signer_verifies_for_s3_keys_and_other_paths() {
        for path in [
            "/bucket/plain.txt",
            "/bucket/my%20file%20%281%29.txt",
            "/bucket/a/b/%C3%A9t%C3%A9.png",
            "/bucket/x%2By",
        ] {
            verify_aws_signed(path, true).unwrap_or_else(|e| panic!("s3 {path}: {e}"));
            verify_aws_signed(path, false).unwrap_or_else(|e| panic!("api {path}: {e}"));
        }
    }

    #[test]
    fn malformed_authorization_headers_are_rejected() {
        for bad in [
            "Bearer x",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/service, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/service/aws4_request, Signature=00",
        ] {
            assert!(Authorization::parse(bad).is_err(), "{bad}");
        }
    }
}

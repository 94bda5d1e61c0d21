//! The S3 surface: s3s's protocol layer (signatures, routing, XML) in front of the storage
//! service, on the same listeners as every other surface. A request is S3's when its Host is
//! `<bucket>.<s3-domain>`, when its signature is scoped to service `s3`, or when its path is
//! none of cognate's own; bucket CORS (preflights and the headers on answers) is answered here,
//! as s3s leaves it to the server.

mod access;
mod bucketless;
mod errors;
mod ops;
mod post_form;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use cognate_core::service::Storage;
use cognate_core::storage::{BucketName, CorsRule, ObjectKey};
use s3s::host::{S3Host, VirtualHost};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::S3Result;

use crate::AppState;

/// A bucket name from the wire: S3's InvalidBucketName when it is not one. (Every request's
/// path bucket is parsed so in the access check, before its operation runs.)
fn bucket_of(name: &str) -> S3Result<BucketName> {
    BucketName::parse(name).map_err(errors::to_s3)
}

fn key_of(key: &str) -> S3Result<ObjectKey> {
    ObjectKey::parse(key).map_err(errors::to_s3)
}

/// A copy's source object (`x-amz-copy-source`).
fn copy_source(source: &s3s::dto::CopySource) -> S3Result<(BucketName, ObjectKey)> {
    match source {
        s3s::dto::CopySource::Bucket { bucket, key, .. } => Ok((bucket_of(bucket)?, key_of(key)?)),
        _ => Err(s3s::s3_error!(
            NotImplemented,
            "Access point copy sources are not supported."
        )),
    }
}

/// `<bucket>.<domain>` names a bucket (any port); every other host is path-style.
struct Domain(String);

fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        // An IPv6 address is bracketed when a port follows it.
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || name.ends_with(']')) =>
        {
            name
        }
        _ => host,
    }
}

impl Domain {
    fn bucket_in<'a>(&self, host: &'a str) -> Option<&'a str> {
        without_port(host)
            .strip_suffix(self.0.as_str())
            .and_then(|h| h.strip_suffix('.'))
            .filter(|b| !b.is_empty())
    }
}

impl S3Host for Domain {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match self.bucket_in(host) {
            Some(bucket) => VirtualHost::new(host).with_bucket(bucket),
            None => VirtualHost::new(host),
        })
    }
}

/// The S3 surface, ready to take requests.
#[derive(Clone)]
pub struct S3Surface {
    service: S3Service,
    domain: std::sync::Arc<Domain>,
    storage: Storage,
}

/// The host storage's virtual-hosted buckets hang off by default: the public URL's host
/// name, or `localhost` when that is an address (browsers resolve `*.localhost` themselves).
pub fn default_domain(public_url: &str) -> String {
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let name = without_port(host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    if name.is_empty() || name.parse::<std::net::IpAddr>().is_ok() {
        "localhost".to_owned()
    } else {
        name.to_ascii_lowercase()
    }
}

impl S3Surface {
    /// `default_bucket`: the bucket a path-style `POST /?delete` without one means (see
    /// `bucketless`).
    pub fn new(
        state: AppState,
        storage: Storage,
        domain: String,
        default_bucket: Option<BucketName>,
    ) -> Self {
        let door = access::Door {
            state,
            storage: storage.clone(),
        };
        let objects = || ops::Objects {
            door: door.clone(),
            storage: storage.clone(),
        };
        let domain = std::sync::Arc::new(Domain(domain));
        let mut builder = S3ServiceBuilder::new(objects());
        builder.set_auth(door.clone());
        builder.set_access(door.clone());
        builder.set_host(Domain(domain.0.clone()));
        if let Some(bucket) = default_bucket {
            builder.set_route(bucketless::BucketlessDelete {
                door: door.clone(),
                objects: objects(),
                domain: domain.clone(),
                bucket,
            });
        }
        S3Surface {
            service: builder.build(),
            domain,
            storage,
        }
    }

    fn host<'a>(&self, headers: &'a HeaderMap) -> &'a str {
        headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Whether `request` is for storage rather than cognate's own routes.
    pub fn claims(&self, request: &Request<Body>) -> bool {
        let headers = request.headers();
        if self.domain.bucket_in(self.host(headers)).is_some() {
            return true;
        }
        let scoped_to_s3 = |credential: &str| credential.split('/').nth(3) == Some("s3");
        if let Some(authorization) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            return authorization
                .split_once("Credential=")
                .is_some_and(|(_, rest)| {
                    scoped_to_s3(rest.split([',', ' ']).next().unwrap_or(""))
                });
        }
        let query = request.uri().query().unwrap_or_default();
        if let Some(credential) = query
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Credential="))
        {
            return scoped_to_s3(&cognate_core::sigv4::percent_decode(credential, true));
        }
        !is_cognate_route(request.method(), request.uri().path())
    }

    /// The bucket a request addresses, by host or by path.
    fn bucket_of(&self, request: &Request<Body>) -> Option<BucketName> {
        let name = match self.domain.bucket_in(self.host(request.headers())) {
            Some(bucket) => bucket.to_owned(),
            None => request
                .uri()
                .path()
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        BucketName::parse(&name).ok()
    }

    async fn cors_rules(&self, bucket: Option<BucketName>) -> Vec<CorsRule> {
        match bucket {
            Some(name) => match self.storage.bucket(&name).await {
                Ok(bucket) => bucket.cors.unwrap_or_default(),
                Err(_) => Vec::new(),
            },
            None => Vec::new(),
        }
    }

    pub async fn handle(&self, request: Request<Body>) -> Response {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if request.method() == Method::OPTIONS {
            return self.preflight(request, origin.as_deref()).await;
        }
        let bucket = origin.as_ref().and_then(|_| self.bucket_of(&request));
        let method = request.method().clone();
        let request = post_form::prepare_form(request).await;
        let mut response = match tower::ServiceExt::oneshot(self.service.clone(), request).await {
            Ok(response) => response.map(Body::new),
            Err(e) => {
                tracing::error!(error = ?e, "storage request failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        };
        if let Some(origin) = origin {
            let rules = self.cors_rules(bucket).await;
            if let Some(rule) = rules.iter().find(|r| r.matches(&origin, method.as_str())) {
                let headers = response.headers_mut();
                allow_origin(headers, rule, &origin);
                if !rule.expose_headers.is_empty() {
                    set(
                        headers,
                        "access-control-expose-headers",
                        &rule.expose_headers.join(", "),
                    );
                }
            }
        }
        response
    }

    /// A CORS preflight, answered by the bucket's rules as S3 answers it.
    async fn preflight(&self, request: Request<Body>, origin: Option<&str>) -> Response {
        let requested = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (Some(origin), Some(method)) = (origin, requested) else {
            return cors_refusal("Insufficient information. Origin request header needed.");
        };
        let headers: Vec<String> = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect();
        let bucket = self.bucket_of(&request);
        drop(request);
        let rules = self.cors_rules(bucket).await;
        let Some(rule) = rules.iter().find(|r| {
            r.matches(origin, &method) && r.allows_headers(headers.iter().map(String::as_str))
        }) else {
            return cors_refusal("This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.");
        };
        let mut response = StatusCode::OK.into_response();
        let out = response.headers_mut();
        allow_origin(out, rule, origin);
        set(
            out,
            "access-control-allow-methods",
            &rule.allowed_methods.join(", "),
        );
        if !headers.is_empty() {
            set(out, "access-control-allow-headers", &headers.join(", "));
        }
        if !rule.expose_headers.is_empty() {
            set(
                out,
                "access-control-expose-headers",
                &rule.expose_headers.join(", "),
            );
        }
        if let Some(age) = rule.max_age_seconds {
            set(out, "access-control-max-age", &age.to_string());
        }
        response
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn allow_origin(headers: &mut HeaderMap, rule: &CorsRule, origin: &str) {
    let any = rule.allowed_origins.iter().any(|o| o == "*");
    set(
        headers,
        "access-control-allow-origin",
        if any { "*" } else { origin },
    );
    if !any {
        set(headers, "vary", "Origin");
    }
}

fn cors_refusal(message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessForbidden</Code><Message>CORSResponse: {message}</Message></Error>"
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/xml")],
        body,
    )
        .into_response()
}

/// cognate's own routes: the JSON and Query APIs (`POST /` and its preflight), health,
/// a pool's well-known documents (pool ids hold `_`, which bucket names cannot), Admin Queries.
fn is_cognate_route(method: &Method, path: &str) -> bool {
    if path == "/" {
        return method != Method::GET && method != Method::HEAD;
    }
    if path == "/healthz" || path.starts_with("/adminqueries/") || path.starts_with("/restapis/") {
        return true;
    }
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let first = segments.next().unwrap_or_default();
    first.contains('_')
        && segments
            .next()
            .is_some_and(|rest| rest.starts_with(".well-known/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_read_from_the_host_under_the_domain_whatever_the_port() {
        let domain = Domain("localhost".into());
        assert_eq!(domain.bucket_in("photos.localhost:9231"), Some("photos"));
        assert_eq!(domain.bucket_in("photos.localhost"), Some("photos"));
        assert_eq!(domain.bucket_in("localhost:9231"), None);
        assert_eq!(domain.bucket_in("127.0.0.1:9230"), None);
        assert_eq!(domain.bucket_in("evillocalhost:1"), None);
    }

    #[test]
    fn the_default_domain_is_the_public_hosts_name_or_localhost() {
        assert_eq!(default_domain("http://127.0.0.1:9230"), "localhost");
        assert_eq!(
            default_domain("https://auth.example.com"),
            "auth.example.com"
        );
        assert_eq!(default_domain("http://[::1]:9230"), "localhost");
    }

    #[test]
    fn cognates_routes_are_told_from_bucket_paths() {
        assert!(is_cognate_route(&Method::POST, "/"));
        assert!(is_cognate_route(&Method::OPTIONS, "/"));
        assert!(!is_cognate_route(&Method::GET, "/"));
        assert!(is_cognate_route(&Method::GET, "/healthz"));
        assert!(is_cognate_route(
            &Method::GET,
            "/us-east-1_abc/.well-known/jwks.json"
        ));
        assert!(!is_cognate_route(
            &Method::GET,
            "/my-bucket/.well-known/jwks.json"
        ));
        assert!(!is_cognate_route(&Method::PUT, "/my-bucket/key"));
        assert!(is_cognate_route(&Method::POST, "/adminqueries/x/y/z"));
    }
}

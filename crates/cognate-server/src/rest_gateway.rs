//! The REST gateway: `{public_url}/restapis/{api}/{stage}/{path}` answers as API Gateway does
//! in front of an HTTP service. Routing comes first (an unknown API, stage, path or method is
//! "Missing Authentication Token"), then the signature (SigV4 scoped to `execute-api`) for IAM
//! routes, then the one evaluator on the call's `execute-api:Invoke` ARN, then the upstream:
//! the method, path below the stage, query, headers and body go to the route's upstream URL, and
//! its answer comes back streamed, with the caller's identity in a token cognate signs
//! ([`CALLER_HEADER`]). Errors are API Gateway's bodies with `x-amzn-ErrorType`, and CORS
//! preflights are answered as Amplify's generated OPTIONS methods answer them.
//!
//! The same APIs answer host-based, at `<apiId>.execute-api.<domain>/<stage>/<path>`: the
//! request is taken to the path-based route before any other surface sees it ([`take_hosted`]).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cognate_core::rest_api::{find_route, invoke_arn, serves_path, RouteAuth};
use cognate_core::service::GatewayCaller;
use cognate_core::Error;
use cognate_iam::Context;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;

use crate::admin_queries::{requested_headers, ALLOW_HEADERS};
use crate::listener::Transport;
use crate::{sigv4, AppState};

/// API Gateway's request body limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's integration timeout: how long the upstream has to begin its answer.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(29);
/// The header that carries the caller's identity to the upstream: a JWT signed with the API's
/// key (JWKS at `/restapis/{api}/.well-known/jwks.json`). Every header a client sends that
/// begins with [`RESERVED_PREFIX`] is dropped, so none can be forged.
pub const CALLER_HEADER: &str = "x-cognate-caller";
const RESERVED_PREFIX: &str = "x-cognate-";
/// What Amplify's generated OPTIONS method allows.
const ALLOW_METHODS: &str = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT";
/// What Amplify's DEFAULT_4XX and DEFAULT_5XX gateway responses expose.
const EXPOSE_HEADERS: &str = "Date,X-Amzn-ErrorType";

const SURFACE: sigv4::Surface = sigv4::Surface {
    services: &["execute-api"],
    signed_headers: &[],
    any_region: false,
};

/// Headers of one connection, not of the request (RFC 9110 §7.6.1), and Host, which is the
/// upstream's own.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The upstreams' client: hyper's own pool, plain or TLS (the web's roots) as the route's URL
/// says, with no redirects followed (the caller gets the upstream's answer as it is).
type UpstreamClient = Client<HttpsConnector<HttpConnector>, UpstreamBody>;

fn upstream_client() -> &'static UpstreamClient {
    static CLIENT: OnceLock<UpstreamClient> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(std::sync::Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .expect("TLS 1.2 and 1.3 with aws-lc-rs")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Client::builder(TokioExecutor::new()).build(connector)
    })
}

/// An answer in API Gateway's words, with the CORS headers of Amplify's gateway responses.
fn refusal(status: StatusCode, error_type: &str, key: &str, message: &str) -> Response {
    let mut response = (status, axum::Json(json!({ key: message }))).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(error_type) {
        headers.insert("x-amzn-errortype", value);
    }
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    response
}

fn unauthorized() -> Response {
    refusal(
        StatusCode::UNAUTHORIZED,
        "UnauthorizedException",
        "message",
        "Unauthorized",
    )
}

/// The answer to a CORS preflight on a routed path, as Amplify's mock OPTIONS integration
/// gives it (plus any other headers the browser asks to send).
fn preflight(headers: &HeaderMap) -> Response {
    let allowed = match requested_headers(headers) {
        Some(extra) => format!("{ALLOW_HEADERS},{extra}"),
        None => ALLOW_HEADERS.to_owned(),
    };
    let mut response = StatusCode::OK.into_response();
    let out = response.headers_mut();
    out.insert(
        "access-control-allow-headers",
        HeaderValue::from_str(&allowed).unwrap_or(HeaderValue::from_static(ALLOW_HEADERS)),
    );
    out.insert(
        "access-control-allow-methods",
        HeaderValue::from_static(ALLOW_METHODS),
    );
    response
}

fn missing_token() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "MissingAuthenticationTokenException",
        "message",
        "Missing Authentication Token",
    )
}

/// The account id in a resource ARN as API Gateway shows it: all but the last four digits
/// masked.
fn masked(arn: &str, account: &str) -> String {
    let keep = account.len().saturating_sub(4);
    arn.replacen(
        &format!(":{account}:"),
        &format!(":{}{}:", "*".repeat(keep), &account[keep..]),
        1,
    )
}

/// A verifier's or evaluator's refusal, as API Gateway words it.
fn refused(error: Error, caller: Option<&str>, arn: &str, account: &str) -> Response {
    match error {
        Error::MissingAuthenticationToken(_) => missing_token(),
        Error::UnrecognizedClient(_) => refusal(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "message",
            "The security token included in the request is invalid.",
        ),
        Error::ExpiredToken(_) => refusal(
            StatusCode::FORBIDDEN,
            "ExpiredTokenException",
            "message",
            "The security token included in the request is expired",
        ),
        Error::InvalidSignature(message) => refusal(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            "message",
            &message,
        ),
        Error::NotAuthorized(_) => unauthorized(),
        Error::AccessDenied(message) => {
            let explicit = if message.ends_with(" with an explicit deny") {
                " with an explicit deny"
            } else {
                ""
            };
            refusal(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "Message",
                &format!(
                    "User: {} is not authorized to perform: execute-api:Invoke on resource: {}{explicit}",
                    caller.unwrap_or("anonymous"),
                    masked(arn, account)
                ),
            )
        }
        other => {
            tracing::warn!(error = %other, "a gateway call failed");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerErrorException",
                "message",
                "Internal server error",
            )
        }
    }
}

/// A request that named its API in the host, and the URI it was signed with.
#[derive(Clone)]
pub struct HostedUri(pub Uri);

/// Takes `<apiId>.execute-api.<domain>/<stage>/<path>` to `/restapis/<apiId>/<stage>/<path>`
/// (`suffix` is `.execute-api.<domain>`); false when the host names no API.
pub fn take_hosted(request: &mut Request<Body>, suffix: &str) -> bool {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    let Some(api) = host
        .to_ascii_lowercase()
        .strip_suffix(suffix)
        .map(str::to_owned)
    else {
        return false;
    };
    if api.is_empty() || !api.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let original = request.uri().clone();
    let path_and_query = original.path_and_query().map_or("/", |p| p.as_str());
    let Ok(rewritten) = format!("/restapis/{api}{path_and_query}").parse::<Uri>() else {
        return false;
    };
    *request.uri_mut() = rewritten;
    request.extensions_mut().insert(HostedUri(original));
    true
}

/// `GET /restapis/{api}/.well-known/jwks.json`: the key the API's caller tokens are signed with.
pub async fn jwks(State(state): State<AppState>, Path(api): Path<String>) -> Response {
    match state.cognito.rest_api_jwks(&api).await {
        Ok(keys) => axum::Json(keys).into_response(),
        Err(Error::ResourceNotFound(_)) => missing_token(),
        Err(e) => refused(e, None, "", &state.cognito.config().account_id),
    }
}

pub async fn handle_root(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((api, stage)): Path<(String, String)>,
    request: Request<Body>,
) -> Response {
    with_cors(serve(&state, peer, (api, stage, String::new()), request).await)
}

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((api, stage, path)): Path<(String, String, String)>,
    request: Request<Body>,
) -> Response {
    with_cors(serve(&state, peer, (api, stage, path), request).await)
}

/// Every answer may be read by a page of any origin, as Amplify's gateway responses and its
/// function template's answers allow; an upstream's own header stands.
fn with_cors(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry("access-control-allow-origin")
        .or_insert(HeaderValue::from_static("*"));
    response
}

async fn serve(
    state: &AppState,
    peer: SocketAddr,
    (api_id, stage, path): (String, String, String),
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let (method, headers) = (parts.method, parts.headers);
    let uri = match parts.extensions.get::<HostedUri>() {
        Some(HostedUri(signed)) => signed.clone(),
        None => parts.uri,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return too_long();
    }
    let path = format!("/{path}");
    let config = state.cognito.config();
    let served = match state.cognito.served_rest_api(&api_id).await {
        Ok(served) => served,
        Err(Error::ResourceNotFound(_)) => return missing_token(),
        // Not the caller's doing: a store that cannot answer is a 500, not a missing route.
        Err(e) => return refused(e, None, "", &config.account_id),
    };
    let api = &served.api;
    if !api.stages.contains(&stage) {
        return missing_token();
    }
    let route = find_route(&api.routes, method.as_str(), &path);
    if method == Method::OPTIONS && route.is_none_or(|r| r.method != "OPTIONS") {
        return if serves_path(&api.routes, &path) {
            preflight(&headers)
        } else {
            missing_token()
        };
    }
    let Some(route) = route else {
        return missing_token();
    };
    let arn = invoke_arn(
        &config.region,
        &config.account_id,
        &api.id,
        &stage,
        method.as_str(),
        &path,
    );
    let secure = parts
        .extensions
        .get::<Transport>()
        .is_some_and(|t| t.secure);
    let address = crate::client_address(state, peer, &headers);
    // A SigV4 signature covers the body's hash, so a signed call is read whole before anything
    // reaches the upstream; any other streams through, held to the same limit.
    let (signed_body, body) = if route.auth == RouteAuth::Iam {
        let Ok(whole) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
            return too_long();
        };
        let forwarded = Full::new(whole.clone()).map_err(|never| match never {});
        (whole, UnsyncBoxBody::new(forwarded))
    } else {
        let limited = Limited::new(body, MAX_BODY_BYTES);
        (Bytes::new(), UnsyncBoxBody::new(limited))
    };
    let request = sigv4::Request {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &signed_body,
        secure,
    };
    let caller = match authenticate(state, &route.auth, &request, address, &arn).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let caller_token = match caller {
        Some(caller) => match state.cognito.caller_token(&served, caller).await {
            Ok(token) => Some(token),
            Err(e) => return refused(e, None, &arn, &config.account_id),
        },
        None => None,
    };
    let call = Call {
        upstream: &route.upstream,
        method,
        path: &path,
        query: uri.query(),
        headers: &headers,
        caller_token: caller_token.as_deref(),
        body,
    };
    proxy(call, state.upstream_timeout).await
}

/// Who calls a route, by its authorization: nobody (an open route), the SigV4 signer whose
/// policies allow `execute-api:Invoke` on `arn`, or the owner of a user pool's ID token. A
/// refusal is the answer to send.
async fn authenticate(
    state: &AppState,
    auth: &RouteAuth,
    request: &sigv4::Request<'_>,
    address: std::net::IpAddr,
    arn: &str,
) -> Result<Option<GatewayCaller>, Response> {
    let account = &state.cognito.config().account_id;
    match auth {
        RouteAuth::None => Ok(None),
        RouteAuth::Iam => {
            let caller = sigv4::verify(state, &SURFACE, request, address)
                .await
                .map_err(|e| refused(e, None, arn, account))?;
            let mut context = Context::new();
            context.insert("aws:SourceIp", address.to_string());
            context.insert("aws:SecureTransport", request.secure.to_string());
            if let Err(e) = state
                .cognito
                .authorize(&caller.principal, "execute-api:Invoke", arn, context)
                .await
            {
                let who = caller.principal.arn(account);
                return Err(refused(e, Some(&who), arn, account));
            }
            let known = state.cognito.gateway_caller(&caller.principal).await;
            known.map(Some).map_err(|e| refused(e, None, arn, account))
        }
        RouteAuth::UserPool(pool) => {
            let token = id_token(request.headers).ok_or_else(unauthorized)?;
            let known = state.cognito.gateway_user(pool, token).await;
            known.map(Some).map_err(|e| refused(e, None, arn, account))
        }
    }
}

/// The token of a user-pool route: the raw JWT in `Authorization`, as API Gateway's Cognito
/// authorizer takes it (a `Bearer ` prefix is let through too).
fn id_token(headers: &HeaderMap) -> Option<&str> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = raw.strip_prefix("Bearer ").unwrap_or(raw).trim();
    (!token.is_empty()).then_some(token)
}

/// A request body on its way to the upstream: read whole (signed calls) or streaming.
type UpstreamBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// What goes to the upstream.
struct Call<'a> {
    upstream: &'a str,
    method: Method,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    caller_token: Option<&'a str>,
    body: UpstreamBody,
}

/// API Gateway's answer to a body past [`MAX_BODY_BYTES`].
fn too_long() -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestTooLarge",
        "message",
        "Request Too Long",
    )
}

/// Whether the upstream call failed because the streamed body went past the limit.
fn body_too_long(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

async fn proxy(call: Call<'_>, timeout: Duration) -> Response {
    let mut url = format!("{}{}", call.upstream.trim_end_matches('/'), call.path);
    if let Some(query) = call.query {
        url.push('?');
        url.push_str(query);
    }
    let mut outgoing = Request::new(call.body);
    *outgoing.method_mut() = call.method;
    let forwarded = outgoing.headers_mut();
    for (name, value) in call.headers {
        let name_text = name.as_str();
        if !HOP_BY_HOP.contains(&name_text) && !name_text.starts_with(RESERVED_PREFIX) {
            forwarded.append(name.clone(), value.clone());
        }
    }
    if let Some(token) = call
        .caller_token
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        forwarded.insert(CALLER_HEADER, token);
    }
    match url.parse::<Uri>() {
        Ok(uri) => *outgoing.uri_mut() = uri,
        Err(e) => return upstream_failed(&url, &e),
    }
    // The limit is on the upstream beginning its answer; the body then streams for as long
    // as it takes.
    let answer = match tokio::time::timeout(timeout, upstream_client().request(outgoing)).await {
        Ok(Ok(answer)) => answer,
        Err(_) => {
            return refusal(
                StatusCode::GATEWAY_TIMEOUT,
                "InternalServerErrorException",
                "message",
                "Endpoint request timed out",
            )
        }
        Ok(Err(e)) if body_too_long(&e) => return too_long(),
        Ok(Err(e)) => return upstream_failed(&url, &e),
    };
    let (mut parts, body) = answer.into_parts();
    for name in HOP_BY_HOP {
        parts.headers.remove(*name);
    }
    Response::from_parts(parts, Body::new(body))
}

/// The upstream could not be reached, or broke off: API Gateway's 502.
fn upstream_failed(url: &str, error: &dyn std::fmt::Display) -> Response {
    tracing::warn!(upstream = %url, error = %error, "the upstream did not answer");
    refusal(
        StatusCode::BAD_GATEWAY,
        "InternalServerErrorException",
        "message",
        "Internal server error",
    )
}

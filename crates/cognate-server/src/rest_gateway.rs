//! The REST gateway: `{public_url}/restapis/{api}/{stage}/{path}` answers as API Gateway does
//! in front of an HTTP service. Routing comes first (an unknown API, stage, path or method is
//! "Missing Authentication Token"), then the signature (SigV4 scoped to `execute-api`) for IAM
//! routes, then the one evaluator on the call's `execute-api:Invoke` ARN, then the upstream:
//! the method, path below the stage, query, headers and body go to the route's upstream URL, and
//! its answer comes back streamed. Errors are API Gateway's bodies with `x-amzn-ErrorType`.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use cognate_core::rest_api::{find_route, invoke_arn, RouteAuth};
use cognate_core::Error;
use cognate_iam::Context;
use serde_json::json;

use crate::listener::Transport;
use crate::{sigv4, AppState};

/// API Gateway's request body limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's integration timeout.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(29);

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

fn upstream_client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(UPSTREAM_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client")
    })
}

/// An answer in API Gateway's words.
fn refusal(status: StatusCode, error_type: &str, key: &str, message: &str) -> Response {
    let mut response = (status, axum::Json(json!({ key: message }))).into_response();
    if let Ok(value) = HeaderValue::from_str(error_type) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
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

pub async fn handle_root(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((api, stage)): Path<(String, String)>,
    request: Request<Body>,
) -> Response {
    serve(&state, peer, (api, stage, String::new()), request).await
}

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((api, stage, path)): Path<(String, String, String)>,
    request: Request<Body>,
) -> Response {
    serve(&state, peer, (api, stage, path), request).await
}

async fn serve(
    state: &AppState,
    peer: SocketAddr,
    (api_id, stage, path): (String, String, String),
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestTooLarge",
            "message",
            "Request Too Long",
        );
    };
    let extensions = parts.extensions;
    let path = format!("/{path}");
    let config = state.cognito.config();
    let api = match state.cognito.rest_api(&api_id).await {
        Ok(api) => api,
        Err(Error::ResourceNotFound(_)) => return missing_token(),
        // Not the caller's doing: a store that cannot answer is a 500, not a missing route.
        Err(e) => return refused(e, None, "", &config.account_id),
    };
    if !api.stages.contains(&stage) {
        return missing_token();
    }
    let Some(route) = find_route(&api.routes, method.as_str(), &path) else {
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
    let secure = extensions.get::<Transport>().is_some_and(|t| t.secure);
    let address = crate::client_address(state, peer, &headers);
    match route.auth {
        RouteAuth::None => {}
        RouteAuth::Iam => {
            let request = sigv4::Request {
                method: &method,
                uri: &uri,
                headers: &headers,
                body: &body,
                secure,
            };
            let caller = match sigv4::verify(state, &SURFACE, &request, address).await {
                Ok(caller) => caller,
                Err(e) => return refused(e, None, &arn, &config.account_id),
            };
            let mut context = Context::new();
            context.insert("aws:SourceIp", address.to_string());
            context.insert("aws:SecureTransport", secure.to_string());
            if let Err(e) = state
                .cognito
                .authorize(&caller.principal, "execute-api:Invoke", &arn, context)
                .await
            {
                let who = caller.principal.arn(&config.account_id);
                return refused(e, Some(&who), &arn, &config.account_id);
            }
        }
        RouteAuth::UserPool => {
            // Refused when the API is recorded; an older record cannot be served.
            return refusal(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                "message",
                "Unauthorized",
            );
        }
    }
    proxy(&route.upstream, method, &path, uri.query(), &headers, body).await
}

async fn proxy(
    upstream: &str,
    method: Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let mut url = format!("{}{path}", upstream.trim_end_matches('/'));
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    let mut forwarded = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            forwarded.append(name.clone(), value.clone());
        }
    }
    let sent = upstream_client()
        .request(method, &url)
        .headers(forwarded)
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(e) if e.is_timeout() => {
            return refusal(
                StatusCode::GATEWAY_TIMEOUT,
                "InternalServerErrorException",
                "message",
                "Endpoint request timed out",
            )
        }
        Err(e) => {
            tracing::warn!(upstream = %url, error = %e, "the upstream did not answer");
            return refusal(
                StatusCode::BAD_GATEWAY,
                "InternalServerErrorException",
                "message",
                "Internal server error",
            );
        }
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_str().as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                response = response.header(name, value);
            }
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

//! AWS's Query protocol, for IAM and STS: a form-encoded `POST /` with `Action=`, answered in
//! XML. The action names the service (STS's few actions; IAM's otherwise); signed calls are
//! verified for that service's signing name and decided by the one evaluator, as every other
//! surface's are.

mod iam;
mod input;
mod sts;
mod xml;

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cognate_core::audit::Actor;
use cognate_core::Error;

use crate::{client_address, sigv4, AppState};
pub(crate) use input::Query;
pub(crate) use xml::Xml;

/// The two services of this dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Iam,
    Sts,
}

impl Service {
    fn of(action: &str) -> Service {
        if sts::ACTIONS.contains(&action) {
            Service::Sts
        } else {
            Service::Iam
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    fn surface(self) -> &'static sigv4::Surface {
        const SIGNED: &[&str] = &["content-type"];
        match self {
            Service::Iam => &sigv4::Surface {
                services: &["iam"],
                signed_headers: SIGNED,
                any_region: true,
            },
            Service::Sts => &sigv4::Surface {
                services: &["sts"],
                signed_headers: SIGNED,
                any_region: true,
            },
        }
    }
}

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    secure: bool,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = Query::parse(&body);
    let action = query.action().to_owned();
    let service = Service::of(&action);
    let request_id = uuid::Uuid::new_v4().to_string();
    let result = async {
        let address = client_address(&state, peer, &headers);
        let request = sigv4::Request {
            method: &method,
            uri: &uri,
            headers: &headers,
            body: &body,
            secure,
        };
        let mut out = Xml::new();
        match service {
            Service::Sts if sts::UNSIGNED.contains(&action.as_str()) => {
                state.rate_limits.check_address(address)?;
                Actor::new("anonymous", address.to_string())
                    .scope(sts::dispatch_unsigned(
                        &state.cognito,
                        &action,
                        &query,
                        &mut out,
                    ))
                    .await?;
            }
            _ => {
                let caller = sigv4::verify(&state, service.surface(), &request, address).await?;
                let actor = caller.actor();
                let call = async {
                    match service {
                        // GetCallerIdentity needs no permission, as on AWS: anyone may ask who
                        // they are.
                        Service::Sts => {
                            sts::dispatch_signed(&state.cognito, &caller, &action, &mut out)
                        }
                        Service::Iam => {
                            let resource = iam::resource(&state.cognito, &action, &query).await;
                            crate::authorize::check(
                                &state,
                                &caller,
                                &format!("iam:{action}"),
                                &resource,
                            )
                            .await?;
                            iam::dispatch(&state.cognito, &action, &query, &mut out).await
                        }
                    }
                };
                actor.scope(call).await?;
            }
        }
        Ok::<_, Error>(out)
    }
    .await;
    match result {
        Ok(out) => (
            [(axum::http::header::CONTENT_TYPE, "text/xml")],
            out.response(&action, service.namespace(), &request_id),
        )
            .into_response(),
        Err(error) => error_response(service, &action, &request_id, error),
    }
}

/// `<ErrorResponse>` with the Query dialect's codes, which drop the `Exception` suffix.
fn error_response(service: Service, action: &str, request_id: &str, error: Error) -> Response {
    let (status, code) = match &error {
        Error::NoSuchEntity(_) => (StatusCode::NOT_FOUND, "NoSuchEntity"),
        Error::EntityAlreadyExists(_) => (StatusCode::CONFLICT, "EntityAlreadyExists"),
        Error::DeleteConflict(_) => (StatusCode::CONFLICT, "DeleteConflict"),
        Error::LimitExceeded(_) => (StatusCode::CONFLICT, "LimitExceeded"),
        Error::MalformedPolicyDocument(_) => (StatusCode::BAD_REQUEST, "MalformedPolicyDocument"),
        Error::InvalidParameter(_) | Error::Serialization(_) => match service {
            Service::Iam => (StatusCode::BAD_REQUEST, "InvalidInput"),
            Service::Sts => (StatusCode::BAD_REQUEST, "InvalidParameterValue"),
        },
        Error::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
        Error::ExpiredToken(_) => (StatusCode::FORBIDDEN, "ExpiredToken"),
        Error::InvalidIdentityToken(_) => (StatusCode::BAD_REQUEST, "InvalidIdentityToken"),
        Error::UnrecognizedClient(_) => (StatusCode::FORBIDDEN, "InvalidClientTokenId"),
        Error::InvalidSignature(_) => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"),
        Error::MissingAuthenticationToken(_) => {
            (StatusCode::FORBIDDEN, "MissingAuthenticationToken")
        }
        Error::UnknownOperation(_) => (StatusCode::BAD_REQUEST, "InvalidAction"),
        Error::TooManyRequests(_) => (StatusCode::BAD_REQUEST, "Throttling"),
        Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "ServiceFailure"),
        _ => (StatusCode::BAD_REQUEST, "InvalidInput"),
    };
    if error.is_internal() {
        tracing::error!(action, error = %error, "internal error");
    } else {
        tracing::info!(action, code, message = error.message(), "request refused");
    }
    let body = Xml::error(
        service.namespace(),
        status.is_server_error(),
        code,
        error.message(),
        request_id,
    );
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/xml")],
        body,
    )
        .into_response()
}

pub(crate) fn unknown_action(action: &str) -> Error {
    if action.is_empty() {
        Error::UnknownOperation("The request names no Action.".into())
    } else {
        Error::UnknownOperation(format!(
            "Could not find operation {action} for version 2010-05-08"
        ))
    }
}

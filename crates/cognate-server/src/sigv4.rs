//! The one SigV4 verifier. Every signed surface (the Cognito JSON API, the management API, and
//! the surfaces to come) hands its request here: the credential scope must name one of the
//! surface's services and this server's region, the access key and `X-Amz-Security-Token` go
//! through the credential door, the signature is checked against the secret found there, and
//! the handler gets the verified caller with its audit actor.

use std::net::IpAddr;

use axum::http::{HeaderMap, Method, Uri};
use cognate_core::audit::Actor;
use cognate_core::credentials::{self, Principal};
use cognate_core::sigv4::{self, Authorization, SignedRequest};
use cognate_core::{Error, Result};

use crate::AppState;

/// A verified caller: who signed, and from where.
pub struct Caller {
    pub principal: Principal,
    pub address: IpAddr,
    /// Whether the request came over TLS.
    pub secure: bool,
}

impl Caller {
    /// The actor this caller's changes are audited under.
    pub fn actor(&self) -> Actor {
        Actor::new(self.principal.audit_name(), self.address.to_string())
    }
}

/// The parts of an HTTP request a signature covers.
pub struct Request<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// Whether it came over TLS.
    pub secure: bool,
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter, still percent-encoded.
    fn query_param(&self, name: &str) -> Option<&str> {
        self.uri.query()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then_some(v)
        })
    }

    /// `X-Amz-Security-Token`, from the header or (presigned URLs) the query.
    fn session_token(&self) -> Option<String> {
        self.header("x-amz-security-token")
            .map(str::to_owned)
            .or_else(|| {
                self.query_param("X-Amz-Security-Token")
                    .map(|t| sigv4::percent_decode(t, true))
            })
            .filter(|t| !t.is_empty())
    }
}

/// What a signed surface requires of a signature.
pub struct Surface {
    /// The services its credential scope may name; the first is the one AWS's message names.
    pub services: &'static [&'static str],
    /// Headers that decide what the request does, which the signature must cover: a captured
    /// request must not be replayed with them changed.
    pub signed_headers: &'static [&'static str],
    /// Global services (IAM, STS) are signed for whichever region the client is set to.
    pub any_region: bool,
}

/// Verifies `request` for `surface`, from `address`.
pub async fn verify(
    state: &AppState,
    surface: &Surface,
    request: &Request<'_>,
    address: IpAddr,
) -> Result<Caller> {
    let header = request
        .header(axum::http::header::AUTHORIZATION.as_str())
        .ok_or_else(|| Error::MissingAuthenticationToken("Missing Authentication Token".into()))?;
    let authorization = Authorization::parse(header)?;
    let region = if surface.any_region {
        authorization.region.clone()
    } else {
        state.cognito.config().region.clone()
    };
    check_scope(&authorization, surface.services, &region)?;
    let session_token = request.session_token();
    let credential = state
        .credentials
        .lookup(&authorization.access_key_id, session_token.as_deref())
        .await?
        .ok_or_else(credentials::unrecognized)?;
    // Only what the signature covers, and the date it is checked against.
    let header_list: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, _)| {
            *name == "x-amz-date"
                || authorization
                    .signed_headers
                    .iter()
                    .any(|h| h == name.as_str())
        })
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let signed = SignedRequest {
        method: request.method.as_str(),
        path: request.uri.path(),
        query: request.uri.query().unwrap_or(""),
        headers: &header_list,
        body: request.body,
    };
    sigv4::verify(
        &signed,
        &authorization,
        &credential.secret_access_key,
        time::OffsetDateTime::now_utc(),
    )?;
    check_signed_headers(&authorization, surface.signed_headers, request)?;
    let principal = credential.principal;
    tracing::debug!(principal = %principal.audit_name(), "signature verified");
    Ok(Caller {
        principal,
        address,
        secure: request.secure,
    })
}

/// The credential scope must name this surface's service and this server's region, in AWS's
/// words when it does not.
fn check_scope(authorization: &Authorization, services: &[&str], region: &str) -> Result<()> {
    if !services.contains(&authorization.service.as_str()) {
        return Err(Error::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{}'.",
            services.first().copied().unwrap_or_default()
        )));
    }
    if authorization.region != region {
        return Err(Error::InvalidSignature(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            authorization.region
        )));
    }
    Ok(())
}

/// Every header of `required` that the request carries must be among the signed ones.
fn check_signed_headers(
    authorization: &Authorization,
    required: &[&str],
    request: &Request<'_>,
) -> Result<()> {
    match required.iter().find(|name| {
        request.headers.contains_key(**name)
            && !authorization.signed_headers.iter().any(|s| s == *name)
    }) {
        Some(name) => Err(Error::InvalidSignature(format!(
            "'{name}' must be a signed header"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorization(region: &str, service: &str) -> Authorization {
        Authorization::parse(&format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20261201/{region}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        ))
        .unwrap()
    }

    #[test]
    fn a_scope_for_another_service_or_region_is_refused_as_aws_refuses_it() {
        let ok = check_scope(
            &authorization("us-east-1", "cognito-idp"),
            &["cognito-idp"],
            "us-east-1",
        );
        assert!(ok.is_ok());
        let service = check_scope(
            &authorization("us-east-1", "s3"),
            &["cognito-idp"],
            "us-east-1",
        )
        .unwrap_err();
        assert_eq!(
            service.message(),
            "Credential should be scoped to correct service: 'cognito-idp'."
        );
        let region = check_scope(
            &authorization("eu-west-1", "cognito-idp"),
            &["cognito-idp"],
            "us-east-1",
        )
        .unwrap_err();
        assert_eq!(
            region.message(),
            "Credential should be scoped to a valid region, not 'eu-west-1'."
        );
        assert_eq!(region.name(), "InvalidSignatureException");
    }
}

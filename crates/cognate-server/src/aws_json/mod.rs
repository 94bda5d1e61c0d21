//! The Cognito user-pool API in AWS JSON 1.1: `POST /` with `X-Amz-Target`. This adapter checks
//! the signature where the operation needs one, turns the JSON into domain types, calls one
//! service function and renders the result or the error in AWS's dialect. The same dialect
//! carries cognate's own management API (`X-Amz-Target: CognateManagementService.<Operation>`,
//! always signed), which the project toolchain uses.

/// One table names every operation and its handler: the list of known operations and the
/// dispatch cannot drift apart.
macro_rules! operations {
    ($($name:literal => $handler:path),* $(,)?) => {
        pub(super) const OPERATIONS: &[&str] = &[$($name),*];

        pub(super) async fn dispatch(c: &Cognito, operation: &str, input: Input) -> Result<Value> {
            match operation {
                $($name => $handler(c, input).await,)*
                other => Err($crate::aws_json::unknown_operation(other)),
            }
        }
    };
}

mod auth;
mod groups;
mod input;
mod management;
mod pools;
mod users;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cognate_core::audit::Actor;
use cognate_core::service::Cognito;
use cognate_core::sigv4::{self, Authorization, SignedRequest};
use cognate_core::{Error, Result};
use serde_json::Value;
use std::net::SocketAddr;

use crate::{client_address, AppState};
use input::Input;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const MANAGEMENT_PREFIX: &str = "CognateManagementService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Operations a client calls without AWS credentials (authorized by client id, token or
/// session instead). Everything else must be SigV4-signed.
pub const UNSIGNED: &[&str] = &[
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "GetUser",
    "UpdateUserAttributes",
    "DeleteUser",
    "ChangePassword",
    "GlobalSignOut",
    "RevokeToken",
    "VerifyUserAttribute",
    "GetUserAttributeVerificationCode",
];

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (management, operation) = match (
        target.strip_prefix(TARGET_PREFIX),
        target.strip_prefix(MANAGEMENT_PREFIX),
    ) {
        (Some(op), _) => (false, op.to_owned()),
        (_, Some(op)) => (true, op.to_owned()),
        _ => (false, String::new()),
    };
    let result = async {
        let known = if management {
            management::OPERATIONS
        } else {
            OPERATIONS
        };
        if !known.contains(&operation.as_str()) {
            return Err(unknown_operation(&operation));
        }
        let signed = management || !UNSIGNED.contains(&operation.as_str());
        let address = client_address(&state, peer, &headers);
        let actor = if signed {
            let principal = verify_signature(&state, &method, &uri, &headers, &body)?;
            Actor::new(principal, address.to_string())
        } else {
            state.rate_limits.check_address(address)?;
            Actor::new("anonymous", address.to_string())
        };
        let input = Input::parse(&body)?;
        if !signed {
            if let (Some(client), Some(username)) =
                (input.opt_str("ClientId")?, input.username_hint())
            {
                state.rate_limits.check_user(client, &username)?;
            }
        }
        actor
            .scope(async {
                if management {
                    management::dispatch(&state.cognito, &operation, input).await
                } else {
                    dispatch(&state.cognito, &operation, input).await
                }
            })
            .await
    }
    .await;
    match result {
        Ok(output) => (
            [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
            output.to_string(),
        )
            .into_response(),
        Err(error) => error_response(&operation, error),
    }
}

fn verify_signature(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::MissingAuthenticationToken("Missing Authentication Token".into()))?;
    let authorization = Authorization::parse(header)?;
    let principal = state
        .credentials
        .lookup(&authorization.access_key_id)
        .ok_or_else(|| {
            Error::UnrecognizedClient(
                "The security token included in the request is invalid.".into(),
            )
        })?;
    let header_list: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request = SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &header_list,
        body,
    };
    sigv4::verify(
        &request,
        &authorization,
        &principal.secret_access_key,
        time::OffsetDateTime::now_utc(),
    )?;
    tracing::debug!(principal = %principal.name, "signature verified");
    Ok(principal.name)
}

operations! {
    "CreateUserPool" => pools::create_user_pool,
    "DescribeUserPool" => pools::describe_user_pool,
    "ListUserPools" => pools::list_user_pools,
    "UpdateUserPool" => pools::update_user_pool,
    "DeleteUserPool" => pools::delete_user_pool,
    "CreateUserPoolClient" => pools::create_user_pool_client,
    "DescribeUserPoolClient" => pools::describe_user_pool_client,
    "ListUserPoolClients" => pools::list_user_pool_clients,
    "UpdateUserPoolClient" => pools::update_user_pool_client,
    "DeleteUserPoolClient" => pools::delete_user_pool_client,
    "SignUp" => users::sign_up,
    "ConfirmSignUp" => users::confirm_sign_up,
    "ResendConfirmationCode" => users::resend_confirmation_code,
    "AdminConfirmSignUp" => users::admin_confirm_sign_up,
    "AdminCreateUser" => users::admin_create_user,
    "AdminSetUserPassword" => users::admin_set_user_password,
    "AdminGetUser" => users::admin_get_user,
    "AdminDeleteUser" => users::admin_delete_user,
    "AdminDisableUser" => users::admin_disable_user,
    "AdminEnableUser" => users::admin_enable_user,
    "AdminUpdateUserAttributes" => users::admin_update_user_attributes,
    "AdminDeleteUserAttributes" => users::admin_delete_user_attributes,
    "AdminResetUserPassword" => users::admin_reset_user_password,
    "AdminUserGlobalSignOut" => users::admin_user_global_sign_out,
    "ListUsers" => users::list_users,
    "GetUser" => users::get_user,
    "UpdateUserAttributes" => users::update_user_attributes,
    "GetUserAttributeVerificationCode" => users::get_user_attribute_verification_code,
    "VerifyUserAttribute" => users::verify_user_attribute,
    "DeleteUser" => users::delete_user,
    "ChangePassword" => users::change_password,
    "ForgotPassword" => users::forgot_password,
    "ConfirmForgotPassword" => users::confirm_forgot_password,
    "InitiateAuth" => auth::initiate_auth,
    "AdminInitiateAuth" => auth::admin_initiate_auth,
    "RespondToAuthChallenge" => auth::respond_to_auth_challenge,
    "AdminRespondToAuthChallenge" => auth::admin_respond_to_auth_challenge,
    "GlobalSignOut" => auth::global_sign_out,
    "RevokeToken" => auth::revoke_token,
    "CreateGroup" => groups::create_group,
    "GetGroup" => groups::get_group,
    "UpdateGroup" => groups::update_group,
    "DeleteGroup" => groups::delete_group,
    "ListGroups" => groups::list_groups,
    "AdminAddUserToGroup" => groups::admin_add_user_to_group,
    "AdminRemoveUserFromGroup" => groups::admin_remove_user_from_group,
    "AdminListGroupsForUser" => groups::admin_list_groups_for_user,
    "ListUsersInGroup" => groups::list_users_in_group,
}

pub(crate) fn unknown_operation(operation: &str) -> Error {
    if operation.is_empty() {
        Error::UnknownOperation("Missing or unknown X-Amz-Target header.".into())
    } else {
        Error::UnknownOperation(format!(
            "The operation {operation} is not supported by this server."
        ))
    }
}

/// `{"__type", "message"}` with `x-amzn-ErrorType`; internal details stay in the log.
pub(crate) fn error_response(operation: &str, error: Error) -> Response {
    let status = if error.is_internal() {
        tracing::error!(operation, error = %error, "internal error");
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        tracing::info!(
            operation,
            error = error.name(),
            message = error.message(),
            "request refused"
        );
        match error {
            Error::MissingAuthenticationToken(_) | Error::InvalidSignature(_) => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::BAD_REQUEST,
        }
    };
    let body = serde_json::json!({"__type": error.name(), "message": error.message()}).to_string();
    let mut response = (
        status,
        [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
        body,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("{}:", error.name())) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

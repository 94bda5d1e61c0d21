//! The Cognito user-pool API in AWS JSON 1.1: `POST /` with `X-Amz-Target`. This adapter checks
//! the signature where the operation needs one, turns the JSON into domain types, calls one
//! service function and renders the result or the error in AWS's dialect.

mod auth;
mod groups;
mod input;
mod pools;
mod render;
mod users;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cognate_core::service::Cognito;
use cognate_core::sigv4::{self, Authorization, SignedRequest};
use cognate_core::{Error, Result};
use serde_json::Value;

use crate::AppState;
use input::Input;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Every operation this adapter serves.
const OPERATIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "ListUserPools",
    "UpdateUserPool",
    "DeleteUserPool",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "ListUserPoolClients",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "AdminConfirmSignUp",
    "AdminCreateUser",
    "AdminSetUserPassword",
    "AdminGetUser",
    "AdminDeleteUser",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminUpdateUserAttributes",
    "AdminDeleteUserAttributes",
    "AdminResetUserPassword",
    "AdminUserGlobalSignOut",
    "ListUsers",
    "GetUser",
    "UpdateUserAttributes",
    "VerifyUserAttribute",
    "DeleteUser",
    "ChangePassword",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "InitiateAuth",
    "AdminInitiateAuth",
    "RespondToAuthChallenge",
    "AdminRespondToAuthChallenge",
    "GlobalSignOut",
    "RevokeToken",
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
    "ListGroups",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "ListUsersInGroup",
];

/// Operations a client calls without AWS credentials (authorized by client id, token or
/// session instead). Everything else must be SigV4-signed.
const UNSIGNED: &[&str] = &[
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
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .unwrap_or("")
        .to_owned();
    let result = async {
        if !OPERATIONS.contains(&operation.as_str()) {
            return Err(unknown_operation(&operation));
        }
        if !UNSIGNED.contains(&operation.as_str()) {
            verify_signature(&state, &method, &uri, &headers, &body)?;
        }
        dispatch(&state.cognito, &operation, Input::parse(&body)?).await
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
) -> Result<()> {
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
    Ok(())
}

async fn dispatch(c: &Cognito, operation: &str, input: Input) -> Result<Value> {
    match operation {
        "CreateUserPool" => pools::create_user_pool(c, input).await,
        "DescribeUserPool" => pools::describe_user_pool(c, input).await,
        "ListUserPools" => pools::list_user_pools(c, input).await,
        "UpdateUserPool" => pools::update_user_pool(c, input).await,
        "DeleteUserPool" => pools::delete_user_pool(c, input).await,
        "CreateUserPoolClient" => pools::create_user_pool_client(c, input).await,
        "DescribeUserPoolClient" => pools::describe_user_pool_client(c, input).await,
        "ListUserPoolClients" => pools::list_user_pool_clients(c, input).await,
        "UpdateUserPoolClient" => pools::update_user_pool_client(c, input).await,
        "DeleteUserPoolClient" => pools::delete_user_pool_client(c, input).await,
        "SignUp" => users::sign_up(c, input).await,
        "ConfirmSignUp" => users::confirm_sign_up(c, input).await,
        "ResendConfirmationCode" => users::resend_confirmation_code(c, input).await,
        "AdminConfirmSignUp" => users::admin_confirm_sign_up(c, input).await,
        "AdminCreateUser" => users::admin_create_user(c, input).await,
        "AdminSetUserPassword" => users::admin_set_user_password(c, input).await,
        "AdminGetUser" => users::admin_get_user(c, input).await,
        "AdminDeleteUser" => users::admin_delete_user(c, input).await,
        "AdminDisableUser" => users::admin_disable_user(c, input).await,
        "AdminEnableUser" => users::admin_enable_user(c, input).await,
        "AdminUpdateUserAttributes" => users::admin_update_user_attributes(c, input).await,
        "AdminDeleteUserAttributes" => users::admin_delete_user_attributes(c, input).await,
        "AdminResetUserPassword" => users::admin_reset_user_password(c, input).await,
        "AdminUserGlobalSignOut" => users::admin_user_global_sign_out(c, input).await,
        "ListUsers" => users::list_users(c, input).await,
        "GetUser" => users::get_user(c, input).await,
        "UpdateUserAttributes" => users::update_user_attributes(c, input).await,
        "GetUserAttributeVerificationCode" => {
            users::get_user_attribute_verification_code(c, input).await
        }
        "VerifyUserAttribute" => users::verify_user_attribute(c, input).await,
        "DeleteUser" => users::delete_user(c, input).await,
        "ChangePassword" => users::change_password(c, input).await,
        "ForgotPassword" => users::forgot_password(c, input).await,
        "ConfirmForgotPassword" => users::confirm_forgot_password(c, input).await,
        "InitiateAuth" => auth::initiate_auth(c, input).await,
        "AdminInitiateAuth" => auth::admin_initiate_auth(c, input).await,
        "RespondToAuthChallenge" => auth::respond_to_auth_challenge(c, input).await,
        "AdminRespondToAuthChallenge" => auth::admin_respond_to_auth_challenge(c, input).await,
        "GlobalSignOut" => auth::global_sign_out(c, input).await,
        "RevokeToken" => auth::revoke_token(c, input).await,
        "CreateGroup" => groups::create_group(c, input).await,
        "GetGroup" => groups::get_group(c, input).await,
        "UpdateGroup" => groups::update_group(c, input).await,
        "DeleteGroup" => groups::delete_group(c, input).await,
        "ListGroups" => groups::list_groups(c, input).await,
        "AdminAddUserToGroup" => groups::admin_add_user_to_group(c, input).await,
        "AdminRemoveUserFromGroup" => groups::admin_remove_user_from_group(c, input).await,
        "AdminListGroupsForUser" => groups::admin_list_groups_for_user(c, input).await,
        "ListUsersInGroup" => groups::list_users_in_group(c, input).await,
        other => Err(unknown_operation(other)),
    }
}

fn unknown_operation(operation: &str) -> Error {
    if operation.is_empty() {
        Error::UnknownOperation("Missing or unknown X-Amz-Target header.".into())
    } else {
        Error::UnknownOperation(format!(
            "The operation {operation} is not supported by this server."
        ))
    }
}

/// `{"__type", "message"}` with `x-amzn-ErrorType`; internal details stay in the log.
fn error_response(operation: &str, error: Error) -> Response {
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

//! The Cognito user-pool API in AWS JSON 1.1: `POST /` with `X-Amz-Target`. This adapter checks
//! the signature where the operation needs one, turns the JSON into domain types, calls one
//! service function and renders the result or the error in AWS's dialect. The same dialect
//! carries cognate's own management API (`X-Amz-Target: CognateManagementService.<Operation>`,
//! always signed), which the project toolchain uses, and Cognito identity pools
//! (`AWSCognitoIdentityService.<Operation>`). Every signed call is decided by the one evaluator
//! on the operation's IAM action (`cognito-idp:AdminGetUser`) and resource (the user pool's ARN).

/// One table names every operation, its handler and how it is reached: `public` operations
/// are called without AWS credentials (authorized by client id, token or session instead) and
/// are rate limited per address and per user; `signed` ones need SigV4. The list of known
/// operations, their access and the dispatch cannot drift apart.
macro_rules! operations {
    (
        public: { $($public:literal => $public_handler:path),* $(,)? }
        signed: { $($signed:literal => $signed_handler:path),* $(,)? }
    ) => {
        /// The operations called without a signature (the management API has none).
        #[allow(dead_code)]
        pub const PUBLIC: &[&str] = &[$($public),*];

        /// How `operation` is reached, if it is one of this table's.
        pub(super) fn access(operation: &str) -> Option<$crate::aws_json::Access> {
            match operation {
                $($public => Some($crate::aws_json::Access::Public),)*
                $($signed => Some($crate::aws_json::Access::Signed),)*
                _ => None,
            }
        }

        pub(super) async fn dispatch(c: &Cognito, operation: &str, input: Input) -> Result<Value> {
            match operation {
                $($public => $public_handler(c, input).await,)*
                $($signed => $signed_handler(c, input).await,)*
                other => Err($crate::aws_json::unknown_operation(other)),
            }
        }
    };
}

mod auth;
mod groups;
mod identity_pools;
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
use cognate_core::{Error, Result};
use serde_json::Value;
use std::net::SocketAddr;

use crate::{client_address, sigv4, AppState};
use input::Input;

/// The identity-pool operations called without a signature (GetId, GetCredentialsForIdentity …).
pub use identity_pools::PUBLIC as UNSIGNED_IDENTITY_OPERATIONS;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const MANAGEMENT_PREFIX: &str = "CognateManagementService.";
const IDENTITY_PREFIX: &str = "AWSCognitoIdentityService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// How an operation is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Without AWS credentials, rate limited per address and per user.
    Public,
    /// SigV4-signed with credentials the server knows.
    Signed,
}

/// The APIs this dialect carries, told apart by the `X-Amz-Target` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    CognitoIdp,
    CognitoIdentity,
    Management,
}

impl Api {
    /// The API and operation a target names; an unknown prefix is an unknown Cognito operation.
    fn of(target: &str) -> (Api, &str) {
        if let Some(operation) = target.strip_prefix(TARGET_PREFIX) {
            (Api::CognitoIdp, operation)
        } else if let Some(operation) = target.strip_prefix(MANAGEMENT_PREFIX) {
            (Api::Management, operation)
        } else if let Some(operation) = target.strip_prefix(IDENTITY_PREFIX) {
            (Api::CognitoIdentity, operation)
        } else {
            (Api::CognitoIdp, "")
        }
    }

    /// What a signature must be for: the service its scope names, and the target and content
    /// type among its headers (they say what the request does).
    fn surface(self) -> &'static sigv4::Surface {
        const SIGNED: &[&str] = &["x-amz-target", "content-type"];
        match self {
            Api::CognitoIdp => &sigv4::Surface {
                services: &["cognito-idp"],
                signed_headers: SIGNED,
                any_region: false,
            },
            Api::CognitoIdentity => &sigv4::Surface {
                services: &["cognito-identity"],
                signed_headers: SIGNED,
                any_region: false,
            },
            Api::Management => &sigv4::Surface {
                services: &["cognate"],
                signed_headers: SIGNED,
                any_region: false,
            },
        }
    }

    fn access(self, operation: &str) -> Option<Access> {
        match self {
            Api::CognitoIdp => access(operation),
            Api::CognitoIdentity => identity_pools::access(operation),
            Api::Management => management::access(operation),
        }
    }

    async fn dispatch(self, c: &Cognito, operation: &str, input: Input) -> Result<Value> {
        match self {
            Api::CognitoIdp => dispatch(c, operation, input).await,
            Api::CognitoIdentity => identity_pools::dispatch(c, operation, input).await,
            Api::Management => management::dispatch(c, operation, input).await,
        }
    }

    /// The IAM action and resource a signed call of `operation` is decided on.
    fn authorization(self, c: &Cognito, operation: &str, input: &Input) -> (String, String) {
        let config = c.config();
        let named = |member: &str| input.opt_str(member).ok().flatten();
        match self {
            Api::CognitoIdp => (
                format!("cognito-idp:{operation}"),
                match named("UserPoolId").and_then(|id| cognate_core::ids::PoolId::parse(id).ok()) {
                    Some(pool) => c.pool_arn(&pool),
                    None => "*".into(),
                },
            ),
            Api::CognitoIdentity => (
                format!("cognito-identity:{operation}"),
                match named("IdentityPoolId") {
                    Some(pool) => format!(
                        "arn:aws:cognito-identity:{}:{}:identitypool/{pool}",
                        config.region, config.account_id
                    ),
                    None => "*".into(),
                },
            ),
            Api::Management => (format!("cognate:{operation}"), "*".into()),
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
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (api, operation) = Api::of(target);
    let result = async {
        let access = api
            .access(operation)
            .ok_or_else(|| unknown_operation(operation))?;
        let address = client_address(&state, peer, &headers);
        let (actor, input) = match access {
            Access::Signed => {
                let request = sigv4::Request {
                    method: &method,
                    uri: &uri,
                    headers: &headers,
                    body: &body,
                    secure,
                };
                let caller = sigv4::verify(&state, api.surface(), &request, address).await?;
                let input = Input::parse(&body)?;
                let (action, resource) = api.authorization(&state.cognito, operation, &input);
                let actor = caller.actor();
                actor
                    .clone()
                    .scope(crate::authorize::check(&state, &caller, &action, &resource))
                    .await?;
                (actor, input)
            }
            Access::Public => {
                state.rate_limits.check_address(address)?;
                let input = Input::parse(&body)?;
                (Actor::new("anonymous", address.to_string()), input)
            }
        };
        if access == Access::Public {
            if let (Some(client), Some(username)) =
                (input.opt_str("ClientId")?, input.username_hint())
            {
                state.rate_limits.check_user(client, &username)?;
            }
        }
        actor
            .scope(api.dispatch(&state.cognito, operation, input))
            .await
    }
    .await;
    match result {
        Ok(output) => (
            [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
            output.to_string(),
        )
            .into_response(),
        Err(error) => error_response(operation, error),
    }
}

operations! {
    public: {
        "SignUp" => users::sign_up,
        "ConfirmSignUp" => users::confirm_sign_up,
        "ResendConfirmationCode" => users::resend_confirmation_code,
        "GetUser" => users::get_user,
        "UpdateUserAttributes" => users::update_user_attributes,
        "GetUserAttributeVerificationCode" => users::get_user_attribute_verification_code,
        "VerifyUserAttribute" => users::verify_user_attribute,
        "DeleteUser" => users::delete_user,
        "ChangePassword" => users::change_password,
        "ForgotPassword" => users::forgot_password,
        "ConfirmForgotPassword" => users::confirm_forgot_password,
        "InitiateAuth" => auth::initiate_auth,
        "RespondToAuthChallenge" => auth::respond_to_auth_challenge,
        "GlobalSignOut" => auth::global_sign_out,
        "RevokeToken" => auth::revoke_token,
        "GetTokensFromRefreshToken" => auth::get_tokens_from_refresh_token,
    }
    signed: {
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
        "AdminInitiateAuth" => auth::admin_initiate_auth,
        "AdminRespondToAuthChallenge" => auth::admin_respond_to_auth_challenge,
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

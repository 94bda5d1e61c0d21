//! The Admin Queries REST API, as Amplify's Lambda serves it: `GET|POST
//! {public_url}/adminqueries/{api}/{stage}/{route}` with the caller's access token in
//! `Authorization`. Parameters, messages and shapes are Amplify's; errors that Amplify answered
//! with 500 are 4xx here. Every route calls the same services as the Cognito API.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cognate_core::audit::Actor;
use cognate_core::ids::GroupName;
use cognate_core::model::{AdminQueriesApi, AdminRoute, Attribute, Group, User};
use cognate_core::service::{AdminQueryRefusal, Caller, Cognito, GroupSettings, NewUser};
use cognate_core::store::Page;
use cognate_core::Error;
use serde_json::{json, Map, Value};

use crate::render::{self, Dates};
use crate::AppState;

/// API Gateway's CORS answer for Amplify's APIs (Admin Queries and REST), on every response.
pub(crate) const ALLOW_HEADERS: &str =
    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent";
const ALLOW_METHODS: &str = "GET,POST,OPTIONS";
const DEFAULT_LIMIT: u32 = 25;
const MAX_LIMIT: u32 = 60;

/// An answer: a status, a JSON body, and for preflights the extra headers the browser asked to
/// send.
pub struct Reply(StatusCode, Value, Option<String>);

impl Reply {
    fn ok(body: Value) -> Self {
        Reply(StatusCode::OK, body, None)
    }

    fn message(status: StatusCode, message: impl Into<String>) -> Self {
        Reply(status, json!({ "message": message.into() }), None)
    }

    /// The answer to `OPTIONS`, with no authorization needed.
    fn preflight(headers: &HeaderMap) -> Self {
        Reply(StatusCode::OK, json!({}), requested_headers(headers))
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::message(StatusCode::BAD_REQUEST, message)
    }
}

/// The headers a preflight asks to send beyond [`ALLOW_HEADERS`], comma-separated: allowed
/// too, so that an app's own headers pass.
pub(crate) fn requested_headers(headers: &HeaderMap) -> Option<String> {
    let known = ALLOW_HEADERS.to_ascii_lowercase();
    headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty() && !known.split(',').any(|a| a == h.to_ascii_lowercase()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|extra| !extra.is_empty())
}

impl From<Error> for Reply {
    /// The user pool's own message, with a 4xx status a client can act on.
    fn from(error: Error) -> Self {
        let status = match &error {
            Error::UserNotFound(_) | Error::ResourceNotFound(_) => StatusCode::NOT_FOUND,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal(_) => {
                tracing::error!(error = %error, "Admin Queries internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        Reply::message(status, error.message())
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(self.1)).into_response();
        let headers = response.headers_mut();
        headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        let allowed = match &self.2 {
            Some(extra) => HeaderValue::from_str(&format!("{ALLOW_HEADERS},{extra}"))
                .unwrap_or(HeaderValue::from_static(ALLOW_HEADERS)),
            None => HeaderValue::from_static(ALLOW_HEADERS),
        };
        headers.insert("access-control-allow-headers", allowed);
        headers.insert(
            "access-control-allow-methods",
            HeaderValue::from_static(ALLOW_METHODS),
        );
        response
    }
}

/// The parameters of a call: the JSON body of a POST, the query string of a GET.
struct Params(Map<String, Value>);

impl Params {
    fn text(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn limit(&self) -> Result<u32, Reply> {
        match self.text("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
                _ => Err(Reply::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ))),
            },
        }
    }

    fn token(&self) -> Option<String> {
        self.text("token")
    }

    /// Attributes as Cognito's list (`[{"Name","Value"}]`) or as an object (`{"name": "value"}`).
    fn attributes(&self) -> Result<Vec<Attribute>, Reply> {
        match self.0.get("attributes") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(map)) => Ok(map
                .iter()
                .map(|(k, v)| Attribute { name: k.clone(), value: v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()) })
                .collect()),
            Some(Value::Array(list)) => list
                .iter()
                .map(|item| match (item.get("Name").and_then(Value::as_str), item.get("Value").and_then(Value::as_str)) {
                    (Some(name), Some(value)) => Ok(Attribute { name: name.into(), value: value.into() }),
                    _ => Err(Reply::bad_request("attributes must be [{\"Name\": ..., \"Value\": ...}] or {\"name\": \"value\"}")),
                })
                .collect(),
            Some(_) => Err(Reply::bad_request("attributes must be [{\"Name\": ..., \"Value\": ...}] or {\"name\": \"value\"}")),
        }
    }
}

fn username(p: &Params) -> Result<String, Reply> {
    p.text("username")
        .ok_or_else(|| Reply::bad_request("username is required"))
}

fn groupname(p: &Params) -> Result<GroupName, Reply> {
    let raw = p
        .text("groupname")
        .ok_or_else(|| Reply::bad_request("groupname is required"))?;
    Ok(GroupName::parse(&raw)?)
}

fn username_and_groupname(p: &Params) -> Result<(String, GroupName), Reply> {
    match (p.text("username"), p.text("groupname")) {
        (Some(u), Some(g)) => Ok((u, GroupName::parse(&g)?)),
        _ => Err(Reply::bad_request("username and groupname are required")),
    }
}

fn with_next(mut body: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        body["NextToken"] = json!(next);
    }
    body
}

/// A page of users, as the list routes answer it.
fn users_page(page: Page<User>) -> Reply {
    let users: Vec<Value> = page
        .items
        .iter()
        .map(|u| render::user_type(u, None, Dates::Iso8601))
        .collect();
    Reply::ok(with_next(json!({"Users": users}), page.next))
}

/// A page of groups, as the list routes answer it.
fn groups_page(page: Page<Group>) -> Reply {
    let groups: Vec<Value> = page
        .items
        .iter()
        .map(|g| render::group(g, Dates::Iso8601))
        .collect();
    Reply::ok(with_next(json!({"Groups": groups}), page.next))
}

fn access_token(headers: &HeaderMap) -> Option<&str> {
    let raw = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .unwrap_or(raw)
        .trim();
    (!token.is_empty()).then_some(token)
}

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((api_id, stage, route)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Reply {
    if method == Method::OPTIONS {
        return Reply::preflight(&headers);
    }
    let c = &state.cognito;
    let not_found = || Reply::message(StatusCode::NOT_FOUND, "Not Found");
    let api = match c.describe_admin_queries_api(&api_id).await {
        Ok(api) if api.stage == stage => api,
        Ok(_) | Err(Error::ResourceNotFound(_)) => return not_found(),
        Err(e) => return e.into(),
    };
    let Some(route) =
        AdminRoute::parse(&route).filter(|r| !r.is_extra() || api.extra_routes.contains(r))
    else {
        return not_found();
    };
    let expected = if route.is_read() {
        Method::GET
    } else {
        Method::POST
    };
    if method != expected {
        return Reply::message(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("/{} takes {expected}", route.name()),
        );
    }
    let caller = match c
        .admit_admin_query(&api, route, access_token(&headers))
        .await
    {
        Ok(caller) => caller,
        Err(AdminQueryRefusal::Unauthenticated) => {
            return Reply::message(StatusCode::UNAUTHORIZED, "Unauthorized")
        }
        Err(AdminQueryRefusal::NotPermitted) => {
            return Reply::message(
                StatusCode::FORBIDDEN,
                "User does not have permissions to perform administrative tasks",
            )
        }
    };
    let params = if route.is_read() {
        Params(
            query
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => Params(map),
            _ if body.iter().all(u8::is_ascii_whitespace) => Params(Map::new()),
            _ => return Reply::bad_request("The body must be a JSON object"),
        }
    };
    let actor = Actor::new(
        format!("admin-queries:{}", caller.user.username),
        crate::client_address(&state, peer, &headers).to_string(),
    );
    match actor.scope(run(c, &api, &caller, route, &params)).await {
        Ok(reply) | Err(reply) => reply,
    }
}

async fn run(
    c: &Cognito,
    api: &AdminQueriesApi,
    caller: &Caller,
    route: AdminRoute,
    p: &Params,
) -> Result<Reply, Reply> {
    let pool = &api.pool_id;
    Ok(match route {
        AdminRoute::AddUserToGroup => {
            let (user, group) = username_and_groupname(p)?;
            c.admin_add_user_to_group(pool, &user, &group).await?;
            Reply::ok(json!({"message": format!("Success adding {user} to {group}")}))
        }
        AdminRoute::RemoveUserFromGroup => {
            let (user, group) = username_and_groupname(p)?;
            c.admin_remove_user_from_group(pool, &user, &group).await?;
            Reply::ok(json!({"message": format!("Removed {user} from {group}")}))
        }
        AdminRoute::ConfirmUserSignUp => {
            let user = username(p)?;
            c.admin_confirm_sign_up(pool, &user).await?;
            Reply::ok(json!({"message": format!("Confirmed {user} registration")}))
        }
        AdminRoute::DisableUser => {
            let user = username(p)?;
            c.admin_set_user_enabled(pool, &user, false).await?;
            Reply::ok(json!({"message": format!("Disabled {user}")}))
        }
        AdminRoute::EnableUser => {
            let user = username(p)?;
            c.admin_set_user_enabled(pool, &user, true).await?;
            Reply::ok(json!({"message": format!("Enabled {user}")}))
        }
        AdminRoute::SignUserOut => {
            let user = username(p)?;
            c.admin_query_sign_out(api, caller, &user).await?;
            Reply::ok(json!({"message": format!("Signed out {user} from all devices")}))
        }
        AdminRoute::GetUser => {
            let user = c.admin_get_user(pool, &username(p)?).await?;
            Reply::ok(render::admin_get_user(&user, Dates::Iso8601))
        }
        AdminRoute::ListUsers => {
            let page = c
                .list_users(pool, None, p.limit()?, p.token().as_deref())
                .await?;
            users_page(page)
        }
        AdminRoute::ListGroups => {
            let page = c
                .list_groups(pool, p.limit()?, p.token().as_deref())
                .await?;
            groups_page(page)
        }
        AdminRoute::ListGroupsForUser => {
            let user = username(p)?;
            let page = c
                .admin_list_groups_for_user(pool, &user, p.limit()?, p.token().as_deref())
                .await?;
            groups_page(page)
        }
        AdminRoute::ListUsersInGroup => {
            let group = groupname(p)?;
            let page = c
                .list_users_in_group(pool, &group, p.limit()?, p.token().as_deref())
                .await?;
            users_page(page)
        }
        AdminRoute::CreateUser => {
            let user = username(p)?;
            let new = NewUser {
                username: user.clone(),
                attributes: p.attributes()?,
            };
            let action = if p.0.get("sendInvitation").and_then(Value::as_bool) == Some(true) {
                None
            } else {
                Some("SUPPRESS")
            };
            let created = c
                .admin_create_user(pool, new, p.text("temporaryPassword"), action)
                .await?;
            Reply::ok(
                json!({"message": format!("Created {user}"), "User": render::user_type(&created, None, Dates::Iso8601)}),
            )
        }
        AdminRoute::DeleteUser => {
            let user = username(p)?;
            c.admin_delete_user(pool, &user).await?;
            Reply::ok(json!({"message": format!("Deleted {user}")}))
        }
        AdminRoute::SetUserPassword => {
            let user = username(p)?;
            let password = p
                .text("password")
                .ok_or_else(|| Reply::bad_request("username and password are required"))?;
            let permanent =
                p.0.get("permanent")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            c.admin_set_user_password(pool, &user, &password, permanent)
                .await?;
            Reply::ok(json!({"message": format!("Set the password of {user}")}))
        }
        AdminRoute::UpdateUserAttributes => {
            let user = username(p)?;
            let attributes = p.attributes()?;
            if attributes.is_empty() {
                return Err(Reply::bad_request("username and attributes are required"));
            }
            c.admin_update_user_attributes(pool, &user, attributes)
                .await?;
            Reply::ok(json!({"message": format!("Updated the attributes of {user}")}))
        }
        AdminRoute::CreateGroup => {
            let group = groupname(p)?;
            let precedence = match p.0.get("precedence") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_i64()
                        .ok_or_else(|| Reply::bad_request("precedence must be a whole number"))?,
                ),
            };
            let settings = GroupSettings {
                description: p.text("description"),
                precedence,
                role_arn: p.text("roleArn"),
            };
            let created = c.create_group(pool, group.clone(), settings).await?;
            Reply::ok(
                json!({"message": format!("Created group {group}"), "Group": render::group(&created, Dates::Iso8601)}),
            )
        }
        AdminRoute::DeleteGroup => {
            let group = groupname(p)?;
            c.delete_group(pool, &group).await?;
            Reply::ok(json!({"message": format!("Deleted group {group}")}))
        }
    })
}

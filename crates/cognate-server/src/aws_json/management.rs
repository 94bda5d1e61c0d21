//! cognate's own management API, in the AWS JSON dialect and always signed: Admin Queries APIs,
//! REST APIs, and the backends `cognate push` applies (operators use it too).

use cognate_core::iam::IamName;
use cognate_core::identity::IdentityPoolId;
use cognate_core::ids::{ClientId, GroupName, PoolId};
use cognate_core::model::{AdminQueriesApi, AdminRoute, PasswordPolicy};
use cognate_core::rest_api::{ResourcePath, RestApi, Route, RouteAuth};
use cognate_core::service::{
    AdminQueriesSettings, AuthBackend, Change, Cognito, IdentityBackend, RestApiBackend,
    RestApiSettings, RetiredPolicy, RolePolicy, StorageBackend,
};
use cognate_core::storage::{BucketName, CorsRule};
use cognate_core::{Error, Result};
use serde_json::{json, Value};

use super::input::Input;

operations! {
    public: {}
    signed: {
        "CreateAdminQueriesApi" => create_admin_queries_api,
        "DescribeAdminQueriesApi" => describe_admin_queries_api,
        "ListAdminQueriesApis" => list_admin_queries_apis,
        "UpdateAdminQueriesApi" => update_admin_queries_api,
        "DeleteAdminQueriesApi" => delete_admin_queries_api,
        "PlanAuthBackend" => plan_auth_backend,
        "ApplyAuthBackend" => apply_auth_backend,
        "ApplyStorageBackend" => apply_storage_backend,
        "PutRestApi" => put_rest_api,
        "GetRestApi" => get_rest_api,
        "ListRestApis" => list_rest_apis,
        "DeleteRestApi" => delete_rest_api,
        "ApplyRestApiBackend" => apply_rest_api_backend,
    }
}

fn settings(input: &Input) -> Result<AdminQueriesSettings> {
    let allowed_groups = input
        .opt_strings("AllowedGroups")?
        .map(|groups| {
            groups
                .iter()
                .map(|g| GroupName::parse(g))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    let extra_routes = input
        .opt_strings("ExtraRoutes")?
        .map(|routes| {
            routes
                .iter()
                .map(|r| match AdminRoute::parse(r) {
                    Some(route) if route.is_extra() => Ok(route),
                    _ => Err(Error::invalid(format!(
                        "Unknown extra route {r}; the extra routes are createUser, deleteUser, setUserPassword, updateUserAttributes, createGroup, deleteGroup"
                    ))),
                })
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    Ok(AdminQueriesSettings {
        stage: input.opt_str("StageName")?.map(str::to_owned),
        allowed_groups,
        extra_routes,
    })
}

/// `{public_url}/adminqueries/{id}/{stage}`: what goes into `aws_cloud_logic_custom`.
pub fn endpoint(c: &Cognito, api: &AdminQueriesApi) -> String {
    format!(
        "{}/adminqueries/{}/{}",
        c.config().public_url,
        api.id,
        api.stage
    )
}

fn render(c: &Cognito, api: &AdminQueriesApi) -> Value {
    json!({
        "ApiId": api.id,
        "UserPoolId": api.pool_id,
        "StageName": api.stage,
        "AllowedGroups": api.allowed_groups,
        "ExtraRoutes": api.extra_routes,
        "Endpoint": endpoint(c, api),
        "CreationDate": api.created.epoch_secs_f64(),
        "LastModifiedDate": api.modified.epoch_secs_f64(),
    })
}

async fn create_admin_queries_api(c: &Cognito, input: Input) -> Result<Value> {
    let api = c
        .create_admin_queries_api(&input.pool_id()?, settings(&input)?)
        .await?;
    Ok(json!({"AdminQueriesApi": render(c, &api)}))
}

async fn describe_admin_queries_api(c: &Cognito, input: Input) -> Result<Value> {
    let api = c.describe_admin_queries_api(input.str("ApiId")?).await?;
    Ok(json!({"AdminQueriesApi": render(c, &api)}))
}

async fn list_admin_queries_apis(c: &Cognito, input: Input) -> Result<Value> {
    let pool = input
        .opt_str("UserPoolId")?
        .map(PoolId::parse)
        .transpose()?;
    let apis = c.list_admin_queries_apis(pool.as_ref()).await?;
    Ok(json!({"AdminQueriesApis": apis.iter().map(|a| render(c, a)).collect::<Vec<_>>()}))
}

async fn update_admin_queries_api(c: &Cognito, input: Input) -> Result<Value> {
    let api = c
        .update_admin_queries_api(input.str("ApiId")?, settings(&input)?)
        .await?;
    Ok(json!({"AdminQueriesApi": render(c, &api)}))
}

async fn delete_admin_queries_api(c: &Cognito, input: Input) -> Result<Value> {
    c.delete_admin_queries_api(input.str("ApiId")?).await?;
    Ok(json!({}))
}

/// `{UserPoolId?, PoolName, SignInWithEmail?, RequiredAttributes?, PasswordPolicy?, AppClientId?,
/// AppClientName, Groups: [names, highest precedence first], AdminQueries: null | {AllowedGroups:
/// [...]}, AdminQueriesApiId?}`: the whole auth backend of a project, as `cognate push` sends it.
fn auth_backend(input: &Input) -> Result<AuthBackend> {
    let groups = |names: Vec<String>| {
        names
            .iter()
            .map(|g| GroupName::parse(g))
            .collect::<Result<Vec<_>>>()
    };
    let admin_queries = match input.opt_object("AdminQueries")? {
        None => None,
        Some(aq) => Some(groups(aq.strings("AllowedGroups")?)?),
    };
    Ok(AuthBackend {
        pool_id: input
            .opt_str("UserPoolId")?
            .map(PoolId::parse)
            .transpose()?,
        pool_name: input.str("PoolName")?.to_owned(),
        sign_in_with_email: input.opt_bool("SignInWithEmail")?.unwrap_or(false),
        required_attributes: input.strings("RequiredAttributes")?,
        password_policy: input
            .opt_typed::<PasswordPolicy>("PasswordPolicy")?
            .unwrap_or_default(),
        client_id: input
            .opt_str("AppClientId")?
            .map(ClientId::parse)
            .transpose()?,
        client_name: input.str("AppClientName")?.to_owned(),
        groups: groups(input.strings("Groups")?)?,
        admin_queries,
        admin_queries_api_id: input.opt_str("AdminQueriesApiId")?.map(str::to_owned),
        identity_pool: input
            .opt_object("IdentityPool")?
            .map(|pool| identity_backend(&pool))
            .transpose()?,
    })
}

/// `{IdentityPoolId?, Name, AllowGuests, GroupPolicies: [{Group, PolicyName, PolicyDocument}]}`.
fn identity_backend(input: &Input) -> Result<IdentityBackend> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct GroupPolicy {
        group: String,
        policy_name: String,
        policy_document: String,
    }
    let policies: Vec<GroupPolicy> = input.opt_typed("GroupPolicies")?.unwrap_or_default();
    Ok(IdentityBackend {
        id: input
            .opt_str("IdentityPoolId")?
            .map(IdentityPoolId::parse)
            .transpose()?,
        name: input.str("Name")?.to_owned(),
        allow_guests: input.opt_bool("AllowGuests")?.unwrap_or(false),
        group_policies: policies
            .into_iter()
            .map(|p| {
                Ok((
                    GroupName::parse(&p.group)?,
                    IamName::policy(&p.policy_name)?,
                    p.policy_document,
                ))
            })
            .collect::<Result<_>>()?,
    })
}

fn describe(changes: &[Change]) -> Value {
    json!(changes.iter().map(Change::describe).collect::<Vec<_>>())
}

async fn plan_auth_backend(c: &Cognito, input: Input) -> Result<Value> {
    let changes = c.plan_auth_backend(&auth_backend(&input)?).await?;
    Ok(json!({"Changes": describe(&changes)}))
}

/// Applies the backend in one transaction.
async fn apply_auth_backend(c: &Cognito, input: Input) -> Result<Value> {
    let applied = c.apply_auth_backend(&auth_backend(&input)?).await?;
    Ok(json!({
        "UserPoolId": applied.pool_id,
        "AppClientId": applied.client_id,
        "AdminQueriesApi": applied.admin_queries.as_ref().map(|api| render(c, api)),
        "IdentityPoolId": applied.identity_pool,
        "Region": c.config().region,
        "AccountId": c.config().account_id,
        "Changes": describe(&applied.changes),
    }))
}

/// A CORS rule as S3's JSON (`aws s3api put-bucket-cors`) writes it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CorsInput {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(default)]
    allowed_headers: Vec<String>,
    allowed_methods: Vec<String>,
    allowed_origins: Vec<String>,
    #[serde(default)]
    expose_headers: Vec<String>,
    max_age_seconds: Option<i32>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyInput {
    role_name: String,
    policy_name: String,
    #[serde(default)]
    policy_document: String,
}

/// `Policies` to put and `RetiredPolicies` to take off, as a push sends them.
fn role_policies(input: &Input) -> Result<(Vec<RolePolicy>, Vec<RetiredPolicy>)> {
    let policy = |p: PolicyInput| -> Result<RolePolicy> {
        Ok(RolePolicy {
            role: IamName::role(&p.role_name)?,
            name: IamName::policy(&p.policy_name)?,
            document: p.policy_document,
        })
    };
    let policies = input
        .opt_typed::<Vec<PolicyInput>>("Policies")?
        .unwrap_or_default()
        .into_iter()
        .map(policy)
        .collect::<Result<Vec<_>>>()?;
    let retired = input
        .opt_typed::<Vec<PolicyInput>>("RetiredPolicies")?
        .unwrap_or_default()
        .into_iter()
        .map(|p| policy(p).map(|p| (p.role, p.name)))
        .collect::<Result<Vec<_>>>()?;
    Ok((policies, retired))
}

/// `cognate push` for a storage resource: the bucket, its CORS rules, the role policies.
async fn apply_storage_backend(c: &Cognito, input: Input) -> Result<Value> {
    let bucket = BucketName::parse(input.str("Bucket")?)?;
    let cors = input
        .opt_typed::<Vec<CorsInput>>("Cors")?
        .unwrap_or_default()
        .into_iter()
        .map(|r| CorsRule {
            id: r.id,
            allowed_headers: r.allowed_headers,
            allowed_methods: r.allowed_methods,
            allowed_origins: r.allowed_origins,
            expose_headers: r.expose_headers,
            max_age_seconds: r.max_age_seconds,
        })
        .collect();
    let (policies, retired) = role_policies(&input)?;
    let applied = c
        .apply_storage_backend(&StorageBackend {
            bucket: bucket.clone(),
            cors,
            policies,
            retired,
        })
        .await?;
    Ok(json!({
        "Bucket": bucket,
        "Region": c.config().region,
        "Endpoint": c.config().storage_endpoint,
        "Changes": applied.changes,
    }))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RouteInput {
    path: String,
    method: String,
    /// `AWS_IAM` (the default), `COGNITO_USER_POOLS` or `NONE`, as API Gateway names them.
    #[serde(default)]
    authorization: Option<String>,
    /// The pool whose ID tokens a `COGNITO_USER_POOLS` route takes.
    #[serde(default)]
    user_pool_id: Option<String>,
    upstream: String,
}

fn route_auth(name: Option<&str>, user_pool: Option<&str>) -> Result<RouteAuth> {
    let auth = match name.unwrap_or("AWS_IAM") {
        "AWS_IAM" => RouteAuth::Iam,
        "COGNITO_USER_POOLS" => {
            let pool = user_pool
                .ok_or_else(|| Error::invalid("A COGNITO_USER_POOLS route names its UserPoolId"))?;
            return Ok(RouteAuth::UserPool(PoolId::parse(pool)?));
        }
        "NONE" => RouteAuth::None,
        other => {
            return Err(Error::invalid(format!(
                "{other} is not an authorization type; use AWS_IAM, COGNITO_USER_POOLS or NONE"
            )))
        }
    };
    match user_pool {
        Some(_) => Err(Error::invalid(
            "UserPoolId goes only with COGNITO_USER_POOLS routes",
        )),
        None => Ok(auth),
    }
}

fn render_rest_api(api: &RestApi) -> Value {
    let routes: Vec<Value> = api
        .routes
        .iter()
        .map(|r| {
            let mut route = json!({
                "Path": r.path.as_str(),
                "Method": r.method,
                "Authorization": match r.auth {
                    RouteAuth::Iam => "AWS_IAM",
                    RouteAuth::UserPool(_) => "COGNITO_USER_POOLS",
                    RouteAuth::None => "NONE",
                },
                "Upstream": r.upstream,
            });
            if let RouteAuth::UserPool(pool) = &r.auth {
                route["UserPoolId"] = json!(pool);
            }
            route
        })
        .collect();
    json!({
        "ApiId": api.id,
        "Name": api.name,
        "Stages": api.stages,
        "Routes": routes,
        "CreationDate": api.created.epoch_secs_f64(),
        "LastModifiedDate": api.modified.epoch_secs_f64(),
    })
}

/// An API's description: `ApiId` (optional), `Name`, `Stages`, `Routes`.
fn rest_api_settings(input: &Input) -> Result<RestApiSettings> {
    let routes = input
        .opt_typed::<Vec<RouteInput>>("Routes")?
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            Ok(Route {
                path: ResourcePath::parse(&r.path)?,
                method: r.method.to_ascii_uppercase(),
                auth: route_auth(r.authorization.as_deref(), r.user_pool_id.as_deref())?,
                upstream: r.upstream,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RestApiSettings {
        id: input.opt_str("ApiId")?.map(str::to_owned),
        name: input.str("Name")?.to_owned(),
        stages: input.strings("Stages")?,
        routes,
    })
}

/// Creates a REST API, or replaces the one `ApiId` names, whole.
async fn put_rest_api(c: &Cognito, input: Input) -> Result<Value> {
    let api = c.put_rest_api(rest_api_settings(&input)?).await?;
    Ok(json!({ "RestApi": render_rest_api(&api) }))
}

/// `cognate push` for a REST API: the API (or with `Remove`, its deletion) and its role
/// policies.
async fn apply_rest_api_backend(c: &Cognito, input: Input) -> Result<Value> {
    let id = input.str("ApiId")?.to_owned();
    let remove = input.opt_bool("Remove")?.unwrap_or(false);
    let api = if remove {
        None
    } else {
        Some(rest_api_settings(&input)?)
    };
    let stages = api.as_ref().map(|a| a.stages.clone()).unwrap_or_default();
    let (policies, retired) = role_policies(&input)?;
    let changes = c
        .apply_rest_api_backend(RestApiBackend {
            api,
            id: id.clone(),
            policies,
            retired,
        })
        .await?;
    let endpoints: serde_json::Map<String, Value> = stages
        .iter()
        .map(|stage| {
            let url = format!("{}/restapis/{id}/{stage}", c.config().public_url);
            (stage.clone(), json!(url))
        })
        .collect();
    Ok(json!({
        "ApiId": id,
        "Region": c.config().region,
        "Endpoints": endpoints,
        "Changes": changes,
    }))
}

async fn get_rest_api(c: &Cognito, input: Input) -> Result<Value> {
    let api = c.rest_api(input.str("ApiId")?).await?;
    Ok(json!({ "RestApi": render_rest_api(&api) }))
}

async fn list_rest_apis(c: &Cognito, _input: Input) -> Result<Value> {
    let apis: Vec<Value> = c
        .list_rest_apis()
        .await?
        .iter()
        .map(render_rest_api)
        .collect();
    Ok(json!({ "RestApis": apis }))
}

async fn delete_rest_api(c: &Cognito, input: Input) -> Result<Value> {
    c.delete_rest_api(input.str("ApiId")?).await?;
    Ok(json!({}))
}

//! `cognate push`: sends the project's auth backend to the server's management API, which plans
//! the changes (shown, then confirmed) and applies them in one transaction; then writes
//! `amplify-meta.json`, the last-pushed copy and the client config. A push that fails changes
//! nothing on the server and writes no file.

use std::io::IsTerminal;
use std::path::Path;

use cognate_client::{CallError, Client};
use serde_json::{json, Map, Value};

use super::api::{api_id, auth_and_guest_policies, RestApi, Target};
use super::files::{object_at, read_json, read_object, Changes, Layout};
use super::profile::{self, Profile};
use super::storage::Storage;
use super::{Auth, ProjectError};

#[derive(clap::Args, Debug, Default)]
pub struct PushArgs {
    /// Apply without asking (deleting groups removed from the project included)
    #[arg(long)]
    pub yes: bool,
}

fn server_error(e: CallError) -> ProjectError {
    match e {
        CallError::Transport(detail) => ProjectError::Server(format!("the server is unreachable: {detail}")),
        CallError::Service { name, message } if name == "UnrecognizedClientException" || name == "InvalidSignatureException" => {
            ProjectError::Server(format!("the server refused the credentials ({name}: {message}); check the profile with `cognate init`"))
        }
        other => ProjectError::Server(other.to_string()),
    }
}

/// A client for the profile's server, signing for its region.
fn client_for(profile: &Profile) -> Client {
    Client::new(
        &profile.endpoint,
        &profile.access_key_id,
        &profile.secret_access_key,
    )
    .in_region(&profile.region)
}

/// Reachable, and the credentials work.
pub async fn check_server(profile: &Profile) -> Result<(), ProjectError> {
    let client = client_for(profile);
    client
        .admin("ListUserPools", &json!({"MaxResults": 1}))
        .await
        .map_err(server_error)?;
    Ok(())
}

/// The environment, its server and credentials, and a client for the server.
fn connect(layout: &Layout) -> Result<(String, Profile, Client), ProjectError> {
    let env = current_env(layout)?;
    let aws_info = read_object(&layout.local_aws_info())?;
    let profile_name = aws_info
        .get(&env)
        .and_then(|e| e["profileName"].as_str())
        .ok_or_else(|| {
            ProjectError::Input(format!(
                "environment {env} has no profile; run `cognate init` in this project"
            ))
        })?
        .to_owned();
    let mut profile = profile::load(&profile_name)?;
    // The project's own record of its server wins; a shared profile changed by another
    // project must not move this one silently.
    if let Some(recorded) = recorded_endpoint(layout, &env)? {
        if recorded != profile.endpoint {
            return Err(ProjectError::Input(format!(
                "environment {env} pushes to {recorded}, but its profile {profile_name:?} now names {}; \
                 run `cognate init --endpoint {}` here to move this project there, or `cognate init --endpoint {recorded}` to keep it",
                profile.endpoint, profile.endpoint
            )));
        }
        profile.endpoint = recorded;
    }
    let client = client_for(&profile);
    Ok((env, profile, client))
}

/// The project's current environment.
pub fn current_env(layout: &Layout) -> Result<String, ProjectError> {
    Ok(
        super::files::read_value(&layout.local_env_info())?["envName"]
            .as_str()
            .unwrap_or("dev")
            .to_owned(),
    )
}

/// The server an environment pushes to, as `init` recorded it in `team-provider-info.json`.
pub fn recorded_endpoint(layout: &Layout, env: &str) -> Result<Option<String>, ProjectError> {
    Ok(
        super::files::read_value(&layout.team_provider_info())?[env]["cognate"]["Endpoint"]
            .as_str()
            .map(str::to_owned),
    )
}

/// The project's auth backend as the management API takes it, with the ids of the last push.
fn backend_input(auth: &Auth, layout: &Layout, meta: &Value) -> Result<Value, ProjectError> {
    let groups = auth.groups(layout)?;
    for group in &groups {
        super::check_group_name(group)?;
    }
    let admin_queries = auth.admin_queries();
    if let Some(missing) = admin_queries.iter().flatten().find(|g| !groups.contains(g)) {
        return Err(ProjectError::Input(format!(
            "the Admin Queries group {missing:?} does not exist in the project's groups"
        )));
    }
    let output = &meta["auth"][auth.resource.as_str()]["output"];
    Ok(json!({
        "UserPoolId": output["UserPoolId"],
        "PoolName": auth.pool_name(),
        "SignInWithEmail": auth.signs_in_with_email(),
        "RequiredAttributes": auth.required_attributes(),
        "PasswordPolicy": auth.password_policy(),
        "AppClientId": output["AppClientIDWeb"],
        "AppClientName": format!("{}_app_clientWeb", auth.resource),
        "Groups": groups,
        "AdminQueries": admin_queries.map(|allowed| json!({"AllowedGroups": allowed})),
        "AdminQueriesApiId": meta["api"]["AdminQueries"]["output"]["ApiId"],
        "IdentityPool": auth.identity_pool(layout, &output["IdentityPoolId"])?,
    }))
}

fn change_list(value: &Value) -> Vec<String> {
    value["Changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect()
}

pub async fn push(dir: &Path, args: PushArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let auth = Auth::find(&layout)?.ok_or_else(|| {
        ProjectError::Input("nothing to push: run `cognate add auth` first".into())
    })?;
    let (env, profile, client) = connect(&layout)?;
    let meta = read_object(&layout.amplify_meta())?;
    let input = backend_input(&auth, &layout, &Value::Object(meta.clone()))?;
    let plan = change_list(
        &client
            .manage("PlanAuthBackend", &input)
            .await
            .map_err(server_error)?,
    );

    if plan.is_empty() {
        println!("No changes to push: the server already matches the project (environment {env}).");
    } else {
        println!("Plan for environment {env} on {}:", profile.endpoint);
        for change in &plan {
            println!("  {change}");
        }
        if !args.yes {
            let confirmed =
                super::prompts::confirm("--yes", "Are you sure you want to continue?", true)?;
            if !confirmed {
                return Err(ProjectError::Aborted);
            }
        }
    }
    // One call, one transaction on the server: the push happens entirely or not at all.
    let progress = indicatif::ProgressBar::new_spinner();
    if std::io::stderr().is_terminal() {
        progress.set_message(format!(
            "Applying {} change(s) in one transaction",
            plan.len()
        ));
        progress.enable_steady_tick(std::time::Duration::from_millis(100));
    } else {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let applied = client.manage("ApplyAuthBackend", &input).await;
    progress.finish_and_clear();
    let applied = applied.map_err(|e| {
        ProjectError::Server(format!(
            "push failed; nothing was changed: {}",
            server_error(e)
        ))
    })?;
    for change in change_list(&applied) {
        println!("✔ {change}");
    }
    let pool_id = applied["UserPoolId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let buckets = push_storage(&layout, &client, &pool_id).await?;
    let apis = push_apis(&layout, &client, &applied, &env).await?;
    write_outputs(&layout, &profile, &auth, &applied, &buckets, &apis, meta)?;
    if !plan.is_empty() {
        println!("✔ All resources are updated on the server");
    }
    if let Some(endpoint) = applied["AdminQueriesApi"]["Endpoint"].as_str() {
        println!("REST API endpoint: {endpoint}");
    }
    for api in &apis {
        println!("REST API endpoint ({}): {}", api.resource, api.endpoint);
    }
    let source_dir = source_dir(&layout)?;
    println!(
        "Client config for {}: {} (the same config in each; import any, e.g. `import config from './{}'; Amplify.configure(config);`)",
        profile.endpoint,
        CONFIG_FILES
            .iter()
            .map(|name| format!("{source_dir}/{name}"))
            .collect::<Vec<_>>()
            .join(", "),
        CONFIG_FILES[0]
    );
    Ok(())
}

/// A pushed REST API: its name, its gateway id and its stage's URL.
struct PushedApi {
    resource: String,
    id: String,
    endpoint: String,
}

fn policy_list(policies: Vec<super::storage::RolePolicy>) -> Vec<Value> {
    policies
        .into_iter()
        .map(|(role, name, document)| json!({"RoleName": role, "PolicyName": name, "PolicyDocument": document.to_string()}))
        .collect()
}

/// Pushes each REST API (after auth: its policies go on the group, auth and guest roles) on
/// the stage named after the environment, and deletes the ones the project dropped. The auth
/// and guest roles' policies cover every API at once, as Amplify's APIGatewayAuthStack does:
/// they go with the last call.
async fn push_apis(
    layout: &Layout,
    client: &Client,
    applied: &Value,
    env: &str,
) -> Result<Vec<PushedApi>, ProjectError> {
    let pool = applied["UserPoolId"].as_str().unwrap_or_default();
    let region = applied["Region"].as_str().unwrap_or("us-east-1");
    let account = applied["AccountId"].as_str().unwrap_or("000000000000");
    let wanted = RestApi::all(layout)?;
    let pushed = read_object(&layout.current_backend_config())?;
    let mut removed = Vec::new();
    for name in pushed
        .get("api")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|a| a.keys())
    {
        if !wanted.iter().any(|a| &a.resource == name) {
            if let Some(previous) = RestApi::read_pushed(layout, name)? {
                removed.push(previous);
            }
        }
    }
    let ids: Vec<String> = wanted
        .iter()
        .chain(&removed)
        .map(|a| recorded_api_id(layout, &a.resource).unwrap_or_else(|| api_id(pool, &a.resource)))
        .collect();
    let place = Place {
        region,
        account,
        stage: env,
        pool,
    };
    let all: Vec<&RestApi> = wanted.iter().chain(&removed).collect();
    let previous: Vec<Option<RestApi>> = all
        .iter()
        .map(|a| RestApi::read_pushed(layout, &a.resource))
        .collect::<Result<_, _>>()?;
    let shared_now = auth_and_guest_policies(
        &wanted
            .iter()
            .zip(&ids)
            .map(|(a, id)| (a, place.target(id)))
            .collect::<Vec<_>>(),
        pool,
    );
    let shared_before = auth_and_guest_policies(
        &previous
            .iter()
            .zip(&ids)
            .filter_map(|(p, id)| p.as_ref().map(|p| (p, place.target(id))))
            .collect::<Vec<_>>(),
        pool,
    );
    let mut results = Vec::new();
    for (i, api) in all.iter().enumerate() {
        let keep = i < wanted.len();
        let id = &ids[i];
        let mut policies = if keep {
            api.group_policies(&place.target(id))
        } else {
            Vec::new()
        };
        let mut retired: Vec<_> = previous[i]
            .iter()
            .flat_map(|p| p.group_policies(&place.target(id)))
            .collect();
        if i + 1 == all.len() {
            policies.extend(shared_now.clone());
            retired.extend(shared_before.clone());
        }
        let mut input = json!({
            "ApiId": id,
            "Policies": policy_list(policies),
            "RetiredPolicies": policy_list(retired),
        });
        if keep {
            input["Name"] = json!(api.resource);
            input["Stages"] = json!([env]);
            input["Routes"] = json!(api.routes()?);
        } else {
            input["Remove"] = json!(true);
        }
        let answer = client
            .manage("ApplyRestApiBackend", &input)
            .await
            .map_err(|e| {
                ProjectError::Server(format!(
                    "pushing api {} failed: {}",
                    api.resource,
                    server_error(e)
                ))
            })?;
        for change in answer["Changes"].as_array().into_iter().flatten() {
            println!(
                "✔ api {}: {}",
                api.resource,
                change.as_str().unwrap_or_default()
            );
        }
        if keep {
            results.push(PushedApi {
                resource: api.resource.clone(),
                id: id.clone(),
                endpoint: answer["Endpoints"][env]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }
    Ok(results)
}

/// Where the APIs are pushed to: what their ARNs hold besides the API id.
struct Place<'a> {
    region: &'a str,
    account: &'a str,
    stage: &'a str,
    pool: &'a str,
}

impl<'a> Place<'a> {
    fn target<'b>(&self, api_id: &'b str) -> Target<'b>
    where
        'a: 'b,
    {
        Target {
            region: self.region,
            account: self.account,
            api_id,
            stage: self.stage,
            pool: self.pool,
        }
    }
}

/// The id amplify-meta.json records for an API (an Amplify project's own, or an earlier
/// push's).
fn recorded_api_id(layout: &Layout, resource: &str) -> Option<String> {
    let meta = super::files::read_value(&layout.amplify_meta()).ok()?;
    meta["api"][resource]["output"]["ApiId"]
        .as_str()
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        .map(str::to_owned)
}

/// A pushed storage resource: its name and what ApplyStorageBackend answered.
struct PushedStorage {
    resource: String,
    applied: Value,
}

/// Pushes each storage resource (after auth: its policies go on auth's roles), and takes the
/// policies of removed ones off the roles; their buckets and files stay.
async fn push_storage(
    layout: &Layout,
    client: &Client,
    pool_id: &str,
) -> Result<Vec<PushedStorage>, ProjectError> {
    let wanted = Storage::all(layout)?;
    let pushed = read_object(&layout.current_backend_config())?;
    let mut removed = Vec::new();
    for name in pushed
        .get("storage")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|s| s.keys())
    {
        if !wanted.iter().any(|s| &s.resource == name) {
            if let Some(previous) = Storage::read_pushed(layout, name)? {
                removed.push(previous);
            }
        }
    }
    let mut results = Vec::new();
    for storage in wanted.iter().chain(&removed) {
        let keep = wanted.iter().any(|s| s.resource == storage.resource);
        // What the last push put (for a removed resource, all of it): the server deletes
        // what the new policies no longer name.
        let previous = Storage::read_pushed(layout, &storage.resource)?;
        let retired = policy_list(previous.iter().flat_map(|p| p.policies(pool_id)).collect());
        let input = json!({
            "Bucket": storage.bucket,
            "Cors": Storage::cors(),
            "Policies": if keep { policy_list(storage.policies(pool_id)) } else { Vec::new() },
            "RetiredPolicies": retired,
        });
        let applied = client
            .manage("ApplyStorageBackend", &input)
            .await
            .map_err(|e| {
                ProjectError::Server(format!(
                    "pushing storage {} failed: {}",
                    storage.resource,
                    server_error(e)
                ))
            })?;
        for change in applied["Changes"].as_array().into_iter().flatten() {
            println!(
                "✔ storage {}: {}",
                storage.resource,
                change.as_str().unwrap_or_default()
            );
        }
        if keep {
            results.push(PushedStorage {
                resource: storage.resource.clone(),
                applied,
            });
        } else {
            println!(
                "✔ storage {}: removed from the project; bucket {} kept with its files",
                storage.resource, storage.bucket
            );
        }
    }
    Ok(results)
}

fn write_outputs(
    layout: &Layout,
    profile: &Profile,
    desired: &Auth,
    applied: &Value,
    buckets: &[PushedStorage],
    apis: &[PushedApi],
    mut meta: Map<String, Value>,
) -> Result<(), ProjectError> {
    let pool_id = applied["UserPoolId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let client_id = applied["AppClientId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let admin_queries = applied["AdminQueriesApi"]["ApiId"].as_str().map(|id| {
        (
            id.to_owned(),
            applied["AdminQueriesApi"]["Endpoint"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    });
    let by_email = desired.signs_in_with_email();
    // As the Amplify CLI writes it: ISO 8601 with milliseconds.
    let now = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .expect("a UTC time formats");
    let providers = object_at(&mut meta, "providers");
    object_at(providers, "awscloudformation").insert("Region".into(), json!(profile.region));
    object_at(providers, "cognate").insert("Endpoint".into(), json!(profile.endpoint));
    let auth = object_at(object_at(&mut meta, "auth"), &desired.resource);
    auth.insert("service".into(), json!("Cognito"));
    auth.insert("providerPlugin".into(), json!("awscloudformation"));
    auth.insert(
        "output".into(),
        json!({"UserPoolId": pool_id, "UserPoolName": desired.pool_name(), "AppClientIDWeb": client_id, "AppClientID": client_id}),
    );
    let identity_pool = applied["IdentityPoolId"].as_str().map(str::to_owned);
    if let (Some(id), Some(output)) = (
        &identity_pool,
        auth.get_mut("output").and_then(Value::as_object_mut),
    ) {
        output.insert("IdentityPoolId".into(), json!(id));
        output.insert(
            "IdentityPoolName".into(),
            desired.cognito()["identityPoolName"].clone(),
        );
    }
    auth.insert("lastPushTimeStamp".into(), json!(now));
    let auth_section = object_at(&mut meta, "auth");
    if desired.groups(layout)?.is_empty() {
        auth_section.remove("userPoolGroups");
    } else {
        auth_section.insert(
            "userPoolGroups".into(),
            json!({"service": "Cognito-UserPool-Groups", "providerPlugin": "awscloudformation",
                   "dependsOn": [{"category": "auth", "resourceName": desired.resource, "attributes": ["UserPoolId", "AppClientIDWeb", "AppClientID"]}],
                   "output": {}, "lastPushTimeStamp": now}),
        );
    }
    match &admin_queries {
        Some((id, endpoint)) => {
            object_at(&mut meta, "api").insert(
                "AdminQueries".into(),
                json!({"service": "API Gateway", "providerPlugin": "awscloudformation",
                       "output": {"ApiName": "AdminQueries", "ApiId": id, "RootUrl": endpoint}, "lastPushTimeStamp": now}),
            );
        }
        None => {
            if let Some(api) = meta.get_mut("api").and_then(Value::as_object_mut) {
                api.remove("AdminQueries");
            }
        }
    }
    let api_meta = object_at(&mut meta, "api");
    api_meta.retain(|name, _| name == "AdminQueries" || apis.iter().any(|a| &a.resource == name));
    for api in apis {
        api_meta.insert(
            api.resource.clone(),
            json!({"service": "API Gateway", "providerPlugin": "awscloudformation",
                   "output": {"ApiName": api.resource, "ApiId": api.id, "RootUrl": api.endpoint, "Region": profile.region},
                   "lastPushTimeStamp": now}),
        );
    }
    if api_meta.is_empty() {
        meta.remove("api");
    }

    let storage_meta = object_at(&mut meta, "storage");
    storage_meta.retain(|name, _| buckets.iter().any(|b| &b.resource == name));
    for pushed in buckets {
        storage_meta.insert(
            pushed.resource.clone(),
            json!({"service": "S3", "providerPlugin": "awscloudformation",
                   "output": {"BucketName": pushed.applied["Bucket"], "Region": pushed.applied["Region"]},
                   "lastPushTimeStamp": now}),
        );
    }
    if storage_meta.is_empty() {
        meta.remove("storage");
    }

    let mut changes = Changes::default();
    changes.json(layout.amplify_meta(), Value::Object(meta));
    // The last-pushed copy, for `status`.
    for (from, to) in [
        (layout.backend_config(), layout.current_backend_config()),
        (
            layout.auth_inputs(&desired.resource),
            layout.current_auth_inputs(&desired.resource),
        ),
        (layout.group_precedence(), layout.current_group_precedence()),
    ] {
        if let Some(value) = read_json(&from)? {
            changes.json(to, value);
        }
    }
    for pushed in buckets {
        if let Some(value) = read_json(&layout.storage_inputs(&pushed.resource))? {
            changes.json(layout.current_storage_inputs(&pushed.resource), value);
        }
    }
    for pushed in apis {
        if let Some(value) = read_json(&layout.api_inputs(&pushed.resource))? {
            changes.json(layout.current_api_inputs(&pushed.resource), value);
        }
    }

    let source = layout.root.join(source_dir(layout)?);
    let mut config = client_config(
        profile,
        &pool_id,
        &client_id,
        by_email,
        admin_queries.as_ref(),
        identity_pool
            .as_deref()
            .map(|id| (id, desired.allows_guests())),
    );
    if let Some(first) = buckets.first() {
        add_storage_config(&mut config, &first.applied);
    }
    for api in apis {
        add_rest_api_config(&mut config, &api.resource, &api.endpoint, &profile.region);
    }
    let pretty = serde_json::to_string_pretty(&config).expect("JSON");
    changes.text(
        source.join("aws-exports.js"),
        format!("/* eslint-disable */\n// WARNING: DO NOT EDIT. This file is written by `cognate push`; changes are lost.\n// It holds no enumerable `aws_` keys on purpose: aws-amplify would then read it as an AWS\n// config and sign in against AWS. This shape carries cognate's endpoint to aws-amplify v5 and v6.\n\nconst awsmobile = {pretty};\n{}\nexport default awsmobile;\n", cloud_logic_custom(&config)),
    );
    for name in CONFIG_FILES.iter().filter(|name| name.ends_with(".json")) {
        changes.json(source.join(name), config.clone());
    }
    changes.write()
}

/// Amplify's own key for the REST APIs, `aws_cloud_logic_custom: [{name, endpoint, region}]`, for
/// app code that reads it from aws-exports (`awsconfig.aws_cloud_logic_custom[0].endpoint`). It
/// is defined not enumerable: aws-amplify v6 parses a config with any `aws_` key among
/// `Object.keys` as an AWS one (`parseAmplifyConfig`), which has no place for cognate's
/// endpoint; a property access still finds it. Empty without REST APIs.
fn cloud_logic_custom(config: &Value) -> String {
    match config["API"]["endpoints"].as_array() {
        Some(apis) if !apis.is_empty() => {
            let list = serde_json::to_string_pretty(apis).expect("JSON");
            format!("\n// Amplify's list of REST APIs, for app code that reads it; not enumerable, so that\n// aws-amplify v6 still reads this file as the v6 config it is.\nObject.defineProperty(awsmobile, 'aws_cloud_logic_custom', {{ value: {list}, enumerable: false }});\n")
        }
        _ => String::new(),
    }
}

/// The app's source directory, where the client config goes.
fn source_dir(layout: &Layout) -> Result<String, ProjectError> {
    let project = super::files::read_value(&layout.project_config())?;
    Ok(project["javascript"]["config"]["SourceDir"]
        .as_str()
        .unwrap_or("src")
        .to_owned())
}

/// The client config files `push` writes in the source directory, all with the same content.
pub const CONFIG_FILES: &[&str] = &[
    "aws-exports.js",
    "amplifyconfiguration.json",
    "amplify-config.json",
];

/// The client config, in the one shape that carries a custom endpoint to every aws-amplify
/// version: v6 reads `Auth.Cognito` (with `userPoolEndpoint`) and `API.REST` from a config
/// with no `aws_` keys; v5 reads `Auth.endpoint` beside `userPoolId`, and `API.endpoints`.
/// Amplify's own `aws_` keys are left out: with any of them, v6 parses the file as an AWS
/// config (`parseAWSExports`), which has no endpoint key, and signs in against AWS.
fn client_config(
    profile: &Profile,
    pool_id: &str,
    client_id: &str,
    by_email: bool,
    admin_queries: Option<&(String, String)>,
    identity_pool: Option<(&str, bool)>,
) -> Value {
    let mut config = json!({
        "Auth": {
            "Cognito": {
                "userPoolId": pool_id,
                "userPoolClientId": client_id,
                "userPoolEndpoint": profile.endpoint,
                "loginWith": {"username": !by_email, "email": by_email},
            },
            "region": profile.region,
            "userPoolId": pool_id,
            "userPoolWebClientId": client_id,
            "endpoint": profile.endpoint,
        },
    });
    // v6 reads the identity pool's endpoint beside the user pool's. v5 has no key for one: given
    // the pool id it would fetch credentials from AWS, so v5 apps get none from this file.
    if let Some((id, allow_guests)) = identity_pool {
        let cognito = &mut config["Auth"]["Cognito"];
        cognito["identityPoolId"] = json!(id);
        cognito["identityPoolEndpoint"] = json!(profile.endpoint);
        cognito["allowGuestAccess"] = json!(allow_guests);
    }
    if let Some((_, endpoint)) = admin_queries {
        config["API"] = json!({
            "REST": {"AdminQueries": {"endpoint": endpoint, "region": profile.region}},
            "endpoints": [{"name": "AdminQueries", "endpoint": endpoint, "region": profile.region}],
        });
    }
    config
}

/// A REST API in the client config: v6 reads `API.REST.<name>`, v5 `API.endpoints`.
fn add_rest_api_config(config: &mut Value, name: &str, endpoint: &str, region: &str) {
    let api = &mut config["API"];
    api["REST"][name] = json!({"endpoint": endpoint, "region": region});
    if !api["endpoints"].is_array() {
        api["endpoints"] = json!([]);
    }
    if let Some(list) = api["endpoints"].as_array_mut() {
        list.push(json!({"name": name, "endpoint": endpoint, "region": region}));
    }
}

/// The bucket in the client config: v6 reads `Storage.S3`, v5 `Storage.AWSS3`. aws-amplify
/// takes no storage endpoint from its config (each call passes `options.customEndpoint`), so
/// cognate's is under a key of its own for the app to pass on.
fn add_storage_config(config: &mut Value, applied: &Value) {
    let bucket = json!({"bucket": applied["Bucket"], "region": applied["Region"]});
    config["Storage"] = json!({"S3": bucket, "AWSS3": bucket});
    if let Some(endpoint) = applied["Endpoint"].as_str() {
        config["cognate"] = json!({"storageEndpoint": endpoint});
    }
}

/// The rows of `cognate status`: every resource and what a push would do with it.
pub fn status_rows(layout: &Layout) -> Result<Vec<[String; 4]>, ProjectError> {
    let backend = read_object(&layout.backend_config())?;
    let pushed = read_object(&layout.current_backend_config())?;
    let fingerprint = |config: &Map<String, Value>,
                       category: &str,
                       name: &str,
                       current: bool|
     -> Result<Value, ProjectError> {
        let config = Value::Object(config.clone());
        let mut parts = vec![config[category][name].clone()];
        if category == "auth" && name == "userPoolGroups" {
            parts.push(
                read_json(&if current {
                    layout.current_group_precedence()
                } else {
                    layout.group_precedence()
                })?
                .unwrap_or(Value::Null),
            );
        } else if category == "auth" {
            parts.push(
                read_json(&if current {
                    layout.current_auth_inputs(name)
                } else {
                    layout.auth_inputs(name)
                })?
                .unwrap_or(Value::Null),
            );
        } else if category == "storage" {
            parts.push(
                read_json(&if current {
                    layout.current_storage_inputs(name)
                } else {
                    layout.storage_inputs(name)
                })?
                .unwrap_or(Value::Null),
            );
        } else if category == "api" && name == "AdminQueries" {
            let auth = config["auth"].as_object().and_then(|a| {
                a.iter()
                    .find(|(_, r)| r["service"] == "Cognito")
                    .map(|(n, _)| n.clone())
            });
            if let Some(resource) = auth {
                let inputs = read_json(&if current {
                    layout.current_auth_inputs(&resource)
                } else {
                    layout.auth_inputs(&resource)
                })?
                .unwrap_or(Value::Null);
                parts.push(inputs["cognitoConfig"]["adminQueryGroup"].clone());
                parts.push(inputs["cognitoConfig"]["adminQueryGroups"].clone());
            }
        } else if category == "api" {
            parts.push(
                read_json(&if current {
                    layout.current_api_inputs(name)
                } else {
                    layout.api_inputs(name)
                })?
                .unwrap_or(Value::Null),
            );
        }
        Ok(Value::Array(parts))
    };
    let mut rows = Vec::new();
    let resources = |config: &Map<String, Value>| -> Vec<(String, String)> {
        config
            .iter()
            .filter_map(|(category, resources)| resources.as_object().map(|r| (category, r)))
            .flat_map(|(category, r)| r.keys().map(move |name| (category.clone(), name.clone())))
            .collect()
    };
    // What cognate builds on push; other resources (Lambda functions, storage ...) are listed as
    // not pushed rather than as pending.
    let pushes = |category: &str, name: &str| {
        (category == "auth"
            && (name == "userPoolGroups" || backend["auth"][name]["service"] == "Cognito"))
            || (category == "api" && name == "AdminQueries")
            || (category == "storage" && backend["storage"][name]["service"] == "S3")
    };
    for (category, name) in resources(&backend) {
        if !pushes(&category, &name) {
            rows.push([
                capitalize(&category),
                name,
                "Not pushed (not served by cognate)".into(),
                "awscloudformation".into(),
            ]);
            continue;
        }
        let operation = if pushed.get(&category).and_then(|c| c.get(&name)).is_none() {
            "Create"
        } else if fingerprint(&backend, &category, &name, false)?
            != fingerprint(&pushed, &category, &name, true)?
        {
            "Update"
        } else {
            "No Change"
        };
        rows.push([
            capitalize(&category),
            name,
            operation.into(),
            "awscloudformation".into(),
        ]);
    }
    for (category, name) in resources(&pushed) {
        if backend.get(&category).and_then(|c| c.get(&name)).is_none() {
            rows.push([
                capitalize(&category),
                name,
                "Delete".into(),
                "awscloudformation".into(),
            ]);
        }
    }
    Ok(rows)
}

fn capitalize(category: &str) -> String {
    match category {
        "api" => "Api".into(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

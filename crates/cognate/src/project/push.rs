//! `cognate push`: compares the project with the server, shows the plan, applies it, then writes
//! `amplify-meta.json`, the last-pushed copy and the client config. A step that fails undoes the
//! steps before it (deleting what was created, restoring what was changed) before any file is
//! written, so a failed push leaves the project and the server as they were. Deletions come
//! last, because a deleted group's memberships cannot be restored.

use std::io::IsTerminal;
use std::path::Path;

use cognate_client::{CallError, Client};
use serde_json::{json, Map, Value};

use super::files::{object_at, read_json, read_object, Changes, Layout};
use super::profile::{self, Profile};
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

/// Reachable, and the credentials work.
pub async fn check_server(profile: &Profile) -> Result<(), ProjectError> {
    let client = Client::new(
        &profile.endpoint,
        &profile.access_key_id,
        &profile.secret_access_key,
    );
    client
        .admin("ListUserPools", &json!({"MaxResults": 1}))
        .await
        .map_err(server_error)?;
    Ok(())
}

/// What the project says the backend is.
#[derive(Debug, Clone, PartialEq)]
struct Desired {
    resource: String,
    pool_name: String,
    by_email: bool,
    groups: Vec<String>,
    admin_queries: Option<Vec<String>>,
}

/// What the server has, as far as the project knows of it.
#[derive(Debug, Default)]
struct Current {
    pool_id: Option<String>,
    client_id: Option<String>,
    /// Group name → precedence.
    groups: Vec<(String, Option<i64>)>,
    admin_queries: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    CreatePool,
    CreateClient,
    CreateGroup {
        name: String,
        precedence: i64,
    },
    UpdateGroup {
        name: String,
        precedence: i64,
        previous: Option<i64>,
    },
    CreateAdminQueries {
        groups: Vec<String>,
    },
    UpdateAdminQueries {
        id: String,
        groups: Vec<String>,
        previous: Vec<String>,
    },
    DeleteAdminQueries {
        id: String,
    },
    DeleteGroup {
        name: String,
    },
}

impl Step {
    fn describe(&self, desired: &Desired) -> String {
        let who = |groups: &[String]| {
            if groups.is_empty() {
                "any signed-in user".to_owned()
            } else {
                groups.join(", ")
            }
        };
        match self {
            Step::CreatePool => format!(
                "Create  user pool {}{}",
                desired.pool_name,
                if desired.by_email {
                    " (sign-in with email)"
                } else {
                    ""
                }
            ),
            Step::CreateClient => "Create  web app client".into(),
            Step::CreateGroup { name, precedence } => {
                format!("Create  group {name} (precedence {precedence})")
            }
            Step::UpdateGroup {
                name,
                precedence,
                previous,
            } => {
                format!(
                    "Update  group {name}: precedence {} → {precedence}",
                    previous.map(|p| p.to_string()).unwrap_or("none".into())
                )
            }
            Step::CreateAdminQueries { groups } => {
                format!("Create  Admin Queries API for {}", who(groups))
            }
            Step::UpdateAdminQueries {
                groups, previous, ..
            } => format!(
                "Update  Admin Queries API: {} → {}",
                who(previous),
                who(groups)
            ),
            Step::DeleteAdminQueries { .. } => "Delete  Admin Queries API".into(),
            Step::DeleteGroup { name } => format!("Delete  group {name} and its memberships"),
        }
    }
}

fn plan(desired: &Desired, current: &Current) -> Vec<Step> {
    let mut steps = Vec::new();
    if current.pool_id.is_none() {
        steps.push(Step::CreatePool);
    }
    if current.client_id.is_none() {
        steps.push(Step::CreateClient);
    }
    for (i, name) in desired.groups.iter().enumerate() {
        let precedence = i as i64 + 1;
        match current.groups.iter().find(|(n, _)| n == name) {
            None => steps.push(Step::CreateGroup {
                name: name.clone(),
                precedence,
            }),
            Some((_, previous)) if *previous != Some(precedence) => steps.push(Step::UpdateGroup {
                name: name.clone(),
                precedence,
                previous: *previous,
            }),
            Some(_) => {}
        }
    }
    match (&desired.admin_queries, &current.admin_queries) {
        (Some(groups), None) => steps.push(Step::CreateAdminQueries {
            groups: groups.clone(),
        }),
        (Some(groups), Some((id, previous))) if groups != previous => {
            steps.push(Step::UpdateAdminQueries {
                id: id.clone(),
                groups: groups.clone(),
                previous: previous.clone(),
            })
        }
        (None, Some((id, _))) => steps.push(Step::DeleteAdminQueries { id: id.clone() }),
        _ => {}
    }
    for (name, _) in &current.groups {
        if !desired.groups.contains(name) {
            steps.push(Step::DeleteGroup { name: name.clone() });
        }
    }
    steps
}

/// The environment, its profile and a client for the server.
fn connect(layout: &Layout) -> Result<(String, Profile, Client), ProjectError> {
    let env = super::files::read_value(&layout.local_env_info())?["envName"]
        .as_str()
        .unwrap_or("dev")
        .to_owned();
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
    let profile = profile::load(&profile_name)?;
    let client = Client::new(
        &profile.endpoint,
        &profile.access_key_id,
        &profile.secret_access_key,
    );
    Ok((env, profile, client))
}

async fn current_state(
    client: &Client,
    meta: &Value,
    resource: &str,
) -> Result<Current, ProjectError> {
    let output = &meta["auth"][resource]["output"];
    let mut current = Current::default();
    let Some(pool_id) = output["UserPoolId"].as_str() else {
        return Ok(current);
    };
    match client
        .admin("DescribeUserPool", &json!({"UserPoolId": pool_id}))
        .await
    {
        Ok(_) => current.pool_id = Some(pool_id.to_owned()),
        Err(CallError::Service { name, .. }) if name == "ResourceNotFoundException" => {
            return Ok(current)
        }
        Err(e) => return Err(server_error(e)),
    }
    if let Some(client_id) = output["AppClientIDWeb"].as_str() {
        match client
            .admin(
                "DescribeUserPoolClient",
                &json!({"UserPoolId": pool_id, "ClientId": client_id}),
            )
            .await
        {
            Ok(_) => current.client_id = Some(client_id.to_owned()),
            Err(CallError::Service { name, .. }) if name == "ResourceNotFoundException" => {}
            Err(e) => return Err(server_error(e)),
        }
    }
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"UserPoolId": pool_id, "Limit": 60});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = client
            .admin("ListGroups", &input)
            .await
            .map_err(server_error)?;
        for g in page["Groups"].as_array().into_iter().flatten() {
            current.groups.push((
                g["GroupName"].as_str().unwrap_or_default().to_owned(),
                g["Precedence"].as_i64(),
            ));
        }
        token = page["NextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    if let Some(api_id) = meta["api"]["AdminQueries"]["output"]["ApiId"].as_str() {
        match client
            .manage("DescribeAdminQueriesApi", &json!({"ApiId": api_id}))
            .await
        {
            Ok(out) => {
                let groups = out["AdminQueriesApi"]["AllowedGroups"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .filter_map(|g| g.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                current.admin_queries = Some((api_id.to_owned(), groups));
            }
            Err(CallError::Service { name, .. }) if name == "ResourceNotFoundException" => {}
            Err(e) => return Err(server_error(e)),
        }
    }
    Ok(current)
}

/// What a completed step needs to be undone.
enum Undo {
    DeletePool(String),
    DeleteGroup(String),
    RestoreGroup {
        name: String,
        precedence: Option<i64>,
    },
    DeleteAdminQueries(String),
    RestoreAdminQueries {
        id: String,
        groups: Vec<String>,
    },
}

struct Applied {
    pool_id: String,
    client_id: String,
    admin_queries: Option<(String, String)>,
}

async fn apply(
    client: &Client,
    desired: &Desired,
    current: &Current,
    steps: &[Step],
    undo: &mut Vec<Undo>,
) -> Result<Applied, CallError> {
    let mut pool_id = current.pool_id.clone().unwrap_or_default();
    let mut client_id = current.client_id.clone().unwrap_or_default();
    let mut admin_queries = current
        .admin_queries
        .as_ref()
        .map(|(id, _)| (id.clone(), String::new()));
    let progress = indicatif::ProgressBar::new(steps.len() as u64);
    if std::io::stderr().is_terminal() {
        progress.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg}")
                .expect("valid template"),
        );
    } else {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    for step in steps {
        progress.set_message(step.describe(desired));
        if !std::io::stderr().is_terminal() {
            eprintln!("  {}", step.describe(desired));
        }
        match step {
            Step::CreatePool => {
                let mut input = json!({
                    "PoolName": desired.pool_name,
                    "AutoVerifiedAttributes": ["email"],
                    "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": true, "Mutable": true}],
                    "UsernameConfiguration": {"CaseSensitive": false},
                });
                if desired.by_email {
                    input["UsernameAttributes"] = json!(["email"]);
                }
                let out = client.admin("CreateUserPool", &input).await?;
                pool_id = out["UserPool"]["Id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                undo.push(Undo::DeletePool(pool_id.clone()));
            }
            Step::CreateClient => {
                let out = client
                    .admin(
                        "CreateUserPoolClient",
                        &json!({"UserPoolId": pool_id, "ClientName": format!("{}_app_clientWeb", desired.resource),
                                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"],
                                "RefreshTokenValidity": 30, "ReadAttributes": [], "WriteAttributes": []}),
                    )
                    .await?;
                client_id = out["UserPoolClient"]["ClientId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
            }
            Step::CreateGroup { name, precedence } => {
                client.admin("CreateGroup", &json!({"UserPoolId": pool_id, "GroupName": name, "Precedence": precedence})).await?;
                undo.push(Undo::DeleteGroup(name.clone()));
            }
            Step::UpdateGroup {
                name,
                precedence,
                previous,
            } => {
                client.admin("UpdateGroup", &json!({"UserPoolId": pool_id, "GroupName": name, "Precedence": precedence})).await?;
                undo.push(Undo::RestoreGroup {
                    name: name.clone(),
                    precedence: *previous,
                });
            }
            Step::CreateAdminQueries { groups } => {
                let out = client
                    .manage(
                        "CreateAdminQueriesApi",
                        &json!({"UserPoolId": pool_id, "AllowedGroups": groups}),
                    )
                    .await?;
                let api = &out["AdminQueriesApi"];
                let id = api["ApiId"].as_str().unwrap_or_default().to_owned();
                undo.push(Undo::DeleteAdminQueries(id.clone()));
                admin_queries = Some((id, api["Endpoint"].as_str().unwrap_or_default().to_owned()));
            }
            Step::UpdateAdminQueries {
                id,
                groups,
                previous,
            } => {
                client
                    .manage(
                        "UpdateAdminQueriesApi",
                        &json!({"ApiId": id, "AllowedGroups": groups}),
                    )
                    .await?;
                undo.push(Undo::RestoreAdminQueries {
                    id: id.clone(),
                    groups: previous.clone(),
                });
            }
            Step::DeleteAdminQueries { id } => {
                client
                    .manage("DeleteAdminQueriesApi", &json!({"ApiId": id}))
                    .await?;
                admin_queries = None;
            }
            Step::DeleteGroup { name } => {
                client
                    .admin(
                        "DeleteGroup",
                        &json!({"UserPoolId": pool_id, "GroupName": name}),
                    )
                    .await?;
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    if let Some((id, endpoint)) = &mut admin_queries {
        if endpoint.is_empty() {
            let out = client
                .manage("DescribeAdminQueriesApi", &json!({"ApiId": id}))
                .await?;
            *endpoint = out["AdminQueriesApi"]["Endpoint"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
    }
    Ok(Applied {
        pool_id,
        client_id,
        admin_queries,
    })
}

async fn roll_back(client: &Client, pool_id: &str, undo: Vec<Undo>) {
    for step in undo.into_iter().rev() {
        let result = match &step {
            Undo::DeletePool(id) => {
                client
                    .admin("DeleteUserPool", &json!({"UserPoolId": id}))
                    .await
            }
            Undo::DeleteGroup(name) => {
                client
                    .admin(
                        "DeleteGroup",
                        &json!({"UserPoolId": pool_id, "GroupName": name}),
                    )
                    .await
            }
            Undo::RestoreGroup { name, precedence } => {
                let mut input = json!({"UserPoolId": pool_id, "GroupName": name});
                if let Some(p) = precedence {
                    input["Precedence"] = json!(p);
                }
                client.admin("UpdateGroup", &input).await
            }
            Undo::DeleteAdminQueries(id) => {
                client
                    .manage("DeleteAdminQueriesApi", &json!({"ApiId": id}))
                    .await
            }
            Undo::RestoreAdminQueries { id, groups } => {
                client
                    .manage(
                        "UpdateAdminQueriesApi",
                        &json!({"ApiId": id, "AllowedGroups": groups}),
                    )
                    .await
            }
        };
        if let Err(e) = result {
            eprintln!("warning: could not undo a step ({e}); check the server");
        }
    }
}

pub async fn push(dir: &Path, args: PushArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let auth = Auth::find(&layout)?.ok_or_else(|| {
        ProjectError::Input("nothing to push: run `cognate add auth` first".into())
    })?;
    let desired = Desired {
        resource: auth.resource.clone(),
        pool_name: auth.pool_name(),
        by_email: auth.signs_in_with_email(),
        groups: auth.groups(&layout)?,
        admin_queries: auth.admin_queries(),
    };
    for group in &desired.groups {
        super::check_group_name(group)?;
    }
    if let Some(missing) = desired
        .admin_queries
        .iter()
        .flatten()
        .find(|g| !desired.groups.contains(g))
    {
        return Err(ProjectError::Input(format!(
            "the Admin Queries group {missing:?} does not exist in the project's groups"
        )));
    }
    let (env, profile, client) = connect(&layout)?;
    let meta = read_object(&layout.amplify_meta())?;
    let current = current_state(&client, &Value::Object(meta.clone()), &auth.resource).await?;
    let steps = plan(&desired, &current);

    if steps.is_empty() {
        println!("No changes to push: the server already matches the project (environment {env}).");
    } else {
        println!("Plan for environment {env} on {}:", profile.endpoint);
        for step in &steps {
            println!("  {}", step.describe(&desired));
        }
        if !args.yes {
            let confirmed = super::ask("--yes", || {
                dialoguer::Confirm::new()
                    .with_prompt("Are you sure you want to continue?")
                    .default(true)
                    .interact()
                    .map_err(std::io::Error::other)
            })?;
            if !confirmed {
                return Err(ProjectError::Aborted);
            }
        }
    }
    let mut undo = Vec::new();
    let applied = match apply(&client, &desired, &current, &steps, &mut undo).await {
        Ok(applied) => applied,
        Err(e) => {
            let pool = current.pool_id.clone().or_else(|| {
                undo.iter().find_map(|u| match u {
                    Undo::DeletePool(id) => Some(id.clone()),
                    _ => None,
                })
            });
            roll_back(&client, &pool.unwrap_or_default(), undo).await;
            return Err(ProjectError::Server(format!(
                "push failed and was undone: {}",
                server_error(e)
            )));
        }
    };
    write_outputs(&layout, &profile, &desired, &applied, meta)?;
    if !steps.is_empty() {
        println!("✔ All resources are updated on the server");
    }
    if let Some((_, endpoint)) = &applied.admin_queries {
        println!("REST API endpoint: {endpoint}");
    }
    Ok(())
}

fn write_outputs(
    layout: &Layout,
    profile: &Profile,
    desired: &Desired,
    applied: &Applied,
    mut meta: Map<String, Value>,
) -> Result<(), ProjectError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let providers = object_at(&mut meta, "providers");
    object_at(providers, "awscloudformation").insert("Region".into(), json!(profile.region));
    object_at(providers, "cognate").insert("Endpoint".into(), json!(profile.endpoint));
    let auth = object_at(object_at(&mut meta, "auth"), &desired.resource);
    auth.insert("service".into(), json!("Cognito"));
    auth.insert("providerPlugin".into(), json!("awscloudformation"));
    auth.insert(
        "output".into(),
        json!({"UserPoolId": applied.pool_id, "UserPoolName": desired.pool_name, "AppClientIDWeb": applied.client_id, "AppClientID": applied.client_id}),
    );
    auth.insert("lastPushTimeStamp".into(), json!(now.to_string()));
    match &applied.admin_queries {
        Some((id, endpoint)) => {
            object_at(&mut meta, "api").insert(
                "AdminQueries".into(),
                json!({"service": "API Gateway", "providerPlugin": "awscloudformation",
                       "output": {"ApiName": "AdminQueries", "ApiId": id, "RootUrl": endpoint}, "lastPushTimeStamp": now.to_string()}),
            );
        }
        None => {
            if let Some(api) = meta.get_mut("api").and_then(Value::as_object_mut) {
                api.remove("AdminQueries");
            }
        }
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

    let project = super::files::read_value(&layout.project_config())?;
    let source_dir = project["javascript"]["config"]["SourceDir"]
        .as_str()
        .unwrap_or("src")
        .to_owned();
    let source = layout.root.join(source_dir);
    let mut legacy = json!({
        "aws_project_region": profile.region,
        "aws_cognito_region": profile.region,
        "aws_user_pools_id": applied.pool_id,
        "aws_user_pools_web_client_id": applied.client_id,
        "oauth": {},
        "aws_cognito_username_attributes": if desired.by_email { json!(["EMAIL"]) } else { json!([]) },
        "aws_cognito_social_providers": [],
        "aws_cognito_signup_attributes": ["EMAIL"],
        "aws_cognito_mfa_configuration": "OFF",
        "aws_cognito_mfa_types": ["SMS"],
        "aws_cognito_password_protection_settings": {"passwordPolicyMinLength": 8, "passwordPolicyCharacters": []},
        "aws_cognito_verification_mechanisms": ["EMAIL"],
    });
    let mut v6 = json!({
        "Auth": {"Cognito": {
            "userPoolId": applied.pool_id,
            "userPoolClientId": applied.client_id,
            "userPoolEndpoint": profile.endpoint,
            "loginWith": {"username": !desired.by_email, "email": desired.by_email},
        }},
    });
    if let Some((_, endpoint)) = &applied.admin_queries {
        legacy["aws_cloud_logic_custom"] =
            json!([{"name": "AdminQueries", "endpoint": endpoint, "region": profile.region}]);
        v6["API"] =
            json!({"REST": {"AdminQueries": {"endpoint": endpoint, "region": profile.region}}});
    }
    let pretty = serde_json::to_string_pretty(&legacy).expect("JSON");
    changes.text(
        source.join("aws-exports.js"),
        format!("/* eslint-disable */\n// WARNING: DO NOT EDIT. This file is written by `cognate push`; changes are lost.\n\nconst awsmobile = {pretty};\n\nexport default awsmobile;\n"),
    );
    changes.json(source.join("amplifyconfiguration.json"), legacy);
    changes.json(source.join("amplify-config.json"), v6);
    changes.write()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn desired(groups: &[&str], aq: Option<&[&str]>) -> Desired {
        Desired {
            resource: "r".into(),
            pool_name: "p".into(),
            by_email: false,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            admin_queries: aq.map(|a| a.iter().map(|g| g.to_string()).collect()),
        }
    }

    #[test]
    fn a_new_project_creates_everything_in_order() {
        let steps = plan(
            &desired(&["admin", "editors"], Some(&["admin"])),
            &Current::default(),
        );
        assert_eq!(
            steps,
            vec![
                Step::CreatePool,
                Step::CreateClient,
                Step::CreateGroup {
                    name: "admin".into(),
                    precedence: 1
                },
                Step::CreateGroup {
                    name: "editors".into(),
                    precedence: 2
                },
                Step::CreateAdminQueries {
                    groups: vec!["admin".into()]
                },
            ]
        );
    }

    #[test]
    fn a_pushed_project_plans_nothing() {
        let current = Current {
            pool_id: Some("p".into()),
            client_id: Some("c".into()),
            groups: vec![("admin".into(), Some(1)), ("editors".into(), Some(2))],
            admin_queries: Some(("id".into(), vec!["admin".into()])),
        };
        assert!(plan(&desired(&["admin", "editors"], Some(&["admin"])), &current).is_empty());
    }

    #[test]
    fn reordering_updates_precedence_and_removal_deletes_last() {
        let current = Current {
            pool_id: Some("p".into()),
            client_id: Some("c".into()),
            groups: vec![
                ("admin".into(), Some(1)),
                ("editors".into(), Some(2)),
                ("old".into(), Some(3)),
            ],
            admin_queries: Some(("id".into(), vec!["admin".into()])),
        };
        let steps = plan(&desired(&["editors", "admin"], None), &current);
        assert_eq!(
            steps,
            vec![
                Step::UpdateGroup {
                    name: "editors".into(),
                    precedence: 1,
                    previous: Some(2)
                },
                Step::UpdateGroup {
                    name: "admin".into(),
                    precedence: 2,
                    previous: Some(1)
                },
                Step::DeleteAdminQueries { id: "id".into() },
                Step::DeleteGroup { name: "old".into() },
            ]
        );
    }
}

//! `cognate update auth`: user pool groups and their precedence, the Admin Queries API, the
//! password policy.

use std::path::Path;

use serde_json::{json, Value};

use super::auth::{character_rules, check_min_length, Auth};
use super::files::{self, object_at, read_object, Changes, Layout};
use super::prompts::{ask, ask_password_policy, confirm, read_stdin_json, select, text_question};
use super::{check_group_name, ProjectError};

#[derive(clap::Args, Debug, Default)]
pub struct UpdateAuthArgs {
    /// The user pool groups, highest precedence first, comma-separated (replaces the list)
    #[arg(long, value_delimiter = ',')]
    pub groups: Option<Vec<String>>,
    /// Restrict the Admin Queries API to these groups (comma-separated; creates the API)
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["admin_queries_any_user", "no_admin_queries"])]
    pub admin_queries_groups: Option<Vec<String>>,
    /// Create the Admin Queries API for any signed-in user
    #[arg(long, conflicts_with = "no_admin_queries")]
    pub admin_queries_any_user: bool,
    /// Remove the Admin Queries API
    #[arg(long)]
    pub no_admin_queries: bool,
    /// Password minimum length, 6 to 99
    #[arg(long)]
    pub password_min_length: Option<u32>,
    /// Password character requirements, comma-separated: lowercase, uppercase, numbers, symbols
    #[arg(long, value_delimiter = ',')]
    pub password_requires: Option<Vec<String>>,
    /// Read Amplify's headless JSON (`{"version": 2, "serviceModification": ...}`) from standard input
    #[arg(long)]
    pub headless: bool,
}

/// What `update auth` will set; None leaves a setting alone.
#[derive(Debug, Default)]
struct AuthUpdate {
    groups: Option<Vec<String>>,
    admin_queries: Option<Option<Vec<String>>>,
    /// Minimum length and Amplify's character rules.
    password: Option<(u32, Vec<String>)>,
}

fn update_from_headless(value: &Value) -> Result<AuthUpdate, ProjectError> {
    let modification = &value["serviceModification"]["userPoolModification"];
    if modification.is_null() {
        return Err(ProjectError::Input(
            "the headless input has no serviceModification.userPoolModification".into(),
        ));
    }
    let groups = modification["userPoolGroups"].as_array().map(|list| {
        list.iter()
            .filter_map(|g| g["groupName"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    });
    let admin_queries = match &modification["adminQueries"] {
        Value::Null => None,
        Value::Bool(false) => Some(None),
        aq => {
            let permissions = &aq["permissions"];
            if permissions["restrictAccess"] == json!(true) {
                let groups: Vec<String> = match &permissions["groupName"] {
                    Value::String(g) => vec![g.clone()],
                    Value::Array(list) => list
                        .iter()
                        .filter_map(|g| g.as_str().map(str::to_owned))
                        .collect(),
                    _ => {
                        return Err(ProjectError::Input(
                            "adminQueries.permissions.groupName is missing".into(),
                        ))
                    }
                };
                Some(Some(groups))
            } else {
                Some(Some(vec![]))
            }
        }
    };
    Ok(AuthUpdate {
        groups,
        admin_queries,
        password: None,
    })
}

/// Amplify's group questions: which groups to delete, a name and "Do you want to add another
/// User Pool Group" until the answer is no, then the order of precedence.
fn ask_groups(current: &[String]) -> Result<Vec<String>, ProjectError> {
    let mut groups = current.to_vec();
    let mut add = true;
    if !groups.is_empty() {
        let delete = ask("--groups", || {
            dialoguer::MultiSelect::new()
                .with_prompt("Select any user pool groups you want to delete: (space to toggle)")
                .items(&groups)
                .interact()
                .map_err(std::io::Error::other)
        })?;
        groups = groups
            .iter()
            .enumerate()
            .filter(|(i, _)| !delete.contains(i))
            .map(|(_, g)| g.clone())
            .collect();
        add = groups.is_empty()
            || confirm(
                "--groups",
                "Do you want to add another User Pool Group",
                false,
            )?;
    }
    while add {
        let name = text_question("--groups", "Provide a name for your user pool group:", "")?;
        if name.is_empty() {
            eprintln!("A group needs a name.");
            continue;
        }
        check_group_name(&name)?;
        if !groups.contains(&name) {
            groups.push(name);
        }
        add = confirm(
            "--groups",
            "Do you want to add another User Pool Group",
            false,
        )?;
    }
    if groups.len() > 1 {
        let order = ask("--groups", || {
            dialoguer::Sort::new()
                .with_prompt("Sort the user pool groups in order of preference (space to pick one up, arrows to move, enter when done)")
                .items(&groups)
                .interact()
                .map_err(std::io::Error::other)
        })?;
        groups = order.into_iter().map(|i| groups[i].clone()).collect();
    }
    Ok(groups)
}

/// Amplify's Admin Queries questions: restrict to a group, and which one. cognate can also
/// allow several groups, offered after the single choices.
fn ask_admin_queries(
    groups: &[String],
    current: &Option<Vec<String>>,
) -> Result<Option<Vec<String>>, ProjectError> {
    let flag = "--admin-queries-groups or --admin-queries-any-user";
    let restrict = confirm(
        flag,
        "Do you want to restrict access to the admin queries API to a specific Group",
        current.as_ref().is_none_or(|g| !g.is_empty()),
    )?;
    if !restrict {
        return Ok(Some(vec![]));
    }
    if groups.is_empty() {
        return Err(ProjectError::Input(
            "there are no user pool groups to restrict to; create them first".into(),
        ));
    }
    let mut choices: Vec<String> = groups.to_vec();
    if groups.len() > 1 {
        choices.push("Several groups…".into());
    }
    let default = current
        .as_ref()
        .and_then(|c| c.first())
        .and_then(|g| groups.iter().position(|x| x == g))
        .unwrap_or(0);
    let picked = select(
        flag,
        "Select the group to restrict access with:",
        &choices,
        default,
    )?;
    if picked < groups.len() {
        return Ok(Some(vec![groups[picked].clone()]));
    }
    loop {
        let picked = ask(flag, || {
            dialoguer::MultiSelect::new()
                .with_prompt("Select the groups to restrict access with (space to toggle)")
                .items(groups)
                .interact()
                .map_err(std::io::Error::other)
        })?;
        if !picked.is_empty() {
            return Ok(Some(
                picked.into_iter().map(|i| groups[i].clone()).collect(),
            ));
        }
        eprintln!("Select at least one group, or answer no to let any signed-in user in.");
    }
}

/// One change per run, as the Amplify CLI asks it: `update auth` again for the next.
fn update_interactively(
    current_groups: &[String],
    current_aq: &Option<Vec<String>>,
) -> Result<AuthUpdate, ProjectError> {
    let actions = [
        "Create or update Cognito user pool groups",
        "Create or update Admin queries API",
        "Update the password policy",
    ];
    let mut update = AuthUpdate::default();
    match select(
        "--groups or --admin-queries-groups",
        "What do you want to do?",
        &actions,
        0,
    )? {
        0 => update.groups = Some(ask_groups(current_groups)?),
        1 => update.admin_queries = Some(ask_admin_queries(current_groups, current_aq)?),
        _ => update.password = Some(ask_password_policy(None, None)?),
    }
    Ok(update)
}

pub fn update_auth(dir: &Path, args: UpdateAuthArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let auth = Auth::find(&layout)?.ok_or_else(|| {
        ProjectError::Input("this project has no auth yet; run `cognate add auth` first".into())
    })?;
    let current_groups = auth.groups(&layout)?;
    let current_aq = auth.admin_queries();
    let flags_given = args.groups.is_some()
        || args.admin_queries_groups.is_some()
        || args.admin_queries_any_user
        || args.no_admin_queries
        || args.password_min_length.is_some()
        || args.password_requires.is_some();
    let update = if args.headless {
        update_from_headless(&read_stdin_json()?)?
    } else if flags_given {
        AuthUpdate {
            groups: args.groups.clone(),
            admin_queries: if args.no_admin_queries {
                Some(None)
            } else if args.admin_queries_any_user {
                Some(Some(vec![]))
            } else {
                args.admin_queries_groups.clone().map(Some)
            },
            password: match (args.password_min_length, &args.password_requires) {
                (None, None) => None,
                (min, rules) => Some((
                    check_min_length(min.unwrap_or_else(|| {
                        auth.cognito()["passwordPolicyMinLength"]
                            .as_u64()
                            .unwrap_or(8) as u32
                    }))?,
                    character_rules(rules.as_deref().unwrap_or_default())?,
                )),
            },
        }
    } else {
        update_interactively(&current_groups, &current_aq)?
    };

    let groups = update.groups.clone().unwrap_or(current_groups);
    for group in &groups {
        check_group_name(group)?;
    }
    let mut unique = groups.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != groups.len() {
        return Err(ProjectError::Input("a group is listed twice".into()));
    }
    let admin_queries = update.admin_queries.clone().unwrap_or(current_aq);
    if let Some(allowed) = &admin_queries {
        if let Some(missing) = allowed.iter().find(|g| !groups.contains(g)) {
            return Err(ProjectError::Input(format!(
                "the Admin Queries group {missing:?} does not exist; add it with --groups first"
            )));
        }
    }

    let mut inputs = auth.inputs.clone();
    let cognito = object_at(&mut inputs, "cognitoConfig");
    cognito.insert("userPoolGroups".into(), json!(!groups.is_empty()));
    cognito.insert("userPoolGroupList".into(), json!(groups));
    match &admin_queries {
        None => {
            cognito.insert("adminQueries".into(), json!(false));
            cognito.remove("adminQueryGroup");
            cognito.remove("adminQueryGroups");
        }
        Some(allowed) => {
            cognito.insert("adminQueries".into(), json!(true));
            match allowed.as_slice() {
                [] => {
                    cognito.remove("adminQueryGroup");
                    cognito.remove("adminQueryGroups");
                }
                [one] => {
                    cognito.insert("adminQueryGroup".into(), json!(one));
                    cognito.remove("adminQueryGroups");
                }
                several => {
                    cognito.insert("adminQueryGroup".into(), json!(several[0]));
                    cognito.insert("adminQueryGroups".into(), json!(several));
                }
            }
        }
    }

    if let Some((min_length, characters)) = &update.password {
        let cognito = object_at(&mut inputs, "cognitoConfig");
        cognito.insert("passwordPolicyMinLength".into(), json!(min_length));
        cognito.insert("passwordPolicyCharacters".into(), json!(characters));
    }

    // Precedence follows the order; hand-written customPolicies stay with their group.
    let previous: Vec<Value> = match files::read_json(&layout.group_precedence())? {
        Some(Value::Array(list)) => list,
        _ => vec![],
    };
    let precedence: Vec<Value> = groups
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut entry = previous
                .iter()
                .find(|e| e["groupName"] == name.as_str())
                .cloned()
                .unwrap_or_else(|| json!({}));
            entry["groupName"] = json!(name);
            entry["precedence"] = json!(i + 1);
            entry
        })
        .collect();

    let mut backend = read_object(&layout.backend_config())?;
    if let Some((min_length, characters)) = &update.password {
        let resource = object_at(object_at(&mut backend, "auth"), &auth.resource);
        let frontend = object_at(resource, "frontendAuthConfig");
        frontend.insert(
            "passwordProtectionSettings".into(),
            json!({"passwordPolicyMinLength": min_length, "passwordPolicyCharacters": characters}),
        );
    }
    let depends_on = json!([{"category": "auth", "resourceName": auth.resource, "attributes": ["UserPoolId", "AppClientIDWeb", "AppClientID"]}]);
    let auth_section = object_at(&mut backend, "auth");
    if groups.is_empty() {
        auth_section.remove("userPoolGroups");
    } else {
        auth_section.insert(
            "userPoolGroups".into(),
            json!({"service": "Cognito-UserPool-Groups", "providerPlugin": "awscloudformation", "dependsOn": depends_on}),
        );
    }
    let api = object_at(&mut backend, "api");
    if admin_queries.is_some() {
        api.entry("AdminQueries").or_insert(json!({
            "service": "API Gateway",
            "providerPlugin": "awscloudformation",
            "authorizationType": "AMAZON_COGNITO_USER_POOLS",
            "dependsOn": depends_on
        }));
    } else {
        api.remove("AdminQueries");
    }
    if api.is_empty() {
        backend.remove("api");
    }

    let mut changes = Changes::default();
    changes.json(layout.auth_inputs(&auth.resource), Value::Object(inputs));
    changes.json(layout.group_precedence(), Value::Array(precedence));
    changes.json(layout.backend_config(), Value::Object(backend));
    changes.write()?;
    println!("Successfully updated resource {} locally", auth.resource);
    Ok(())
}

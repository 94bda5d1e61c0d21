//! `cognate add auth`: a user pool and an app client, with Amplify's questions.

use std::path::Path;

use serde_json::{json, Value};

use super::auth::{character_rules, check_min_length, check_required_attributes, Auth};
use super::files::{object_at, read_object, Changes, Layout};
use super::prompts::{
    ask, ask_password_policy, ask_required_attributes, read_stdin_json, text_question,
};
use super::{check_group_name, ProjectError};

#[derive(clap::Args, Debug, Default)]
pub struct AddAuthArgs {
    /// Resource name [default: <project> + 8 hex digits]
    #[arg(long)]
    pub resource_name: Option<String>,
    /// Sign in with: username or email [asked; default: username]
    #[arg(long, value_parser = ["username", "email"])]
    pub sign_in: Option<String>,
    /// Use the default configuration without asking
    #[arg(long, conflicts_with = "manual")]
    pub default: bool,
    /// Manual configuration: pool name, required attributes, password policy
    #[arg(long)]
    pub manual: bool,
    /// User pool name [manual; default: <resource>_userpool]
    #[arg(long)]
    pub pool_name: Option<String>,
    /// Attributes required at sign-up, comma-separated [default: email]
    #[arg(long, value_delimiter = ',')]
    pub required_attributes: Option<Vec<String>>,
    /// Password minimum length, 6 to 99 [default: 8]
    #[arg(long)]
    pub password_min_length: Option<u32>,
    /// Password character requirements, comma-separated: lowercase, uppercase, numbers, symbols [default: none]
    #[arg(long, value_delimiter = ',')]
    pub password_requires: Option<Vec<String>>,
    /// Read Amplify's headless JSON (`{"version": 2, "resourceName", "serviceConfiguration": ...}`) from standard input
    #[arg(long)]
    pub headless: bool,
}

pub fn add_auth(dir: &Path, args: AddAuthArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    if Auth::find(&layout)?.is_some() {
        return Err(ProjectError::Input(
            "Auth has already been added to this project; use `cognate update auth`".into(),
        ));
    }
    let project = read_object(&layout.project_config())?;
    let project_name = Value::Object(project.clone())["projectName"]
        .as_str()
        .unwrap_or("app")
        .to_owned();
    let headless = if args.headless {
        Some(read_stdin_json()?)
    } else {
        None
    };
    let configuration = headless.as_ref().map(|h| &h["serviceConfiguration"]);
    let resource = args
        .resource_name
        .clone()
        .or_else(|| {
            headless
                .as_ref()
                .and_then(|h| h["resourceName"].as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| {
            format!(
                "{project_name}{}",
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            )
        });
    check_group_name(&resource).map_err(|_| {
        ProjectError::Input(format!(
            "{resource:?}: the resource name must be letters and digits"
        ))
    })?;
    // Default or manual configuration, and the advanced settings of the default one.
    let user_pool = configuration.map(|c| &c["userPoolConfiguration"]);
    let manual = args.manual
        || (!args.default
            && configuration.is_none()
            && args.pool_name.is_none()
            && args.password_min_length.is_none()
            && args.password_requires.is_none()
            && args.required_attributes.is_none()
            && {
                let choices = ["Default configuration", "Manual configuration"];
                ask("--default or --manual", || {
                    dialoguer::Select::new()
                        .with_prompt("Do you want to use the default authentication and security configuration?")
                        .items(&choices)
                        .default(0)
                        .interact()
                        .map_err(std::io::Error::other)
                })? == 1
            });
    let sign_in = match (&args.sign_in, configuration) {
        (Some(s), _) => s.clone(),
        (None, Some(c)) => c["userPoolConfiguration"]["signinMethod"]
            .as_str()
            .unwrap_or("USERNAME")
            .to_lowercase(),
        (None, None) if args.default || args.required_attributes.is_some() && !manual => {
            "username".into()
        }
        (None, None) => {
            let choices = ["Username", "Email"];
            let picked = ask("--sign-in", || {
                dialoguer::Select::new()
                    .with_prompt("How do you want users to be able to sign in?")
                    .items(&choices)
                    .default(0)
                    .interact()
                    .map_err(std::io::Error::other)
            })?;
            choices[picked].to_lowercase()
        }
    };
    let by_email = sign_in == "email";

    let headless_required = user_pool
        .and_then(|u| u["requiredSignupAttributes"].as_array())
        .map(|list| {
            list.iter()
                .filter_map(|a| a.as_str().map(str::to_lowercase))
                .collect::<Vec<_>>()
        });
    let default_required = vec!["email".to_owned()];
    let required = match (&args.required_attributes, headless_required) {
        (Some(list), _) => check_required_attributes(list)?,
        (None, Some(list)) => check_required_attributes(&list)?,
        (None, None) if manual => ask_required_attributes(&default_required)?,
        (None, None) if args.default || configuration.is_some() => default_required,
        (None, None) => {
            let choices = [
                "No, I am done.",
                "Yes, I want to make some additional changes.",
            ];
            let advanced = ask("--default", || {
                dialoguer::Select::new()
                    .with_prompt("Do you want to configure advanced settings?")
                    .items(&choices)
                    .default(0)
                    .interact()
                    .map_err(std::io::Error::other)
            })?;
            if advanced == 1 {
                ask_required_attributes(&default_required)?
            } else {
                default_required
            }
        }
    };
    let headless_policy = user_pool
        .map(|u| &u["passwordPolicy"])
        .filter(|p| !p.is_null());
    let (min_length, characters) = match headless_policy {
        Some(policy) => {
            let rules: Vec<String> = policy["additionalConstraints"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    c.as_str()
                        .map(|c| c.trim_start_matches("REQUIRE_").to_lowercase())
                })
                .collect();
            (
                check_min_length(policy["minimumLength"].as_u64().unwrap_or(8) as u32)?,
                character_rules(&rules)?,
            )
        }
        None if manual => {
            ask_password_policy(args.password_min_length, args.password_requires.as_deref())?
        }
        None => (
            check_min_length(args.password_min_length.unwrap_or(8))?,
            character_rules(args.password_requires.as_deref().unwrap_or_default())?,
        ),
    };
    let pool_name = match (
        &args.pool_name,
        user_pool.and_then(|u| u["userPoolName"].as_str()),
    ) {
        (Some(name), _) => name.clone(),
        (None, Some(name)) => name.to_owned(),
        (None, None) if manual => text_question(
            "--pool-name",
            "Provide your user pool name",
            &format!("{resource}_userpool"),
        )?,
        (None, None) => format!("{resource}_userpool"),
    };
    let inputs = json!({
        "version": "1",
        "cognitoConfig": {
            "identityPoolName": format!("{resource}_identitypool"),
            "allowUnauthenticatedIdentities": false,
            "resourceNameTruncated": resource.chars().take(8).collect::<String>(),
            "userPoolName": pool_name,
            "autoVerifiedAttributes": ["email"],
            "mfaConfiguration": "OFF",
            "mfaTypes": ["SMS Text Message"],
            "smsAuthenticationMessage": "Your authentication code is {####}",
            "smsVerificationMessage": "Your verification code is {####}",
            "emailVerificationSubject": "Your verification code",
            "emailVerificationMessage": "Your verification code is {####}",
            "defaultPasswordPolicy": false,
            "passwordPolicyMinLength": min_length,
            "passwordPolicyCharacters": characters,
            "requiredAttributes": required,
            "aliasAttributes": [],
            "userpoolClientGenerateSecret": false,
            "userpoolClientRefreshTokenValidity": 30,
            "userpoolClientWriteAttributes": ["email"],
            "userpoolClientReadAttributes": ["email"],
            "userpoolClientSetAttributes": false,
            "sharedId": &uuid::Uuid::new_v4().simple().to_string()[..8],
            "resourceName": resource,
            "authSelections": "identityPoolAndUserPool",
            "useDefault": if manual { "manual" } else { "default" },
            "usernameAttributes": if by_email { json!(["email"]) } else { json!([]) },
            "userPoolGroups": false,
            "userPoolGroupList": [],
            "adminQueries": false,
            "serviceName": "Cognito",
            "usernameCaseSensitive": false,
            "useEnabledMfas": true,
            "authRoleArn": {"Fn::GetAtt": ["AuthRole", "Arn"]},
            "unauthRoleArn": {"Fn::GetAtt": ["UnauthRole", "Arn"]},
            "breakCircularDependency": true,
            "dependsOn": []
        }
    });
    let mut backend = read_object(&layout.backend_config())?;
    object_at(&mut backend, "auth").insert(
        resource.clone(),
        json!({
            "service": "Cognito",
            "providerPlugin": "awscloudformation",
            "dependsOn": [],
            "customAuth": false,
            "frontendAuthConfig": {
                "socialProviders": [],
                "usernameAttributes": if by_email { json!(["EMAIL"]) } else { json!([]) },
                "signupAttributes": required.iter().map(|a| a.to_uppercase()).collect::<Vec<_>>(),
                "passwordProtectionSettings": {"passwordPolicyMinLength": min_length, "passwordPolicyCharacters": characters},
                "mfaConfiguration": "OFF",
                "mfaTypes": ["SMS"],
                "verificationMechanisms": ["EMAIL"]
            }
        }),
    );
    let mut changes = Changes::default();
    changes.json(layout.auth_inputs(&resource), inputs);
    changes.json(layout.backend_config(), Value::Object(backend));
    changes.write()?;
    println!("Successfully added resource {resource} locally");
    Ok(())
}

//! The project toolchain: `cognate init`, `add auth`, `update auth`, `status` and `push`, with
//! the Amplify CLI's questions and project files. Every question has a flag; a question whose
//! flag is missing is asked on the terminal, and is an error without one.

pub mod files;
pub mod profile;
pub mod push;

use std::io::IsTerminal;
use std::path::Path;

use serde_json::{json, Map, Value};

use files::{object_at, read_object, Changes, Layout};

pub use push::push;

#[derive(Debug)]
pub enum ProjectError {
    NoProject,
    Invalid(String),
    Io(String),
    Input(String),
    Server(String),
    Aborted,
}

impl std::fmt::Display for ProjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProjectError::NoProject => f.write_str("no Amplify project here (no amplify/.config/project-config.json); run `cognate init` first"),
            ProjectError::Invalid(m) | ProjectError::Io(m) | ProjectError::Input(m) | ProjectError::Server(m) => f.write_str(m),
            ProjectError::Aborted => f.write_str("nothing was changed"),
        }
    }
}

/// Asks a question when there is a terminal; otherwise the flag was required.
pub(crate) fn ask<T>(
    flag: &str,
    question: impl FnOnce() -> std::io::Result<T>,
) -> Result<T, ProjectError> {
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        question().map_err(|e| ProjectError::Input(format!("no answer: {e}")))
    } else {
        Err(ProjectError::Input(format!(
            "missing {flag} (no terminal to ask on)"
        )))
    }
}

fn text_question(flag: &str, prompt: &str, default: &str) -> Result<String, ProjectError> {
    ask(flag, || {
        dialoguer::Input::<String>::new()
            .with_prompt(prompt)
            .default(default.to_owned())
            .interact_text()
            .map_err(std::io::Error::other)
    })
}

/// Amplify's rule for group names: "Resource name should be alphanumeric".
pub fn check_group_name(name: &str) -> Result<(), ProjectError> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(ProjectError::Input(format!(
            "{name:?}: Resource name should be alphanumeric"
        )))
    }
}

// --- init --------------------------------------------------------------------------------------

#[derive(clap::Args, Debug, Default)]
pub struct InitArgs {
    /// Project name [asked; default: the directory's name]
    #[arg(long)]
    pub project_name: Option<String>,
    /// Environment name [asked; default: dev]
    #[arg(long)]
    pub env_name: Option<String>,
    /// Source directory of the app, where the client config goes [asked; default: src]
    #[arg(long)]
    pub source_dir: Option<String>,
    /// Build directory [asked; default: dist]
    #[arg(long)]
    pub build_dir: Option<String>,
    /// The cognate server [asked; default: http://127.0.0.1:9230]
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Profile to keep the server and credentials under [default: default]
    #[arg(long)]
    pub profile: Option<String>,
    /// Read the server's root credentials from this file (its data directory's `credentials`)
    #[arg(long)]
    pub credentials_file: Option<std::path::PathBuf>,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub access_key_id: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub secret_access_key: Option<String>,
    /// Take the default for every question not given as a flag
    #[arg(long)]
    pub yes: bool,
}

pub async fn init(dir: &Path, args: InitArgs) -> Result<(), ProjectError> {
    let layout = Layout::new(dir);
    // An existing Amplify project keeps its own answers as the defaults.
    let existing = files::read_value(&layout.project_config())?;
    let existing_text =
        |value: &Value, fallback: &str| value.as_str().unwrap_or(fallback).to_owned();
    let default_name: String = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("app")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let answer = |flag: &str, value: Option<String>, prompt: &str, default: &str| match value {
        Some(v) => Ok(v),
        None if args.yes => Ok(default.to_owned()),
        None => text_question(flag, prompt, default),
    };
    let default_name = existing_text(&existing["projectName"], &default_name);
    let default_source = existing_text(&existing["javascript"]["config"]["SourceDir"], "src");
    let default_build = existing_text(&existing["javascript"]["config"]["DistributionDir"], "dist");
    let project_name = answer(
        "--project-name",
        args.project_name.clone(),
        "Enter a name for the project",
        &default_name,
    )?;
    if project_name.is_empty()
        || !project_name.chars().all(|c| c.is_ascii_alphanumeric())
        || project_name.len() > 20
    {
        return Err(ProjectError::Input(format!(
            "{project_name:?}: the project name must be 1 to 20 letters and digits"
        )));
    }
    let env_name = answer(
        "--env-name",
        args.env_name.clone(),
        "Enter a name for the environment",
        "dev",
    )?;
    if !(2..=10).contains(&env_name.len()) || !env_name.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(ProjectError::Input(format!(
            "{env_name:?}: environment names are 2 to 10 lowercase letters"
        )));
    }
    let source_dir = answer(
        "--source-dir",
        args.source_dir.clone(),
        "Source Directory Path",
        &default_source,
    )?;
    let build_dir = answer(
        "--build-dir",
        args.build_dir.clone(),
        "Distribution Directory Path",
        &default_build,
    )?;
    let endpoint = answer(
        "--endpoint",
        args.endpoint.clone(),
        "cognate server endpoint",
        "http://127.0.0.1:9230",
    )?
    .trim_end_matches('/')
    .to_owned();
    let profile_name = args.profile.clone().unwrap_or_else(|| "default".into());
    let (access_key_id, secret_access_key) = match (
        &args.credentials_file,
        &args.access_key_id,
        &args.secret_access_key,
    ) {
        (Some(file), _, _) => profile::credentials_from_file(file)?,
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => match profile::load(&profile_name) {
            Ok(existing) => (existing.access_key_id, existing.secret_access_key),
            Err(_) => (
                text_question(
                    "--access-key-id",
                    "Access key id (the server's cognate-data/credentials)",
                    "",
                )?,
                text_question("--secret-access-key", "Secret access key", "")?,
            ),
        },
    };
    let profile = profile::Profile {
        endpoint,
        region: "us-east-1".into(),
        access_key_id,
        secret_access_key,
    };
    push::check_server(&profile).await?;

    let mut changes = Changes::default();
    let mut project = read_object(&layout.project_config())?;
    project.insert("projectName".into(), json!(project_name));
    project.entry("version").or_insert(json!("3.1"));
    project.entry("frontend").or_insert(json!("javascript"));
    let javascript = object_at(&mut project, "javascript");
    javascript.entry("framework").or_insert(json!("react"));
    let config = object_at(javascript, "config");
    config.insert("SourceDir".into(), json!(source_dir));
    config.insert("DistributionDir".into(), json!(build_dir));
    config
        .entry("BuildCommand")
        .or_insert(json!("npm run-script build"));
    config
        .entry("StartCommand")
        .or_insert(json!("npm run-script start"));
    project
        .entry("providers")
        .or_insert(json!(["awscloudformation"]));
    changes.json(layout.project_config(), Value::Object(project));

    let mut env_info = read_object(&layout.local_env_info())?;
    env_info.insert("projectPath".into(), json!(dir.display().to_string()));
    env_info.entry("defaultEditor").or_insert(json!("none"));
    env_info.insert("envName".into(), json!(env_name));
    changes.json(layout.local_env_info(), Value::Object(env_info));

    let mut aws_info = read_object(&layout.local_aws_info())?;
    aws_info.insert(
        env_name.clone(),
        json!({"configLevel": "project", "useProfile": true, "profileName": profile_name}),
    );
    changes.json(layout.local_aws_info(), Value::Object(aws_info));

    let mut teams = read_object(&layout.team_provider_info())?;
    let env = object_at(&mut teams, &env_name);
    let provider = object_at(env, "awscloudformation");
    provider.insert("Region".into(), json!(profile.region));
    provider
        .entry("StackName")
        .or_insert(json!(format!("amplify-{project_name}-{env_name}")));
    changes.json(layout.team_provider_info(), Value::Object(teams));

    if !layout.backend_config().exists() {
        changes.json(layout.backend_config(), json!({}));
    }
    profile::save(&profile_name, &profile)?;
    changes.write()?;
    println!(
        "Project {project_name} initialized (environment {env_name}, server {}).",
        profile.endpoint
    );
    println!("Some next steps:\n\"cognate add auth\" adds user sign-in\n\"cognate push\" builds the backend on the server");
    Ok(())
}

// --- auth settings ---------------------------------------------------------------------------

/// The auth resource of a project and what cognate reads from it.
pub struct Auth {
    pub resource: String,
    pub inputs: Map<String, Value>,
}

impl Auth {
    pub fn find(layout: &Layout) -> Result<Option<Auth>, ProjectError> {
        let backend = read_object(&layout.backend_config())?;
        let resource = backend
            .get("auth")
            .and_then(Value::as_object)
            .and_then(|auth| {
                auth.iter()
                    .find(|(_, r)| r["service"] == "Cognito")
                    .map(|(name, _)| name.clone())
            });
        match resource {
            None => Ok(None),
            Some(resource) => {
                let inputs = read_object(&layout.auth_inputs(&resource))?;
                Ok(Some(Auth { resource, inputs }))
            }
        }
    }

    fn cognito(&self) -> &Value {
        &self.inputs["cognitoConfig"]
    }

    pub fn pool_name(&self) -> String {
        self.cognito()["userPoolName"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}_userpool", self.resource))
    }

    pub fn signs_in_with_email(&self) -> bool {
        self.cognito()["usernameAttributes"]
            .as_array()
            .is_some_and(|a| {
                a.iter()
                    .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("email")))
            })
    }

    /// Standard attributes required at sign-up (Amplify keeps them in lower case).
    pub fn required_attributes(&self) -> Vec<String> {
        self.cognito()["requiredAttributes"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|a| a.as_str().map(str::to_lowercase))
                    .collect()
            })
            .unwrap_or_else(|| vec!["email".into()])
    }

    /// The password policy in Cognito's shape, from Amplify's `passwordPolicyMinLength` and
    /// `passwordPolicyCharacters` ("Requires Lowercase", "Requires Uppercase", ...).
    pub fn password_policy(&self) -> Value {
        let c = self.cognito();
        let characters: Vec<&str> = c["passwordPolicyCharacters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let requires = |what: &str| {
            characters
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&format!("Requires {what}")))
        };
        json!({
            "MinimumLength": c["passwordPolicyMinLength"].as_u64().or_else(|| c["passwordPolicyMinLength"].as_str().and_then(|s| s.parse().ok())).unwrap_or(8),
            "RequireLowercase": requires("Lowercase"),
            "RequireUppercase": requires("Uppercase"),
            "RequireNumbers": requires("Numbers"),
            "RequireSymbols": requires("Symbols"),
            "TemporaryPasswordValidityDays": 7,
        })
    }

    /// The groups in precedence order (first is precedence 1).
    pub fn groups(&self, layout: &Layout) -> Result<Vec<String>, ProjectError> {
        if let Some(Value::Array(entries)) = files::read_json(&layout.group_precedence())? {
            let mut sorted: Vec<(i64, String)> = entries
                .iter()
                .filter_map(|e| {
                    Some((
                        e["precedence"].as_i64().unwrap_or(i64::MAX),
                        e["groupName"].as_str()?.to_owned(),
                    ))
                })
                .collect();
            sorted.sort();
            return Ok(sorted.into_iter().map(|(_, name)| name).collect());
        }
        Ok(self.cognito()["userPoolGroupList"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// None: no Admin Queries API. Some(empty): any signed-in user. Otherwise the allowed groups
    /// (Amplify's `adminQueryGroup`, or cognate's `adminQueryGroups` for several).
    pub fn admin_queries(&self) -> Option<Vec<String>> {
        let c = self.cognito();
        if c["adminQueries"] != json!(true) {
            return None;
        }
        if let Some(list) = c["adminQueryGroups"].as_array() {
            return Some(
                list.iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect(),
            );
        }
        Some(
            c["adminQueryGroup"]
                .as_str()
                .filter(|g| !g.is_empty())
                .map(|g| vec![g.to_owned()])
                .unwrap_or_default(),
        )
    }
}

// --- add auth ----------------------------------------------------------------------------------

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
            "authSelections": "userPoolOnly",
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

const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];
const CHARACTER_RULES: &[&str] = &[
    "Requires Lowercase",
    "Requires Uppercase",
    "Requires Numbers",
    "Requires Symbols",
];

fn check_required_attributes(list: &[String]) -> Result<Vec<String>, ProjectError> {
    list.iter()
        .map(|a| {
            let a = a.trim().to_lowercase();
            if STANDARD_ATTRIBUTES.contains(&a.as_str()) {
                Ok(a)
            } else {
                Err(ProjectError::Input(format!(
                    "{a:?} is not a standard attribute ({})",
                    STANDARD_ATTRIBUTES.join(", ")
                )))
            }
        })
        .collect()
}

/// `lowercase,numbers` → Amplify's `["Requires Lowercase", "Requires Numbers"]`.
fn character_rules(list: &[String]) -> Result<Vec<String>, ProjectError> {
    list.iter()
        .map(|r| {
            let wanted = format!(
                "requires {}",
                r.trim()
                    .trim_start_matches("requires ")
                    .trim_start_matches("require_")
                    .to_lowercase()
            );
            CHARACTER_RULES
                .iter()
                .find(|rule| rule.to_lowercase() == wanted)
                .map(|rule| rule.to_string())
                .ok_or_else(|| {
                    ProjectError::Input(format!(
                        "{r:?}: password rules are lowercase, uppercase, numbers and symbols"
                    ))
                })
        })
        .collect()
}

fn check_min_length(length: u32) -> Result<u32, ProjectError> {
    if (6..=99).contains(&length) {
        Ok(length)
    } else {
        Err(ProjectError::Input(format!(
            "the password minimum length must be from 6 to 99, not {length}"
        )))
    }
}

fn ask_required_attributes(default: &[String]) -> Result<Vec<String>, ProjectError> {
    let picked = ask("--required-attributes", || {
        let defaults: Vec<bool> = STANDARD_ATTRIBUTES
            .iter()
            .map(|a| default.iter().any(|d| d == a))
            .collect();
        dialoguer::MultiSelect::new()
            .with_prompt("What attributes are required for signing up? (space to toggle)")
            .items(STANDARD_ATTRIBUTES)
            .defaults(&defaults)
            .interact()
            .map_err(std::io::Error::other)
    })?;
    Ok(picked
        .into_iter()
        .map(|i| STANDARD_ATTRIBUTES[i].to_owned())
        .collect())
}

fn ask_password_policy(
    min_flag: Option<u32>,
    rules_flag: Option<&[String]>,
) -> Result<(u32, Vec<String>), ProjectError> {
    let min = match min_flag {
        Some(m) => m,
        None => text_question(
            "--password-min-length",
            "Enter the minimum password length for this User Pool",
            "8",
        )?
        .parse()
        .map_err(|_| ProjectError::Input("the minimum length must be a number".into()))?,
    };
    let rules = match rules_flag {
        Some(r) => character_rules(r)?,
        None => {
            let picked = ask("--password-requires", || {
                dialoguer::MultiSelect::new()
                    .with_prompt("Select the password character requirements for your userpool (space to toggle)")
                    .items(CHARACTER_RULES)
                    .interact()
                    .map_err(std::io::Error::other)
            })?;
            picked
                .into_iter()
                .map(|i| CHARACTER_RULES[i].to_owned())
                .collect()
        }
    };
    Ok((check_min_length(min)?, rules))
}

fn read_stdin_json() -> Result<Value, ProjectError> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| ProjectError::Io(e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|e| ProjectError::Input(format!("the headless input is not JSON: {e}")))
}

// --- update auth -------------------------------------------------------------------------------

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

fn update_interactively(
    current_groups: &[String],
    current_aq: &Option<Vec<String>>,
) -> Result<AuthUpdate, ProjectError> {
    let actions = [
        "Create or update Cognito user pool groups",
        "Create or update Admin queries API",
        "Update the password policy",
        "I'm done",
    ];
    let mut update = AuthUpdate::default();
    loop {
        let picked = ask("--groups or --admin-queries-groups", || {
            dialoguer::Select::new()
                .with_prompt("What do you want to do?")
                .items(&actions)
                .default(0)
                .interact()
                .map_err(std::io::Error::other)
        })?;
        match picked {
            0 => {
                let mut groups: Vec<String> = update
                    .groups
                    .clone()
                    .unwrap_or_else(|| current_groups.to_vec());
                if !groups.is_empty() {
                    let keep = ask("--groups", || {
                        dialoguer::MultiSelect::new()
                            .with_prompt(
                                "Select any user pool groups you want to keep (space to toggle)",
                            )
                            .items(&groups)
                            .defaults(&vec![true; groups.len()])
                            .interact()
                            .map_err(std::io::Error::other)
                    })?;
                    groups = keep.into_iter().map(|i| groups[i].clone()).collect();
                }
                loop {
                    let name = text_question(
                        "--groups",
                        "Provide a name for your user pool group (empty when done)",
                        "",
                    )?;
                    if name.is_empty() {
                        break;
                    }
                    check_group_name(&name)?;
                    if !groups.contains(&name) {
                        groups.push(name);
                    }
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
                update.groups = Some(groups);
            }
            1 => {
                let groups = update
                    .groups
                    .clone()
                    .unwrap_or_else(|| current_groups.to_vec());
                let restrict = ask("--admin-queries-groups", || {
                    dialoguer::Confirm::new()
                        .with_prompt("Do you want to restrict access to the admin queries API to specific groups?")
                        .default(current_aq.as_ref().is_none_or(|g| !g.is_empty()))
                        .interact()
                        .map_err(std::io::Error::other)
                })?;
                if restrict {
                    if groups.is_empty() {
                        return Err(ProjectError::Input(
                            "there are no user pool groups to restrict to; create them first"
                                .into(),
                        ));
                    }
                    let picked = loop {
                        let picked = ask("--admin-queries-groups", || {
                            dialoguer::MultiSelect::new()
                                .with_prompt(
                                    "Select the groups to restrict access with (space to toggle)",
                                )
                                .items(&groups)
                                .interact()
                                .map_err(std::io::Error::other)
                        })?;
                        if !picked.is_empty() {
                            break picked;
                        }
                        eprintln!(
                            "Select at least one group, or answer no to let any signed-in user in."
                        );
                    };
                    update.admin_queries = Some(Some(
                        picked.into_iter().map(|i| groups[i].clone()).collect(),
                    ));
                } else {
                    update.admin_queries = Some(Some(vec![]));
                }
            }
            2 => update.password = Some(ask_password_policy(None, None)?),
            _ => return Ok(update),
        }
    }
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

// --- status ------------------------------------------------------------------------------------

pub fn status(dir: &Path) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let env = files::read_value(&layout.local_env_info())?["envName"]
        .as_str()
        .unwrap_or("dev")
        .to_owned();
    println!("\n    Current Environment: {env}\n");
    let rows = push::status_rows(&layout)?;
    let header = ["Category", "Resource name", "Operation", "Provider plugin"];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule = |left: &str, middle: &str, right: &str| {
        let bars: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        println!("{left}{}{right}", bars.join(middle));
    };
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect();
        println!("│{}│", padded.join("│"));
    };
    rule("┌", "┬", "┐");
    line(header);
    rule("├", "┼", "┤");
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
    rule("└", "┴", "┘");
    let meta = files::read_value(&layout.amplify_meta())?;
    if let Some(url) = meta["api"]["AdminQueries"]["output"]["RootUrl"].as_str() {
        println!("\nREST API endpoint: {url}");
    }
    if let Some(endpoint) = meta["providers"]["cognate"]["Endpoint"].as_str() {
        println!("Cognito endpoint: {endpoint}");
    }
    Ok(())
}

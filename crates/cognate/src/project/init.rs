//! `cognate init`: the project's name, environment, directories, and the server it pushes to.

use std::path::Path;

use serde_json::{json, Value};

use super::files::{self, object_at, read_object, Changes, Layout};
use super::prompts::{secret_question, select, text_question};
use super::{frontend, profile, push, ProjectError};

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
    /// Build directory [asked; default: build for Create React App, dist otherwise]
    #[arg(long)]
    pub build_dir: Option<String>,
    /// The cognate server [asked; default: http://127.0.0.1:9230]
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Profile to keep the server's credentials under [default: <project>-<env>, this project's own]
    #[arg(long)]
    pub profile: Option<String>,
    /// Read the server's root credentials from this file (its data directory's `credentials`)
    #[arg(long)]
    pub credentials_file: Option<std::path::PathBuf>,
    /// Take the credentials from this profile of the AWS credentials file
    /// (`AWS_SHARED_CREDENTIALS_FILE`, or `~/.aws/credentials`)
    #[arg(long)]
    pub aws_profile: Option<String>,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub access_key_id: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub secret_access_key: Option<String>,
    /// Take the default for every question not given as a flag
    #[arg(long)]
    pub yes: bool,
}

/// Amplify's "Select the authentication method you want to use", with the server's own
/// credentials file first. Secrets are not echoed.
fn ask_credentials(current: Option<&profile::Profile>) -> Result<(String, String), ProjectError> {
    let flag = "--credentials-file, --aws-profile or --access-key-id and --secret-access-key";
    let mut methods = vec![
        "The server's credentials file (cognate-data/credentials)",
        "AWS profile",
        "AWS access keys",
    ];
    if current.is_some() {
        methods.push("Keep the credentials this project has");
    }
    let default = if current.is_some() { 3 } else { 0 };
    match select(
        flag,
        "Select the authentication method you want to use:",
        &methods,
        default,
    )? {
        0 => {
            let path = text_question(
                "--credentials-file",
                "Path to the server's credentials file",
                "cognate-data/credentials",
            )?;
            profile::credentials_from_file(Path::new(&path))
        }
        1 => {
            let names = profile::aws_profile_names()?;
            if names.is_empty() {
                return Err(ProjectError::Input(format!(
                    "{} has no profiles; choose another authentication method",
                    profile::aws_credentials_path().display()
                )));
            }
            let picked = select(
                "--aws-profile",
                "Please choose the profile you want to use",
                &names,
                0,
            )?;
            profile::aws_profile(&names[picked])
        }
        2 => Ok((
            text_question("--access-key-id", "accessKeyId:", "")?,
            secret_question("--secret-access-key", "secretAccessKey:")?,
        )),
        _ => {
            let current = current.expect("offered only with credentials");
            Ok((
                current.access_key_id.clone(),
                current.secret_access_key.clone(),
            ))
        }
    }
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
    let detected = frontend::detect(dir);
    let default_build = existing_text(
        &existing["javascript"]["config"]["DistributionDir"],
        detected.distribution_dir,
    );
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
    // The project's own profile unless one is named: another project's `init` must not move
    // this one to another server or change its credentials.
    let profile_name = args
        .profile
        .clone()
        .unwrap_or_else(|| format!("{project_name}-{env_name}"));
    let previous_profile = profile::load(&profile_name).ok();
    let (access_key_id, secret_access_key) = match (
        &args.credentials_file,
        &args.aws_profile,
        &args.access_key_id,
        &args.secret_access_key,
    ) {
        (Some(file), _, _, _) => profile::credentials_from_file(file)?,
        (None, Some(name), _, _) => profile::aws_profile(name)?,
        (None, None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => match &previous_profile {
            // Without a terminal to ask on, or told to take the defaults, keep what it has.
            Some(existing) if args.yes || !super::prompts::can_ask() => (
                existing.access_key_id.clone(),
                existing.secret_access_key.clone(),
            ),
            _ => ask_credentials(previous_profile.as_ref())?,
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
    javascript
        .entry("framework")
        .or_insert(json!(detected.framework));
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

    let recorded = push::recorded_endpoint(&layout, &env_name)?;
    let mut teams = read_object(&layout.team_provider_info())?;
    let env = object_at(&mut teams, &env_name);
    object_at(env, "cognate").insert("Endpoint".into(), json!(profile.endpoint));
    let provider = object_at(env, "awscloudformation");
    provider.insert("Region".into(), json!(profile.region));
    provider
        .entry("StackName")
        .or_insert(json!(format!("amplify-{project_name}-{env_name}")));
    changes.json(layout.team_provider_info(), Value::Object(teams));

    changes.text(dir.join(".gitignore"), frontend::gitignore(dir)?);
    if !layout.backend_config().exists() {
        changes.json(layout.backend_config(), json!({}));
    }
    profile::save(&profile_name, &profile)?;
    changes.write()?;
    // A change of server is said, never silent.
    if let Some(old) = recorded.filter(|old| *old != profile.endpoint) {
        println!(
            "Environment {env_name} now pushes to {} (it pushed to {old}).",
            profile.endpoint
        );
    }
    if let Some(old) = previous_profile.filter(|old| old.endpoint != profile.endpoint) {
        println!(
            "Profile {profile_name:?} now names {} (it named {}); projects that share it must run `cognate init` to follow.",
            profile.endpoint, old.endpoint
        );
    }
    println!(
        "Project {project_name} initialized (environment {env_name}, server {}).",
        profile.endpoint
    );
    println!("Some next steps:\n\"cognate add auth\" adds user sign-in\n\"cognate push\" builds the backend on the server");
    Ok(())
}

//! `cognate add api`, `update api` and `remove api` for REST: the Amplify CLI's questions
//! (friendly name, path, what serves it, "Restrict API access?", who, each group's rights,
//! another path?), with the upstream URL of an HTTP service where Amplify asks for a function.

use std::collections::BTreeMap;
use std::path::Path;

use cognate_core::rest_api::ResourcePath;
use cognate_core::service::check_upstream;
use serde_json::Value;

use super::api::{parse_cruds, Access, ApiPath, Crud, RestApi};
use super::auth::Auth;
use super::files::{
    object_at, pick_resource, read_object, remove_resource, Changes, Layout, ResourceWords,
};
use super::prompts::{
    ask_choices, ask_group_rights, confirm, confirm_removal, select, text_question,
};
use super::ProjectError;

const DEFAULT_UPSTREAM: &str = "http://127.0.0.1:8080";

#[derive(clap::Args, Debug, Default)]
pub struct ApiArgs {
    /// The kind of API: rest (graphql is not built yet) [asked; default: rest]
    #[arg(long, value_parser = ["rest", "graphql"])]
    pub service: Option<String>,
    /// Friendly name of the resource [default: api + 8 hex digits]
    #[arg(long)]
    pub resource_name: Option<String>,
    /// A path, as API Gateway writes it (/items, /book/{isbn}); once per path; `update api` adds
    /// it or changes it [asked]
    #[arg(long = "path")]
    pub paths: Vec<String>,
    /// The URL of the HTTP service that answers the paths, where Amplify asks for a Lambda
    /// function (the request's path is appended) [asked; default: http://127.0.0.1:8080]
    #[arg(long)]
    pub upstream: Option<String>,
    /// Restrict API access (no: anyone may call the paths) [asked; default: true]
    #[arg(long)]
    pub restrict: Option<bool>,
    /// Restrict access by: auth-guest (Auth/Guest Users), groups (Individual Groups) or both
    /// [asked when the project has groups; default: auth-guest]
    #[arg(long, value_parser = ["auth-guest", "groups", "both"])]
    pub restrict_access_by: Option<String>,
    /// Who should have access: auth (Authenticated users only) or auth-and-guest [asked]
    #[arg(long, value_parser = ["auth", "auth-and-guest"])]
    pub access: Option<String>,
    /// Authenticated users' permissions, comma-separated: create, read, update, delete [asked]
    #[arg(long, value_delimiter = ',')]
    pub auth_access: Option<Vec<String>>,
    /// Guest users' permissions, comma-separated [asked]
    #[arg(long, value_delimiter = ',')]
    pub guest_access: Option<Vec<String>>,
    /// A group's permissions, as GROUP=PERMISSION,PERMISSION (e.g. admin=create,read); once per
    /// group, and only those groups get access [asked]
    #[arg(long = "group-access")]
    pub group_access: Vec<String>,
    /// `update api`: take this path out of the API; once per path
    #[arg(long = "remove-path")]
    pub remove_paths: Vec<String>,
}

#[derive(clap::Args, Debug, Default)]
pub struct RemoveApiArgs {
    /// The resource to remove [default: the project's only REST API]
    #[arg(long)]
    pub resource_name: Option<String>,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
}

fn pick(layout: &Layout, name: Option<&str>) -> Result<RestApi, ProjectError> {
    pick_resource(
        RestApi::all(layout)?,
        name,
        |a| a.resource.as_str(),
        ResourceWords {
            one: "REST API",
            many: "REST APIs",
            none: "this project has no REST API; run `cognate add api`",
        },
    )
}

fn check_path(path: &str, api: &RestApi, replacing: bool) -> Result<(), ProjectError> {
    ResourcePath::parse(path).map_err(|e| ProjectError::Input(e.message().to_owned()))?;
    if path.ends_with("{proxy+}") {
        return Err(ProjectError::Input(format!(
            "{path}: give the path without {{proxy+}}; every path also serves everything below it"
        )));
    }
    if !replacing && api.paths.iter().any(|p| p.path == path) {
        return Err(ProjectError::Input(format!(
            "{path} is already a path of {}",
            api.resource
        )));
    }
    Ok(())
}

pub fn add_api(dir: &Path, args: ApiArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let service = match args.service.as_deref() {
        Some(s) => s.to_owned(),
        None => ["graphql", "rest"][select(
            "--service",
            "Select from one of the below mentioned services:",
            &["GraphQL", "REST"],
            1,
        )?]
        .to_owned(),
    };
    if service == "graphql" {
        return Err(ProjectError::Input(
            "GraphQL APIs are not built in cognate yet; choose REST (`--service rest`)".into(),
        ));
    }
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let resource = match &args.resource_name {
        Some(name) => name.clone(),
        None => text_question(
            "--resource-name",
            "Provide a friendly name for your resource to be used as a label for this category in the project:",
            &format!("api{suffix}"),
        )?,
    };
    super::check_group_name(&resource).map_err(|_| {
        ProjectError::Input(format!(
            "{resource:?}: the resource name must be letters and digits"
        ))
    })?;
    let backend = read_object(&layout.backend_config())?;
    if resource == "AdminQueries" || backend.get("api").and_then(|a| a.get(&resource)).is_some() {
        return Err(ProjectError::Input(format!(
            "api {resource:?} is already in this project; use `cognate update api`"
        )));
    }
    let mut api = RestApi {
        resource,
        paths: Vec::new(),
    };
    if args.paths.is_empty() {
        loop {
            let path = text_question(
                "--path",
                "Provide a path (e.g., /book/{isbn}):",
                if api.paths.is_empty() { "/items" } else { "" },
            )?;
            check_path(&path, &api, false)?;
            let answered = ask_path(&layout, &args, &path, None)?;
            api.paths.push(answered);
            if !confirm("--path", "Do you want to add another path?", false)? {
                break;
            }
        }
    } else {
        for path in &args.paths {
            check_path(path, &api, false)?;
            let answered = ask_path(&layout, &args, path, None)?;
            api.paths.push(answered);
        }
    }
    save(&layout, &api)?;
    println!(
        "✔ Added REST API {} ({}); `cognate push` creates it with its policies",
        api.resource,
        api.paths
            .iter()
            .map(|p| p.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

pub fn update_api(dir: &Path, args: ApiArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let mut api = pick(&layout, args.resource_name.as_deref())?;
    let mut targets: Vec<String> = args.paths.clone();
    let mut removals: Vec<String> = args.remove_paths.clone();
    if targets.is_empty() && removals.is_empty() {
        let action = select(
            "--path or --remove-path",
            "What would you like to do?",
            &["Add another path", "Update path", "Remove path"],
            0,
        )?;
        let names: Vec<String> = api.paths.iter().map(|p| p.path.clone()).collect();
        match action {
            0 => targets.push(text_question(
                "--path",
                "Provide a path (e.g., /book/{isbn}):",
                "",
            )?),
            1 => {
                targets.push(names[select("--path", "Select the path to edit", &names, 0)?].clone())
            }
            _ => removals.push(
                names[select("--remove-path", "Select the path to remove", &names, 0)?].clone(),
            ),
        }
    }
    for path in &removals {
        let before = api.paths.len();
        api.paths.retain(|p| &p.path != path);
        if api.paths.len() == before {
            return Err(ProjectError::Input(format!(
                "{path} is not a path of {}",
                api.resource
            )));
        }
    }
    for path in &targets {
        let existing = api.paths.iter().position(|p| &p.path == path);
        check_path(path, &api, existing.is_some())?;
        let current = existing.map(|i| api.paths[i].clone());
        let answered = ask_path(&layout, &args, path, current.as_ref())?;
        match existing {
            Some(i) => api.paths[i] = answered,
            None => api.paths.push(answered),
        }
    }
    if api.paths.is_empty() {
        return Err(ProjectError::Input(format!(
            "{} would have no paths left; remove the API with `cognate remove api`",
            api.resource
        )));
    }
    save(&layout, &api)?;
    println!(
        "✔ Updated REST API {}; `cognate push` applies it",
        api.resource
    );
    Ok(())
}

pub fn remove_api(dir: &Path, args: RemoveApiArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let api = pick(&layout, args.resource_name.as_deref())?;
    confirm_removal(&api.resource, args.yes)?;
    remove_resource(
        &layout,
        "api",
        &api.resource,
        &layout.api_dir(&api.resource),
    )?;
    println!(
        "✔ Removed REST API {}; the next `cognate push` deletes it from the gateway and takes its policies off the roles",
        api.resource
    );
    Ok(())
}

/// A path's upstream and access, each answered by its flag or asked.
fn ask_path(
    layout: &Layout,
    args: &ApiArgs,
    path: &str,
    current: Option<&ApiPath>,
) -> Result<ApiPath, ProjectError> {
    let upstream = match &args.upstream {
        Some(url) => url.clone(),
        None => text_question(
            "--upstream",
            &format!("Provide the URL of the HTTP service that serves {path} (cognate's stand-in for a Lambda function):"),
            current
                .and_then(|c| c.upstream.as_deref())
                .unwrap_or(DEFAULT_UPSTREAM),
        )?,
    };
    check_upstream(&upstream).map_err(|e| ProjectError::Input(e.message().to_owned()))?;
    let access_flags = args.restrict.is_some()
        || args.restrict_access_by.is_some()
        || args.access.is_some()
        || args.auth_access.is_some()
        || args.guest_access.is_some()
        || !args.group_access.is_empty();
    // `update api --path P --upstream URL` alone gives a path its service and keeps its access
    // (what push asks of an Amplify project's path served by a function).
    if let (Some(current), Some(_), false) = (current, &args.upstream, access_flags) {
        return Ok(ApiPath {
            upstream: Some(upstream),
            ..current.clone()
        });
    }
    let restrict = match args.restrict {
        Some(answer) => answer,
        None if !args.group_access.is_empty() || args.auth_access.is_some() => true,
        None => confirm(
            "--restrict",
            "Restrict API access?",
            current.is_none_or(|c| c.access.is_some()),
        )?,
    };
    let access = if restrict {
        let auth = Auth::find(layout)?.ok_or_else(|| {
            ProjectError::Input(
                "restricting access needs auth (an identity pool's roles): run `cognate add auth` first, or answer --restrict false"
                    .into(),
            )
        })?;
        Some(ask_access(
            layout,
            &auth,
            args,
            current.and_then(|c| c.access.as_ref()),
        )?)
    } else {
        None
    };
    Ok(ApiPath {
        path: path.to_owned(),
        upstream: Some(upstream),
        lambda_function: current.and_then(|c| c.lambda_function.clone()),
        access,
    })
}

fn ask_cruds(flag: &str, prompt: &str, current: &[Crud]) -> Result<Vec<Crud>, ProjectError> {
    ask_choices(flag, prompt, &Crud::ALL, Crud::word, current)
}

fn ask_access(
    layout: &Layout,
    auth: &Auth,
    args: &ApiArgs,
    current: Option<&Access>,
) -> Result<Access, ProjectError> {
    let groups = auth.groups(layout)?;
    let had_groups = current.is_some_and(|c| !c.groups.is_empty());
    let by = match args.restrict_access_by.as_deref() {
        Some(by) => by.to_owned(),
        None if !args.group_access.is_empty() && args.auth_access.is_none() => "groups".to_owned(),
        None if groups.is_empty() => "auth-guest".to_owned(),
        None => ["auth-guest", "groups", "both"][select(
            "--restrict-access-by",
            "Restrict access by:",
            &["Auth/Guest Users", "Individual Groups", "Both"],
            usize::from(had_groups),
        )?]
        .to_owned(),
    };
    let mut access = Access::default();
    if by != "groups" {
        access.guests = match args.access.as_deref() {
            Some(who) => who == "auth-and-guest",
            None => {
                select(
                    "--access",
                    "Who should have access?",
                    &["Authenticated users only", "Authenticated and Guest users"],
                    usize::from(current.is_some_and(|c| c.guests)),
                )? == 1
            }
        };
        access.auth = match &args.auth_access {
            Some(list) => parse_cruds(list)?,
            None => ask_cruds(
                "--auth-access",
                "What permissions do you want to grant to Authenticated users?",
                current.map_or(&[][..], |c| &c.auth),
            )?,
        };
        if access.guests {
            access.guest = match &args.guest_access {
                Some(list) => parse_cruds(list)?,
                None => ask_cruds(
                    "--guest-access",
                    "What permissions do you want to grant to Guest users?",
                    current.map_or(&[][..], |c| &c.guest),
                )?,
            };
        }
    }
    if by != "auth-guest" {
        access.groups = ask_groups(args, &groups, current.map(|c| &c.groups))?;
    }
    if access.auth.is_empty() && access.guest.is_empty() && access.groups.is_empty() {
        return Err(ProjectError::Input(
            "nobody could call the path: give auth, guest or group permissions, or answer --restrict false".into(),
        ));
    }
    Ok(access)
}

fn ask_groups(
    args: &ApiArgs,
    groups: &[String],
    current: Option<&BTreeMap<String, Vec<Crud>>>,
) -> Result<BTreeMap<String, Vec<Crud>>, ProjectError> {
    ask_group_rights(
        &args.group_access,
        groups,
        current,
        "admin=create,read",
        |rights| parse_cruds(&[rights.to_owned()]),
        |group, before| {
            ask_cruds(
                "--group-access",
                &format!("What permissions do you want to grant to {group} users?"),
                before,
            )
        },
    )
}

/// Writes the API's cli-inputs.json and its backend-config.json entry; guest access turns on
/// guest identities, as for storage.
fn save(layout: &Layout, api: &RestApi) -> Result<(), ProjectError> {
    let auth = Auth::find(layout)?;
    let mut backend = read_object(&layout.backend_config())?;
    object_at(&mut backend, "api").insert(
        api.resource.clone(),
        api.backend_entry(auth.as_ref().map(|a| a.resource.as_str())),
    );
    let mut changes = Changes::default();
    changes.json(layout.api_inputs(&api.resource), api.inputs());
    changes.json(layout.backend_config(), Value::Object(backend));
    let guests = api
        .paths
        .iter()
        .any(|p| p.access.as_ref().is_some_and(|a| a.guests));
    if let (true, Some(auth)) = (guests, &auth) {
        auth.let_guests_in(layout, &mut changes);
    }
    changes.write()
}

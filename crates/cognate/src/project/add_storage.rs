//! `cognate add storage`, `update storage` and `remove storage`: an S3 bucket with the Amplify
//! CLI's questions (service, names, who has access, each group's rights, a Lambda trigger).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::auth::Auth;
use super::files::{
    object_at, pick_resource, read_object, remove_resource, Changes, Layout, ResourceWords,
};
use super::prompts::{
    ask_choices, ask_group_rights, confirm, confirm_removal, select, text_question,
};
use super::storage::{Permission, Storage};
use super::ProjectError;

#[derive(clap::Args, Debug, Default)]
pub struct StorageArgs {
    /// The service: content (images, audio, video, etc.) [asked; default: content]
    #[arg(long, value_parser = ["content", "nosql"])]
    pub service: Option<String>,
    /// Friendly name of the resource [default: s3 + 8 hex digits]
    #[arg(long)]
    pub resource_name: Option<String>,
    /// The bucket's name [default: <project>-storage-<8 hex digits>]
    #[arg(long)]
    pub bucket_name: Option<String>,
    /// Restrict access by: auth-guest (Auth/Guest Users), groups (Individual Groups) or both
    /// [asked when the project has groups; default: auth-guest]
    #[arg(long, value_parser = ["auth-guest", "groups", "both"])]
    pub restrict_access_by: Option<String>,
    /// Who should have access: auth (Auth users only) or auth-and-guest [asked]
    #[arg(long, value_parser = ["auth", "auth-and-guest"])]
    pub access: Option<String>,
    /// Authenticated users' rights, comma-separated: create/update, read, delete [asked]
    #[arg(long, value_delimiter = ',')]
    pub auth_access: Option<Vec<String>>,
    /// Guest users' rights, comma-separated: create/update, read, delete [asked]
    #[arg(long, value_delimiter = ',')]
    pub guest_access: Option<Vec<String>>,
    /// A group's rights, as GROUP=RIGHT,RIGHT (e.g. admin=create/update,read,delete); once per
    /// group, and only those groups get access [asked]
    #[arg(long = "group-access")]
    pub group_access: Vec<String>,
    /// Add a Lambda trigger for the bucket: cognate runs no functions, so this is refused [asked; default: no]
    #[arg(long)]
    pub trigger: Option<bool>,
}

#[derive(clap::Args, Debug, Default)]
pub struct RemoveStorageArgs {
    /// The resource to remove [default: the project's only storage resource]
    #[arg(long)]
    pub resource_name: Option<String>,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
}

fn spoken(list: &[Permission]) -> String {
    list.iter()
        .map(|p| p.spoken())
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_rights(list: &[String]) -> Result<Vec<Permission>, ProjectError> {
    let mut rights = Vec::new();
    for raw in list {
        let right = Permission::parse(raw.trim())?;
        if !rights.contains(&right) {
            rights.push(right);
        }
    }
    Ok(rights)
}

/// A multiple choice of rights, at least one.
fn ask_rights(
    flag: &str,
    prompt: &str,
    current: &[Permission],
) -> Result<Vec<Permission>, ProjectError> {
    ask_choices(flag, prompt, &Permission::ALL, Permission::spoken, current)
}

/// The project's storage resource named `name`, or its only one.
fn pick(layout: &Layout, name: Option<&str>) -> Result<Storage, ProjectError> {
    pick_resource(
        Storage::all(layout)?,
        name,
        |s| s.resource.as_str(),
        ResourceWords {
            one: "storage resource",
            many: "storage resources",
            none: "this project has no storage; run `cognate add storage`",
        },
    )
}

fn check_bucket_name(name: &str) -> Result<(), ProjectError> {
    cognate_core::storage::BucketName::parse(name).map(|_| ()).map_err(|_| {
        ProjectError::Input(format!(
            "{name:?} is not a valid bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit"
        ))
    })
}

pub fn add_storage(dir: &Path, args: StorageArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let auth = Auth::find(&layout)?.ok_or_else(|| {
        ProjectError::Input("storage needs auth: run `cognate add auth` first".into())
    })?;
    let project = Value::Object(read_object(&layout.project_config())?);
    let project_name = project["projectName"]
        .as_str()
        .unwrap_or("app")
        .to_lowercase();
    let service = match args.service.as_deref() {
        Some(s) => s.to_owned(),
        None => ["content", "nosql"][select(
            "--service",
            "Select from one of the below mentioned services:",
            &["Content (Images, audio, video, etc.)", "NoSQL Database"],
            0,
        )?]
        .to_owned(),
    };
    if service == "nosql" {
        return Err(ProjectError::Input(
            "NoSQL Database (DynamoDB) storage is not built in cognate; choose Content (S3)".into(),
        ));
    }
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let resource = match &args.resource_name {
        Some(name) => name.clone(),
        None => text_question(
            "--resource-name",
            "Provide a friendly name for your resource that will be used to label this category in the project:",
            &format!("s3{suffix}"),
        )?,
    };
    super::check_group_name(&resource).map_err(|_| {
        ProjectError::Input(format!(
            "{resource:?}: the resource name must be letters and digits"
        ))
    })?;
    if Storage::all(&layout)?
        .iter()
        .any(|s| s.resource == resource)
    {
        return Err(ProjectError::Input(format!(
            "storage {resource:?} is already in this project; use `cognate update storage`"
        )));
    }
    let bucket = match &args.bucket_name {
        Some(name) => name.clone(),
        None => text_question(
            "--bucket-name",
            "Provide bucket name:",
            &format!(
                "{}-storage-{suffix}",
                project_name.replace(|c: char| !c.is_ascii_alphanumeric(), "")
            ),
        )?,
    };
    check_bucket_name(&bucket)?;
    let mut storage = Storage {
        resource,
        policy_uuid: suffix.to_owned(),
        bucket,
        guests: false,
        auth_access: Vec::new(),
        guest_access: Vec::new(),
        group_access: None,
    };
    ask_access(&layout, &auth, &args, &mut storage)?;
    save(&layout, &auth, &storage)?;
    println!(
        "✔ Added storage {} (bucket {}); `cognate push` creates it with its policies",
        storage.resource, storage.bucket
    );
    Ok(())
}

pub fn update_storage(dir: &Path, args: StorageArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let auth = Auth::find(&layout)?.ok_or_else(|| {
        ProjectError::Input("storage needs auth: run `cognate add auth` first".into())
    })?;
    let mut storage = pick(&layout, args.resource_name.as_deref())?;
    if args
        .bucket_name
        .as_ref()
        .is_some_and(|b| *b != storage.bucket)
    {
        return Err(ProjectError::Input(
            "a bucket cannot be renamed; remove the storage and add it again with the new name"
                .into(),
        ));
    }
    ask_access(&layout, &auth, &args, &mut storage)?;
    save(&layout, &auth, &storage)?;
    println!(
        "✔ Updated storage {}; `cognate push` applies it",
        storage.resource
    );
    Ok(())
}

pub fn remove_storage(dir: &Path, args: RemoveStorageArgs) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let storage = pick(&layout, args.resource_name.as_deref())?;
    confirm_removal(&storage.resource, args.yes)?;
    remove_resource(
        &layout,
        "storage",
        &storage.resource,
        &layout.storage_dir(&storage.resource),
    )?;
    println!(
        "✔ Removed storage {}; the next `cognate push` takes its policies off the roles and keeps the bucket {} with its files (delete it with `aws s3 rb s3://{} --force`)",
        storage.resource, storage.bucket, storage.bucket
    );
    Ok(())
}

/// Who may do what: the Amplify CLI's access questions, each answered by its flag.
fn ask_access(
    layout: &Layout,
    auth: &Auth,
    args: &StorageArgs,
    storage: &mut Storage,
) -> Result<(), ProjectError> {
    let groups = auth.groups(layout)?;
    let by = match args.restrict_access_by.as_deref() {
        Some(by) => by.to_owned(),
        None if !args.group_access.is_empty() && args.auth_access.is_none() => "groups".to_owned(),
        None if groups.is_empty() => "auth-guest".to_owned(),
        None => ["auth-guest", "groups", "both"][select(
            "--restrict-access-by",
            "Restrict access by?",
            &["Auth/Guest Users", "Individual Groups", "Both"],
            if storage.group_access.is_some() { 1 } else { 0 },
        )?]
        .to_owned(),
    };
    if by != "groups" {
        storage.guests = match args.access.as_deref() {
            Some(access) => access == "auth-and-guest",
            None => {
                select(
                    "--access",
                    "Who should have access:",
                    &["Auth users only", "Auth and guest users"],
                    usize::from(storage.guests),
                )? == 1
            }
        };
        storage.auth_access = match &args.auth_access {
            Some(list) => parse_rights(list)?,
            None => ask_rights(
                "--auth-access",
                "What kind of access do you want for Authenticated users?",
                &storage.auth_access,
            )?,
        };
        storage.guest_access = if storage.guests {
            match &args.guest_access {
                Some(list) => parse_rights(list)?,
                None => ask_rights(
                    "--guest-access",
                    "What kind of access do you want for Guest users?",
                    &storage.guest_access,
                )?,
            }
        } else {
            Vec::new()
        };
    } else {
        storage.guests = false;
        storage.auth_access.clear();
        storage.guest_access.clear();
    }
    storage.group_access = if by == "auth-guest" {
        None
    } else {
        Some(ask_groups(args, &groups, storage.group_access.as_ref())?)
    };
    if storage.auth_access.is_empty()
        && storage.guest_access.is_empty()
        && storage.group_access.as_ref().is_none_or(|g| g.is_empty())
    {
        return Err(ProjectError::Input(
            "nobody would have access to the bucket: give auth, guest or group rights".into(),
        ));
    }
    let trigger = match args.trigger {
        Some(answer) => answer,
        None => confirm(
            "--trigger",
            "Do you want to add a Lambda Trigger for your S3 Bucket?",
            false,
        )?,
    };
    if trigger {
        return Err(ProjectError::Input(
            "cognate runs no Lambda functions, so a storage trigger cannot be added. Instead, have your own service react to uploads: list the bucket for new keys (ListObjectsV2 with start-after), or upload through your service, which then writes to the bucket with an IAM user's keys".into(),
        ));
    }
    Ok(())
}

fn ask_groups(
    args: &StorageArgs,
    groups: &[String],
    current: Option<&BTreeMap<String, Vec<Permission>>>,
) -> Result<BTreeMap<String, Vec<Permission>>, ProjectError> {
    ask_group_rights(
        &args.group_access,
        groups,
        current,
        "admin=create/update,read,delete",
        |rights| parse_rights(&rights.split(',').map(str::to_owned).collect::<Vec<_>>()),
        |group, before| {
            let rights = ask_rights(
                "--group-access",
                &format!("What kind of access do you want for {group} users?"),
                before,
            )?;
            println!("  {group}: {}", spoken(&rights));
            Ok(rights)
        },
    )
}

/// Writes the resource's cli-inputs.json and its backend-config.json entry. Guest access needs
/// guest identities, so, as Amplify's storage walkthrough does, the auth resource is switched to
/// allow unauthenticated logins when it does not yet (in the same write).
fn save(layout: &Layout, auth: &Auth, storage: &Storage) -> Result<(), ProjectError> {
    let mut backend = read_object(&layout.backend_config())?;
    object_at(&mut backend, "storage").insert(
        storage.resource.clone(),
        storage.backend_entry(&auth.resource),
    );
    let mut changes = Changes::default();
    changes.json(layout.storage_inputs(&storage.resource), storage.inputs());
    changes.json(layout.backend_config(), Value::Object(backend));
    if storage.guests {
        auth.let_guests_in(layout, &mut changes);
    }
    changes.write()
}

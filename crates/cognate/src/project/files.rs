//! The Amplify CLI (Gen 1) project layout, for the fields cognate uses. Files are read as JSON
//! values and changed in place, so every field cognate does not know survives; they are written
//! pretty-printed with two spaces, as Amplify writes them. Writes go to a temporary file that is
//! renamed over the original, so a file is never half-written.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::ProjectError;

pub const AMPLIFY_DIR: &str = "amplify";

/// Paths of a project's files, from its root.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Self {
        Layout {
            root: root.to_path_buf(),
        }
    }

    pub fn amplify(&self) -> PathBuf {
        self.root.join(AMPLIFY_DIR)
    }
    pub fn project_config(&self) -> PathBuf {
        self.amplify().join(".config/project-config.json")
    }
    pub fn local_env_info(&self) -> PathBuf {
        self.amplify().join(".config/local-env-info.json")
    }
    pub fn local_aws_info(&self) -> PathBuf {
        self.amplify().join(".config/local-aws-info.json")
    }
    pub fn team_provider_info(&self) -> PathBuf {
        self.amplify().join("team-provider-info.json")
    }
    pub fn backend_config(&self) -> PathBuf {
        self.amplify().join("backend/backend-config.json")
    }
    pub fn amplify_meta(&self) -> PathBuf {
        self.amplify().join("backend/amplify-meta.json")
    }
    pub fn auth_inputs(&self, resource: &str) -> PathBuf {
        self.amplify()
            .join(format!("backend/auth/{resource}/cli-inputs.json"))
    }
    pub fn group_precedence(&self) -> PathBuf {
        self.amplify()
            .join("backend/auth/userPoolGroups/user-pool-group-precedence.json")
    }
    /// What was last pushed, to tell Create / Update / No Change apart.
    pub fn current_backend_config(&self) -> PathBuf {
        self.amplify()
            .join("#current-cloud-backend/backend-config.json")
    }
    pub fn current_auth_inputs(&self, resource: &str) -> PathBuf {
        self.amplify().join(format!(
            "#current-cloud-backend/auth/{resource}/cli-inputs.json"
        ))
    }
    pub fn storage_dir(&self, resource: &str) -> PathBuf {
        self.amplify().join(format!("backend/storage/{resource}"))
    }
    pub fn storage_inputs(&self, resource: &str) -> PathBuf {
        self.storage_dir(resource).join("cli-inputs.json")
    }
    pub fn current_storage_inputs(&self, resource: &str) -> PathBuf {
        self.amplify().join(format!(
            "#current-cloud-backend/storage/{resource}/cli-inputs.json"
        ))
    }
    pub fn api_dir(&self, resource: &str) -> PathBuf {
        self.amplify().join(format!("backend/api/{resource}"))
    }
    pub fn api_inputs(&self, resource: &str) -> PathBuf {
        self.api_dir(resource).join("cli-inputs.json")
    }
    pub fn current_api_inputs(&self, resource: &str) -> PathBuf {
        self.amplify().join(format!(
            "#current-cloud-backend/api/{resource}/cli-inputs.json"
        ))
    }
    pub fn current_group_precedence(&self) -> PathBuf {
        self.amplify()
            .join("#current-cloud-backend/auth/userPoolGroups/user-pool-group-precedence.json")
    }

    /// Finds the project root at or above `start`.
    pub fn find(start: &Path) -> Result<Self, ProjectError> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            if d.join(AMPLIFY_DIR)
                .join(".config/project-config.json")
                .exists()
            {
                return Ok(Layout::new(d));
            }
            dir = d.parent();
        }
        Err(ProjectError::NoProject)
    }
}

pub fn read_json(path: &Path) -> Result<Option<Value>, ProjectError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            ProjectError::Invalid(format!("{} is not valid JSON: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ProjectError::Io(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

pub fn read_object(path: &Path) -> Result<Map<String, Value>, ProjectError> {
    match read_json(path)? {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(ProjectError::Invalid(format!(
            "{} must hold a JSON object",
            path.display()
        ))),
    }
}

/// A file's JSON for reading (a missing file reads as null, so that indexing never panics).
pub fn read_value(path: &Path) -> Result<Value, ProjectError> {
    Ok(read_json(path)?.unwrap_or(Value::Null))
}

/// Writes pretty JSON atomically (temporary file, then rename).
pub fn write_json(path: &Path, value: &Value) -> Result<(), ProjectError> {
    let text = serde_json::to_string_pretty(value).expect("JSON values serialise") + "\n";
    write_text(path, &text)
}

pub fn write_text(path: &Path, text: &str) -> Result<(), ProjectError> {
    let io = |e: std::io::Error| ProjectError::Io(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let temporary = path.with_extension("cognate-tmp");
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

/// A set of file writes that happen together: all are prepared in memory first, so a failure
/// while computing them writes nothing.
#[derive(Default)]
pub struct Changes {
    files: Vec<(PathBuf, String)>,
}

impl Changes {
    pub fn json(&mut self, path: PathBuf, value: Value) {
        self.files.push((
            path,
            serde_json::to_string_pretty(&value).expect("JSON values serialise") + "\n",
        ));
    }

    pub fn text(&mut self, path: PathBuf, text: String) {
        self.files.push((path, text));
    }

    pub fn write(self) -> Result<(), ProjectError> {
        for (path, text) in &self.files {
            write_text(path, text)?;
        }
        Ok(())
    }
}

/// `obj[key]` as an object, created if missing.
pub fn object_at<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let entry = map.entry(key.to_owned()).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut().expect("just made an object")
}

/// The resources of `category` in backend-config.json whose entry `wanted` accepts, each with
/// its inputs (from `inputs_of(layout, name)`) and that file's path, for messages.
pub fn category_inputs(
    layout: &Layout,
    category: &str,
    wanted: impl Fn(&str, &Value) -> bool,
    inputs_of: impl Fn(&Layout, &str) -> PathBuf,
) -> Result<Vec<(String, PathBuf, Value)>, ProjectError> {
    let backend = read_object(&layout.backend_config())?;
    let mut found = Vec::new();
    for (name, resource) in backend
        .get(category)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if wanted(name, resource) {
            let path = inputs_of(layout, name);
            let inputs = Value::Object(read_object(&path)?);
            found.push((name.clone(), path, inputs));
        }
    }
    Ok(found)
}

/// How a kind of resource is named in `pick_resource`'s refusals.
pub struct ResourceWords<'a> {
    pub one: &'a str,
    pub many: &'a str,
    /// What to say when the project has none.
    pub none: &'a str,
}

/// The one of `all` named `name`, or the only one when no name is given.
pub fn pick_resource<T>(
    all: Vec<T>,
    name: Option<&str>,
    name_of: impl Fn(&T) -> &str,
    words: ResourceWords,
) -> Result<T, ProjectError> {
    if let Some(name) = name {
        return all.into_iter().find(|r| name_of(r) == name).ok_or_else(|| {
            ProjectError::Input(format!(
                "there is no {} {name:?} in this project",
                words.one
            ))
        });
    }
    match all.len() {
        0 => Err(ProjectError::Input(words.none.to_owned())),
        1 => Ok(all.into_iter().next().expect("one")),
        _ => Err(ProjectError::Input(format!(
            "this project has several {} ({}); name one with --resource-name",
            words.many,
            all.iter().map(&name_of).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Takes `resource` out of `category` in backend-config.json and deletes its directory.
pub fn remove_resource(
    layout: &Layout,
    category: &str,
    resource: &str,
    dir: &Path,
) -> Result<(), ProjectError> {
    let mut backend = read_object(&layout.backend_config())?;
    if let Some(entries) = backend.get_mut(category).and_then(Value::as_object_mut) {
        entries.remove(resource);
    }
    let mut changes = Changes::default();
    changes.json(layout.backend_config(), Value::Object(backend));
    changes.write()?;
    std::fs::remove_dir_all(dir)
        .map_err(|e| ProjectError::Io(format!("cannot remove {}: {e}", dir.display())))
}

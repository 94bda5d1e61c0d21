//! Profiles: which server and credentials a project pushes to, kept outside the project as
//! `amplify configure` keeps AWS profiles (`~/.cognate/profiles.json`, or `$COGNATE_HOME`),
//! owner-only because they hold secrets.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::files::{read_object, write_json};
use super::ProjectError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

fn path() -> PathBuf {
    let home = std::env::var_os("COGNATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cognate")))
        .unwrap_or_else(|| PathBuf::from(".cognate"));
    home.join("profiles.json")
}

pub fn load(name: &str) -> Result<Profile, ProjectError> {
    let all = read_object(&path())?;
    let entry = all.get(name).ok_or_else(|| {
        ProjectError::Input(format!(
            "no profile {name:?} in {}; run `cognate init` to create it",
            path().display()
        ))
    })?;
    let field = |key: &str| {
        entry[key].as_str().map(str::to_owned).ok_or_else(|| {
            ProjectError::Invalid(format!(
                "profile {name:?} in {} lacks {key}",
                path().display()
            ))
        })
    };
    Ok(Profile {
        endpoint: field("endpoint")?,
        region: field("region")?,
        access_key_id: field("accessKeyId")?,
        secret_access_key: field("secretAccessKey")?,
    })
}

pub fn save(name: &str, profile: &Profile) -> Result<(), ProjectError> {
    let file = path();
    let mut all = read_object(&file)?;
    all.insert(
        name.to_owned(),
        json!({
            "endpoint": profile.endpoint,
            "region": profile.region,
            "accessKeyId": profile.access_key_id,
            "secretAccessKey": profile.secret_access_key,
        }),
    );
    write_json(&file, &Value::Object(all))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

/// Reads the root credentials a server wrote into its data directory.
pub fn credentials_from_file(file: &std::path::Path) -> Result<(String, String), ProjectError> {
    cognate_server::data_dir::read_credentials(file).map_err(ProjectError::Invalid)
}

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

/// The AWS shared credentials file: `AWS_SHARED_CREDENTIALS_FILE`, or `~/.aws/credentials`.
pub fn aws_credentials_path() -> PathBuf {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws/credentials")))
        .unwrap_or_else(|| PathBuf::from(".aws/credentials"))
}

/// The profiles of the AWS credentials file that hold an access key, in file order; none when
/// there is no file.
pub fn aws_profile_names() -> Result<Vec<String>, ProjectError> {
    Ok(aws_profiles()?.into_iter().map(|(name, _)| name).collect())
}

/// The access key of one profile of the AWS credentials file.
pub fn aws_profile(name: &str) -> Result<(String, String), ProjectError> {
    aws_profiles()?
        .into_iter()
        .find(|(profile, _)| profile == name)
        .map(|(_, keys)| keys)
        .ok_or_else(|| {
            ProjectError::Input(format!(
                "no profile {name:?} with aws_access_key_id and aws_secret_access_key in {}",
                aws_credentials_path().display()
            ))
        })
}

/// An access key id and its secret.
type AccessKey = (String, String);

/// `[name]` sections with `aws_access_key_id` and `aws_secret_access_key`: the INI subset AWS
/// credentials files use (no crate is needed for `key = value` lines under headers).
fn aws_profiles() -> Result<Vec<(String, AccessKey)>, ProjectError> {
    let path = aws_credentials_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ProjectError::Io(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let mut profiles = Vec::new();
    let mut current: Option<(String, Option<String>, Option<String>)> = None;
    let mut finish = |entry: Option<(String, Option<String>, Option<String>)>| {
        if let Some((name, Some(id), Some(secret))) = entry {
            profiles.push((name, (id, secret)));
        }
    };
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            finish(current.take());
            current = Some((name.trim().to_owned(), None, None));
        } else if let (Some((key, value)), Some(entry)) = (line.split_once('='), current.as_mut()) {
            match key.trim() {
                "aws_access_key_id" => entry.1 = Some(value.trim().to_owned()),
                "aws_secret_access_key" => entry.2 = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    finish(current);
    Ok(profiles)
}

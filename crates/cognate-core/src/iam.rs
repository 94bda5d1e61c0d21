//! IAM's records: roles, users, access keys, inline and managed policies, and the names that
//! identify them. Names are parsed here once; IAM compares them without regard to case.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::Timestamp;

/// A role, user or policy name: 1–`max` characters of letters, digits and `+=,.@_-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IamName(String);

impl IamName {
    pub fn parse(raw: &str, member: &str, max: usize) -> Result<Self> {
        let valid = !raw.is_empty()
            && raw.chars().count() <= max
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if valid {
            Ok(IamName(raw.to_owned()))
        } else {
            Err(Error::InvalidParameter(format!(
                "The specified value for {member} is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_- and be 1 to {max} characters long."
            )))
        }
    }

    pub fn role(raw: &str) -> Result<Self> {
        IamName::parse(raw, "roleName", 64)
    }

    pub fn user(raw: &str) -> Result<Self> {
        IamName::parse(raw, "userName", 64)
    }

    pub fn policy(raw: &str) -> Result<Self> {
        IamName::parse(raw, "policyName", 128)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key IAM's uniqueness uses: names differing only in case are the same name.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl std::fmt::Display for IamName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// IAM's answer for a role that does not exist.
pub fn no_such_role(name: &IamName) -> Error {
    Error::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

/// IAM's answer for a user that does not exist.
pub fn no_such_user(name: &IamName) -> Error {
    Error::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

/// IAM's answer for an inline policy that does not exist.
pub fn no_such_inline_policy(owner: &PolicyOwner, name: &IamName) -> Error {
    Error::NoSuchEntity(format!(
        "The {} policy with name {name} cannot be found.",
        owner.kind()
    ))
}

/// An IAM path: `/` or `/…/`, at most 512 characters.
pub fn parse_path(raw: Option<&str>) -> Result<String> {
    let path = raw.unwrap_or("/");
    let valid = path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && path.chars().all(|c| ('!'..='~').contains(&c));
    if valid {
        Ok(path.to_owned())
    } else {
        Err(Error::InvalidParameter(
            "The specified value for path is invalid. It must begin and end with / and contain only printable ASCII characters.".into(),
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: IamName,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub tags: Vec<Tag>,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamUser {
    pub name: IamName,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub tags: Vec<Tag>,
    pub created: Timestamp,
}

/// A managed policy: one version (`v1`), which is its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: IamName,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub description: Option<String>,
    pub document: String,
    pub attachment_count: i64,
    pub created: Timestamp,
}

/// What an inline policy belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyOwner {
    Role(IamName),
    User(IamName),
}

impl PolicyOwner {
    pub fn kind(&self) -> &'static str {
        match self {
            PolicyOwner::Role(_) => "role",
            PolicyOwner::User(_) => "user",
        }
    }

    pub fn name(&self) -> &IamName {
        match self {
            PolicyOwner::Role(name) | PolicyOwner::User(name) => name,
        }
    }
}

/// A long-term access key of an IAM user; the secret is sealed with the master key at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub user: IamName,
    pub sealed_secret: Vec<u8>,
    pub active: bool,
    pub created: Timestamp,
}

/// Everything that decides what a role's credentials may do: its inline policies and the
/// documents of the managed policies attached to it, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicies {
    pub role: Role,
    pub documents: Vec<NamedDocument>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDocument {
    /// The inline policy's name, or the managed policy's ARN.
    pub source: String,
    pub document: String,
}

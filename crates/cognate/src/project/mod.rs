//! The project toolchain: `cognate init`, `add auth`, `update auth`, `add / update / remove
//! storage`, `add / update / remove api` (REST), `status` and `push`, with
//! the Amplify CLI's questions and project files. Every question has a flag; a question whose
//! flag is missing is asked on the terminal, and is an error without one.
//!
//! One module per command; `prompts` asks, `auth` reads the project's auth resource, `files`
//! and `profile` keep the files. A new category (`add storage`, `add api`) is one more module
//! beside these.

mod add_api;
mod add_auth;
mod add_storage;
mod api;
mod auth;
pub mod commands;
pub mod files;
mod frontend;
mod init;
pub mod profile;
mod prompts;
pub mod push;
mod status;
mod storage;
mod update_auth;

pub use add_api::{add_api, remove_api, update_api, ApiArgs, RemoveApiArgs};
pub use add_auth::{add_auth, AddAuthArgs};
pub use add_storage::{
    add_storage, remove_storage, update_storage, RemoveStorageArgs, StorageArgs,
};
pub use auth::Auth;
pub use init::{init, InitArgs};
pub use push::push;
pub use status::status;
pub use update_auth::{update_auth, UpdateAuthArgs};

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

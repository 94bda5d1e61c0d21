//! Asking on the terminal: each question names the flag that answers it instead, and without
//! a terminal a missing flag is an error, never a hang.

use std::io::IsTerminal;

use serde_json::Value;

use super::auth::{character_rules, check_min_length, CHARACTER_RULES};
use super::ProjectError;
use cognate_core::service::requirable_standard_attributes;

/// Whether there is a terminal to ask on.
pub(crate) fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a question when there is a terminal; otherwise the flag was required.
pub(crate) fn ask<T>(
    flag: &str,
    question: impl FnOnce() -> std::io::Result<T>,
) -> Result<T, ProjectError> {
    if can_ask() {
        question().map_err(|e| ProjectError::Input(format!("no answer: {e}")))
    } else {
        Err(ProjectError::Input(format!(
            "missing {flag} (no terminal to ask on)"
        )))
    }
}

pub(crate) fn text_question(
    flag: &str,
    prompt: &str,
    default: &str,
) -> Result<String, ProjectError> {
    ask(flag, || {
        dialoguer::Input::<String>::new()
            .with_prompt(prompt)
            .default(default.to_owned())
            .interact_text()
            .map_err(std::io::Error::other)
    })
}

/// A yes/no question, answered on Enter like every other prompt (and like the Amplify CLI),
/// so that the Enter after `y` does not fall into the next question.
pub(crate) fn confirm(flag: &str, prompt: &str, default: bool) -> Result<bool, ProjectError> {
    ask(flag, || {
        dialoguer::Confirm::new()
            .with_prompt(prompt)
            .default(default)
            .wait_for_newline(true)
            .interact()
            .map_err(std::io::Error::other)
    })
}

/// One choice of `items`; the index of the answer.
pub(crate) fn select<T: ToString>(
    flag: &str,
    prompt: &str,
    items: &[T],
    default: usize,
) -> Result<usize, ProjectError> {
    ask(flag, || {
        dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact()
            .map_err(std::io::Error::other)
    })
}

/// A secret, not echoed as it is typed.
pub(crate) fn secret_question(flag: &str, prompt: &str) -> Result<String, ProjectError> {
    ask(flag, || {
        dialoguer::Password::new()
            .with_prompt(prompt)
            .interact()
            .map_err(std::io::Error::other)
    })
}

pub(crate) fn ask_required_attributes(default: &[String]) -> Result<Vec<String>, ProjectError> {
    let standard = requirable_standard_attributes();
    let picked = ask("--required-attributes", || {
        let defaults: Vec<bool> = standard
            .iter()
            .map(|a| default.iter().any(|d| d == a))
            .collect();
        dialoguer::MultiSelect::new()
            .with_prompt("What attributes are required for signing up? (space to toggle)")
            .items(&standard)
            .defaults(&defaults)
            .interact()
            .map_err(std::io::Error::other)
    })?;
    Ok(picked.into_iter().map(|i| standard[i].to_owned()).collect())
}

pub(crate) fn ask_password_policy(
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

pub(crate) fn read_stdin_json() -> Result<Value, ProjectError> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| ProjectError::Io(e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|e| ProjectError::Input(format!("the headless input is not JSON: {e}")))
}

/// Each group's rights: from `given` (`--group-access GROUP=RIGHT,RIGHT`, `example` shows one),
/// or asked: which groups, then each one's rights (`ask_rights(prompt, current)`).
pub(crate) fn ask_group_rights<R: Clone>(
    given: &[String],
    groups: &[String],
    current: Option<&std::collections::BTreeMap<String, Vec<R>>>,
    example: &str,
    parse: impl Fn(&str) -> Result<Vec<R>, ProjectError>,
    ask_rights: impl Fn(&str, &[R]) -> Result<Vec<R>, ProjectError>,
) -> Result<std::collections::BTreeMap<String, Vec<R>>, ProjectError> {
    let mut access = std::collections::BTreeMap::new();
    if !given.is_empty() {
        for entry in given {
            let (group, rights) = entry.split_once('=').ok_or_else(|| {
                ProjectError::Input(format!(
                    "--group-access {entry:?}: write GROUP=RIGHT,RIGHT, e.g. {example}"
                ))
            })?;
            if !groups.iter().any(|g| g == group) {
                return Err(ProjectError::Input(format!(
                    "--group-access: the project has no group {group:?} (its groups: {}); add it with `cognate update auth --groups`",
                    groups.join(", ")
                )));
            }
            let rights = parse(rights)?;
            if rights.is_empty() {
                return Err(ProjectError::Input(format!(
                    "--group-access {entry:?}: give at least one right"
                )));
            }
            access.insert(group.to_owned(), rights);
        }
        return Ok(access);
    }
    if groups.is_empty() {
        return Err(ProjectError::Input(
            "the project has no user pool groups to restrict access by; add them with `cognate update auth --groups`".into(),
        ));
    }
    let defaults: Vec<bool> = groups
        .iter()
        .map(|g| current.is_some_and(|c| c.contains_key(g)))
        .collect();
    let chosen = ask("--group-access", || {
        dialoguer::MultiSelect::new()
            .with_prompt("Select groups:")
            .items(groups)
            .defaults(&defaults)
            .interact()
            .map_err(std::io::Error::other)
    })?;
    if chosen.is_empty() {
        return Err(ProjectError::Input(
            "Select groups: choose at least one".into(),
        ));
    }
    for index in chosen {
        let group = &groups[index];
        let before = current
            .and_then(|c| c.get(group))
            .cloned()
            .unwrap_or_default();
        let rights = ask_rights(group, &before)?;
        access.insert(group.clone(), rights);
    }
    Ok(access)
}

/// A multiple choice among `all` (each shown as `word` says), at least one; `current` is
/// ticked to begin with.
pub(crate) fn ask_choices<T: Copy + PartialEq>(
    flag: &str,
    prompt: &str,
    all: &[T],
    word: impl Fn(T) -> &'static str,
    current: &[T],
) -> Result<Vec<T>, ProjectError> {
    let items: Vec<&str> = all.iter().map(|c| word(*c)).collect();
    let defaults: Vec<bool> = all.iter().map(|c| current.contains(c)).collect();
    let chosen = ask(flag, || {
        dialoguer::MultiSelect::new()
            .with_prompt(prompt)
            .items(&items)
            .defaults(&defaults)
            .interact()
            .map_err(std::io::Error::other)
    })?;
    if chosen.is_empty() {
        return Err(ProjectError::Input(format!(
            "{prompt}: choose at least one"
        )));
    }
    Ok(chosen.into_iter().map(|i| all[i]).collect())
}

/// "Are you sure you want to delete the resource …?", unless `yes`.
pub(crate) fn confirm_removal(resource: &str, yes: bool) -> Result<(), ProjectError> {
    if yes
        || confirm(
            "--yes",
            &format!("Are you sure you want to delete the resource {resource}? This action deletes all files related to this resource from the backend directory."),
            false,
        )?
    {
        Ok(())
    } else {
        Err(ProjectError::Aborted)
    }
}

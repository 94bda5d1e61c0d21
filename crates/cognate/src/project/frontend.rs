//! What `init` learns from the app itself, as the Amplify CLI's JavaScript frontend does: the
//! framework and build directory from `package.json`, and the `.gitignore` block for the files
//! that are local to one machine or written by `push`.

use std::path::Path;

use serde_json::Value;

use super::ProjectError;

/// The app's framework, as `project-config.json` names it, and its build output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontend {
    pub framework: &'static str,
    pub distribution_dir: &'static str,
}

/// Reads `package.json` in `dir`: Create React App builds into `build`, Angular, Vue, Vite and
/// the rest into `dist`; no `package.json`, or no framework in it, is `none`.
pub fn detect(dir: &Path) -> Frontend {
    let package: Value = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let has = |name: &str| {
        ["dependencies", "devDependencies"]
            .iter()
            .any(|section| package[section].get(name).is_some())
    };
    let has_prefix = |prefix: &str| {
        ["dependencies", "devDependencies"].iter().any(|section| {
            package[section]
                .as_object()
                .is_some_and(|deps| deps.keys().any(|k| k.starts_with(prefix)))
        })
    };
    let framework = if has("@angular/core") {
        "angular"
    } else if has_prefix("@ionic/") {
        "ionic"
    } else if has("react-native") {
        "react-native"
    } else if has("react") {
        "react"
    } else if has("vue") {
        "vue"
    } else {
        "none"
    };
    let distribution_dir = if has("react-scripts") {
        "build"
    } else {
        "dist"
    };
    Frontend {
        framework,
        distribution_dir,
    }
}

const BEGIN: &str = "#amplify-do-not-edit-begin";
const END: &str = "#amplify-do-not-edit-end";

/// The Amplify CLI's `.gitignore` entries, and the config file only cognate writes.
const IGNORED: &[&str] = &[
    "amplify/\\#current-cloud-backend",
    "amplify/.config/local-*",
    "amplify/logs",
    "amplify/mock-data",
    "amplify/mock-api-resources",
    "amplify/backend/amplify-meta.json",
    "amplify/backend/.temp",
    "build/",
    "dist/",
    "node_modules/",
    "aws-exports.js",
    "awsconfiguration.json",
    "amplifyconfiguration.json",
    "amplifyconfiguration.dart",
    "amplify-build-config.json",
    "amplify-gradle-config.json",
    "amplifytools.xcconfig",
    ".secret-*",
    "**.sample",
    "amplify-config.json",
];

/// `.gitignore` with the block between Amplify's markers written anew and the rest kept.
pub fn gitignore(dir: &Path) -> Result<String, ProjectError> {
    let path = dir.join(".gitignore");
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(ProjectError::Io(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let mut kept: Vec<&str> = Vec::new();
    let mut inside = false;
    for line in existing.lines() {
        match line.trim() {
            BEGIN => inside = true,
            END => inside = false,
            _ if !inside => kept.push(line),
            _ => {}
        }
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let mut text = kept.join("\n");
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(BEGIN);
    text.push('\n');
    for entry in IGNORED {
        text.push_str(entry);
        text.push('\n');
    }
    text.push_str(END);
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(package: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), package).unwrap();
        dir
    }

    #[test]
    fn create_react_app_builds_into_build_and_vite_into_dist() {
        let cra = app(r#"{"dependencies": {"react": "18", "react-scripts": "5"}}"#);
        assert_eq!(
            detect(cra.path()),
            Frontend {
                framework: "react",
                distribution_dir: "build"
            }
        );
        let vite = app(r#"{"dependencies": {"react": "18"}, "devDependencies": {"vite": "5"}}"#);
        assert_eq!(detect(vite.path()).distribution_dir, "dist");
        let vue = app(r#"{"dependencies": {"vue": "3"}}"#);
        assert_eq!(detect(vue.path()).framework, "vue");
        let none = tempfile::tempdir().unwrap();
        assert_eq!(detect(none.path()).framework, "none");
    }

    #[test]
    fn the_gitignore_block_is_written_once_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "node_modules\n.env\n").unwrap();
        let first = gitignore(dir.path()).unwrap();
        assert!(first.starts_with("node_modules\n.env\n\n#amplify-do-not-edit-begin\n"));
        assert!(first.contains("\namplify/.config/local-*\n"));
        std::fs::write(dir.path().join(".gitignore"), &first).unwrap();
        assert_eq!(gitignore(dir.path()).unwrap(), first);
    }
}

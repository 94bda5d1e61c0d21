//! The project's auth resource (`amplify/backend/auth/<resource>/cli-inputs.json`) and the
//! rules for what it may hold.

use serde_json::{json, Map, Value};

use super::files::{self, read_object, Layout};
use super::ProjectError;
use cognate_core::service::{requirable_standard_attributes, PASSWORD_MIN_LENGTH_RANGE};

/// The auth resource of a project and what cognate reads from it.
pub struct Auth {
    pub resource: String,
    pub inputs: Map<String, Value>,
}

impl Auth {
    pub fn find(layout: &Layout) -> Result<Option<Auth>, ProjectError> {
        let backend = read_object(&layout.backend_config())?;
        let resource = backend
            .get("auth")
            .and_then(Value::as_object)
            .and_then(|auth| {
                auth.iter()
                    .find(|(_, r)| r["service"] == "Cognito")
                    .map(|(name, _)| name.clone())
            });
        match resource {
            None => Ok(None),
            Some(resource) => {
                let inputs = read_object(&layout.auth_inputs(&resource))?;
                Ok(Some(Auth { resource, inputs }))
            }
        }
    }

    pub(crate) fn cognito(&self) -> &Value {
        &self.inputs["cognitoConfig"]
    }

    pub fn pool_name(&self) -> String {
        self.cognito()["userPoolName"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}_userpool", self.resource))
    }

    pub fn signs_in_with_email(&self) -> bool {
        self.cognito()["usernameAttributes"]
            .as_array()
            .is_some_and(|a| {
                a.iter()
                    .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("email")))
            })
    }

    /// Standard attributes required at sign-up (Amplify keeps them in lower case).
    pub fn required_attributes(&self) -> Vec<String> {
        self.cognito()["requiredAttributes"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|a| a.as_str().map(str::to_lowercase))
                    .collect()
            })
            .unwrap_or_else(|| vec!["email".into()])
    }

    /// The password policy in Cognito's shape, from Amplify's `passwordPolicyMinLength` and
    /// `passwordPolicyCharacters` ("Requires Lowercase", "Requires Uppercase", ...).
    pub fn password_policy(&self) -> Value {
        let c = self.cognito();
        let characters: Vec<&str> = c["passwordPolicyCharacters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let requires = |what: &str| {
            characters
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&format!("Requires {what}")))
        };
        json!({
            "MinimumLength": c["passwordPolicyMinLength"].as_u64().or_else(|| c["passwordPolicyMinLength"].as_str().and_then(|s| s.parse().ok())).unwrap_or(8),
            "RequireLowercase": requires("Lowercase"),
            "RequireUppercase": requires("Uppercase"),
            "RequireNumbers": requires("Numbers"),
            "RequireSymbols": requires("Symbols"),
            "TemporaryPasswordValidityDays": 7,
        })
    }

    /// The groups in precedence order (first is precedence 1).
    pub fn groups(&self, layout: &Layout) -> Result<Vec<String>, ProjectError> {
        if let Some(Value::Array(entries)) = files::read_json(&layout.group_precedence())? {
            let mut sorted: Vec<(i64, String)> = entries
                .iter()
                .filter_map(|e| {
                    Some((
                        e["precedence"].as_i64().unwrap_or(i64::MAX),
                        e["groupName"].as_str()?.to_owned(),
                    ))
                })
                .collect();
            sorted.sort();
            return Ok(sorted.into_iter().map(|(_, name)| name).collect());
        }
        Ok(self.cognito()["userPoolGroupList"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Whether the identity pool gives guests identities (Amplify's
    /// `allowUnauthenticatedIdentities`).
    pub fn allows_guests(&self) -> bool {
        self.cognito()["allowUnauthenticatedIdentities"] == json!(true)
    }

    /// Guest access needs guest identities: as Amplify's walkthroughs do, the resource is
    /// switched to allow unauthenticated logins (in `changes`) when it does not yet.
    pub fn let_guests_in(&self, layout: &Layout, changes: &mut super::files::Changes) {
        if self.allows_guests() {
            return;
        }
        let mut inputs = self.inputs.clone();
        let cognito = super::files::object_at(&mut inputs, "cognitoConfig");
        cognito.insert("allowUnauthenticatedIdentities".into(), json!(true));
        changes.json(layout.auth_inputs(&self.resource), Value::Object(inputs));
        println!(
            "Guest access needs guest identities: auth {} now allows unauthenticated logins",
            self.resource
        );
    }

    /// The identity pool as the management API takes it, when the project has one (Amplify's
    /// `authSelections: identityPoolAndUserPool`): its name, whether guests get identities, and
    /// each group's `customPolicies` for its role. `id` is the one an earlier push made.
    pub fn identity_pool(
        &self,
        layout: &Layout,
        id: &Value,
    ) -> Result<Option<Value>, ProjectError> {
        let c = self.cognito();
        if c["authSelections"] != json!("identityPoolAndUserPool") {
            return Ok(None);
        }
        let mut policies = Vec::new();
        if let Some(Value::Array(entries)) = files::read_json(&layout.group_precedence())? {
            for entry in &entries {
                for policy in entry["customPolicies"].as_array().into_iter().flatten() {
                    let document = match &policy["PolicyDocument"] {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    policies.push(json!({
                        "Group": entry["groupName"],
                        "PolicyName": policy["PolicyName"],
                        "PolicyDocument": document,
                    }));
                }
            }
        }
        let name = c["identityPoolName"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}_identitypool", self.resource));
        Ok(Some(json!({
            "IdentityPoolId": id,
            // Identity pool names take letters, digits, spaces and underscores only.
            "Name": name.replace(|c: char| !(c.is_alphanumeric() || c == '_' || c == ' '), "_"),
            "AllowGuests": self.allows_guests(),
            "GroupPolicies": policies,
        })))
    }

    /// None: no Admin Queries API. Some(empty): any signed-in user. Otherwise the allowed groups
    /// (Amplify's `adminQueryGroup`, or cognate's `adminQueryGroups` for several).
    pub fn admin_queries(&self) -> Option<Vec<String>> {
        let c = self.cognito();
        if c["adminQueries"] != json!(true) {
            return None;
        }
        if let Some(list) = c["adminQueryGroups"].as_array() {
            return Some(
                list.iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect(),
            );
        }
        Some(
            c["adminQueryGroup"]
                .as_str()
                .filter(|g| !g.is_empty())
                .map(|g| vec![g.to_owned()])
                .unwrap_or_default(),
        )
    }
}

pub(crate) const CHARACTER_RULES: &[&str] = &[
    "Requires Lowercase",
    "Requires Uppercase",
    "Requires Numbers",
    "Requires Symbols",
];

pub(crate) fn check_required_attributes(list: &[String]) -> Result<Vec<String>, ProjectError> {
    list.iter()
        .map(|a| {
            let a = a.trim().to_lowercase();
            let standard = requirable_standard_attributes();
            if standard.contains(&a.as_str()) {
                Ok(a)
            } else {
                Err(ProjectError::Input(format!(
                    "{a:?} is not a standard attribute ({})",
                    standard.join(", ")
                )))
            }
        })
        .collect()
}

/// `lowercase,numbers` → Amplify's `["Requires Lowercase", "Requires Numbers"]`.
pub(crate) fn character_rules(list: &[String]) -> Result<Vec<String>, ProjectError> {
    list.iter()
        .map(|r| {
            let wanted = format!(
                "requires {}",
                r.trim()
                    .trim_start_matches("requires ")
                    .trim_start_matches("require_")
                    .to_lowercase()
            );
            CHARACTER_RULES
                .iter()
                .find(|rule| rule.to_lowercase() == wanted)
                .map(|rule| rule.to_string())
                .ok_or_else(|| {
                    ProjectError::Input(format!(
                        "{r:?}: password rules are lowercase, uppercase, numbers and symbols"
                    ))
                })
        })
        .collect()
}

pub(crate) fn check_min_length(length: u32) -> Result<u32, ProjectError> {
    if PASSWORD_MIN_LENGTH_RANGE.contains(&length) {
        Ok(length)
    } else {
        Err(ProjectError::Input(format!(
            "the password minimum length must be from {} to {}, not {length}",
            PASSWORD_MIN_LENGTH_RANGE.start(),
            PASSWORD_MIN_LENGTH_RANGE.end()
        )))
    }
}

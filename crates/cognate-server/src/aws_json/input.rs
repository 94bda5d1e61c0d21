//! Reading an operation's JSON input into domain types, with Cognito's validation messages.

use std::collections::{BTreeMap, HashMap};

use cognate_core::ids::{ClientId, PoolId};
use cognate_core::model::Attribute;
use cognate_core::{Error, Result};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// An operation's input document.
pub struct Input(Map<String, Value>);

/// `UserPoolId` → `userPoolId`, as AWS names members in validation messages.
fn member(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn wrong_type(name: &str, expected: &str) -> Error {
    Error::Serialization(format!("Member {name} must be {expected}"))
}

impl Input {
    pub fn parse(body: &[u8]) -> Result<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Input(map)),
            _ => Err(Error::Serialization(
                "The request body is not a JSON object.".into(),
            )),
        }
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<&str>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub fn str(&self, name: &str) -> Result<&str> {
        self.opt_str(name)?.ok_or_else(|| {
            Error::invalid(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                member(name)
            ))
        })
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>> {
        match self.present(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "an integer")),
        }
    }

    pub fn opt_i32(&self, name: &str) -> Result<Option<i32>> {
        self.opt_i64(name)?
            .map(|n| i32::try_from(n).map_err(|_| wrong_type(name, "a 32-bit integer")))
            .transpose()
    }

    pub fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        self.opt_typed(name)
    }

    pub fn strings(&self, name: &str) -> Result<Vec<String>> {
        Ok(self.opt_strings(name)?.unwrap_or_default())
    }

    pub fn string_map(&self, name: &str) -> Result<HashMap<String, String>> {
        Ok(self.opt_typed(name)?.unwrap_or_default())
    }

    pub fn opt_sorted_map(&self, name: &str) -> Result<Option<BTreeMap<String, String>>> {
        self.opt_typed(name)
    }

    /// A nested structure that has a domain type of its own.
    pub fn opt_typed<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        self.present(name)
            .map(|v| {
                serde_json::from_value(v.clone())
                    .map_err(|e| Error::Serialization(format!("Member {name} is malformed: {e}")))
            })
            .transpose()
    }

    /// A nested object, as an input of its own.
    pub fn opt_object(&self, name: &str) -> Result<Option<Input>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Input(map.clone()))),
            Some(_) => Err(wrong_type(name, "an object")),
        }
    }

    /// `[{"Name": ..., "Value": ...}]`
    pub fn attributes(&self, name: &str) -> Result<Vec<Attribute>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire {
            name: String,
            #[serde(default)]
            value: Option<String>,
        }
        let list: Vec<Wire> = self.opt_typed(name)?.unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|a| Attribute {
                name: a.name,
                value: a.value.unwrap_or_default(),
            })
            .collect())
    }

    /// The user a request names, wherever the operation puts it (`Username`,
    /// `AuthParameters.USERNAME`, `ChallengeResponses.USERNAME`), for per-user rate limits.
    pub fn username_hint(&self) -> Option<String> {
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        self.present("Username")
            .and_then(text)
            .or_else(|| {
                self.present("AuthParameters")
                    .and_then(|p| p.get("USERNAME"))
                    .and_then(text)
            })
            .or_else(|| {
                self.present("ChallengeResponses")
                    .and_then(|p| p.get("USERNAME"))
                    .and_then(text)
            })
    }

    pub fn pool_id(&self) -> Result<PoolId> {
        PoolId::parse(self.str("UserPoolId")?)
    }

    pub fn client_id(&self) -> Result<ClientId> {
        ClientId::parse(self.str("ClientId")?)
    }
}

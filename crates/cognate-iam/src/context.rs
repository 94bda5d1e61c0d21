//! The request context: condition keys and their values. Keys are case-insensitive, so they
//! are stored lowercased; values are kept as the strings the request carried and are read as
//! numbers, dates, addresses … by the operator that compares them.

use std::collections::HashMap;

/// One key's value: single-valued keys (`aws:SourceIp`) or multi-valued ones
/// (`cognito-identity.amazonaws.com:amr`, `aws:TagKeys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(value) => std::slice::from_ref(value),
            ContextValue::Multi(values) => values,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: HashMap<String, ContextValue>,
}

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.entries
            .insert(key.to_ascii_lowercase(), ContextValue::Single(value.into()));
        self
    }

    pub fn insert_multi(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.entries
            .insert(key.to_ascii_lowercase(), ContextValue::Multi(values));
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    pub fn with_multi(mut self, key: &str, values: &[&str]) -> Self {
        self.insert_multi(key, values.iter().map(|v| v.to_string()).collect());
        self
    }

    /// The value under `key`, which must already be lowercase (policies store their keys so).
    pub(crate) fn get_lowercase(&self, key: &str) -> Option<&ContextValue> {
        self.entries.get(key)
    }

    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.entries.get(&key.to_ascii_lowercase())
    }

    /// A single-valued key's value: what a policy variable may substitute.
    pub(crate) fn single(&self, key: &str) -> Option<&str> {
        match self.entries.get(key)? {
            ContextValue::Single(value) => Some(value),
            ContextValue::Multi(_) => None,
        }
    }
}

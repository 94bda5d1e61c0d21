//! A Query request's parameters: `Name=value` pairs, lists as `Name.member.N`, structures in
//! lists as `Name.member.N.Field`.

use std::collections::BTreeMap;

use cognate_core::iam::Tag;
use cognate_core::{Error, Result};

pub(crate) struct Query(BTreeMap<String, String>);

/// `RoleName` → `roleName`, as AWS names members in validation messages.
fn member(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

impl Query {
    pub fn parse(body: &[u8]) -> Query {
        Query(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn action(&self) -> &str {
        self.0.get("Action").map(String::as_str).unwrap_or("")
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn str(&self, name: &str) -> Result<&str> {
        self.opt(name).ok_or_else(|| {
            Error::invalid(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                member(name)
            ))
        })
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>> {
        self.opt(name)
            .map(|raw| {
                raw.parse().map_err(|_| {
                    Error::invalid(format!("{name} must be a whole number, not {raw}."))
                })
            })
            .transpose()
    }

    /// `MaxItems` as IAM takes it: 1 to 1000, 100 by default.
    pub fn max_items(&self) -> Result<u32> {
        match self.opt_i64("MaxItems")? {
            None => Ok(100),
            Some(n) if (1..=1000).contains(&n) => Ok(n as u32),
            Some(n) => Err(Error::invalid(format!(
                "1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
            ))),
        }
    }

    /// `Name.member.1`, `Name.member.2`, … in order.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.indexed(&format!("{name}.member."))
            .into_iter()
            .filter_map(|(_, field, value)| field.is_empty().then_some(value))
            .collect()
    }

    /// The structures of list `name`: per index, its fields.
    pub fn structures(&self, name: &str) -> Vec<BTreeMap<String, String>> {
        let mut by_index: BTreeMap<u32, BTreeMap<String, String>> = BTreeMap::new();
        for (index, field, value) in self.indexed(&format!("{name}.member.")) {
            if let Some(field) = field.strip_prefix('.') {
                by_index
                    .entry(index)
                    .or_default()
                    .insert(field.to_owned(), value);
            }
        }
        by_index.into_values().collect()
    }

    /// `(index, rest after the index, value)` for parameters starting with `prefix`.
    fn indexed(&self, prefix: &str) -> Vec<(u32, String, String)> {
        let mut found: Vec<(u32, String, String)> = self
            .0
            .iter()
            .filter_map(|(key, value)| {
                let rest = key.strip_prefix(prefix)?;
                let digits = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                let index = rest[..digits].parse().ok()?;
                Some((index, rest[digits..].to_owned(), value.clone()))
            })
            .collect();
        found.sort_by_key(|(index, _, _)| *index);
        found
    }

    pub fn tags(&self) -> Vec<Tag> {
        self.structures("Tags")
            .into_iter()
            .map(|mut fields| Tag {
                key: fields.remove("Key").unwrap_or_default(),
                value: fields.remove("Value").unwrap_or_default(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_structures_come_back_in_index_order() {
        let query = Query::parse(
            b"Action=X&Names.member.2=b&Names.member.10=c&Names.member.1=a&Tags.member.1.Key=k&Tags.member.1.Value=v+w",
        );
        assert_eq!(query.list("Names"), ["a", "b", "c"]);
        assert_eq!(
            query.tags(),
            [Tag {
                key: "k".into(),
                value: "v w".into()
            }]
        );
    }
}

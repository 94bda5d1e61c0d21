//! Identifiers parsed once at the edge. Functions below the adapters take these types, never
//! raw strings.

use std::fmt;

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

macro_rules! string_id {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(PoolId);
string_id!(ClientId);
string_id!(Username);
string_id!(GroupName);

impl PoolId {
    /// `{region}_{9 alphanumerics}`: clients read the region from the part before `_`.
    pub fn generate(region: &str) -> Self {
        let suffix = Alphanumeric.sample_string(&mut rand::thread_rng(), 9);
        PoolId(format!("{region}_{suffix}"))
    }

    pub fn parse(raw: &str) -> Result<Self> {
        let valid = raw.len() <= 55
            && raw.split_once('_').is_some_and(|(region, name)| {
                !region.is_empty()
                    && region
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if valid {
            Ok(PoolId(raw.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "1 validation error detected: Value '{raw}' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
            )))
        }
    }

    /// The region the id was made in: the part before the `_`.
    pub fn region(&self) -> &str {
        self.0.split_once('_').map(|(r, _)| r).unwrap_or(&self.0)
    }

    /// The pool's name as SRP uses it: the part after the `_`.
    pub fn short_name(&self) -> &str {
        self.0.split_once('_').map(|(_, n)| n).unwrap_or(&self.0)
    }
}

/// `len` random lowercase letters and digits: the alphabet of Cognito's client ids and API
/// Gateway's API ids.
pub fn random_lowercase_alphanumerics(len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

impl ClientId {
    /// 26 lowercase alphanumerics, like Cognito's.
    pub fn generate() -> Self {
        ClientId(random_lowercase_alphanumerics(26))
    }

    pub fn parse(raw: &str) -> Result<Self> {
        if !raw.is_empty()
            && raw.len() <= 128
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '_')
        {
            Ok(ClientId(raw.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "1 validation error detected: Value '{raw}' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+"
            )))
        }
    }
}

/// Invisible formatting characters (Unicode's Cf class: bidirectional overrides such as U+202E,
/// zero-width characters, the byte-order mark), which Cognito's username pattern
/// (`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`) does not admit and which would let one name look like
/// another. Listed by range because std has no Unicode category table.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

impl Username {
    /// Cognito allows 1 to 128 characters of letters, marks, symbols, numbers and punctuation:
    /// no white space and no control characters.
    pub fn parse(raw: &str) -> Result<Self> {
        let len = raw.chars().count();
        if len == 0
            || len > 128
            || raw
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || is_format(c))
        {
            return Err(Error::invalid(
                "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
            ));
        }
        Ok(Username(raw.to_owned()))
    }
}

impl GroupName {
    /// Cognito allows 1 to 128 letters, marks, symbols, numbers and punctuation.
    pub fn parse(raw: &str) -> Result<Self> {
        let len = raw.chars().count();
        if len == 0 || len > 128 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(format!(
                "1 validation error detected: Value '{raw}' at 'groupName' failed to satisfy constraint: Member must have length between 1 and 128 and contain no white space"
            )));
        }
        Ok(GroupName(raw.to_owned()))
    }
}

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(now.as_millis() as i64)
    }

    pub fn plus_secs(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    pub fn epoch_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// Seconds as a fraction, the way AWS JSON 1.1 renders timestamps.
    pub fn epoch_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pool_id_parses_and_keeps_its_region() {
        let id = PoolId::generate("eu-west-1");
        assert!(id.as_str().starts_with("eu-west-1_"));
        assert_eq!(id.short_name().len(), 9);
        assert_eq!(PoolId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn malformed_pool_ids_are_invalid_parameters() {
        for bad in [
            "",
            "nounderscore",
            "us-east-1_",
            "_abc",
            "us east_abc",
            "us-east-1_a-b",
        ] {
            assert!(
                matches!(PoolId::parse(bad), Err(Error::InvalidParameter(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_ids_are_26_lowercase_alphanumerics() {
        let id = ClientId::generate();
        assert_eq!(id.as_str().len(), 26);
        assert!(id
            .as_str()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }

    #[test]
    fn group_names_follow_cognitos_pattern() {
        assert!(GroupName::parse("admin").is_ok());
        assert!(GroupName::parse("read-only_2").is_ok());
        assert!(GroupName::parse("").is_err());
        assert!(GroupName::parse("has space").is_err());
        assert!(GroupName::parse(&"g".repeat(129)).is_err());
    }

    #[test]
    fn usernames_reject_blank_and_overlong_values() {
        assert!(Username::parse("alice").is_ok());
        assert!(Username::parse("alice@example.com").is_ok());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn usernames_refuse_invisible_formatting_characters() {
        for bad in ["ali\u{202E}ecila", "bob\u{200B}", "\u{FEFF}carol"] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Username::parse("zoë").is_ok());
        assert!(Username::parse("用户").is_ok());
    }
}

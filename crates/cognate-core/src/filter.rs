//! The ListUsers `Filter` language: `attribute = "value"` or `attribute ^= "value"`.
//! Pure: a string in, a [`UserFilter`] or an `InvalidParameter` out.

use crate::error::{Error, Result};

/// The attributes Cognito lets ListUsers filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAttribute {
    Username,
    Email,
    PhoneNumber,
    Name,
    GivenName,
    FamilyName,
    PreferredUsername,
    /// `cognito:user_status`
    UserStatus,
    /// `status`: `Enabled` or `Disabled`
    Enabled,
    Sub,
}

impl FilterAttribute {
    fn parse(raw: &str) -> Option<Self> {
        use FilterAttribute::*;
        Some(match raw {
            "username" => Username,
            "email" => Email,
            "phone_number" => PhoneNumber,
            "name" => Name,
            "given_name" => GivenName,
            "family_name" => FamilyName,
            "preferred_username" => PreferredUsername,
            "cognito:user_status" => UserStatus,
            "status" => Enabled,
            "sub" => Sub,
            _ => return None,
        })
    }

    /// The attribute's name in the user's attribute list, for those stored there.
    pub fn attribute_name(self) -> Option<&'static str> {
        use FilterAttribute::*;
        match self {
            Email => Some("email"),
            PhoneNumber => Some("phone_number"),
            Name => Some("name"),
            GivenName => Some("given_name"),
            FamilyName => Some("family_name"),
            PreferredUsername => Some("preferred_username"),
            Username | UserStatus | Enabled | Sub => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Equals,
    StartsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilter {
    pub attribute: FilterAttribute,
    pub op: FilterOp,
    pub value: String,
}

impl UserFilter {
    /// Parses a Filter; an empty or blank string means no filter.
    pub fn parse(raw: &str) -> Result<Option<Self>> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bad = || Error::invalid(format!("Invalid filter expression: {raw}"));
        if text.len() > 256 {
            return Err(bad());
        }
        let name_end = text
            .find(|c: char| c.is_whitespace() || c == '=' || c == '^')
            .ok_or_else(bad)?;
        let attribute = FilterAttribute::parse(&text[..name_end]).ok_or_else(|| {
            Error::invalid(format!("Invalid search attribute: {}", &text[..name_end]))
        })?;
        let rest = text[name_end..].trim_start();
        let (op, rest) = if let Some(rest) = rest.strip_prefix("^=") {
            (FilterOp::StartsWith, rest)
        } else if let Some(rest) = rest.strip_prefix('=') {
            (FilterOp::Equals, rest)
        } else {
            return Err(bad());
        };
        let quoted = rest.trim();
        let inner = quoted
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .ok_or_else(bad)?;
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().ok_or_else(bad)?),
                '"' => return Err(bad()),
                c => value.push(c),
            }
        }
        Ok(Some(UserFilter {
            attribute,
            op,
            value,
        }))
    }

    /// Whether `candidate` passes this filter's comparison.
    pub fn matches(&self, candidate: &str) -> bool {
        match self.op {
            FilterOp::Equals => candidate == self.value,
            FilterOp::StartsWith => candidate.starts_with(&self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> UserFilter {
        UserFilter::parse(s).unwrap().unwrap()
    }

    #[test]
    fn equality_and_prefix_filters_parse() {
        let f = parse(r#"email = "a@example.com""#);
        assert_eq!(f.attribute, FilterAttribute::Email);
        assert_eq!(f.op, FilterOp::Equals);
        assert_eq!(f.value, "a@example.com");

        let f = parse(r#"username^="jo""#);
        assert_eq!(
            (f.attribute, f.op, f.value.as_str()),
            (FilterAttribute::Username, FilterOp::StartsWith, "jo")
        );

        let f = parse(r#"cognito:user_status = "UNCONFIRMED""#);
        assert_eq!(f.attribute, FilterAttribute::UserStatus);
        assert_eq!(
            parse(r#"status = "Enabled""#).attribute,
            FilterAttribute::Enabled
        );
    }

    #[test]
    fn escaped_quotes_are_part_of_the_value() {
        assert_eq!(parse(r#"name = "say \"hi\"""#).value, r#"say "hi""#);
    }

    #[test]
    fn blank_filter_means_no_filter() {
        assert_eq!(UserFilter::parse("   ").unwrap(), None);
    }

    #[test]
    fn malformed_filters_are_invalid_parameters() {
        for bad in [
            "email",
            "email = a",
            r#"email == "a""#,
            r#"email ~= "a""#,
            r#"email = "a"#,
            r#"custom:tier = "gold""#,
            r#"address = "x""#,
            r#"email = "a"b""#,
            r#"email = "trailing\""#,
        ] {
            assert!(
                matches!(UserFilter::parse(bad), Err(Error::InvalidParameter(_))),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn matching_follows_the_operator() {
        assert!(parse(r#"email ^= "ab""#).matches("abc"));
        assert!(!parse(r#"email = "ab""#).matches("abc"));
    }
}

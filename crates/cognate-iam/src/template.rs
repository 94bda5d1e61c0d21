//! Text that may hold policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'x'}`,
//! `${*}`): parsed once, resolved per request. Under policy version 2008-10-17 there are no
//! variables and the text is taken literally.

use std::borrow::Cow;

use crate::context::Context;
use crate::pattern::{push_glob, push_literal, Piece};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Policy text, where `*` and `?` keep their wildcard meaning.
    Text(String),
    /// A variable: the lowercased key and its default.
    Variable {
        key: String,
        default: Option<String>,
    },
    /// `${*}`, `${?}`, `${$}`: the character itself, never a wildcard.
    Char(char),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    raw: String,
    parts: Vec<Part>,
    /// The case-sensitive pattern, compiled once when the text has no variables.
    fixed_pattern: Option<Vec<Piece>>,
}

impl Template {
    pub(crate) fn parse(raw: &str, variables: bool) -> Template {
        let parts = if variables {
            parse_parts(raw)
        } else {
            vec![Part::Text(raw.to_owned())]
        };
        let fixed_pattern = match parts.as_slice() {
            [Part::Text(text)] => Some(crate::pattern::compile_glob(text, false)),
            _ => None,
        };
        Template {
            raw: raw.to_owned(),
            parts,
            fixed_pattern,
        }
    }

    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    pub(crate) fn has_variables(&self) -> bool {
        !matches!(self.parts.as_slice(), [Part::Text(_)] | [])
    }

    /// The lowercased keys of the variables in this text.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// The text with its variables substituted, or `None` when one has no value and no
    /// default: such an entry matches nothing.
    pub(crate) fn resolve(&self, context: &Context) -> Option<Cow<'_, str>> {
        if let [Part::Text(text)] = self.parts.as_slice() {
            return Some(Cow::Borrowed(text));
        }
        let mut out = String::with_capacity(self.raw.len());
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Char(c) => out.push(*c),
                Part::Variable { key, default } => out.push_str(variable(context, key, default)?),
            }
        }
        Some(Cow::Owned(out))
    }

    /// The text as a wildcard pattern: policy text keeps `*`/`?`, substituted values do not.
    pub(crate) fn resolve_pattern(
        &self,
        context: &Context,
        lowercase: bool,
    ) -> Option<Cow<'_, [Piece]>> {
        if let (Some(fixed), false) = (&self.fixed_pattern, lowercase) {
            return Some(Cow::Borrowed(fixed));
        }
        let mut pieces = Vec::with_capacity(self.raw.len());
        for part in &self.parts {
            match part {
                Part::Text(text) => push_glob(&mut pieces, text, lowercase),
                Part::Char(c) => push_literal(&mut pieces, c.encode_utf8(&mut [0; 4]), lowercase),
                Part::Variable { key, default } => {
                    push_literal(&mut pieces, variable(context, key, default)?, lowercase)
                }
            }
        }
        Some(Cow::Owned(pieces))
    }
}

fn variable<'a>(context: &'a Context, key: &str, default: &'a Option<String>) -> Option<&'a str> {
    context.single(key).or(default.as_deref())
}

fn parse_parts(raw: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        text.push_str(&rest[..start]);
        let inner = rest[start + 2..start + len].trim();
        let part = match inner {
            "*" => Some(Part::Char('*')),
            "?" => Some(Part::Char('?')),
            "$" => Some(Part::Char('$')),
            _ => variable_part(inner),
        };
        match part {
            Some(part) => {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(part);
            }
            // Not a variable (`${}`, a bad default): the text stays as written.
            None => text.push_str(&rest[start..=start + len]),
        }
        rest = &rest[start + len + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() || parts.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

fn variable_part(inner: &str) -> Option<Part> {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))?;
            (key.trim(), Some(quoted.to_owned()))
        }
        None => (inner, None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Part::Variable {
        key: key.to_ascii_lowercase(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::glob_match;

    #[test]
    fn variables_substitute_single_values_and_fall_back_to_defaults() {
        let context = Context::new()
            .with("aws:username", "alice")
            .with_multi("aws:TagKeys", &["a", "b"]);
        let t = Template::parse("home/${aws:username}/${aws:TagKeys, 'none'}", true);
        assert_eq!(t.resolve(&context).unwrap(), "home/alice/none");
        let t = Template::parse("${aws:PrincipalTag/team}", true);
        assert_eq!(t.resolve(&context), None);
        let t = Template::parse("${aws:PrincipalTag/team, 'company-wide'}", true);
        assert_eq!(t.resolve(&context).unwrap(), "company-wide");
    }

    #[test]
    fn substituted_text_and_escapes_are_never_wildcards() {
        let context = Context::new().with("aws:username", "a*");
        let t = Template::parse("x/${aws:username}/${*}${?}${$}/*", true);
        let pattern = t.resolve_pattern(&context, false).unwrap();
        assert!(glob_match(&pattern, "x/a*/*?$/anything", false));
        assert!(!glob_match(&pattern, "x/ab/*?$/anything", false));
        assert!(!glob_match(&pattern, "x/a*/ab$/anything", false));
    }

    #[test]
    fn under_the_old_version_variables_are_text() {
        let t = Template::parse("home/${aws:username}", false);
        assert!(!t.has_variables());
        assert_eq!(t.resolve(&Context::new()).unwrap(), "home/${aws:username}");
    }
}

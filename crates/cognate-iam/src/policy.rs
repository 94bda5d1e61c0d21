//! Policy documents: JSON in, a typed [`Policy`] out, or a [`PolicyError`] that says where the
//! document is wrong. Every check IAM makes when a policy is written happens here, so that
//! evaluation never meets a statement it cannot read.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::condition::{Condition, Operator};
use crate::pattern::{compile_glob, Piece};
use crate::template::Template;

/// Which element rules apply: identity policies have no `Principal`; resource policies (bucket
/// policies) need one; trust policies need one and have no `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Resource,
    Trust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are honoured.
    V2012,
    /// `2008-10-17`, or no `Version`: `${…}` is literal text.
    V2008,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A place in the policy text, 1-based, as the IAM simulator reports statement positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

/// Why a document was refused: `MalformedPolicyDocument` on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: Version,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub span: Span,
    pub(crate) principal: Option<Listed<PrincipalEntry>>,
    pub(crate) action: Listed<Vec<Piece>>,
    pub(crate) resource: Option<Listed<Template>>,
    pub(crate) conditions: Vec<Condition>,
}

/// An element and its `Not…` twin: `Is` matches the listed entries, `Not` everything else.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Listed<T> {
    Is(Vec<T>),
    Not(Vec<T>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalEntry {
    /// `"Principal": "*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    Anyone,
    /// `{"AWS" | "Federated" | "Service" | "CanonicalUser": id}`.
    Named { kind: String, id: String },
}

impl Policy {
    /// Parses a document for `kind`. The error message names the statement (by position and
    /// `Sid`) and the element at fault.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let top: Map<String, Value> = serde_json::from_str(text).map_err(|e| {
            PolicyError(format!(
                "Syntax errors in policy: {} (line {}, column {}).",
                describe_json_error(&e),
                e.line(),
                e.column()
            ))
        })?;
        for key in top.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(PolicyError(format!(
                    "Policy has an unknown element {key}: a policy holds Version, Id and Statement."
                )));
            }
        }
        let version = match top.get("Version") {
            None => Version::V2008,
            Some(Value::String(v)) if v == "2012-10-17" => Version::V2012,
            Some(Value::String(v)) if v == "2008-10-17" => Version::V2008,
            Some(other) => {
                return Err(PolicyError(format!(
                    "Version {other} is not a policy language version: use \"2012-10-17\"."
                )))
            }
        };
        let id = match top.get("Id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(PolicyError("Id must be a string.".into())),
        };
        // The statements are read a second time as raw text to learn where each one sits.
        let raw: RawTop = serde_json::from_str(text)
            .map_err(|e| PolicyError(format!("Syntax errors in policy: {e}.")))?;
        let raw_statements: Vec<&RawValue> = match raw.statement {
            None => return Err(PolicyError("Missing required field Statement.".into())),
            Some(raw) if raw.get().trim_start().starts_with('[') => serde_json::from_str(raw.get())
                .map_err(|_| {
                    PolicyError("Statement must be an object or a list of objects.".into())
                })?,
            Some(raw) => vec![raw],
        };
        if raw_statements.is_empty() {
            return Err(PolicyError(
                "Statement must hold at least one statement.".into(),
            ));
        }
        let mut statements = Vec::with_capacity(raw_statements.len());
        for (index, raw_statement) in raw_statements.into_iter().enumerate() {
            let span = span_of(text, raw_statement.get());
            let body: Map<String, Value> = serde_json::from_str(raw_statement.get())
                .map_err(|_| PolicyError(format!("Statement {}: must be an object.", index + 1)))?;
            let sid = body.get("Sid").and_then(Value::as_str).map(str::to_owned);
            let place = match &sid {
                Some(sid) => format!("Statement {} (Sid {sid})", index + 1),
                None => format!("Statement {}", index + 1),
            };
            let statement = parse_statement(&body, kind, version, span, sid)
                .map_err(|message| PolicyError(format!("{place}: {message}")))?;
            statements.push(statement);
        }
        Ok(Policy {
            version,
            id,
            statements,
        })
    }
}

#[derive(serde::Deserialize)]
struct RawTop<'a> {
    #[serde(borrow, rename = "Statement")]
    statement: Option<&'a RawValue>,
}

fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line L column C"; the caller says where in its own words.
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn span_of(text: &str, part: &str) -> Span {
    let start = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let end = start + part.len().saturating_sub(1);
    Span {
        start: position_at(text, start),
        end: position_at(text, end),
    }
}

fn position_at(text: &str, offset: usize) -> Position {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    Position {
        line,
        column: (offset - line_start) as u32 + 1,
    }
}

fn parse_statement(
    body: &Map<String, Value>,
    kind: PolicyKind,
    version: Version,
    span: Span,
    sid: Option<String>,
) -> Result<Statement, String> {
    for key in body.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(format!("unknown element {key}."));
        }
    }
    if let Some(sid) = body.get("Sid") {
        // IAM's own policies take alphanumeric ids only; bucket policies any string.
        let ok = sid.as_str().is_some_and(|s| {
            kind == PolicyKind::Resource || s.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if !ok {
            return Err("Statement IDs (SID) must be alpha-numeric.".into());
        }
    }
    let effect = match body.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return Err(format!("Effect \"{other}\" must be Allow or Deny.")),
        None => return Err("Missing required field Effect.".into()),
    };
    let principal = either(body, "Principal", "NotPrincipal")?
        .map(|(is, value)| parse_principals(value).map(|entries| listed(is, entries)))
        .transpose()?;
    match (kind, &principal) {
        (PolicyKind::Identity, Some(_)) => {
            return Err("Policy document should not specify a principal.".into())
        }
        (PolicyKind::Resource | PolicyKind::Trust, None) => {
            return Err("Missing required field Principal.".into())
        }
        _ => {}
    }
    let (is, actions) = either(body, "Action", "NotAction")?
        .ok_or_else(|| "Missing required field Action.".to_owned())?;
    let action = listed(
        is,
        strings(actions, "Action")?
            .into_iter()
            .map(|a| {
                if a != "*" && !a.contains(':') {
                    return Err(format!(
                        "Action \"{a}\": Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                    ));
                }
                Ok(compile_glob(&a, true))
            })
            .collect::<Result<_, _>>()?,
    );
    let variables = version == Version::V2012;
    let resource = either(body, "Resource", "NotResource")?
        .map(|(is, value)| {
            let entries = strings(value, "Resource")?
                .into_iter()
                .map(|r| {
                    if r != "*" && !r.starts_with("arn:") {
                        return Err(format!("Resource {r} must be in ARN format or \"*\"."));
                    }
                    Ok(Template::parse(&r, variables))
                })
                .collect::<Result<_, String>>()?;
            Ok::<_, String>(listed(is, entries))
        })
        .transpose()?;
    match (kind, &resource) {
        (PolicyKind::Trust, Some(_)) => return Err("Has prohibited field Resource.".into()),
        (PolicyKind::Identity | PolicyKind::Resource, None) => {
            return Err("Missing required field Resource.".into())
        }
        _ => {}
    }
    let conditions = match body.get("Condition") {
        None => Vec::new(),
        Some(block) => parse_conditions(block, variables)?,
    };
    Ok(Statement {
        sid,
        effect,
        span,
        principal,
        action,
        resource,
        conditions,
    })
}

fn listed<T>(is: bool, entries: Vec<T>) -> Listed<T> {
    if is {
        Listed::Is(entries)
    } else {
        Listed::Not(entries)
    }
}

/// The element or its `Not` twin (`true` for the positive one); both at once is an error.
fn either<'a>(
    body: &'a Map<String, Value>,
    name: &str,
    not_name: &str,
) -> Result<Option<(bool, &'a Value)>, String> {
    match (body.get(name), body.get(not_name)) {
        (Some(_), Some(_)) => Err(format!("{name} and {not_name} cannot both be given.")),
        (Some(value), None) => Ok(Some((true, value))),
        (None, Some(value)) => Ok(Some((false, value))),
        (None, None) => Ok(None),
    }
}

/// A string or a non-empty list of strings.
fn strings(value: &Value, element: &str) -> Result<Vec<String>, String> {
    let list = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{element} must list strings."))?,
        _ => return Err(format!("{element} must be a string or a list of strings.")),
    };
    Ok(list)
}

fn parse_principals(value: &Value) -> Result<Vec<PrincipalEntry>, String> {
    match value {
        Value::String(s) if s == "*" => Ok(vec![PrincipalEntry::Anyone]),
        Value::Object(kinds) if !kinds.is_empty() => {
            let mut entries = Vec::new();
            for (kind, ids) in kinds {
                if !matches!(
                    kind.as_str(),
                    "AWS" | "Federated" | "Service" | "CanonicalUser"
                ) {
                    return Err(format!(
                        "Principal type {kind} is not one of AWS, Federated, Service, CanonicalUser."
                    ));
                }
                for id in strings(ids, "Principal")? {
                    entries.push(if kind == "AWS" && id == "*" {
                        PrincipalEntry::Anyone
                    } else {
                        PrincipalEntry::Named {
                            kind: kind.clone(),
                            id,
                        }
                    });
                }
            }
            Ok(entries)
        }
        _ => Err("Principal must be \"*\" or an object such as {\"AWS\": \"arn:…\"}.".into()),
    }
}

fn parse_conditions(block: &Value, variables: bool) -> Result<Vec<Condition>, String> {
    let Value::Object(operators) = block else {
        return Err("Condition must be an object of operators.".into());
    };
    let mut conditions = Vec::new();
    for (name, keys) in operators {
        let operator =
            Operator::parse(name).ok_or_else(|| format!("Invalid Condition type : {name}."))?;
        let Value::Object(keys) = keys else {
            return Err(format!("Condition {name} must be an object of keys."));
        };
        for (key, values) in keys {
            if key.is_empty() {
                return Err(format!("Condition {name} has an empty key."));
            }
            let values = match values {
                Value::Array(items) => items.iter().collect::<Vec<_>>(),
                single => vec![single],
            };
            let values = values
                .into_iter()
                .map(|value| match value {
                    Value::String(s) => Ok(Template::parse(s, variables)),
                    Value::Number(n) => Ok(Template::parse(&n.to_string(), false)),
                    Value::Bool(b) => Ok(Template::parse(&b.to_string(), false)),
                    _ => Err(format!(
                        "Condition {name} {key}: values must be strings, numbers or booleans."
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let condition = Condition::new(operator.clone(), key, values)
                .map_err(|message| format!("Condition {name}: {message}."))?;
            conditions.push(condition);
        }
    }
    Ok(conditions)
}

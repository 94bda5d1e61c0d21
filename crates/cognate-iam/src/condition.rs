//! Condition operators and their evaluation, with AWS's rules for missing keys (positive
//! operators fail, negated ones hold, `…IfExists` holds), set qualifiers (`ForAnyValue` is false
//! on an empty or missing set, `ForAllValues` true) and negation per value.

use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ipnet::IpNet;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::context::Context;
use crate::pattern::{arn_like, glob_match};
use crate::template::Template;

/// Every base operator this evaluator knows; `ForAnyValue:`/`ForAllValues:` prefixes and the
/// `IfExists` suffix combine with all but `Null`.
pub const OPERATOR_NAMES: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String { ignore_case: bool },
    StringLike,
    Numeric(Ordering),
    Date(Ordering),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// The comparison of numeric and date operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operator {
    family: Family,
    negated: bool,
    set: Option<SetQualifier>,
    if_exists: bool,
}

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringNotLikeIfExists`. Operator names are
    /// matched case-insensitively: AWS documents them in one spelling and does not say whether
    /// others are refused, and accepting them cannot widen what a policy means.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let lower = name.to_ascii_lowercase();
        let (set, rest) = if let Some(rest) = lower.strip_prefix("foranyvalue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = lower.strip_prefix("forallvalues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, lower.as_str())
        };
        let (if_exists, base) = match rest.strip_suffix("ifexists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        use Ordering::*;
        let (family, negated) = match base {
            "stringequals" => (Family::String { ignore_case: false }, false),
            "stringnotequals" => (Family::String { ignore_case: false }, true),
            "stringequalsignorecase" => (Family::String { ignore_case: true }, false),
            "stringnotequalsignorecase" => (Family::String { ignore_case: true }, true),
            "stringlike" => (Family::StringLike, false),
            "stringnotlike" => (Family::StringLike, true),
            "numericequals" => (Family::Numeric(Equals), false),
            "numericnotequals" => (Family::Numeric(Equals), true),
            "numericlessthan" => (Family::Numeric(LessThan), false),
            "numericlessthanequals" => (Family::Numeric(LessThanEquals), false),
            "numericgreaterthan" => (Family::Numeric(GreaterThan), false),
            "numericgreaterthanequals" => (Family::Numeric(GreaterThanEquals), false),
            "dateequals" => (Family::Date(Equals), false),
            "datenotequals" => (Family::Date(Equals), true),
            "datelessthan" => (Family::Date(LessThan), false),
            "datelessthanequals" => (Family::Date(LessThanEquals), false),
            "dategreaterthan" => (Family::Date(GreaterThan), false),
            "dategreaterthanequals" => (Family::Date(GreaterThanEquals), false),
            "bool" => (Family::Bool, false),
            "binaryequals" => (Family::Binary, false),
            "ipaddress" => (Family::Ip, false),
            "notipaddress" => (Family::Ip, true),
            "arnequals" | "arnlike" => (Family::Arn, false),
            "arnnotequals" | "arnnotlike" => (Family::Arn, true),
            "null" if set.is_none() && !if_exists => (Family::Null, false),
            _ => return None,
        };
        Some(Operator {
            family,
            negated,
            set,
            if_exists,
        })
    }
}

/// One key under one operator, with the values the policy lists for it (OR'ed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    operator: Operator,
    /// Lowercased: condition keys are case-insensitive.
    key: String,
    values: Vec<Template>,
}

impl Condition {
    /// Builds the condition, checking every value that holds no variable can be read the way
    /// its operator reads it; the error names the offending value.
    pub(crate) fn new(
        operator: Operator,
        key: &str,
        values: Vec<Template>,
    ) -> Result<Condition, String> {
        for value in values.iter().filter(|v| !v.has_variables()) {
            let raw = value.raw();
            let ok = match operator.family {
                Family::Numeric(_) => parse_number(raw).is_some(),
                Family::Date(_) => parse_date(raw).is_some(),
                Family::Bool | Family::Null => parse_bool(raw).is_some(),
                Family::Binary => STANDARD.decode(raw).is_ok(),
                Family::Ip => parse_network(raw).is_some(),
                Family::String { .. } | Family::StringLike | Family::Arn => true,
            };
            if !ok {
                return Err(format!(
                    "the value \"{raw}\" of {key} cannot be read as {}",
                    operator.family.reads_as()
                ));
            }
        }
        Ok(Condition {
            operator,
            key: key.to_ascii_lowercase(),
            values,
        })
    }

    /// The keys this condition reads: its own and those of the variables in its values.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.key.as_str()).chain(self.values.iter().flat_map(|v| v.variable_keys()))
    }

    pub(crate) fn holds(&self, context: &Context) -> bool {
        let present = context
            .get_lowercase(&self.key)
            .filter(|value| !value.values().is_empty());
        if self.operator.family == Family::Null {
            return self.values.iter().any(|value| {
                value
                    .resolve(context)
                    .and_then(|v| parse_bool(&v))
                    .is_some_and(|wants_absent| wants_absent == present.is_none())
            });
        }
        let request_values: &[String] = match context.get_lowercase(&self.key) {
            Some(value) => value.values(),
            None if self.operator.if_exists => return true,
            None => &[],
        };
        let negated = self.operator.negated;
        match self.operator.set {
            // A missing key: positive operators fail, negated ones hold.
            None if request_values.is_empty() => negated,
            None => request_values.iter().any(|v| self.matches_any(v, context)) != negated,
            Some(SetQualifier::ForAnyValue) => request_values
                .iter()
                .any(|v| self.matches_any(v, context) != negated),
            Some(SetQualifier::ForAllValues) => request_values
                .iter()
                .all(|v| self.matches_any(v, context) != negated),
        }
    }

    /// Whether the request value matches one of the policy's values under the positive form of
    /// the operator. A value whose variable has no value matches nothing.
    fn matches_any(&self, request: &str, context: &Context) -> bool {
        self.values
            .iter()
            .any(|value| self.matches(value, request, context).unwrap_or(false))
    }

    fn matches(&self, value: &Template, request: &str, context: &Context) -> Option<bool> {
        Some(match self.operator.family {
            Family::String { ignore_case: false } => *value.resolve(context)? == *request,
            Family::String { ignore_case: true } => {
                value.resolve(context)?.to_lowercase() == request.to_lowercase()
            }
            Family::StringLike => {
                glob_match(&value.resolve_pattern(context, false)?, request, false)
            }
            Family::Arn => arn_like(&value.resolve_pattern(context, false)?, request),
            Family::Numeric(ordering) => ordering.holds(
                parse_number(request)?,
                parse_number(&value.resolve(context)?)?,
            ),
            Family::Date(ordering) => {
                ordering.holds(parse_date(request)?, parse_date(&value.resolve(context)?)?)
            }
            Family::Bool => parse_bool(request)? == parse_bool(&value.resolve(context)?)?,
            Family::Binary => {
                STANDARD.decode(request).ok()? == STANDARD.decode(&*value.resolve(context)?).ok()?
            }
            Family::Ip => {
                let address: IpAddr = request.trim().parse().ok()?;
                parse_network(&value.resolve(context)?)?.contains(&address)
            }
            Family::Null => unreachable!("Null is decided in holds"),
        })
    }
}

impl Family {
    fn reads_as(self) -> &'static str {
        match self {
            Family::Numeric(_) => "a number",
            Family::Date(_) => "a date (ISO 8601 or epoch seconds)",
            Family::Bool | Family::Null => "true or false",
            Family::Binary => "base64",
            Family::Ip => "an IP address or CIDR block",
            _ => "text",
        }
    }
}

impl Ordering {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Ordering::Equals => request == policy,
            Ordering::LessThan => request < policy,
            Ordering::LessThanEquals => request <= policy,
            Ordering::GreaterThan => request > policy,
            Ordering::GreaterThanEquals => request >= policy,
        }
    }
}

fn parse_number(raw: &str) -> Option<f64> {
    raw.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Dates as IAM reads them: ISO 8601 (a full timestamp or a day) or epoch seconds. Compared
/// as Unix time in nanoseconds.
fn parse_date(raw: &str) -> Option<i128> {
    let raw = raw.trim();
    if let Ok(seconds) = raw.parse::<i64>() {
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    if let Ok(at) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(at.unix_timestamp_nanos());
    }
    let day = time::Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    );
    day.ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp_nanos())
}

/// A CIDR block, or a bare address as its /32 or /128.
fn parse_network(raw: &str) -> Option<IpNet> {
    let raw = raw.trim();
    raw.parse::<IpNet>()
        .ok()
        .or_else(|| raw.parse::<IpAddr>().ok().map(IpNet::from))
}

//! The decision: explicit deny beats allow beats the implicit deny, across every policy given,
//! whatever their order. A statement applies when its principal (for resource and trust
//! policies), action, resource and all of its conditions match.

use std::collections::BTreeSet;

use crate::context::Context;
use crate::pattern::{arn_like, glob_match};
use crate::policy::{Effect, Listed, Policy, PrincipalEntry, Span, Statement};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    /// The IAM simulator's spelling: `allowed`, `explicitDeny`, `implicitDeny`.
    pub fn as_simulator_str(self) -> &'static str {
        match self {
            Decision::Allow => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// Who makes the request, for policies with a `Principal`: the kind (`AWS`, `Federated`,
/// `Service`) and every identifier it answers to (an assumed role answers to its session ARN
/// and its role ARN), plus its account. `None` in [`Request::principal`] is an anonymous caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrincipal {
    pub kind: String,
    pub ids: Vec<String>,
    pub account: Option<String>,
}

pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub principal: Option<&'a RequestPrincipal>,
    pub context: &'a Context,
}

/// A statement that applied, by its place in the list of policies given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub policy: usize,
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// The statements that decided: the denying ones for an explicit deny, the allowing ones
    /// for an allow, none for an implicit deny.
    pub matched: Vec<MatchedStatement>,
    /// Condition keys (lowercased) that statements matching the action and resource read but
    /// the context did not hold.
    pub missing_keys: Vec<String>,
}

pub fn evaluate(policies: &[&Policy], request: &Request) -> Evaluation {
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    let mut missing = BTreeSet::new();
    for (policy_index, policy) in policies.iter().enumerate() {
        for (statement_index, statement) in policy.statements.iter().enumerate() {
            if !statement_matches_action(statement, request) {
                continue;
            }
            // A variable in Resource without a value makes the entry match nothing: say so.
            if let Some(Listed::Is(entries) | Listed::Not(entries)) = &statement.resource {
                for key in entries.iter().flat_map(|t| t.variable_keys()) {
                    if request.context.single(key).is_none() {
                        missing.insert(key.to_owned());
                    }
                }
            }
            if !statement_matches_resource(statement, request) {
                continue;
            }
            for condition in &statement.conditions {
                for key in condition.keys() {
                    if request.context.get_lowercase(key).is_none() {
                        missing.insert(key.to_owned());
                    }
                }
            }
            if !statement
                .conditions
                .iter()
                .all(|condition| condition.holds(request.context))
            {
                continue;
            }
            let matched = MatchedStatement {
                policy: policy_index,
                statement: statement_index,
                sid: statement.sid.clone(),
                effect: statement.effect,
                span: statement.span,
            };
            match statement.effect {
                Effect::Allow => allows.push(matched),
                Effect::Deny => denies.push(matched),
            }
        }
    }
    let (decision, matched) = if !denies.is_empty() {
        (Decision::ExplicitDeny, denies)
    } else if !allows.is_empty() {
        (Decision::Allow, allows)
    } else {
        (Decision::ImplicitDeny, Vec::new())
    };
    Evaluation {
        decision,
        matched,
        missing_keys: missing.into_iter().collect(),
    }
}

fn statement_matches_action(statement: &Statement, request: &Request) -> bool {
    let principal = match &statement.principal {
        None => true,
        Some(listed) => is_listed(listed, |entry| principal_matches(entry, request.principal)),
    };
    principal
        && is_listed(&statement.action, |pattern| {
            glob_match(pattern, request.action, true)
        })
}

fn statement_matches_resource(statement: &Statement, request: &Request) -> bool {
    statement.resource.as_ref().is_none_or(|listed| {
        is_listed(listed, |template| {
            template
                .resolve_pattern(request.context, false)
                .is_some_and(|pattern| arn_like(&pattern, request.resource))
        })
    })
}

fn is_listed<T>(listed: &Listed<T>, matches: impl Fn(&T) -> bool) -> bool {
    match listed {
        Listed::Is(entries) => entries.iter().any(matches),
        Listed::Not(entries) => !entries.iter().any(matches),
    }
}

fn principal_matches(entry: &PrincipalEntry, caller: Option<&RequestPrincipal>) -> bool {
    let (kind, id) = match entry {
        PrincipalEntry::Anyone => return true,
        PrincipalEntry::Named { kind, id } => (kind, id),
    };
    let Some(caller) = caller else {
        return false;
    };
    if *kind != caller.kind {
        return false;
    }
    if caller.ids.iter().any(|known| known == id) {
        return true;
    }
    // An account (bare or as `arn:aws:iam::<account>:root`) names every principal in it.
    let account = id
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_suffix(":root"))
        .unwrap_or(id);
    kind == "AWS" && caller.account.as_deref() == Some(account)
}

//! The IAM policy language, pure: parse identity, resource and trust policies
//! ([`Policy::parse`]) and decide requests against them as AWS does ([`evaluate`]), with the
//! explanation a person needs (which statements decided, which context keys were missing).
//!
//! Nothing here does I/O: callers load policies, build a [`Request`] and a [`Context`], and get
//! an [`Evaluation`] back. Parse once and keep the [`Policy`]; evaluation allocates only for
//! policy variables.

mod condition;
mod context;
mod evaluate;
mod pattern;
mod policy;
mod template;

pub use condition::OPERATOR_NAMES;
pub use context::{Context, ContextValue};
pub use evaluate::{evaluate, Decision, Evaluation, MatchedStatement, Request, RequestPrincipal};
pub use policy::{Effect, Policy, PolicyError, PolicyKind, Position, Span, Statement, Version};

/// Whether an ARN-shaped `pattern` (with `*` and `?`, `*` crossing `/`) matches `resource`,
/// segment by segment as IAM matches `Resource` entries. Exposed for callers that map their
/// own resources (and for `cognate policy explain`).
pub fn resource_matches(pattern: &str, resource: &str) -> bool {
    pattern::arn_like(&pattern::compile_glob(pattern, false), resource)
}

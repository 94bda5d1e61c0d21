//! The audit log: who made each administrative change, what it was, when and from where.
//!
//! The service writes one [`AuditRecord`] per change, handing it to the store beside the change
//! itself so that both commit in one transaction or neither does. Who is calling is request
//! context that only the adapter knows (the SigV4 principal, the Admin Queries caller, the
//! client address); the adapter runs the call inside [`Actor::scope`], and the service reads it
//! when it builds the record. Records never carry secrets: no passwords, codes or tokens.

use std::future::Future;

use serde_json::Value;

use crate::ids::{PoolId, Timestamp};

/// Who is making a change, and from which address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `root` (the SigV4 root credentials), `admin-queries:<username>`, or `operator` for
    /// commands run on the server's machine.
    pub name: String,
    /// The client's address, or `local`.
    pub source: String,
}

tokio::task_local! {
    static ACTOR: Actor;
}

impl Actor {
    pub fn new(name: impl Into<String>, source: impl Into<String>) -> Self {
        Actor {
            name: name.into(),
            source: source.into(),
        }
    }

    /// Changes made in-process, without an adapter: the operator's own commands and tests.
    pub fn operator() -> Self {
        Actor::new("operator", "local")
    }

    /// Runs `work` on behalf of this actor.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        ACTOR.scope(self, work).await
    }

    pub(crate) fn current() -> Self {
        ACTOR
            .try_with(Actor::clone)
            .unwrap_or_else(|_| Actor::operator())
    }
}

/// One administrative change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Assigned by the store; 0 before it is written.
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub source: String,
    /// The operation, named as in Cognito's API (`AdminDisableUser`), or `ApplyAuthBackend`
    /// for a push.
    pub action: String,
    pub pool_id: Option<PoolId>,
    /// What was changed: `user:<username>`, `group:<name>`, `client:<id>`, `pool:<id>`, ...
    pub target: String,
    /// What changed, without secrets.
    pub details: Value,
}

impl AuditRecord {
    /// A record of `action` on `target` by the current actor, now.
    pub fn new(action: &str, pool_id: Option<&PoolId>, target: String, details: Value) -> Self {
        let actor = Actor::current();
        AuditRecord {
            id: 0,
            at: Timestamp::now(),
            actor: actor.name,
            source: actor.source,
            action: action.to_owned(),
            pool_id: pool_id.cloned(),
            target,
            details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_name_the_actor_of_the_scope_they_are_made_in() {
        let outside = AuditRecord::new("CreateGroup", None, "group:a".into(), Value::Null);
        assert_eq!(
            (outside.actor.as_str(), outside.source.as_str()),
            ("operator", "local")
        );
        let inside = Actor::new("root", "192.0.2.7")
            .scope(async { AuditRecord::new("CreateGroup", None, "group:a".into(), Value::Null) })
            .await;
        assert_eq!(
            (inside.actor.as_str(), inside.source.as_str()),
            ("root", "192.0.2.7")
        );
    }
}

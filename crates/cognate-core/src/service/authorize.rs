//! The one evaluator: every signed operation of every surface asks [`Cognito::authorize`]
//! whether its caller may perform an action on a resource. Root may do everything; IAM users
//! and role sessions what their policies allow, decided by `cognate-iam`. Parsed policies are
//! cached by their text, so a request never parses a document again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cognate_iam::{
    evaluate, Context, Decision, Evaluation, Policy, PolicyKind, Request, RequestPrincipal,
};
use serde_json::json;

use super::Cognito;
use crate::audit::AuditRecord;
use crate::credentials::Principal;
use crate::error::{Error, Result};
use crate::iam::{no_such_role, IamName, PolicyOwner};

/// Enough for every policy of a large deployment; past it the cache starts over.
const CAPACITY: usize = 4096;

/// A document's kind and text.
type PolicyKey = (u8, String);

#[derive(Clone, Default)]
pub(super) struct PolicyCache {
    entries: Arc<Mutex<HashMap<PolicyKey, Arc<Policy>>>>,
}

fn kind_tag(kind: PolicyKind) -> u8 {
    match kind {
        PolicyKind::Identity => 0,
        PolicyKind::Resource => 1,
        PolicyKind::Trust => 2,
    }
}

impl PolicyCache {
    /// The parsed document. Stored documents were checked when written, so a failure here is
    /// an internal error for the caller to report.
    pub(super) fn parse(&self, document: &str, kind: PolicyKind) -> Result<Arc<Policy>> {
        let key = (kind_tag(kind), document.to_owned());
        if let Some(policy) = self.entries.lock().expect("policy cache").get(&key) {
            return Ok(policy.clone());
        }
        let policy = Arc::new(super::iam::parse_document(document, kind)?);
        let mut entries = self.entries.lock().expect("policy cache");
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, policy.clone());
        Ok(policy)
    }
}

/// A policy and where it comes from (an inline policy's name, a managed policy's ARN).
pub struct SourcedPolicy {
    pub source: String,
    pub policy: Arc<Policy>,
}

/// What a decision was about, for explanations.
pub struct Explained {
    pub evaluation: Evaluation,
    pub policies: Vec<SourcedPolicy>,
}

impl Cognito {
    /// Decides whether `principal` may perform `action` on `resource`. `context` holds the
    /// request's own keys (`aws:SourceIp`, `s3:prefix` …); the principal's are added here.
    /// A denial is audited and answered as AWS answers it.
    pub async fn authorize(
        &self,
        principal: &Principal,
        action: &str,
        resource: &str,
        context: Context,
    ) -> Result<()> {
        self.authorize_on(Some(principal), action, resource, context, None)
            .await
    }

    /// [`Cognito::authorize`] for a caller that may be anonymous (`None`), on a resource that
    /// may carry its own policy (a bucket policy). Within one account AWS allows what either
    /// the identity's policies or the resource's policy allow, unless either denies; an
    /// anonymous caller has only what the resource policy grants to `*`.
    pub async fn authorize_on(
        &self,
        principal: Option<&Principal>,
        action: &str,
        resource: &str,
        mut context: Context,
        resource_policy: Option<&str>,
    ) -> Result<()> {
        if principal == Some(&Principal::Root) && resource_policy.is_none() {
            return Ok(());
        }
        let resource_policy = resource_policy
            .map(|text| self.policies.parse(text, PolicyKind::Resource))
            .transpose()?;
        // Root may do everything but what its own bucket's policy denies it explicitly.
        let identity_policies = match principal {
            None | Some(Principal::Root) => Arc::new(Vec::new()),
            Some(principal) => self.principal_policies(principal).await?,
        };
        if let Some(principal) = principal {
            self.add_principal_keys(principal, &mut context);
        }
        let mut refs: Vec<&Policy> = identity_policies.iter().map(|p| &*p.policy).collect();
        if let Some(policy) = &resource_policy {
            refs.push(policy);
        }
        let request_principal = principal.map(|p| self.request_principal(p));
        let request = Request {
            action,
            resource,
            principal: request_principal.as_ref(),
            context: &context,
        };
        let decision = evaluate(&refs, &request).decision;
        let allowed = matches!(
            (principal, decision),
            (_, Decision::Allow) | (Some(Principal::Root), Decision::ImplicitDeny)
        );
        if allowed {
            return Ok(());
        }
        let caller = principal.map_or_else(
            || "anonymous".to_owned(),
            |p| p.arn(&self.config.account_id),
        );
        let explicit = if decision == Decision::ExplicitDeny {
            " with an explicit deny"
        } else {
            ""
        };
        let record = AuditRecord::new(
            "AccessDenied",
            None,
            format!("resource:{resource}"),
            json!({"action": action, "principal": caller, "decision": decision.as_simulator_str()}),
        );
        if let Err(e) = self.store.record_audit(&record).await {
            tracing::warn!(error = %e, "could not audit a denied call");
        }
        Err(Error::AccessDenied(format!(
            "User: {caller} is not authorized to perform: {action} on resource: {resource}{explicit}"
        )))
    }

    /// How a resource policy's `Principal` sees the caller: its ARNs (a role session's and
    /// its role's) and its account.
    fn request_principal(&self, principal: &Principal) -> RequestPrincipal {
        let account = &self.config.account_id;
        let mut ids = vec![principal.arn(account)];
        if let Principal::Role(session) = principal {
            ids.push(session.role_arn.clone());
        }
        RequestPrincipal {
            kind: "AWS".to_owned(),
            ids,
            account: Some(account.clone()),
        }
    }

    /// The identity policies that govern `principal`: a role's inline and attached policies,
    /// a user's inline policies. Root has none (it is never evaluated).
    pub async fn principal_policies(
        &self,
        principal: &Principal,
    ) -> Result<Arc<Vec<SourcedPolicy>>> {
        let documents = match principal {
            Principal::Root => Vec::new(),
            Principal::User { name, .. } => self
                .store
                .inline_documents(&PolicyOwner::User(name.clone()))
                .await?
                .into_iter()
                .map(|(name, document)| (name.to_string(), document))
                .collect(),
            // A deleted role's sessions may do nothing.
            Principal::Role(session) => {
                let key = session.role.key();
                let policies = match self.decisions.role(&key) {
                    Some(cached) => cached,
                    None => {
                        let read = self.role_policies(&session.role).await?.map(Arc::new);
                        self.decisions.saw_role(key, read.clone());
                        read
                    }
                };
                return Ok(policies.unwrap_or_default());
            }
        };
        documents
            .into_iter()
            .map(|(source, document)| {
                Ok(SourcedPolicy {
                    source,
                    policy: self.policies.parse(&document, PolicyKind::Identity)?,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Arc::new)
    }

    /// A role's inline and attached policies, parsed (from the cache), by source; `None` when
    /// there is no such role.
    pub(super) async fn role_policies(&self, role: &IamName) -> Result<Option<Vec<SourcedPolicy>>> {
        let Some(found) = self.store.role_policies(role).await? else {
            return Ok(None);
        };
        found
            .documents
            .into_iter()
            .map(|d| {
                Ok(SourcedPolicy {
                    policy: self.policies.parse(&d.document, PolicyKind::Identity)?,
                    source: d.source,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// The keys AWS puts in every request's context for this principal.
    pub fn add_principal_keys(&self, principal: &Principal, context: &mut Context) {
        let account = &self.config.account_id;
        context.insert("aws:PrincipalArn", principal.arn(account));
        context.insert("aws:PrincipalAccount", account.as_str());
        context.insert("aws:userid", principal.user_id(account));
        let now = time::OffsetDateTime::now_utc();
        context.insert("aws:EpochTime", now.unix_timestamp().to_string());
        if let Ok(text) = now.format(&time::format_description::well_known::Rfc3339) {
            context.insert("aws:CurrentTime", text);
        }
        match principal {
            Principal::Root => {}
            Principal::User { name, .. } => {
                context.insert("aws:username", name.as_str());
                context.insert("aws:PrincipalType", "User");
            }
            Principal::Role(session) => {
                context.insert("aws:PrincipalType", "AssumedRole");
                if let Some(identity) = &session.identity {
                    identity.add_keys(context);
                }
            }
        }
    }

    /// `cognate policy explain`: a role's decision on one request, with its policies so the
    /// matched statements can be named.
    pub async fn explain_role(
        &self,
        role: &IamName,
        action: &str,
        resource: &str,
        context: Context,
    ) -> Result<Explained> {
        let policies = self
            .role_policies(role)
            .await?
            .ok_or_else(|| no_such_role(role))?;
        let refs: Vec<&Policy> = policies.iter().map(|p| &*p.policy).collect();
        let evaluation = evaluate(
            &refs,
            &Request {
                action,
                resource,
                principal: None,
                context: &context,
            },
        );
        Ok(Explained {
            evaluation,
            policies,
        })
    }
}

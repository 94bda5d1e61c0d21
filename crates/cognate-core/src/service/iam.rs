//! IAM's rules: roles and their trust policies, users and access keys, inline and managed
//! policies, and the policy simulator. Every document is parsed by `cognate-iam` when it is
//! written, so a malformed one (or one with an operator the evaluator does not know) is refused
//! then, with where and why, and never silently ignored later.

use cognate_iam::{evaluate, Context, Evaluation, Policy, PolicyKind, Request};
use rand::Rng;
use serde_json::json;

use super::Cognito;
use crate::audit::AuditRecord;
use crate::error::{Error, Result};
use crate::iam::{
    no_such_inline_policy, no_such_role, no_such_user, parse_path, AccessKey, IamName, IamUser,
    ManagedPolicy, PolicyOwner, Role, Tag,
};
use crate::ids::Timestamp;
use crate::store::Page;

/// AWS's quotas, in characters other than whitespace.
const ROLE_INLINE_POLICY_SIZE: usize = 10_240;
const USER_INLINE_POLICY_SIZE: usize = 2_048;
const MANAGED_POLICY_SIZE: usize = 6_144;
const TRUST_POLICY_SIZE: usize = 2_048;
const ACCESS_KEYS_PER_USER: u32 = 2;
const TAGS_PER_ROLE: usize = 50;

/// What `CreateRole` takes.
pub struct NewRole {
    pub name: IamName,
    pub path: Option<String>,
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub tags: Vec<Tag>,
}

/// A user's new access key, with the secret shown this once.
pub struct NewAccessKey {
    pub key: AccessKey,
    pub secret: String,
}

/// One (action, resource) pair of a simulation: the decision and which policies decided it.
pub struct Simulated {
    pub action: String,
    pub resource: String,
    pub evaluation: Evaluation,
    /// For each matched statement (by its policy index): the policy's id and type, as the
    /// simulator reports them (`PolicyInputList.1` / `none`, a role policy's name / `role` …).
    pub sources: Vec<(String, &'static str)>,
}

/// An IAM-style unique id: a four-letter prefix and 17 characters of A–Z and 2–7.
pub(crate) fn iam_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::thread_rng();
    let tail: String = (0..17)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// Parses `document` for `kind` and checks it against `limit`; the error says where.
fn checked(document: &str, kind: PolicyKind, limit: usize, quota: &str) -> Result<()> {
    let size = document.chars().filter(|c| !c.is_whitespace()).count();
    if size > limit {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for {quota}: {limit}"
        )));
    }
    parse_document(document, kind).map(drop)
}

/// A document as a policy, or MalformedPolicyDocument saying where it is wrong.
pub(super) fn parse_document(document: &str, kind: PolicyKind) -> Result<Policy> {
    Policy::parse(document, kind).map_err(|e| Error::MalformedPolicyDocument(e.to_string()))
}

fn change(action: &str, target: String, details: serde_json::Value) -> AuditRecord {
    AuditRecord::new(action, None, target, details)
}

/// The name at the end of an IAM ARN of `kind` (`role`, `user`, `policy`), past its path.
pub fn name_in_arn<'a>(arn: &'a str, kind: &str) -> Option<&'a str> {
    let (_, rest) = arn.split_once(&format!(":{kind}/"))?;
    arn.starts_with("arn:aws:iam::")
        .then(|| rest.rsplit('/').next())
        .flatten()
}

impl Cognito {
    fn iam_arn(&self, kind: &str, path: &str, name: &IamName) -> String {
        format!("arn:aws:iam::{}:{kind}{path}{name}", self.config.account_id)
    }

    pub async fn create_role(&self, new: NewRole) -> Result<Role> {
        checked(
            &new.trust_policy,
            PolicyKind::Trust,
            TRUST_POLICY_SIZE,
            "ACLSizePerRole",
        )?;
        let path = parse_path(new.path.as_deref())?;
        let max_session_duration = new.max_session_duration.unwrap_or(3600);
        if !(3600..=43_200).contains(&max_session_duration) {
            return Err(Error::InvalidParameter(
                "The requested MaxSessionDuration must be between 3600 and 43200 seconds.".into(),
            ));
        }
        check_tags(&new.tags)?;
        let role = Role {
            arn: self.iam_arn("role", &path, &new.name),
            name: new.name,
            id: iam_id("AROA"),
            path,
            trust_policy: new.trust_policy,
            description: new.description,
            max_session_duration,
            tags: new.tags,
            created: Timestamp::now(),
        };
        let record = change(
            "CreateRole",
            format!("role:{}", role.name),
            json!({"arn": role.arn}),
        );
        self.store.insert_role(&role, Some(&record)).await?;
        self.decisions.forget_roles();
        tracing::info!(role = %role.name, "created role");
        Ok(role)
    }

    pub async fn get_role(&self, name: &IamName) -> Result<Role> {
        self.store
            .get_role(name)
            .await?
            .ok_or_else(|| no_such_role(name))
    }

    /// Roles whose path starts with `path_prefix`, a page at a time.
    pub async fn list_roles(
        &self,
        path_prefix: Option<&str>,
        limit: u32,
        marker: Option<&str>,
    ) -> Result<Page<Role>> {
        let mut after = self.page_after("iam-roles", marker)?;
        let prefix = path_prefix.unwrap_or("/");
        // Reads on past roles of other paths until the page is full or the roles run out, so
        // that a page is short only when it is the last.
        let mut items = Vec::new();
        loop {
            let page = self.store.list_roles(limit, after.as_deref()).await?;
            let read = page.items.len();
            let mut taken = 0;
            for role in page.items {
                if items.len() == limit as usize {
                    break;
                }
                taken += 1;
                after = Some(role.name.key());
                if role.path.starts_with(prefix) {
                    items.push(role);
                }
            }
            let more = taken < read || page.next.is_some();
            if items.len() == limit as usize || !more {
                let next = match (more, after) {
                    (true, Some(key)) => Some(self.page_token("iam-roles", &key)),
                    _ => None,
                };
                return Ok(Page { items, next });
            }
        }
    }

    async fn save_role(&self, role: &Role, action: &str) -> Result<()> {
        let record = change(action, format!("role:{}", role.name), json!({}));
        if self.store.update_role(role, Some(&record)).await? {
            Ok(())
        } else {
            Err(no_such_role(&role.name))
        }
    }

    pub async fn update_assume_role_policy(&self, name: &IamName, document: String) -> Result<()> {
        checked(
            &document,
            PolicyKind::Trust,
            TRUST_POLICY_SIZE,
            "ACLSizePerRole",
        )?;
        let mut role = self.get_role(name).await?;
        role.trust_policy = document;
        self.save_role(&role, "UpdateAssumeRolePolicy").await
    }

    pub async fn delete_role(&self, name: &IamName) -> Result<()> {
        let record = change("DeleteRole", format!("role:{name}"), json!({}));
        if self.store.delete_role(name, Some(&record)).await? {
            self.decisions.forget_roles();
            Ok(())
        } else {
            Err(no_such_role(name))
        }
    }

    /// Adds or replaces tags by key.
    pub async fn tag_role(&self, name: &IamName, tags: Vec<Tag>) -> Result<()> {
        let mut role = self.get_role(name).await?;
        for tag in tags {
            role.tags.retain(|t| t.key != tag.key);
            role.tags.push(tag);
        }
        check_tags(&role.tags)?;
        self.save_role(&role, "TagRole").await
    }

    pub async fn untag_role(&self, name: &IamName, keys: &[String]) -> Result<()> {
        let mut role = self.get_role(name).await?;
        role.tags.retain(|t| !keys.contains(&t.key));
        self.save_role(&role, "UntagRole").await
    }

    pub async fn put_inline_policy(
        &self,
        owner: PolicyOwner,
        name: IamName,
        document: String,
    ) -> Result<()> {
        let (limit, quota) = match owner {
            PolicyOwner::Role(_) => (ROLE_INLINE_POLICY_SIZE, "PolicySize"),
            PolicyOwner::User(_) => (USER_INLINE_POLICY_SIZE, "PolicySize"),
        };
        checked(&document, PolicyKind::Identity, limit, quota)?;
        let action = match owner {
            PolicyOwner::Role(_) => "PutRolePolicy",
            PolicyOwner::User(_) => "PutUserPolicy",
        };
        let record = change(
            action,
            format!("{}:{}", owner.kind(), owner.name()),
            json!({"policy": name}),
        );
        self.store
            .put_inline_policy(&owner, &name, &document, Some(&record))
            .await?;
        self.decisions.forget_roles();
        Ok(())
    }

    pub async fn get_inline_policy(
        &self,
        owner: &PolicyOwner,
        name: &IamName,
    ) -> Result<(IamName, String)> {
        self.require_owner(owner).await?;
        self.store
            .get_inline_policy(owner, name)
            .await?
            .ok_or_else(|| no_such_inline_policy(owner, name))
    }

    pub async fn list_inline_policies(
        &self,
        owner: &PolicyOwner,
        limit: u32,
        marker: Option<&str>,
    ) -> Result<Page<IamName>> {
        self.require_owner(owner).await?;
        let scope = format!("iam-inline-{}-{}", owner.kind(), owner.name().key());
        let after = self.page_after(&scope, marker)?;
        let page = self
            .store
            .list_inline_policies(owner, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    pub async fn delete_inline_policy(&self, owner: &PolicyOwner, name: &IamName) -> Result<()> {
        self.require_owner(owner).await?;
        let action = match owner {
            PolicyOwner::Role(_) => "DeleteRolePolicy",
            PolicyOwner::User(_) => "DeleteUserPolicy",
        };
        let record = change(
            action,
            format!("{}:{}", owner.kind(), owner.name()),
            json!({"policy": name}),
        );
        if self
            .store
            .delete_inline_policy(owner, name, Some(&record))
            .await?
        {
            self.decisions.forget_roles();
            Ok(())
        } else {
            Err(no_such_inline_policy(owner, name))
        }
    }

    async fn require_owner(&self, owner: &PolicyOwner) -> Result<()> {
        match owner {
            PolicyOwner::Role(name) => self.get_role(name).await.map(drop),
            PolicyOwner::User(name) => self.get_iam_user(name).await.map(drop),
        }
    }

    pub async fn create_policy(
        &self,
        name: IamName,
        path: Option<&str>,
        document: String,
        description: Option<String>,
    ) -> Result<ManagedPolicy> {
        checked(
            &document,
            PolicyKind::Identity,
            MANAGED_POLICY_SIZE,
            "PolicySize",
        )?;
        let path = parse_path(path)?;
        let policy = ManagedPolicy {
            arn: self.iam_arn("policy", &path, &name),
            name,
            id: iam_id("ANPA"),
            path,
            description,
            document,
            attachment_count: 0,
            created: Timestamp::now(),
        };
        let record = change("CreatePolicy", format!("policy:{}", policy.arn), json!({}));
        self.store
            .insert_managed_policy(&policy, Some(&record))
            .await?;
        Ok(policy)
    }

    pub async fn get_policy(&self, arn: &str) -> Result<ManagedPolicy> {
        self.store
            .get_managed_policy(arn)
            .await?
            .ok_or_else(|| Error::NoSuchEntity(format!("Policy {arn} was not found.")))
    }

    /// Managed policies have one version, `v1`.
    pub async fn get_policy_version(&self, arn: &str, version: &str) -> Result<ManagedPolicy> {
        let policy = self.get_policy(arn).await?;
        if version != "v1" {
            return Err(Error::NoSuchEntity(format!(
                "Policy {arn} version {version} does not exist or is not attachable."
            )));
        }
        Ok(policy)
    }

    pub async fn list_policies(
        &self,
        limit: u32,
        marker: Option<&str>,
    ) -> Result<Page<ManagedPolicy>> {
        let after = self.page_after("iam-policies", marker)?;
        let page = self
            .store
            .list_managed_policies(limit, after.as_deref())
            .await?;
        Ok(self.client_page("iam-policies", page))
    }

    pub async fn delete_policy(&self, arn: &str) -> Result<()> {
        let record = change("DeletePolicy", format!("policy:{arn}"), json!({}));
        if self.store.delete_managed_policy(arn, Some(&record)).await? {
            Ok(())
        } else {
            Err(Error::NoSuchEntity(format!("Policy {arn} was not found.")))
        }
    }

    pub async fn attach_role_policy(&self, role: &IamName, arn: &str) -> Result<()> {
        let record = change(
            "AttachRolePolicy",
            format!("role:{role}"),
            json!({"policy": arn}),
        );
        self.store
            .attach_role_policy(role, arn, Some(&record))
            .await?;
        self.decisions.forget_roles();
        Ok(())
    }

    pub async fn detach_role_policy(&self, role: &IamName, arn: &str) -> Result<()> {
        self.get_role(role).await?;
        let record = change(
            "DetachRolePolicy",
            format!("role:{role}"),
            json!({"policy": arn}),
        );
        if self
            .store
            .detach_role_policy(role, arn, Some(&record))
            .await?
        {
            self.decisions.forget_roles();
            Ok(())
        } else {
            Err(Error::NoSuchEntity(format!("Policy {arn} was not found.")))
        }
    }

    pub async fn list_attached_role_policies(
        &self,
        role: &IamName,
        limit: u32,
        marker: Option<&str>,
    ) -> Result<Page<ManagedPolicy>> {
        self.get_role(role).await?;
        let scope = format!("iam-attached-{}", role.key());
        let after = self.page_after(&scope, marker)?;
        let page = self
            .store
            .attached_role_policies(role, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    pub async fn create_iam_user(
        &self,
        name: IamName,
        path: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<IamUser> {
        let path = parse_path(path)?;
        check_tags(&tags)?;
        let user = IamUser {
            arn: self.iam_arn("user", &path, &name),
            name,
            id: iam_id("AIDA"),
            path,
            tags,
            created: Timestamp::now(),
        };
        let record = change("CreateUser", format!("iam-user:{}", user.name), json!({}));
        self.store.insert_iam_user(&user, Some(&record)).await?;
        Ok(user)
    }

    pub async fn get_iam_user(&self, name: &IamName) -> Result<IamUser> {
        self.store
            .get_iam_user(name)
            .await?
            .ok_or_else(|| no_such_user(name))
    }

    pub async fn delete_iam_user(&self, name: &IamName) -> Result<()> {
        let record = change("DeleteUser", format!("iam-user:{name}"), json!({}));
        if self.store.delete_iam_user(name, Some(&record)).await? {
            Ok(())
        } else {
            Err(no_such_user(name))
        }
    }

    /// A new `AKIA…` key for `user`; its secret is sealed at rest and shown only here.
    pub async fn create_access_key(&self, user: &IamName) -> Result<NewAccessKey> {
        let secret = crate::crypto::random_secret_key();
        let key = AccessKey {
            id: iam_id("AKIA")[..20].to_owned(),
            user: user.clone(),
            sealed_secret: self.secrets.seal(secret.as_bytes()),
            active: true,
            created: Timestamp::now(),
        };
        let record = change(
            "CreateAccessKey",
            format!("iam-user:{user}"),
            json!({"access_key_id": key.id}),
        );
        self.store
            .insert_access_key(&key, ACCESS_KEYS_PER_USER, Some(&record))
            .await?;
        Ok(NewAccessKey { key, secret })
    }

    pub async fn list_access_keys(&self, user: &IamName) -> Result<Vec<AccessKey>> {
        self.get_iam_user(user).await?;
        self.store.access_keys_of(user).await
    }

    pub async fn delete_access_key(&self, user: &IamName, id: &str) -> Result<()> {
        self.get_iam_user(user).await?;
        let record = change(
            "DeleteAccessKey",
            format!("iam-user:{user}"),
            json!({"access_key_id": id}),
        );
        if self
            .store
            .delete_access_key(user, id, Some(&record))
            .await?
        {
            Ok(())
        } else {
            Err(Error::NoSuchEntity(format!(
                "The Access Key with id {id} cannot be found."
            )))
        }
    }

    /// SimulateCustomPolicy: the given documents alone, for every action × resource.
    pub fn simulate_custom_policy(
        &self,
        documents: &[String],
        actions: &[String],
        resources: &[String],
        context: &Context,
    ) -> Result<Vec<Simulated>> {
        let policies = documents
            .iter()
            .map(|d| parse_document(d, PolicyKind::Identity))
            .collect::<Result<Vec<_>>>()?;
        let sources = (1..=policies.len())
            .map(|i| (format!("PolicyInputList.{i}"), "none"))
            .collect::<Vec<_>>();
        let refs: Vec<&Policy> = policies.iter().collect();
        Ok(simulate(&refs, &sources, actions, resources, context))
    }

    /// SimulatePrincipalPolicy: a role's or user's own policies plus any given documents.
    pub async fn simulate_principal_policy(
        &self,
        source_arn: &str,
        extra: &[String],
        actions: &[String],
        resources: &[String],
        context: &Context,
    ) -> Result<Vec<Simulated>> {
        let invalid = || {
            Error::InvalidParameter(format!(
                "PolicySourceArn {source_arn} names no role or user of this account."
            ))
        };
        let mut policies = Vec::new();
        let mut sources = Vec::new();
        if let Some(name) = name_in_arn(source_arn, "role") {
            let role = IamName::role(name)?;
            let found = self
                .role_policies(&role)
                .await?
                .ok_or_else(|| no_such_role(&role))?;
            for sourced in found {
                let kind = if sourced.source.starts_with("arn:") {
                    "user-managed"
                } else {
                    "role"
                };
                policies.push(sourced.policy);
                sources.push((sourced.source, kind));
            }
        } else if let Some(name) = name_in_arn(source_arn, "user") {
            let user = IamName::user(name)?;
            self.get_iam_user(&user).await?;
            for (name, document) in self
                .store
                .inline_documents(&PolicyOwner::User(user))
                .await?
            {
                policies.push(self.policies.parse(&document, PolicyKind::Identity)?);
                sources.push((name.to_string(), "user"));
            }
        } else {
            return Err(invalid());
        }
        for (i, document) in extra.iter().enumerate() {
            policies.push(std::sync::Arc::new(parse_document(
                document,
                PolicyKind::Identity,
            )?));
            sources.push((format!("PolicyInputList.{}", i + 1), "none"));
        }
        let refs: Vec<&Policy> = policies.iter().map(|p| &**p).collect();
        Ok(simulate(&refs, &sources, actions, resources, context))
    }
}

fn simulate(
    policies: &[&Policy],
    sources: &[(String, &'static str)],
    actions: &[String],
    resources: &[String],
    context: &Context,
) -> Vec<Simulated> {
    let every = ["*".to_owned()];
    let resources = if resources.is_empty() {
        &every[..]
    } else {
        resources
    };
    let mut results = Vec::new();
    for action in actions {
        for resource in resources {
            let evaluation = evaluate(
                policies,
                &Request {
                    action,
                    resource,
                    principal: None,
                    context,
                },
            );
            let sources = evaluation
                .matched
                .iter()
                .map(|m| sources[m.policy].clone())
                .collect();
            results.push(Simulated {
                action: action.clone(),
                resource: resource.clone(),
                evaluation,
                sources,
            });
        }
    }
    results
}

fn check_tags(tags: &[Tag]) -> Result<()> {
    if tags.len() > TAGS_PER_ROLE {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for TagsPerRole: {TAGS_PER_ROLE}"
        )));
    }
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 128 || tag.value.chars().count() > 256 {
            return Err(Error::InvalidParameter(
                "Tag keys must be 1 to 128 characters and values at most 256.".into(),
            ));
        }
    }
    Ok(())
}

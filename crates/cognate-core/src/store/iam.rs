//! IAM: roles, users and their access keys, inline and managed policies, attachments.

use async_trait::async_trait;

use super::{Audit, Page};
use crate::error::Result;
use crate::iam::{AccessKey, IamName, IamUser, ManagedPolicy, PolicyOwner, Role, RolePolicies};

/// Names are unique without regard to case. Inserts fail with EntityAlreadyExists; deletes of
/// entities that still hold policies, keys or attachments fail with DeleteConflict; writes that
/// name a missing owner fail with NoSuchEntity.
#[async_trait]
pub trait IamStore: Send + Sync {
    async fn insert_role(&self, role: &Role, audit: Audit<'_>) -> Result<()>;
    async fn get_role(&self, name: &IamName) -> Result<Option<Role>>;
    /// Roles in name order (case-insensitively), after the name key `after`.
    async fn list_roles(&self, limit: u32, after: Option<&str>) -> Result<Page<Role>>;
    async fn update_role(&self, role: &Role, audit: Audit<'_>) -> Result<bool>;
    async fn delete_role(&self, name: &IamName, audit: Audit<'_>) -> Result<bool>;
    /// The role with every document that governs it, in one read.
    async fn role_policies(&self, name: &IamName) -> Result<Option<RolePolicies>>;

    async fn insert_iam_user(&self, user: &IamUser, audit: Audit<'_>) -> Result<()>;
    async fn get_iam_user(&self, name: &IamName) -> Result<Option<IamUser>>;
    async fn delete_iam_user(&self, name: &IamName, audit: Audit<'_>) -> Result<bool>;

    async fn put_inline_policy(
        &self,
        owner: &PolicyOwner,
        name: &IamName,
        document: &str,
        audit: Audit<'_>,
    ) -> Result<()>;
    async fn get_inline_policy(
        &self,
        owner: &PolicyOwner,
        name: &IamName,
    ) -> Result<Option<(IamName, String)>>;
    async fn list_inline_policies(
        &self,
        owner: &PolicyOwner,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<IamName>>;
    async fn delete_inline_policy(
        &self,
        owner: &PolicyOwner,
        name: &IamName,
        audit: Audit<'_>,
    ) -> Result<bool>;
    /// The documents of an owner's inline policies, by name.
    async fn inline_documents(&self, owner: &PolicyOwner) -> Result<Vec<(IamName, String)>>;

    async fn insert_managed_policy(&self, policy: &ManagedPolicy, audit: Audit<'_>) -> Result<()>;
    async fn get_managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>>;
    async fn list_managed_policies(
        &self,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<ManagedPolicy>>;
    async fn delete_managed_policy(&self, arn: &str, audit: Audit<'_>) -> Result<bool>;
    /// Idempotent.
    async fn attach_role_policy(&self, role: &IamName, arn: &str, audit: Audit<'_>) -> Result<()>;
    async fn detach_role_policy(&self, role: &IamName, arn: &str, audit: Audit<'_>)
        -> Result<bool>;
    /// The managed policies attached to a role, in ARN order after `after`.
    async fn attached_role_policies(
        &self,
        role: &IamName,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<ManagedPolicy>>;

    /// Fails with LimitExceeded when the user already has `max_per_user` keys.
    async fn insert_access_key(
        &self,
        key: &AccessKey,
        max_per_user: u32,
        audit: Audit<'_>,
    ) -> Result<()>;
    async fn get_access_key(&self, id: &str) -> Result<Option<AccessKey>>;
    async fn access_keys_of(&self, user: &IamName) -> Result<Vec<AccessKey>>;
    async fn delete_access_key(&self, user: &IamName, id: &str, audit: Audit<'_>) -> Result<bool>;
}

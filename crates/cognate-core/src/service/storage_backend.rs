//! `cognate push`'s storage half: a project's bucket with its CORS rules, and the policies
//! Amplify generates for it on the auth, guest and group roles. Idempotent make-it-so steps:
//! a repeated push changes nothing, an interrupted one is finished by the next.

use super::Cognito;
use crate::error::{Error, Result};
use crate::iam::{IamName, PolicyOwner};
use crate::ids::Timestamp;
use crate::storage::{Bucket, BucketName, CorsRule};

/// A policy on a role, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicy {
    pub role: IamName,
    pub name: IamName,
    pub document: String,
}

/// A policy that a push no longer wants: its role and its name.
pub type RetiredPolicy = (IamName, IamName);

/// What a project's storage resource wants on the server.
#[derive(Debug, Clone)]
pub struct StorageBackend {
    pub bucket: BucketName,
    pub cors: Vec<CorsRule>,
    pub policies: Vec<RolePolicy>,
    /// Policies this resource may have put before and no longer wants (on roles that exist).
    pub retired: Vec<RetiredPolicy>,
}

/// What a storage push did.
#[derive(Debug, Clone, Default)]
pub struct AppliedStorage {
    pub changes: Vec<String>,
}

impl Cognito {
    /// A bucket's record, for operator tooling.
    pub async fn find_bucket(&self, name: &BucketName) -> Result<Option<Bucket>> {
        self.store.get_bucket(name).await
    }

    pub async fn apply_storage_backend(&self, wanted: &StorageBackend) -> Result<AppliedStorage> {
        let mut applied = AppliedStorage::default();
        self.check_roles_exist(&wanted.policies).await?;
        let bucket = match self.store.get_bucket(&wanted.bucket).await? {
            Some(bucket) => bucket,
            None => {
                let bucket = Bucket {
                    name: wanted.bucket.clone(),
                    created: Timestamp::now(),
                    cors: None,
                    policy: None,
                    tags: Vec::new(),
                };
                self.store.insert_bucket(&bucket).await?;
                applied
                    .changes
                    .push(format!("create bucket {}", wanted.bucket));
                bucket
            }
        };
        if bucket.cors.as_ref() != Some(&wanted.cors) {
            let updated = Bucket {
                cors: Some(wanted.cors.clone()),
                ..bucket
            };
            self.store.update_bucket(&updated).await?;
            self.decisions.forget_bucket(&wanted.bucket);
            applied
                .changes
                .push(format!("set the CORS rules of bucket {}", wanted.bucket));
        }
        applied.changes.extend(
            self.apply_role_policies(&wanted.policies, &wanted.retired)
                .await?,
        );
        Ok(applied)
    }

    /// Fails, before anything changes, when a policy's role does not exist.
    pub(super) async fn check_roles_exist(&self, policies: &[RolePolicy]) -> Result<()> {
        for policy in policies {
            if self.store.get_role(&policy.role).await?.is_none() {
                return Err(Error::NoSuchEntity(format!(
                    "The role with name {} cannot be found: push the project's auth with its identity pool first (authSelections identityPoolAndUserPool).",
                    policy.role
                )));
            }
        }
        Ok(())
    }

    /// Puts each policy whose document differs from the role's, and deletes the retired ones
    /// that are not wanted again; says what it changed.
    pub(super) async fn apply_role_policies(
        &self,
        policies: &[RolePolicy],
        retired: &[RetiredPolicy],
    ) -> Result<Vec<String>> {
        let mut changes = Vec::new();
        for policy in policies {
            let owner = PolicyOwner::Role(policy.role.clone());
            let current = self
                .store
                .inline_documents(&owner)
                .await?
                .into_iter()
                .find(|(name, _)| name.key() == policy.name.key());
            if current.as_ref().map(|(_, d)| d) != Some(&policy.document) {
                self.put_inline_policy(owner, policy.name.clone(), policy.document.clone())
                    .await?;
                changes.push(format!(
                    "put policy {} on role {}",
                    policy.name, policy.role
                ));
            }
        }
        for (role, name) in retired {
            if policies
                .iter()
                .any(|p| p.role.key() == role.key() && p.name.key() == name.key())
            {
                continue;
            }
            let owner = PolicyOwner::Role(role.clone());
            let exists = self
                .store
                .inline_documents(&owner)
                .await?
                .iter()
                .any(|(n, _)| n.key() == name.key());
            if exists {
                self.delete_inline_policy(&owner, name).await?;
                changes.push(format!("delete policy {name} from role {role}"));
            }
        }
        Ok(changes)
    }
}

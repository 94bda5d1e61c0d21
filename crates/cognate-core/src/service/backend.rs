//! A project's auth backend as a whole: the pool, its web client, its groups with their
//! precedence and its Admin Queries API. `cognate push` sends the desired state; the server
//! plans the changes and applies them in one store transaction, so a push happens entirely or
//! not at all.

use super::admin_queries::AdminQueriesSettings;
use super::clients::ClientSettings;
use super::groups::GroupSettings;
use super::pools::PoolSettings;
use super::{now, Cognito};
use crate::audit::AuditRecord;
use crate::error::{Error, Result};
use crate::iam::IamName;
use crate::identity::{IdentityPool, IdentityPoolId};
use crate::ids::{ClientId, GroupName, PoolId};
use crate::model::{AdminQueriesApi, Group, PasswordPolicy, SchemaAttribute, UserPool};
use crate::store::AuthBatch;

/// What the project says the backend is. Ids are those of an earlier push, if any.
#[derive(Debug, Clone)]
pub struct AuthBackend {
    pub pool_id: Option<PoolId>,
    pub pool_name: String,
    pub sign_in_with_email: bool,
    /// Standard attributes every sign-up must give (fixed once the pool exists, as in Cognito).
    pub required_attributes: Vec<String>,
    pub password_policy: PasswordPolicy,
    pub client_id: Option<ClientId>,
    pub client_name: String,
    /// The complete list, highest precedence first; groups not listed are deleted.
    pub groups: Vec<GroupName>,
    /// None: no Admin Queries API. Some(empty): any signed-in user.
    pub admin_queries: Option<Vec<GroupName>>,
    pub admin_queries_api_id: Option<String>,
    /// What Amplify's userPoolGroups stack makes beside the pool, if the project has an
    /// identity pool.
    pub identity_pool: Option<IdentityBackend>,
}

/// The identity pool of a project: its id from an earlier push, its name, whether guests may
/// have identities, and the hand-written policies (`customPolicies`) of each group's role.
#[derive(Debug, Clone)]
pub struct IdentityBackend {
    pub id: Option<IdentityPoolId>,
    pub name: String,
    pub allow_guests: bool,
    pub group_policies: Vec<(GroupName, IamName, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreatePool,
    UpdatePasswordPolicy,
    CreateClient,
    CreateGroup {
        name: GroupName,
        precedence: i64,
    },
    UpdateGroup {
        name: GroupName,
        precedence: i64,
        previous: Option<i64>,
    },
    DeleteGroup {
        name: GroupName,
    },
    CreateAdminQueries {
        groups: Vec<GroupName>,
    },
    UpdateAdminQueries {
        groups: Vec<GroupName>,
        previous: Vec<GroupName>,
    },
    DeleteAdminQueries,
    CreateIdentityPool,
    UpdateIdentityPool {
        allow_guests: bool,
    },
}

impl Change {
    pub fn describe(&self) -> String {
        let who = |groups: &[GroupName]| {
            if groups.is_empty() {
                "any signed-in user".to_owned()
            } else {
                groups
                    .iter()
                    .map(GroupName::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        match self {
            Change::CreatePool => "Create  user pool".into(),
            Change::UpdatePasswordPolicy => "Update  user pool password policy".into(),
            Change::CreateClient => "Create  web app client".into(),
            Change::CreateGroup { name, precedence } => {
                format!("Create  group {name} (precedence {precedence})")
            }
            Change::UpdateGroup {
                name,
                precedence,
                previous,
            } => format!(
                "Update  group {name}: precedence {} → {precedence}",
                previous
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "none".into())
            ),
            Change::DeleteGroup { name } => format!("Delete  group {name} and its memberships"),
            Change::CreateAdminQueries { groups } => {
                format!("Create  Admin Queries API for {}", who(groups))
            }
            Change::UpdateAdminQueries { groups, previous } => format!(
                "Update  Admin Queries API: {} → {}",
                who(previous),
                who(groups)
            ),
            Change::DeleteAdminQueries => "Delete  Admin Queries API".into(),
            Change::CreateIdentityPool => {
                "Create  identity pool, its auth and unauth roles and one role per group".into()
            }
            Change::UpdateIdentityPool { allow_guests } => format!(
                "Update  identity pool: guests {}",
                if *allow_guests { "allowed" } else { "refused" }
            ),
        }
    }
}

/// The result of applying: the ids to remember, and what changed.
#[derive(Debug, Clone)]
pub struct AppliedBackend {
    pub pool_id: PoolId,
    pub client_id: ClientId,
    pub admin_queries: Option<AdminQueriesApi>,
    pub identity_pool: Option<IdentityPoolId>,
    pub changes: Vec<Change>,
}

/// What exists on the server of a backend.
struct Existing {
    pool: Option<UserPool>,
    client: Option<ClientId>,
    groups: Vec<Group>,
    admin_queries: Option<AdminQueriesApi>,
    identity_pool: Option<IdentityPool>,
}

impl Cognito {
    async fn existing(&self, backend: &AuthBackend) -> Result<Existing> {
        let pool = match &backend.pool_id {
            Some(id) => self.store.get_pool(id).await?,
            None => None,
        };
        let Some(pool_id) = pool.as_ref().map(|p| p.id.clone()) else {
            return Ok(Existing {
                pool: None,
                client: None,
                groups: vec![],
                admin_queries: None,
                identity_pool: None,
            });
        };
        let client = match &backend.client_id {
            Some(id) => self
                .store
                .get_client(id)
                .await?
                .filter(|(c, _)| c.pool_id == pool_id)
                .map(|(c, _)| c.id),
            None => None,
        };
        let mut groups = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .list_groups(&pool_id, 1000, after.as_deref())
                .await?;
            groups.extend(page.items);
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        let admin_queries = match &backend.admin_queries_api_id {
            Some(id) => self
                .store
                .get_admin_queries_api(id)
                .await?
                .filter(|api| api.pool_id == pool_id),
            None => None,
        };
        let identity_pool = match backend.identity_pool.as_ref().and_then(|i| i.id.as_ref()) {
            Some(id) => self.store.get_identity_pool(id).await?,
            None => None,
        };
        Ok(Existing {
            pool,
            client,
            groups,
            admin_queries,
            identity_pool,
        })
    }

    fn changes(backend: &AuthBackend, existing: &Existing) -> Vec<Change> {
        let mut changes = Vec::new();
        match &existing.pool {
            None => changes.push(Change::CreatePool),
            Some(pool) if pool.password_policy != backend.password_policy => {
                changes.push(Change::UpdatePasswordPolicy)
            }
            Some(_) => {}
        }
        if existing.client.is_none() {
            changes.push(Change::CreateClient);
        }
        for (i, name) in backend.groups.iter().enumerate() {
            let precedence = i as i64 + 1;
            match existing.groups.iter().find(|g| &g.name == name) {
                None => changes.push(Change::CreateGroup {
                    name: name.clone(),
                    precedence,
                }),
                Some(g) if g.precedence != Some(precedence) => changes.push(Change::UpdateGroup {
                    name: name.clone(),
                    precedence,
                    previous: g.precedence,
                }),
                Some(_) => {}
            }
        }
        match (&backend.admin_queries, &existing.admin_queries) {
            (Some(groups), None) => changes.push(Change::CreateAdminQueries {
                groups: groups.clone(),
            }),
            (Some(groups), Some(api)) if groups != &api.allowed_groups => {
                changes.push(Change::UpdateAdminQueries {
                    groups: groups.clone(),
                    previous: api.allowed_groups.clone(),
                })
            }
            (None, Some(_)) => changes.push(Change::DeleteAdminQueries),
            _ => {}
        }
        match (&backend.identity_pool, &existing.identity_pool) {
            (Some(_), None) => changes.push(Change::CreateIdentityPool),
            (Some(wanted), Some(pool)) if wanted.allow_guests != pool.allow_unauthenticated => {
                changes.push(Change::UpdateIdentityPool {
                    allow_guests: wanted.allow_guests,
                })
            }
            _ => {}
        }
        for group in &existing.groups {
            if !backend.groups.contains(&group.name) {
                changes.push(Change::DeleteGroup {
                    name: group.name.clone(),
                });
            }
        }
        changes
    }

    /// Required attributes are fixed when a pool is created.
    fn check_required_attributes(backend: &AuthBackend, existing: &Existing) -> Result<()> {
        if let Some(pool) = &existing.pool {
            let mut current: Vec<&str> = pool.required_attributes().collect();
            let mut wanted: Vec<&str> = backend
                .required_attributes
                .iter()
                .map(String::as_str)
                .collect();
            current.sort_unstable();
            wanted.sort_unstable();
            if current != wanted {
                return Err(Error::invalid(format!(
                    "The required sign-up attributes cannot change once the user pool exists (it requires {current:?}, the project asks for {wanted:?})."
                )));
            }
        }
        Ok(())
    }

    fn check_backend(backend: &AuthBackend) -> Result<()> {
        let mut names: Vec<&GroupName> = backend.groups.iter().collect();
        names.sort();
        names.dedup();
        if names.len() != backend.groups.len() {
            return Err(Error::invalid("A group is listed twice."));
        }
        if let Some(missing) = backend
            .admin_queries
            .iter()
            .flatten()
            .find(|g| !backend.groups.contains(g))
        {
            return Err(Error::ResourceNotFound(format!(
                "The Admin Queries group {missing} is not one of the backend's groups."
            )));
        }
        Ok(())
    }

    /// What applying `backend` would change, changing nothing.
    pub async fn plan_auth_backend(&self, backend: &AuthBackend) -> Result<Vec<Change>> {
        Self::check_backend(backend)?;
        let existing = self.existing(backend).await?;
        Self::check_required_attributes(backend, &existing)?;
        Ok(Self::changes(backend, &existing))
    }

    /// Makes the server match `backend`, in one transaction.
    pub async fn apply_auth_backend(&self, backend: &AuthBackend) -> Result<AppliedBackend> {
        Self::check_backend(backend)?;
        let existing = self.existing(backend).await?;
        Self::check_required_attributes(backend, &existing)?;
        let changes = Self::changes(backend, &existing);
        let mut batch = AuthBatch::default();

        let pool_id = match &existing.pool {
            Some(pool) => {
                if changes.contains(&Change::UpdatePasswordPolicy) {
                    let mut changed = pool.clone();
                    changed.password_policy = backend.password_policy.clone();
                    changed.modified = now();
                    batch.update_pool = Some(changed);
                }
                pool.id.clone()
            }
            None => {
                let schema = backend
                    .required_attributes
                    .iter()
                    .map(|name| SchemaAttribute {
                        name: name.clone(),
                        attribute_data_type: "String".into(),
                        developer_only_attribute: false,
                        mutable: true,
                        required: true,
                        string_attribute_constraints: None,
                        number_attribute_constraints: None,
                    })
                    .collect();
                let pool = self.build_pool(PoolSettings {
                    name: Some(backend.pool_name.clone()),
                    password_policy: Some(backend.password_policy.clone()),
                    username_attributes: Some(if backend.sign_in_with_email {
                        vec!["email".into()]
                    } else {
                        vec![]
                    }),
                    auto_verified_attributes: Some(vec!["email".into()]),
                    schema: Some(schema),
                    username_case_sensitive: Some(false),
                    ..Default::default()
                })?;
                let keys = self.generate_pool_keys(&pool.id).await?;
                let id = pool.id.clone();
                batch.new_pool = Some((pool, keys));
                id
            }
        };
        let client_id = match &existing.client {
            Some(id) => id.clone(),
            None => {
                let client = self.build_client(
                    &pool_id,
                    ClientId::generate(),
                    ClientSettings {
                        name: backend.client_name.clone(),
                        explicit_auth_flows: Some(vec![
                            "ALLOW_USER_SRP_AUTH".into(),
                            "ALLOW_REFRESH_TOKEN_AUTH".into(),
                            "ALLOW_USER_PASSWORD_AUTH".into(),
                        ]),
                        ..Default::default()
                    },
                    None,
                )?;
                let id = client.id.clone();
                batch.new_client = Some(client);
                id
            }
        };
        let stamp = now();
        for change in &changes {
            match change {
                Change::CreateGroup { name, precedence }
                | Change::UpdateGroup {
                    name, precedence, ..
                } => {
                    let previous = existing.groups.iter().find(|g| &g.name == name);
                    super::groups::validate(&GroupSettings {
                        precedence: Some(*precedence),
                        ..Default::default()
                    })?;
                    batch.put_groups.push(Group {
                        pool_id: pool_id.clone(),
                        name: name.clone(),
                        description: previous.and_then(|g| g.description.clone()),
                        precedence: Some(*precedence),
                        role_arn: previous.and_then(|g| g.role_arn.clone()),
                        created: previous.map(|g| g.created).unwrap_or(stamp),
                        modified: stamp,
                    });
                }
                Change::DeleteGroup { name } => {
                    batch.delete_groups.push((pool_id.clone(), name.clone()))
                }
                Change::CreateAdminQueries { groups } => {
                    batch.put_admin_queries = Some(Self::build_admin_queries_api(
                        &pool_id,
                        AdminQueriesSettings {
                            allowed_groups: Some(groups.clone()),
                            ..Default::default()
                        },
                    )?);
                }
                Change::UpdateAdminQueries { groups, .. } => {
                    let mut api = existing
                        .admin_queries
                        .clone()
                        .expect("an update has an API");
                    api.allowed_groups = groups.clone();
                    api.modified = stamp;
                    batch.put_admin_queries = Some(api);
                }
                Change::DeleteAdminQueries => {
                    batch.delete_admin_queries =
                        existing.admin_queries.as_ref().map(|api| api.id.clone());
                }
                Change::CreatePool
                | Change::CreateClient
                | Change::UpdatePasswordPolicy
                | Change::CreateIdentityPool
                | Change::UpdateIdentityPool { .. } => {}
            }
        }
        if !changes.is_empty() {
            batch.audit = Some(AuditRecord::new(
                "ApplyAuthBackend",
                Some(&pool_id),
                format!("pool:{pool_id}"),
                serde_json::json!({"changes": changes.iter().map(Change::describe).collect::<Vec<_>>()}),
            ));
            self.store.apply_auth_batch(&batch).await?;
            tracing::info!(pool = %pool_id, changes = changes.len(), "applied a project's auth backend");
        }
        // The identity side spans the IAM and identity-pool aggregates; each step is a
        // make-it-so that a repeated push finishes if an earlier one stopped half way.
        let identity_pool = match &backend.identity_pool {
            Some(wanted) => Some(
                self.apply_identity_backend(
                    &pool_id,
                    &client_id,
                    &backend.groups,
                    wanted,
                    existing.identity_pool.as_ref(),
                )
                .await?,
            ),
            None => None,
        };
        let admin_queries = match (&batch.put_admin_queries, &batch.delete_admin_queries) {
            (Some(api), _) => Some(api.clone()),
            (None, Some(_)) => None,
            (None, None) => existing.admin_queries.clone(),
        };
        Ok(AppliedBackend {
            pool_id,
            client_id,
            admin_queries,
            identity_pool,
            changes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Timestamp;

    fn name(n: &str) -> GroupName {
        GroupName::parse(n).unwrap()
    }

    fn backend(groups: &[&str], admin_queries: Option<&[&str]>) -> AuthBackend {
        AuthBackend {
            pool_id: None,
            pool_name: "p".into(),
            sign_in_with_email: false,
            required_attributes: vec!["email".into()],
            password_policy: PasswordPolicy::default(),
            client_id: None,
            client_name: "c".into(),
            groups: groups.iter().map(|g| name(g)).collect(),
            admin_queries: admin_queries.map(|a| a.iter().map(|g| name(g)).collect()),
            admin_queries_api_id: None,
            identity_pool: None,
        }
    }

    fn existing(groups: &[(&str, i64)], admin_queries: Option<&[&str]>) -> Existing {
        let pool = PoolId::parse("us-east-1_p").unwrap();
        let record = UserPool {
            id: pool.clone(),
            name: "p".into(),
            password_policy: PasswordPolicy::default(),
            username_attributes: vec![],
            alias_attributes: vec![],
            auto_verified_attributes: vec![],
            schema: vec![],
            username_case_sensitive: false,
            allow_admin_create_user_only: false,
            mfa_configuration: "OFF".into(),
            deletion_protection: "INACTIVE".into(),
            tags: Default::default(),
            created: Timestamp(0),
            modified: Timestamp(0),
        };
        Existing {
            pool: Some(record),
            client: Some(ClientId::parse("c").unwrap()),
            groups: groups
                .iter()
                .map(|(g, p)| Group {
                    pool_id: pool.clone(),
                    name: name(g),
                    description: None,
                    precedence: Some(*p),
                    role_arn: None,
                    created: Timestamp(0),
                    modified: Timestamp(0),
                })
                .collect(),
            admin_queries: admin_queries.map(|a| AdminQueriesApi {
                id: "id".into(),
                pool_id: pool.clone(),
                stage: "dev".into(),
                allowed_groups: a.iter().map(|g| name(g)).collect(),
                extra_routes: vec![],
                created: Timestamp(0),
                modified: Timestamp(0),
            }),
            identity_pool: None,
        }
    }

    #[test]
    fn a_backend_with_an_identity_pool_plans_it_once() {
        let mut wanted = backend(&["admin"], None);
        wanted.identity_pool = Some(IdentityBackend {
            id: None,
            name: "app".into(),
            allow_guests: true,
            group_policies: vec![],
        });
        let existing = existing(&[("admin", 1)], None);
        assert_eq!(
            Cognito::changes(&wanted, &existing),
            vec![Change::CreateIdentityPool]
        );
    }

    #[test]
    fn a_new_backend_creates_everything() {
        let none = Existing {
            pool: None,
            client: None,
            groups: vec![],
            admin_queries: None,
            identity_pool: None,
        };
        assert_eq!(
            Cognito::changes(&backend(&["admin", "editors"], Some(&["admin"])), &none),
            vec![
                Change::CreatePool,
                Change::CreateClient,
                Change::CreateGroup {
                    name: name("admin"),
                    precedence: 1
                },
                Change::CreateGroup {
                    name: name("editors"),
                    precedence: 2
                },
                Change::CreateAdminQueries {
                    groups: vec![name("admin")]
                },
            ]
        );
    }

    #[test]
    fn a_pushed_backend_changes_nothing() {
        let current = existing(&[("admin", 1), ("editors", 2)], Some(&["admin"]));
        assert!(
            Cognito::changes(&backend(&["admin", "editors"], Some(&["admin"])), &current)
                .is_empty()
        );
    }

    #[test]
    fn reordering_updates_precedence_and_removed_groups_are_deleted_last() {
        let current = existing(
            &[("admin", 1), ("editors", 2), ("old", 3)],
            Some(&["admin"]),
        );
        assert_eq!(
            Cognito::changes(&backend(&["editors", "admin"], None), &current),
            vec![
                Change::UpdateGroup {
                    name: name("editors"),
                    precedence: 1,
                    previous: Some(2)
                },
                Change::UpdateGroup {
                    name: name("admin"),
                    precedence: 2,
                    previous: Some(1)
                },
                Change::DeleteAdminQueries,
                Change::DeleteGroup { name: name("old") },
            ]
        );
    }

    #[test]
    fn a_changed_password_policy_updates_the_pool() {
        let current = existing(&[], None);
        let mut wanted = backend(&[], None);
        wanted.password_policy.minimum_length = 12;
        assert_eq!(
            Cognito::changes(&wanted, &current),
            vec![Change::UpdatePasswordPolicy]
        );
    }

    #[test]
    fn admin_queries_groups_must_be_backend_groups() {
        assert!(Cognito::check_backend(&backend(&["admin"], Some(&["staff"]))).is_err());
        assert!(Cognito::check_backend(&backend(&["admin", "admin"], None)).is_err());
        assert!(Cognito::check_backend(&backend(&["admin"], Some(&[]))).is_ok());
    }
}

//! IAM: roles, users, access keys, inline and managed policies. Each role, user and managed
//! policy is one JSON document keyed by its lowercased name (IAM names ignore case).

use async_trait::async_trait;
use cognate_core::iam::{
    no_such_role, no_such_user, AccessKey, IamName, IamUser, ManagedPolicy, NamedDocument,
    PolicyOwner, Role, RolePolicies,
};
use cognate_core::ids::Timestamp;
use cognate_core::store::{Audit, IamStore, Page};
use cognate_core::{Error, Result};
use sqlx::any::AnyRow;

use crate::audit::{audit_if, write_audit};
use crate::rows::{db_error, from_json, get, is_unique_violation, page, to_json};
use crate::tx::write_tx;
use crate::SqlStore;

fn no_such_policy(arn: &str) -> Error {
    Error::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

fn access_key_from_row(row: &AnyRow) -> Result<AccessKey> {
    Ok(AccessKey {
        id: get(row, "id")?,
        user: IamName::user(&get::<String>(row, "user_name")?)?,
        sealed_secret: get(row, "sealed_secret")?,
        active: get::<i64>(row, "active")? != 0,
        created: Timestamp(get(row, "created_at")?),
    })
}

/// A managed policy's document with its attachment count (the `attached` column).
fn managed_policy_from_row(row: &AnyRow) -> Result<ManagedPolicy> {
    let mut policy: ManagedPolicy = from_json(&get::<String>(row, "document")?)?;
    policy.attachment_count = get(row, "attached")?;
    Ok(policy)
}

impl SqlStore {
    async fn count<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        sql: &str,
        key: &str,
    ) -> Result<i64> {
        let row = sqlx::query(sql)
            .bind(key)
            .fetch_one(executor)
            .await
            .map_err(db_error)?;
        get(&row, "n")
    }

    async fn owner_exists<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        owner: &PolicyOwner,
    ) -> Result<bool> {
        let sql = match owner {
            PolicyOwner::Role(_) => "SELECT COUNT(*) AS n FROM iam_roles WHERE name_key = $1",
            PolicyOwner::User(_) => "SELECT COUNT(*) AS n FROM iam_users WHERE name_key = $1",
        };
        Ok(Self::count(executor, sql, &owner.name().key()).await? > 0)
    }

    async fn insert_document(
        &self,
        table: &str,
        key: &str,
        document: String,
        taken: Error,
        audit: Audit<'_>,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            let inserted = sqlx::query(&format!(
                "INSERT INTO {table} (name_key, document) VALUES ($1, $2)"
            ))
            .bind(key)
            .bind(document)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => return Err(taken),
                other => other.map_err(db_error)?,
            };
            write_audit(&mut tx, audit).await
        })
    }

    async fn get_document(&self, table: &str, key: &str) -> Result<Option<String>> {
        let row = sqlx::query(&format!("SELECT document FROM {table} WHERE name_key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| get(&r, "document")).transpose()
    }
}

#[async_trait]
impl IamStore for SqlStore {
    async fn insert_role(&self, role: &Role, audit: Audit<'_>) -> Result<()> {
        let taken =
            Error::EntityAlreadyExists(format!("Role with name {} already exists.", role.name));
        self.insert_document("iam_roles", &role.name.key(), to_json(role)?, taken, audit)
            .await
    }

    async fn get_role(&self, name: &IamName) -> Result<Option<Role>> {
        self.get_document("iam_roles", &name.key())
            .await?
            .map(|d| from_json(&d))
            .transpose()
    }

    async fn list_roles(&self, limit: u32, after: Option<&str>) -> Result<Page<Role>> {
        let rows = sqlx::query(
            "SELECT name_key, document FROM iam_roles WHERE name_key > $1 ORDER BY name_key LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut roles = rows
            .iter()
            .map(|r| from_json::<Role>(&get::<String>(r, "document")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut roles, limit, |r| r.name.key()))
    }

    async fn update_role(&self, role: &Role, audit: Audit<'_>) -> Result<bool> {
        write_tx!(self, |tx| {
            let changed = sqlx::query("UPDATE iam_roles SET document = $1 WHERE name_key = $2")
                .bind(to_json(role)?)
                .bind(role.name.key())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, changed > 0, audit).await
        })
    }

    async fn delete_role(&self, name: &IamName, audit: Audit<'_>) -> Result<bool> {
        let key = name.key();
        write_tx!(self, |tx| {
            let inline = Self::count(
                &mut *tx,
                "SELECT COUNT(*) AS n FROM iam_inline_policies WHERE owner_kind = 'role' AND owner_key = $1",
                &key,
            )
            .await?;
            let attached = Self::count(
                &mut *tx,
                "SELECT COUNT(*) AS n FROM iam_role_attachments WHERE role_key = $1",
                &key,
            )
            .await?;
            if inline + attached > 0 {
                return Err(Error::DeleteConflict(
                    "Cannot delete entity, must detach all policies first.".into(),
                ));
            }
            let deleted = sqlx::query("DELETE FROM iam_roles WHERE name_key = $1")
                .bind(&key)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        })
    }

    async fn role_policies(&self, name: &IamName) -> Result<Option<RolePolicies>> {
        let key = name.key();
        // One statement: the role row, its inline documents and its attached documents.
        let rows = sqlx::query(
            "SELECT 0 AS part, name_key AS source, document FROM iam_roles WHERE name_key = $1
             UNION ALL
             SELECT 1 AS part, name AS source, document FROM iam_inline_policies WHERE owner_kind = 'role' AND owner_key = $1
             UNION ALL
             SELECT 2 AS part, p.arn AS source, p.document FROM iam_role_attachments a JOIN iam_managed_policies p ON p.arn = a.policy_arn WHERE a.role_key = $1
             ORDER BY part, source",
        )
        .bind(&key)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut role = None;
        let mut documents = Vec::new();
        for row in &rows {
            let part: i64 = get(row, "part")?;
            let document: String = get(row, "document")?;
            match part {
                0 => role = Some(from_json::<Role>(&document)?),
                1 => documents.push(NamedDocument {
                    source: get(row, "source")?,
                    document,
                }),
                _ => {
                    let policy: ManagedPolicy = from_json(&document)?;
                    documents.push(NamedDocument {
                        source: policy.arn,
                        document: policy.document,
                    })
                }
            }
        }
        Ok(role.map(|role| RolePolicies { role, documents }))
    }

    async fn insert_iam_user(&self, user: &IamUser, audit: Audit<'_>) -> Result<()> {
        let taken =
            Error::EntityAlreadyExists(format!("User with name {} already exists.", user.name));
        self.insert_document("iam_users", &user.name.key(), to_json(user)?, taken, audit)
            .await
    }

    async fn get_iam_user(&self, name: &IamName) -> Result<Option<IamUser>> {
        self.get_document("iam_users", &name.key())
            .await?
            .map(|d| from_json(&d))
            .transpose()
    }

    async fn delete_iam_user(&self, name: &IamName, audit: Audit<'_>) -> Result<bool> {
        let key = name.key();
        write_tx!(self, |tx| {
            let inline = Self::count(
                &mut *tx,
                "SELECT COUNT(*) AS n FROM iam_inline_policies WHERE owner_kind = 'user' AND owner_key = $1",
                &key,
            )
            .await?;
            if inline > 0 {
                return Err(Error::DeleteConflict(
                    "Cannot delete entity, must delete policies first.".into(),
                ));
            }
            let keys = Self::count(
                &mut *tx,
                "SELECT COUNT(*) AS n FROM iam_access_keys WHERE user_key = $1",
                &key,
            )
            .await?;
            if keys > 0 {
                return Err(Error::DeleteConflict(
                    "Cannot delete entity, must delete access keys first.".into(),
                ));
            }
            let deleted = sqlx::query("DELETE FROM iam_users WHERE name_key = $1")
                .bind(&key)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        })
    }

    async fn put_inline_policy(
        &self,
        owner: &PolicyOwner,
        name: &IamName,
        document: &str,
        audit: Audit<'_>,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            if !Self::owner_exists(&mut *tx, owner).await? {
                return Err(match owner {
                    PolicyOwner::Role(role) => no_such_role(role),
                    PolicyOwner::User(user) => no_such_user(user),
                });
            }
            sqlx::query(
                "DELETE FROM iam_inline_policies WHERE owner_kind = $1 AND owner_key = $2 AND name_key = $3",
            )
            .bind(owner.kind())
            .bind(owner.name().key())
            .bind(name.key())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            sqlx::query(
                "INSERT INTO iam_inline_policies (owner_kind, owner_key, name_key, name, document) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(owner.kind())
            .bind(owner.name().key())
            .bind(name.key())
            .bind(name.as_str())
            .bind(document)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            write_audit(&mut tx, audit).await
        })
    }

    async fn get_inline_policy(
        &self,
        owner: &PolicyOwner,
        name: &IamName,
    ) -> Result<Option<(IamName, String)>> {
        let row = sqlx::query(
            "SELECT name, document FROM iam_inline_policies WHERE owner_kind = $1 AND owner_key = $2 AND name_key = $3",
        )
        .bind(owner.kind())
        .bind(owner.name().key())
        .bind(name.key())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| {
            Ok((
                IamName::policy(&get::<String>(&r, "name")?)?,
                get(&r, "document")?,
            ))
        })
        .transpose()
    }

    async fn list_inline_policies(
        &self,
        owner: &PolicyOwner,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<IamName>> {
        let rows = sqlx::query(
            "SELECT name FROM iam_inline_policies WHERE owner_kind = $1 AND owner_key = $2 AND name_key > $3 ORDER BY name_key LIMIT $4",
        )
        .bind(owner.kind())
        .bind(owner.name().key())
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut names = rows
            .iter()
            .map(|r| IamName::policy(&get::<String>(r, "name")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut names, limit, |n| n.key()))
    }

    async fn delete_inline_policy(
        &self,
        owner: &PolicyOwner,
        name: &IamName,
        audit: Audit<'_>,
    ) -> Result<bool> {
        write_tx!(self, |tx| {
            let deleted = sqlx::query(
                "DELETE FROM iam_inline_policies WHERE owner_kind = $1 AND owner_key = $2 AND name_key = $3",
            )
            .bind(owner.kind())
            .bind(owner.name().key())
            .bind(name.key())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        })
    }

    async fn inline_documents(&self, owner: &PolicyOwner) -> Result<Vec<(IamName, String)>> {
        let rows = sqlx::query(
            "SELECT name, document FROM iam_inline_policies WHERE owner_kind = $1 AND owner_key = $2 ORDER BY name_key",
        )
        .bind(owner.kind())
        .bind(owner.name().key())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    IamName::policy(&get::<String>(r, "name")?)?,
                    get(r, "document")?,
                ))
            })
            .collect()
    }

    async fn insert_managed_policy(&self, policy: &ManagedPolicy, audit: Audit<'_>) -> Result<()> {
        write_tx!(self, |tx| {
            let inserted = sqlx::query(
                "INSERT INTO iam_managed_policies (arn, name_key, document) VALUES ($1, $2, $3)",
            )
            .bind(&policy.arn)
            .bind(policy.name.key())
            .bind(to_json(policy)?)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::EntityAlreadyExists(format!(
                        "A policy called {} already exists. Duplicate names are not allowed.",
                        policy.name
                    )))
                }
                other => other.map_err(db_error)?,
            };
            write_audit(&mut tx, audit).await
        })
    }

    async fn get_managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>> {
        let row = sqlx::query(
            "SELECT p.document, (SELECT COUNT(*) FROM iam_role_attachments a WHERE a.policy_arn = p.arn) AS attached FROM iam_managed_policies p WHERE p.arn = $1",
        )
        .bind(arn)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(managed_policy_from_row).transpose()
    }

    async fn list_managed_policies(
        &self,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<ManagedPolicy>> {
        let rows = sqlx::query(
            "SELECT p.document, (SELECT COUNT(*) FROM iam_role_attachments a WHERE a.policy_arn = p.arn) AS attached FROM iam_managed_policies p WHERE p.arn > $1 ORDER BY p.arn LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut policies = rows
            .iter()
            .map(managed_policy_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut policies, limit, |p| p.arn.clone()))
    }

    async fn delete_managed_policy(&self, arn: &str, audit: Audit<'_>) -> Result<bool> {
        write_tx!(self, |tx| {
            let attached = Self::count(
                &mut *tx,
                "SELECT COUNT(*) AS n FROM iam_role_attachments WHERE policy_arn = $1",
                arn,
            )
            .await?;
            if attached > 0 {
                return Err(Error::DeleteConflict(
                    "Cannot delete a policy attached to entities.".into(),
                ));
            }
            let deleted = sqlx::query("DELETE FROM iam_managed_policies WHERE arn = $1")
                .bind(arn)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        })
    }

    async fn attach_role_policy(&self, role: &IamName, arn: &str, audit: Audit<'_>) -> Result<()> {
        write_tx!(self, |tx| {
            if !Self::owner_exists(&mut *tx, &PolicyOwner::Role(role.clone())).await? {
                return Err(no_such_role(role));
            }
            let policy = Self::count(
                &mut *tx,
                "SELECT COUNT(*) AS n FROM iam_managed_policies WHERE arn = $1",
                arn,
            )
            .await?;
            if policy == 0 {
                return Err(no_such_policy(arn));
            }
            sqlx::query("DELETE FROM iam_role_attachments WHERE role_key = $1 AND policy_arn = $2")
                .bind(role.key())
                .bind(arn)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            sqlx::query("INSERT INTO iam_role_attachments (role_key, policy_arn) VALUES ($1, $2)")
                .bind(role.key())
                .bind(arn)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            write_audit(&mut tx, audit).await
        })
    }

    async fn detach_role_policy(
        &self,
        role: &IamName,
        arn: &str,
        audit: Audit<'_>,
    ) -> Result<bool> {
        write_tx!(self, |tx| {
            let deleted = sqlx::query(
                "DELETE FROM iam_role_attachments WHERE role_key = $1 AND policy_arn = $2",
            )
            .bind(role.key())
            .bind(arn)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        })
    }

    async fn attached_role_policies(
        &self,
        role: &IamName,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<ManagedPolicy>> {
        let rows = sqlx::query(
            "SELECT p.document FROM iam_role_attachments a JOIN iam_managed_policies p ON p.arn = a.policy_arn WHERE a.role_key = $1 AND a.policy_arn > $2 ORDER BY a.policy_arn LIMIT $3",
        )
        .bind(role.key())
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut policies = rows
            .iter()
            .map(|r| from_json::<ManagedPolicy>(&get::<String>(r, "document")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut policies, limit, |p| p.arn.clone()))
    }

    async fn insert_access_key(
        &self,
        key: &AccessKey,
        max_per_user: u32,
        audit: Audit<'_>,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            if !Self::owner_exists(&mut *tx, &PolicyOwner::User(key.user.clone())).await? {
                return Err(no_such_user(&key.user));
            }
            let count = Self::count(
                &mut *tx,
                "SELECT COUNT(*) AS n FROM iam_access_keys WHERE user_key = $1",
                &key.user.key(),
            )
            .await?;
            if count >= i64::from(max_per_user) {
                return Err(Error::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {max_per_user}"
                )));
            }
            sqlx::query(
                "INSERT INTO iam_access_keys (id, user_key, user_name, sealed_secret, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&key.id)
            .bind(key.user.key())
            .bind(key.user.as_str())
            .bind(key.sealed_secret.clone())
            .bind(i64::from(key.active))
            .bind(key.created.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            write_audit(&mut tx, audit).await
        })
    }

    async fn get_access_key(&self, id: &str) -> Result<Option<AccessKey>> {
        let row = sqlx::query(
            "SELECT id, user_name, sealed_secret, active, created_at FROM iam_access_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(access_key_from_row).transpose()
    }

    async fn access_keys_of(&self, user: &IamName) -> Result<Vec<AccessKey>> {
        let rows = sqlx::query(
            "SELECT id, user_name, sealed_secret, active, created_at FROM iam_access_keys WHERE user_key = $1 ORDER BY id",
        )
        .bind(user.key())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(access_key_from_row).collect()
    }

    async fn delete_access_key(&self, user: &IamName, id: &str, audit: Audit<'_>) -> Result<bool> {
        write_tx!(self, |tx| {
            let deleted =
                sqlx::query("DELETE FROM iam_access_keys WHERE user_key = $1 AND id = $2")
                    .bind(user.key())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?
                    .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        })
    }
}

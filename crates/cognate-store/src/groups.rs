//! User pool groups and their members.

use async_trait::async_trait;
use cognate_core::ids::{GroupName, PoolId, Timestamp};
use cognate_core::model::{Group, User};
use cognate_core::store::{Audit, GroupStore, Page};
use cognate_core::{Error, Result};
use sqlx::any::AnyRow;

use crate::audit::{audit_if, write_audit};
use crate::rows::{db_error, from_json, get, is_unique_violation, page};
use crate::tx::finish;
use crate::users::{user_columns, user_from_row};
use crate::SqlStore;

pub(crate) const GROUP_COLUMNS: &str =
    "pool_id, name, description, precedence, role_arn, created_at, modified_at";

pub(crate) fn group_from_row(row: &AnyRow) -> Result<Group> {
    Ok(Group {
        pool_id: PoolId::parse(&get::<String>(row, "pool_id")?)?,
        name: GroupName::parse(&get::<String>(row, "name")?)?,
        description: get(row, "description")?,
        precedence: get(row, "precedence")?,
        role_arn: get(row, "role_arn")?,
        created: Timestamp(get(row, "created_at")?),
        modified: Timestamp(get(row, "modified_at")?),
    })
}

/// Groups aggregated into one JSON column, as arrays in `GROUP_COLUMNS` order.
pub(crate) fn groups_from_json(raw: &str) -> Result<Vec<Group>> {
    type Columns = (
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        i64,
        i64,
    );
    from_json::<Vec<Columns>>(raw)?
        .into_iter()
        .map(
            |(pool_id, name, description, precedence, role_arn, created, modified)| {
                Ok(Group {
                    pool_id: PoolId::parse(&pool_id)?,
                    name: GroupName::parse(&name)?,
                    description,
                    precedence,
                    role_arn,
                    created: Timestamp(created),
                    modified: Timestamp(modified),
                })
            },
        )
        .collect()
}

impl SqlStore {
    pub(crate) async fn delete_group_row<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        pool: &PoolId,
        name: &GroupName,
    ) -> Result<bool> {
        let result = sqlx::query("DELETE FROM user_groups WHERE pool_id = $1 AND name = $2")
            .bind(pool.as_str())
            .bind(name.as_str())
            .execute(executor)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected() > 0)
    }
}

#[async_trait]
impl GroupStore for SqlStore {
    async fn insert_group(&self, group: &Group, max_groups: u32, audit: Audit<'_>) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            let count: i64 = get(
                &sqlx::query("SELECT COUNT(*) AS n FROM user_groups WHERE pool_id = $1")
                    .bind(group.pool_id.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?,
                "n",
            )?;
            if count >= i64::from(max_groups) {
                return Err(Error::LimitExceeded(format!(
                    "A user pool can have at most {max_groups} groups."
                )));
            }
            let inserted = sqlx::query(&format!(
                "INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(group.pool_id.as_str())
            .bind(group.name.as_str())
            .bind(group.description.as_deref())
            .bind(group.precedence)
            .bind(group.role_arn.as_deref())
            .bind(group.created.0)
            .bind(group.modified.0)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::GroupExists(
                        "A group with the name already exists.".into(),
                    ))
                }
                other => other.map_err(db_error)?,
            };
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn get_group(&self, pool: &PoolId, name: &GroupName) -> Result<Option<Group>> {
        let row = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = $1 AND name = $2"
        ))
        .bind(pool.as_str())
        .bind(name.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(group_from_row).transpose()
    }

    async fn list_groups(
        &self,
        pool: &PoolId,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<Group>> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3"
        ))
        .bind(pool.as_str())
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut items = rows
            .iter()
            .map(group_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut items, limit, |g| g.name.to_string()))
    }

    async fn update_group(&self, group: &Group, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let updated = sqlx::query(
                "UPDATE user_groups SET description = $3, precedence = $4, role_arn = $5, modified_at = $6 WHERE pool_id = $1 AND name = $2",
            )
            .bind(group.pool_id.as_str())
            .bind(group.name.as_str())
            .bind(group.description.as_deref())
            .bind(group.precedence)
            .bind(group.role_arn.as_deref())
            .bind(group.modified.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            audit_if(&mut tx, updated > 0, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn delete_group(
        &self,
        pool: &PoolId,
        name: &GroupName,
        audit: Audit<'_>,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let deleted = Self::delete_group_row(&mut *tx, pool, name).await?;
            audit_if(&mut tx, deleted, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn add_member(
        &self,
        pool: &PoolId,
        group: &GroupName,
        sub: &str,
        max_groups_per_user: u32,
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n, SUM(CASE WHEN group_name = $3 THEN 1 ELSE 0 END) AS already FROM group_members WHERE pool_id = $1 AND user_sub = $2",
            )
            .bind(pool.as_str())
            .bind(sub)
            .bind(group.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
            let count: i64 = get(&row, "n")?;
            let already = get::<Option<i64>>(&row, "already")?.unwrap_or(0) > 0;
            if already {
                return Ok(());
            }
            if count >= i64::from(max_groups_per_user) {
                return Err(Error::LimitExceeded(format!("A user can be in at most {max_groups_per_user} groups.")));
            }
            sqlx::query("INSERT INTO group_members (pool_id, group_name, user_sub) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(pool.as_str())
                .bind(group.as_str())
                .bind(sub)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn remove_member(
        &self,
        pool: &PoolId,
        group: &GroupName,
        sub: &str,
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let removed = sqlx::query(
                "DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2 AND user_sub = $3",
            )
            .bind(pool.as_str())
            .bind(group.as_str())
            .bind(sub)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            audit_if(&mut tx, removed > 0, audit).await.map(|_| ())
        }
        .await;
        finish(tx, result).await
    }

    async fn groups_of_user(
        &self,
        pool: &PoolId,
        sub: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<Group>> {
        let columns = GROUP_COLUMNS
            .split(", ")
            .map(|c| format!("g.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
             WHERE m.pool_id = $1 AND m.user_sub = $2 AND m.group_name > $3 ORDER BY m.group_name LIMIT $4"
        ))
        .bind(pool.as_str())
        .bind(sub)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut items = rows
            .iter()
            .map(group_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut items, limit, |g| g.name.to_string()))
    }

    async fn members_of_group(
        &self,
        pool: &PoolId,
        group: &GroupName,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<User>> {
        let columns = user_columns("u");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM group_members m JOIN users u ON u.pool_id = m.pool_id AND u.sub = m.user_sub \
             WHERE m.pool_id = $1 AND m.group_name = $2 AND u.username_key > $3 ORDER BY u.username_key LIMIT $4"
        ))
        .bind(pool.as_str())
        .bind(group.as_str())
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut users = rows.iter().map(user_from_row).collect::<Result<Vec<_>>>()?;
        let page = page(&mut users, limit, |u| u.username_key.clone());
        let mut items = page.items;
        self.load_attributes(pool, &mut items).await?;
        Ok(Page {
            items,
            next: page.next,
        })
    }
}

//! Users: a row each, their attributes in `user_attributes`, and the ListUsers queries.

use async_trait::async_trait;
use cognate_core::filter::{FilterAttribute, FilterOp, UserFilter};
use cognate_core::ids::{PoolId, Timestamp, Username};
use cognate_core::model::{Attribute, User, UserStatus};
use cognate_core::store::{Audit, Page, UserStore};
use cognate_core::{Error, Result};
use sqlx::any::AnyRow;

use crate::audit::{audit_if, write_audit};
use crate::rows::{db_error, from_json, get, is_unique_violation, page, placeholders, MAX_CHAR};
use crate::tx::finish;
use crate::{Backend, SqlStore};

pub(crate) const USER_COLUMNS: &str = "pool_id, sub, username, username_key, status, enabled, password_hash, created_at, modified_at, failed_sign_ins, last_failed_sign_in, temporary_password_expires, sealed_srp_verifier";

/// [`USER_COLUMNS`] of the table aliased `alias`, for queries that join users to another table.
pub(crate) fn user_columns(alias: &str) -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    let status: String = get(row, "status")?;
    Ok(User {
        pool_id: PoolId::parse(&get::<String>(row, "pool_id")?)?,
        sub: get(row, "sub")?,
        username: Username::parse(&get::<String>(row, "username")?)?,
        username_key: get(row, "username_key")?,
        status: UserStatus::parse(&status)
            .ok_or_else(|| Error::internal(format!("unknown user status {status}")))?,
        enabled: get::<i64>(row, "enabled")? != 0,
        password_hash: get(row, "password_hash")?,
        sealed_srp_verifier: get(row, "sealed_srp_verifier")?,
        attributes: Vec::new(),
        sign_in_names: Vec::new(),
        created: Timestamp(get(row, "created_at")?),
        modified: Timestamp(get(row, "modified_at")?),
        failed_sign_ins: get(row, "failed_sign_ins")?,
        last_failed_sign_in: get::<Option<i64>>(row, "last_failed_sign_in")?.map(Timestamp),
        temporary_password_expires: get::<Option<i64>>(row, "temporary_password_expires")?
            .map(Timestamp),
    })
}

/// The SQL of one ListUsers page and the values it binds after `$1` (pool) and `$2` (limit).
///
/// Each shape is written so that both planners walk the right index: one lower bound on
/// `username_key` (two bounds make SQLite range-scan from the looser one), and attribute
/// filters that start from the attribute index (`CROSS JOIN` fixes SQLite's join order; to
/// PostgreSQL it is an inner join like any other) instead of scanning users in name order.
fn list_users_query(filter: Option<&UserFilter>, after: Option<&str>) -> (String, Vec<String>) {
    let columns = user_columns("u");
    let after = after.unwrap_or("").to_owned();
    let order = "ORDER BY u.username_key LIMIT $2";
    let plain = |condition: &str, mut values: Vec<String>| {
        let n = values.len() + 3;
        values.push(after.clone());
        (format!("SELECT {columns} FROM users u WHERE u.pool_id = $1 AND {condition} AND u.username_key > ${n} {order}"), values)
    };
    let Some(filter) = filter else {
        return (format!("SELECT {columns} FROM users u WHERE u.pool_id = $1 AND u.username_key > $3 {order}"), vec![after]);
    };
    let upper = format!("{}{MAX_CHAR}", filter.value);
    let range = |column: &str| match filter.op {
        FilterOp::Equals => (format!("{column} = $3"), vec![filter.value.clone()]),
        FilterOp::StartsWith => (
            format!("{column} >= $3 AND {column} < $4"),
            vec![filter.value.clone(), upper.clone()],
        ),
    };
    match filter.attribute {
        FilterAttribute::Username => match filter.op {
            FilterOp::Equals => plain("u.username_key = $3", vec![filter.value.clone()]),
            FilterOp::StartsWith => {
                let (lower, bound) = if after >= filter.value {
                    (">", after.clone())
                } else {
                    (">=", filter.value.clone())
                };
                (
                    format!("SELECT {columns} FROM users u WHERE u.pool_id = $1 AND u.username_key {lower} $3 AND u.username_key < $4 {order}"),
                    vec![bound, upper],
                )
            }
        },
        FilterAttribute::Sub => {
            let (condition, values) = range("u.sub");
            plain(&condition, values)
        }
        FilterAttribute::UserStatus => {
            let (condition, values) = range("u.status");
            plain(&condition, values)
        }
        FilterAttribute::Enabled => {
            let states: Vec<&str> = [("Enabled", "1"), ("Disabled", "0")]
                .into_iter()
                .filter(|(label, _)| filter.matches(label))
                .map(|(_, v)| v)
                .collect();
            let condition = if states.is_empty() {
                "1 = 0".to_owned()
            } else {
                format!("u.enabled IN ({})", states.join(", "))
            };
            plain(&condition, vec![])
        }
        other => {
            let name = other
                .attribute_name()
                .expect("attribute filters name an attribute");
            let (condition, mut values) = match filter.op {
                FilterOp::Equals => ("a.value = $4".to_owned(), vec![filter.value.clone()]),
                FilterOp::StartsWith => (
                    "a.value >= $4 AND a.value < $5".to_owned(),
                    vec![filter.value.clone(), upper.clone()],
                ),
            };
            values.insert(0, name.to_owned());
            let n = values.len() + 3;
            values.push(after.clone());
            (
                format!(
                    "SELECT {columns} FROM user_attributes a CROSS JOIN users u \
                     WHERE a.pool_id = $1 AND a.name = $3 AND {condition} AND u.pool_id = a.pool_id AND u.sub = a.sub \
                     AND u.username_key > ${n} {order}"
                ),
                values,
            )
        }
    }
}

impl SqlStore {
    /// Fills in the attributes of `users` with one query.
    pub(crate) async fn load_attributes(&self, pool: &PoolId, users: &mut [User]) -> Result<()> {
        if users.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT sub, name, value, sign_in FROM user_attributes WHERE pool_id = $1 AND sub IN ({}) ORDER BY sub, name",
            placeholders(2, users.len())
        );
        let mut query = sqlx::query(&sql).bind(pool.as_str());
        for user in users.iter() {
            query = query.bind(user.sub.as_str());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        for row in &rows {
            let sub: String = get(row, "sub")?;
            if let Some(user) = users.iter_mut().find(|u| u.sub == sub) {
                let name: String = get(row, "name")?;
                if get::<i64>(row, "sign_in")? != 0 {
                    user.sign_in_names.push(name.clone());
                }
                user.attributes.push(Attribute {
                    name,
                    value: get(row, "value")?,
                });
            }
        }
        Ok(())
    }

    /// The users of `pool` that meet `condition` (on `users u`), whose parameters `$2`, `$3`, …
    /// are `values`, with their attributes: one statement and one row per user, as this is on
    /// every sign-in and every call made with a token (each row is a trip between threads for
    /// SQLite). `extra` selects more columns, read from the first row.
    pub(crate) async fn users_where(
        &self,
        pool: &PoolId,
        extra: &str,
        condition: &str,
        values: &[&str],
    ) -> Result<(Vec<User>, Option<AnyRow>)> {
        let attributes = match self.backend {
            Backend::Sqlite => "(SELECT json_group_array(json_array(a.name, a.value, a.sign_in) ORDER BY a.name)",
            Backend::Postgres => "(SELECT COALESCE(json_agg(json_build_array(a.name, a.value, a.sign_in) ORDER BY a.name), '[]')::text",
        };
        let sql = format!(
            "SELECT {}, {extra} {attributes} FROM user_attributes a WHERE a.pool_id = u.pool_id AND a.sub = u.sub) AS attributes \
             FROM users u WHERE u.pool_id = $1 AND {condition}",
            user_columns("u")
        );
        let mut query = sqlx::query(&sql).bind(pool.as_str());
        for value in values {
            query = query.bind(*value);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut user = user_from_row(row)?;
            let attributes: Vec<(String, String, i64)> =
                from_json(&get::<String>(row, "attributes")?)?;
            for (name, value, sign_in) in attributes {
                if sign_in != 0 {
                    user.sign_in_names.push(name.clone());
                }
                user.attributes.push(Attribute { name, value });
            }
            users.push(user);
        }
        Ok((users, rows.into_iter().next()))
    }

    pub(crate) async fn insert_user_row(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        user: &User,
    ) -> Result<()> {
        let inserted = sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(user.pool_id.as_str())
        .bind(user.sub.as_str())
        .bind(user.username.as_str())
        .bind(user.username_key.as_str())
        .bind(user.status.as_str())
        .bind(i64::from(user.enabled))
        .bind(user.password_hash.as_deref())
        .bind(user.created.0)
        .bind(user.modified.0)
        .bind(user.failed_sign_ins)
        .bind(user.last_failed_sign_in.map(|t| t.0))
        .bind(user.temporary_password_expires.map(|t| t.0))
        .bind(user.sealed_srp_verifier.clone())
        .execute(&mut **tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::UsernameExists("User already exists".into()))
            }
            other => other.map_err(db_error)?,
        };
        Self::write_attributes(tx, user).await
    }

    pub(crate) async fn write_attributes(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        user: &User,
    ) -> Result<()> {
        sqlx::query("DELETE FROM user_attributes WHERE pool_id = $1 AND sub = $2")
            .bind(user.pool_id.as_str())
            .bind(user.sub.as_str())
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        for attribute in &user.attributes {
            let sign_in = user.sign_in_names.contains(&attribute.name);
            let inserted = sqlx::query("INSERT INTO user_attributes (pool_id, sub, name, value, sign_in) VALUES ($1, $2, $3, $4, $5)")
                .bind(user.pool_id.as_str())
                .bind(user.sub.as_str())
                .bind(attribute.name.as_str())
                .bind(attribute.value.as_str())
                .bind(i64::from(sign_in))
                .execute(&mut **tx)
                .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::AliasExists(format!(
                        "An account with the given {} already exists.",
                        attribute.name
                    )))
                }
                other => other.map_err(db_error)?,
            };
        }
        Ok(())
    }

    /// Writes a user's row, except the failed sign-in counters: those change only through
    /// `admit_sign_in_attempt` and `clear_failed_sign_ins`, atomically, so that writing back a user
    /// read earlier cannot undo a failure counted in between.
    pub(crate) async fn write_user_row(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        user: &User,
    ) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE users SET username = $3, username_key = $4, status = $5, enabled = $6, password_hash = $7, modified_at = $8, \
             temporary_password_expires = $9, sealed_srp_verifier = $10 \
             WHERE pool_id = $1 AND sub = $2",
        )
        .bind(user.pool_id.as_str())
        .bind(user.sub.as_str())
        .bind(user.username.as_str())
        .bind(user.username_key.as_str())
        .bind(user.status.as_str())
        .bind(i64::from(user.enabled))
        .bind(user.password_hash.as_deref())
        .bind(user.modified.0)
        .bind(user.temporary_password_expires.map(|t| t.0))
        .bind(user.sealed_srp_verifier.clone())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
        Ok(result.rows_affected() > 0)
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, user: &User, audit: Audit<'_>) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            Self::insert_user_row(&mut tx, user).await?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn insert_users(&self, users: &[User]) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<()> = async {
            for user in users {
                Self::insert_user_row(&mut tx, user).await?;
            }
            Ok(())
        }
        .await;
        finish(tx, result).await
    }

    async fn get_user(&self, pool: &PoolId, username_key: &str) -> Result<Option<User>> {
        Ok(self
            .users_where(pool, "", "u.username_key = $2", &[username_key])
            .await?
            .0
            .pop())
    }

    async fn get_user_by_sub(&self, pool: &PoolId, sub: &str) -> Result<Option<User>> {
        Ok(self
            .users_where(pool, "", "u.sub = $2", &[sub])
            .await?
            .0
            .pop())
    }

    async fn find_users_by_attribute(
        &self,
        pool: &PoolId,
        name: &str,
        value: &str,
    ) -> Result<Vec<User>> {
        self.users_where(
            pool,
            "",
            "u.sub IN (SELECT sub FROM user_attributes WHERE pool_id = $1 AND name = $2 AND value = $3)",
            &[name, value],
        )
        .await
        .map(|(users, _)| users)
    }

    async fn update_user(&self, user: &User, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            if !Self::write_user_row(&mut tx, user).await? {
                return Ok(false);
            }
            Self::write_attributes(&mut tx, user).await?;
            audit_if(&mut tx, true, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn delete_user(&self, pool: &PoolId, sub: &str, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let deleted = sqlx::query("DELETE FROM users WHERE pool_id = $1 AND sub = $2")
                .bind(pool.as_str())
                .bind(sub)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn list_users(
        &self,
        pool: &PoolId,
        filter: Option<&UserFilter>,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<User>> {
        let (sql, values) = list_users_query(filter, after);
        let mut query = sqlx::query(&sql)
            .bind(pool.as_str())
            .bind(i64::from(limit) + 1);
        for value in &values {
            query = query.bind(value.as_str());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        let mut users = rows.iter().map(user_from_row).collect::<Result<Vec<_>>>()?;
        let page = page(&mut users, limit, |u| u.username_key.clone());
        let mut items = page.items;
        self.load_attributes(pool, &mut items).await?;
        Ok(Page {
            items,
            next: page.next,
        })
    }

    async fn admit_sign_in_attempt(
        &self,
        pool: &PoolId,
        sub: &str,
        seen: i64,
        at: Timestamp,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        let counted = sqlx::query(
            "UPDATE users SET failed_sign_ins = failed_sign_ins + 1, last_failed_sign_in = $4 \
             WHERE pool_id = $1 AND sub = $2 AND failed_sign_ins = $3",
        )
        .bind(pool.as_str())
        .bind(sub)
        .bind(seen)
        .bind(at.0)
        .execute(&self.pool)
        .await
        .map_err(db_error)?
        .rows_affected();
        Ok(counted > 0)
    }

    async fn unknown_sign_in_failures(
        &self,
        pool: &PoolId,
        name_hash: &str,
    ) -> Result<(i64, Option<Timestamp>)> {
        let row = sqlx::query(
            "SELECT failed_sign_ins, last_failed_sign_in FROM unknown_sign_ins WHERE pool_id = $1 AND name_hash = $2",
        )
        .bind(pool.as_str())
        .bind(name_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        match row {
            Some(row) => Ok((
                get(&row, "failed_sign_ins")?,
                Some(Timestamp(get(&row, "last_failed_sign_in")?)),
            )),
            None => Ok((0, None)),
        }
    }

    async fn admit_unknown_sign_in_attempt(
        &self,
        pool: &PoolId,
        name_hash: &str,
        seen: i64,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        sqlx::query("DELETE FROM unknown_sign_ins WHERE last_failed_sign_in < $1")
            .bind(forget_before.0)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        // The first failure inserts; later ones count only from the count the caller read.
        let row = sqlx::query(
            "INSERT INTO unknown_sign_ins (pool_id, name_hash, failed_sign_ins, last_failed_sign_in) VALUES ($1, $2, 1, $4) \
             ON CONFLICT (pool_id, name_hash) DO UPDATE SET failed_sign_ins = unknown_sign_ins.failed_sign_ins + 1, \
             last_failed_sign_in = excluded.last_failed_sign_in \
             WHERE unknown_sign_ins.failed_sign_ins = $3 \
             RETURNING failed_sign_ins",
        )
        .bind(pool.as_str())
        .bind(name_hash)
        .bind(seen)
        .bind(at.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.is_some())
    }

    async fn clear_failed_sign_ins(&self, pool: &PoolId, sub: &str) -> Result<()> {
        let _w = self.write_lock().await;
        sqlx::query("UPDATE users SET failed_sign_ins = 0, last_failed_sign_in = NULL WHERE pool_id = $1 AND sub = $2")
            .bind(pool.as_str())
            .bind(sub)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_prefix_has_one_lower_bound() {
        let filter = UserFilter::parse(r#"username ^= "user004""#).unwrap();
        let (sql, values) = list_users_query(filter.as_ref(), None);
        assert!(
            sql.contains("u.username_key >= $3 AND u.username_key < $4"),
            "{sql}"
        );
        assert_eq!(values, ["user004".to_owned(), format!("user004{MAX_CHAR}")]);
        let (sql, values) = list_users_query(filter.as_ref(), Some("user0042"));
        assert!(
            sql.contains("u.username_key > $3 AND u.username_key < $4"),
            "{sql}"
        );
        assert_eq!(
            values[0], "user0042",
            "a page token past the prefix start is the bound"
        );
    }

    #[test]
    fn attribute_filters_start_from_the_attribute_index() {
        let filter = UserFilter::parse(r#"email = "a@example.com""#).unwrap();
        let (sql, values) = list_users_query(filter.as_ref(), Some("k"));
        assert!(
            sql.contains("FROM user_attributes a CROSS JOIN users u"),
            "{sql}"
        );
        assert!(
            sql.contains("a.name = $3 AND a.value = $4") && sql.contains("u.username_key > $5"),
            "{sql}"
        );
        assert_eq!(values, ["email", "a@example.com", "k"]);
    }
}

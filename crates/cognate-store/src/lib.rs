//! Persistence for cognate over sqlx: SQLite (embedded default, WAL mode) and PostgreSQL (for
//! several servers). One implementation of [`Store`] serves both through sqlx's `Any` driver;
//! the SQL is written once in the dialect both accept (`$n` placeholders, `ON CONFLICT`), and
//! the schema lives in one migration folder per backend.

mod cache;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cognate_core::audit::AuditRecord;
use cognate_core::filter::{FilterAttribute, FilterOp, UserFilter};
use cognate_core::ids::{ClientId, GroupName, PoolId, Timestamp, Username};
use cognate_core::model::{
    AdminQueriesApi, AppClient, Attribute, CodePurpose, Group, OutboxMessage, Session, SigningKey,
    TokenUse, User, UserPool, UserStatus, VerificationCode,
};
use cognate_core::store::{Audit, AuthBatch, Page, SessionUser, Store};
use cognate_core::{Error, Result};

use cache::DocumentCache;
pub use cache::DOCUMENT_TTL;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store. SQLite allows one writer at a time, so writes there queue on a lock instead of
/// failing with SQLITE_BUSY; PostgreSQL needs no such lock.
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    writer: Option<Arc<Mutex<()>>>,
    pools: DocumentCache<PoolId, UserPool>,
    clients: DocumentCache<ClientId, (AppClient, Option<Vec<u8>>)>,
}

fn db_error(e: sqlx::Error) -> Error {
    Error::internal(format!("database: {e}"))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The largest character: `prefix ‖ MAX` is above every string that starts with `prefix`.
const MAX_CHAR: char = '\u{10FFFF}';

impl SqlStore {
    /// Connects to `url` (`sqlite://path` or `postgres://...`) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::invalid(format!(
                "unsupported database URL (use sqlite://PATH or postgres://...): {}",
                redact(url)
            )));
        };
        let options = AnyConnectOptions::from_str(url).map_err(db_error)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    // A ping before each use guards against a server gone away; an embedded file
                    // cannot go away, and the ping was a second trip to the connection's thread
                    // for every query.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
            }
        }
        .map_err(db_error)?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await,
        }
        .map_err(|e| Error::internal(format!("migrations: {e}")))?;
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(SqlStore {
            pool,
            backend,
            writer,
            pools: DocumentCache::new(),
            clients: DocumentCache::new(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Held for the duration of every write on SQLite.
    async fn write_lock(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(Error::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| Error::internal(format!("stored document: {e}")))
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(
    row: &'r AnyRow,
    column: &str,
) -> Result<T> {
    row.try_get(column).map_err(db_error)
}

const USER_COLUMNS: &str = "pool_id, sub, username, username_key, status, enabled, password_hash, created_at, modified_at, failed_sign_ins, last_failed_sign_in, temporary_password_expires, sealed_srp_verifier";

/// [`USER_COLUMNS`] of the table aliased `alias`, for queries that join users to another table.
fn user_columns(alias: &str) -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn user_from_row(row: &AnyRow) -> Result<User> {
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

fn session_from_row(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: get(row, "id")?,
        pool_id: PoolId::parse(&get::<String>(row, "pool_id")?)?,
        client_id: ClientId::parse(&get::<String>(row, "client_id")?)?,
        user_sub: get(row, "user_sub")?,
        refresh_token_hash: get(row, "refresh_token_hash")?,
        auth_time: Timestamp(get(row, "auth_time")?),
        expires: Timestamp(get(row, "expires_at")?),
        revoked: get::<i64>(row, "revoked")? != 0,
    })
}

const GROUP_COLUMNS: &str =
    "pool_id, name, description, precedence, role_arn, created_at, modified_at";

fn group_from_row(row: &AnyRow) -> Result<Group> {
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
fn groups_from_json(raw: &str) -> Result<Vec<Group>> {
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

fn purpose_from_key(key: &str) -> CodePurpose {
    match key {
        "sign_up" => CodePurpose::SignUp,
        "forgot_password" => CodePurpose::ForgotPassword,
        other => {
            CodePurpose::VerifyAttribute(other.strip_prefix("verify:").unwrap_or(other).to_owned())
        }
    }
}

fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqlStore {
    /// Fills in the attributes of `users` with one query.
    async fn load_attributes(&self, pool: &PoolId, users: &mut [User]) -> Result<()> {
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
    async fn users_where(
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

    async fn insert_pool_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        pool: &UserPool,
        keys: &[SigningKey],
    ) -> Result<()> {
        sqlx::query("INSERT INTO user_pools (id, created_at, document) VALUES ($1, $2, $3)")
            .bind(pool.id.as_str())
            .bind(pool.created.0)
            .bind(to_json(pool)?)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        Self::insert_key_rows(tx, keys).await
    }

    async fn insert_key_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        keys: &[SigningKey],
    ) -> Result<()> {
        for key in keys {
            sqlx::query(
                "INSERT INTO signing_keys (kid, pool_id, token_use, sealed_private_key, n, e, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(key.kid.as_str())
            .bind(key.pool_id.as_str())
            .bind(key.token_use.as_str())
            .bind(key.sealed_private_key.clone())
            .bind(key.n.as_str())
            .bind(key.e.as_str())
            .bind(key.created.0)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Ok(())
    }

    async fn insert_client_row<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        client: &AppClient,
        sealed_secret: Option<&[u8]>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO app_clients (id, pool_id, document, sealed_secret) VALUES ($1, $2, $3, $4)")
            .bind(client.id.as_str())
            .bind(client.pool_id.as_str())
            .bind(to_json(client)?)
            .bind(sealed_secret.map(<[u8]>::to_vec))
            .execute(executor)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn delete_group_row<'e>(
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

    async fn delete_admin_queries_row<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        id: &str,
    ) -> Result<bool> {
        let result = sqlx::query("DELETE FROM admin_queries_apis WHERE id = $1")
            .bind(id)
            .execute(executor)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected() > 0)
    }

    async fn insert_user_row(tx: &mut sqlx::Transaction<'_, sqlx::Any>, user: &User) -> Result<()> {
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

    async fn write_attributes(
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
    /// `record_failed_sign_in` and `clear_failed_sign_ins`, atomically, so that writing back a user
    /// read earlier cannot undo a failure counted in between.
    async fn write_user_row(
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

/// Writes the audit record of a change, if it has one, in the change's transaction.
async fn write_audit(tx: &mut sqlx::Transaction<'_, sqlx::Any>, audit: Audit<'_>) -> Result<()> {
    let Some(record) = audit else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO audit_log (at, actor, source, action, pool_id, target, details) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(record.at.0)
    .bind(record.actor.as_str())
    .bind(record.source.as_str())
    .bind(record.action.as_str())
    .bind(record.pool_id.as_ref().map(PoolId::as_str))
    .bind(record.target.as_str())
    .bind(record.details.to_string())
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Writes the audit record when the change took effect (`changed`), and passes `changed` on.
async fn audit_if(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    changed: bool,
    audit: Audit<'_>,
) -> Result<bool> {
    if changed {
        write_audit(tx, audit).await?;
    }
    Ok(changed)
}

/// Commits on success and rolls back on failure, both before the caller lets go of the SQLite
/// write lock: a transaction merely dropped keeps SQLite's write lock until the pool gets round
/// to rolling it back, and the next writer would fail with SQLITE_BUSY.
async fn finish<T>(tx: sqlx::Transaction<'_, sqlx::Any>, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(db_error)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(e) = tx.rollback().await {
                tracing::warn!(error = %e, "rollback failed");
            }
            Err(error)
        }
    }
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

#[async_trait]
impl Store for SqlStore {
    async fn insert_pool(
        &self,
        pool: &UserPool,
        keys: &[SigningKey],
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            Self::insert_pool_rows(&mut tx, pool, keys).await?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn get_pool(&self, id: &PoolId) -> Result<Option<UserPool>> {
        self.pools
            .read_through(id, async {
                let row = sqlx::query("SELECT document FROM user_pools WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_error)?;
                row.map(|r| from_json(&get::<String>(&r, "document")?))
                    .transpose()
            })
            .await
    }

    async fn list_pools(&self, limit: u32, after: Option<&str>) -> Result<Page<UserPool>> {
        let rows =
            sqlx::query("SELECT id, document FROM user_pools WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        let mut items = rows
            .iter()
            .map(|r| from_json::<UserPool>(&get::<String>(r, "document")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut items, limit, |p| p.id.to_string()))
    }

    async fn update_pool(&self, pool: &UserPool, audit: Audit<'_>) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let updated = sqlx::query("UPDATE user_pools SET document = $2 WHERE id = $1")
                .bind(pool.id.as_str())
                .bind(to_json(pool)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, updated > 0, audit).await
        }
        .await;
        let updated = finish(tx, result).await;
        self.pools.forget(&pool.id);
        updated.map(|_| ())
    }

    async fn delete_pool(&self, id: &PoolId, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            // Sessions do not reference the pool row itself; remove them explicitly.
            sqlx::query("DELETE FROM sessions WHERE pool_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let deleted = sqlx::query("DELETE FROM user_pools WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        }
        .await;
        let deleted = finish(tx, result).await;
        self.pools.forget(id);
        self.clients.forget_all();
        deleted
    }

    async fn signing_keys(&self, pool: &PoolId) -> Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, pool_id, token_use, sealed_private_key, n, e, created_at FROM signing_keys WHERE pool_id = $1 ORDER BY created_at, kid",
        )
        .bind(pool.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let token_use: String = get(r, "token_use")?;
                Ok(SigningKey {
                    kid: get(r, "kid")?,
                    pool_id: pool.clone(),
                    token_use: TokenUse::parse(&token_use)
                        .ok_or_else(|| Error::internal("unknown key use"))?,
                    sealed_private_key: get(r, "sealed_private_key")?,
                    n: get(r, "n")?,
                    e: get(r, "e")?,
                    created: Timestamp(get(r, "created_at")?),
                })
            })
            .collect()
    }

    async fn rotate_signing_keys(
        &self,
        pool: &PoolId,
        new: &[SigningKey],
        retire: &[String],
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            Self::insert_key_rows(&mut tx, new).await?;
            for kid in retire {
                sqlx::query("DELETE FROM signing_keys WHERE pool_id = $1 AND kid = $2")
                    .bind(pool.as_str())
                    .bind(kid.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn insert_client(
        &self,
        client: &AppClient,
        sealed_secret: Option<&[u8]>,
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            Self::insert_client_row(&mut *tx, client, sealed_secret).await?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn get_client(&self, id: &ClientId) -> Result<Option<(AppClient, Option<Vec<u8>>)>> {
        self.clients
            .read_through(id, async {
                let row =
                    sqlx::query("SELECT document, sealed_secret FROM app_clients WHERE id = $1")
                        .bind(id.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_error)?;
                row.map(|r| {
                    Ok((
                        from_json(&get::<String>(&r, "document")?)?,
                        get(&r, "sealed_secret")?,
                    ))
                })
                .transpose()
            })
            .await
    }

    async fn list_clients(
        &self,
        pool: &PoolId,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<AppClient>> {
        let rows = sqlx::query(
            "SELECT document FROM app_clients WHERE pool_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(pool.as_str())
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut items = rows
            .iter()
            .map(|r| from_json::<AppClient>(&get::<String>(r, "document")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut items, limit, |c| c.id.to_string()))
    }

    async fn update_client(&self, client: &AppClient, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let updated =
                sqlx::query("UPDATE app_clients SET document = $3 WHERE id = $1 AND pool_id = $2")
                    .bind(client.id.as_str())
                    .bind(client.pool_id.as_str())
                    .bind(to_json(client)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?
                    .rows_affected();
            audit_if(&mut tx, updated > 0, audit).await
        }
        .await;
        let updated = finish(tx, result).await;
        self.clients.forget(&client.id);
        updated
    }

    async fn delete_client(&self, pool: &PoolId, id: &ClientId, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            sqlx::query("DELETE FROM sessions WHERE client_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let deleted = sqlx::query("DELETE FROM app_clients WHERE id = $1 AND pool_id = $2")
                .bind(id.as_str())
                .bind(pool.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        }
        .await;
        let deleted = finish(tx, result).await;
        self.clients.forget(id);
        deleted
    }

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

    async fn get_session_user(
        &self,
        pool: &PoolId,
        session_id: &str,
        sub: &str,
    ) -> Result<SessionUser> {
        let (mut users, first) = self
            .users_where(
                pool,
                "(SELECT COUNT(*) FROM sessions WHERE id = $3 AND revoked = 0) AS live_sessions,",
                "u.sub = $2",
                &[sub, session_id],
            )
            .await?;
        let session_live = match first {
            Some(row) => get::<i64>(&row, "live_sessions")? > 0,
            // No user, so no row to carry the session's state: ask for it (a rare path).
            None => self
                .get_session(session_id)
                .await?
                .is_some_and(|s| !s.revoked),
        };
        Ok(SessionUser {
            session_live,
            user: users.pop(),
        })
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

    async fn update_user_consuming_code(&self, user: &User, purpose: &str) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<_> = async {
            let consumed = sqlx::query(
                "DELETE FROM verification_codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3",
            )
            .bind(user.pool_id.as_str())
            .bind(user.sub.as_str())
            .bind(purpose)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            if consumed == 0 {
                // Someone else used the code first.
                return Err(Error::ExpiredCode(
                    "Invalid code provided, please request a code again.".into(),
                ));
            }
            if !Self::write_user_row(&mut tx, user).await? {
                return Ok(false);
            }
            Self::write_attributes(&mut tx, user).await?;
            Ok(true)
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

    async fn record_failed_sign_in(&self, pool: &PoolId, sub: &str, at: Timestamp) -> Result<i64> {
        let _w = self.write_lock().await;
        let row = sqlx::query(
            "UPDATE users SET failed_sign_ins = failed_sign_ins + 1, last_failed_sign_in = $3 WHERE pool_id = $1 AND sub = $2 RETURNING failed_sign_ins",
        )
        .bind(pool.as_str())
        .bind(sub)
        .bind(at.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| get(&r, "failed_sign_ins"))
            .transpose()
            .map(Option::unwrap_or_default)
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

    async fn start_session(&self, session: &Session, max_groups: u32) -> Result<Vec<Group>> {
        // The groups ride on the insert's RETURNING clause: every sign-in needs both, and each
        // statement is a round trip to a database thread (SQLite) or the server (PostgreSQL).
        let groups = match self.backend {
            Backend::Sqlite => {
                format!("(SELECT json_group_array(json_array({GROUP_COLUMNS}) ORDER BY name)")
            }
            Backend::Postgres => format!(
                "(SELECT COALESCE(json_agg(json_build_array({GROUP_COLUMNS}) ORDER BY name), '[]')::text"
            ),
        };
        let _w = self.write_lock().await;
        let row = sqlx::query(&format!(
            "INSERT INTO sessions (id, pool_id, client_id, user_sub, refresh_token_hash, auth_time, expires_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {groups} FROM (SELECT g.* FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
             WHERE m.pool_id = $2 AND m.user_sub = $4 ORDER BY m.group_name LIMIT $9) AS g) AS user_groups"
        ))
        .bind(session.id.as_str())
        .bind(session.pool_id.as_str())
        .bind(session.client_id.as_str())
        .bind(session.user_sub.as_str())
        .bind(session.refresh_token_hash.as_str())
        .bind(session.auth_time.0)
        .bind(session.expires.0)
        .bind(i64::from(session.revoked))
        .bind(i64::from(max_groups))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        groups_from_json(&get::<String>(&row, "user_groups")?)
    }

    async fn get_session(&self, id: &str) -> Result<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn get_session_by_refresh_hash(&self, hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE refresh_token_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn revoke_session(&self, id: &str) -> Result<()> {
        let _w = self.write_lock().await;
        sqlx::query("UPDATE sessions SET revoked = 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn revoke_user_sessions(
        &self,
        pool: &PoolId,
        sub: &str,
        audit: Audit<'_>,
    ) -> Result<u64> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let revoked = sqlx::query(
                "UPDATE sessions SET revoked = 1 WHERE pool_id = $1 AND user_sub = $2 AND revoked = 0",
            )
            .bind(pool.as_str())
            .bind(sub)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            write_audit(&mut tx, audit).await?;
            Ok(revoked)
        }
        .await;
        finish(tx, result).await
    }

    async fn put_code(&self, code: &VerificationCode) -> Result<()> {
        let _w = self.write_lock().await;
        sqlx::query(
            "INSERT INTO verification_codes (pool_id, user_sub, purpose, code_hash, expires_at, failed_attempts) VALUES ($1, $2, $3, $4, $5, 0) \
             ON CONFLICT (pool_id, user_sub, purpose) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, failed_attempts = 0",
        )
        .bind(code.pool_id.as_str())
        .bind(code.user_sub.as_str())
        .bind(code.purpose.as_key())
        .bind(code.code_hash.as_str())
        .bind(code.expires.0)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn get_code(
        &self,
        pool: &PoolId,
        sub: &str,
        purpose: &str,
    ) -> Result<Option<VerificationCode>> {
        let row = sqlx::query("SELECT * FROM verification_codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3")
            .bind(pool.as_str())
            .bind(sub)
            .bind(purpose)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| {
            Ok(VerificationCode {
                pool_id: pool.clone(),
                user_sub: get(&r, "user_sub")?,
                purpose: purpose_from_key(&get::<String>(&r, "purpose")?),
                code_hash: get(&r, "code_hash")?,
                expires: Timestamp(get(&r, "expires_at")?),
                failed_attempts: get(&r, "failed_attempts")?,
            })
        })
        .transpose()
    }

    async fn delete_code(&self, pool: &PoolId, sub: &str, purpose: &str) -> Result<()> {
        let _w = self.write_lock().await;
        sqlx::query(
            "DELETE FROM verification_codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3",
        )
        .bind(pool.as_str())
        .bind(sub)
        .bind(purpose)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn count_code_failure(&self, pool: &PoolId, sub: &str, purpose: &str) -> Result<i64> {
        let _w = self.write_lock().await;
        let row = sqlx::query(
            "UPDATE verification_codes SET failed_attempts = failed_attempts + 1 WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3 RETURNING failed_attempts",
        )
        .bind(pool.as_str())
        .bind(sub)
        .bind(purpose)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| get(&r, "failed_attempts"))
            .transpose()
            .map(Option::unwrap_or_default)
    }

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

    async fn consume_challenge(
        &self,
        id: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        sqlx::query("DELETE FROM consumed_challenges WHERE expires_at < $1")
            .bind(now.0)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        let inserted =
            sqlx::query("INSERT INTO consumed_challenges (id, expires_at) VALUES ($1, $2)")
                .bind(id)
                .bind(expires.0)
                .execute(&self.pool)
                .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(db_error(e)),
        }
    }

    async fn insert_admin_queries_api(
        &self,
        api: &AdminQueriesApi,
        audit: Audit<'_>,
    ) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            sqlx::query("INSERT INTO admin_queries_apis (id, pool_id, created_at, document) VALUES ($1, $2, $3, $4)")
                .bind(api.id.as_str())
                .bind(api.pool_id.as_str())
                .bind(api.created.0)
                .bind(to_json(api)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            write_audit(&mut tx, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn get_admin_queries_api(&self, id: &str) -> Result<Option<AdminQueriesApi>> {
        let row = sqlx::query("SELECT document FROM admin_queries_apis WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| from_json(&get::<String>(&r, "document")?))
            .transpose()
    }

    async fn list_admin_queries_apis(&self, pool: Option<&PoolId>) -> Result<Vec<AdminQueriesApi>> {
        let rows = sqlx::query("SELECT document FROM admin_queries_apis WHERE ($1 = '' OR pool_id = $1) ORDER BY created_at, id")
            .bind(pool.map(PoolId::as_str).unwrap_or(""))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, "document")?))
            .collect()
    }

    async fn update_admin_queries_api(
        &self,
        api: &AdminQueriesApi,
        audit: Audit<'_>,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let updated = sqlx::query("UPDATE admin_queries_apis SET document = $2 WHERE id = $1")
                .bind(api.id.as_str())
                .bind(to_json(api)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, updated > 0, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn delete_admin_queries_api(&self, id: &str, audit: Audit<'_>) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = async {
            let deleted = Self::delete_admin_queries_row(&mut *tx, id).await?;
            audit_if(&mut tx, deleted, audit).await
        }
        .await;
        finish(tx, result).await
    }

    async fn apply_auth_batch(&self, batch: &AuthBatch) -> Result<()> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<()> = async {
            if let Some((pool, keys)) = &batch.new_pool {
                Self::insert_pool_rows(&mut tx, pool, keys).await?;
            }
            if let Some(pool) = &batch.update_pool {
                sqlx::query("UPDATE user_pools SET document = $2 WHERE id = $1")
                    .bind(pool.id.as_str())
                    .bind(to_json(pool)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            if let Some(client) = &batch.new_client {
                Self::insert_client_row(&mut *tx, client, None).await?;
            }
            for group in &batch.put_groups {
                sqlx::query(&format!(
                    "INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (pool_id, name) DO UPDATE SET description = excluded.description, precedence = excluded.precedence, \
                     role_arn = excluded.role_arn, modified_at = excluded.modified_at"
                ))
                .bind(group.pool_id.as_str())
                .bind(group.name.as_str())
                .bind(group.description.as_deref())
                .bind(group.precedence)
                .bind(group.role_arn.as_deref())
                .bind(group.created.0)
                .bind(group.modified.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            }
            for (pool, name) in &batch.delete_groups {
                Self::delete_group_row(&mut *tx, pool, name).await?;
            }
            if let Some(id) = &batch.delete_admin_queries {
                Self::delete_admin_queries_row(&mut *tx, id).await?;
            }
            write_audit(&mut tx, batch.audit.as_ref()).await?;
            if let Some(api) = &batch.put_admin_queries {
                sqlx::query(
                    "INSERT INTO admin_queries_apis (id, pool_id, created_at, document) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET document = excluded.document",
                )
                .bind(api.id.as_str())
                .bind(api.pool_id.as_str())
                .bind(api.created.0)
                .bind(to_json(api)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            }
            Ok(())
        }
        .await;
        let applied = finish(tx, result).await;
        self.pools.forget_all();
        self.clients.forget_all();
        applied
    }

    async fn list_audit(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, source, action, pool_id, target, details FROM audit_log \
             WHERE ($1 = '' OR pool_id = $1) AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(pool.map(PoolId::as_str).unwrap_or(""))
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: get(r, "id")?,
                    at: Timestamp(get(r, "at")?),
                    actor: get(r, "actor")?,
                    source: get(r, "source")?,
                    action: get(r, "action")?,
                    pool_id: get::<Option<String>>(r, "pool_id")?
                        .map(|p| PoolId::parse(&p))
                        .transpose()?,
                    target: get(r, "target")?,
                    details: from_json(&get::<String>(r, "details")?)?,
                })
            })
            .collect()
    }

    async fn push_message(&self, message: &OutboxMessage, sealed_body: &[u8]) -> Result<i64> {
        let _w = self.write_lock().await;
        let row = sqlx::query(
            "INSERT INTO outbox (pool_id, username, destination, subject, sealed_body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(message.pool_id.as_str())
        .bind(message.username.as_str())
        .bind(message.destination.as_str())
        .bind(message.subject.as_str())
        .bind(sealed_body.to_vec())
        .bind(message.created.0)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        get(&row, "id")
    }

    async fn list_messages(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
    ) -> Result<Vec<(OutboxMessage, Vec<u8>)>> {
        let rows = sqlx::query(
            "SELECT id, pool_id, username, destination, subject, sealed_body, created_at FROM outbox \
             WHERE ($1 = '' OR pool_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(pool.map(PoolId::as_str).unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    OutboxMessage {
                        id: get(r, "id")?,
                        pool_id: PoolId::parse(&get::<String>(r, "pool_id")?)?,
                        username: get(r, "username")?,
                        destination: get(r, "destination")?,
                        subject: get(r, "subject")?,
                        body: String::new(),
                        created: Timestamp(get(r, "created_at")?),
                    },
                    get(r, "sealed_body")?,
                ))
            })
            .collect()
    }
}

/// Cuts the extra row fetched to learn whether there is a next page.
fn page<T>(items: &mut Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more { items.last().map(key) } else { None };
    Page {
        items: std::mem::take(items),
        next,
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

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact("postgres://app:hunter2@db:5432/cognate"),
            "postgres://app:***@db:5432/cognate"
        );
        assert_eq!(redact("postgres://db/cognate"), "postgres://db/cognate");
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}

/// Helpers for tests that run against a real database.
pub mod testkit {
    use sqlx::Connection;

    /// The PostgreSQL server tests should also run against, from `COGNATE_TEST_DATABASE_URL`.
    pub fn postgres_url() -> Option<String> {
        std::env::var("COGNATE_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
    }

    /// Creates an empty database `cognate_test_<random>` on the server of `base_url` and returns
    /// its URL, so that every test starts from nothing.
    pub async fn scratch_postgres_database(base_url: &str) -> String {
        let name = format!("cognate_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(base_url)
            .await
            .expect("connect to COGNATE_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create scratch database");
        conn.close().await.ok();
        let (server, _) = base_url.rsplit_once('/').expect("database URL has a path");
        format!("{server}/{name}")
    }
}

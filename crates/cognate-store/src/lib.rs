//! Persistence for cognate over sqlx: SQLite (embedded default, WAL mode) and PostgreSQL (for
//! several servers). One implementation of each of core's store traits serves both through
//! sqlx's `Any` driver; the SQL is written once in the dialect both accept (`$n` placeholders,
//! `ON CONFLICT`), and the schema lives in one migration folder per backend.
//!
//! One file per aggregate implements its trait (`pools`, `clients`, `users`, `sessions`,
//! `codes`, `groups`, `admin_queries`, `outbox`, `audit`, `backend`, `server`); `rows` and `tx` hold the
//! row and transaction helpers they share. This file only connects and migrates.

mod admin_queries;
mod audit;
mod backend;
mod blobs;
mod buckets;
mod cache;
mod clients;
mod codes;
mod groups;
mod iam;
mod identity;
mod object_writes;
mod outbox;
mod pools;
mod rest_apis;
mod rows;
mod server;
mod sessions;
mod tx;
mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use cognate_core::ids::{ClientId, PoolId};
use cognate_core::model::{AppClient, UserPool};
use cognate_core::{Error, Result};

pub use blobs::{body_of, Blobs};
use cache::DocumentCache;
pub use cache::DOCUMENT_TTL;
use rows::db_error;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
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
    /// SQLite's object writes waiting to be committed together.
    object_writes: object_writes::WriteQueue,
    pools: DocumentCache<PoolId, UserPool>,
    clients: DocumentCache<ClientId, (AppClient, Option<Vec<u8>>)>,
}

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
            object_writes: Default::default(),
            pools: DocumentCache::new(),
            clients: DocumentCache::new(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
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

#[cfg(test)]
mod tests {
    use super::*;

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

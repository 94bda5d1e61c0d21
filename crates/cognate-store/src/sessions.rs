//! Sign-in sessions and consumed one-time challenges.

use async_trait::async_trait;
use cognate_core::ids::{ClientId, PoolId, Timestamp};
use cognate_core::model::{Group, Session};
use cognate_core::store::{Audit, SessionStore, SessionUser};
use cognate_core::Result;
use sqlx::any::AnyRow;

use crate::audit::write_audit;
use crate::groups::{groups_from_json, GROUP_COLUMNS};
use crate::rows::{db_error, get, is_unique_violation};
use crate::tx::finish;
use crate::{Backend, SqlStore};

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

#[async_trait]
impl SessionStore for SqlStore {
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

    async fn get_session_by_rotated_refresh_hash(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT s.* FROM rotated_refresh_tokens r JOIN sessions s ON s.id = r.session_id \
             WHERE r.refresh_token_hash = $1 AND r.valid_until > $2",
        )
        .bind(hash)
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn rotate_refresh_token(
        &self,
        id: &str,
        from: &str,
        to: &str,
        keep_from_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        let _w = self.write_lock().await;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result: Result<bool> = async {
            // The condition on the current hash makes concurrent rotations of one session
            // serialise: the second finds the token changed and rotates nothing.
            let rotated = sqlx::query(
                "UPDATE sessions SET refresh_token_hash = $3 WHERE id = $1 AND refresh_token_hash = $2 AND revoked = 0",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            if rotated == 0 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM rotated_refresh_tokens WHERE valid_until <= $1")
                .bind(now.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            if let Some(until) = keep_from_until {
                sqlx::query(
                    "INSERT INTO rotated_refresh_tokens (refresh_token_hash, session_id, valid_until) VALUES ($1, $2, $3) \
                     ON CONFLICT (refresh_token_hash) DO UPDATE SET valid_until = excluded.valid_until",
                )
                .bind(from)
                .bind(id)
                .bind(until.0)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            }
            Ok(true)
        }
        .await;
        finish(tx, result).await
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
}

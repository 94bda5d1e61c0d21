//! Identity pools (one JSON document each), their identities and the logins linked to them.
//! A login is unique per pool: the primary key is what makes one user one identity.

use async_trait::async_trait;
use cognate_core::identity::{Identity, IdentityId, IdentityPool, IdentityPoolId, Login};
use cognate_core::ids::Timestamp;
use cognate_core::store::{Audit, Claim, IdentityStore, Page};
use cognate_core::Result;
use sqlx::any::AnyRow;

use crate::audit::{audit_if, write_audit};
use crate::rows::{db_error, from_json, get, page, to_json};
use crate::tx::write_tx;
use crate::SqlStore;

impl SqlStore {
    async fn logins_of<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        identity: &str,
    ) -> Result<Vec<Login>> {
        let rows = sqlx::query(
            "SELECT provider, subject FROM identity_logins WHERE identity_id = $1 ORDER BY provider, subject",
        )
        .bind(identity)
        .fetch_all(executor)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(Login {
                    provider: get(r, "provider")?,
                    subject: get(r, "subject")?,
                })
            })
            .collect()
    }

    fn identity_from_row(row: &AnyRow, logins: Vec<Login>) -> Result<Identity> {
        Ok(Identity {
            id: IdentityId::parse(&get::<String>(row, "id")?)?,
            pool_id: IdentityPoolId::parse(&get::<String>(row, "pool_id")?)?,
            logins,
            created: Timestamp(get(row, "created_at")?),
            modified: Timestamp(get(row, "modified_at")?),
        })
    }

    async fn insert_identity_row(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        identity: &Identity,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO identities (id, pool_id, created_at, modified_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(identity.id.as_str())
        .bind(identity.pool_id.as_str())
        .bind(identity.created.0)
        .bind(identity.modified.0)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}

#[async_trait]
impl IdentityStore for SqlStore {
    async fn insert_identity_pool(&self, pool: &IdentityPool, audit: Audit<'_>) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO identity_pools (id, document) VALUES ($1, $2)")
                .bind(pool.id.as_str())
                .bind(to_json(pool)?)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            write_audit(&mut tx, audit).await
        })
    }

    async fn get_identity_pool(&self, id: &IdentityPoolId) -> Result<Option<IdentityPool>> {
        let row = sqlx::query("SELECT document FROM identity_pools WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|r| from_json(&get::<String>(&r, "document")?))
            .transpose()
    }

    async fn list_identity_pools(
        &self,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<IdentityPool>> {
        let rows =
            sqlx::query("SELECT document FROM identity_pools WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        let mut pools = rows
            .iter()
            .map(|r| from_json::<IdentityPool>(&get::<String>(r, "document")?))
            .collect::<Result<Vec<_>>>()?;
        Ok(page(&mut pools, limit, |p| p.id.to_string()))
    }

    async fn update_identity_pool(&self, pool: &IdentityPool, audit: Audit<'_>) -> Result<bool> {
        write_tx!(self, |tx| {
            let changed = sqlx::query("UPDATE identity_pools SET document = $1 WHERE id = $2")
                .bind(to_json(pool)?)
                .bind(pool.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, changed > 0, audit).await
        })
    }

    async fn delete_identity_pool(&self, id: &IdentityPoolId, audit: Audit<'_>) -> Result<bool> {
        write_tx!(self, |tx| {
            // Its identities and their logins go with it (ON DELETE CASCADE).
            let deleted = sqlx::query("DELETE FROM identity_pools WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            audit_if(&mut tx, deleted > 0, audit).await
        })
    }

    async fn insert_identity(&self, identity: &Identity) -> Result<()> {
        write_tx!(self, |tx| Self::insert_identity_row(&mut tx, identity)
            .await)
    }

    async fn get_identity(&self, id: &IdentityId) -> Result<Option<Identity>> {
        let row = sqlx::query(
            "SELECT id, pool_id, created_at, modified_at FROM identities WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        match row {
            None => Ok(None),
            Some(row) => {
                let logins = Self::logins_of(&self.pool, id.as_str()).await?;
                Self::identity_from_row(&row, logins).map(Some)
            }
        }
    }

    async fn claim_login(&self, identity: &Identity, login: &Login) -> Result<Claim> {
        write_tx!(self, |tx| {
            let owner = sqlx::query(
                "SELECT identity_id FROM identity_logins WHERE pool_id = $1 AND provider = $2 AND subject = $3",
            )
            .bind(identity.pool_id.as_str())
            .bind(&login.provider)
            .bind(&login.subject)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
            if let Some(owner) = owner {
                return Ok(Claim::Already(IdentityId::parse(&get::<String>(
                    &owner,
                    "identity_id",
                )?)?));
            }
            let exists = sqlx::query("SELECT id FROM identities WHERE id = $1")
                .bind(identity.id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?
                .is_some();
            if exists {
                sqlx::query("UPDATE identities SET modified_at = $1 WHERE id = $2")
                    .bind(Timestamp::now().0)
                    .bind(identity.id.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            } else {
                Self::insert_identity_row(&mut tx, identity).await?;
            }
            // Two first sign-ins at once (PostgreSQL runs them side by side): the second
            // insert waits for the first, does nothing, and reads the winner below.
            sqlx::query(
                "INSERT INTO identity_logins (pool_id, provider, subject, identity_id) VALUES ($1, $2, $3, $4) ON CONFLICT (pool_id, provider, subject) DO NOTHING",
            )
            .bind(identity.pool_id.as_str())
            .bind(&login.provider)
            .bind(&login.subject)
            .bind(identity.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            let owner: String = get(
                &sqlx::query(
                    "SELECT identity_id FROM identity_logins WHERE pool_id = $1 AND provider = $2 AND subject = $3",
                )
                .bind(identity.pool_id.as_str())
                .bind(&login.provider)
                .bind(&login.subject)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?,
                "identity_id",
            )?;
            if owner == identity.id.as_str() {
                return Ok(Claim::Linked);
            }
            if !exists {
                sqlx::query("DELETE FROM identities WHERE id = $1")
                    .bind(identity.id.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            Ok(Claim::Already(IdentityId::parse(&owner)?))
        })
    }

    async fn unlink_login(&self, identity: &IdentityId, login: &Login) -> Result<bool> {
        write_tx!(self, |tx| {
            let deleted = sqlx::query(
                "DELETE FROM identity_logins WHERE identity_id = $1 AND provider = $2 AND subject = $3",
            )
            .bind(identity.as_str())
            .bind(&login.provider)
            .bind(&login.subject)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            Ok(deleted > 0)
        })
    }

    async fn list_identities(
        &self,
        pool: &IdentityPoolId,
        limit: u32,
        after: Option<&str>,
    ) -> Result<Page<Identity>> {
        let rows = sqlx::query(
            "SELECT id, pool_id, created_at, modified_at FROM identities WHERE pool_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(pool.as_str())
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut identities = Vec::with_capacity(rows.len());
        for row in &rows {
            let logins = Self::logins_of(&self.pool, &get::<String>(row, "id")?).await?;
            identities.push(Self::identity_from_row(row, logins)?);
        }
        Ok(page(&mut identities, limit, |i| i.id.to_string()))
    }

    async fn delete_identities(&self, ids: &[IdentityId]) -> Result<()> {
        write_tx!(self, |tx| {
            // Their logins go with them (ON DELETE CASCADE).
            for id in ids {
                sqlx::query("DELETE FROM identities WHERE id = $1")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            Ok(())
        })
    }
}

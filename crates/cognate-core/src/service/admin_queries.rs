//! Admin Queries APIs: which pool, which groups may use them, which extra routes they serve,
//! and the authorization every call goes through. The routes themselves call the same user and
//! group services as the Cognito API.

use super::auth::Caller;
use serde_json::json;

use super::{now, Cognito};
use crate::audit::AuditRecord;
use crate::error::{Error, Result};
use crate::ids::{random_lowercase_alphanumerics, GroupName, PoolId};
use crate::model::{AdminQueriesApi, AdminRoute};

/// What creating or changing an API sets; on update `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct AdminQueriesSettings {
    pub stage: Option<String>,
    pub allowed_groups: Option<Vec<GroupName>>,
    pub extra_routes: Option<Vec<AdminRoute>>,
}

/// Why a caller may not use an API (the adapter's 401 and 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminQueryRefusal {
    /// No valid access token of this API's pool.
    Unauthenticated,
    /// Signed in, but in none of the allowed groups.
    NotPermitted,
}

fn api_not_found(id: &str) -> Error {
    Error::ResourceNotFound(format!("Admin Queries API {id} does not exist."))
}

/// API Gateway's shape of id: ten lowercase letters and digits.
pub(super) fn generate_api_id() -> String {
    random_lowercase_alphanumerics(10)
}

pub(super) fn validate_stage(stage: &str) -> Result<()> {
    if stage.is_empty()
        || stage.len() > 128
        || !stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(
            "StageName must be 1 to 128 letters, digits, '-' or '_'.",
        ));
    }
    Ok(())
}

fn api_change(action: &str, api: &AdminQueriesApi) -> AuditRecord {
    AuditRecord::new(
        action,
        Some(&api.pool_id),
        format!("admin-queries:{}", api.id),
        json!({"stage": api.stage, "allowed_groups": api.allowed_groups}),
    )
}

impl Cognito {
    /// Every allowed group must exist in the pool.
    async fn check_groups_exist(&self, pool: &PoolId, groups: &[GroupName]) -> Result<()> {
        for group in groups {
            if self.store.get_group(pool, group).await?.is_none() {
                return Err(Error::ResourceNotFound(format!(
                    "Group {group} does not exist in user pool {pool}; create it before allowing it to use Admin Queries."
                )));
            }
        }
        Ok(())
    }

    /// A new API for `pool`, validated, not yet stored. Its groups must exist (checked by the caller).
    pub(super) fn build_admin_queries_api(
        pool: &PoolId,
        settings: AdminQueriesSettings,
    ) -> Result<AdminQueriesApi> {
        let stage = settings.stage.unwrap_or_else(|| "dev".into());
        validate_stage(&stage)?;
        let created = now();
        Ok(AdminQueriesApi {
            id: generate_api_id(),
            pool_id: pool.clone(),
            stage,
            allowed_groups: settings.allowed_groups.unwrap_or_default(),
            extra_routes: settings
                .extra_routes
                .unwrap_or_default()
                .into_iter()
                .filter(|r| r.is_extra())
                .collect(),
            created,
            modified: created,
        })
    }

    pub async fn create_admin_queries_api(
        &self,
        pool: &PoolId,
        settings: AdminQueriesSettings,
    ) -> Result<AdminQueriesApi> {
        self.pool(pool).await?;
        let api = Self::build_admin_queries_api(pool, settings)?;
        self.check_groups_exist(pool, &api.allowed_groups).await?;
        self.store
            .insert_admin_queries_api(&api, Some(&api_change("CreateAdminQueriesApi", &api)))
            .await?;
        tracing::info!(pool = %pool, api = %api.id, "created Admin Queries API");
        Ok(api)
    }

    pub async fn describe_admin_queries_api(&self, id: &str) -> Result<AdminQueriesApi> {
        self.store
            .get_admin_queries_api(id)
            .await?
            .ok_or_else(|| api_not_found(id))
    }

    pub async fn list_admin_queries_apis(
        &self,
        pool: Option<&PoolId>,
    ) -> Result<Vec<AdminQueriesApi>> {
        self.store.list_admin_queries_apis(pool).await
    }

    pub async fn update_admin_queries_api(
        &self,
        id: &str,
        settings: AdminQueriesSettings,
    ) -> Result<AdminQueriesApi> {
        let mut api = self.describe_admin_queries_api(id).await?;
        if let Some(stage) = settings.stage {
            validate_stage(&stage)?;
            api.stage = stage;
        }
        if let Some(groups) = settings.allowed_groups {
            self.check_groups_exist(&api.pool_id, &groups).await?;
            api.allowed_groups = groups;
        }
        if let Some(routes) = settings.extra_routes {
            api.extra_routes = routes.into_iter().filter(|r| r.is_extra()).collect();
        }
        api.modified = now();
        if !self
            .store
            .update_admin_queries_api(&api, Some(&api_change("UpdateAdminQueriesApi", &api)))
            .await?
        {
            return Err(api_not_found(id));
        }
        tracing::info!(api = %api.id, "changed Admin Queries API");
        Ok(api)
    }

    pub async fn delete_admin_queries_api(&self, id: &str) -> Result<()> {
        let audit = AuditRecord::new(
            "DeleteAdminQueriesApi",
            None,
            format!("admin-queries:{id}"),
            json!({}),
        );
        if !self
            .store
            .delete_admin_queries_api(id, Some(&audit))
            .await?
        {
            return Err(api_not_found(id));
        }
        tracing::info!(api = %id, "deleted Admin Queries API");
        Ok(())
    }

    /// `/signUserOut`: admitted without the group check (see [`Cognito::admit_admin_query`]),
    /// so it signs out only the caller.
    pub async fn admin_query_sign_out(
        &self,
        api: &AdminQueriesApi,
        caller: &Caller,
        username: &str,
    ) -> Result<()> {
        if username != caller.user.username.as_str() {
            return Err(Error::NotAuthorized(
                "only the user can sign themselves out".into(),
            ));
        }
        self.admin_user_global_sign_out(&api.pool_id, username)
            .await
    }

    /// The one gate of every Admin Queries call: a valid, unrevoked access token of the API's
    /// pool with the admin scope, from a member of an allowed group (checked against the current
    /// membership, so removing someone from the group takes effect at once).
    /// `/signUserOut` skips the group check; [`Cognito::admin_query_sign_out`] only lets users
    /// sign themselves out.
    pub async fn admit_admin_query(
        &self,
        api: &AdminQueriesApi,
        route: AdminRoute,
        access_token: Option<&str>,
    ) -> Result<Caller, AdminQueryRefusal> {
        let token = access_token.ok_or(AdminQueryRefusal::Unauthenticated)?;
        let caller = self
            .authenticate_access_token(token)
            .await
            .map_err(|_| AdminQueryRefusal::Unauthenticated)?;
        let scoped = caller
            .claims
            .get("scope")
            .and_then(|s| s.as_str())
            .is_some_and(|s| {
                s.split(' ')
                    .any(|scope| scope == "aws.cognito.signin.user.admin")
            });
        if caller.pool.id != api.pool_id || !scoped {
            return Err(AdminQueryRefusal::Unauthenticated);
        }
        if route == AdminRoute::SignUserOut || api.allowed_groups.is_empty() {
            return Ok(caller);
        }
        let groups = self
            .all_groups_of(&caller.user)
            .await
            .map_err(|_| AdminQueryRefusal::NotPermitted)?;
        if groups.iter().any(|g| api.allowed_groups.contains(&g.name)) {
            Ok(caller)
        } else {
            Err(AdminQueryRefusal::NotPermitted)
        }
    }
}

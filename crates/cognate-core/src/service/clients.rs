//! App clients: which auth flows they allow, their token lifetimes, their secret.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

use serde_json::json;

use super::{now, Cognito};
use crate::audit::AuditRecord;
use crate::error::{Error, Result};
use crate::ids::{ClientId, PoolId};
use crate::model::{AppClient, RefreshTokenRotation, TimeUnit, TokenValidityUnits};
use crate::store::Page;

pub const KNOWN_AUTH_FLOWS: &[&str] = &[
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];

/// What CreateUserPoolClient and UpdateUserPoolClient set. Cognito's UpdateUserPoolClient resets
/// what is not given to its default, and so does this.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    pub name: String,
    pub generate_secret: bool,
    pub explicit_auth_flows: Option<Vec<String>>,
    pub access_token_validity: Option<i64>,
    pub id_token_validity: Option<i64>,
    pub refresh_token_validity: Option<i64>,
    pub token_validity_units: Option<TokenValidityUnits>,
    pub prevent_user_existence_errors: Option<String>,
    pub enable_token_revocation: Option<bool>,
    pub read_attributes: Vec<String>,
    pub write_attributes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub supported_identity_providers: Vec<String>,
    pub auth_session_validity: Option<i64>,
    pub refresh_token_rotation: Option<RefreshTokenRotation>,
}

/// Old flow names map to their `ALLOW_` forms; no flows at all means Cognito's default set.
fn normalize_flows(flows: Option<Vec<String>>) -> Result<Vec<String>> {
    let Some(flows) = flows.filter(|f| !f.is_empty()) else {
        return Ok(vec![
            "ALLOW_USER_SRP_AUTH".into(),
            "ALLOW_CUSTOM_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ]);
    };
    let mut out: Vec<String> = Vec::new();
    for flow in flows {
        let allowed = match flow.as_str() {
            "ADMIN_NO_SRP_AUTH" => "ALLOW_ADMIN_USER_PASSWORD_AUTH".to_owned(),
            "USER_PASSWORD_AUTH" => "ALLOW_USER_PASSWORD_AUTH".to_owned(),
            "CUSTOM_AUTH_FLOW_ONLY" => "ALLOW_CUSTOM_AUTH".to_owned(),
            f if KNOWN_AUTH_FLOWS.contains(&f) => f.to_owned(),
            other => {
                return Err(Error::invalid(format!(
                    "1 validation error detected: Value '[{other}]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: {KNOWN_AUTH_FLOWS:?}]"
                )))
            }
        };
        if !out.contains(&allowed) {
            out.push(allowed);
        }
    }
    Ok(out)
}

fn check_validity(
    label: &str,
    amount: i64,
    unit: TimeUnit,
    min_secs: i64,
    max_secs: i64,
) -> Result<()> {
    let secs = unit.seconds(amount);
    if secs < min_secs || secs > max_secs {
        return Err(Error::invalid(format!(
            "{label} must be between {} minutes and {} {}.",
            min_secs / 60,
            if max_secs >= 86_400 * 365 {
                max_secs / (86_400 * 365)
            } else {
                max_secs / 86_400
            },
            if max_secs >= 86_400 * 365 {
                "years"
            } else {
                "day"
            },
        )));
    }
    Ok(())
}

/// Off unless given; a grace period of 0 to 60 seconds, as Cognito allows.
fn check_rotation(rotation: Option<RefreshTokenRotation>) -> Result<RefreshTokenRotation> {
    let rotation = rotation.unwrap_or_default();
    if !(0..=60).contains(&rotation.retry_grace_period_secs) {
        return Err(Error::invalid(format!(
            "1 validation error detected: Value '{}' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value less than or equal to 60 and greater than or equal to 0",
            rotation.retry_grace_period_secs
        )));
    }
    Ok(rotation)
}

fn generate_client_secret() -> String {
    // Cognito's secrets are 51-52 base32-ish characters; 32 random bytes carry more than enough.
    let mut bytes = [0u8; 39];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    STANDARD.encode(bytes).replace(['+', '/'], "0")
}

/// What an operator needs to know of a client change; never its secret.
fn client_change(action: &str, client: &AppClient) -> AuditRecord {
    AuditRecord::new(
        action,
        Some(&client.pool_id),
        format!("client:{}", client.id),
        json!({"name": client.name, "explicit_auth_flows": client.explicit_auth_flows, "has_secret": client.secret.is_some()}),
    )
}

impl Cognito {
    pub(super) fn build_client(
        &self,
        pool: &PoolId,
        id: ClientId,
        settings: ClientSettings,
        secret: Option<String>,
    ) -> Result<AppClient> {
        let name_len = settings.name.chars().count();
        if !(1..=128).contains(&name_len) {
            return Err(Error::invalid("1 validation error detected: Value at 'clientName' failed to satisfy constraint: Member must have length between 1 and 128"));
        }
        let units = settings.token_validity_units.unwrap_or_default();
        let access = settings
            .access_token_validity
            .unwrap_or(units_in(units.access_token, 3600));
        let id_validity = settings
            .id_token_validity
            .unwrap_or(units_in(units.id_token, 3600));
        let refresh = settings
            .refresh_token_validity
            .unwrap_or(units_in(units.refresh_token, 30 * 86_400));
        check_validity(
            "Access token validity",
            access,
            units.access_token,
            5 * 60,
            86_400,
        )?;
        check_validity(
            "ID token validity",
            id_validity,
            units.id_token,
            5 * 60,
            86_400,
        )?;
        check_validity(
            "Refresh token validity",
            refresh,
            units.refresh_token,
            60 * 60,
            3650 * 86_400,
        )?;
        let prevent = match settings.prevent_user_existence_errors.as_deref() {
            None | Some("ENABLED") => true,
            Some("LEGACY") => false,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "Invalid PreventUserExistenceErrors value: {other}"
                )))
            }
        };
        let auth_session_validity = settings.auth_session_validity.unwrap_or(3);
        if !(3..=15).contains(&auth_session_validity) {
            return Err(Error::invalid(
                "AuthSessionValidity must be between 3 and 15 minutes.",
            ));
        }
        let created = now();
        Ok(AppClient {
            pool_id: pool.clone(),
            id,
            name: settings.name,
            secret,
            explicit_auth_flows: normalize_flows(settings.explicit_auth_flows)?,
            access_token_validity: access,
            id_token_validity: id_validity,
            refresh_token_validity: refresh,
            token_validity_units: units,
            prevent_user_existence_errors: prevent,
            enable_token_revocation: settings.enable_token_revocation.unwrap_or(true),
            read_attributes: settings.read_attributes,
            write_attributes: settings.write_attributes,
            callback_urls: settings.callback_urls,
            logout_urls: settings.logout_urls,
            supported_identity_providers: settings.supported_identity_providers,
            auth_session_validity,
            refresh_token_rotation: check_rotation(settings.refresh_token_rotation)?,
            created,
            modified: created,
        })
    }

    pub async fn create_user_pool_client(
        &self,
        pool: &PoolId,
        settings: ClientSettings,
    ) -> Result<AppClient> {
        self.pool(pool).await?;
        let secret = settings.generate_secret.then(generate_client_secret);
        let client = self.build_client(pool, ClientId::generate(), settings, secret)?;
        let sealed = client
            .secret
            .as_ref()
            .map(|s| self.secrets.seal(s.as_bytes()));
        self.store
            .insert_client(
                &client,
                sealed.as_deref(),
                Some(&client_change("CreateUserPoolClient", &client)),
            )
            .await?;
        tracing::info!(pool = %pool, client = %client.id, "created app client");
        Ok(client)
    }

    pub async fn describe_user_pool_client(
        &self,
        pool: &PoolId,
        id: &ClientId,
    ) -> Result<AppClient> {
        self.pool(pool).await?;
        self.client_in_pool(pool, id).await
    }

    pub async fn list_user_pool_clients(
        &self,
        pool: &PoolId,
        limit: u32,
        token: Option<&str>,
    ) -> Result<Page<AppClient>> {
        self.pool(pool).await?;
        let scope = format!("ListUserPoolClients\0{pool}");
        let after = self.page_after(&scope, token)?;
        let page = self
            .store
            .list_clients(pool, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    pub async fn update_user_pool_client(
        &self,
        pool: &PoolId,
        id: &ClientId,
        settings: ClientSettings,
    ) -> Result<AppClient> {
        self.pool(pool).await?;
        let existing = self.client_in_pool(pool, id).await?;
        let mut client = self.build_client(pool, id.clone(), settings, existing.secret)?;
        client.created = existing.created;
        if !self
            .store
            .update_client(
                &client,
                Some(&client_change("UpdateUserPoolClient", &client)),
            )
            .await?
        {
            return Err(Error::ResourceNotFound(format!(
                "User pool client {id} does not exist."
            )));
        }
        Ok(client)
    }

    pub async fn delete_user_pool_client(&self, pool: &PoolId, id: &ClientId) -> Result<()> {
        self.pool(pool).await?;
        let audit = AuditRecord::new(
            "DeleteUserPoolClient",
            Some(pool),
            format!("client:{id}"),
            json!({}),
        );
        if !self.store.delete_client(pool, id, Some(&audit)).await? {
            return Err(Error::ResourceNotFound(format!(
                "User pool client {id} does not exist."
            )));
        }
        Ok(())
    }
}

/// `secs` expressed in `unit`, rounded down (at least 1).
fn units_in(unit: TimeUnit, secs: i64) -> i64 {
    (secs / unit.seconds(1)).max(1)
}

//! User pool and app client operations.

use cognate_core::model::{PasswordPolicy, RefreshTokenRotation, SchemaAttribute};
use cognate_core::service::{page_limit, ClientSettings, Cognito, PoolSettings};
use cognate_core::{Error, Result};
use serde_json::{json, Value};

use super::input::Input;
use crate::render;

fn pool_settings(input: &Input) -> Result<PoolSettings> {
    let password_policy = match input.opt_object("Policies")? {
        Some(policies) => policies.opt_typed::<PasswordPolicy>("PasswordPolicy")?,
        None => None,
    };
    let admin_create = input.opt_object("AdminCreateUserConfig")?;
    let username_configuration = input.opt_object("UsernameConfiguration")?;
    Ok(PoolSettings {
        name: input.opt_str("PoolName")?.map(str::to_owned),
        password_policy,
        username_attributes: input.opt_strings("UsernameAttributes")?,
        alias_attributes: input.opt_strings("AliasAttributes")?,
        auto_verified_attributes: input.opt_strings("AutoVerifiedAttributes")?,
        schema: input.opt_typed::<Vec<SchemaAttribute>>("Schema")?,
        username_case_sensitive: username_configuration
            .map(|u| u.opt_bool("CaseSensitive"))
            .transpose()?
            .flatten(),
        allow_admin_create_user_only: admin_create
            .map(|a| a.opt_bool("AllowAdminCreateUserOnly"))
            .transpose()?
            .flatten(),
        mfa_configuration: input.opt_str("MfaConfiguration")?.map(str::to_owned),
        deletion_protection: input.opt_str("DeletionProtection")?.map(str::to_owned),
        tags: input.opt_sorted_map("UserPoolTags")?,
    })
}

/// `{"Feature": "ENABLED" | "DISABLED", "RetryGracePeriodSeconds": 0..60}`.
fn refresh_token_rotation(input: &Input) -> Result<Option<RefreshTokenRotation>> {
    let Some(rotation) = input.opt_object("RefreshTokenRotation")? else {
        return Ok(None);
    };
    let enabled = match rotation.opt_str("Feature")? {
        Some("ENABLED") => true,
        Some("DISABLED") => false,
        other => {
            return Err(Error::invalid(format!(
                "1 validation error detected: Value '{}' at 'refreshTokenRotation.feature' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]",
                other.unwrap_or("null")
            )))
        }
    };
    Ok(Some(RefreshTokenRotation {
        enabled,
        retry_grace_period_secs: rotation.opt_i64("RetryGracePeriodSeconds")?.unwrap_or(0),
    }))
}

fn client_settings(input: &Input) -> Result<ClientSettings> {
    Ok(ClientSettings {
        name: input.opt_str("ClientName")?.unwrap_or_default().to_owned(),
        generate_secret: input.opt_bool("GenerateSecret")?.unwrap_or(false),
        explicit_auth_flows: input.opt_strings("ExplicitAuthFlows")?,
        access_token_validity: input.opt_i64("AccessTokenValidity")?,
        id_token_validity: input.opt_i64("IdTokenValidity")?,
        refresh_token_validity: input.opt_i64("RefreshTokenValidity")?,
        token_validity_units: input.opt_typed("TokenValidityUnits")?,
        prevent_user_existence_errors: input
            .opt_str("PreventUserExistenceErrors")?
            .map(str::to_owned),
        enable_token_revocation: input.opt_bool("EnableTokenRevocation")?,
        read_attributes: input.strings("ReadAttributes")?,
        write_attributes: input.strings("WriteAttributes")?,
        callback_urls: input.strings("CallbackURLs")?,
        logout_urls: input.strings("LogoutURLs")?,
        supported_identity_providers: input.strings("SupportedIdentityProviders")?,
        auth_session_validity: input.opt_i64("AuthSessionValidity")?,
        refresh_token_rotation: refresh_token_rotation(input)?,
    })
}

pub async fn create_user_pool(c: &Cognito, input: Input) -> Result<Value> {
    let pool = c.create_user_pool(pool_settings(&input)?).await?;
    Ok(json!({"UserPool": render::user_pool(&pool, &c.pool_arn(&pool.id))}))
}

pub async fn describe_user_pool(c: &Cognito, input: Input) -> Result<Value> {
    let pool = c.describe_user_pool(&input.pool_id()?).await?;
    Ok(json!({"UserPool": render::user_pool(&pool, &c.pool_arn(&pool.id))}))
}

pub async fn list_user_pools(c: &Cognito, input: Input) -> Result<Value> {
    let requested = input.opt_i32("MaxResults")?.ok_or_else(|| {
        Error::invalid("1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
    })?;
    if requested < 1 {
        return Err(Error::invalid(format!(
            "1 validation error detected: Value '{requested}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
        )));
    }
    let limit = page_limit(Some(requested), 60, "maxResults")?;
    let page = c
        .list_user_pools(limit, input.opt_str("NextToken")?)
        .await?;
    let mut out = json!({"UserPools": page.items.iter().map(render::user_pool_description).collect::<Vec<_>>()});
    if let Some(next) = page.next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn update_user_pool(c: &Cognito, input: Input) -> Result<Value> {
    c.update_user_pool(&input.pool_id()?, pool_settings(&input)?)
        .await?;
    Ok(json!({}))
}

pub async fn delete_user_pool(c: &Cognito, input: Input) -> Result<Value> {
    c.delete_user_pool(&input.pool_id()?).await?;
    Ok(json!({}))
}

pub async fn create_user_pool_client(c: &Cognito, input: Input) -> Result<Value> {
    input.str("ClientName")?;
    let client = c
        .create_user_pool_client(&input.pool_id()?, client_settings(&input)?)
        .await?;
    Ok(json!({"UserPoolClient": render::user_pool_client(&client)}))
}

pub async fn describe_user_pool_client(c: &Cognito, input: Input) -> Result<Value> {
    let client = c
        .describe_user_pool_client(&input.pool_id()?, &input.client_id()?)
        .await?;
    Ok(json!({"UserPoolClient": render::user_pool_client(&client)}))
}

pub async fn list_user_pool_clients(c: &Cognito, input: Input) -> Result<Value> {
    let limit = page_limit(input.opt_i32("MaxResults")?, 60, "maxResults")?;
    let page = c
        .list_user_pool_clients(&input.pool_id()?, limit, input.opt_str("NextToken")?)
        .await?;
    let clients: Vec<Value> = page
        .items
        .iter()
        .map(|cl| json!({"ClientId": cl.id, "UserPoolId": cl.pool_id, "ClientName": cl.name}))
        .collect();
    let mut out = json!({"UserPoolClients": clients});
    if let Some(next) = page.next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn update_user_pool_client(c: &Cognito, input: Input) -> Result<Value> {
    let pool = input.pool_id()?;
    let id = input.client_id()?;
    let mut settings = client_settings(&input)?;
    if settings.name.is_empty() {
        settings.name = c.describe_user_pool_client(&pool, &id).await?.name;
    }
    let client = c.update_user_pool_client(&pool, &id, settings).await?;
    Ok(json!({"UserPoolClient": render::user_pool_client(&client)}))
}

pub async fn delete_user_pool_client(c: &Cognito, input: Input) -> Result<Value> {
    c.delete_user_pool_client(&input.pool_id()?, &input.client_id()?)
        .await?;
    Ok(json!({}))
}

//! Cognito identity pools (`AWSCognitoIdentityService`, JSON 1.1). GetId,
//! GetCredentialsForIdentity, GetOpenIdToken and UnlinkIdentity are called without a
//! signature, as AWS's model says; everything else is signed for `cognito-identity`.

use std::collections::BTreeMap;

use cognate_core::identity::{
    AmbiguousRoleResolution, CognitoProvider, Identity, IdentityId, IdentityPool, IdentityPoolId,
    MappingRule, MappingType, MatchType, RoleMapping,
};
use cognate_core::ids::Timestamp;
use cognate_core::service::{page_limit, Cognito};
use cognate_core::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};

use super::input::Input;

operations! {
    public: {
        "GetId" => get_id,
        "GetCredentialsForIdentity" => get_credentials_for_identity,
        "GetOpenIdToken" => get_open_id_token,
        "UnlinkIdentity" => unlink_identity,
    }
    signed: {
        "CreateIdentityPool" => create_identity_pool,
        "DescribeIdentityPool" => describe_identity_pool,
        "ListIdentityPools" => list_identity_pools,
        "UpdateIdentityPool" => update_identity_pool,
        "DeleteIdentityPool" => delete_identity_pool,
        "SetIdentityPoolRoles" => set_identity_pool_roles,
        "GetIdentityPoolRoles" => get_identity_pool_roles,
        "ListIdentities" => list_identities,
        "DescribeIdentity" => describe_identity,
        "DeleteIdentities" => delete_identities,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireProvider {
    provider_name: String,
    client_id: String,
    #[serde(default)]
    server_side_token_check: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireMapping {
    #[serde(rename = "Type")]
    mapping_type: MappingType,
    ambiguous_role_resolution: Option<AmbiguousRoleResolution>,
    rules_configuration: Option<WireRules>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireRules {
    rules: Vec<WireRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireRule {
    claim: String,
    match_type: MatchType,
    value: String,
    #[serde(rename = "RoleARN")]
    role_arn: String,
}

fn pool_id(input: &Input) -> Result<IdentityPoolId> {
    IdentityPoolId::parse(input.str("IdentityPoolId")?)
}

fn identity_id(input: &Input) -> Result<IdentityId> {
    IdentityId::parse(input.str("IdentityId")?)
}

/// `Logins`; an empty map is no logins, as aws-amplify sends for guests.
fn logins(input: &Input) -> Result<BTreeMap<String, String>> {
    Ok(input.opt_sorted_map("Logins")?.unwrap_or_default())
}

/// The pool's settings from Create/UpdateIdentityPool's input.
fn pool_settings(input: &Input, id: IdentityPoolId) -> Result<IdentityPool> {
    let allow_unauthenticated = input.opt_bool("AllowUnauthenticatedIdentities")?.ok_or_else(|| {
        Error::invalid("1 validation error detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null")
    })?;
    let providers: Vec<WireProvider> = input
        .opt_typed("CognitoIdentityProviders")?
        .unwrap_or_default();
    Ok(IdentityPool {
        id,
        name: input.str("IdentityPoolName")?.to_owned(),
        allow_unauthenticated,
        allow_classic_flow: input.opt_bool("AllowClassicFlow")?.unwrap_or(false),
        cognito_providers: providers
            .into_iter()
            .map(|p| CognitoProvider {
                provider_name: p.provider_name,
                client_id: p.client_id,
                server_side_token_check: p.server_side_token_check,
            })
            .collect(),
        supported_login_providers: input
            .opt_sorted_map("SupportedLoginProviders")?
            .unwrap_or_default(),
        developer_provider_name: input.opt_str("DeveloperProviderName")?.map(str::to_owned),
        open_id_connect_provider_arns: input
            .opt_strings("OpenIdConnectProviderARNs")?
            .unwrap_or_default(),
        saml_provider_arns: input.opt_strings("SamlProviderARNs")?.unwrap_or_default(),
        tags: input
            .opt_sorted_map("IdentityPoolTags")?
            .unwrap_or_default(),
        roles: BTreeMap::new(),
        role_mappings: BTreeMap::new(),
        created: Timestamp(0),
    })
}

fn render_pool(pool: &IdentityPool) -> Value {
    let mut out = json!({
        "IdentityPoolId": pool.id,
        "IdentityPoolName": pool.name,
        "AllowUnauthenticatedIdentities": pool.allow_unauthenticated,
        "AllowClassicFlow": pool.allow_classic_flow,
        "SupportedLoginProviders": pool.supported_login_providers,
        "CognitoIdentityProviders": pool.cognito_providers.iter().map(|p| json!({
            "ProviderName": p.provider_name,
            "ClientId": p.client_id,
            "ServerSideTokenCheck": p.server_side_token_check,
        })).collect::<Vec<_>>(),
        "OpenIdConnectProviderARNs": pool.open_id_connect_provider_arns,
        "SamlProviderARNs": pool.saml_provider_arns,
        "IdentityPoolTags": pool.tags,
    });
    if let Some(name) = &pool.developer_provider_name {
        out["DeveloperProviderName"] = json!(name);
    }
    out
}

fn render_identity(identity: &Identity) -> Value {
    json!({
        "IdentityId": identity.id,
        "Logins": identity.logins.iter().map(|l| l.provider.clone()).collect::<Vec<_>>(),
        "CreationDate": identity.created.epoch_secs_f64(),
        "LastModifiedDate": identity.modified.epoch_secs_f64(),
    })
}

async fn get_id(c: &Cognito, input: Input) -> Result<Value> {
    let id = c.get_id(&pool_id(&input)?, &logins(&input)?).await?;
    Ok(json!({"IdentityId": id}))
}

async fn get_credentials_for_identity(c: &Cognito, input: Input) -> Result<Value> {
    let issued = c
        .get_credentials_for_identity(
            &identity_id(&input)?,
            &logins(&input)?,
            input.opt_str("CustomRoleArn")?,
        )
        .await?;
    let identity = issued
        .session
        .identity
        .as_ref()
        .map(|w| w.identity_id.to_string())
        .unwrap_or_default();
    Ok(json!({
        "IdentityId": identity,
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "SecretKey": issued.secret_access_key.as_str(),
            "SessionToken": issued.session_token,
            "Expiration": issued.expiration.epoch_secs(),
        },
    }))
}

async fn get_open_id_token(c: &Cognito, input: Input) -> Result<Value> {
    let id = identity_id(&input)?;
    let token = c.get_open_id_token(&id, &logins(&input)?).await?;
    Ok(json!({"IdentityId": id, "Token": token}))
}

async fn unlink_identity(c: &Cognito, input: Input) -> Result<Value> {
    c.unlink_identity(
        &identity_id(&input)?,
        &logins(&input)?,
        &input.strings("LoginsToRemove")?,
    )
    .await?;
    Ok(json!({}))
}

async fn create_identity_pool(c: &Cognito, input: Input) -> Result<Value> {
    // The service assigns the pool its id.
    let settings = pool_settings(&input, IdentityPoolId::generate("unassigned"))?;
    let pool = c.create_identity_pool(settings).await?;
    Ok(render_pool(&pool))
}

async fn describe_identity_pool(c: &Cognito, input: Input) -> Result<Value> {
    Ok(render_pool(&c.identity_pool(&pool_id(&input)?).await?))
}

async fn list_identity_pools(c: &Cognito, input: Input) -> Result<Value> {
    let limit = page_limit(input.opt_i32("MaxResults")?, 60, "maxResults")?;
    let page = c
        .list_identity_pools(limit, input.opt_str("NextToken")?)
        .await?;
    let mut out = json!({"IdentityPools": page.items.iter().map(|p| json!({
        "IdentityPoolId": p.id, "IdentityPoolName": p.name,
    })).collect::<Vec<_>>()});
    if let Some(next) = page.next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

async fn update_identity_pool(c: &Cognito, input: Input) -> Result<Value> {
    let settings = pool_settings(&input, pool_id(&input)?)?;
    Ok(render_pool(&c.update_identity_pool(settings).await?))
}

async fn delete_identity_pool(c: &Cognito, input: Input) -> Result<Value> {
    c.delete_identity_pool(&pool_id(&input)?).await?;
    Ok(json!({}))
}

async fn set_identity_pool_roles(c: &Cognito, input: Input) -> Result<Value> {
    let roles = input.opt_sorted_map("Roles")?.unwrap_or_default();
    let wire: BTreeMap<String, WireMapping> = input.opt_typed("RoleMappings")?.unwrap_or_default();
    let mappings = wire
        .into_iter()
        .map(|(key, m)| {
            let mapping = RoleMapping {
                mapping_type: m.mapping_type,
                ambiguous_role_resolution: m.ambiguous_role_resolution,
                rules: m
                    .rules_configuration
                    .map(|r| r.rules)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| MappingRule {
                        claim: r.claim,
                        match_type: r.match_type,
                        value: r.value,
                        role_arn: r.role_arn,
                    })
                    .collect(),
            };
            (key, mapping)
        })
        .collect();
    c.set_identity_pool_roles(&pool_id(&input)?, roles, mappings)
        .await?;
    Ok(json!({}))
}

async fn get_identity_pool_roles(c: &Cognito, input: Input) -> Result<Value> {
    let pool = c.identity_pool(&pool_id(&input)?).await?;
    let mappings: serde_json::Map<String, Value> = pool
        .role_mappings
        .iter()
        .map(|(key, m)| {
            let mut out = json!({"Type": m.mapping_type});
            if let Some(resolution) = m.ambiguous_role_resolution {
                out["AmbiguousRoleResolution"] = json!(resolution);
            }
            if m.mapping_type == MappingType::Rules {
                out["RulesConfiguration"] = json!({"Rules": m.rules.iter().map(|r| json!({
                    "Claim": r.claim, "MatchType": r.match_type, "Value": r.value, "RoleARN": r.role_arn,
                })).collect::<Vec<_>>()});
            }
            (key.clone(), out)
        })
        .collect();
    Ok(json!({"IdentityPoolId": pool.id, "Roles": pool.roles, "RoleMappings": mappings}))
}

async fn list_identities(c: &Cognito, input: Input) -> Result<Value> {
    let limit = page_limit(input.opt_i32("MaxResults")?, 60, "maxResults")?;
    let id = pool_id(&input)?;
    let page = c
        .list_identities(&id, limit, input.opt_str("NextToken")?)
        .await?;
    let mut out = json!({
        "IdentityPoolId": id,
        "Identities": page.items.iter().map(render_identity).collect::<Vec<_>>(),
    });
    if let Some(next) = page.next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

async fn describe_identity(c: &Cognito, input: Input) -> Result<Value> {
    Ok(render_identity(
        &c.describe_identity(&identity_id(&input)?).await?,
    ))
}

async fn delete_identities(c: &Cognito, input: Input) -> Result<Value> {
    let ids = input
        .strings("IdentityIdsToDelete")?
        .iter()
        .map(|id| IdentityId::parse(id))
        .collect::<Result<Vec<_>>>()?;
    if !(1..=60).contains(&ids.len()) {
        return Err(Error::invalid(
            "IdentityIdsToDelete must hold 1 to 60 identity ids.",
        ));
    }
    c.delete_identities(&ids).await?;
    Ok(json!({"UnprocessedIdentityIds": []}))
}

//! Domain records in Cognito's shapes (member names as in the service model). The JSON API
//! writes timestamps as epoch seconds; the Admin Queries API as ISO-8601 strings, as Amplify's
//! Lambda did by JSON-stringifying the SDK's Date objects.

use cognate_core::ids::Timestamp;
use cognate_core::model::{AppClient, Attribute, User, UserPool};
use cognate_core::service::{CodeDelivery, Tokens};
use serde_json::{json, Map, Value};

/// How a dialect writes timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dates {
    EpochSeconds,
    Iso8601,
}

impl Dates {
    pub fn render(self, at: Timestamp) -> Value {
        match self {
            Dates::EpochSeconds => json!(at.epoch_secs_f64()),
            Dates::Iso8601 => {
                let format = time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                );
                let moment =
                    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
                        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                json!(moment.format(format).unwrap_or_default())
            }
        }
    }
}

pub fn attributes(list: &[Attribute]) -> Value {
    Value::Array(
        list.iter()
            .map(|a| json!({"Name": a.name, "Value": a.value}))
            .collect(),
    )
}

/// UserType, as in ListUsers and AdminCreateUser. `only` restricts the attributes
/// (ListUsers' AttributesToGet).
pub fn user_type(user: &User, only: Option<&[String]>, dates: Dates) -> Value {
    let all = user.all_attributes();
    let shown: Vec<Attribute> = match only {
        Some(names) => all
            .into_iter()
            .filter(|a| names.contains(&a.name))
            .collect(),
        None => all,
    };
    json!({
        "Username": user.username,
        "Attributes": attributes(&shown),
        "UserCreateDate": dates.render(user.created),
        "UserLastModifiedDate": dates.render(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    })
}

/// AdminGetUser's output.
pub fn admin_get_user(user: &User, dates: Dates) -> Value {
    json!({
        "Username": user.username,
        "UserAttributes": attributes(&user.all_attributes()),
        "UserCreateDate": dates.render(user.created),
        "UserLastModifiedDate": dates.render(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
        "UserMFASettingList": [],
    })
}

pub fn code_delivery(delivery: &CodeDelivery) -> Value {
    json!({
        "Destination": delivery.destination,
        "DeliveryMedium": delivery.medium,
        "AttributeName": delivery.attribute,
    })
}

pub fn authentication_result(tokens: &Tokens) -> Value {
    let mut result = Map::new();
    result.insert("AccessToken".into(), json!(tokens.access_token));
    result.insert("ExpiresIn".into(), json!(tokens.expires_in));
    result.insert("TokenType".into(), json!("Bearer"));
    result.insert("IdToken".into(), json!(tokens.id_token));
    if let Some(refresh) = &tokens.refresh_token {
        result.insert("RefreshToken".into(), json!(refresh));
    }
    Value::Object(result)
}

pub fn user_pool(pool: &UserPool, arn: &str) -> Value {
    let mut out = json!({
        "Id": pool.id,
        "Name": pool.name,
        "Arn": arn,
        "Policies": {"PasswordPolicy": pool.password_policy},
        "DeletionProtection": pool.deletion_protection,
        "LambdaConfig": {},
        "LastModifiedDate": pool.modified.epoch_secs_f64(),
        "CreationDate": pool.created.epoch_secs_f64(),
        "SchemaAttributes": pool.full_schema(),
        "AutoVerifiedAttributes": pool.auto_verified_attributes,
        "MfaConfiguration": pool.mfa_configuration,
        "UsernameConfiguration": {"CaseSensitive": pool.username_case_sensitive},
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": pool.allow_admin_create_user_only,
            "UnusedAccountValidityDays": pool.password_policy.temporary_password_validity_days,
        },
        "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
        "UserPoolTags": pool.tags,
    });
    let object = out.as_object_mut().expect("object");
    if !pool.username_attributes.is_empty() {
        object.insert("UsernameAttributes".into(), json!(pool.username_attributes));
    }
    if !pool.alias_attributes.is_empty() {
        object.insert("AliasAttributes".into(), json!(pool.alias_attributes));
    }
    out
}

pub fn user_pool_description(pool: &UserPool) -> Value {
    json!({
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": {},
        "LastModifiedDate": pool.modified.epoch_secs_f64(),
        "CreationDate": pool.created.epoch_secs_f64(),
    })
}

pub fn user_pool_client(client: &AppClient) -> Value {
    let mut out = json!({
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.id,
        "LastModifiedDate": client.modified.epoch_secs_f64(),
        "CreationDate": client.created.epoch_secs_f64(),
        "RefreshTokenValidity": client.refresh_token_validity,
        "AccessTokenValidity": client.access_token_validity,
        "IdTokenValidity": client.id_token_validity,
        "TokenValidityUnits": client.token_validity_units,
        "ExplicitAuthFlows": client.explicit_auth_flows,
        "AllowedOAuthFlowsUserPoolClient": false,
        "PreventUserExistenceErrors": if client.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
        "EnableTokenRevocation": client.enable_token_revocation,
        "EnablePropagateAdditionalUserContextData": false,
        "AuthSessionValidity": client.auth_session_validity,
        "RefreshTokenRotation": {
            "Feature": if client.refresh_token_rotation.enabled { "ENABLED" } else { "DISABLED" },
            "RetryGracePeriodSeconds": client.refresh_token_rotation.retry_grace_period_secs,
        },
    });
    let object = out.as_object_mut().expect("object");
    for (key, list) in [
        ("ReadAttributes", &client.read_attributes),
        ("WriteAttributes", &client.write_attributes),
        ("CallbackURLs", &client.callback_urls),
        ("LogoutURLs", &client.logout_urls),
        (
            "SupportedIdentityProviders",
            &client.supported_identity_providers,
        ),
    ] {
        if !list.is_empty() {
            object.insert(key.into(), json!(list));
        }
    }
    if let Some(secret) = &client.secret {
        object.insert("ClientSecret".into(), json!(secret));
    }
    out
}

/// GroupType.
pub fn group(group: &cognate_core::model::Group, dates: Dates) -> Value {
    let mut out = json!({
        "GroupName": group.name,
        "UserPoolId": group.pool_id,
        "LastModifiedDate": dates.render(group.modified),
        "CreationDate": dates.render(group.created),
    });
    let object = out.as_object_mut().expect("object");
    if let Some(description) = &group.description {
        object.insert("Description".into(), json!(description));
    }
    if let Some(precedence) = group.precedence {
        object.insert("Precedence".into(), json!(precedence));
    }
    if let Some(role) = &group.role_arn {
        object.insert("RoleArn".into(), json!(role));
    }
    out
}

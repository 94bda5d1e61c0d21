//! Creating, describing, changing and deleting user pools.

use std::collections::BTreeMap;

use serde_json::json;

use super::{now, Cognito};
use crate::audit::AuditRecord;
use crate::error::{Error, Result};
use crate::ids::PoolId;
use crate::model::{PasswordPolicy, SchemaAttribute, UserPool};
use crate::store::Page;

/// Cognito's standard attributes, with their data types.
pub const STANDARD_ATTRIBUTES: &[(&str, &str)] = &[
    ("sub", "String"),
    ("name", "String"),
    ("given_name", "String"),
    ("family_name", "String"),
    ("middle_name", "String"),
    ("nickname", "String"),
    ("preferred_username", "String"),
    ("profile", "String"),
    ("picture", "String"),
    ("website", "String"),
    ("email", "String"),
    ("email_verified", "Boolean"),
    ("gender", "String"),
    ("birthdate", "String"),
    ("zoneinfo", "String"),
    ("locale", "String"),
    ("phone_number", "String"),
    ("phone_number_verified", "Boolean"),
    ("address", "String"),
    ("updated_at", "Number"),
];

/// The standard attributes a pool can require at sign-up, in name order: all but `sub` and
/// the two `_verified` flags, which the server sets.
pub fn requirable_standard_attributes() -> Vec<&'static str> {
    let mut names: Vec<&str> = STANDARD_ATTRIBUTES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| *name != "sub" && !name.ends_with("_verified"))
        .collect();
    names.sort_unstable();
    names
}

/// The lengths a password policy may ask for.
pub const PASSWORD_MIN_LENGTH_RANGE: std::ops::RangeInclusive<u32> = 6..=99;

pub const MAX_CUSTOM_ATTRIBUTES: usize = 50;

/// What CreateUserPool and UpdateUserPool may set. `None` keeps the current (or default) value.
#[derive(Debug, Clone, Default)]
pub struct PoolSettings {
    pub name: Option<String>,
    pub password_policy: Option<PasswordPolicy>,
    pub username_attributes: Option<Vec<String>>,
    pub alias_attributes: Option<Vec<String>>,
    pub auto_verified_attributes: Option<Vec<String>>,
    /// Only at creation: standard attributes to require and custom attributes to add
    /// (named without the `custom:` prefix, as on the wire).
    pub schema: Option<Vec<SchemaAttribute>>,
    pub username_case_sensitive: Option<bool>,
    pub allow_admin_create_user_only: Option<bool>,
    pub mfa_configuration: Option<String>,
    pub deletion_protection: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

fn check_subset(values: &[String], allowed: &[&str], member: &str) -> Result<()> {
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(bad) => Err(Error::invalid(format!(
            "1 validation error detected: Value '{bad}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: {allowed:?}"
        ))),
        None => Ok(()),
    }
}

fn validate_policy(policy: &PasswordPolicy) -> Result<()> {
    if !PASSWORD_MIN_LENGTH_RANGE.contains(&policy.minimum_length) {
        return Err(Error::invalid(
            "Password policy minimum length must be between 6 and 99.",
        ));
    }
    if policy.temporary_password_validity_days > 365 {
        return Err(Error::invalid(
            "TemporaryPasswordValidityDays must be between 0 and 365.",
        ));
    }
    Ok(())
}

/// Turns the wire schema into the stored one: standard attributes keep their names, custom ones
/// get the `custom:` prefix.
fn normalize_schema(input: Vec<SchemaAttribute>) -> Result<Vec<SchemaAttribute>> {
    let mut schema: Vec<SchemaAttribute> = Vec::new();
    for mut attribute in input {
        let standard = STANDARD_ATTRIBUTES
            .iter()
            .any(|(n, _)| *n == attribute.name);
        if !standard {
            let bare = attribute
                .name
                .strip_prefix("custom:")
                .unwrap_or(&attribute.name)
                .to_owned();
            if bare.is_empty()
                || bare.len() > 20
                || !bare
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(Error::invalid(format!(
                    "Invalid custom attribute name: {}",
                    attribute.name
                )));
            }
            if !["String", "Number", "DateTime", "Boolean"]
                .contains(&attribute.attribute_data_type.as_str())
            {
                return Err(Error::invalid(format!(
                    "Invalid AttributeDataType for {}",
                    attribute.name
                )));
            }
            if attribute.required {
                return Err(Error::invalid(
                    "Required custom attributes are not supported currently.",
                ));
            }
            attribute.name = format!("custom:{bare}");
        }
        if schema.iter().any(|a| a.name == attribute.name) {
            return Err(Error::invalid(format!(
                "Duplicate attribute in schema: {}",
                attribute.name
            )));
        }
        schema.push(attribute);
    }
    if schema
        .iter()
        .filter(|a| a.name.starts_with("custom:"))
        .count()
        > MAX_CUSTOM_ATTRIBUTES
    {
        return Err(Error::LimitExceeded(format!(
            "A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
        )));
    }
    Ok(schema)
}

impl UserPool {
    /// Every attribute the pool knows: the standard ones, then the custom ones.
    pub fn full_schema(&self) -> Vec<SchemaAttribute> {
        let mut all: Vec<SchemaAttribute> = STANDARD_ATTRIBUTES
            .iter()
            .map(|(name, data_type)| {
                self.schema
                    .iter()
                    .find(|a| a.name == *name)
                    .cloned()
                    .unwrap_or(SchemaAttribute {
                        name: (*name).to_owned(),
                        attribute_data_type: (*data_type).to_owned(),
                        developer_only_attribute: false,
                        mutable: *name != "sub",
                        required: *name == "sub",
                        string_attribute_constraints: None,
                        number_attribute_constraints: None,
                    })
            })
            .collect();
        all.extend(
            self.schema
                .iter()
                .filter(|a| a.name.starts_with("custom:"))
                .cloned(),
        );
        all
    }

    pub fn required_attributes(&self) -> impl Iterator<Item = &str> {
        self.schema
            .iter()
            .filter(|a| a.required)
            .map(|a| a.name.as_str())
    }

    pub fn knows_attribute(&self, name: &str) -> bool {
        STANDARD_ATTRIBUTES.iter().any(|(n, _)| *n == name) || self.custom_attribute(name).is_some()
    }
}

fn pool_change(action: &str, pool: &UserPool) -> AuditRecord {
    AuditRecord::new(
        action,
        Some(&pool.id),
        format!("pool:{}", pool.id),
        json!({"name": pool.name}),
    )
}

impl Cognito {
    /// A new pool from `settings`, validated, not yet stored.
    pub(super) fn build_pool(&self, settings: PoolSettings) -> Result<UserPool> {
        let name = settings
            .name
            .ok_or_else(|| Error::invalid("PoolName is required."))?;
        validate_pool_name(&name)?;
        let password_policy = settings.password_policy.unwrap_or_default();
        validate_policy(&password_policy)?;
        let username_attributes = settings.username_attributes.unwrap_or_default();
        check_subset(
            &username_attributes,
            &["email", "phone_number"],
            "usernameAttributes",
        )?;
        let alias_attributes = settings.alias_attributes.unwrap_or_default();
        check_subset(
            &alias_attributes,
            &["email", "phone_number", "preferred_username"],
            "aliasAttributes",
        )?;
        if !username_attributes.is_empty() && !alias_attributes.is_empty() {
            return Err(Error::invalid(
                "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
            ));
        }
        let auto_verified_attributes = settings.auto_verified_attributes.unwrap_or_default();
        check_subset(
            &auto_verified_attributes,
            &["email", "phone_number"],
            "autoVerifiedAttributes",
        )?;
        let mfa_configuration = settings.mfa_configuration.unwrap_or_else(|| "OFF".into());
        if mfa_configuration != "OFF" {
            return Err(Error::UnsupportedOperation(
                "MFA is not supported yet; MfaConfiguration must be OFF.".into(),
            ));
        }
        let deletion_protection = settings
            .deletion_protection
            .unwrap_or_else(|| "INACTIVE".into());
        check_subset(
            std::slice::from_ref(&deletion_protection),
            &["ACTIVE", "INACTIVE"],
            "deletionProtection",
        )?;

        let created = now();
        let id = PoolId::generate(&self.config.region);
        let pool = UserPool {
            id: id.clone(),
            name,
            password_policy,
            username_attributes,
            alias_attributes,
            auto_verified_attributes,
            schema: normalize_schema(settings.schema.unwrap_or_default())?,
            username_case_sensitive: settings.username_case_sensitive.unwrap_or(true),
            allow_admin_create_user_only: settings.allow_admin_create_user_only.unwrap_or(false),
            mfa_configuration,
            deletion_protection,
            tags: settings.tags.unwrap_or_default(),
            created,
            modified: created,
        };
        Ok(pool)
    }

    pub async fn create_user_pool(&self, settings: PoolSettings) -> Result<UserPool> {
        let pool = self.build_pool(settings)?;
        let id = pool.id.clone();
        let keys = self.generate_pool_keys(&id).await?;
        self.store
            .insert_pool(&pool, &keys, Some(&pool_change("CreateUserPool", &pool)))
            .await?;
        tracing::info!(pool = %id, "created user pool");
        Ok(pool)
    }

    pub async fn describe_user_pool(&self, id: &PoolId) -> Result<UserPool> {
        self.pool(id).await
    }

    pub async fn list_user_pools(&self, limit: u32, token: Option<&str>) -> Result<Page<UserPool>> {
        let after = self.page_after("ListUserPools", token)?;
        let page = self.store.list_pools(limit, after.as_deref()).await?;
        Ok(self.client_page("ListUserPools", page))
    }

    /// UpdateUserPool. Like Cognito, the sign-in attributes and the schema cannot change after
    /// creation.
    pub async fn update_user_pool(&self, id: &PoolId, settings: PoolSettings) -> Result<UserPool> {
        let mut pool = self.pool(id).await?;
        if settings.username_attributes.is_some()
            || settings.alias_attributes.is_some()
            || settings.schema.is_some()
        {
            return Err(Error::invalid("UsernameAttributes, AliasAttributes and Schema cannot be changed after the user pool is created."));
        }
        if let Some(name) = settings.name {
            validate_pool_name(&name)?;
            pool.name = name;
        }
        if let Some(policy) = settings.password_policy {
            validate_policy(&policy)?;
            pool.password_policy = policy;
        }
        if let Some(auto) = settings.auto_verified_attributes {
            check_subset(&auto, &["email", "phone_number"], "autoVerifiedAttributes")?;
            pool.auto_verified_attributes = auto;
        }
        if let Some(v) = settings.allow_admin_create_user_only {
            pool.allow_admin_create_user_only = v;
        }
        if let Some(mfa) = settings.mfa_configuration {
            if mfa != "OFF" {
                return Err(Error::UnsupportedOperation(
                    "MFA is not supported yet; MfaConfiguration must be OFF.".into(),
                ));
            }
        }
        if let Some(dp) = settings.deletion_protection {
            check_subset(
                std::slice::from_ref(&dp),
                &["ACTIVE", "INACTIVE"],
                "deletionProtection",
            )?;
            pool.deletion_protection = dp;
        }
        if let Some(tags) = settings.tags {
            pool.tags = tags;
        }
        pool.modified = now();
        self.store
            .update_pool(&pool, Some(&pool_change("UpdateUserPool", &pool)))
            .await?;
        Ok(pool)
    }

    pub async fn delete_user_pool(&self, id: &PoolId) -> Result<()> {
        let pool = self.pool(id).await?;
        if pool.deletion_protection == "ACTIVE" {
            return Err(Error::invalid(
                "The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.",
            ));
        }
        if !self
            .store
            .delete_pool(id, Some(&pool_change("DeleteUserPool", &pool)))
            .await?
        {
            return Err(Error::ResourceNotFound(format!(
                "User pool {id} does not exist."
            )));
        }
        self.forget_pool_keys(id);
        tracing::info!(pool = %id, "deleted user pool");
        Ok(())
    }
}

fn validate_pool_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    if (1..=128).contains(&len) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Error::invalid("1 validation error detected: Value at 'poolName' failed to satisfy constraint: Member must have length between 1 and 128"))
    }
}

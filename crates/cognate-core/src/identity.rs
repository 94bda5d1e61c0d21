//! Identity pools' records: the pool (its providers, roles and role mappings) and the
//! identities it hands out, with the logins linked to each.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::Timestamp;

/// `region:uuid`, for identity pools and identities alike (at most 55 characters).
fn parse_region_guid(raw: &str, member: &str) -> Result<String> {
    let valid = raw.len() <= 55
        && raw.split_once(':').is_some_and(|(region, guid)| {
            !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !guid.is_empty()
                && guid.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        });
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(Error::InvalidParameter(format!(
            "1 validation error detected: Value '{raw}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
        )))
    }
}

macro_rules! region_guid_id {
    ($name:ident, $member:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate(region: &str) -> Self {
                $name(format!("{region}:{}", uuid::Uuid::new_v4()))
            }

            pub fn parse(raw: &str) -> Result<Self> {
                parse_region_guid(raw, $member).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

region_guid_id!(IdentityPoolId, "identityPoolId");
region_guid_id!(IdentityId, "identityId");

/// A user pool app client that may sign in to the identity pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CognitoProvider {
    /// As the caller wrote it: `cognito-idp.<region>.amazonaws.com/<poolId>` or the issuer
    /// without its scheme (`127.0.0.1:9230/<poolId>`).
    pub provider_name: String,
    pub client_id: String,
    pub server_side_token_check: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingType {
    Token,
    Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmbiguousRoleResolution {
    AuthenticatedRole,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchType {
    Equals,
    Contains,
    StartsWith,
    NotEqual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRule {
    pub claim: String,
    pub match_type: MatchType,
    pub value: String,
    pub role_arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    pub mapping_type: MappingType,
    pub ambiguous_role_resolution: Option<AmbiguousRoleResolution>,
    pub rules: Vec<MappingRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityPool {
    pub id: IdentityPoolId,
    pub name: String,
    pub allow_unauthenticated: bool,
    pub allow_classic_flow: bool,
    pub cognito_providers: Vec<CognitoProvider>,
    pub supported_login_providers: BTreeMap<String, String>,
    pub developer_provider_name: Option<String>,
    pub open_id_connect_provider_arns: Vec<String>,
    pub saml_provider_arns: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// `authenticated` / `unauthenticated` → role ARN.
    pub roles: BTreeMap<String, String>,
    /// Keyed as the caller wrote it: `<provider name>:<client id>`.
    pub role_mappings: BTreeMap<String, RoleMapping>,
    pub created: Timestamp,
}

/// A login linked to an identity: the provider, normalised (a user pool is always
/// `cognito-idp.<region>.amazonaws.com/<poolId>`), and the subject it names there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub provider: String,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: IdentityId,
    pub pool_id: IdentityPoolId,
    pub logins: Vec<Login>,
    pub created: Timestamp,
    pub modified: Timestamp,
}

impl Identity {
    pub fn is_authenticated(&self) -> bool {
        !self.logins.is_empty()
    }
}

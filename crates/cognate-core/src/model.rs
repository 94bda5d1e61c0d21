//! The domain records: pools, app clients, users, sessions, codes, keys and messages.
//! Configuration blobs serialise with Cognito's member names because that is their natural
//! form; the stores keep them as documents.

use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, GroupName, PoolId, Timestamp, Username};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    /// Cognito's defaults for a pool created without a policy.
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SchemaAttribute {
    pub name: String,
    #[serde(default = "default_data_type")]
    pub attribute_data_type: String,
    #[serde(default)]
    pub developer_only_attribute: bool,
    #[serde(default = "yes")]
    pub mutable: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_attribute_constraints: Option<StringConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_attribute_constraints: Option<NumberConstraints>,
}

fn default_data_type() -> String {
    "String".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NumberConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPool {
    pub id: PoolId,
    pub name: String,
    pub password_policy: PasswordPolicy,
    /// `email` and/or `phone_number`: users sign in with these instead of a username.
    pub username_attributes: Vec<String>,
    /// `email`, `phone_number`, `preferred_username`: extra sign-in names beside the username.
    pub alias_attributes: Vec<String>,
    pub auto_verified_attributes: Vec<String>,
    /// Standard attributes marked required, and every custom attribute (named `custom:x`).
    pub schema: Vec<SchemaAttribute>,
    pub username_case_sensitive: bool,
    pub allow_admin_create_user_only: bool,
    pub mfa_configuration: String,
    pub deletion_protection: String,
    pub tags: std::collections::BTreeMap<String, String>,
    pub created: Timestamp,
    pub modified: Timestamp,
}

impl UserPool {
    /// The key a username is stored and looked up under: case-folded unless the pool is
    /// case-sensitive.
    pub fn username_key(&self, username: &str) -> String {
        if self.username_case_sensitive {
            username.to_owned()
        } else {
            username.to_lowercase()
        }
    }

    pub fn signs_in_with(&self, attribute: &str) -> bool {
        self.username_attributes.iter().any(|a| a == attribute)
    }

    pub fn custom_attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        self.schema.iter().find(|a| a.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TokenValidityUnits {
    pub access_token: TimeUnit,
    pub id_token: TimeUnit,
    pub refresh_token: TimeUnit,
}

impl Default for TokenValidityUnits {
    fn default() -> Self {
        TokenValidityUnits {
            access_token: TimeUnit::Hours,
            id_token: TimeUnit::Hours,
            refresh_token: TimeUnit::Days,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub fn seconds(self, amount: i64) -> i64 {
        amount.saturating_mul(match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3600,
            TimeUnit::Days => 86_400,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppClient {
    pub pool_id: PoolId,
    pub id: ClientId,
    pub name: String,
    /// Plain only in memory; the store keeps it sealed.
    #[serde(skip)]
    pub secret: Option<String>,
    pub explicit_auth_flows: Vec<String>,
    pub access_token_validity: i64,
    pub id_token_validity: i64,
    pub refresh_token_validity: i64,
    pub token_validity_units: TokenValidityUnits,
    pub prevent_user_existence_errors: bool,
    pub enable_token_revocation: bool,
    pub read_attributes: Vec<String>,
    pub write_attributes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub supported_identity_providers: Vec<String>,
    pub auth_session_validity: i64,
    /// Clients stored before rotation existed have it off.
    #[serde(default)]
    pub refresh_token_rotation: RefreshTokenRotation,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// Cognito's `RefreshTokenRotation`: with it on, each GetTokensFromRefreshToken answers a new
/// refresh token, and the one it was called with stays valid for the grace period only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenRotation {
    pub enabled: bool,
    /// 0 to 60: how long a rotated-out refresh token is still honoured, for client retries.
    pub retry_grace_period_secs: i64,
}

impl AppClient {
    pub fn allows(&self, flow: &str) -> bool {
        self.explicit_auth_flows.iter().any(|f| f == flow)
    }

    pub fn access_token_secs(&self) -> i64 {
        self.token_validity_units
            .access_token
            .seconds(self.access_token_validity)
    }
    pub fn id_token_secs(&self) -> i64 {
        self.token_validity_units
            .id_token
            .seconds(self.id_token_validity)
    }
    pub fn refresh_token_secs(&self) -> i64 {
        self.token_validity_units
            .refresh_token
            .seconds(self.refresh_token_validity)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
    ResetRequired,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ResetRequired => "RESET_REQUIRED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            UserStatus::Unconfirmed,
            UserStatus::Confirmed,
            UserStatus::ForceChangePassword,
            UserStatus::ResetRequired,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The `sub`: a UUID that never changes.
    pub sub: String,
    pub pool_id: PoolId,
    pub username: Username,
    pub username_key: String,
    pub status: UserStatus,
    pub enabled: bool,
    /// Argon2id PHC string; none for a user who has never had a password.
    pub password_hash: Option<String>,
    /// The SRP salt and verifier of the same password, sealed under the master key (a verifier
    /// alone is a fast hash of the password).
    pub sealed_srp_verifier: Option<Vec<u8>>,
    /// Attributes other than `sub`.
    pub attributes: Vec<Attribute>,
    /// The attributes that are sign-in names (an email used as username, a verified alias):
    /// unique in the pool, which the store enforces.
    pub sign_in_names: Vec<String>,
    pub created: Timestamp,
    pub modified: Timestamp,
    /// Consecutive failed sign-ins and when the last one was; the lockout derives from these.
    pub failed_sign_ins: i64,
    pub last_failed_sign_in: Option<Timestamp>,
    pub temporary_password_expires: Option<Timestamp>,
}

impl User {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        if name == "sub" {
            return Some(&self.sub);
        }
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    pub fn set_attribute(&mut self, name: &str, value: String) {
        match self.attributes.iter_mut().find(|a| a.name == name) {
            Some(a) => a.value = value,
            None => self.attributes.push(Attribute {
                name: name.to_owned(),
                value,
            }),
        }
    }

    pub fn remove_attribute(&mut self, name: &str) {
        self.attributes.retain(|a| a.name != name);
    }

    /// Every attribute including `sub`, as Cognito lists them.
    pub fn all_attributes(&self) -> Vec<Attribute> {
        let mut all = vec![Attribute {
            name: "sub".into(),
            value: self.sub.clone(),
        }];
        all.extend(self.attributes.iter().cloned());
        all
    }

    pub fn is_verified(&self, attribute: &str) -> bool {
        self.attribute(&format!("{attribute}_verified")) == Some("true")
    }
}

/// One sign-in: the refresh token and every access token minted from it share its id
/// (`origin_jti`), so revoking the session revokes them all.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub pool_id: PoolId,
    pub client_id: ClientId,
    pub user_sub: String,
    pub refresh_token_hash: String,
    pub auth_time: Timestamp,
    pub expires: Timestamp,
    pub revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "id" => Some(TokenUse::Id),
            "access" => Some(TokenUse::Access),
            _ => None,
        }
    }
}

/// A pool's RSA signing key. The private half is sealed with the server's master key before
/// it reaches the store.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKey {
    pub kid: String,
    pub pool_id: PoolId,
    pub token_use: TokenUse,
    pub sealed_private_key: Vec<u8>,
    /// Base64url modulus and exponent, as the JWKS publishes them.
    pub n: String,
    pub e: String,
    pub created: Timestamp,
}

impl SigningKey {
    /// The key's entry in a JWKS document.
    pub fn jwk(&self) -> serde_json::Value {
        crate::tokens::rs256_jwk(&self.kid, &self.n, &self.e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodePurpose {
    SignUp,
    ForgotPassword,
    VerifyAttribute(String),
}

impl CodePurpose {
    pub fn as_key(&self) -> String {
        match self {
            CodePurpose::SignUp => "sign_up".into(),
            CodePurpose::ForgotPassword => "forgot_password".into(),
            CodePurpose::VerifyAttribute(name) => format!("verify:{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerificationCode {
    pub pool_id: PoolId,
    pub user_sub: String,
    pub purpose: CodePurpose,
    pub code_hash: String,
    pub expires: Timestamp,
    pub failed_attempts: i64,
}

/// A message the server would send a user. The outbox is the default delivery channel.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: i64,
    pub pool_id: PoolId,
    pub username: String,
    pub destination: String,
    pub subject: String,
    pub body: String,
    pub created: Timestamp,
}

/// A user pool group: a set of users with an optional precedence and IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub pool_id: PoolId,
    pub name: GroupName,
    pub description: Option<String>,
    /// Lower numbers win when a user's groups carry different roles; none ranks last.
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// The routes of the Admin Queries API. The first eleven are Amplify's; the rest go beyond
/// Amplify and each must be enabled on the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AdminRoute {
    #[serde(rename = "addUserToGroup")]
    AddUserToGroup,
    #[serde(rename = "removeUserFromGroup")]
    RemoveUserFromGroup,
    #[serde(rename = "confirmUserSignUp")]
    ConfirmUserSignUp,
    #[serde(rename = "disableUser")]
    DisableUser,
    #[serde(rename = "enableUser")]
    EnableUser,
    #[serde(rename = "signUserOut")]
    SignUserOut,
    #[serde(rename = "getUser")]
    GetUser,
    #[serde(rename = "listUsers")]
    ListUsers,
    #[serde(rename = "listGroups")]
    ListGroups,
    #[serde(rename = "listGroupsForUser")]
    ListGroupsForUser,
    #[serde(rename = "listUsersInGroup")]
    ListUsersInGroup,
    #[serde(rename = "createUser")]
    CreateUser,
    #[serde(rename = "deleteUser")]
    DeleteUser,
    #[serde(rename = "setUserPassword")]
    SetUserPassword,
    #[serde(rename = "updateUserAttributes")]
    UpdateUserAttributes,
    #[serde(rename = "createGroup")]
    CreateGroup,
    #[serde(rename = "deleteGroup")]
    DeleteGroup,
}

impl AdminRoute {
    pub const ALL: [AdminRoute; 17] = [
        AdminRoute::AddUserToGroup,
        AdminRoute::RemoveUserFromGroup,
        AdminRoute::ConfirmUserSignUp,
        AdminRoute::DisableUser,
        AdminRoute::EnableUser,
        AdminRoute::SignUserOut,
        AdminRoute::GetUser,
        AdminRoute::ListUsers,
        AdminRoute::ListGroups,
        AdminRoute::ListGroupsForUser,
        AdminRoute::ListUsersInGroup,
        AdminRoute::CreateUser,
        AdminRoute::DeleteUser,
        AdminRoute::SetUserPassword,
        AdminRoute::UpdateUserAttributes,
        AdminRoute::CreateGroup,
        AdminRoute::DeleteGroup,
    ];

    /// The path segment, e.g. `addUserToGroup`.
    pub fn name(self) -> &'static str {
        match self {
            AdminRoute::AddUserToGroup => "addUserToGroup",
            AdminRoute::RemoveUserFromGroup => "removeUserFromGroup",
            AdminRoute::ConfirmUserSignUp => "confirmUserSignUp",
            AdminRoute::DisableUser => "disableUser",
            AdminRoute::EnableUser => "enableUser",
            AdminRoute::SignUserOut => "signUserOut",
            AdminRoute::GetUser => "getUser",
            AdminRoute::ListUsers => "listUsers",
            AdminRoute::ListGroups => "listGroups",
            AdminRoute::ListGroupsForUser => "listGroupsForUser",
            AdminRoute::ListUsersInGroup => "listUsersInGroup",
            AdminRoute::CreateUser => "createUser",
            AdminRoute::DeleteUser => "deleteUser",
            AdminRoute::SetUserPassword => "setUserPassword",
            AdminRoute::UpdateUserAttributes => "updateUserAttributes",
            AdminRoute::CreateGroup => "createGroup",
            AdminRoute::DeleteGroup => "deleteGroup",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Reads are GETs with query parameters; changes are POSTs with a JSON body.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            AdminRoute::GetUser
                | AdminRoute::ListUsers
                | AdminRoute::ListGroups
                | AdminRoute::ListGroupsForUser
                | AdminRoute::ListUsersInGroup
        )
    }

    /// Routes beyond Amplify's, off unless the API enables them.
    pub fn is_extra(self) -> bool {
        matches!(
            self,
            AdminRoute::CreateUser
                | AdminRoute::DeleteUser
                | AdminRoute::SetUserPassword
                | AdminRoute::UpdateUserAttributes
                | AdminRoute::CreateGroup
                | AdminRoute::DeleteGroup
        )
    }
}

/// An Admin Queries API: user management over REST for members of some groups of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminQueriesApi {
    pub id: String,
    pub pool_id: PoolId,
    pub stage: String,
    /// Groups whose members may call the API; empty means any signed-in user of the pool.
    pub allowed_groups: Vec<GroupName>,
    /// The extra routes this API serves.
    pub extra_routes: Vec<AdminRoute>,
    pub created: Timestamp,
    pub modified: Timestamp,
}

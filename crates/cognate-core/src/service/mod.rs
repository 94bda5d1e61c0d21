//! The rules of user pools. Every adapter (Cognito JSON, Admin Queries, console, push) calls
//! these functions; a rule lives here once.

mod admin_queries;
mod auth;
mod authorize;
mod backend;
mod clients;
mod decision_cache;
mod gateway;
mod groups;
mod iam;
mod identity;
mod identity_backend;
mod keys;
mod keys_door;
mod messages;
mod pools;
mod rest_apis;
mod srp_auth;
mod storage;
mod storage_backend;
mod users;
mod verified;

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

pub use admin_queries::{AdminQueriesSettings, AdminQueryRefusal};
pub use auth::{AuthOutcome, AuthParameters, Caller, Tokens};
pub use authorize::{Explained, SourcedPolicy};
pub use backend::{AppliedBackend, AuthBackend, Change, IdentityBackend};
pub use clients::ClientSettings;
pub use decision_cache::DECISION_INPUTS_LIFETIME;
pub use gateway::{GatewayCaller, ServedApi, CALLER_TOKEN_LIFETIME};
pub use groups::{GroupSettings, MAX_GROUPS_PER_POOL, MAX_GROUPS_PER_USER};
pub use iam::{name_in_arn, NewAccessKey, NewRole, Simulated};
pub use identity::{
    user_pool_of_provider, TemporaryCredentials, COGNITO_IDENTITY, CREDENTIALS_LIFETIME_SECS,
    IDENTITY_SESSION_NAME,
};
pub use identity_backend::identity_pool_trust;
pub use keys::{KeyRotation, KEY_CACHE_LIFETIME, SUPERSEDED_KEY_LIFETIME};
pub use keys_door::Keys;
pub use messages::{CodeDelivery, MessageSender};
pub use pools::{requirable_standard_attributes, PoolSettings, PASSWORD_MIN_LENGTH_RANGE};
pub use rest_apis::{check_upstream, RestApiBackend, RestApiSettings};
pub use srp_auth::parse_timestamp as parse_srp_timestamp;
pub use storage::{
    CopySource, Integrity, ListQuery, Listing, NewObject, Storage, MAX_LIST_KEYS, ORPHAN_AGE,
};
pub use storage_backend::{AppliedStorage, RetiredPolicy, RolePolicy, StorageBackend};
pub use users::NewUser;

use crate::audit::AuditRecord;
use crate::crypto::{PasswordHasherConfig, SecretBox};
use crate::error::{Error, Result};
use crate::ids::{ClientId, PoolId, Timestamp};
use crate::model::{AppClient, User, UserPool};
use crate::store::{Page, Store};

/// Settings the services need from the server's configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Where clients reach this server, without a trailing slash; the token issuer is
    /// `{public_url}/{pool_id}`.
    pub public_url: String,
    pub region: String,
    pub account_id: String,
    /// Storage's HTTPS `host:port` for aws-amplify's `customEndpoint`; none without HTTPS.
    pub storage_endpoint: Option<String>,
}

/// The user-pool services. Cheap to clone.
#[derive(Clone)]
pub struct Cognito {
    store: Arc<dyn Store>,
    secrets: SecretBox,
    hasher: PasswordHasherConfig,
    config: Arc<ServiceConfig>,
    keys: keys::KeyCache,
    verified: verified::VerifiedTokens,
    policies: authorize::PolicyCache,
    decisions: decision_cache::DecisionCache,
    gateway: gateway::GatewayCache,
    sender: Option<Arc<dyn MessageSender>>,
    cpu: crate::cpu::CpuPool,
}

impl Cognito {
    pub fn new(store: Arc<dyn Store>, secrets: SecretBox, config: ServiceConfig) -> Self {
        Cognito {
            store,
            secrets,
            hasher: PasswordHasherConfig::default(),
            config: Arc::new(config),
            keys: keys::KeyCache::default(),
            verified: verified::VerifiedTokens::default(),
            policies: authorize::PolicyCache::default(),
            decisions: decision_cache::DecisionCache::default(),
            gateway: gateway::GatewayCache::default(),
            sender: None,
            cpu: crate::cpu::CpuPool::new(
                std::thread::available_parallelism()
                    .map(usize::from)
                    .unwrap_or(2),
            ),
        }
    }

    /// Runs CPU-heavy work (password hashing, SRP, key generation) on the CPU pool.
    pub(crate) async fn cpu_bound<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.cpu.run(work).await
    }

    /// Names storage's HTTPS endpoint in the configuration the services hand out.
    pub fn with_storage_endpoint(mut self, endpoint: String) -> Self {
        let mut config = (*self.config).clone();
        config.storage_endpoint = Some(endpoint);
        self.config = Arc::new(config);
        self
    }

    /// Also sends messages through `sender` (they always go to the outbox).
    pub fn with_sender(mut self, sender: Arc<dyn MessageSender>) -> Self {
        self.sender = Some(sender);
        self
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    pub fn issuer(&self, pool: &PoolId) -> String {
        format!("{}/{}", self.config.public_url, pool)
    }

    pub fn pool_arn(&self, pool: &PoolId) -> String {
        format!(
            "arn:aws:cognito-idp:{}:{}:userpool/{}",
            self.config.region, self.config.account_id, pool
        )
    }

    /// The audit log, newest first: everything, or one pool's, before record `before`.
    pub async fn audit_log(
        &self,
        pool: Option<&PoolId>,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditRecord>> {
        self.store.list_audit(pool, limit, before).await
    }

    async fn pool(&self, id: &PoolId) -> Result<UserPool> {
        self.store
            .get_pool(id)
            .await?
            .ok_or_else(|| Error::ResourceNotFound(format!("User pool {id} does not exist.")))
    }

    /// The client and its plain secret.
    async fn client(&self, id: &ClientId) -> Result<AppClient> {
        let (mut client, sealed) = self.store.get_client(id).await?.ok_or_else(|| {
            Error::ResourceNotFound(format!("User pool client {id} does not exist."))
        })?;
        if let Some(sealed) = sealed {
            client.secret = Some(self.secrets.open_string(&sealed)?);
        }
        Ok(client)
    }

    async fn client_in_pool(&self, pool: &PoolId, id: &ClientId) -> Result<AppClient> {
        let client = self.client(id).await?;
        if &client.pool_id != pool {
            return Err(Error::ResourceNotFound(format!(
                "User pool client {id} does not exist."
            )));
        }
        Ok(client)
    }

    /// Finds a user by whatever they sign in with: the username, or an email / phone number
    /// when the pool uses those as usernames or (verified) aliases.
    async fn find_user(&self, pool: &UserPool, login: &str) -> Result<Option<User>> {
        if let Some(user) = self
            .store
            .get_user(&pool.id, &pool.username_key(login))
            .await?
        {
            return Ok(Some(user));
        }
        for attribute in pool
            .username_attributes
            .iter()
            .chain(&pool.alias_attributes)
        {
            let alias_only = !pool.signs_in_with(attribute);
            let found = self
                .store
                .find_users_by_attribute(&pool.id, attribute, login)
                .await?;
            if let Some(user) = found.into_iter().find(|u| {
                !alias_only || attribute == "preferred_username" || u.is_verified(attribute)
            }) {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }

    async fn user(&self, pool: &UserPool, login: &str) -> Result<User> {
        self.find_user(pool, login)
            .await?
            .ok_or_else(|| Error::UserNotFound("User does not exist.".into()))
    }
}

impl Cognito {
    /// Whether the store's secrets were sealed with this server's master key. The first server
    /// to open a database records the key's check value (a MAC of a fixed text, which tells
    /// nothing of the key); every later one must match it, or it could open none of the
    /// secrets and would fail every token and every SRP sign-in of the others.
    pub async fn master_key_matches(&self) -> Result<bool> {
        let check = hex::encode(self.secrets.mac(b"cognate master key check"));
        let recorded = self.store.master_key_check(&check).await?;
        Ok(crate::crypto::constant_time_eq(
            recorded.as_bytes(),
            check.as_bytes(),
        ))
    }

    /// A MAC under the server's key of a name typed at `pool`, as the pool compares names (so
    /// the case typed changes nothing where the pool ignores case), for `purpose`. What the
    /// server answers for a name that is no user is derived from it: stable per name, and
    /// nothing anyone without the key can predict.
    fn name_mac(&self, pool: &UserPool, purpose: &str, login: &str) -> [u8; 32] {
        let input = format!("{purpose}\0{}\0{}", pool.id, pool.username_key(login));
        self.secrets.mac(input.as_bytes())
    }

    /// A pagination token: the key to continue after, sealed with the list it belongs to
    /// (`scope`: the operation, the pool, the filter), so that a client can neither read it
    /// nor use it on another list.
    fn page_token(&self, scope: &str, key: &str) -> String {
        let plain = serde_json::json!([scope, key]).to_string();
        URL_SAFE_NO_PAD.encode(self.secrets.seal(plain.as_bytes()))
    }

    /// The store's page as a client sees it: the resume key becomes a sealed token.
    fn client_page<T>(&self, scope: &str, page: Page<T>) -> Page<T> {
        Page {
            items: page.items,
            next: page.next.as_deref().map(|key| self.page_token(scope, key)),
        }
    }

    /// The key a pagination token of list `scope` continues after.
    fn page_after(&self, scope: &str, token: Option<&str>) -> Result<Option<String>> {
        let raw = match token {
            None | Some("") => return Ok(None),
            Some(raw) => raw,
        };
        let invalid = || Error::invalid("Invalid pagination token.");
        let sealed = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let plain = self.secrets.open(&sealed).map_err(|_| invalid())?;
        let (sealed_scope, key): (String, String) =
            serde_json::from_slice(&plain).map_err(|_| invalid())?;
        if sealed_scope != scope {
            return Err(invalid());
        }
        Ok(Some(key))
    }
}

/// `Limit`-style parameters: absent means `max`; above `max` is Cognito's validation error.
pub fn page_limit(requested: Option<i32>, max: u32, member: &str) -> Result<u32> {
    match requested {
        None => Ok(max),
        Some(n) if n < 0 => Err(Error::invalid(format!(
            "1 validation error detected: Value '{n}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to 0"
        ))),
        Some(n) if n as u32 > max => Err(Error::invalid(format!(
            "1 validation error detected: Value '{n}' at '{member}' failed to satisfy constraint: Member must have value less than or equal to {max}"
        ))),
        Some(0) => Ok(max),
        Some(n) => Ok(n as u32),
    }
}

/// `SECRET_HASH = base64(HMAC-SHA256(client_secret, username ‖ client_id))`.
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(client_secret.as_bytes()).expect("any key length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks SECRET_HASH for clients that have a secret. `usernames` are the names the hash may
/// have been computed over (what the user typed, and the canonical username).
fn check_secret_hash(client: &AppClient, provided: Option<&str>, usernames: &[&str]) -> Result<()> {
    let Some(secret) = &client.secret else {
        return Ok(());
    };
    let provided = provided.ok_or_else(|| {
        Error::NotAuthorized(format!(
            "Client {} is configured with secret but SECRET_HASH was not received",
            client.id
        ))
    })?;
    let ok = usernames.iter().any(|u| {
        crate::crypto::constant_time_eq(
            secret_hash(secret, u, client.id.as_str()).as_bytes(),
            provided.as_bytes(),
        )
    });
    if ok {
        Ok(())
    } else {
        Err(Error::NotAuthorized(format!(
            "Unable to verify secret hash for client {}",
            client.id
        )))
    }
}

/// The audit record of an administrative change to `user`.
fn user_change(action: &str, user: &User, details: serde_json::Value) -> AuditRecord {
    AuditRecord::new(
        action,
        Some(&user.pool_id),
        format!("user:{}", user.username),
        details,
    )
}

/// Names only: attribute values stay out of the audit log.
fn attribute_names(attributes: &[crate::model::Attribute]) -> Vec<&str> {
    attributes.iter().map(|a| a.name.as_str()).collect()
}

fn now() -> Timestamp {
    Timestamp::now()
}

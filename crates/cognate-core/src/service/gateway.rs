//! What the REST gateway needs from the services besides the evaluator: the API as served
//! (its record and its opened caller key, kept for the decision cache's lifetime like a
//! bucket), the user of a user-pool route's ID token, and the identity token it hands the
//! upstream: who is calling, signed with the API's key so the upstream can trust it.
//!
//! Signing is RS256, a millisecond of CPU: a caller's token is signed once and handed out
//! again for [`CALLER_TOKEN_REUSE`] of its [`CALLER_TOKEN_LIFETIME`]; who an identity-pool
//! session is (its user and groups, two store reads) is kept as long. A change of the caller's
//! groups reaches the upstream within that minute; the gateway's own decision does not wait.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::decision_cache::Recent;
use super::identity::user_pool_of_provider;
use super::Cognito;
use crate::credentials::Principal;
use crate::error::{Error, Result};
use crate::ids::{PoolId, Timestamp};
use crate::model::{TokenUse, User};
use crate::rest_api::{CallerKey, RestApi};
use crate::tokens::{self, generate_rsa_key, ActiveKey};

/// How long a caller token is valid.
pub const CALLER_TOKEN_LIFETIME: i64 = 300;
/// How long one signed token is handed out again to the same caller.
pub const CALLER_TOKEN_REUSE: Duration = Duration::from_secs(60);

/// An API ready to serve: its record and the key its caller tokens are signed with.
pub struct ServedApi {
    pub api: RestApi,
    key: ActiveKey,
}

/// Who is calling through the gateway, as the upstream is told. Field names are API Gateway's
/// `requestContext.identity` where it has one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct GatewayCaller {
    /// The caller's stable id: the identity id, the user pool user's `sub`, or the IAM ARN.
    pub subject: String,
    /// `authenticated` or `unauthenticated` (identity pools), `user_pool`, `iam`.
    pub authentication_type: String,
    pub identity_id: Option<String>,
    pub identity_pool_id: Option<String>,
    /// API Gateway's `cognitoAuthenticationProvider`: the user pool provider and the
    /// `…:CognitoSignIn:<sub>` login, comma-separated.
    pub authentication_provider: Option<String>,
    /// The signing principal's ARN (an assumed-role ARN for temporary credentials).
    pub user_arn: Option<String>,
    pub role_arn: Option<String>,
    pub user_pool_id: Option<String>,
    pub user_pool_sub: Option<String>,
    pub username: Option<String>,
    pub groups: Vec<String>,
}

impl GatewayCaller {
    fn claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(self.subject));
        claims.insert(
            "cognitoAuthenticationType".into(),
            json!(self.authentication_type),
        );
        for (name, value) in [
            ("cognitoIdentityId", &self.identity_id),
            ("cognitoIdentityPoolId", &self.identity_pool_id),
            (
                "cognitoAuthenticationProvider",
                &self.authentication_provider,
            ),
            ("userArn", &self.user_arn),
            ("roleArn", &self.role_arn),
            ("userPoolId", &self.user_pool_id),
            ("userPoolSub", &self.user_pool_sub),
            ("username", &self.username),
        ] {
            if let Some(value) = value {
                claims.insert(name.into(), json!(value));
            }
        }
        if self.user_pool_id.is_some() {
            claims.insert("groups".into(), json!(self.groups));
        }
        claims
    }

    fn with_user(mut self, user: &User, groups: Vec<String>) -> Self {
        self.user_pool_id = Some(user.pool_id.to_string());
        self.user_pool_sub = Some(user.sub.clone());
        self.username = Some(user.username.to_string());
        self.groups = groups;
        self
    }
}

#[derive(Clone)]
pub(super) struct GatewayCache {
    apis: Arc<Recent<String, Arc<ServedApi>>>,
    /// A caller's signed token, by API and caller (whose fields are the token's claims).
    tokens: Arc<Recent<(String, GatewayCaller), Arc<str>>>,
    /// Who an identity-pool session is (its user and groups looked up), by role and identity.
    callers: Arc<Recent<String, GatewayCaller>>,
}

impl Default for GatewayCache {
    fn default() -> Self {
        GatewayCache {
            apis: Arc::default(),
            tokens: Arc::new(Recent::kept_for(CALLER_TOKEN_REUSE)),
            callers: Arc::new(Recent::kept_for(CALLER_TOKEN_REUSE)),
        }
    }
}

impl GatewayCache {
    pub fn forget_api(&self, id: &str) {
        self.apis.forget(id);
    }
}

impl Cognito {
    /// A new caller key, its private half sealed.
    pub(super) async fn generate_caller_key(&self) -> Result<CallerKey> {
        let key = self.cpu_bound(generate_rsa_key).await??;
        Ok(CallerKey {
            kid: uuid::Uuid::new_v4().to_string(),
            sealed_private_key: STANDARD.encode(self.secrets.seal(&key.private_der)),
            n: key.n,
            e: key.e,
        })
    }

    /// The API as the gateway serves it; read from the store at most every
    /// [`DECISION_INPUTS_LIFETIME`].
    pub async fn served_rest_api(&self, id: &str) -> Result<Arc<ServedApi>> {
        if let Some(served) = self.gateway.apis.get(id) {
            return Ok(served);
        }
        let mut api = self.rest_api(id).await?;
        // A record from before caller keys gets one, kept from then on.
        let caller_key = match api.caller_key.clone() {
            Some(key) => key,
            None => {
                let key = self.generate_caller_key().await?;
                api.caller_key = Some(key.clone());
                self.store.put_rest_api(&api).await?;
                key
            }
        };
        let sealed = STANDARD
            .decode(&caller_key.sealed_private_key)
            .map_err(Error::caused_by("reading a caller key"))?;
        let der = self.secrets.open(&sealed)?;
        let key = ActiveKey::new(
            caller_key.kid.clone(),
            TokenUse::Id,
            &der,
            &caller_key.n,
            &caller_key.e,
        )?;
        let served = Arc::new(ServedApi { api, key });
        self.gateway.apis.saw(id.to_owned(), served.clone());
        Ok(served)
    }

    /// The issuer of an API's caller tokens.
    pub fn caller_token_issuer(&self, api: &str) -> String {
        format!("{}/restapis/{api}", self.config.public_url)
    }

    /// The JWKS with the API's caller key, at `{issuer}/.well-known/jwks.json`.
    pub async fn rest_api_jwks(&self, id: &str) -> Result<Value> {
        let served = self.served_rest_api(id).await?;
        let key = served
            .api
            .caller_key
            .as_ref()
            .ok_or_else(|| Error::internal("a served API has a caller key"))?;
        Ok(json!({"keys": [tokens::rs256_jwk(&key.kid, &key.n, &key.e)]}))
    }

    /// The identity token for the upstream: `iss` the API's issuer, `aud` the API id, valid for
    /// [`CALLER_TOKEN_LIFETIME`].
    pub async fn caller_token(
        &self,
        served: &ServedApi,
        caller: GatewayCaller,
    ) -> Result<Arc<str>> {
        let key = (served.api.id.clone(), caller);
        if let Some(token) = self.gateway.tokens.get(&key) {
            return Ok(token);
        }
        let mut claims = key.1.claims();
        let now = Timestamp::now().epoch_secs();
        claims.insert(
            "iss".into(),
            json!(self.caller_token_issuer(&served.api.id)),
        );
        claims.insert("aud".into(), json!(served.api.id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + CALLER_TOKEN_LIFETIME));
        let signer = served.key.clone();
        let token: Arc<str> = self.cpu_bound(move || signer.sign(&claims)).await??.into();
        self.gateway.tokens.saw(key, token.clone());
        Ok(token)
    }

    /// Who a SigV4 caller is: the principal, and for identity-pool credentials the identity
    /// and the user pool user behind it (with the groups it is in now).
    pub async fn gateway_caller(&self, principal: &Principal) -> Result<GatewayCaller> {
        let user_arn = principal.arn(&self.config.account_id);
        let mut caller = GatewayCaller {
            subject: user_arn.clone(),
            authentication_type: "iam".into(),
            user_arn: Some(user_arn),
            ..GatewayCaller::default()
        };
        let Principal::Role(session) = principal else {
            return Ok(caller);
        };
        caller.role_arn = Some(session.role_arn.clone());
        let Some(identity) = &session.identity else {
            return Ok(caller);
        };
        let key = format!("{}\n{}", session.role_arn, identity.identity_id);
        if let Some(known) = self.gateway.callers.get(&key) {
            return Ok(known);
        }
        caller.subject = identity.identity_id.to_string();
        caller.identity_id = Some(identity.identity_id.to_string());
        caller.identity_pool_id = Some(identity.identity_pool_id.to_string());
        caller.authentication_type = identity
            .amr
            .first()
            .cloned()
            .unwrap_or_else(|| "unauthenticated".into());
        if identity.amr.len() > 1 {
            caller.authentication_provider = Some(identity.amr[1..].join(","));
        }
        let login = identity
            .amr
            .iter()
            .find_map(|entry| entry.rsplit_once(":CognitoSignIn:"));
        let user =
            match login.and_then(|(provider, sub)| Some((user_pool_of_provider(provider)?, sub))) {
                Some((pool, sub)) => self.store.get_user_by_sub(&pool, sub).await?,
                None => None,
            };
        if let Some(user) = user {
            let groups = self.group_names_of(&user).await?;
            caller = caller.with_user(&user, groups);
        }
        self.gateway.callers.saw(key, caller.clone());
        Ok(caller)
    }

    /// The user a user-pool route's ID token belongs to: a token of `pool` verified in full
    /// (signature, `alg`, `kid`, `iss`, `exp`, `token_use` id), from a live session, of an
    /// enabled user. Every refusal is NotAuthorized, API Gateway's 401.
    pub async fn gateway_user(&self, pool: &PoolId, id_token: &str) -> Result<GatewayCaller> {
        let unauthorized = || Error::NotAuthorized("Unauthorized".into());
        let kid = jsonwebtoken::decode_header(id_token)
            .ok()
            .and_then(|h| h.kid)
            .ok_or_else(unauthorized)?;
        let keys = match self.pool_keys(pool, Some(&kid)).await {
            Ok(keys) => keys,
            Err(Error::ResourceNotFound(_)) => return Err(unauthorized()),
            Err(e) => return Err(e),
        };
        let claims = tokens::verify(id_token, TokenUse::Id, &self.issuer(pool), &keys)
            .map_err(|_| unauthorized())?;
        let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
        let found = self
            .store
            .get_session_user(pool, claim("origin_jti"), claim("sub"))
            .await?;
        let user = match found.user {
            Some(user) if found.session_live && user.enabled => user,
            _ => return Err(unauthorized()),
        };
        let groups = self.group_names_of(&user).await?;
        let caller = GatewayCaller {
            subject: user.sub.clone(),
            authentication_type: "user_pool".into(),
            ..GatewayCaller::default()
        };
        Ok(caller.with_user(&user, groups))
    }

    async fn group_names_of(&self, user: &User) -> Result<Vec<String>> {
        Ok(self
            .all_groups_of(user)
            .await?
            .into_iter()
            .map(|g| g.name.to_string())
            .collect())
    }
}

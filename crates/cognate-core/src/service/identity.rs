//! Identity pools: who may have an identity, which role an identity's credentials carry, and
//! the temporary credentials themselves. Role resolution follows Cognito's documented order:
//! the provider's role mapping (Token: CustomRoleArn among `cognito:roles`, then
//! `cognito:preferred_role`; Rules: the first matching rule), its AmbiguousRoleResolution, then
//! the pool's default roles; the chosen role's trust policy is evaluated before anything is
//! issued.
//!
//! Temporary credentials are stateless: the session token is the session (role, identity,
//! expiry, secret) sealed with the master key, so every server that shares the database (and
//! so the key) verifies them without a write, and none can be altered.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use cognate_iam::{evaluate, Context, Decision, PolicyKind, Request, RequestPrincipal};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::iam::{iam_id, name_in_arn};
use super::{now, Cognito};
use crate::audit::AuditRecord;
use crate::credentials::{Credential, Principal, RoleSession, WebIdentity};
use crate::crypto::constant_time_eq;
use crate::error::{Error, Result};
use crate::iam::IamName;
use crate::identity::{
    AmbiguousRoleResolution, Identity, IdentityId, IdentityPool, IdentityPoolId, Login,
    MappingRule, MappingType, MatchType,
};
use crate::ids::{PoolId, Timestamp};
use crate::model::TokenUse;
use crate::store::{Claim, Page};
use crate::tokens;

/// Credentials from identity pools live one hour, as AWS's (aws-amplify keeps them 50 minutes).
pub const CREDENTIALS_LIFETIME_SECS: i64 = 3600;
/// GetOpenIdToken's tokens live ten minutes, as AWS's.
const OPEN_ID_TOKEN_LIFETIME_SECS: i64 = 600;
/// The session name Cognito gives the credentials it issues.
pub const IDENTITY_SESSION_NAME: &str = "CognitoIdentityCredentials";
const MAX_LOGINS: usize = 10;
/// Who Cognito's identity service is, in trust policies and OpenID tokens.
pub const COGNITO_IDENTITY: &str = "cognito-identity.amazonaws.com";

/// Issued temporary credentials.
#[derive(Debug, Clone)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    pub session_token: String,
    pub expiration: Timestamp,
    pub session: RoleSession,
}

/// What a session token seals.
#[derive(Serialize, Deserialize)]
struct SealedSession {
    key: String,
    role: String,
    role_arn: String,
    role_id: String,
    session: String,
    expires: i64,
    identity: Option<(String, String, Vec<String>)>,
}

/// An opened session token, as the decision cache keeps it: opening one (base64, AES-GCM, JSON
/// and the secret's derivation) is most of the cost of checking a call's temporary credentials.
pub(super) struct OpenedSession {
    /// The access key id the token was issued with.
    key: String,
    session: RoleSession,
    secret: Zeroizing<String>,
}

/// A verified login: the normalised login, the provider as the caller named it, and the ID
/// token's claims.
struct VerifiedLogin {
    login: Login,
    pool: PoolId,
    client_id: String,
    claims: Map<String, Value>,
}

/// The user pool a provider name names: `cognito-idp.<region>.amazonaws.com/<poolId>` or an
/// issuer without its scheme (`127.0.0.1:9230/<poolId>`), both end with the pool id.
pub fn user_pool_of_provider(provider: &str) -> Option<PoolId> {
    let without_scheme = provider
        .split_once("://")
        .map_or(provider, |(_, rest)| rest);
    let (_, pool) = without_scheme.trim_end_matches('/').rsplit_once('/')?;
    PoolId::parse(pool).ok()
}

/// A user pool provider's name in AWS's form, the one logins are stored under.
fn provider_key(pool: &PoolId) -> String {
    format!("cognito-idp.{}.amazonaws.com/{pool}", pool.region())
}

fn not_found(id: &IdentityPoolId) -> Error {
    Error::ResourceNotFound(format!("IdentityPool '{id}' not found."))
}

fn bad_configuration() -> Error {
    Error::InvalidIdentityPoolConfiguration(
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.".into(),
    )
}

/// Cognito's answer when the logins given do not reach the identity named.
fn logins_mismatch() -> Error {
    Error::NotAuthorized(
        "Logins don't match. Please include at least one valid login for this identity or identity pool."
            .into(),
    )
}

fn unsupported_provider() -> Error {
    Error::NotAuthorized("Token is not from a supported provider of this identity pool.".into())
}

impl Cognito {
    pub async fn create_identity_pool(&self, mut pool: IdentityPool) -> Result<IdentityPool> {
        validate_pool(&pool)?;
        pool.id = IdentityPoolId::generate(&self.config.region);
        pool.created = now();
        let record = AuditRecord::new(
            "CreateIdentityPool",
            None,
            format!("identity-pool:{}", pool.id),
            json!({"name": pool.name}),
        );
        self.store
            .insert_identity_pool(&pool, Some(&record))
            .await?;
        tracing::info!(identity_pool = %pool.id, "created identity pool");
        Ok(pool)
    }

    pub async fn identity_pool(&self, id: &IdentityPoolId) -> Result<IdentityPool> {
        self.store
            .get_identity_pool(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    pub async fn list_identity_pools(
        &self,
        limit: u32,
        token: Option<&str>,
    ) -> Result<Page<IdentityPool>> {
        let after = self.page_after("identity-pools", token)?;
        let page = self
            .store
            .list_identity_pools(limit, after.as_deref())
            .await?;
        Ok(self.client_page("identity-pools", page))
    }

    /// Replaces the pool's settings; its roles and role mappings stay unless `pool` sets them.
    pub async fn update_identity_pool(&self, pool: IdentityPool) -> Result<IdentityPool> {
        validate_pool(&pool)?;
        let current = self.identity_pool(&pool.id).await?;
        let updated = IdentityPool {
            created: current.created,
            roles: current.roles,
            role_mappings: current.role_mappings,
            ..pool
        };
        self.save_identity_pool(&updated, "UpdateIdentityPool")
            .await?;
        Ok(updated)
    }

    async fn save_identity_pool(&self, pool: &IdentityPool, action: &str) -> Result<()> {
        let record = AuditRecord::new(
            action,
            None,
            format!("identity-pool:{}", pool.id),
            json!({"roles": pool.roles}),
        );
        if self.store.update_identity_pool(pool, Some(&record)).await? {
            Ok(())
        } else {
            Err(not_found(&pool.id))
        }
    }

    pub async fn delete_identity_pool(&self, id: &IdentityPoolId) -> Result<()> {
        let record = AuditRecord::new(
            "DeleteIdentityPool",
            None,
            format!("identity-pool:{id}"),
            json!({}),
        );
        let deleted = self.store.delete_identity_pool(id, Some(&record)).await?;
        self.decisions.forget_identities();
        if deleted {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    pub async fn set_identity_pool_roles(
        &self,
        id: &IdentityPoolId,
        roles: BTreeMap<String, String>,
        role_mappings: BTreeMap<String, crate::identity::RoleMapping>,
    ) -> Result<()> {
        for kind in roles.keys() {
            if kind != "authenticated" && kind != "unauthenticated" {
                return Err(Error::invalid(format!(
                    "Roles keys must be authenticated or unauthenticated, not {kind}."
                )));
            }
        }
        for arn in roles.values() {
            if name_in_arn(arn, "role").is_none() {
                return Err(Error::invalid(format!("{arn} is not an IAM role ARN.")));
            }
        }
        for (key, mapping) in &role_mappings {
            let provider = key.rsplit_once(':').map_or(key.as_str(), |(p, _)| p);
            if user_pool_of_provider(provider).is_none() {
                return Err(Error::invalid(format!(
                    "Role mapping key {key} must be <user pool provider name>:<app client id>."
                )));
            }
            if mapping.ambiguous_role_resolution.is_none() {
                return Err(Error::invalid(
                    "AmbiguousRoleResolution must be specified for Token or Rules type mappings."
                        .to_owned(),
                ));
            }
            if mapping.mapping_type == MappingType::Rules
                && !(1..=25).contains(&mapping.rules.len())
            {
                return Err(Error::invalid("Rules must hold 1 to 25 rules.".to_owned()));
            }
        }
        let mut pool = self.identity_pool(id).await?;
        pool.roles = roles;
        pool.role_mappings = role_mappings;
        self.save_identity_pool(&pool, "SetIdentityPoolRoles").await
    }

    /// GetId: the identity of the given logins (one per user per pool), or a new guest.
    pub async fn get_id(
        &self,
        pool_id: &IdentityPoolId,
        logins: &BTreeMap<String, String>,
    ) -> Result<IdentityId> {
        let pool = self.identity_pool(pool_id).await?;
        let new = Identity {
            id: IdentityId::generate(&self.config.region),
            pool_id: pool.id.clone(),
            logins: Vec::new(),
            created: now(),
            modified: now(),
        };
        if logins.is_empty() {
            guests_allowed(&pool)?;
            self.store.insert_identity(&new).await?;
            return Ok(new.id);
        }
        let verified = self.verify_logins(&pool, logins).await?;
        let mut identity = new;
        for login in &verified {
            if let Claim::Already(owner) = self.store.claim_login(&identity, &login.login).await? {
                identity.id = owner;
            }
        }
        Ok(identity.id)
    }

    /// GetCredentialsForIdentity: credentials for the identity's role. With logins, a guest
    /// identity is upgraded (its login linked) or, when the login already has an identity,
    /// that identity answers instead, as Cognito does and aws-amplify expects.
    pub async fn get_credentials_for_identity(
        &self,
        identity_id: &IdentityId,
        logins: &BTreeMap<String, String>,
        custom_role_arn: Option<&str>,
    ) -> Result<TemporaryCredentials> {
        let identity = self.store.get_identity(identity_id).await?.ok_or_else(|| {
            Error::ResourceNotFound(format!("Identity '{identity_id}' not found."))
        })?;
        let pool = self.identity_pool(&identity.pool_id).await?;
        if logins.is_empty() {
            if identity.is_authenticated() {
                return Err(Error::NotAuthorized(format!(
                    "Access to Identity '{identity_id}' is forbidden."
                )));
            }
            guests_allowed(&pool)?;
            let role = pool
                .roles
                .get("unauthenticated")
                .ok_or_else(bad_configuration)?;
            return self
                .issue_for_identity(&pool, &identity.id, role, vec!["unauthenticated".into()])
                .await;
        }
        let verified = self.verify_logins(&pool, logins).await?;
        let owner = self.owner_of_logins(&identity, &verified).await?;
        let first = &verified[0];
        let role = resolve_role(&pool, first, custom_role_arn)?;
        let provider = first.login.provider.clone();
        let amr = vec![
            "authenticated".to_owned(),
            provider.clone(),
            format!("{provider}:CognitoSignIn:{}", first.login.subject),
        ];
        self.issue_for_identity(&pool, &owner, &role, amr).await
    }

    /// The identity the logins authenticate: `identity` itself (linking new logins to it), or
    /// the identity that already owns them when `identity` is a guest.
    async fn owner_of_logins(
        &self,
        identity: &Identity,
        verified: &[VerifiedLogin],
    ) -> Result<IdentityId> {
        // An identity with logins is only reached through one of them.
        if identity.is_authenticated()
            && !verified.iter().any(|v| identity.logins.contains(&v.login))
        {
            return Err(logins_mismatch());
        }
        let mut owner = identity.id.clone();
        for login in verified {
            let target = Identity {
                id: owner.clone(),
                ..identity.clone()
            };
            match self.store.claim_login(&target, &login.login).await? {
                Claim::Linked => {}
                Claim::Already(existing) if existing == owner => {}
                Claim::Already(existing)
                    if !identity.is_authenticated() && owner == identity.id =>
                {
                    // The guest's user already has an identity: it answers, the guest goes.
                    self.store
                        .delete_identities(std::slice::from_ref(&identity.id))
                        .await?;
                    self.decisions.forget_identities();
                    owner = existing;
                }
                Claim::Already(_) => return Err(logins_mismatch()),
            }
        }
        Ok(owner)
    }

    async fn issue_for_identity(
        &self,
        pool: &IdentityPool,
        identity: &IdentityId,
        role_arn: &str,
        amr: Vec<String>,
    ) -> Result<TemporaryCredentials> {
        let web = WebIdentity {
            identity_id: identity.clone(),
            identity_pool_id: pool.id.clone(),
            amr,
        };
        let role = self
            .trusted_role(role_arn, &web)
            .await?
            .ok_or_else(bad_configuration)?;
        self.issue(
            role,
            IDENTITY_SESSION_NAME,
            CREDENTIALS_LIFETIME_SECS,
            Some(web),
        )
    }

    /// The role named by `role_arn` if its trust policy lets Cognito's identity service assume
    /// it for this identity (`sts:AssumeRoleWithWebIdentity` with `aud`, `sub`, `amr`).
    async fn trusted_role(
        &self,
        role_arn: &str,
        web: &WebIdentity,
    ) -> Result<Option<crate::iam::Role>> {
        let Some(name) = name_in_arn(role_arn, "role") else {
            return Ok(None);
        };
        let Some(role) = self.store.get_role(&IamName::role(name)?).await? else {
            return Ok(None);
        };
        if role.arn != role_arn {
            return Ok(None);
        }
        let trust = self.policies.parse(&role.trust_policy, PolicyKind::Trust)?;
        let mut context = Context::new();
        web.add_keys(&mut context);
        let principal = RequestPrincipal {
            kind: "Federated".into(),
            ids: vec![COGNITO_IDENTITY.into()],
            account: None,
        };
        let decision = evaluate(
            &[&trust],
            &Request {
                action: "sts:AssumeRoleWithWebIdentity",
                resource: &role.arn,
                principal: Some(&principal),
                context: &context,
            },
        )
        .decision;
        Ok((decision == Decision::Allow).then_some(role))
    }

    /// New temporary credentials for a session of `role`.
    fn issue(
        &self,
        role: crate::iam::Role,
        session_name: &str,
        lifetime_secs: i64,
        identity: Option<WebIdentity>,
    ) -> Result<TemporaryCredentials> {
        let access_key_id = iam_id(super::keys_door::TEMPORARY_KEY_PREFIX)[..20].to_owned();
        let secret = self.temporary_secret(&access_key_id);
        let expiration = now().plus_secs(lifetime_secs);
        let session = RoleSession {
            role: role.name.clone(),
            role_arn: role.arn.clone(),
            role_id: role.id.clone(),
            session_name: session_name.to_owned(),
            account: self.config.account_id.clone(),
            expires: expiration,
            identity,
        };
        let sealed = SealedSession {
            key: access_key_id.clone(),
            role: role.name.to_string(),
            role_arn: role.arn,
            role_id: role.id,
            session: session_name.to_owned(),
            expires: expiration.0,
            identity: session.identity.as_ref().map(|w| {
                (
                    w.identity_id.to_string(),
                    w.identity_pool_id.to_string(),
                    w.amr.clone(),
                )
            }),
        };
        let plain = Zeroizing::new(
            serde_json::to_vec(&sealed).map_err(Error::caused_by("sealing a session"))?,
        );
        Ok(TemporaryCredentials {
            access_key_id,
            secret_access_key: secret,
            session_token: URL_SAFE_NO_PAD.encode(self.secrets.seal(&plain)),
            expiration,
            session,
        })
    }

    /// The secret of temporary credentials: derived from their access key id under the master
    /// key, so that a verifier that sees only the key id (S3's signature check runs before
    /// the session token is read) finds it without a lookup, on every server.
    pub fn temporary_secret(&self, access_key_id: &str) -> Zeroizing<String> {
        let mut input = b"cognate temporary credential secret\0".to_vec();
        input.extend_from_slice(access_key_id.as_bytes());
        let mac = self.secrets.mac(&input);
        Zeroizing::new(STANDARD.encode(&mac[..30]))
    }

    /// The credential of temporary credentials, if `session_token` is one this deployment
    /// issued for `access_key_id`. Expired ones fail with ExpiredToken; those of a deleted
    /// identity are not known.
    pub async fn temporary_credential(
        &self,
        access_key_id: &str,
        session_token: &str,
    ) -> Result<Option<Credential>> {
        let opened = match self.decisions.session(session_token) {
            Some(opened) => opened,
            None => match self.open_session(session_token)? {
                Some(opened) => {
                    let opened = Arc::new(opened);
                    self.decisions
                        .saw_session(session_token.to_owned(), opened.clone());
                    opened
                }
                None => return Ok(None),
            },
        };
        if !constant_time_eq(opened.key.as_bytes(), access_key_id.as_bytes()) {
            return Ok(None);
        }
        if opened.session.expires <= now() {
            return Err(Error::ExpiredToken(
                "The security token included in the request is expired".into(),
            ));
        }
        if let Some(identity) = &opened.session.identity {
            let identity_id = &identity.identity_id;
            if !self.decisions.identity_exists(identity_id) {
                if self.store.get_identity(identity_id).await?.is_none() {
                    return Ok(None);
                }
                self.decisions.saw_identity(identity_id);
            }
        }
        Ok(Some(Credential {
            principal: Principal::Role(opened.session.clone()),
            secret_access_key: opened.secret.clone(),
        }))
    }

    /// What a session token seals, if this deployment sealed it: the role session and the
    /// secret of the access key it was issued with.
    fn open_session(&self, session_token: &str) -> Result<Option<OpenedSession>> {
        let Ok(sealed) = URL_SAFE_NO_PAD.decode(session_token) else {
            return Ok(None);
        };
        let Ok(plain) = self.secrets.open(&sealed) else {
            return Ok(None);
        };
        let Ok(session) = serde_json::from_slice::<SealedSession>(&plain) else {
            return Ok(None);
        };
        let identity = match session.identity {
            None => None,
            Some((identity_id, pool_id, amr)) => Some(WebIdentity {
                identity_id: IdentityId::parse(&identity_id)?,
                identity_pool_id: IdentityPoolId::parse(&pool_id)?,
                amr,
            }),
        };
        Ok(Some(OpenedSession {
            secret: self.temporary_secret(&session.key),
            session: RoleSession {
                role: IamName::role(&session.role)?,
                role_arn: session.role_arn,
                role_id: session.role_id,
                session_name: session.session,
                account: self.config.account_id.clone(),
                expires: Timestamp(session.expires),
                identity,
            },
            key: session.key,
        }))
    }

    /// Verifies each login's ID token against the pool's providers: signature, issuer,
    /// expiry, `token_use`, `aud` among the provider's client ids, and that its session is not
    /// revoked and its user exists and is enabled.
    async fn verify_logins(
        &self,
        pool: &IdentityPool,
        logins: &BTreeMap<String, String>,
    ) -> Result<Vec<VerifiedLogin>> {
        if logins.len() > MAX_LOGINS {
            return Err(Error::invalid(format!(
                "Logins may hold at most {MAX_LOGINS} providers."
            )));
        }
        let mut verified = Vec::new();
        for (provider, token) in logins {
            let user_pool = user_pool_of_provider(provider).ok_or_else(unsupported_provider)?;
            let clients: Vec<&str> = pool
                .cognito_providers
                .iter()
                .filter(|p| user_pool_of_provider(&p.provider_name).as_ref() == Some(&user_pool))
                .map(|p| p.client_id.as_str())
                .collect();
            if clients.is_empty() {
                return Err(unsupported_provider());
            }
            let claims = self.verify_id_token(&user_pool, token).await?;
            let aud = claims
                .get("aud")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !clients.contains(&aud) {
                return Err(unsupported_provider());
            }
            let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
            let found = self
                .store
                .get_session_user(&user_pool, claim("origin_jti"), claim("sub"))
                .await?;
            if !found.session_live {
                return Err(Error::NotAuthorized(
                    "Invalid login token. Token has been revoked.".into(),
                ));
            }
            match found.user {
                None => return Err(Error::NotAuthorized("User does not exist.".into())),
                Some(user) if !user.enabled => {
                    return Err(Error::NotAuthorized("User is disabled.".into()))
                }
                Some(_) => {}
            }
            verified.push(VerifiedLogin {
                login: Login {
                    provider: provider_key(&user_pool),
                    subject: claim("sub").to_owned(),
                },
                pool: user_pool,
                client_id: aud.to_owned(),
                claims,
            });
        }
        Ok(verified)
    }

    async fn verify_id_token(&self, pool: &PoolId, token: &str) -> Result<Map<String, Value>> {
        let invalid = || {
            Error::NotAuthorized(
                "Invalid login token. Not a valid OpenId Connect identity token.".into(),
            )
        };
        let kid = jsonwebtoken::decode_header(token)
            .ok()
            .and_then(|h| h.kid)
            .ok_or_else(invalid)?;
        let keys = self.pool_keys(pool, Some(&kid)).await?;
        tokens::verify(token, TokenUse::Id, &self.issuer(pool), &keys).map_err(|e| match e {
            Error::NotAuthorized(m) if m.contains("expired") => {
                Error::NotAuthorized(format!("Invalid login token. Token expired: {m}"))
            }
            // An access token has no `aud`: Cognito's own words for it.
            _ if keys
                .iter()
                .any(|k| k.kid == kid && k.token_use == TokenUse::Access) =>
            {
                Error::NotAuthorized("Invalid login token. Missing a required claim: aud".into())
            }
            _ => invalid(),
        })
    }

    pub async fn describe_identity(&self, id: &IdentityId) -> Result<Identity> {
        self.store
            .get_identity(id)
            .await?
            .ok_or_else(|| Error::ResourceNotFound(format!("Identity '{id}' not found.")))
    }

    pub async fn list_identities(
        &self,
        pool: &IdentityPoolId,
        limit: u32,
        token: Option<&str>,
    ) -> Result<Page<Identity>> {
        self.identity_pool(pool).await?;
        let scope = format!("identities-{pool}");
        let after = self.page_after(&scope, token)?;
        let page = self
            .store
            .list_identities(pool, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    pub async fn delete_identities(&self, ids: &[IdentityId]) -> Result<()> {
        self.store.delete_identities(ids).await?;
        self.decisions.forget_identities();
        Ok(())
    }

    /// UnlinkIdentity: the caller proves the identity with `logins`, then `remove` (provider
    /// names) are unlinked from it.
    pub async fn unlink_identity(
        &self,
        id: &IdentityId,
        logins: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<()> {
        let identity = self.describe_identity(id).await?;
        let pool = self.identity_pool(&identity.pool_id).await?;
        let verified = self.verify_logins(&pool, logins).await?;
        if !verified.iter().any(|v| identity.logins.contains(&v.login)) {
            return Err(logins_mismatch());
        }
        for provider in remove {
            let key = user_pool_of_provider(provider)
                .map(|p| provider_key(&p))
                .unwrap_or_else(|| provider.clone());
            for login in identity.logins.iter().filter(|l| l.provider == key) {
                self.store.unlink_login(id, login).await?;
            }
        }
        Ok(())
    }

    /// GetOpenIdToken (the basic flow): a ten-minute token naming the identity, which STS
    /// AssumeRoleWithWebIdentity takes. It is signed with a key derived from the master key
    /// (HS256): only cognate's own STS reads it, and every server sharing the database holds
    /// that key.
    pub async fn get_open_id_token(
        &self,
        id: &IdentityId,
        logins: &BTreeMap<String, String>,
    ) -> Result<String> {
        let identity = self.describe_identity(id).await?;
        let pool = self.identity_pool(&identity.pool_id).await?;
        if !pool.allow_classic_flow {
            return Err(Error::invalid(
                "Basic (classic) flow is not enabled, please use enhanced flow.",
            ));
        }
        let amr = if logins.is_empty() {
            if identity.is_authenticated() {
                return Err(Error::NotAuthorized(format!(
                    "Access to Identity '{id}' is forbidden."
                )));
            }
            guests_allowed(&pool)?;
            vec!["unauthenticated".to_owned()]
        } else {
            let verified = self.verify_logins(&pool, logins).await?;
            let owner = self.owner_of_logins(&identity, &verified).await?;
            if owner != identity.id {
                return Err(Error::NotAuthorized(format!(
                    "Access to Identity '{id}' is forbidden."
                )));
            }
            let provider = verified[0].login.provider.clone();
            vec!["authenticated".to_owned(), provider]
        };
        let issued = now().epoch_secs();
        let claims = json!({
            "iss": format!("https://{COGNITO_IDENTITY}"),
            "aud": pool.id,
            "sub": identity.id,
            "amr": amr,
            "iat": issued,
            "exp": issued + OPEN_ID_TOKEN_LIFETIME_SECS,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("cognate-identity".into());
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&self.open_id_key()),
        )
        .map_err(Error::caused_by("signing an OpenID token"))
    }

    fn open_id_key(&self) -> [u8; 32] {
        self.secrets.mac(b"cognate identity pool OpenID token key")
    }

    /// STS AssumeRoleWithWebIdentity with a token from GetOpenIdToken: the role's trust policy
    /// must allow Cognito's identity service for the token's `aud`, `sub` and `amr`.
    pub async fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        session_name: &str,
        token: &str,
        duration_secs: Option<i64>,
    ) -> Result<(TemporaryCredentials, Map<String, Value>)> {
        let invalid = || {
            Error::InvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)".into())
        };
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if header.alg != jsonwebtoken::Algorithm::HS256 {
            return Err(invalid());
        }
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_issuer(&[format!("https://{COGNITO_IDENTITY}")]);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(
            token,
            &jsonwebtoken::DecodingKey::from_secret(&self.open_id_key()),
            &validation,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                Error::ExpiredToken("Token expired: the web identity token is past its exp.".into())
            }
            _ => invalid(),
        })?
        .claims;
        if !valid_session_name(session_name) {
            return Err(Error::invalid(
                "RoleSessionName must be 2 to 64 characters of letters, digits and =,.@-",
            ));
        }
        let identity_id = IdentityId::parse(claims["sub"].as_str().unwrap_or_default())?;
        let pool_id = IdentityPoolId::parse(claims["aud"].as_str().unwrap_or_default())?;
        if self.store.get_identity(&identity_id).await?.is_none() {
            return Err(invalid());
        }
        let amr = claims
            .get("amr")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let web = WebIdentity {
            identity_id,
            identity_pool_id: pool_id,
            amr,
        };
        let denied = || {
            Error::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into())
        };
        let role = self
            .trusted_role(role_arn, &web)
            .await?
            .ok_or_else(denied)?;
        let lifetime = duration_secs.unwrap_or(3600);
        if !(900..=role.max_session_duration).contains(&lifetime) {
            return Err(Error::invalid(format!(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({} s); it must be at least 900.",
                role.max_session_duration
            )));
        }
        let credentials = self.issue(role, session_name, lifetime, Some(web))?;
        Ok((credentials, claims))
    }
}

fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c))
}

fn guests_allowed(pool: &IdentityPool) -> Result<()> {
    if pool.allow_unauthenticated {
        Ok(())
    } else {
        Err(Error::NotAuthorized(
            "Unauthenticated access is not supported for this identity pool.".into(),
        ))
    }
}

fn validate_pool(pool: &IdentityPool) -> Result<()> {
    let name_ok = (1..=128).contains(&pool.name.chars().count())
        && pool
            .name
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '_');
    if !name_ok {
        return Err(Error::invalid(format!(
            "1 validation error detected: Value '{}' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w ]+",
            pool.name
        )));
    }
    for provider in &pool.cognito_providers {
        if user_pool_of_provider(&provider.provider_name).is_none() {
            return Err(Error::invalid(format!(
                "Invalid Cognito Identity Provider: {} (use cognito-idp.<region>.amazonaws.com/<user pool id>).",
                provider.provider_name
            )));
        }
    }
    Ok(())
}

/// The role for an authenticated login, by the provider's role mapping or the pool's default.
fn resolve_role(
    pool: &IdentityPool,
    login: &VerifiedLogin,
    custom_role_arn: Option<&str>,
) -> Result<String> {
    let mapping = pool.role_mappings.iter().find_map(|(key, mapping)| {
        let (provider, client) = key.rsplit_once(':')?;
        (user_pool_of_provider(provider).as_ref() == Some(&login.pool) && client == login.client_id)
            .then_some(mapping)
    });
    let authenticated = || {
        pool.roles
            .get("authenticated")
            .cloned()
            .ok_or_else(bad_configuration)
    };
    let Some(mapping) = mapping else {
        return match custom_role_arn {
            Some(custom) if Some(custom) != pool.roles.get("authenticated").map(String::as_str) => {
                Err(Error::NotAuthorized(
                    "CustomRoleArn is not a role this identity may take.".into(),
                ))
            }
            _ => authenticated(),
        };
    };
    let ambiguous = || match mapping.ambiguous_role_resolution {
        Some(AmbiguousRoleResolution::AuthenticatedRole) => authenticated(),
        _ => Err(Error::NotAuthorized(
            "The ambiguous role mapping rules denied this request.".into(),
        )),
    };
    match mapping.mapping_type {
        MappingType::Token => {
            let roles: Vec<&str> = login
                .claims
                .get("cognito:roles")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(custom) = custom_role_arn {
                return if roles.contains(&custom) {
                    Ok(custom.to_owned())
                } else {
                    Err(Error::NotAuthorized(
                        "CustomRoleArn is not among the roles of the token's cognito:roles.".into(),
                    ))
                };
            }
            match login
                .claims
                .get("cognito:preferred_role")
                .and_then(Value::as_str)
            {
                Some(preferred) => Ok(preferred.to_owned()),
                None => ambiguous(),
            }
        }
        MappingType::Rules => {
            let matching: Vec<&MappingRule> = mapping
                .rules
                .iter()
                .filter(|rule| rule_matches(rule, &login.claims))
                .collect();
            match (custom_role_arn, matching.first()) {
                (Some(custom), _) => matching
                    .iter()
                    .find(|rule| rule.role_arn == custom)
                    .map(|rule| rule.role_arn.clone())
                    .ok_or_else(|| {
                        Error::NotAuthorized(
                            "CustomRoleArn is not the role of any matching rule.".into(),
                        )
                    }),
                (None, Some(rule)) => Ok(rule.role_arn.clone()),
                (None, None) => ambiguous(),
            }
        }
    }
}

/// One rule against the token's claims; a list claim (`cognito:groups`) matches through any
/// of its values. NotEqual on an absent claim does not match.
fn rule_matches(rule: &MappingRule, claims: &Map<String, Value>) -> bool {
    let values: Vec<String> = match claims.get(&rule.claim) {
        None => return false,
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => vec![other.to_string()],
    };
    let value = rule.value.as_str();
    match rule.match_type {
        MatchType::Equals => values.iter().any(|v| v == value),
        MatchType::Contains => values.iter().any(|v| v.contains(value)),
        MatchType::StartsWith => values.iter().any(|v| v.starts_with(value)),
        MatchType::NotEqual => values.iter().all(|v| v != value),
    }
}

//! Sign-in flows, challenges, token minting and the checks every token-authenticated call
//! goes through.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{check_secret_hash, now, Cognito, MAX_GROUPS_PER_USER};
use crate::claims::{access_token_claims, id_token_claims, TokenContext};
use crate::crypto::{random_token, sha256_hex};
use crate::error::{Error, Result};
use crate::ids::{ClientId, PoolId, Timestamp};
use crate::model::{AppClient, Attribute, Group, Session, TokenUse, User, UserPool, UserStatus};
use crate::tokens;

pub type AuthParameters = HashMap<String, String>;

/// What a successful sign-in returns. Refreshes carry no new refresh token.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
pub enum AuthOutcome {
    Tokens(Tokens),
    Challenge {
        name: String,
        /// None where the challenge carries its state itself (PASSWORD_VERIFIER's SECRET_BLOCK).
        session: Option<String>,
        parameters: HashMap<String, String>,
    },
}

/// An ID or access token (a JWT with a header), which cognate's opaque refresh tokens never
/// are.
fn looks_like_jwt(token: &str) -> bool {
    jsonwebtoken::decode_header(token).is_ok()
}

/// A session a refresh token may renew, with its pool and user.
struct Refresh {
    pool: UserPool,
    session: Session,
    user: User,
}

/// GetTokensFromRefreshToken proves the client with its secret itself, compared in constant
/// time; clients without a secret send none.
fn check_client_secret(client: &AppClient, given: Option<&str>) -> Result<()> {
    match (&client.secret, given) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(Error::NotAuthorized(format!(
            "Client {} is configured with secret but ClientSecret was not received",
            client.id
        ))),
        (Some(secret), Some(given)) => {
            if crate::crypto::constant_time_eq(secret.as_bytes(), given.as_bytes()) {
                Ok(())
            } else {
                Err(Error::NotAuthorized(format!(
                    "Unable to verify secret hash for client {}",
                    client.id
                )))
            }
        }
    }
}

/// The verified caller behind an access token.
pub struct Caller {
    pub pool: UserPool,
    pub client: AppClient,
    pub user: User,
    pub claims: Map<String, Value>,
}

/// The state of an unfinished sign-in, sealed into the opaque `Session` string.
#[derive(Serialize, Deserialize)]
struct ChallengeState {
    challenge: String,
    pool: PoolId,
    client: ClientId,
    sub: String,
    expires: Timestamp,
}

/// Whose failed sign-ins a password attempt counts towards.
#[derive(Clone, Copy)]
enum Attempted<'a> {
    User(&'a User),
    /// A name that is no user, by its keyed hash.
    Unknown(&'a str),
}

/// The longest lockout: failures older than this no longer lock anyone out.
const MAX_LOCKOUT_SECS: i64 = 15 * 60;

/// Cognito's lockout: from the fifth consecutive failure, sign-in is refused for a time that
/// starts at one second and doubles with each further failure, up to 15 minutes.
pub fn lockout_until(failed_sign_ins: i64, last_failure: Option<Timestamp>) -> Option<Timestamp> {
    if failed_sign_ins < 5 {
        return None;
    }
    let exponent = (failed_sign_ins - 5).min(10) as u32;
    let secs = 2i64.pow(exponent).min(MAX_LOCKOUT_SECS);
    last_failure.map(|t| t.plus_secs(secs))
}

fn required(params: &AuthParameters, name: &str) -> Result<String> {
    params
        .get(name)
        .filter(|v| !v.is_empty())
        .cloned()
        .ok_or_else(|| Error::invalid(format!("Missing required parameter {name}")))
}

fn flow_not_enabled(flow: &str) -> Error {
    Error::invalid(format!("{flow} flow not enabled for this client"))
}

impl Cognito {
    /// The one lockout gate of every password check (sign-in, SRP, ChangePassword): refused
    /// while locked out, otherwise the attempt is counted as a failure before the password is
    /// checked, in one step with reading the count, so that parallel guesses get the same five
    /// tries as sequential ones. A correct password clears the count afterwards.
    pub(super) async fn admit_password_attempt(&self, user: &User) -> Result<()> {
        self.admit_attempt(&user.pool_id, Attempted::User(user))
            .await
    }

    /// The same gate for a name that is no user of a pool that hides which users exist: an
    /// unknown name locks out after as many failures as a real one, so that the lockout does
    /// not tell them apart.
    pub(super) async fn admit_unknown_attempt(&self, pool: &UserPool, login: &str) -> Result<()> {
        let hash = hex::encode(self.name_mac(pool, "unknown sign-in", login));
        self.admit_attempt(&pool.id, Attempted::Unknown(&hash))
            .await
    }

    async fn admit_attempt(&self, pool: &PoolId, attempted: Attempted<'_>) -> Result<()> {
        let locked = || Error::NotAuthorized("Password attempts exceeded".into());
        let (mut failures, mut last_failure) = match attempted {
            Attempted::User(user) => (user.failed_sign_ins, user.last_failed_sign_in),
            Attempted::Unknown(hash) => self.store.unknown_sign_in_failures(pool, hash).await?,
        };
        for _ in 0..16 {
            if lockout_until(failures, last_failure).is_some_and(|until| now() < until) {
                return Err(locked());
            }
            let admitted = match attempted {
                Attempted::User(user) => {
                    self.store
                        .admit_sign_in_attempt(pool, &user.sub, failures, now())
                        .await?
                }
                Attempted::Unknown(hash) => {
                    self.store
                        .admit_unknown_sign_in_attempt(
                            pool,
                            hash,
                            failures,
                            now(),
                            now().plus_secs(-MAX_LOCKOUT_SECS),
                        )
                        .await?
                }
            };
            if admitted {
                return Ok(());
            }
            // Another attempt was counted in between: decide again on the count as it is now.
            (failures, last_failure) = match attempted {
                Attempted::User(user) => {
                    let current = self
                        .store
                        .get_user_by_sub(pool, &user.sub)
                        .await?
                        .ok_or_else(Error::incorrect_credentials)?;
                    (current.failed_sign_ins, current.last_failed_sign_in)
                }
                Attempted::Unknown(hash) => self.store.unknown_sign_in_failures(pool, hash).await?,
            };
        }
        Err(locked())
    }

    /// InitiateAuth: flows that a public client may start.
    pub async fn initiate_auth(
        &self,
        client_id: &ClientId,
        flow: &str,
        params: &AuthParameters,
    ) -> Result<AuthOutcome> {
        let client = self.client(client_id).await?;
        match flow {
            "USER_PASSWORD_AUTH" => {
                if !client.allows("ALLOW_USER_PASSWORD_AUTH") {
                    return Err(flow_not_enabled(flow));
                }
                self.password_flow(&client, params).await
            }
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => self.refresh_flow(&client, params).await,
            "USER_SRP_AUTH" => self.srp_flow(&client, params).await,
            "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => Err(Error::invalid(format!(
                "{flow} is only valid with AdminInitiateAuth"
            ))),
            other => Err(self.unsupported_flow(&client, other)),
        }
    }

    /// AdminInitiateAuth: signed by an administrator, so the password flow needs no SRP.
    pub async fn admin_initiate_auth(
        &self,
        pool: &PoolId,
        client_id: &ClientId,
        flow: &str,
        params: &AuthParameters,
    ) -> Result<AuthOutcome> {
        self.pool(pool).await?;
        let client = self.client_in_pool(pool, client_id).await?;
        match flow {
            "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
                if !client.allows("ALLOW_ADMIN_USER_PASSWORD_AUTH") {
                    return Err(Error::invalid("Auth flow not enabled for this client"));
                }
                self.password_flow(&client, params).await
            }
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => self.refresh_flow(&client, params).await,
            "USER_SRP_AUTH" => self.srp_flow(&client, params).await,
            "USER_PASSWORD_AUTH" => Err(Error::invalid(
                "USER_PASSWORD_AUTH is only valid with InitiateAuth",
            )),
            other => Err(self.unsupported_flow(&client, other)),
        }
    }

    fn unsupported_flow(&self, client: &AppClient, flow: &str) -> Error {
        let known = ["CUSTOM_AUTH", "USER_AUTH"];
        if !known.contains(&flow) {
            return Error::invalid(format!(
                "1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH, USER_AUTH]"
            ));
        }
        if !client.allows(&format!("ALLOW_{flow}")) {
            return flow_not_enabled(flow);
        }
        Error::UnsupportedOperation(format!("{flow} is not supported by this server yet."))
    }

    async fn srp_flow(&self, client: &AppClient, params: &AuthParameters) -> Result<AuthOutcome> {
        if !client.allows("ALLOW_USER_SRP_AUTH") {
            return Err(flow_not_enabled("USER_SRP_AUTH"));
        }
        self.start_srp(client, params).await
    }

    async fn password_flow(
        &self,
        client: &AppClient,
        params: &AuthParameters,
    ) -> Result<AuthOutcome> {
        let login = required(params, "USERNAME")?;
        let password = required(params, "PASSWORD")?;
        let pool = self.pool(&client.pool_id).await?;
        let found = self
            .find_signing_in_user(&pool, client, params, &login)
            .await?;
        let user = self
            .check_password(&pool, client, &login, found, &password)
            .await?;
        self.after_first_factor(&pool, client, user).await
    }

    /// The user a sign-in names, if there is one, once the client's SECRET_HASH checks out.
    /// The hash may be computed over the name typed or over the username it resolves to.
    pub(super) async fn find_signing_in_user(
        &self,
        pool: &UserPool,
        client: &AppClient,
        params: &AuthParameters,
        login: &str,
    ) -> Result<Option<User>> {
        let found = self.find_user(pool, login).await?;
        let mut names = vec![login];
        if let Some(user) = &found {
            names.push(user.username.as_str());
        }
        check_secret_hash(
            client,
            params.get("SECRET_HASH").map(String::as_str),
            &names,
        )?;
        Ok(found)
    }

    /// The one place a password is checked at sign-in: lockout, constant-ish time for unknown
    /// users, failure counting.
    async fn check_password(
        &self,
        pool: &UserPool,
        client: &AppClient,
        login: &str,
        user: Option<User>,
        password: &str,
    ) -> Result<User> {
        let Some(user) = user else {
            if !client.prevent_user_existence_errors {
                self.password_matches(password, None).await;
                return Err(Error::UserNotFound("User does not exist.".into()));
            }
            self.admit_unknown_attempt(pool, login).await?;
            self.password_matches(password, None).await;
            return Err(Error::incorrect_credentials());
        };
        self.admit_password_attempt(&user).await?;
        if !self
            .password_matches(password, user.password_hash.as_deref())
            .await
        {
            tracing::info!(pool = %pool.id, user = %user.username, "failed sign-in");
            return Err(Error::incorrect_credentials());
        }
        self.store
            .clear_failed_sign_ins(&pool.id, &user.sub)
            .await?;
        Ok(user)
    }

    /// After the password: the account's state decides between tokens, a challenge and an error.
    pub(super) async fn after_first_factor(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: User,
    ) -> Result<AuthOutcome> {
        if !user.enabled {
            return Err(Error::NotAuthorized("User is disabled.".into()));
        }
        match user.status {
            UserStatus::Unconfirmed => {
                Err(Error::UserNotConfirmed("User is not confirmed.".into()))
            }
            UserStatus::ResetRequired => Err(Error::PasswordResetRequired(
                "Password reset required for the user".into(),
            )),
            UserStatus::ForceChangePassword => {
                if user.temporary_password_expires.is_some_and(|t| t < now()) {
                    return Err(Error::NotAuthorized(
                        "Temporary password has expired and must be reset by an administrator."
                            .into(),
                    ));
                }
                self.new_password_challenge(pool, client, &user)
            }
            UserStatus::Confirmed => Ok(AuthOutcome::Tokens(
                self.start_session(pool, client, &user).await?,
            )),
        }
    }

    fn new_password_challenge(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
    ) -> Result<AuthOutcome> {
        let state = ChallengeState {
            challenge: "NEW_PASSWORD_REQUIRED".into(),
            pool: pool.id.clone(),
            client: client.id.clone(),
            sub: user.sub.clone(),
            expires: now().plus_secs(client.auth_session_validity * 60),
        };
        let sealed = self.secrets.seal(
            &serde_json::to_vec(&state)
                .map_err(Error::caused_by("encoding a challenge session"))?,
        );
        let missing: Vec<String> = pool
            .required_attributes()
            .filter(|r| user.attribute(r).is_none())
            .map(|r| format!("userAttributes.{r}"))
            .collect();
        let visible: Map<String, Value> = user
            .attributes
            .iter()
            .filter(|a| !a.name.ends_with("_verified"))
            .map(|a| (a.name.clone(), Value::String(a.value.clone())))
            .collect();
        let parameters = HashMap::from([
            ("USER_ID_FOR_SRP".to_owned(), user.username.to_string()),
            (
                "requiredAttributes".to_owned(),
                serde_json::to_string(&missing)
                    .map_err(Error::caused_by("encoding required attributes"))?,
            ),
            (
                "userAttributes".to_owned(),
                Value::Object(visible).to_string(),
            ),
        ]);
        Ok(AuthOutcome::Challenge {
            name: "NEW_PASSWORD_REQUIRED".into(),
            session: Some(URL_SAFE_NO_PAD.encode(sealed)),
            parameters,
        })
    }

    fn open_challenge(
        &self,
        session: Option<&str>,
        challenge: &str,
        client: &AppClient,
    ) -> Result<ChallengeState> {
        let expired =
            || Error::NotAuthorized("Invalid session for the user, session is expired.".into());
        let sealed = URL_SAFE_NO_PAD
            .decode(session.ok_or_else(expired)?)
            .map_err(|_| expired())?;
        let plain = self.secrets.open(&sealed).map_err(|_| expired())?;
        let state: ChallengeState = serde_json::from_slice(&plain).map_err(|_| expired())?;
        if state.challenge != challenge || state.client != client.id || state.expires < now() {
            return Err(expired());
        }
        Ok(state)
    }

    /// RespondToAuthChallenge (and the admin form, with `pool` given).
    pub async fn respond_to_auth_challenge(
        &self,
        pool: Option<&PoolId>,
        client_id: &ClientId,
        challenge: &str,
        session: Option<&str>,
        responses: &AuthParameters,
    ) -> Result<AuthOutcome> {
        let client = match pool {
            Some(pool) => {
                self.pool(pool).await?;
                self.client_in_pool(pool, client_id).await?
            }
            None => self.client(client_id).await?,
        };
        match challenge {
            "PASSWORD_VERIFIER" => self.complete_password_verifier(&client, responses).await,
            "NEW_PASSWORD_REQUIRED" => {
                self.complete_new_password(&client, session, responses)
                    .await
            }
            "SMS_MFA"
            | "SOFTWARE_TOKEN_MFA"
            | "SELECT_MFA_TYPE"
            | "MFA_SETUP"
            | "CUSTOM_CHALLENGE"
            | "DEVICE_SRP_AUTH"
            | "DEVICE_PASSWORD_VERIFIER"
            | "EMAIL_OTP"
            | "SELECT_CHALLENGE" => Err(Error::UnsupportedOperation(format!(
                "The {challenge} challenge is not supported by this server yet."
            ))),
            other => Err(Error::invalid(format!("Invalid challenge name: {other}"))),
        }
    }

    async fn complete_new_password(
        &self,
        client: &AppClient,
        session: Option<&str>,
        responses: &AuthParameters,
    ) -> Result<AuthOutcome> {
        let state = self.open_challenge(session, "NEW_PASSWORD_REQUIRED", client)?;
        let new_password = required(responses, "NEW_PASSWORD")?;
        let pool = self.pool(&state.pool).await?;
        let mut user = self
            .store
            .get_user_by_sub(&pool.id, &state.sub)
            .await?
            .ok_or_else(|| Error::UserNotFound("User does not exist.".into()))?;
        let login = responses
            .get("USERNAME")
            .map(String::as_str)
            .unwrap_or(user.username.as_str());
        check_secret_hash(
            client,
            responses.get("SECRET_HASH").map(String::as_str),
            &[login, user.username.as_str()],
        )?;
        if user.status != UserStatus::ForceChangePassword {
            return Err(Error::NotAuthorized(
                "Invalid session for the user, session is expired.".into(),
            ));
        }
        super::users::check_password_policy(&pool.password_policy, &new_password)?;
        let attributes: Vec<Attribute> = responses
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("userAttributes.").map(|n| Attribute {
                    name: n.to_owned(),
                    value: v.clone(),
                })
            })
            .collect();
        Self::validate_attributes(&pool, &attributes)?;
        for attribute in attributes {
            user.set_attribute(&attribute.name, attribute.value);
        }
        if let Some(missing) = pool
            .required_attributes()
            .find(|r| user.attribute(r).is_none())
        {
            return Err(Error::invalid(format!(
                "Attributes did not conform to the schema: {missing}: The attribute is required"
            )));
        }
        self.set_password(&mut user, &new_password).await?;
        user.status = UserStatus::Confirmed;
        user.temporary_password_expires = None;
        self.save(&mut user, None).await?;
        self.after_first_factor(&pool, client, user).await
    }

    /// REFRESH_TOKEN_AUTH of InitiateAuth and AdminInitiateAuth: new ID and access tokens,
    /// the client proven by SECRET_HASH. Clients that rotate refresh tokens refresh only with
    /// GetTokensFromRefreshToken, as in Cognito.
    async fn refresh_flow(
        &self,
        client: &AppClient,
        params: &AuthParameters,
    ) -> Result<AuthOutcome> {
        if client.refresh_token_rotation.enabled {
            return Err(Error::invalid(
                "Refresh token rotation is enabled for this app client; refresh with GetTokensFromRefreshToken.",
            ));
        }
        let refresh_token = required(params, "REFRESH_TOKEN")?;
        let refresh = self.refreshable_session(client, &refresh_token).await?;
        let mut names = vec![refresh.user.username.as_str(), refresh.user.sub.as_str()];
        if let Some(given) = params.get("USERNAME") {
            names.push(given);
        }
        check_secret_hash(
            client,
            params.get("SECRET_HASH").map(String::as_str),
            &names,
        )?;
        self.refreshed_tokens(client, refresh, None)
            .await
            .map(AuthOutcome::Tokens)
    }

    /// GetTokensFromRefreshToken: what REFRESH_TOKEN_AUTH answers, the client proven by its
    /// secret itself; with rotation on, a new refresh token too, and the one presented is
    /// honoured for the client's grace period only. `device_key` is accepted and has no
    /// effect: cognate does not remember devices.
    pub async fn get_tokens_from_refresh_token(
        &self,
        client_id: &ClientId,
        refresh_token: &str,
        client_secret: Option<&str>,
        _device_key: Option<&str>,
    ) -> Result<Tokens> {
        let client = self.client(client_id).await?;
        check_client_secret(&client, client_secret)?;
        if client.refresh_token_rotation.enabled {
            // Two tries: a concurrent rotation of the same session makes the first one lose,
            // and the second then finds the presented token rotated out (honoured or not).
            for _ in 0..2 {
                let refresh = self.refreshable_session(&client, refresh_token).await?;
                let next = random_token();
                let grace = client.refresh_token_rotation.retry_grace_period_secs;
                let rotated = self
                    .store
                    .rotate_refresh_token(
                        &refresh.session.id,
                        &refresh.session.refresh_token_hash,
                        &sha256_hex(next.as_bytes()),
                        (grace > 0).then(|| now().plus_secs(grace)),
                        now(),
                    )
                    .await?;
                if rotated {
                    return self.refreshed_tokens(&client, refresh, Some(next)).await;
                }
            }
            return Err(Error::NotAuthorized("Invalid Refresh Token".into()));
        }
        let refresh = self.refreshable_session(&client, refresh_token).await?;
        self.refreshed_tokens(&client, refresh, None).await
    }

    /// The live session of `refresh_token` for `client`, and its user, with Cognito's answers
    /// for every reason it cannot be refreshed.
    async fn refreshable_session(
        &self,
        client: &AppClient,
        refresh_token: &str,
    ) -> Result<Refresh> {
        if !client.allows("ALLOW_REFRESH_TOKEN_AUTH") {
            return Err(flow_not_enabled("REFRESH_TOKEN_AUTH"));
        }
        let invalid = || Error::NotAuthorized("Invalid Refresh Token".into());
        let session = self
            .session_of_refresh_token(refresh_token)
            .await?
            .ok_or_else(invalid)?;
        if session.client_id != client.id {
            return Err(invalid());
        }
        if session.revoked {
            return Err(Error::NotAuthorized(
                "Refresh Token has been revoked".into(),
            ));
        }
        if session.expires < now() {
            return Err(Error::NotAuthorized("Refresh Token has expired".into()));
        }
        let pool = self.pool(&client.pool_id).await?;
        let user = self
            .store
            .get_user_by_sub(&pool.id, &session.user_sub)
            .await?
            .ok_or_else(|| Error::NotAuthorized("User does not exist.".into()))?;
        Ok(Refresh {
            pool,
            session,
            user,
        })
    }

    /// The session a refresh token belongs to: its current one, or one it was rotated out of
    /// and that still honours it.
    async fn session_of_refresh_token(&self, refresh_token: &str) -> Result<Option<Session>> {
        let hash = sha256_hex(refresh_token.as_bytes());
        match self.store.get_session_by_refresh_hash(&hash).await? {
            Some(session) => Ok(Some(session)),
            None => {
                self.store
                    .get_session_by_rotated_refresh_hash(&hash, now())
                    .await
            }
        }
    }

    /// New ID and access tokens for a refreshable session whose client has been proven, with
    /// the user's groups as they are now.
    async fn refreshed_tokens(
        &self,
        client: &AppClient,
        refresh: Refresh,
        new_refresh_token: Option<String>,
    ) -> Result<Tokens> {
        if !refresh.user.enabled {
            return Err(Error::NotAuthorized("User is disabled.".into()));
        }
        // An administrator asked for a new password: the old sessions do not go on.
        if refresh.user.status == UserStatus::ResetRequired {
            return Err(Error::PasswordResetRequired(
                "Password reset required for the user".into(),
            ));
        }
        let groups = self.all_groups_of(&refresh.user).await?;
        let (id_token, access_token) = self
            .mint(
                &refresh.pool,
                client,
                &refresh.user,
                &refresh.session,
                &groups,
            )
            .await?;
        Ok(Tokens {
            id_token,
            access_token,
            refresh_token: new_refresh_token,
            expires_in: client.access_token_secs(),
        })
    }

    /// A new sign-in: a session with a fresh refresh token, and the first ID and access tokens.
    async fn start_session(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
    ) -> Result<Tokens> {
        let refresh_token = random_token();
        let auth_time = now();
        let session = Session {
            id: uuid::Uuid::new_v4().to_string(),
            pool_id: pool.id.clone(),
            client_id: client.id.clone(),
            user_sub: user.sub.clone(),
            refresh_token_hash: sha256_hex(refresh_token.as_bytes()),
            auth_time,
            expires: auth_time.plus_secs(client.refresh_token_secs()),
            revoked: false,
        };
        let groups = self
            .store
            .start_session(&session, MAX_GROUPS_PER_USER)
            .await?;
        let (id_token, access_token) = self.mint(pool, client, user, &session, &groups).await?;
        Ok(Tokens {
            id_token,
            access_token,
            refresh_token: Some(refresh_token),
            expires_in: client.access_token_secs(),
        })
    }

    /// Signs an ID token and an access token with Cognito's claims and the user's groups.
    async fn mint(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        session: &Session,
        groups: &[Group],
    ) -> Result<(String, String)> {
        let issuer = self.issuer(&pool.id);
        let event_id = uuid::Uuid::new_v4().to_string();
        let context = TokenContext {
            issuer: &issuer,
            client,
            user,
            session,
            groups,
            issued_at: now().epoch_secs(),
            event_id: &event_id,
        };
        let id_token = self
            .signing_key(&pool.id, TokenUse::Id)
            .await?
            .sign(&id_token_claims(&context))?;
        let access_token = self
            .signing_key(&pool.id, TokenUse::Access)
            .await?
            .sign(&access_token_claims(&context))?;
        Ok((id_token, access_token))
    }

    /// Verifies an access token fully, including revocation, and loads who it belongs to.
    pub async fn authenticate_access_token(&self, token: &str) -> Result<Caller> {
        let invalid = || Error::NotAuthorized("Invalid Access Token".into());
        let (pool_id, claims) = self.verify_access_token(token).await?;
        let pool = self.store.get_pool(&pool_id).await?.ok_or_else(invalid)?;
        let claim = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(invalid)
        };
        let found = self
            .store
            .get_session_user(&pool.id, &claim("origin_jti")?, &claim("sub")?)
            .await?;
        if !found.session_live {
            return Err(Error::NotAuthorized("Access Token has been revoked".into()));
        }
        let client_id = ClientId::parse(&claim("client_id")?).map_err(|_| invalid())?;
        let client = self
            .client_in_pool(&pool.id, &client_id)
            .await
            .map_err(|_| invalid())?;
        let user = found
            .user
            .ok_or_else(|| Error::NotAuthorized("User does not exist.".into()))?;
        if !user.enabled {
            return Err(Error::NotAuthorized("User is disabled.".into()));
        }
        Ok(Caller {
            pool,
            client,
            user,
            claims,
        })
    }

    /// The pool and claims of a fully verified access token (signature, `alg`, `kid`, `iss`,
    /// `exp`, `token_use`); a token verified before is known by its text until it expires.
    async fn verify_access_token(&self, token: &str) -> Result<(PoolId, Map<String, Value>)> {
        let invalid = || Error::NotAuthorized("Invalid Access Token".into());
        let now = now().epoch_secs();
        let claims = match self.verified.get(token, now) {
            Some(claims) => claims,
            None => {
                let pool_id = self.pool_of_token(token).ok_or_else(invalid)?;
                let kid = jsonwebtoken::decode_header(token)
                    .ok()
                    .and_then(|h| h.kid)
                    .ok_or_else(invalid)?;
                let keys = self.pool_keys(&pool_id, Some(&kid)).await?;
                let claims = Arc::new(tokens::verify(
                    token,
                    TokenUse::Access,
                    &self.issuer(&pool_id),
                    &keys,
                )?);
                self.verified.put(token, claims.clone(), now);
                claims
            }
        };
        let pool_id = self.pool_of_issuer(&claims).ok_or_else(invalid)?;
        Ok((pool_id, (*claims).clone()))
    }

    /// Reads the pool from the (not yet verified) `iss` claim, to know which keys to verify with.
    fn pool_of_token(&self, token: &str) -> Option<PoolId> {
        let payload = token.split('.').nth(1)?;
        let claims: Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        self.pool_of_issuer(&claims)
    }

    /// The pool named by the `iss` claim, `{public_url}/{pool_id}`.
    fn pool_of_issuer(&self, claims: &Map<String, Value>) -> Option<PoolId> {
        let iss = claims.get("iss")?.as_str()?;
        let pool = iss
            .strip_prefix(&self.config.public_url)?
            .strip_prefix('/')?;
        PoolId::parse(pool).ok()
    }

    /// GlobalSignOut: every session of the caller ends; their tokens stop working.
    pub async fn global_sign_out(&self, access_token: &str) -> Result<()> {
        let caller = self.authenticate_access_token(access_token).await?;
        self.store
            .revoke_user_sessions(&caller.pool.id, &caller.user.sub, None)
            .await?;
        Ok(())
    }

    /// RevokeToken: ends the session of a refresh token, and so the access tokens minted from it.
    pub async fn revoke_token(
        &self,
        refresh_token: &str,
        client_id: &ClientId,
        client_secret: Option<&str>,
    ) -> Result<()> {
        let client = self.client(client_id).await?;
        check_client_secret(&client, client_secret)?;
        if !client.enable_token_revocation {
            return Err(Error::UnsupportedOperation(
                "Token revocation is not enabled for this client.".into(),
            ));
        }
        if looks_like_jwt(refresh_token) {
            return Err(Error::UnsupportedTokenType(
                "Only refresh tokens can be revoked; this is an ID or access token.".into(),
            ));
        }
        let Some(session) = self.session_of_refresh_token(refresh_token).await? else {
            // As in OAuth token revocation, an unknown token is not an error.
            return Ok(());
        };
        if session.client_id != client.id {
            return Err(Error::NotAuthorized(
                "The token was not issued to this client.".into(),
            ));
        }
        self.store.revoke_session(&session.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_starts_at_the_fifth_failure_and_doubles_to_fifteen_minutes() {
        let t = Timestamp(1_000_000);
        assert_eq!(lockout_until(4, Some(t)), None);
        assert_eq!(lockout_until(5, Some(t)), Some(t.plus_secs(1)));
        assert_eq!(lockout_until(6, Some(t)), Some(t.plus_secs(2)));
        assert_eq!(lockout_until(10, Some(t)), Some(t.plus_secs(32)));
        assert_eq!(lockout_until(15, Some(t)), Some(t.plus_secs(900)));
        assert_eq!(lockout_until(500, Some(t)), Some(t.plus_secs(900)));
    }
}

//! Users: sign-up and confirmation, administrative management, self-service with an access
//! token, and forgotten passwords.

use serde_json::json;

use super::{attribute_names, check_secret_hash, now, user_change, Cognito};
use crate::error::{Error, Result};
use crate::filter::UserFilter;
use crate::ids::{ClientId, PoolId, Username};
use crate::model::{AppClient, Attribute, CodePurpose, PasswordPolicy, User, UserPool, UserStatus};
use crate::service::messages::CodeDelivery;
use crate::store::{Audit, Page};

/// Attributes are at most this long, as in Cognito.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 2048;
pub const MAX_PASSWORD_LEN: usize = 256;
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

#[derive(Debug, Clone)]
pub struct NewUser {
    /// What the caller gave as the username: a username, or an email / phone number in pools
    /// that sign in with those.
    pub username: String,
    pub attributes: Vec<Attribute>,
}

fn invalid_password(reason: &str) -> Error {
    Error::InvalidPassword(format!("Password did not conform with policy: {reason}"))
}

/// Checks a password against the pool's policy, with Cognito's messages.
pub fn check_password_policy(policy: &PasswordPolicy, password: &str) -> Result<()> {
    if password.chars().count() > MAX_PASSWORD_LEN {
        return Err(Error::invalid("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256"));
    }
    if password.chars().count() < policy.minimum_length as usize {
        return Err(invalid_password("Password not long enough"));
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        return Err(invalid_password("Password must have lowercase characters"));
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        return Err(invalid_password("Password must have uppercase characters"));
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(invalid_password("Password must have numeric characters"));
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return Err(invalid_password("Password must have symbol characters"));
    }
    Ok(())
}

/// A random password that satisfies any policy (for AdminCreateUser without one).
fn generate_temporary_password() -> String {
    use rand::seq::SliceRandom;
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    let sets: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnopqrstuvwxyz",
        b"23456789",
        b"!#%&*+-=?@^_",
    ];
    let mut chars: Vec<u8> = sets.iter().map(|s| s[rng.gen_range(0..s.len())]).collect();
    let all: Vec<u8> = sets.concat();
    chars.extend((0..8).map(|_| all[rng.gen_range(0..all.len())]));
    chars.shuffle(&mut rng);
    String::from_utf8(chars).expect("ascii")
}

impl Cognito {
    /// Sets a user's password: the Argon2id hash for password flows, and the SRP salt and
    /// verifier (sealed) for USER_SRP_AUTH.
    pub(super) async fn set_password(&self, user: &mut User, password: &str) -> Result<()> {
        let hasher = self.hasher.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        let pool_name = user.pool_id.short_name().to_owned();
        let user_id = user.username.to_string();
        let (hash, srp_record) = self
            .cpu_bound(move || -> Result<_> {
                let hash = hasher.hash(&password)?;
                let mut record =
                    crate::crypto::random_bytes::<{ super::srp_auth::SALT_LEN }>().to_vec();
                let verifier = crate::srp::verifier(&pool_name, &user_id, &password, &record);
                record.extend(verifier);
                Ok((hash, zeroize::Zeroizing::new(record)))
            })
            .await??;
        user.password_hash = Some(hash);
        user.sealed_srp_verifier = Some(self.secrets.seal(&srp_record));
        Ok(())
    }

    pub(super) async fn password_matches(&self, password: &str, phc: Option<&str>) -> bool {
        let hasher = self.hasher.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        let phc = phc.map(str::to_owned);
        self.cpu_bound(move || match phc {
            Some(phc) => hasher.verify(&password, &phc),
            None => {
                hasher.verify_dummy(&password);
                false
            }
        })
        .await
        .unwrap_or(false)
    }

    /// Checks names, values and data types of attributes a caller wants to set.
    pub(super) fn validate_attributes(pool: &UserPool, attributes: &[Attribute]) -> Result<()> {
        for (i, attribute) in attributes.iter().enumerate() {
            if attributes[..i].iter().any(|a| a.name == attribute.name) {
                return Err(Error::invalid(format!(
                    "Duplicate attribute {} in the request; give each attribute once.",
                    attribute.name
                )));
            }
            if attribute.name == "sub" {
                return Err(Error::invalid(
                    "Cannot modify the non-mutable attribute sub",
                ));
            }
            if !pool.knows_attribute(&attribute.name) {
                return Err(Error::invalid(format!(
                    "Attributes did not conform to the schema: Type for attribute {{{}}} could not be determined",
                    attribute.name
                )));
            }
            if attribute.value.chars().count() > MAX_ATTRIBUTE_VALUE_LEN {
                return Err(Error::invalid(format!(
                    "{}: String must be no longer than 2048 characters",
                    attribute.name
                )));
            }
            if let Some(custom) = pool.custom_attribute(&attribute.name) {
                let ok = match custom.attribute_data_type.as_str() {
                    "Number" => attribute.value.parse::<f64>().is_ok(),
                    "Boolean" => ["true", "false"].contains(&attribute.value.as_str()),
                    _ => true,
                };
                if !ok {
                    return Err(Error::invalid(format!(
                        "Attributes did not conform to the schema: {}: The attribute value is not a {}",
                        attribute.name, custom.attribute_data_type
                    )));
                }
            }
            if attribute.name == "email" && !attribute.value.contains('@') {
                return Err(Error::invalid("Invalid email address format."));
            }
            if attribute.name == "phone_number" && !is_phone_number(&attribute.value) {
                return Err(Error::invalid("Invalid phone number format."));
            }
            if attribute.name.ends_with("_verified")
                && !["true", "false"].contains(&attribute.value.as_str())
            {
                return Err(Error::invalid(format!(
                    "{} must be true or false",
                    attribute.name
                )));
            }
        }
        Ok(())
    }

    /// Turns what the caller gave as a username into the stored username, setting the sign-in
    /// attribute for pools that sign in by email or phone (whose usernames are the `sub`, as in
    /// Cognito).
    fn resolve_new_username(
        pool: &UserPool,
        raw: &str,
        sub: &str,
        attributes: &mut Vec<Attribute>,
    ) -> Result<Username> {
        if pool.username_attributes.is_empty() {
            let username = Username::parse(raw)?;
            if pool.alias_attributes.iter().any(|a| a == "email") && raw.contains('@') {
                return Err(Error::invalid("Username cannot be of email format, since user pool is configured for email alias."));
            }
            if pool.alias_attributes.iter().any(|a| a == "phone_number") && is_phone_number(raw) {
                return Err(Error::invalid("Username cannot be of phone number format, since user pool is configured for phone_number alias."));
            }
            return Ok(username);
        }
        let attribute = if raw.contains('@') && pool.signs_in_with("email") {
            "email"
        } else if is_phone_number(raw) && pool.signs_in_with("phone_number") {
            "phone_number"
        } else {
            return Err(Error::invalid(
                "Username should be either an email or a phone number.",
            ));
        };
        attributes.retain(|a| a.name != attribute);
        attributes.push(Attribute {
            name: attribute.into(),
            value: raw.to_owned(),
        });
        Username::parse(sub)
    }

    /// Sign-in attributes must stay unique: usernames by email/phone always, aliases once verified.
    /// Checks that the user's sign-in names (email or phone as username, verified aliases) are
    /// free, with Cognito's errors, and marks them so that the store keeps them unique even
    /// against a racing request.
    async fn check_unique_sign_in_attributes(
        &self,
        pool: &UserPool,
        user: &mut User,
    ) -> Result<()> {
        user.sign_in_names = pool
            .username_attributes
            .iter()
            .filter(|a| user.attribute(a).is_some())
            .chain(pool.alias_attributes.iter().filter(|a| {
                user.attribute(a).is_some()
                    && (a.as_str() == "preferred_username" || user.is_verified(a))
            }))
            .cloned()
            .collect();
        for attribute in &pool.username_attributes {
            if let Some(value) = user.attribute(attribute) {
                let others = self
                    .store
                    .find_users_by_attribute(&pool.id, attribute, value)
                    .await?;
                if others.iter().any(|o| o.sub != user.sub) {
                    return Err(Error::UsernameExists(format!(
                        "An account with the given {attribute} already exists."
                    )));
                }
            }
        }
        for attribute in &pool.alias_attributes {
            let Some(value) = user.attribute(attribute) else {
                continue;
            };
            if attribute != "preferred_username" && !user.is_verified(attribute) {
                continue;
            }
            let others = self
                .store
                .find_users_by_attribute(&pool.id, attribute, value)
                .await?;
            if others.iter().any(|o| {
                o.sub != user.sub && (attribute == "preferred_username" || o.is_verified(attribute))
            }) {
                return Err(Error::AliasExists(format!(
                    "An account with the given {attribute} already exists."
                )));
            }
        }
        Ok(())
    }

    fn new_user(
        pool: &UserPool,
        sub: String,
        username: Username,
        attributes: Vec<Attribute>,
        status: UserStatus,
    ) -> User {
        let created = now();
        User {
            sub,
            pool_id: pool.id.clone(),
            username_key: pool.username_key(username.as_str()),
            username,
            status,
            enabled: true,
            password_hash: None,
            sealed_srp_verifier: None,
            attributes,
            sign_in_names: Vec::new(),
            created,
            modified: created,
            failed_sign_ins: 0,
            last_failed_sign_in: None,
            temporary_password_expires: None,
        }
    }

    pub(super) async fn save(&self, user: &mut User, audit: Audit<'_>) -> Result<()> {
        user.modified = now();
        if self.store.update_user(user, audit).await? {
            Ok(())
        } else {
            Err(Error::UserNotFound("User does not exist.".into()))
        }
    }

    /// Saves the user and consumes the code that allowed the change, in one transaction.
    async fn save_consuming_code(&self, user: &mut User, purpose: &CodePurpose) -> Result<()> {
        user.modified = now();
        if self.store.update_user_consuming_code(user, purpose).await? {
            Ok(())
        } else {
            Err(Error::UserNotFound("User does not exist.".into()))
        }
    }

    // --- sign-up -------------------------------------------------------------------------

    /// SignUp: returns the new user and where the confirmation code went, if anywhere.
    pub async fn sign_up(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        new: NewUser,
        password: &str,
    ) -> Result<(User, Option<CodeDelivery>)> {
        let client = self.client(client_id).await?;
        let pool = self.pool(&client.pool_id).await?;
        if pool.allow_admin_create_user_only {
            return Err(Error::NotAuthorized(
                "SignUp is not permitted for this user pool".into(),
            ));
        }
        check_secret_hash(&client, secret_hash, &[&new.username])?;
        let mut attributes = new.attributes;
        Self::validate_attributes(&pool, &attributes)?;
        let sub = uuid::Uuid::new_v4().to_string();
        let username = Self::resolve_new_username(&pool, &new.username, &sub, &mut attributes)?;
        check_password_policy(&pool.password_policy, password)?;
        if let Some(missing) = pool
            .required_attributes()
            .find(|r| !attributes.iter().any(|a| &a.name == r))
        {
            return Err(Error::invalid(format!(
                "Attributes did not conform to the schema: {missing}: The attribute is required"
            )));
        }
        // Users cannot mark their own attributes verified.
        attributes.retain(|a| !a.name.ends_with("_verified"));
        let mut user = Self::new_user(&pool, sub, username, attributes, UserStatus::Unconfirmed);
        self.set_password(&mut user, password).await?;
        self.check_unique_sign_in_attributes(&pool, &mut user)
            .await?;
        self.store
            .insert_user(&user, None)
            .await
            .map_err(|e| taken_name(&pool, e))?;
        let delivery = match pool
            .auto_verified_attributes
            .iter()
            .find(|a| user.attribute(a).is_some())
        {
            Some(attribute) => Some(
                self.send_code(&pool, &user, CodePurpose::SignUp, Some(attribute))
                    .await?,
            ),
            None => None,
        };
        Ok((user, delivery))
    }

    pub async fn confirm_sign_up(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        login: &str,
        code: &str,
    ) -> Result<()> {
        let client = self.client(client_id).await?;
        let pool = self.pool(&client.pool_id).await?;
        let mut user = self
            .confirming_user(&client, &pool, secret_hash, login)
            .await?;
        if user.status != UserStatus::Unconfirmed {
            return Err(Error::NotAuthorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        self.check_code(&pool, &user, &CodePurpose::SignUp, code)
            .await?;
        user.status = UserStatus::Confirmed;
        if let Some(attribute) = pool
            .auto_verified_attributes
            .iter()
            .find(|a| user.attribute(a).is_some())
        {
            user.set_attribute(&format!("{attribute}_verified"), "true".into());
        }
        self.check_unique_sign_in_attributes(&pool, &mut user)
            .await?;
        self.save_consuming_code(&mut user, &CodePurpose::SignUp)
            .await
    }

    pub async fn resend_confirmation_code(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        login: &str,
    ) -> Result<CodeDelivery> {
        let client = self.client(client_id).await?;
        let pool = self.pool(&client.pool_id).await?;
        let Some(user) = self
            .named_user(&client, &pool, secret_hash, login, "User does not exist.")
            .await?
        else {
            return Ok(self.simulated_delivery(&pool, login));
        };
        if user.status != UserStatus::Unconfirmed {
            return Err(Error::invalid("User is already confirmed."));
        }
        let attribute = pool
            .auto_verified_attributes
            .iter()
            .find(|a| user.attribute(a).is_some())
            .cloned();
        self.send_code(&pool, &user, CodePurpose::SignUp, attribute.as_deref())
            .await
    }

    // --- administration ------------------------------------------------------------------

    pub async fn admin_confirm_sign_up(&self, pool: &PoolId, login: &str) -> Result<()> {
        let pool = self.pool(pool).await?;
        let mut user = self.user(&pool, login).await?;
        if user.status != UserStatus::Unconfirmed {
            return Err(Error::NotAuthorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        user.status = UserStatus::Confirmed;
        let audit = user_change("AdminConfirmSignUp", &user, json!({}));
        self.save(&mut user, Some(&audit)).await
    }

    /// AdminCreateUser. `message_action`: None (send a welcome message), "SUPPRESS" or "RESEND".
    pub async fn admin_create_user(
        &self,
        pool: &PoolId,
        new: NewUser,
        temporary_password: Option<String>,
        message_action: Option<&str>,
    ) -> Result<User> {
        let pool = self.pool(pool).await?;
        let temporary_password = match temporary_password {
            Some(p) => {
                check_password_policy(&pool.password_policy, &p)?;
                p
            }
            None => generate_temporary_password(),
        };
        let expires = now().plus_secs(
            i64::from(pool.password_policy.temporary_password_validity_days.max(1)) * 86_400,
        );
        let mut user = match message_action {
            Some("RESEND") => {
                let mut user = self.user(&pool, &new.username).await?;
                if user.status != UserStatus::ForceChangePassword {
                    return Err(Error::UnsupportedOperation(
                        "Resend not possible. User has already signed in.".into(),
                    ));
                }
                self.set_password(&mut user, &temporary_password).await?;
                user.temporary_password_expires = Some(expires);
                let audit = user_change(
                    "AdminCreateUser",
                    &user,
                    json!({"message_action": "RESEND"}),
                );
                self.save(&mut user, Some(&audit)).await?;
                user
            }
            None | Some("SUPPRESS") => {
                let mut attributes = new.attributes;
                Self::validate_attributes(&pool, &attributes)?;
                let sub = uuid::Uuid::new_v4().to_string();
                let username =
                    Self::resolve_new_username(&pool, &new.username, &sub, &mut attributes)?;
                let mut user = Self::new_user(
                    &pool,
                    sub,
                    username,
                    attributes,
                    UserStatus::ForceChangePassword,
                );
                self.set_password(&mut user, &temporary_password).await?;
                user.temporary_password_expires = Some(expires);
                self.check_unique_sign_in_attributes(&pool, &mut user)
                    .await?;
                let audit = user_change(
                    "AdminCreateUser",
                    &user,
                    json!({"attributes": attribute_names(&user.attributes), "message_action": message_action}),
                );
                self.store
                    .insert_user(&user, Some(&audit))
                    .await
                    .map_err(|e| taken_name(&pool, e))?;
                user
            }
            Some(other) => return Err(Error::invalid(format!("Invalid MessageAction: {other}"))),
        };
        if message_action != Some("SUPPRESS") {
            self.send_welcome(&pool, &user, &temporary_password).await?;
        }
        user.password_hash = None;
        user.sealed_srp_verifier = None;
        Ok(user)
    }

    async fn send_welcome(
        &self,
        pool: &UserPool,
        user: &User,
        temporary_password: &str,
    ) -> Result<()> {
        let Some((_, destination)) = Self::delivery_target(user, None) else {
            return Ok(());
        };
        let body = format!(
            "Your username is {} and temporary password is {temporary_password}.",
            user.username
        );
        self.queue_message(pool, user, destination, "Your temporary password", body)
            .await
    }

    pub async fn admin_set_user_password(
        &self,
        pool: &PoolId,
        login: &str,
        password: &str,
        permanent: bool,
    ) -> Result<()> {
        let pool = self.pool(pool).await?;
        let mut user = self.user(&pool, login).await?;
        check_password_policy(&pool.password_policy, password)?;
        self.set_password(&mut user, password).await?;
        if permanent {
            user.status = UserStatus::Confirmed;
            user.temporary_password_expires = None;
        } else {
            user.status = UserStatus::ForceChangePassword;
            user.temporary_password_expires = Some(now().plus_secs(
                i64::from(pool.password_policy.temporary_password_validity_days.max(1)) * 86_400,
            ));
        }
        let audit = user_change(
            "AdminSetUserPassword",
            &user,
            json!({"permanent": permanent}),
        );
        self.save(&mut user, Some(&audit)).await?;
        self.clear_lockout(&user).await
    }

    pub async fn admin_get_user(&self, pool: &PoolId, login: &str) -> Result<User> {
        let pool = self.pool(pool).await?;
        self.user(&pool, login).await
    }

    pub async fn admin_delete_user(&self, pool: &PoolId, login: &str) -> Result<()> {
        let pool = self.pool(pool).await?;
        let user = self.user(&pool, login).await?;
        let audit = user_change("AdminDeleteUser", &user, json!({}));
        if !self
            .store
            .delete_user(&pool.id, &user.sub, Some(&audit))
            .await?
        {
            return Err(Error::UserNotFound("User does not exist.".into()));
        }
        Ok(())
    }

    /// Disabling a user also revokes every session they have.
    pub async fn admin_set_user_enabled(
        &self,
        pool: &PoolId,
        login: &str,
        enabled: bool,
    ) -> Result<()> {
        let pool = self.pool(pool).await?;
        let mut user = self.user(&pool, login).await?;
        user.enabled = enabled;
        let action = if enabled {
            "AdminEnableUser"
        } else {
            "AdminDisableUser"
        };
        let audit = user_change(action, &user, json!({}));
        self.save(&mut user, Some(&audit)).await?;
        if !enabled {
            self.store
                .revoke_user_sessions(&pool.id, &user.sub, None)
                .await?;
        }
        Ok(())
    }

    /// Sets attributes. A changed email or phone number is unverified unless the caller says
    /// otherwise in the same call.
    fn apply_attributes(user: &mut User, attributes: &[Attribute]) -> Vec<String> {
        let mut changed_verifiable = Vec::new();
        for attribute in attributes {
            let is_verifiable = attribute.name == "email" || attribute.name == "phone_number";
            if is_verifiable && user.attribute(&attribute.name) != Some(attribute.value.as_str()) {
                changed_verifiable.push(attribute.name.clone());
            }
            user.set_attribute(&attribute.name, attribute.value.clone());
        }
        for name in &changed_verifiable {
            let flag = format!("{name}_verified");
            if !attributes.iter().any(|a| a.name == flag) {
                user.set_attribute(&flag, "false".into());
            }
        }
        changed_verifiable
    }

    pub async fn admin_update_user_attributes(
        &self,
        pool: &PoolId,
        login: &str,
        attributes: Vec<Attribute>,
    ) -> Result<()> {
        let pool = self.pool(pool).await?;
        let mut user = self.user(&pool, login).await?;
        Self::validate_attributes(&pool, &attributes)?;
        Self::apply_attributes(&mut user, &attributes);
        self.check_unique_sign_in_attributes(&pool, &mut user)
            .await?;
        let audit = user_change(
            "AdminUpdateUserAttributes",
            &user,
            json!({"attributes": attribute_names(&attributes)}),
        );
        self.save(&mut user, Some(&audit)).await
    }

    pub async fn admin_delete_user_attributes(
        &self,
        pool: &PoolId,
        login: &str,
        names: &[String],
    ) -> Result<()> {
        let pool = self.pool(pool).await?;
        let mut user = self.user(&pool, login).await?;
        for name in names {
            if !pool.knows_attribute(name) || name == "sub" {
                return Err(Error::invalid(format!("Invalid attribute name: {name}")));
            }
            if pool.required_attributes().any(|r| r == name) || pool.signs_in_with(name) {
                return Err(Error::invalid(format!(
                    "Cannot delete the required attribute {name}"
                )));
            }
            user.remove_attribute(name);
        }
        let audit = user_change(
            "AdminDeleteUserAttributes",
            &user,
            json!({"attributes": names}),
        );
        self.save(&mut user, Some(&audit)).await
    }

    /// The user must reset their password with a code before signing in again.
    pub async fn admin_reset_user_password(&self, pool: &PoolId, login: &str) -> Result<()> {
        let pool = self.pool(pool).await?;
        let mut user = self.user(&pool, login).await?;
        if !user.enabled {
            return Err(Error::NotAuthorized("User is disabled.".into()));
        }
        if user.status == UserStatus::Unconfirmed {
            return Err(Error::NotAuthorized(
                "User password cannot be reset in the current state.".into(),
            ));
        }
        user.status = UserStatus::ResetRequired;
        let audit = user_change("AdminResetUserPassword", &user, json!({}));
        self.save(&mut user, Some(&audit)).await?;
        if Self::delivery_target(&user, None).is_some() {
            self.send_code(&pool, &user, CodePurpose::ForgotPassword, None)
                .await?;
        }
        Ok(())
    }

    pub async fn admin_user_global_sign_out(&self, pool: &PoolId, login: &str) -> Result<()> {
        let pool = self.pool(pool).await?;
        let user = self.user(&pool, login).await?;
        let audit = user_change("AdminUserGlobalSignOut", &user, json!({}));
        self.store
            .revoke_user_sessions(&pool.id, &user.sub, Some(&audit))
            .await?;
        Ok(())
    }

    pub async fn list_users(
        &self,
        pool: &PoolId,
        filter: Option<&UserFilter>,
        limit: u32,
        token: Option<&str>,
    ) -> Result<Page<User>> {
        self.pool(pool).await?;
        let scope = format!("ListUsers\0{pool}\0{filter:?}");
        let after = self.page_after(&scope, token)?;
        let page = self
            .store
            .list_users(pool, filter, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    // --- self-service with an access token -------------------------------------------------

    pub async fn get_user(&self, access_token: &str) -> Result<User> {
        Ok(self.authenticate_access_token(access_token).await?.user)
    }

    pub async fn update_user_attributes(
        &self,
        access_token: &str,
        attributes: Vec<Attribute>,
    ) -> Result<Vec<CodeDelivery>> {
        let caller = self.authenticate_access_token(access_token).await?;
        let (pool, mut user) = (caller.pool, caller.user);
        Self::validate_attributes(&pool, &attributes)?;
        if let Some(a) = attributes.iter().find(|a| a.name.ends_with("_verified")) {
            return Err(Error::NotAuthorized(format!(
                "A client attempted to write unauthorized attribute {}",
                a.name
            )));
        }
        if let Some(a) = attributes.iter().find(|a| {
            !caller.client.write_attributes.is_empty()
                && !caller.client.write_attributes.contains(&a.name)
        }) {
            return Err(Error::NotAuthorized(format!(
                "A client attempted to write unauthorized attribute {}",
                a.name
            )));
        }
        let changed = Self::apply_attributes(&mut user, &attributes);
        self.check_unique_sign_in_attributes(&pool, &mut user)
            .await?;
        self.save(&mut user, None).await?;
        let mut deliveries = Vec::new();
        for attribute in changed
            .iter()
            .filter(|a| pool.auto_verified_attributes.contains(a))
        {
            deliveries.push(
                self.send_code(
                    &pool,
                    &user,
                    CodePurpose::VerifyAttribute(attribute.clone()),
                    Some(attribute),
                )
                .await?,
            );
        }
        Ok(deliveries)
    }

    pub async fn get_user_attribute_verification_code(
        &self,
        access_token: &str,
        attribute: &str,
    ) -> Result<CodeDelivery> {
        let caller = self.authenticate_access_token(access_token).await?;
        if attribute != "email" && attribute != "phone_number" {
            return Err(Error::invalid(format!(
                "Attribute {attribute} cannot be verified."
            )));
        }
        if caller.user.attribute(attribute).is_none() {
            return Err(Error::invalid(format!("The user has no {attribute}.")));
        }
        self.send_code(
            &caller.pool,
            &caller.user,
            CodePurpose::VerifyAttribute(attribute.to_owned()),
            Some(attribute),
        )
        .await
    }

    pub async fn verify_user_attribute(
        &self,
        access_token: &str,
        attribute: &str,
        code: &str,
    ) -> Result<()> {
        let caller = self.authenticate_access_token(access_token).await?;
        let (pool, mut user) = (caller.pool, caller.user);
        let purpose = CodePurpose::VerifyAttribute(attribute.to_owned());
        self.check_code(&pool, &user, &purpose, code).await?;
        user.set_attribute(&format!("{attribute}_verified"), "true".into());
        self.check_unique_sign_in_attributes(&pool, &mut user)
            .await?;
        self.save_consuming_code(&mut user, &purpose).await
    }

    pub async fn delete_user(&self, access_token: &str) -> Result<()> {
        let caller = self.authenticate_access_token(access_token).await?;
        self.store
            .delete_user(&caller.pool.id, &caller.user.sub, None)
            .await?;
        Ok(())
    }

    pub async fn change_password(
        &self,
        access_token: &str,
        previous: &str,
        proposed: &str,
    ) -> Result<()> {
        let caller = self.authenticate_access_token(access_token).await?;
        let (pool, mut user) = (caller.pool, caller.user);
        self.admit_password_attempt(&user).await?;
        if !self
            .password_matches(previous, user.password_hash.as_deref())
            .await
        {
            return Err(Error::incorrect_credentials());
        }
        self.clear_lockout(&user).await?;
        check_password_policy(&pool.password_policy, proposed)?;
        self.set_password(&mut user, proposed).await?;
        self.save(&mut user, None).await
    }

    // --- forgotten passwords -----------------------------------------------------------------

    pub async fn forgot_password(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        login: &str,
    ) -> Result<CodeDelivery> {
        let client = self.client(client_id).await?;
        let pool = self.pool(&client.pool_id).await?;
        let Some(user) = self
            .named_user(
                &client,
                &pool,
                secret_hash,
                login,
                "Username/client id combination not found.",
            )
            .await?
        else {
            // Answer as if a code went out, so that the caller learns nothing.
            return Ok(self.simulated_delivery(&pool, login));
        };
        if !user.enabled {
            return Err(Error::NotAuthorized("User is disabled.".into()));
        }
        let verified = ["email", "phone_number"]
            .into_iter()
            .find(|a| user.is_verified(a));
        let Some(attribute) = verified else {
            return Err(Error::invalid(
                "Cannot reset password for the user as there is no registered/verified email or phone_number",
            ));
        };
        self.send_code(&pool, &user, CodePurpose::ForgotPassword, Some(attribute))
            .await
    }

    pub async fn confirm_forgot_password(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        login: &str,
        code: &str,
        password: &str,
    ) -> Result<()> {
        let client = self.client(client_id).await?;
        let pool = self.pool(&client.pool_id).await?;
        let mut user = self
            .confirming_user(&client, &pool, secret_hash, login)
            .await?;
        check_password_policy(&pool.password_policy, password)?;
        self.check_code(&pool, &user, &CodePurpose::ForgotPassword, code)
            .await?;
        self.set_password(&mut user, password).await?;
        if matches!(
            user.status,
            UserStatus::ResetRequired | UserStatus::ForceChangePassword
        ) {
            user.status = UserStatus::Confirmed;
            user.temporary_password_expires = None;
        }
        self.save_consuming_code(&mut user, &CodePurpose::ForgotPassword)
            .await?;
        self.clear_lockout(&user).await
    }

    /// The user an unauthenticated call (codes, confirmations) names, once the client's
    /// SECRET_HASH checks out. None for a name that is no user when the client hides which
    /// users exist: the caller then answers as it would for a real one. Otherwise an unknown
    /// name is UserNotFound with `not_found`.
    async fn named_user(
        &self,
        client: &AppClient,
        pool: &UserPool,
        secret_hash: Option<&str>,
        login: &str,
        not_found: &str,
    ) -> Result<Option<User>> {
        match self.find_user(pool, login).await? {
            Some(user) => {
                check_secret_hash(client, secret_hash, &[login, user.username.as_str()])?;
                Ok(Some(user))
            }
            None if client.prevent_user_existence_errors => {
                check_secret_hash(client, secret_hash, &[login])?;
                Ok(None)
            }
            None => Err(Error::UserNotFound(not_found.into())),
        }
    }

    /// The user a confirmation (ConfirmSignUp, ConfirmForgotPassword) names; a name that is no
    /// user, in a pool that hides them, answers as a wrong code does.
    async fn confirming_user(
        &self,
        client: &AppClient,
        pool: &UserPool,
        secret_hash: Option<&str>,
        login: &str,
    ) -> Result<User> {
        self.named_user(client, pool, secret_hash, login, "User does not exist.")
            .await?
            .ok_or_else(super::messages::wrong_code)
    }

    /// A new password starts with no failed sign-ins.
    async fn clear_lockout(&self, user: &User) -> Result<()> {
        self.store
            .clear_failed_sign_ins(&user.pool_id, &user.sub)
            .await
    }
}

/// The store reports a taken sign-in name as AliasExists; in pools that sign in by email or phone
/// that name is the username, and Cognito says UsernameExists.
fn taken_name(pool: &UserPool, error: Error) -> Error {
    match error {
        Error::AliasExists(message) if !pool.username_attributes.is_empty() => {
            Error::UsernameExists(message)
        }
        other => other,
    }
}

fn is_phone_number(value: &str) -> bool {
    value.len() >= 8
        && value.len() <= 17
        && value.starts_with('+')
        && value[1..].chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_names_the_first_missing_character_class() {
        let policy = PasswordPolicy::default();
        let reason = |p: &str| {
            check_password_policy(&policy, p)
                .unwrap_err()
                .message()
                .to_owned()
        };
        assert_eq!(
            reason("Sh0rt!"),
            "Password did not conform with policy: Password not long enough"
        );
        assert_eq!(
            reason("ALLUPPER1!"),
            "Password did not conform with policy: Password must have lowercase characters"
        );
        assert_eq!(
            reason("alllower1!"),
            "Password did not conform with policy: Password must have uppercase characters"
        );
        assert_eq!(
            reason("NoNumbers!"),
            "Password did not conform with policy: Password must have numeric characters"
        );
        assert_eq!(
            reason("NoSymbols1"),
            "Password did not conform with policy: Password must have symbol characters"
        );
        assert!(check_password_policy(&policy, "Good-Pass1").is_ok());
    }

    #[test]
    fn generated_temporary_passwords_satisfy_the_strictest_policy() {
        let policy = PasswordPolicy {
            minimum_length: 12,
            ..PasswordPolicy::default()
        };
        for _ in 0..200 {
            check_password_policy(&policy, &generate_temporary_password()).unwrap();
        }
    }
}

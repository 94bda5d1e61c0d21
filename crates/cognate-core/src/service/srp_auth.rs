//! USER_SRP_AUTH: the PASSWORD_VERIFIER challenge. Everything needed to finish travels in the
//! SECRET_BLOCK, sealed under the master key, because some clients never send a Session back;
//! each block answers once and for five minutes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::OffsetDateTime;

use super::auth::{AuthOutcome, AuthParameters};
use super::{check_secret_hash, now, Cognito};
use crate::crypto::{constant_time_eq, random_bytes};
use crate::error::{Error, Result};
use crate::ids::{ClientId, PoolId, Timestamp};
use crate::model::AppClient;
use crate::srp;

pub const SALT_LEN: usize = 16;
/// How long a SECRET_BLOCK can be answered.
pub const CHALLENGE_LIFETIME_SECS: i64 = 5 * 60;
/// How far the client's TIMESTAMP may be from the server's clock.
pub const TIMESTAMP_SKEW_SECS: i64 = 5 * 60;

#[derive(Serialize, Deserialize)]
struct SecretBlock {
    /// Single-use marker.
    id: String,
    pool: PoolId,
    client: ClientId,
    /// None for a decoy challenge (unknown user, or a user without an SRP verifier).
    sub: Option<String>,
    /// USER_ID_FOR_SRP, and what the user typed.
    user_id: String,
    login: String,
    a: String,
    b: String,
    issued: Timestamp,
}

fn incorrect() -> Error {
    Error::incorrect_credentials()
}

fn expired_session() -> Error {
    Error::NotAuthorized("Invalid session for the user, session is expired.".into())
}

fn required(params: &AuthParameters, name: &str) -> Result<String> {
    params
        .get(name)
        .filter(|v| !v.is_empty())
        .cloned()
        .ok_or_else(|| Error::invalid(format!("Missing required parameter {name}")))
}

/// Cognito's TIMESTAMP: `Wed Mar 6 12:34:56 UTC 2024` (the day may or may not be padded).
pub fn parse_timestamp(raw: &str) -> Option<OffsetDateTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let parts: Vec<&str> = raw.split_whitespace().collect();
    let [weekday, month, day, clock, zone, year] = parts.as_slice() else {
        return None;
    };
    if !DAYS.contains(weekday) || *zone != "UTC" {
        return None;
    }
    let month = MONTHS.iter().position(|m| m == month)? as u8 + 1;
    let mut hms = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    let date = time::Date::from_calendar_date(
        year.parse().ok()?,
        time::Month::try_from(month).ok()?,
        day.parse().ok()?,
    )
    .ok()?;
    let moment = date.with_hms(hour, minute, second).ok()?.assume_utc();
    (moment.weekday().to_string()[..3] == **weekday).then_some(moment)
}

impl Cognito {
    /// InitiateAuth / AdminInitiateAuth with USER_SRP_AUTH: answers PASSWORD_VERIFIER.
    pub(super) async fn start_srp(
        &self,
        client: &AppClient,
        params: &AuthParameters,
    ) -> Result<AuthOutcome> {
        let login = required(params, "USERNAME")?;
        let client_public = srp::parse_client_public(&required(params, "SRP_A")?)?;
        let pool = self.pool(&client.pool_id).await?;
        let found = self
            .find_signing_in_user(&pool, client, params, &login)
            .await?;
        if found.is_none() && !client.prevent_user_existence_errors {
            return Err(Error::UserNotFound("User does not exist.".into()));
        }

        let real = match &found {
            Some(user) => match &user.sealed_srp_verifier {
                Some(sealed) => Some((user, self.secrets.open(sealed)?)),
                None => None,
            },
            None => None,
        };
        let (sub, user_id, salt, verifier) = match real {
            Some((user, record)) => {
                let (salt, verifier) = record.split_at(SALT_LEN.min(record.len()));
                (
                    Some(user.sub.clone()),
                    user.username.to_string(),
                    salt.to_vec(),
                    verifier.to_vec(),
                )
            }
            None => {
                // A decoy that looks like a real challenge: an identifier and a salt derived under
                // the server's key from the name as the pool compares it (so the case typed
                // changes neither, as for a real user), and a verifier no password matches.
                let mac = self.name_mac(&pool, "srp decoy", &login);
                let user_id = match &found {
                    Some(user) => user.username.to_string(),
                    None if !pool.username_attributes.is_empty() => {
                        uuid::Builder::from_random_bytes(mac[..16].try_into().expect("16 bytes"))
                            .into_uuid()
                            .to_string()
                    }
                    None => pool.username_key(&login),
                };
                let mut verifier = random_bytes::<384>().to_vec();
                verifier[0] &= 0x7f;
                (None, user_id, mac[16..].to_vec(), verifier)
            }
        };
        let (b, server_public) = self
            .cpu_bound(move || loop {
                let b = random_bytes::<32>();
                if let Some(public) = srp::server_public(&verifier, &b) {
                    break (b, public);
                }
            })
            .await?;

        let block = SecretBlock {
            id: uuid::Uuid::new_v4().to_string(),
            pool: pool.id.clone(),
            client: client.id.clone(),
            sub,
            user_id: user_id.clone(),
            login,
            a: hex::encode(&client_public),
            b: hex::encode(b),
            issued: now(),
        };
        let sealed = self.secrets.seal(
            &serde_json::to_vec(&block)
                .map_err(Error::caused_by("encoding an SRP secret block"))?,
        );
        let parameters = HashMap::from([
            ("SALT".to_owned(), hex::encode(strip_leading_zeros(&salt))),
            ("SRP_B".to_owned(), hex::encode(&server_public)),
            ("SECRET_BLOCK".to_owned(), STANDARD.encode(sealed)),
            ("USER_ID_FOR_SRP".to_owned(), user_id.clone()),
            ("USERNAME".to_owned(), user_id),
        ]);
        Ok(AuthOutcome::Challenge {
            name: "PASSWORD_VERIFIER".into(),
            session: None,
            parameters,
        })
    }

    /// RespondToAuthChallenge PASSWORD_VERIFIER: checks the client's proof of the password.
    pub(super) async fn complete_password_verifier(
        &self,
        client: &AppClient,
        responses: &AuthParameters,
    ) -> Result<AuthOutcome> {
        let block_b64 = required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        let signature_b64 = required(responses, "PASSWORD_CLAIM_SIGNATURE")?;
        let timestamp = required(responses, "TIMESTAMP")?;
        let username = required(responses, "USERNAME")?;

        let block_bytes = STANDARD.decode(&block_b64).map_err(|_| incorrect())?;
        let plain = self.secrets.open(&block_bytes).map_err(|_| incorrect())?;
        let block: SecretBlock = serde_json::from_slice(&plain).map_err(|_| incorrect())?;
        if block.client != client.id || block.pool != client.pool_id {
            return Err(incorrect());
        }
        if block.issued.plus_secs(CHALLENGE_LIFETIME_SECS) < now() {
            return Err(expired_session());
        }
        let moment = parse_timestamp(&timestamp).ok_or_else(|| {
            Error::invalid(format!("TIMESTAMP format is invalid: {timestamp}; expected e.g. Wed Mar 6 12:34:56 UTC 2024"))
        })?;
        if (OffsetDateTime::now_utc() - moment).whole_seconds().abs() > TIMESTAMP_SKEW_SECS {
            return Err(Error::invalid(
                "TIMESTAMP is too far from the server's time.",
            ));
        }
        if username != block.user_id && username != block.login {
            return Err(incorrect());
        }
        check_secret_hash(
            client,
            responses.get("SECRET_HASH").map(String::as_str),
            &[&username, &block.user_id, &block.login],
        )?;
        if !self
            .store
            .consume_challenge(
                &block.id,
                block.issued.plus_secs(CHALLENGE_LIFETIME_SECS),
                now(),
            )
            .await?
        {
            return Err(expired_session());
        }

        let pool = self.pool(&block.pool).await?;
        let user = match &block.sub {
            Some(sub) => self.store.get_user_by_sub(&pool.id, sub).await?,
            None => None,
        };
        let Some(user) = user else {
            // The decoy's answer, which fails like a wrong password and locks out like one.
            if client.prevent_user_existence_errors {
                self.admit_unknown_attempt(&pool, &block.login).await?;
            }
            return Err(incorrect());
        };
        self.admit_password_attempt(&user).await?;
        let Some(sealed) = &user.sealed_srp_verifier else {
            return Err(incorrect());
        };
        let record = self.secrets.open(sealed)?;
        let verifier = record[SALT_LEN.min(record.len())..].to_vec();
        let client_public =
            hex::decode(&block.a).map_err(Error::caused_by("decoding an SRP secret block"))?;
        let b: [u8; 32] = hex::decode(&block.b)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::internal("sealed b"))?;
        let pool_name = pool.id.short_name().to_owned();
        let user_id = block.user_id.clone();
        let expected = self
            .cpu_bound(move || {
                let server_public = srp::server_public(&verifier, &b)?;
                let key = srp::session_key(&client_public, &server_public, &b, &verifier)?;
                Some(srp::password_claim_signature(
                    &key,
                    &pool_name,
                    &user_id,
                    &block_bytes,
                    &timestamp,
                ))
            })
            .await?;
        let provided = STANDARD.decode(signature_b64.trim()).unwrap_or_default();
        let matches = expected.is_some_and(|e| constant_time_eq(&e, &provided));
        if !matches {
            tracing::info!(pool = %pool.id, user = %user.username, "failed SRP sign-in");
            return Err(incorrect());
        }
        self.store
            .clear_failed_sign_ins(&pool.id, &user.sub)
            .await?;
        self.after_first_factor(&pool, client, user).await
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_as_clients_write_them() {
        let t = parse_timestamp("Wed Mar 6 12:34:56 UTC 2024").unwrap();
        assert_eq!((t.year(), t.day(), t.hour(), t.second()), (2024, 6, 12, 56));
        assert!(
            parse_timestamp("Wed Mar 06 12:34:56 UTC 2024").is_some(),
            "padded day"
        );
        assert!(parse_timestamp("Sat Nov 16 01:02:03 UTC 2024").is_some());
    }

    #[test]
    fn malformed_timestamps_are_refused() {
        for bad in [
            "",
            "2024-03-06T12:34:56Z",
            "Wed Mar 6 12:34:56 GMT 2024",
            "Thu Mar 6 12:34:56 UTC 2024",
            "Wed Mar 36 12:34:56 UTC 2024",
            "Wed Foo 6 12:34:56 UTC 2024",
            "Wed Mar 6 25:34:56 UTC 2024",
            "Wed Mar 6 12:34 UTC 2024",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad:?}");
        }
    }
}

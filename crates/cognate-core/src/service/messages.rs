//! Verification codes and the messages that carry them. Codes are stored hashed; the message
//! goes to the outbox (sealed at rest) and a log line says that it went, never what it says.

use super::{now, Cognito};
use crate::crypto::random_code;
use crate::error::{Error, Result};
use crate::ids::PoolId;
use crate::model::{CodePurpose, OutboxMessage, User, UserPool, VerificationCode};
use crate::store::IssueLimit;

/// Delivers messages beyond the outbox (SMTP, when configured).
#[async_trait::async_trait]
pub trait MessageSender: Send + Sync + 'static {
    async fn deliver(&self, message: &OutboxMessage) -> Result<()>;
}

/// Where a code went, as CodeDeliveryDetails reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDelivery {
    pub destination: String,
    pub medium: &'static str,
    pub attribute: String,
}

/// Sign-up and attribute codes last a day, password reset codes an hour (Cognito's lifetimes).
fn lifetime_secs(purpose: &CodePurpose) -> i64 {
    match purpose {
        CodePurpose::ForgotPassword => 3600,
        _ => 24 * 3600,
    }
}

/// After this many wrong codes the code is void and a new one must be requested.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// How many codes one user may be sent for one purpose in an hour; more answer
/// LimitExceededException, as Cognito does.
pub const CODE_ISSUE_LIMIT: IssueLimit = IssueLimit {
    per_window: 5,
    window_secs: 3600,
};

/// The answer to a wrong code.
pub(super) fn wrong_code() -> Error {
    Error::CodeMismatch("Invalid verification code provided, please try again.".into())
}

pub(super) fn mask_for(attribute: &str, value: &str) -> String {
    if attribute == "email" {
        if let Some((local, domain)) = value.split_once('@') {
            let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
            let tld = domain
                .rsplit_once('.')
                .map(|(_, t)| format!(".{t}"))
                .unwrap_or_default();
            return format!("{}***@{}***{}", first(local), first(domain), tld);
        }
    }
    let visible: String = value
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("+*******{visible}")
}

impl Cognito {
    /// Picks where a code for `user` goes: the requested attribute, else email, else phone.
    pub(super) fn delivery_target(
        user: &User,
        attribute: Option<&str>,
    ) -> Option<(String, String)> {
        let candidates: Vec<&str> = match attribute {
            Some(a) => vec![a],
            None => vec!["email", "phone_number"],
        };
        candidates
            .into_iter()
            .find_map(|a| user.attribute(a).map(|v| (a.to_owned(), v.to_owned())))
    }

    /// What a code for a name that is no user would have looked like, for pools that hide
    /// which users exist: the medium a user of this pool gets a code by, and a masked
    /// destination derived under the server's key from the name as the pool compares it, so
    /// that one name always gets one answer and the answer has the shape of a real one. A name
    /// that is itself an email address is masked as a real user's own address would be.
    pub(super) fn simulated_delivery(&self, pool: &UserPool, login: &str) -> CodeDelivery {
        let by_phone = pool
            .auto_verified_attributes
            .iter()
            .any(|a| a == "phone_number")
            && !pool.auto_verified_attributes.iter().any(|a| a == "email");
        let mac = self.name_mac(pool, "simulated delivery", login);
        if by_phone {
            let digits: String = mac[..4].iter().map(|b| char::from(b'0' + b % 10)).collect();
            return CodeDelivery {
                destination: mask_for("phone_number", &digits),
                medium: "SMS",
                attribute: "phone_number".into(),
            };
        }
        let letter = |b: u8| char::from(b'a' + b % 26);
        let address = if login.contains('@') {
            login.to_owned()
        } else {
            format!("{}@{}.com", letter(mac[0]), letter(mac[1]))
        };
        CodeDelivery {
            destination: mask_for("email", &address),
            medium: "EMAIL",
            attribute: "email".into(),
        }
    }

    /// Creates a code for `purpose`, replacing any earlier one, and sends it.
    pub(super) async fn send_code(
        &self,
        pool: &UserPool,
        user: &User,
        purpose: CodePurpose,
        attribute: Option<&str>,
    ) -> Result<CodeDelivery> {
        let (attribute, destination) = Self::delivery_target(user, attribute).ok_or_else(|| {
            Error::invalid("Cannot send a code: the user has no email address or phone number.")
        })?;
        let code = random_code();
        let issued = self
            .store
            .put_code(
                &VerificationCode {
                    pool_id: pool.id.clone(),
                    user_sub: user.sub.clone(),
                    purpose: purpose.clone(),
                    code_hash: self.code_hash(&pool.id, &user.sub, &purpose, &code),
                    expires: now().plus_secs(lifetime_secs(&purpose)),
                    failed_attempts: 0,
                },
                CODE_ISSUE_LIMIT,
                now(),
            )
            .await?;
        if !issued {
            return Err(Error::LimitExceeded(
                "Attempt limit exceeded, please try after some time.".into(),
            ));
        }
        let (subject, body) = match purpose {
            CodePurpose::SignUp => (
                "Your verification code",
                format!("Your confirmation code is {code}"),
            ),
            CodePurpose::ForgotPassword => (
                "Your password reset code",
                format!("Your password reset code is {code}"),
            ),
            CodePurpose::VerifyAttribute(_) => (
                "Your verification code",
                format!("Your verification code is {code}"),
            ),
        };
        self.queue_message(pool, user, destination.clone(), subject, body)
            .await?;
        Ok(CodeDelivery {
            destination: mask_for(&attribute, &destination),
            medium: if attribute == "email" { "EMAIL" } else { "SMS" },
            attribute,
        })
    }

    /// Puts a message in the outbox (sealed) and, for email addresses when a sender is
    /// configured, sends it. The log says that a message went, never what it says.
    pub(super) async fn queue_message(
        &self,
        pool: &UserPool,
        user: &User,
        destination: String,
        subject: &str,
        body: String,
    ) -> Result<()> {
        let message = OutboxMessage {
            id: 0,
            pool_id: pool.id.clone(),
            username: user.username.to_string(),
            destination,
            subject: subject.into(),
            body,
            created: now(),
        };
        let id = self
            .store
            .push_message(&message, &self.secrets.seal(message.body.as_bytes()))
            .await?;
        tracing::info!(pool = %pool.id, user = %user.username, outbox_id = id, subject, "queued a message in the outbox");
        if let Some(sender) = self
            .sender
            .as_ref()
            .filter(|_| message.destination.contains('@'))
        {
            // The outbox keeps the message, so a failed delivery loses nothing the operator
            // cannot still read; the call that caused it succeeds, as the outbox is the record.
            match sender.deliver(&message).await {
                Ok(()) => tracing::info!(outbox_id = id, "sent the message by email"),
                Err(e) => {
                    tracing::warn!(outbox_id = id, error = %e, "could not send the message by email; it stays in the outbox")
                }
            }
        }
        Ok(())
    }

    /// Checks a code; a wrong one counts against the code's attempts. The code is consumed by
    /// the caller's update (see `Store::update_user_consuming_code`).
    pub(super) async fn check_code(
        &self,
        pool: &UserPool,
        user: &User,
        purpose: &CodePurpose,
        code: &str,
    ) -> Result<()> {
        let expired =
            || Error::ExpiredCode("Invalid code provided, please request a code again.".into());
        let too_many = || {
            Error::TooManyFailedAttempts(
                "Attempt limit exceeded, please try after some time.".into(),
            )
        };
        // Each guess is counted before it is checked, in one step with reading the count, so
        // that parallel guesses get MAX_CODE_ATTEMPTS tries between them and no more. A guess
        // that loses the count to another one reads the code again.
        for _ in 0..=MAX_CODE_ATTEMPTS {
            let stored = self
                .store
                .get_code(&pool.id, &user.sub, purpose)
                .await?
                .ok_or_else(expired)?;
            if stored.expires < now() {
                return Err(expired());
            }
            if stored.failed_attempts >= MAX_CODE_ATTEMPTS {
                return Err(too_many());
            }
            if !self
                .store
                .admit_code_attempt(&pool.id, &user.sub, purpose, stored.failed_attempts)
                .await?
            {
                continue;
            }
            let given = self.code_hash(&pool.id, &user.sub, purpose, code);
            if crate::crypto::constant_time_eq(stored.code_hash.as_bytes(), given.as_bytes()) {
                return Ok(());
            }
            return Err(if stored.failed_attempts + 1 >= MAX_CODE_ATTEMPTS {
                too_many()
            } else {
                wrong_code()
            });
        }
        Err(too_many())
    }

    /// A code as the store keeps it: an HMAC under a key derived from the master key, bound to
    /// the user and purpose, so that a copy of the database does not yield live codes (a plain
    /// hash of six digits is reversed by trying all million).
    fn code_hash(&self, pool: &PoolId, sub: &str, purpose: &CodePurpose, code: &str) -> String {
        let input = format!(
            "verification code\0{pool}\0{sub}\0{}\0{code}",
            purpose.as_key()
        );
        hex::encode(self.secrets.mac(input.as_bytes()))
    }

    /// The operator's view of the outbox, newest first, opened.
    pub async fn outbox(
        &self,
        pool: Option<&crate::ids::PoolId>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        let mut messages = Vec::new();
        for (mut message, sealed) in self.store.list_messages(pool, limit).await? {
            message.body = self.secrets.open_string(&sealed)?;
            messages.push(message);
        }
        Ok(messages)
    }
}

#[cfg(test)]
mod tests {
    use super::mask_for as mask;

    #[test]
    fn destinations_are_masked_as_cognito_does() {
        assert_eq!(mask("email", "tester@example.com"), "t***@e***.com");
        assert_eq!(mask("phone_number", "+15555550123"), "+*******0123");
    }
}

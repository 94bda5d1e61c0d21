//! STS: GetCallerIdentity for any signed caller, and AssumeRoleWithWebIdentity (unsigned, as
//! AWS's model says) with tokens from identity pools' GetOpenIdToken.

use cognate_core::service::{Cognito, TemporaryCredentials};
use cognate_core::Result;

use super::{unknown_action, Query, Xml};
use crate::render::Dates;
use crate::sigv4::Caller;

pub const ACTIONS: &[&str] = &["GetCallerIdentity", "AssumeRoleWithWebIdentity"];
pub const UNSIGNED: &[&str] = &["AssumeRoleWithWebIdentity"];

pub fn dispatch_signed(c: &Cognito, caller: &Caller, action: &str, out: &mut Xml) -> Result<()> {
    match action {
        "GetCallerIdentity" => {
            let account = &c.config().account_id;
            out.leaf("Arn", caller.principal.arn(account))
                .leaf("UserId", caller.principal.user_id(account))
                .leaf("Account", account);
            Ok(())
        }
        other => Err(unknown_action(other)),
    }
}

pub async fn dispatch_unsigned(c: &Cognito, action: &str, q: &Query, out: &mut Xml) -> Result<()> {
    match action {
        "AssumeRoleWithWebIdentity" => {
            let (credentials, claims) = c
                .assume_role_with_web_identity(
                    q.str("RoleArn")?,
                    q.str("RoleSessionName")?,
                    q.str("WebIdentityToken")?,
                    q.opt_i64("DurationSeconds")?,
                )
                .await?;
            render_credentials(out, &credentials);
            out.leaf(
                "SubjectFromWebIdentityToken",
                claims["sub"].as_str().unwrap_or_default(),
            )
            .element("AssumedRoleUser", |x| {
                x.leaf(
                    "AssumedRoleId",
                    format!(
                        "{}:{}",
                        credentials.session.role_id, credentials.session.session_name
                    ),
                )
                .leaf("Arn", credentials.session.arn());
            })
            .leaf("Provider", claims["iss"].as_str().unwrap_or_default())
            .leaf("Audience", claims["aud"].as_str().unwrap_or_default());
            Ok(())
        }
        other => Err(unknown_action(other)),
    }
}

fn render_credentials(out: &mut Xml, credentials: &TemporaryCredentials) {
    out.element("Credentials", |x| {
        x.leaf("AccessKeyId", &credentials.access_key_id)
            .leaf("SecretAccessKey", credentials.secret_access_key.as_str())
            .leaf("SessionToken", &credentials.session_token)
            .leaf(
                "Expiration",
                Dates::Iso8601
                    .render(credentials.expiration)
                    .as_str()
                    .unwrap_or_default(),
            );
    });
}

//! Sign-in operations.

use cognate_core::service::{AuthOutcome, Cognito};
use cognate_core::Result;
use serde_json::{json, Value};

use super::input::Input;
use crate::render;

fn outcome(outcome: AuthOutcome) -> Value {
    match outcome {
        AuthOutcome::Tokens(tokens) => json!({
            "AuthenticationResult": render::authentication_result(&tokens),
            "ChallengeParameters": {},
        }),
        AuthOutcome::Challenge {
            name,
            session,
            parameters,
        } => {
            let mut out = json!({"ChallengeName": name, "ChallengeParameters": parameters});
            if let Some(session) = session {
                out["Session"] = json!(session);
            }
            out
        }
    }
}

pub async fn initiate_auth(c: &Cognito, input: Input) -> Result<Value> {
    let result = c
        .initiate_auth(
            &input.client_id()?,
            input.str("AuthFlow")?,
            &input.string_map("AuthParameters")?,
        )
        .await?;
    Ok(outcome(result))
}

pub async fn admin_initiate_auth(c: &Cognito, input: Input) -> Result<Value> {
    let result = c
        .admin_initiate_auth(
            &input.pool_id()?,
            &input.client_id()?,
            input.str("AuthFlow")?,
            &input.string_map("AuthParameters")?,
        )
        .await?;
    Ok(outcome(result))
}

pub async fn respond_to_auth_challenge(c: &Cognito, input: Input) -> Result<Value> {
    let result = c
        .respond_to_auth_challenge(
            None,
            &input.client_id()?,
            input.str("ChallengeName")?,
            input.opt_str("Session")?,
            &input.string_map("ChallengeResponses")?,
        )
        .await?;
    Ok(outcome(result))
}

pub async fn admin_respond_to_auth_challenge(c: &Cognito, input: Input) -> Result<Value> {
    let pool = input.pool_id()?;
    let result = c
        .respond_to_auth_challenge(
            Some(&pool),
            &input.client_id()?,
            input.str("ChallengeName")?,
            input.opt_str("Session")?,
            &input.string_map("ChallengeResponses")?,
        )
        .await?;
    Ok(outcome(result))
}

pub async fn get_tokens_from_refresh_token(c: &Cognito, input: Input) -> Result<Value> {
    let tokens = c
        .get_tokens_from_refresh_token(
            &input.client_id()?,
            input.str("RefreshToken")?,
            input.opt_str("ClientSecret")?,
            input.opt_str("DeviceKey")?,
        )
        .await?;
    Ok(json!({"AuthenticationResult": render::authentication_result(&tokens)}))
}

pub async fn global_sign_out(c: &Cognito, input: Input) -> Result<Value> {
    c.global_sign_out(input.str("AccessToken")?).await?;
    Ok(json!({}))
}

pub async fn revoke_token(c: &Cognito, input: Input) -> Result<Value> {
    c.revoke_token(
        input.str("Token")?,
        &input.client_id()?,
        input.opt_str("ClientSecret")?,
    )
    .await?;
    Ok(json!({}))
}

//! User operations: sign-up, administration, and self-service with an access token.

use cognate_core::filter::UserFilter;
use cognate_core::service::{page_limit, Cognito, NewUser};
use cognate_core::Result;
use serde_json::{json, Value};

use super::input::Input;
use crate::render::{self, Dates};

fn new_user(input: &Input) -> Result<NewUser> {
    Ok(NewUser {
        username: input.str("Username")?.to_owned(),
        attributes: input.attributes("UserAttributes")?,
    })
}

pub async fn sign_up(c: &Cognito, input: Input) -> Result<Value> {
    let password = input.str("Password")?;
    let (user, delivery) = c
        .sign_up(
            &input.client_id()?,
            input.opt_str("SecretHash")?,
            new_user(&input)?,
            password,
        )
        .await?;
    let mut out = json!({"UserConfirmed": false, "UserSub": user.sub});
    if let Some(delivery) = delivery {
        out["CodeDeliveryDetails"] = render::code_delivery(&delivery);
    }
    Ok(out)
}

pub async fn confirm_sign_up(c: &Cognito, input: Input) -> Result<Value> {
    c.confirm_sign_up(
        &input.client_id()?,
        input.opt_str("SecretHash")?,
        input.str("Username")?,
        input.str("ConfirmationCode")?,
    )
    .await?;
    Ok(json!({}))
}

pub async fn resend_confirmation_code(c: &Cognito, input: Input) -> Result<Value> {
    let delivery = c
        .resend_confirmation_code(
            &input.client_id()?,
            input.opt_str("SecretHash")?,
            input.str("Username")?,
        )
        .await?;
    Ok(json!({"CodeDeliveryDetails": render::code_delivery(&delivery)}))
}

pub async fn admin_confirm_sign_up(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_confirm_sign_up(&input.pool_id()?, input.str("Username")?)
        .await?;
    Ok(json!({}))
}

pub async fn admin_create_user(c: &Cognito, input: Input) -> Result<Value> {
    let user = c
        .admin_create_user(
            &input.pool_id()?,
            new_user(&input)?,
            input.opt_str("TemporaryPassword")?.map(str::to_owned),
            input.opt_str("MessageAction")?,
        )
        .await?;
    Ok(json!({"User": render::user_type(&user, None, Dates::EpochSeconds)}))
}

pub async fn admin_set_user_password(c: &Cognito, input: Input) -> Result<Value> {
    let permanent = input.opt_bool("Permanent")?.unwrap_or(false);
    c.admin_set_user_password(
        &input.pool_id()?,
        input.str("Username")?,
        input.str("Password")?,
        permanent,
    )
    .await?;
    Ok(json!({}))
}

pub async fn admin_get_user(c: &Cognito, input: Input) -> Result<Value> {
    let user = c
        .admin_get_user(&input.pool_id()?, input.str("Username")?)
        .await?;
    Ok(render::admin_get_user(&user, Dates::EpochSeconds))
}

pub async fn admin_delete_user(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_delete_user(&input.pool_id()?, input.str("Username")?)
        .await?;
    Ok(json!({}))
}

pub async fn admin_disable_user(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_set_user_enabled(&input.pool_id()?, input.str("Username")?, false)
        .await?;
    Ok(json!({}))
}

pub async fn admin_enable_user(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_set_user_enabled(&input.pool_id()?, input.str("Username")?, true)
        .await?;
    Ok(json!({}))
}

pub async fn admin_update_user_attributes(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_update_user_attributes(
        &input.pool_id()?,
        input.str("Username")?,
        input.attributes("UserAttributes")?,
    )
    .await?;
    Ok(json!({}))
}

pub async fn admin_delete_user_attributes(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_delete_user_attributes(
        &input.pool_id()?,
        input.str("Username")?,
        &input.strings("UserAttributeNames")?,
    )
    .await?;
    Ok(json!({}))
}

pub async fn admin_reset_user_password(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_reset_user_password(&input.pool_id()?, input.str("Username")?)
        .await?;
    Ok(json!({}))
}

pub async fn admin_user_global_sign_out(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_user_global_sign_out(&input.pool_id()?, input.str("Username")?)
        .await?;
    Ok(json!({}))
}

pub async fn list_users(c: &Cognito, input: Input) -> Result<Value> {
    let pool = input.pool_id()?;
    let filter = UserFilter::parse(input.opt_str("Filter")?.unwrap_or(""))?;
    let limit = page_limit(input.opt_i32("Limit")?, 60, "limit")?;
    let only = input.opt_strings("AttributesToGet")?;
    let page = c
        .list_users(
            &pool,
            filter.as_ref(),
            limit,
            input.opt_str("PaginationToken")?,
        )
        .await?;
    let users: Vec<Value> = page
        .items
        .iter()
        .map(|u| render::user_type(u, only.as_deref(), Dates::EpochSeconds))
        .collect();
    let mut out = json!({"Users": users});
    if let Some(next) = page.next {
        out["PaginationToken"] = json!(next);
    }
    Ok(out)
}

pub async fn get_user(c: &Cognito, input: Input) -> Result<Value> {
    let user = c.get_user(input.str("AccessToken")?).await?;
    Ok(json!({
        "Username": user.username,
        "UserAttributes": render::attributes(&user.all_attributes()),
        "UserMFASettingList": [],
    }))
}

pub async fn update_user_attributes(c: &Cognito, input: Input) -> Result<Value> {
    let deliveries = c
        .update_user_attributes(
            input.str("AccessToken")?,
            input.attributes("UserAttributes")?,
        )
        .await?;
    Ok(
        json!({"CodeDeliveryDetailsList": deliveries.iter().map(render::code_delivery).collect::<Vec<_>>()}),
    )
}

pub async fn get_user_attribute_verification_code(c: &Cognito, input: Input) -> Result<Value> {
    let delivery = c
        .get_user_attribute_verification_code(
            input.str("AccessToken")?,
            input.str("AttributeName")?,
        )
        .await?;
    Ok(json!({"CodeDeliveryDetails": render::code_delivery(&delivery)}))
}

pub async fn verify_user_attribute(c: &Cognito, input: Input) -> Result<Value> {
    c.verify_user_attribute(
        input.str("AccessToken")?,
        input.str("AttributeName")?,
        input.str("Code")?,
    )
    .await?;
    Ok(json!({}))
}

pub async fn delete_user(c: &Cognito, input: Input) -> Result<Value> {
    c.delete_user(input.str("AccessToken")?).await?;
    Ok(json!({}))
}

pub async fn change_password(c: &Cognito, input: Input) -> Result<Value> {
    c.change_password(
        input.str("AccessToken")?,
        input.str("PreviousPassword")?,
        input.str("ProposedPassword")?,
    )
    .await?;
    Ok(json!({}))
}

pub async fn forgot_password(c: &Cognito, input: Input) -> Result<Value> {
    let delivery = c
        .forgot_password(
            &input.client_id()?,
            input.opt_str("SecretHash")?,
            input.str("Username")?,
        )
        .await?;
    Ok(json!({"CodeDeliveryDetails": render::code_delivery(&delivery)}))
}

pub async fn confirm_forgot_password(c: &Cognito, input: Input) -> Result<Value> {
    c.confirm_forgot_password(
        &input.client_id()?,
        input.opt_str("SecretHash")?,
        input.str("Username")?,
        input.str("ConfirmationCode")?,
        input.str("Password")?,
    )
    .await?;
    Ok(json!({}))
}

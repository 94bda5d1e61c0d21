//! Group operations.

use cognate_core::ids::GroupName;
use cognate_core::model::Group;
use cognate_core::service::{page_limit, Cognito, GroupSettings};
use cognate_core::Result;
use serde_json::{json, Value};

use super::input::Input;
use crate::render::{self, Dates};

fn group_name(input: &Input) -> Result<GroupName> {
    GroupName::parse(input.str("GroupName")?)
}

fn settings(input: &Input) -> Result<GroupSettings> {
    Ok(GroupSettings {
        description: input.opt_str("Description")?.map(str::to_owned),
        precedence: input.opt_i64("Precedence")?,
        role_arn: input.opt_str("RoleArn")?.map(str::to_owned),
    })
}

fn groups_page(groups: &[Group], next: Option<String>) -> Value {
    let mut out = json!({"Groups": groups.iter().map(|g| render::group(g, Dates::EpochSeconds)).collect::<Vec<_>>()});
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    out
}

pub async fn create_group(c: &Cognito, input: Input) -> Result<Value> {
    let group = c
        .create_group(&input.pool_id()?, group_name(&input)?, settings(&input)?)
        .await?;
    Ok(json!({"Group": render::group(&group, Dates::EpochSeconds)}))
}

pub async fn get_group(c: &Cognito, input: Input) -> Result<Value> {
    let group = c.get_group(&input.pool_id()?, &group_name(&input)?).await?;
    Ok(json!({"Group": render::group(&group, Dates::EpochSeconds)}))
}

pub async fn update_group(c: &Cognito, input: Input) -> Result<Value> {
    let group = c
        .update_group(&input.pool_id()?, &group_name(&input)?, settings(&input)?)
        .await?;
    Ok(json!({"Group": render::group(&group, Dates::EpochSeconds)}))
}

pub async fn delete_group(c: &Cognito, input: Input) -> Result<Value> {
    c.delete_group(&input.pool_id()?, &group_name(&input)?)
        .await?;
    Ok(json!({}))
}

pub async fn list_groups(c: &Cognito, input: Input) -> Result<Value> {
    let limit = page_limit(input.opt_i32("Limit")?, 60, "limit")?;
    let page = c
        .list_groups(&input.pool_id()?, limit, input.opt_str("NextToken")?)
        .await?;
    Ok(groups_page(&page.items, page.next))
}

pub async fn admin_add_user_to_group(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_add_user_to_group(
        &input.pool_id()?,
        input.str("Username")?,
        &group_name(&input)?,
    )
    .await?;
    Ok(json!({}))
}

pub async fn admin_remove_user_from_group(c: &Cognito, input: Input) -> Result<Value> {
    c.admin_remove_user_from_group(
        &input.pool_id()?,
        input.str("Username")?,
        &group_name(&input)?,
    )
    .await?;
    Ok(json!({}))
}

pub async fn admin_list_groups_for_user(c: &Cognito, input: Input) -> Result<Value> {
    let limit = page_limit(input.opt_i32("Limit")?, 60, "limit")?;
    let page = c
        .admin_list_groups_for_user(
            &input.pool_id()?,
            input.str("Username")?,
            limit,
            input.opt_str("NextToken")?,
        )
        .await?;
    Ok(groups_page(&page.items, page.next))
}

pub async fn list_users_in_group(c: &Cognito, input: Input) -> Result<Value> {
    let limit = page_limit(input.opt_i32("Limit")?, 60, "limit")?;
    let page = c
        .list_users_in_group(
            &input.pool_id()?,
            &group_name(&input)?,
            limit,
            input.opt_str("NextToken")?,
        )
        .await?;
    let mut out = json!({"Users": page.items.iter().map(|u| render::user_type(u, None, Dates::EpochSeconds)).collect::<Vec<_>>()});
    if let Some(next) = page.next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

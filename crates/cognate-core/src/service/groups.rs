//! User pool groups: precedence, roles, membership.

use serde_json::json;

use super::{now, user_change, Cognito};
use crate::audit::AuditRecord;
use crate::error::{Error, Result};
use crate::ids::{GroupName, PoolId};
use crate::model::{Group, User};
use crate::store::Page;

/// Cognito's quotas.
pub const MAX_GROUPS_PER_POOL: u32 = 10_000;
pub const MAX_GROUPS_PER_USER: u32 = 100;

/// What CreateGroup and UpdateGroup set. On update, `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct GroupSettings {
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
}

pub(super) fn validate(settings: &GroupSettings) -> Result<()> {
    if let Some(description) = &settings.description {
        if description.chars().count() > 2048 {
            return Err(Error::invalid(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048",
            ));
        }
    }
    if let Some(precedence) = settings.precedence {
        if !(0..=i64::from(i32::MAX)).contains(&precedence) {
            return Err(Error::invalid(format!(
                "1 validation error detected: Value '{precedence}' at 'precedence' failed to satisfy constraint: Member must have value between 0 and 2147483647"
            )));
        }
    }
    if let Some(arn) = &settings.role_arn {
        if !is_role_arn(arn) {
            return Err(Error::invalid(format!(
                "1 validation error detected: Value '{arn}' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?"
            )));
        }
    }
    Ok(())
}

/// `arn:partition:service:region?:account:resource` with Cognito's character set.
fn is_role_arn(arn: &str) -> bool {
    let allowed = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || "_+=/,.@-".contains(c))
    };
    let parts: Vec<&str> = arn.split(':').collect();
    (20..=2048).contains(&arn.len())
        && (6..=8).contains(&parts.len())
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[4].is_empty()
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5..].iter().all(|p| !p.is_empty())
        && parts.iter().all(|p| allowed(p))
}

fn group_change(action: &str, group: &Group) -> AuditRecord {
    AuditRecord::new(
        action,
        Some(&group.pool_id),
        format!("group:{}", group.name),
        json!({"description": group.description, "precedence": group.precedence, "role_arn": group.role_arn}),
    )
}

fn group_not_found() -> Error {
    Error::ResourceNotFound("Group not found.".into())
}

impl Cognito {
    pub async fn create_group(
        &self,
        pool: &PoolId,
        name: GroupName,
        settings: GroupSettings,
    ) -> Result<Group> {
        self.pool(pool).await?;
        validate(&settings)?;
        let created = now();
        let group = Group {
            pool_id: pool.clone(),
            name,
            description: settings.description,
            precedence: settings.precedence,
            role_arn: settings.role_arn,
            created,
            modified: created,
        };
        self.store
            .insert_group(
                &group,
                MAX_GROUPS_PER_POOL,
                Some(&group_change("CreateGroup", &group)),
            )
            .await?;
        tracing::info!(pool = %pool, group = %group.name, "created group");
        Ok(group)
    }

    pub async fn get_group(&self, pool: &PoolId, name: &GroupName) -> Result<Group> {
        self.pool(pool).await?;
        self.store
            .get_group(pool, name)
            .await?
            .ok_or_else(group_not_found)
    }

    pub async fn update_group(
        &self,
        pool: &PoolId,
        name: &GroupName,
        settings: GroupSettings,
    ) -> Result<Group> {
        let mut group = self.get_group(pool, name).await?;
        validate(&settings)?;
        if settings.description.is_some() {
            group.description = settings.description;
        }
        if settings.precedence.is_some() {
            group.precedence = settings.precedence;
        }
        if settings.role_arn.is_some() {
            group.role_arn = settings.role_arn;
        }
        group.modified = now();
        if !self
            .store
            .update_group(&group, Some(&group_change("UpdateGroup", &group)))
            .await?
        {
            return Err(group_not_found());
        }
        Ok(group)
    }

    pub async fn delete_group(&self, pool: &PoolId, name: &GroupName) -> Result<()> {
        self.pool(pool).await?;
        let audit = AuditRecord::new(
            "DeleteGroup",
            Some(pool),
            format!("group:{name}"),
            json!({}),
        );
        if !self.store.delete_group(pool, name, Some(&audit)).await? {
            return Err(group_not_found());
        }
        tracing::info!(pool = %pool, group = %name, "deleted group");
        Ok(())
    }

    pub async fn list_groups(
        &self,
        pool: &PoolId,
        limit: u32,
        token: Option<&str>,
    ) -> Result<Page<Group>> {
        self.pool(pool).await?;
        let scope = format!("ListGroups\0{pool}");
        let after = self.page_after(&scope, token)?;
        let page = self
            .store
            .list_groups(pool, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    /// Adding a user to a group they are already in is not an error.
    pub async fn admin_add_user_to_group(
        &self,
        pool: &PoolId,
        login: &str,
        name: &GroupName,
    ) -> Result<()> {
        let (user, group) = self.user_and_group(pool, login, name).await?;
        self.store
            .add_member(
                pool,
                &group.name,
                &user.sub,
                MAX_GROUPS_PER_USER,
                Some(&user_change(
                    "AdminAddUserToGroup",
                    &user,
                    json!({"group": group.name}),
                )),
            )
            .await?;
        tracing::info!(pool = %pool, user = %user.username, group = %group.name, "added user to group");
        Ok(())
    }

    pub async fn admin_remove_user_from_group(
        &self,
        pool: &PoolId,
        login: &str,
        name: &GroupName,
    ) -> Result<()> {
        let (user, group) = self.user_and_group(pool, login, name).await?;
        self.store
            .remove_member(
                pool,
                &group.name,
                &user.sub,
                Some(&user_change(
                    "AdminRemoveUserFromGroup",
                    &user,
                    json!({"group": group.name}),
                )),
            )
            .await?;
        tracing::info!(pool = %pool, user = %user.username, group = %group.name, "removed user from group");
        Ok(())
    }

    async fn user_and_group(
        &self,
        pool: &PoolId,
        login: &str,
        name: &GroupName,
    ) -> Result<(User, Group)> {
        let pool = self.pool(pool).await?;
        let user = self.user(&pool, login).await?;
        let group = self
            .store
            .get_group(&pool.id, name)
            .await?
            .ok_or_else(group_not_found)?;
        Ok((user, group))
    }

    pub async fn admin_list_groups_for_user(
        &self,
        pool: &PoolId,
        login: &str,
        limit: u32,
        token: Option<&str>,
    ) -> Result<Page<Group>> {
        let pool = self.pool(pool).await?;
        let user = self.user(&pool, login).await?;
        let scope = format!("AdminListGroupsForUser\0{}\0{}", pool.id, user.sub);
        let after = self.page_after(&scope, token)?;
        let page = self
            .store
            .groups_of_user(&pool.id, &user.sub, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    pub async fn list_users_in_group(
        &self,
        pool: &PoolId,
        name: &GroupName,
        limit: u32,
        token: Option<&str>,
    ) -> Result<Page<User>> {
        self.get_group(pool, name).await?;
        let scope = format!("ListUsersInGroup\0{pool}\0{name}");
        let after = self.page_after(&scope, token)?;
        let page = self
            .store
            .members_of_group(pool, name, limit, after.as_deref())
            .await?;
        Ok(self.client_page(&scope, page))
    }

    /// Every group of a user, for their tokens.
    pub(super) async fn all_groups_of(&self, user: &User) -> Result<Vec<Group>> {
        Ok(self
            .store
            .groups_of_user(&user.pool_id, &user.sub, MAX_GROUPS_PER_USER, None)
            .await?
            .items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_follow_cognitos_pattern() {
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/us-east-1_abc-adminGroupRole"
        ));
        assert!(is_role_arn(
            "arn:aws:iam::000000000000:role/service-role/editor"
        ));
        assert!(!is_role_arn("not-an-arn"));
        assert!(!is_role_arn("arn:aws:iam::12345678901x:role/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:role/has space"));
    }

    #[test]
    fn precedence_must_be_a_non_negative_int() {
        let with = |p| GroupSettings {
            precedence: Some(p),
            ..Default::default()
        };
        assert!(validate(&with(0)).is_ok());
        assert!(validate(&with(2_147_483_647)).is_ok());
        assert!(validate(&with(-1)).is_err());
        assert!(validate(&with(2_147_483_648)).is_err());
    }
}

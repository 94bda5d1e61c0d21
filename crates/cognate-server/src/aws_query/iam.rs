//! IAM's actions: roles, inline and managed policies, users and access keys, the simulator.

use cognate_core::iam::{AccessKey, IamName, ManagedPolicy, PolicyOwner, Role, Tag};
use cognate_core::ids::Timestamp;
use cognate_core::service::{Cognito, NewRole, Simulated};
use cognate_core::sigv4::percent_encode;
use cognate_core::{Error, Result};
use cognate_iam::Context;

use super::{unknown_action, Query, Xml};
use crate::render::Dates;

/// The resource an action is decided on: the role, user or policy it names (an existing role or
/// user by its ARN, path included), else `*`.
pub async fn resource(c: &Cognito, action: &str, query: &Query) -> String {
    let account = &c.config().account_id;
    if action == "SimulatePrincipalPolicy" {
        if let Some(arn) = query.opt("PolicySourceArn") {
            return arn.to_owned();
        }
    }
    if let Some(role) = query.opt("RoleName") {
        let stored = match IamName::role(role) {
            Ok(name) => c.get_role(&name).await.ok().map(|r| r.arn),
            Err(_) => None,
        };
        return stored.unwrap_or_else(|| format!("arn:aws:iam::{account}:role/{role}"));
    }
    if let Some(user) = query.opt("UserName") {
        let stored = match IamName::user(user) {
            Ok(name) => c.get_iam_user(&name).await.ok().map(|u| u.arn),
            Err(_) => None,
        };
        return stored.unwrap_or_else(|| format!("arn:aws:iam::{account}:user/{user}"));
    }
    if let Some(policy) = query.opt("PolicyArn") {
        return policy.to_owned();
    }
    "*".into()
}

pub async fn dispatch(c: &Cognito, action: &str, q: &Query, out: &mut Xml) -> Result<()> {
    match action {
        "CreateRole" => create_role(c, q, out).await,
        "GetRole" => {
            let role = c.get_role(&role_name(q)?).await?;
            out.element("Role", |x| render_role(x, &role));
            Ok(())
        }
        "ListRoles" => list_roles(c, q, out).await,
        "UpdateAssumeRolePolicy" => {
            c.update_assume_role_policy(&role_name(q)?, q.str("PolicyDocument")?.to_owned())
                .await
        }
        "DeleteRole" => c.delete_role(&role_name(q)?).await,
        "TagRole" => c.tag_role(&role_name(q)?, q.tags()).await,
        "UntagRole" => c.untag_role(&role_name(q)?, &q.list("TagKeys")).await,
        "ListRoleTags" => {
            let role = c.get_role(&role_name(q)?).await?;
            out.members("Tags", &role.tags, render_tag);
            out.leaf("IsTruncated", false);
            Ok(())
        }
        "PutRolePolicy" => put_inline(c, PolicyOwner::Role(role_name(q)?), q).await,
        "GetRolePolicy" => get_inline(c, PolicyOwner::Role(role_name(q)?), q, out).await,
        "ListRolePolicies" => list_inline(c, PolicyOwner::Role(role_name(q)?), q, out).await,
        "DeleteRolePolicy" => {
            c.delete_inline_policy(&PolicyOwner::Role(role_name(q)?), &policy_name(q)?)
                .await
        }
        "PutUserPolicy" => put_inline(c, PolicyOwner::User(user_name(q)?), q).await,
        "GetUserPolicy" => get_inline(c, PolicyOwner::User(user_name(q)?), q, out).await,
        "DeleteUserPolicy" => {
            c.delete_inline_policy(&PolicyOwner::User(user_name(q)?), &policy_name(q)?)
                .await
        }
        "CreatePolicy" => {
            let policy = c
                .create_policy(
                    policy_name(q)?,
                    q.opt("Path"),
                    q.str("PolicyDocument")?.to_owned(),
                    q.opt("Description").map(str::to_owned),
                )
                .await?;
            out.element("Policy", |x| render_policy(x, &policy));
            Ok(())
        }
        "GetPolicy" => {
            let policy = c.get_policy(q.str("PolicyArn")?).await?;
            out.element("Policy", |x| render_policy(x, &policy));
            Ok(())
        }
        "GetPolicyVersion" => {
            let policy = c
                .get_policy_version(q.str("PolicyArn")?, q.str("VersionId")?)
                .await?;
            out.element("PolicyVersion", |x| {
                x.leaf("Document", percent_encode(&policy.document))
                    .leaf("VersionId", "v1")
                    .leaf("IsDefaultVersion", true)
                    .leaf("CreateDate", iso(policy.created));
            });
            Ok(())
        }
        "ListPolicies" => {
            let page = c.list_policies(q.max_items()?, q.opt("Marker")).await?;
            // Only customer managed policies exist here: Scope=AWS lists none.
            let shown: Vec<&ManagedPolicy> = match q.opt("Scope") {
                Some("AWS") => Vec::new(),
                _ => page.items.iter().collect(),
            };
            out.members("Policies", shown, render_policy);
            truncation(out, page.next);
            Ok(())
        }
        "DeletePolicy" => c.delete_policy(q.str("PolicyArn")?).await,
        "AttachRolePolicy" => {
            c.attach_role_policy(&role_name(q)?, q.str("PolicyArn")?)
                .await
        }
        "DetachRolePolicy" => {
            c.detach_role_policy(&role_name(q)?, q.str("PolicyArn")?)
                .await
        }
        "ListAttachedRolePolicies" => {
            let page = c
                .list_attached_role_policies(&role_name(q)?, q.max_items()?, q.opt("Marker"))
                .await?;
            out.members("AttachedPolicies", &page.items, |x, p| {
                x.leaf("PolicyName", &p.name).leaf("PolicyArn", &p.arn);
            });
            truncation(out, page.next);
            Ok(())
        }
        "CreateUser" => {
            let user = c
                .create_iam_user(user_name(q)?, q.opt("Path"), q.tags())
                .await?;
            out.element("User", |x| {
                x.leaf("Path", &user.path)
                    .leaf("UserName", &user.name)
                    .leaf("UserId", &user.id)
                    .leaf("Arn", &user.arn)
                    .leaf("CreateDate", iso(user.created));
            });
            Ok(())
        }
        "DeleteUser" => c.delete_iam_user(&user_name(q)?).await,
        "CreateAccessKey" => {
            let created = c.create_access_key(&user_name(q)?).await?;
            out.element("AccessKey", |x| {
                render_access_key(x, &created.key);
                x.leaf("SecretAccessKey", &created.secret);
            });
            Ok(())
        }
        "ListAccessKeys" => {
            let user = user_name(q)?;
            let keys = c.list_access_keys(&user).await?;
            out.members("AccessKeyMetadata", &keys, render_access_key);
            out.leaf("IsTruncated", false);
            Ok(())
        }
        "DeleteAccessKey" => {
            c.delete_access_key(&user_name(q)?, q.str("AccessKeyId")?)
                .await
        }
        "SimulateCustomPolicy" => {
            let results = c.simulate_custom_policy(
                &q.list("PolicyInputList"),
                &q.list("ActionNames"),
                &q.list("ResourceArns"),
                &context_entries(q)?,
            )?;
            render_simulation(out, &results);
            Ok(())
        }
        "SimulatePrincipalPolicy" => {
            let results = c
                .simulate_principal_policy(
                    q.str("PolicySourceArn")?,
                    &q.list("PolicyInputList"),
                    &q.list("ActionNames"),
                    &q.list("ResourceArns"),
                    &context_entries(q)?,
                )
                .await?;
            render_simulation(out, &results);
            Ok(())
        }
        other => Err(unknown_action(other)),
    }
}

fn role_name(q: &Query) -> Result<IamName> {
    IamName::role(q.str("RoleName")?)
}

fn user_name(q: &Query) -> Result<IamName> {
    IamName::user(q.str("UserName")?)
}

fn policy_name(q: &Query) -> Result<IamName> {
    IamName::policy(q.str("PolicyName")?)
}

fn iso(at: Timestamp) -> String {
    Dates::Iso8601
        .render(at)
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn truncation(out: &mut Xml, next: Option<String>) {
    out.leaf("IsTruncated", next.is_some());
    out.opt_leaf("Marker", next);
}

fn render_tag(x: &mut Xml, tag: &Tag) {
    x.leaf("Key", &tag.key).leaf("Value", &tag.value);
}

fn render_role(x: &mut Xml, role: &Role) {
    x.leaf("Path", &role.path)
        .leaf("RoleName", &role.name)
        .leaf("RoleId", &role.id)
        .leaf("Arn", &role.arn)
        .leaf("CreateDate", iso(role.created))
        .leaf(
            "AssumeRolePolicyDocument",
            percent_encode(&role.trust_policy),
        )
        .opt_leaf("Description", role.description.as_ref())
        .leaf("MaxSessionDuration", role.max_session_duration);
    if !role.tags.is_empty() {
        x.members("Tags", &role.tags, render_tag);
    }
}

fn render_policy(x: &mut Xml, policy: &ManagedPolicy) {
    x.leaf("PolicyName", &policy.name)
        .leaf("PolicyId", &policy.id)
        .leaf("Arn", &policy.arn)
        .leaf("Path", &policy.path)
        .leaf("DefaultVersionId", "v1")
        .leaf("AttachmentCount", policy.attachment_count)
        .leaf("IsAttachable", true)
        .opt_leaf("Description", policy.description.as_ref())
        .leaf("CreateDate", iso(policy.created))
        .leaf("UpdateDate", iso(policy.created));
}

fn render_access_key(x: &mut Xml, key: &AccessKey) {
    x.leaf("UserName", &key.user)
        .leaf("AccessKeyId", &key.id)
        .leaf("Status", if key.active { "Active" } else { "Inactive" })
        .leaf("CreateDate", iso(key.created));
}

async fn create_role(c: &Cognito, q: &Query, out: &mut Xml) -> Result<()> {
    let role = c
        .create_role(NewRole {
            name: role_name(q)?,
            path: q.opt("Path").map(str::to_owned),
            trust_policy: q.str("AssumeRolePolicyDocument")?.to_owned(),
            description: q.opt("Description").map(str::to_owned),
            max_session_duration: q.opt_i64("MaxSessionDuration")?,
            tags: q.tags(),
        })
        .await?;
    out.element("Role", |x| render_role(x, &role));
    Ok(())
}

async fn list_roles(c: &Cognito, q: &Query, out: &mut Xml) -> Result<()> {
    let page = c
        .list_roles(q.opt("PathPrefix"), q.max_items()?, q.opt("Marker"))
        .await?;
    out.members("Roles", &page.items, render_role);
    truncation(out, page.next);
    Ok(())
}

async fn put_inline(c: &Cognito, owner: PolicyOwner, q: &Query) -> Result<()> {
    c.put_inline_policy(owner, policy_name(q)?, q.str("PolicyDocument")?.to_owned())
        .await
}

async fn get_inline(c: &Cognito, owner: PolicyOwner, q: &Query, out: &mut Xml) -> Result<()> {
    let (name, document) = c.get_inline_policy(&owner, &policy_name(q)?).await?;
    let owner_member = match owner {
        PolicyOwner::Role(_) => "RoleName",
        PolicyOwner::User(_) => "UserName",
    };
    out.leaf(owner_member, owner.name())
        .leaf("PolicyName", name)
        .leaf("PolicyDocument", percent_encode(&document));
    Ok(())
}

async fn list_inline(c: &Cognito, owner: PolicyOwner, q: &Query, out: &mut Xml) -> Result<()> {
    let page = c
        .list_inline_policies(&owner, q.max_items()?, q.opt("Marker"))
        .await?;
    out.text_members("PolicyNames", &page.items);
    truncation(out, page.next);
    Ok(())
}

/// The simulator's `ContextEntries`: each key with its values and type. List types are
/// multi-valued keys; the others take one value.
fn context_entries(q: &Query) -> Result<Context> {
    let mut context = Context::new();
    for (index, entry) in q.structures("ContextEntries").iter().enumerate() {
        let name = entry.get("ContextKeyName").ok_or_else(|| {
            Error::invalid(format!(
                "ContextEntries.member.{} has no ContextKeyName.",
                index + 1
            ))
        })?;
        let kind = entry
            .get("ContextKeyType")
            .map(String::as_str)
            .unwrap_or("string");
        let mut values: Vec<(u32, String)> = entry
            .iter()
            .filter_map(|(field, value)| {
                let n = field
                    .strip_prefix("ContextKeyValues.member.")?
                    .parse()
                    .ok()?;
                Some((n, value.clone()))
            })
            .collect();
        values.sort();
        let values: Vec<String> = values.into_iter().map(|(_, v)| v).collect();
        match kind {
            "string" | "numeric" | "boolean" | "ip" | "binary" | "date" => {
                if let Some(value) = values.into_iter().next() {
                    context.insert(name, value);
                }
            }
            "stringList" | "numericList" | "booleanList" | "ipList" | "binaryList"
            | "dateList" => {
                context.insert_multi(name, values);
            }
            other => {
                return Err(Error::invalid(format!(
                    "ContextKeyType {other} is not one of string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList."
                )))
            }
        }
    }
    Ok(context)
}

fn render_simulation(out: &mut Xml, results: &[Simulated]) {
    out.members("EvaluationResults", results, |x, result| {
        let evaluation = &result.evaluation;
        x.leaf("EvalActionName", &result.action)
            .leaf("EvalResourceName", &result.resource)
            .leaf("EvalDecision", evaluation.decision.as_simulator_str());
        x.members(
            "MatchedStatements",
            evaluation.matched.iter().zip(&result.sources),
            |x, (statement, (id, kind))| {
                x.leaf("SourcePolicyId", id)
                    .leaf("SourcePolicyType", kind)
                    .element("StartPosition", |x| {
                        x.leaf("Line", statement.span.start.line)
                            .leaf("Column", statement.span.start.column);
                    })
                    .element("EndPosition", |x| {
                        x.leaf("Line", statement.span.end.line)
                            .leaf("Column", statement.span.end.column);
                    });
            },
        );
        x.text_members("MissingContextValues", &evaluation.missing_keys);
    });
    out.leaf("IsTruncated", false);
}

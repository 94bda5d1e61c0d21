//! The claims of ID and access tokens, as Cognito writes them. Pure: records in, claim maps out.

use serde_json::{json, Map, Value};

use crate::model::{AppClient, Group, Session, User};

/// Everything a pair of tokens is made from.
pub struct TokenContext<'a> {
    pub issuer: &'a str,
    pub client: &'a AppClient,
    pub user: &'a User,
    pub session: &'a Session,
    /// The user's groups, in any order.
    pub groups: &'a [Group],
    pub issued_at: i64,
    pub event_id: &'a str,
}

/// The role a user in several groups gets: the role of the group with the lowest precedence
/// number. Groups without a precedence rank after all that have one; groups without a role do
/// not compete. When the best rank is shared by groups with different roles there is no
/// preferred role; when they share one role, that role.
pub fn preferred_role(groups: &[Group]) -> Option<String> {
    let with_role: Vec<&Group> = groups.iter().filter(|g| g.role_arn.is_some()).collect();
    let best = with_role.iter().map(|g| rank(g)).min()?;
    let mut roles = with_role
        .iter()
        .filter(|g| rank(g) == best)
        .filter_map(|g| g.role_arn.as_deref());
    let first = roles.next()?;
    roles.all(|r| r == first).then(|| first.to_owned())
}

/// Precedence as a sort key: no precedence sorts after every number.
fn rank(group: &Group) -> (bool, i64) {
    match group.precedence {
        Some(p) => (false, p),
        None => (true, 0),
    }
}

/// Groups in the order Cognito lists them in tokens: by precedence, then by name.
fn ordered(groups: &[Group]) -> Vec<&Group> {
    let mut sorted: Vec<&Group> = groups.iter().collect();
    sorted.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name)));
    sorted
}

fn insert_group_claims(claims: &mut Map<String, Value>, groups: &[Group], with_roles: bool) {
    if groups.is_empty() {
        return;
    }
    let sorted = ordered(groups);
    claims.insert(
        "cognito:groups".into(),
        json!(sorted.iter().map(|g| g.name.as_str()).collect::<Vec<_>>()),
    );
    if !with_roles {
        return;
    }
    let mut roles: Vec<&str> = Vec::new();
    for role in sorted.iter().filter_map(|g| g.role_arn.as_deref()) {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if !roles.is_empty() {
        claims.insert("cognito:roles".into(), json!(roles));
    }
    if let Some(preferred) = preferred_role(groups) {
        claims.insert("cognito:preferred_role".into(), json!(preferred));
    }
}

pub fn id_token_claims(ctx: &TokenContext<'_>) -> Map<String, Value> {
    let (client, user) = (ctx.client, ctx.user);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.sub));
    insert_group_claims(&mut claims, ctx.groups, true);
    for attribute in &user.attributes {
        let readable =
            client.read_attributes.is_empty() || client.read_attributes.contains(&attribute.name);
        if !readable {
            continue;
        }
        // Cognito writes the verification flags as booleans, every other attribute as a string.
        let value = if attribute.name.ends_with("_verified") {
            json!(attribute.value == "true")
        } else {
            json!(attribute.value)
        };
        claims.insert(attribute.name.clone(), value);
    }
    claims.insert("iss".into(), json!(ctx.issuer));
    claims.insert("cognito:username".into(), json!(user.username));
    claims.insert("origin_jti".into(), json!(ctx.session.id));
    claims.insert("aud".into(), json!(client.id));
    claims.insert("event_id".into(), json!(ctx.event_id));
    claims.insert("token_use".into(), json!("id"));
    claims.insert(
        "auth_time".into(),
        json!(ctx.session.auth_time.epoch_secs()),
    );
    claims.insert("exp".into(), json!(ctx.issued_at + client.id_token_secs()));
    claims.insert("iat".into(), json!(ctx.issued_at));
    claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    claims
}

pub fn access_token_claims(ctx: &TokenContext<'_>) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(ctx.user.sub));
    insert_group_claims(&mut claims, ctx.groups, false);
    claims.insert("iss".into(), json!(ctx.issuer));
    claims.insert("client_id".into(), json!(ctx.client.id));
    claims.insert("origin_jti".into(), json!(ctx.session.id));
    claims.insert("event_id".into(), json!(ctx.event_id));
    claims.insert("token_use".into(), json!("access"));
    claims.insert("scope".into(), json!("aws.cognito.signin.user.admin"));
    claims.insert(
        "auth_time".into(),
        json!(ctx.session.auth_time.epoch_secs()),
    );
    claims.insert(
        "exp".into(),
        json!(ctx.issued_at + ctx.client.access_token_secs()),
    );
    claims.insert("iat".into(), json!(ctx.issued_at));
    claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    claims.insert("username".into(), json!(ctx.user.username));
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientId, GroupName, PoolId, Timestamp, Username};
    use crate::model::{Attribute, TokenValidityUnits, UserStatus};
    use proptest::prelude::*;

    fn group(name: &str, precedence: Option<i64>, role: Option<&str>) -> Group {
        Group {
            pool_id: PoolId::parse("us-east-1_test").unwrap(),
            name: GroupName::parse(name).unwrap(),
            description: None,
            precedence,
            role_arn: role.map(str::to_owned),
            created: Timestamp(0),
            modified: Timestamp(0),
        }
    }

    const ADMIN_ROLE: &str = "arn:aws:iam::000000000000:role/adminRole";
    const EDITOR_ROLE: &str = "arn:aws:iam::000000000000:role/editorRole";

    #[test]
    fn the_amplify_announcement_scenario() {
        let admin = group("admin", Some(1), Some(ADMIN_ROLE));
        let editors = group("editors", Some(2), Some(EDITOR_ROLE));
        assert_eq!(
            preferred_role(&[editors.clone(), admin.clone()]).as_deref(),
            Some(ADMIN_ROLE)
        );
        assert_eq!(preferred_role(&[editors]).as_deref(), Some(EDITOR_ROLE));
        assert_eq!(preferred_role(&[]), None);
    }

    #[test]
    fn ties_decide_by_role() {
        let a = group("a", Some(0), Some(ADMIN_ROLE));
        let b = group("b", Some(0), Some(EDITOR_ROLE));
        let c = group("c", Some(0), Some(ADMIN_ROLE));
        assert_eq!(
            preferred_role(&[a.clone(), b]),
            None,
            "different roles at the best rank"
        );
        assert_eq!(
            preferred_role(&[a, c]).as_deref(),
            Some(ADMIN_ROLE),
            "the same role at the best rank"
        );
    }

    #[test]
    fn groups_without_precedence_rank_last_and_groups_without_roles_do_not_compete() {
        let unranked = group("unranked", None, Some(ADMIN_ROLE));
        let ranked = group("ranked", Some(100), Some(EDITOR_ROLE));
        let roleless = group("roleless", Some(0), None);
        assert_eq!(
            preferred_role(&[unranked.clone(), ranked, roleless.clone()]).as_deref(),
            Some(EDITOR_ROLE)
        );
        assert_eq!(
            preferred_role(&[unranked, roleless.clone()]).as_deref(),
            Some(ADMIN_ROLE)
        );
        assert_eq!(preferred_role(&[roleless]), None);
    }

    fn arb_group() -> impl Strategy<Value = Group> {
        (
            "[a-z]{1,6}",
            proptest::option::of(0i64..4),
            proptest::option::of(0usize..3),
        )
            .prop_map(|(name, precedence, role)| {
                let role = role.map(|r| format!("arn:aws:iam::000000000000:role/role{r}"));
                group(&name, precedence, role.as_deref())
            })
    }

    proptest! {
        #[test]
        fn preferred_role_is_the_unique_role_at_the_best_rank(groups in proptest::collection::vec(arb_group(), 0..8)) {
            let with_role: Vec<&Group> = groups.iter().filter(|g| g.role_arn.is_some()).collect();
            let best = with_role.iter().map(|g| rank(g)).min();
            let roles_at_best: std::collections::BTreeSet<&str> = with_role
                .iter()
                .filter(|g| Some(rank(g)) == best)
                .filter_map(|g| g.role_arn.as_deref())
                .collect();
            let expected = (roles_at_best.len() == 1).then(|| roles_at_best.iter().next().unwrap().to_string());
            prop_assert_eq!(preferred_role(&groups), expected);
        }

        #[test]
        fn preferred_role_does_not_depend_on_order(mut groups in proptest::collection::vec(arb_group(), 0..8)) {
            let before = preferred_role(&groups);
            groups.reverse();
            prop_assert_eq!(preferred_role(&groups), before);
        }
    }

    fn fixtures() -> (AppClient, User, Session) {
        let pool = PoolId::parse("us-east-1_test").unwrap();
        let client = AppClient {
            pool_id: pool.clone(),
            id: ClientId::parse("client1").unwrap(),
            name: "web".into(),
            secret: None,
            explicit_auth_flows: vec![],
            access_token_validity: 60,
            id_token_validity: 2,
            refresh_token_validity: 30,
            token_validity_units: TokenValidityUnits {
                access_token: crate::model::TimeUnit::Minutes,
                ..Default::default()
            },
            prevent_user_existence_errors: true,
            enable_token_revocation: true,
            read_attributes: vec![],
            write_attributes: vec![],
            callback_urls: vec![],
            logout_urls: vec![],
            supported_identity_providers: vec![],
            auth_session_validity: 3,
            refresh_token_rotation: Default::default(),
            created: Timestamp(0),
            modified: Timestamp(0),
        };
        let user = User {
            sub: "sub-1".into(),
            pool_id: pool.clone(),
            username: Username::parse("someadminuser").unwrap(),
            username_key: "someadminuser".into(),
            status: UserStatus::Confirmed,
            enabled: true,
            password_hash: None,
            sealed_srp_verifier: None,
            sign_in_names: Vec::new(),
            attributes: vec![
                Attribute {
                    name: "email".into(),
                    value: "a@example.com".into(),
                },
                Attribute {
                    name: "email_verified".into(),
                    value: "true".into(),
                },
                Attribute {
                    name: "custom:tier".into(),
                    value: "gold".into(),
                },
            ],
            created: Timestamp(0),
            modified: Timestamp(0),
            failed_sign_ins: 0,
            last_failed_sign_in: None,
            temporary_password_expires: None,
        };
        let session = Session {
            id: "origin".into(),
            pool_id: pool,
            client_id: client.id.clone(),
            user_sub: user.sub.clone(),
            refresh_token_hash: String::new(),
            auth_time: Timestamp(1_000_000),
            expires: Timestamp(0),
            revoked: false,
        };
        (client, user, session)
    }

    #[test]
    fn id_token_claims_carry_attributes_groups_and_roles() {
        let (client, user, session) = fixtures();
        let groups = [
            group("editors", Some(2), Some(EDITOR_ROLE)),
            group("admin", Some(1), Some(ADMIN_ROLE)),
        ];
        let ctx = TokenContext {
            issuer: "http://x/us-east-1_test",
            client: &client,
            user: &user,
            session: &session,
            groups: &groups,
            issued_at: 5000,
            event_id: "e",
        };
        let id = id_token_claims(&ctx);
        assert_eq!(id["token_use"], "id");
        assert_eq!(id["aud"], "client1");
        assert_eq!(id["cognito:username"], "someadminuser");
        assert_eq!(
            id["email_verified"], true,
            "verification flags are booleans"
        );
        assert_eq!(id["custom:tier"], "gold");
        assert_eq!(
            id["cognito:groups"],
            serde_json::json!(["admin", "editors"])
        );
        assert_eq!(
            id["cognito:roles"],
            serde_json::json!([ADMIN_ROLE, EDITOR_ROLE])
        );
        assert_eq!(id["cognito:preferred_role"], ADMIN_ROLE);
        assert_eq!(id["auth_time"], 1000);
        assert_eq!(id["exp"], 5000 + 2 * 3600);

        let access = access_token_claims(&ctx);
        assert_eq!(
            access["cognito:groups"],
            serde_json::json!(["admin", "editors"])
        );
        assert!(
            !access.contains_key("cognito:roles") && !access.contains_key("cognito:preferred_role")
        );
        assert_eq!(access["exp"], 5000 + 3600);
        assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
        assert_eq!(access["origin_jti"], "origin");
    }

    #[test]
    fn users_in_no_group_carry_no_group_claims_and_clients_can_limit_attributes() {
        let (mut client, user, session) = fixtures();
        client.read_attributes = vec!["email".into()];
        let ctx = TokenContext {
            issuer: "i",
            client: &client,
            user: &user,
            session: &session,
            groups: &[],
            issued_at: 0,
            event_id: "e",
        };
        let id = id_token_claims(&ctx);
        for claim in [
            "cognito:groups",
            "cognito:roles",
            "cognito:preferred_role",
            "custom:tier",
            "email_verified",
        ] {
            assert!(!id.contains_key(claim), "{claim}");
        }
        assert_eq!(id["email"], "a@example.com");
        assert!(!access_token_claims(&ctx).contains_key("cognito:groups"));
    }
}

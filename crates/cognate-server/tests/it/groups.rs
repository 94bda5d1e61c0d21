//! Groups, precedence and the role claims they put in tokens.

use aws_sdk_cognitoidentityprovider::types::MessageActionType;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::support::{code, TestServer, PASSWORD};

fn claims(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn role(pool: &str, group: &str) -> String {
    format!("arn:aws:iam::000000000000:role/{pool}-{group}GroupRole")
}

async fn group(t: &TestServer, pool: &str, name: &str, precedence: i32) {
    t.client
        .create_group()
        .user_pool_id(pool)
        .group_name(name)
        .precedence(precedence)
        .role_arn(role(pool, name))
        .description(format!("the {name}"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_amplify_announcement_scenario() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    group(&t, &pool, "admin", 1).await;
    group(&t, &pool, "editors", 2).await;
    t.create_user(&pool, "someadminuser", PASSWORD).await;
    for g in ["admin", "editors"] {
        t.client
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username("someadminuser")
            .group_name(g)
            .send()
            .await
            .unwrap();
    }

    let tokens = t.sign_in(&client, "someadminuser", PASSWORD).await;
    let id = claims(tokens.id_token.as_deref().unwrap());
    assert_eq!(id["cognito:groups"], json!(["admin", "editors"]));
    assert_eq!(
        id["cognito:roles"],
        json!([role(&pool, "admin"), role(&pool, "editors")])
    );
    assert_eq!(id["cognito:preferred_role"], role(&pool, "admin"));
    assert_eq!(
        claims(tokens.access_token.as_deref().unwrap())["cognito:groups"],
        json!(["admin", "editors"])
    );

    t.client
        .admin_remove_user_from_group()
        .user_pool_id(&pool)
        .username("someadminuser")
        .group_name("admin")
        .send()
        .await
        .unwrap();
    // A refresh already sees the change.
    let refreshed = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token.unwrap())
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    let id = claims(refreshed.id_token.as_deref().unwrap());
    assert_eq!(id["cognito:groups"], json!(["editors"]));
    assert_eq!(id["cognito:preferred_role"], role(&pool, "editors"));
}

#[tokio::test]
async fn precedence_changes_show_in_the_next_tokens() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    group(&t, &pool, "admin", 1).await;
    group(&t, &pool, "editors", 2).await;
    t.create_user(&pool, "pat", PASSWORD).await;
    for g in ["admin", "editors"] {
        t.client
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username("pat")
            .group_name(g)
            .send()
            .await
            .unwrap();
    }
    t.client
        .update_group()
        .user_pool_id(&pool)
        .group_name("editors")
        .precedence(0)
        .send()
        .await
        .unwrap();
    let id = claims(
        t.sign_in(&client, "pat", PASSWORD)
            .await
            .id_token
            .as_deref()
            .unwrap(),
    );
    assert_eq!(id["cognito:preferred_role"], role(&pool, "editors"));

    t.client
        .update_group()
        .user_pool_id(&pool)
        .group_name("admin")
        .precedence(0)
        .send()
        .await
        .unwrap();
    let id = claims(
        t.sign_in(&client, "pat", PASSWORD)
            .await
            .id_token
            .as_deref()
            .unwrap(),
    );
    assert!(
        id.get("cognito:preferred_role").is_none(),
        "a tie between different roles prefers none"
    );
}

#[tokio::test]
async fn groups_are_created_read_updated_and_deleted() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    group(&t, &pool, "readers", 5).await;
    let got = t
        .client
        .get_group()
        .user_pool_id(&pool)
        .group_name("readers")
        .send()
        .await
        .unwrap()
        .group
        .unwrap();
    assert_eq!(got.precedence, Some(5));
    assert_eq!(got.description.as_deref(), Some("the readers"));
    assert_eq!(got.role_arn, Some(role(&pool, "readers")));

    let updated = t
        .client
        .update_group()
        .user_pool_id(&pool)
        .group_name("readers")
        .description("changed")
        .send()
        .await
        .unwrap()
        .group
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("changed"));
    assert_eq!(
        updated.precedence,
        Some(5),
        "what the update does not name stays"
    );

    assert_eq!(
        code(
            t.client
                .create_group()
                .user_pool_id(&pool)
                .group_name("readers")
                .send()
                .await
        ),
        "GroupExistsException"
    );
    t.client
        .delete_group()
        .user_pool_id(&pool)
        .group_name("readers")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            t.client
                .get_group()
                .user_pool_id(&pool)
                .group_name("readers")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            t.client
                .delete_group()
                .user_pool_id(&pool)
                .group_name("readers")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn bad_names_precedences_and_roles_are_invalid() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    assert_eq!(
        code(
            t.client
                .create_group()
                .user_pool_id(&pool)
                .group_name("has space")
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    assert_eq!(
        code(
            t.client
                .create_group()
                .user_pool_id(&pool)
                .group_name("g")
                .precedence(-1)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    assert_eq!(
        code(
            t.client
                .create_group()
                .user_pool_id(&pool)
                .group_name("g")
                .role_arn("not-an-arn")
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    assert_eq!(
        code(
            t.client
                .create_group()
                .user_pool_id("us-east-1_nothere")
                .group_name("g")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn membership_errors_and_idempotent_adds() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    group(&t, &pool, "admin", 1).await;
    t.create_user(&pool, "ida", PASSWORD).await;
    let add = |user: &'static str, g: &'static str| {
        t.client
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username(user)
            .group_name(g)
            .send()
    };
    add("ida", "admin").await.unwrap();
    add("ida", "admin")
        .await
        .expect("adding a member twice is not an error");
    assert_eq!(code(add("nobody", "admin").await), "UserNotFoundException");
    assert_eq!(
        code(add("ida", "nogroup").await),
        "ResourceNotFoundException"
    );
    let listed = t
        .client
        .admin_list_groups_for_user()
        .user_pool_id(&pool)
        .username("ida")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.groups.unwrap().len(), 1);
    assert_eq!(
        code(
            t.client
                .admin_list_groups_for_user()
                .user_pool_id(&pool)
                .username("nobody")
                .send()
                .await
        ),
        "UserNotFoundException"
    );
    assert_eq!(
        code(
            t.client
                .list_users_in_group()
                .user_pool_id(&pool)
                .group_name("nogroup")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn deleting_a_group_or_a_user_removes_their_memberships() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    group(&t, &pool, "temp", 1).await;
    group(&t, &pool, "keep", 2).await;
    t.create_user(&pool, "mo", PASSWORD).await;
    t.create_user(&pool, "leaving", PASSWORD).await;
    for (u, g) in [("mo", "temp"), ("mo", "keep"), ("leaving", "keep")] {
        t.client
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username(u)
            .group_name(g)
            .send()
            .await
            .unwrap();
    }
    t.client
        .delete_group()
        .user_pool_id(&pool)
        .group_name("temp")
        .send()
        .await
        .unwrap();
    let groups = t
        .client
        .admin_list_groups_for_user()
        .user_pool_id(&pool)
        .username("mo")
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups
            .groups
            .unwrap()
            .into_iter()
            .map(|g| g.group_name.unwrap())
            .collect::<Vec<_>>(),
        ["keep"]
    );
    let id = claims(
        t.sign_in(&client, "mo", PASSWORD)
            .await
            .id_token
            .as_deref()
            .unwrap(),
    );
    assert_eq!(id["cognito:groups"], json!(["keep"]));

    t.client
        .admin_delete_user()
        .user_pool_id(&pool)
        .username("leaving")
        .send()
        .await
        .unwrap();
    let members = t
        .client
        .list_users_in_group()
        .user_pool_id(&pool)
        .group_name("keep")
        .send()
        .await
        .unwrap();
    assert_eq!(
        members
            .users
            .unwrap()
            .into_iter()
            .map(|u| u.username.unwrap())
            .collect::<Vec<_>>(),
        ["mo"]
    );
}

#[tokio::test]
async fn more_than_60_groups_and_members_page_without_gaps() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    t.create_user(&pool, "member", PASSWORD).await;
    let mut expected_groups = Vec::new();
    for i in 0..65 {
        let name = format!("group{i:02}");
        t.client
            .create_group()
            .user_pool_id(&pool)
            .group_name(&name)
            .send()
            .await
            .unwrap();
        t.client
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username("member")
            .group_name(&name)
            .send()
            .await
            .unwrap();
        expected_groups.push(name);
    }

    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = t
            .client
            .list_groups()
            .user_pool_id(&pool)
            .limit(60)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(
            page.groups
                .unwrap()
                .into_iter()
                .map(|g| g.group_name.unwrap()),
        );
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected_groups);

    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = t
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&pool)
            .username("member")
            .limit(25)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(
            page.groups
                .unwrap()
                .into_iter()
                .map(|g| g.group_name.unwrap()),
        );
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected_groups);
    assert_eq!(
        code(
            t.client
                .list_groups()
                .user_pool_id(&pool)
                .limit(61)
                .send()
                .await
        ),
        "InvalidParameterException"
    );

    let mut expected_members = Vec::new();
    for i in 0..65 {
        let name = format!("m{i:02}");
        t.client
            .admin_create_user()
            .user_pool_id(&pool)
            .username(&name)
            .temporary_password("Temp-Pass-123")
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        t.client
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username(&name)
            .group_name("group00")
            .send()
            .await
            .unwrap();
        expected_members.push(name);
    }
    expected_members.push("member".into());
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = t
            .client
            .list_users_in_group()
            .user_pool_id(&pool)
            .group_name("group00")
            .limit(60)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(page.users.unwrap().into_iter().map(|u| u.username.unwrap()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected_members);
}

#[tokio::test]
async fn a_user_can_be_in_at_most_100_groups() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    t.create_user(&pool, "joiner", PASSWORD).await;
    for i in 0..100 {
        let name = format!("g{i:03}");
        t.client
            .create_group()
            .user_pool_id(&pool)
            .group_name(&name)
            .send()
            .await
            .unwrap();
        t.client
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username("joiner")
            .group_name(&name)
            .send()
            .await
            .unwrap();
    }
    t.client
        .create_group()
        .user_pool_id(&pool)
        .group_name("one-too-many")
        .send()
        .await
        .unwrap();
    let result = t
        .client
        .admin_add_user_to_group()
        .user_pool_id(&pool)
        .username("joiner")
        .group_name("one-too-many")
        .send()
        .await;
    assert_eq!(code(result), "LimitExceededException");
    // Re-adding an existing membership is still fine at the limit.
    t.client
        .admin_add_user_to_group()
        .user_pool_id(&pool)
        .username("joiner")
        .group_name("g000")
        .send()
        .await
        .unwrap();
}

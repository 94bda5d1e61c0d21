//! Administrative user management and ListUsers.

use std::collections::BTreeSet;

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType, MessageActionType};

use crate::support::{attr, code, error, TestServer, PASSWORD};

#[tokio::test]
async fn admin_created_user_must_choose_a_new_password_at_first_sign_in() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    let created = t
        .client
        .admin_create_user()
        .user_pool_id(&pool)
        .username("newbie")
        .temporary_password("Temp-Pass-123")
        .user_attributes(attr("email", "newbie@example.com"))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(
        created.user_status.unwrap().as_str(),
        "FORCE_CHANGE_PASSWORD"
    );
    assert!(created.enabled);

    let challenge = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "newbie")
        .auth_parameters("PASSWORD", "Temp-Pass-123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge.challenge_name,
        Some(ChallengeNameType::NewPasswordRequired)
    );
    assert!(challenge.authentication_result.is_none());

    let weak = t
        .client
        .respond_to_auth_challenge()
        .client_id(&client)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .set_session(challenge.session.clone())
        .challenge_responses("USERNAME", "newbie")
        .challenge_responses("NEW_PASSWORD", "weak")
        .send()
        .await;
    assert_eq!(code(weak), "InvalidPasswordException");

    let done = t
        .client
        .respond_to_auth_challenge()
        .client_id(&client)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .set_session(challenge.session)
        .challenge_responses("USERNAME", "newbie")
        .challenge_responses("NEW_PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert!(done.authentication_result.unwrap().refresh_token.is_some());
    let user = t
        .client
        .admin_get_user()
        .user_pool_id(&pool)
        .username("newbie")
        .send()
        .await
        .unwrap();
    assert_eq!(user.user_status.unwrap().as_str(), "CONFIRMED");
}

#[tokio::test]
async fn admin_respond_to_auth_challenge_completes_the_admin_flow() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.client
        .admin_create_user()
        .user_pool_id(&pool)
        .username("ops")
        .temporary_password("Temp-Pass-123")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let challenge = t
        .client
        .admin_initiate_auth()
        .user_pool_id(&pool)
        .client_id(&client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "ops")
        .auth_parameters("PASSWORD", "Temp-Pass-123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge.challenge_name,
        Some(ChallengeNameType::NewPasswordRequired)
    );
    let done = t
        .client
        .admin_respond_to_auth_challenge()
        .user_pool_id(&pool)
        .client_id(&client)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .set_session(challenge.session)
        .challenge_responses("USERNAME", "ops")
        .challenge_responses("NEW_PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert!(done.authentication_result.is_some());
    let tampered = t
        .client
        .admin_respond_to_auth_challenge()
        .user_pool_id(&pool)
        .client_id(&client)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session("not-a-session")
        .challenge_responses("USERNAME", "ops")
        .challenge_responses("NEW_PASSWORD", PASSWORD)
        .send()
        .await;
    assert_eq!(code(tampered), "NotAuthorizedException");
}

#[tokio::test]
async fn welcome_message_carries_a_working_temporary_password() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.client
        .admin_create_user()
        .user_pool_id(&pool)
        .username("welcomed")
        .user_attributes(attr("email", "welcomed@example.com"))
        .send()
        .await
        .unwrap();
    let temporary = t.last_code(&pool).await;
    let out = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "welcomed")
        .auth_parameters("PASSWORD", temporary)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name,
        Some(ChallengeNameType::NewPasswordRequired)
    );
}

#[tokio::test]
async fn disabled_user_cannot_sign_in_until_enabled() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "dora", PASSWORD).await;
    let tokens = t.sign_in(&client, "dora", PASSWORD).await;
    t.client
        .admin_disable_user()
        .user_pool_id(&pool)
        .username("dora")
        .send()
        .await
        .unwrap();

    let (name, message) = error(
        t.client
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "dora")
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await,
    );
    assert_eq!(
        (name.as_str(), message.as_str()),
        ("NotAuthorizedException", "User is disabled.")
    );
    assert_eq!(
        code(
            t.client
                .get_user()
                .access_token(tokens.access_token.unwrap())
                .send()
                .await
        ),
        "NotAuthorizedException"
    );
    let user = t
        .client
        .admin_get_user()
        .user_pool_id(&pool)
        .username("dora")
        .send()
        .await
        .unwrap();
    assert!(!user.enabled);

    t.client
        .admin_enable_user()
        .user_pool_id(&pool)
        .username("dora")
        .send()
        .await
        .unwrap();
    t.sign_in(&client, "dora", PASSWORD).await;
}

#[tokio::test]
async fn attributes_are_updated_and_deleted() {
    let t = TestServer::start().await;
    let (pool, _) = t.pool_and_client().await;
    t.create_user(&pool, "ann", PASSWORD).await;
    t.client
        .admin_update_user_attributes()
        .user_pool_id(&pool)
        .username("ann")
        .user_attributes(attr("given_name", "Ann"))
        .user_attributes(attr("email", "ann@new.example.com"))
        .send()
        .await
        .unwrap();
    let user = t
        .client
        .admin_get_user()
        .user_pool_id(&pool)
        .username("ann")
        .send()
        .await
        .unwrap();
    let get = |name: &str| {
        user.user_attributes
            .as_ref()
            .unwrap()
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.value.clone())
    };
    assert_eq!(get("given_name").as_deref(), Some("Ann"));
    assert_eq!(get("email").as_deref(), Some("ann@new.example.com"));
    assert_eq!(
        get("email_verified").as_deref(),
        Some("false"),
        "a changed email is unverified"
    );

    t.client
        .admin_delete_user_attributes()
        .user_pool_id(&pool)
        .username("ann")
        .user_attribute_names("given_name")
        .send()
        .await
        .unwrap();
    let user = t
        .client
        .admin_get_user()
        .user_pool_id(&pool)
        .username("ann")
        .send()
        .await
        .unwrap();
    assert!(!user
        .user_attributes
        .unwrap()
        .iter()
        .any(|a| a.name == "given_name"));
}

#[tokio::test]
async fn deleted_user_is_gone() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "gone", PASSWORD).await;
    let tokens = t.sign_in(&client, "gone", PASSWORD).await;
    t.client
        .admin_delete_user()
        .user_pool_id(&pool)
        .username("gone")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            t.client
                .admin_get_user()
                .user_pool_id(&pool)
                .username("gone")
                .send()
                .await
        ),
        "UserNotFoundException"
    );
    assert_eq!(
        code(
            t.client
                .admin_delete_user()
                .user_pool_id(&pool)
                .username("gone")
                .send()
                .await
        ),
        "UserNotFoundException"
    );
    assert_eq!(
        code(
            t.client
                .get_user()
                .access_token(tokens.access_token.unwrap())
                .send()
                .await
        ),
        "NotAuthorizedException"
    );
}

#[tokio::test]
async fn reset_password_forces_the_code_flow() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "rita", PASSWORD).await;
    t.client
        .admin_reset_user_password()
        .user_pool_id(&pool)
        .username("rita")
        .send()
        .await
        .unwrap();
    let result = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "rita")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await;
    assert_eq!(code(result), "PasswordResetRequiredException");
    let reset_code = t.last_code(&pool).await;
    t.client
        .confirm_forgot_password()
        .client_id(&client)
        .username("rita")
        .confirmation_code(reset_code)
        .password("Brand-New-Pass-2")
        .send()
        .await
        .unwrap();
    t.sign_in(&client, "rita", "Brand-New-Pass-2").await;
}

#[tokio::test]
async fn set_password_as_temporary_requires_a_change() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "tim", PASSWORD).await;
    t.client
        .admin_set_user_password()
        .user_pool_id(&pool)
        .username("tim")
        .password("Another-Pass-9")
        .permanent(false)
        .send()
        .await
        .unwrap();
    let out = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "tim")
        .auth_parameters("PASSWORD", "Another-Pass-9")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name,
        Some(ChallengeNameType::NewPasswordRequired)
    );
    let weak = t
        .client
        .admin_set_user_password()
        .user_pool_id(&pool)
        .username("tim")
        .password("x")
        .permanent(true)
        .send()
        .await;
    assert_eq!(code(weak), "InvalidPasswordException");
}

#[tokio::test]
async fn admin_operations_on_unknown_users_are_user_not_found() {
    let t = TestServer::start().await;
    let (pool, _) = t.pool_and_client().await;
    assert_eq!(
        code(
            t.client
                .admin_get_user()
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
                .admin_disable_user()
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
                .admin_user_global_sign_out()
                .user_pool_id(&pool)
                .username("nobody")
                .send()
                .await
        ),
        "UserNotFoundException"
    );
}

#[tokio::test]
async fn list_users_pages_through_every_user_exactly_once() {
    let t = TestServer::start().await;
    let (pool, _) = t.pool_and_client().await;
    let mut expected = BTreeSet::new();
    for i in 0..75 {
        let name = format!("user{i:03}");
        t.client
            .admin_create_user()
            .user_pool_id(&pool)
            .username(&name)
            .temporary_password("Temp-Pass-123")
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        expected.insert(name);
    }
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = t
            .client
            .list_users()
            .user_pool_id(&pool)
            .limit(20)
            .set_pagination_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(page.users.unwrap().into_iter().map(|u| u.username.unwrap()));
        pages += 1;
        token = page.pagination_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), 75, "no duplicates");
    assert_eq!(
        seen.into_iter().collect::<BTreeSet<_>>(),
        expected,
        "no gaps"
    );
    assert_eq!(
        code(
            t.client
                .list_users()
                .user_pool_id(&pool)
                .limit(61)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    assert_eq!(
        code(
            t.client
                .list_users()
                .user_pool_id(&pool)
                .pagination_token("!!not-a-token!!")
                .send()
                .await
        ),
        "InvalidParameterException"
    );
}

#[tokio::test]
async fn list_users_filters_by_attribute_status_and_prefix() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    for name in ["amy", "amos", "bert"] {
        t.create_user(&pool, name, PASSWORD).await;
    }
    t.client
        .sign_up()
        .client_id(&client)
        .username("unconfirmed")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    t.client
        .admin_disable_user()
        .user_pool_id(&pool)
        .username("bert")
        .send()
        .await
        .unwrap();

    let names = |filter: &'static str| {
        let t = &t;
        let pool = pool.clone();
        async move {
            let out = t
                .client
                .list_users()
                .user_pool_id(pool)
                .filter(filter)
                .send()
                .await
                .unwrap();
            out.users
                .unwrap()
                .into_iter()
                .map(|u| u.username.unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names(r#"username ^= "am""#).await, vec!["amos", "amy"]);
    assert_eq!(names(r#"email = "amy@example.com""#).await, vec!["amy"]);
    assert_eq!(names(r#"email ^= "a""#).await, vec!["amos", "amy"]);
    assert_eq!(
        names(r#"cognito:user_status = "UNCONFIRMED""#).await,
        vec!["unconfirmed"]
    );
    assert_eq!(names(r#"status = "Disabled""#).await, vec!["bert"]);
    assert_eq!(names(r#"username = "nobody""#).await, Vec::<String>::new());

    let limited = t
        .client
        .list_users()
        .user_pool_id(&pool)
        .filter(r#"username = "amy""#)
        .attributes_to_get("email")
        .send()
        .await
        .unwrap();
    let attributes = limited.users.unwrap()[0].attributes.clone().unwrap();
    assert_eq!(attributes.len(), 1);
    assert_eq!(attributes[0].name, "email");

    assert_eq!(
        code(
            t.client
                .list_users()
                .user_pool_id(&pool)
                .filter(r#"address = "x""#)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
}

//! Sign-in flows, refresh, sign-out and revocation, and self-service calls.

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ExplicitAuthFlowsType, PreventUserExistenceErrorTypes,
};
use cognate_core::service::secret_hash;

use crate::support::{attr, code, error, TestServer, PASSWORD};

async fn password_sign_in(
    t: &TestServer,
    client: &str,
    username: &str,
    password: &str,
) -> (String, String) {
    error(
        t.client
            .initiate_auth()
            .client_id(client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await,
    )
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_alike() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "wanda", PASSWORD).await;
    let wrong = password_sign_in(&t, &client, "wanda", "Wrong-Pass-1").await;
    let unknown = password_sign_in(&t, &client, "nobody", "Wrong-Pass-1").await;
    assert_eq!(
        wrong,
        (
            "NotAuthorizedException".into(),
            "Incorrect username or password.".into()
        )
    );
    assert_eq!(unknown, wrong);
}

#[tokio::test]
async fn legacy_clients_reveal_unknown_users() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let client = t
        .client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("legacy")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Legacy)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    let (name, _) = password_sign_in(&t, &client, "nobody", PASSWORD).await;
    assert_eq!(name, "UserNotFoundException");
}

#[tokio::test]
async fn flows_outside_the_clients_list_are_refused() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let client = t
        .client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("srp-only")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    t.create_user(&pool, "sam", PASSWORD).await;
    let (name, message) = password_sign_in(&t, &client, "sam", PASSWORD).await;
    assert_eq!(name, "InvalidParameterException");
    assert_eq!(
        message,
        "USER_PASSWORD_AUTH flow not enabled for this client"
    );
    let admin = t
        .client
        .admin_initiate_auth()
        .user_pool_id(&pool)
        .client_id(&client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "sam")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await;
    assert_eq!(code(admin), "InvalidParameterException");
}

#[tokio::test]
async fn unknown_client_is_resource_not_found() {
    let t = TestServer::start().await;
    let (name, _) = password_sign_in(&t, "nosuchclientid", "x", PASSWORD).await;
    assert_eq!(name, "ResourceNotFoundException");
}

#[tokio::test]
async fn clients_with_a_secret_need_the_secret_hash() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let client_id = t.create_client(&pool, true).await;
    let secret = t
        .client
        .describe_user_pool_client()
        .user_pool_id(&pool)
        .client_id(&client_id)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_secret
        .unwrap();
    t.create_user(&pool, "sid", PASSWORD).await;
    let attempt = |hash: Option<String>| {
        t.client
            .initiate_auth()
            .client_id(&client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .set_auth_parameters(Some(
                [("USERNAME", "sid"), ("PASSWORD", PASSWORD)]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .chain(hash.map(|h| ("SECRET_HASH".to_owned(), h)))
                    .collect(),
            ))
            .send()
    };
    let (name, message) = error(attempt(None).await);
    assert_eq!(name, "NotAuthorizedException");
    assert!(
        message.contains("SECRET_HASH was not received"),
        "{message}"
    );
    let (_, message) = error(attempt(Some(secret_hash("wrong", "sid", &client_id))).await);
    assert!(
        message.contains("Unable to verify secret hash"),
        "{message}"
    );
    let ok = attempt(Some(secret_hash(&secret, "sid", &client_id)))
        .await
        .unwrap();
    assert!(ok.authentication_result.is_some());
}

#[tokio::test]
async fn refresh_gives_new_tokens_but_no_new_refresh_token() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "rae", PASSWORD).await;
    let tokens = t.sign_in(&client, "rae", PASSWORD).await;
    let refreshed = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token.clone().unwrap())
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    assert!(refreshed.refresh_token.is_none());
    let access = refreshed.access_token.unwrap();
    assert_eq!(
        t.client
            .get_user()
            .access_token(&access)
            .send()
            .await
            .unwrap()
            .username,
        "rae"
    );

    let admin_refresh = t
        .client
        .admin_initiate_auth()
        .user_pool_id(&pool)
        .client_id(&client)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token.unwrap())
        .send()
        .await
        .unwrap();
    assert!(admin_refresh
        .authentication_result
        .unwrap()
        .id_token
        .is_some());

    let bogus = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", "not-a-refresh-token")
        .send()
        .await;
    assert_eq!(code(bogus), "NotAuthorizedException");
}

#[tokio::test]
async fn global_sign_out_revokes_access_and_refresh_tokens() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "gail", PASSWORD).await;
    let first = t.sign_in(&client, "gail", PASSWORD).await;
    let second = t.sign_in(&client, "gail", PASSWORD).await;
    t.client
        .global_sign_out()
        .access_token(first.access_token.clone().unwrap())
        .send()
        .await
        .unwrap();

    for tokens in [&first, &second] {
        let (name, message) = error(
            t.client
                .get_user()
                .access_token(tokens.access_token.clone().unwrap())
                .send()
                .await,
        );
        assert_eq!(
            (name.as_str(), message.as_str()),
            ("NotAuthorizedException", "Access Token has been revoked")
        );
        let refresh = t
            .client
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", tokens.refresh_token.clone().unwrap())
            .send()
            .await;
        assert_eq!(code(refresh), "NotAuthorizedException");
    }
    let fresh = t.sign_in(&client, "gail", PASSWORD).await;
    t.client
        .get_user()
        .access_token(fresh.access_token.unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn admin_global_sign_out_revokes_every_session() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "hal", PASSWORD).await;
    let tokens = t.sign_in(&client, "hal", PASSWORD).await;
    t.client
        .admin_user_global_sign_out()
        .user_pool_id(&pool)
        .username("hal")
        .send()
        .await
        .unwrap();
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
async fn revoke_token_ends_one_session_only() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "ray", PASSWORD).await;
    let revoked = t.sign_in(&client, "ray", PASSWORD).await;
    let kept = t.sign_in(&client, "ray", PASSWORD).await;
    t.client
        .revoke_token()
        .client_id(&client)
        .token(revoked.refresh_token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            t.client
                .get_user()
                .access_token(revoked.access_token.unwrap())
                .send()
                .await
        ),
        "NotAuthorizedException"
    );
    t.client
        .get_user()
        .access_token(kept.access_token.unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "lola", PASSWORD).await;
    for _ in 0..5 {
        password_sign_in(&t, &client, "lola", "Wrong-Pass-1").await;
    }
    let (name, message) = password_sign_in(&t, &client, "lola", PASSWORD).await;
    assert_eq!(
        (name.as_str(), message.as_str()),
        ("NotAuthorizedException", "Password attempts exceeded")
    );
    // The first lock lasts one second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    t.sign_in(&client, "lola", PASSWORD).await;
}

#[tokio::test]
async fn change_password_needs_the_old_one() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "cher", PASSWORD).await;
    let access = t
        .sign_in(&client, "cher", PASSWORD)
        .await
        .access_token
        .unwrap();
    let wrong = t
        .client
        .change_password()
        .access_token(&access)
        .previous_password("Not-The-Old-1")
        .proposed_password("Next-Pass-22")
        .send()
        .await;
    assert_eq!(code(wrong), "NotAuthorizedException");
    t.client
        .change_password()
        .access_token(&access)
        .previous_password(PASSWORD)
        .proposed_password("Next-Pass-22")
        .send()
        .await
        .unwrap();
    t.sign_in(&client, "cher", "Next-Pass-22").await;
}

#[tokio::test]
async fn forgotten_password_is_reset_with_the_code() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "fay", PASSWORD).await;
    let delivery = t
        .client
        .forgot_password()
        .client_id(&client)
        .username("fay")
        .send()
        .await
        .unwrap()
        .code_delivery_details
        .unwrap();
    assert_eq!(delivery.destination.as_deref(), Some("f***@e***.com"));
    let reset = t.last_code(&pool).await;
    let wrong = t
        .client
        .confirm_forgot_password()
        .client_id(&client)
        .username("fay")
        .confirmation_code("999999x")
        .password("Reset-Pass-33")
        .send()
        .await;
    assert_eq!(code(wrong), "CodeMismatchException");
    t.client
        .confirm_forgot_password()
        .client_id(&client)
        .username("fay")
        .confirmation_code(&reset)
        .password("Reset-Pass-33")
        .send()
        .await
        .unwrap();
    t.sign_in(&client, "fay", "Reset-Pass-33").await;
    let reused = t
        .client
        .confirm_forgot_password()
        .client_id(&client)
        .username("fay")
        .confirmation_code(&reset)
        .password("Reset-Pass-44")
        .send()
        .await;
    assert_eq!(code(reused), "ExpiredCodeException", "a code works once");
}

#[tokio::test]
async fn users_update_their_attributes_and_delete_themselves() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "uma", PASSWORD).await;
    let access = t
        .sign_in(&client, "uma", PASSWORD)
        .await
        .access_token
        .unwrap();
    t.client
        .update_user_attributes()
        .access_token(&access)
        .user_attributes(attr("nickname", "u"))
        .send()
        .await
        .unwrap();
    let me = t
        .client
        .get_user()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    assert!(me
        .user_attributes
        .iter()
        .any(|a| a.name == "nickname" && a.value.as_deref() == Some("u")));
    let forbidden = t
        .client
        .update_user_attributes()
        .access_token(&access)
        .user_attributes(attr("email_verified", "true"))
        .send()
        .await;
    assert_eq!(code(forbidden), "NotAuthorizedException");

    t.client
        .delete_user()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            t.client
                .admin_get_user()
                .user_pool_id(&pool)
                .username("uma")
                .send()
                .await
        ),
        "UserNotFoundException"
    );
}

#[tokio::test]
async fn unconfirmed_user_cannot_sign_in() {
    let t = TestServer::start().await;
    let (_, client) = t.pool_and_client().await;
    t.client
        .sign_up()
        .client_id(&client)
        .username("una")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    let (name, _) = password_sign_in(&t, &client, "una", PASSWORD).await;
    assert_eq!(name, "UserNotConfirmedException");
}

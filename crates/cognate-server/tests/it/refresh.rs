//! GetTokensFromRefreshToken (what aws-amplify v6 refreshes with) and refresh token rotation.

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ExplicitAuthFlowsType, FeatureType, RefreshTokenRotationType,
};

use crate::support::{code, error, TestServer, PASSWORD};

/// A client of `pool` that rotates refresh tokens with a grace period of `grace` seconds.
async fn rotating_client(t: &TestServer, pool: &str, grace: i32) -> String {
    t.client
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name("rotating")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .refresh_token_rotation(
            RefreshTokenRotationType::builder()
                .feature(FeatureType::Enabled)
                .retry_grace_period_seconds(grace)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap()
}

async fn refresh(
    t: &TestServer,
    client: &str,
    token: &str,
) -> Result<aws_sdk_cognitoidentityprovider::types::AuthenticationResultType, (String, String)> {
    t.client
        .get_tokens_from_refresh_token()
        .client_id(client)
        .refresh_token(token)
        .send()
        .await
        .map(|out| out.authentication_result.unwrap())
        .map_err(|e| {
            let meta = aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata::meta(&e);
            (
                meta.code().unwrap_or_default().to_owned(),
                meta.message().unwrap_or_default().to_owned(),
            )
        })
}

#[tokio::test]
async fn get_tokens_from_refresh_token_answers_as_refresh_token_auth_does() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "alice", PASSWORD).await;
    let first = t.sign_in(&client, "alice", PASSWORD).await;
    let token = first.refresh_token.unwrap();
    let refreshed = refresh(&t, &client, &token).await.unwrap();
    assert!(
        refreshed.refresh_token.is_none(),
        "no rotation, no new token"
    );
    assert_eq!(refreshed.token_type.as_deref(), Some("Bearer"));
    assert_eq!(refreshed.expires_in, 3600);
    let user = t
        .client
        .get_user()
        .access_token(refreshed.access_token.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(user.username, "alice");
    assert!(refreshed.id_token.is_some());

    assert_eq!(
        refresh(&t, &client, "not-a-refresh-token")
            .await
            .unwrap_err(),
        (
            "NotAuthorizedException".to_owned(),
            "Invalid Refresh Token".to_owned()
        )
    );
    t.client
        .revoke_token()
        .client_id(&client)
        .token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refresh(&t, &client, &token).await.unwrap_err().1,
        "Refresh Token has been revoked"
    );
}

#[tokio::test]
async fn a_client_with_a_secret_refreshes_only_with_it() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let client = t.create_client(&pool, true).await;
    let secret = t
        .client
        .describe_user_pool_client()
        .user_pool_id(&pool)
        .client_id(&client)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_secret
        .unwrap();
    t.create_user(&pool, "bob", PASSWORD).await;
    let tokens = t
        .client
        .admin_initiate_auth()
        .user_pool_id(&pool)
        .client_id(&client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "bob")
        .auth_parameters("PASSWORD", PASSWORD)
        .auth_parameters(
            "SECRET_HASH",
            cognate_core::service::secret_hash(&secret, "bob", &client),
        )
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    let token = tokens.refresh_token.unwrap();
    let call = |given: Option<&str>| {
        t.client
            .get_tokens_from_refresh_token()
            .client_id(&client)
            .refresh_token(&token)
            .set_client_secret(given.map(str::to_owned))
            .send()
    };
    assert_eq!(
        error(call(None).await),
        (
            "NotAuthorizedException".to_owned(),
            format!("Client {client} is configured with secret but ClientSecret was not received")
        )
    );
    assert_eq!(
        code(call(Some("not-the-secret")).await),
        "NotAuthorizedException"
    );
    let refreshed = call(Some(&secret)).await.unwrap();
    assert!(refreshed
        .authentication_result
        .unwrap()
        .access_token
        .is_some());
}

#[tokio::test]
async fn rotation_gives_a_new_refresh_token_and_retires_the_old_one() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let client = rotating_client(&t, &pool, 0).await;
    let described = t
        .client
        .describe_user_pool_client()
        .user_pool_id(&pool)
        .client_id(&client)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .refresh_token_rotation
        .unwrap();
    assert_eq!(described.feature, FeatureType::Enabled);
    assert_eq!(described.retry_grace_period_seconds, Some(0));
    t.create_user(&pool, "carol", PASSWORD).await;
    let first = t.sign_in(&client, "carol", PASSWORD).await;
    let t0 = first.refresh_token.unwrap();

    let t1 = refresh(&t, &client, &t0)
        .await
        .unwrap()
        .refresh_token
        .expect("a rotating client answers a new refresh token");
    assert_ne!(t0, t1);
    assert_eq!(
        refresh(&t, &client, &t0).await.unwrap_err().1,
        "Invalid Refresh Token",
        "without a grace period the old token is gone at once"
    );
    let t2 = refresh(&t, &client, &t1)
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    assert_ne!(t1, t2);

    let old_flow = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &t2)
        .send()
        .await;
    assert_eq!(code(old_flow), "InvalidParameterException");
}

#[tokio::test]
async fn a_rotated_out_token_is_honoured_for_the_grace_period_only() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let client = rotating_client(&t, &pool, 1).await;
    t.create_user(&pool, "dave", PASSWORD).await;
    let t0 = t
        .sign_in(&client, "dave", PASSWORD)
        .await
        .refresh_token
        .unwrap();
    let t1 = refresh(&t, &client, &t0)
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    // A retry with the old token inside the grace period still works, and rotates again.
    let retried = refresh(&t, &client, &t0)
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    assert_ne!(retried, t1);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        refresh(&t, &client, &t0).await.unwrap_err().1,
        "Invalid Refresh Token"
    );
    refresh(&t, &client, &retried).await.unwrap();
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_rotate_it_once() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let client = rotating_client(&t, &pool, 0).await;
    t.create_user(&pool, "erin", PASSWORD).await;
    let t0 = t
        .sign_in(&client, "erin", PASSWORD)
        .await
        .refresh_token
        .unwrap();
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let sdk = t.client.clone();
        let (client, t0) = (client.clone(), t0.clone());
        attempts.spawn(async move {
            sdk.get_tokens_from_refresh_token()
                .client_id(client)
                .refresh_token(t0)
                .send()
                .await
        });
    }
    let results = attempts.join_all().await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    for lost in results.into_iter().filter(|r| r.is_err()) {
        assert_eq!(error(lost).1, "Invalid Refresh Token");
    }
}

#[tokio::test]
async fn rotation_is_set_and_checked_by_update_user_pool_client() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    let update = |grace: i32| {
        t.client
            .update_user_pool_client()
            .user_pool_id(&pool)
            .client_id(&client)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .refresh_token_rotation(
                RefreshTokenRotationType::builder()
                    .feature(FeatureType::Enabled)
                    .retry_grace_period_seconds(grace)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    assert_eq!(code(update(61).await), "InvalidParameterException");
    let updated = update(30).await.unwrap().user_pool_client.unwrap();
    let rotation = updated.refresh_token_rotation.unwrap();
    assert_eq!(rotation.feature, FeatureType::Enabled);
    assert_eq!(rotation.retry_grace_period_seconds, Some(30));
    t.create_user(&pool, "frank", PASSWORD).await;
    let token = t
        .sign_in(&client, "frank", PASSWORD)
        .await
        .refresh_token
        .unwrap();
    assert!(refresh(&t, &client, &token)
        .await
        .unwrap()
        .refresh_token
        .is_some());
}

//! User pools and app clients.

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, DeletionProtectionType, ExplicitAuthFlowsType, PasswordPolicyType,
    SchemaAttributeType, TimeUnitsType, TokenValidityUnitsType, UserPoolPolicyType,
    UsernameAttributeType,
};

use crate::support::{code, error, TestServer};

#[tokio::test]
async fn created_pool_is_described_with_its_settings() {
    let t = TestServer::start().await;
    let created = t
        .client
        .create_user_pool()
        .pool_name("demo")
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(
                    PasswordPolicyType::builder()
                        .minimum_length(10)
                        .require_symbols(false)
                        .build(),
                )
                .build(),
        )
        .username_attributes(UsernameAttributeType::Email)
        .auto_verified_attributes(
            aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType::Email,
        )
        .schema(
            SchemaAttributeType::builder()
                .name("tier")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    let id = created.id.clone().unwrap();
    assert!(id.starts_with("us-east-1_"), "{id}");
    assert_eq!(
        created.arn.as_deref(),
        Some(format!("arn:aws:cognito-idp:us-east-1:000000000000:userpool/{id}").as_str())
    );

    let described = t
        .client
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    assert_eq!(described.name.as_deref(), Some("demo"));
    let policy = described.policies.unwrap().password_policy.unwrap();
    assert_eq!(policy.minimum_length, Some(10));
    assert!(!policy.require_symbols);
    assert_eq!(
        described.username_attributes,
        Some(vec![UsernameAttributeType::Email])
    );
    let schema = described.schema_attributes.unwrap();
    assert!(schema
        .iter()
        .any(|a| a.name.as_deref() == Some("custom:tier")));
    assert!(schema.iter().any(|a| a.name.as_deref() == Some("email")));
}

#[tokio::test]
async fn pools_are_listed_across_pages_without_gaps() {
    let t = TestServer::start().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(t.create_pool().await);
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = t
            .client
            .list_user_pools()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(page.user_pools.unwrap().into_iter().map(|p| p.id.unwrap()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    created.sort();
    assert_eq!(seen, created);
    assert_eq!(
        code(t.client.list_user_pools().max_results(61).send().await),
        "InvalidParameterException"
    );
}

#[tokio::test]
async fn updated_and_deleted_pools() {
    let t = TestServer::start().await;
    let id = t.create_pool().await;
    t.client
        .update_user_pool()
        .user_pool_id(&id)
        .deletion_protection(DeletionProtectionType::Active)
        .send()
        .await
        .unwrap();
    let (name, message) = error(t.client.delete_user_pool().user_pool_id(&id).send().await);
    assert_eq!(name, "InvalidParameterException");
    assert!(message.contains("deletion protection"), "{message}");

    t.client
        .update_user_pool()
        .user_pool_id(&id)
        .deletion_protection(DeletionProtectionType::Inactive)
        .send()
        .await
        .unwrap();
    t.client
        .delete_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(t.client.describe_user_pool().user_pool_id(&id).send().await),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn unknown_or_malformed_pools_are_errors() {
    let t = TestServer::start().await;
    assert_eq!(
        code(
            t.client
                .describe_user_pool()
                .user_pool_id("us-east-1_doesnotexist")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            t.client
                .describe_user_pool()
                .user_pool_id("no-underscore")
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    assert_eq!(
        code(
            t.client
                .create_user_pool_client()
                .user_pool_id("us-east-1_nothere")
                .client_name("x")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn clients_are_created_described_listed_updated_and_deleted() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let created = t
        .client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("web")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .access_token_validity(30)
        .token_validity_units(
            TokenValidityUnitsType::builder()
                .access_token(TimeUnitsType::Minutes)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    let id = created.client_id.clone().unwrap();
    assert_eq!(id.len(), 26);
    let secret = created.client_secret.clone().expect("a generated secret");

    let described = t
        .client
        .describe_user_pool_client()
        .user_pool_id(&pool)
        .client_id(&id)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(described.client_secret.as_deref(), Some(secret.as_str()));
    assert_eq!(described.access_token_validity, Some(30));
    assert_eq!(
        described.explicit_auth_flows,
        Some(vec![ExplicitAuthFlowsType::AllowUserPasswordAuth])
    );

    t.create_client(&pool, false).await;
    let listed = t
        .client
        .list_user_pool_clients()
        .user_pool_id(&pool)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.user_pool_clients.unwrap().len(), 1);
    let rest = t
        .client
        .list_user_pool_clients()
        .user_pool_id(&pool)
        .set_next_token(listed.next_token)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.user_pool_clients.unwrap().len(), 1);
    assert!(rest.next_token.is_none());

    let updated = t
        .client
        .update_user_pool_client()
        .user_pool_id(&pool)
        .client_id(&id)
        .client_name("renamed")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(updated.client_name.as_deref(), Some("renamed"));
    assert_eq!(updated.client_secret.as_deref(), Some(secret.as_str()));

    t.client
        .delete_user_pool_client()
        .user_pool_id(&pool)
        .client_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            t.client
                .describe_user_pool_client()
                .user_pool_id(&pool)
                .client_id(&id)
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn client_settings_out_of_range_are_invalid() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let too_short = t
        .client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("x")
        .access_token_validity(1)
        .token_validity_units(
            TokenValidityUnitsType::builder()
                .access_token(TimeUnitsType::Minutes)
                .build(),
        )
        .send()
        .await;
    assert_eq!(code(too_short), "InvalidParameterException");
}

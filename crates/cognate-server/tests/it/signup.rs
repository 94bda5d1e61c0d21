//! Sign-up, confirmation codes and the outbox.

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, UsernameAttributeType, VerifiedAttributeType,
};

use crate::support::{attr, code, error, TestServer, PASSWORD};

async fn pool_with_email_codes(t: &TestServer) -> (String, String) {
    let pool = t
        .client
        .create_user_pool()
        .pool_name("signup")
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = t.create_client(&pool, false).await;
    (pool, client)
}

#[tokio::test]
async fn user_signs_up_confirms_with_the_emailed_code_and_signs_in() {
    let t = TestServer::start().await;
    let (pool, client) = pool_with_email_codes(&t).await;
    let out = t
        .client
        .sign_up()
        .client_id(&client)
        .username("alice")
        .password(PASSWORD)
        .user_attributes(attr("email", "alice@example.com"))
        .send()
        .await
        .unwrap();
    assert!(!out.user_confirmed);
    let delivery = out.code_delivery_details.unwrap();
    assert_eq!(delivery.destination.as_deref(), Some("a***@e***.com"));

    assert_eq!(
        code(
            t.client
                .initiate_auth()
                .client_id(&client)
                .auth_flow(AuthFlowType::UserPasswordAuth)
                .auth_parameters("USERNAME", "alice")
                .auth_parameters("PASSWORD", PASSWORD)
                .send()
                .await
        ),
        "UserNotConfirmedException"
    );

    assert_eq!(
        code(
            t.client
                .confirm_sign_up()
                .client_id(&client)
                .username("alice")
                .confirmation_code("000000x")
                .send()
                .await
        ),
        "CodeMismatchException"
    );
    let code_sent = t.last_code(&pool).await;
    t.client
        .confirm_sign_up()
        .client_id(&client)
        .username("alice")
        .confirmation_code(code_sent)
        .send()
        .await
        .unwrap();

    let user = t
        .client
        .admin_get_user()
        .user_pool_id(&pool)
        .username("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(user.user_status.unwrap().as_str(), "CONFIRMED");
    let attributes = user.user_attributes.unwrap();
    assert!(attributes
        .iter()
        .any(|a| a.name == "email_verified" && a.value.as_deref() == Some("true")));
    t.sign_in(&client, "alice", PASSWORD).await;
}

#[tokio::test]
async fn a_username_can_be_taken_only_once() {
    let t = TestServer::start().await;
    let (_, client) = pool_with_email_codes(&t).await;
    let sign_up = || {
        t.client
            .sign_up()
            .client_id(&client)
            .username("bob")
            .password(PASSWORD)
            .send()
    };
    sign_up().await.unwrap();
    assert_eq!(code(sign_up().await), "UsernameExistsException");
}

#[tokio::test]
async fn weak_passwords_are_refused_with_the_policy_reason() {
    let t = TestServer::start().await;
    let (_, client) = pool_with_email_codes(&t).await;
    let (name, message) = error(
        t.client
            .sign_up()
            .client_id(&client)
            .username("carol")
            .password("short")
            .send()
            .await,
    );
    assert_eq!(name, "InvalidPasswordException");
    assert_eq!(
        message,
        "Password did not conform with policy: Password not long enough"
    );
    let (_, message) = error(
        t.client
            .sign_up()
            .client_id(&client)
            .username("carol")
            .password("alllowercase1!")
            .send()
            .await,
    );
    assert_eq!(
        message,
        "Password did not conform with policy: Password must have uppercase characters"
    );
}

#[tokio::test]
async fn sign_up_needs_a_known_client() {
    let t = TestServer::start().await;
    assert_eq!(
        code(
            t.client
                .sign_up()
                .client_id("nosuchclient")
                .username("x")
                .password(PASSWORD)
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn unknown_attributes_are_invalid() {
    let t = TestServer::start().await;
    let (_, client) = pool_with_email_codes(&t).await;
    let result = t
        .client
        .sign_up()
        .client_id(&client)
        .username("dave")
        .password(PASSWORD)
        .user_attributes(attr("custom:unknown", "x"))
        .send()
        .await;
    assert_eq!(code(result), "InvalidParameterException");
}

#[tokio::test]
async fn codes_can_be_resent_and_only_the_newest_works() {
    let t = TestServer::start().await;
    let (pool, client) = pool_with_email_codes(&t).await;
    t.client
        .sign_up()
        .client_id(&client)
        .username("erin")
        .password(PASSWORD)
        .user_attributes(attr("email", "erin@example.com"))
        .send()
        .await
        .unwrap();
    let first = t.last_code(&pool).await;
    t.client
        .resend_confirmation_code()
        .client_id(&client)
        .username("erin")
        .send()
        .await
        .unwrap();
    let second = t.last_code(&pool).await;
    if first != second {
        assert_eq!(
            code(
                t.client
                    .confirm_sign_up()
                    .client_id(&client)
                    .username("erin")
                    .confirmation_code(first)
                    .send()
                    .await
            ),
            "CodeMismatchException"
        );
    }
    t.client
        .confirm_sign_up()
        .client_id(&client)
        .username("erin")
        .confirmation_code(second)
        .send()
        .await
        .unwrap();
    let again = t
        .client
        .resend_confirmation_code()
        .client_id(&client)
        .username("erin")
        .send()
        .await;
    assert_eq!(code(again), "InvalidParameterException");
}

#[tokio::test]
async fn pools_that_sign_in_by_email_take_the_email_as_username() {
    let t = TestServer::start().await;
    let pool = t
        .client
        .create_user_pool()
        .pool_name("by-email")
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = t.create_client(&pool, false).await;
    let out = t
        .client
        .sign_up()
        .client_id(&client)
        .username("frank@example.com")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            t.client
                .sign_up()
                .client_id(&client)
                .username("frank@example.com")
                .password(PASSWORD)
                .send()
                .await
        ),
        "UsernameExistsException"
    );
    assert_eq!(
        code(
            t.client
                .sign_up()
                .client_id(&client)
                .username("not-an-email")
                .password(PASSWORD)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    t.client
        .admin_confirm_sign_up()
        .user_pool_id(&pool)
        .username("frank@example.com")
        .send()
        .await
        .unwrap();
    let user = t
        .client
        .admin_get_user()
        .user_pool_id(&pool)
        .username("frank@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(user.username, out.user_sub, "the username is generated");
    let tokens = t.sign_in(&client, "frank@example.com", PASSWORD).await;
    assert!(tokens.access_token.is_some());
}

#[tokio::test]
async fn admin_confirmation_confirms_once() {
    let t = TestServer::start().await;
    let (pool, client) = pool_with_email_codes(&t).await;
    t.client
        .sign_up()
        .client_id(&client)
        .username("gina")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    t.client
        .admin_confirm_sign_up()
        .user_pool_id(&pool)
        .username("gina")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            t.client
                .admin_confirm_sign_up()
                .user_pool_id(&pool)
                .username("gina")
                .send()
                .await
        ),
        "NotAuthorizedException"
    );
    t.sign_in(&client, "gina", PASSWORD).await;
}

#[tokio::test]
async fn a_changed_email_is_verified_with_the_code_sent_to_it() {
    let t = TestServer::start().await;
    let (pool, client) = pool_with_email_codes(&t).await;
    t.create_user(&pool, "vera", PASSWORD).await;
    let access = t
        .sign_in(&client, "vera", PASSWORD)
        .await
        .access_token
        .unwrap();
    let out = t
        .client
        .update_user_attributes()
        .access_token(&access)
        .user_attributes(attr("email", "vera@new.example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.code_delivery_details_list.unwrap()[0]
            .destination
            .as_deref(),
        Some("v***@n***.com")
    );
    let verified = |t: &TestServer| {
        let access = access.clone();
        let sdk = t.client.clone();
        async move {
            let me = sdk.get_user().access_token(access).send().await.unwrap();
            me.user_attributes
                .into_iter()
                .find(|a| a.name == "email_verified")
                .and_then(|a| a.value)
        }
    };
    assert_eq!(verified(&t).await.as_deref(), Some("false"));

    t.client
        .get_user_attribute_verification_code()
        .access_token(&access)
        .attribute_name("email")
        .send()
        .await
        .unwrap();
    let code_sent = t.last_code(&pool).await;
    let wrong = t
        .client
        .verify_user_attribute()
        .access_token(&access)
        .attribute_name("email")
        .code("000000x")
        .send()
        .await;
    assert_eq!(code(wrong), "CodeMismatchException");
    t.client
        .verify_user_attribute()
        .access_token(&access)
        .attribute_name("email")
        .code(code_sent)
        .send()
        .await
        .unwrap();
    assert_eq!(verified(&t).await.as_deref(), Some("true"));
}

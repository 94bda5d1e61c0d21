//! SigV4 on the administrative operations: each kind of failure gets its AWS error.

use cognate_core::sigv4::{expected_signature, Authorization, SignedRequest};
use serde_json::json;

use crate::support::{code, error, TestServer};

#[tokio::test]
async fn an_unknown_access_key_is_an_unrecognized_client() {
    let t = TestServer::start().await;
    let stranger = t.client_with("AKIAUNKNOWNKEY000000", "whatever");
    assert_eq!(
        code(stranger.list_user_pools().max_results(10).send().await),
        "UnrecognizedClientException"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let t = TestServer::start().await;
    let wrong = t.client_with(&t.server.root_access_key_id, "not-the-secret");
    let (name, message) = error(wrong.list_user_pools().max_results(10).send().await);
    assert_eq!(name, "InvalidSignatureException");
    assert!(
        message.starts_with("The request signature we calculated does not match"),
        "{message}"
    );
}

async fn raw(
    t: &TestServer,
    target: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .post(t.url())
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{target}"),
        )
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_missing_signature_is_a_missing_authentication_token() {
    let t = TestServer::start().await;
    let (status, body) = raw(&t, "ListUserPools", &[], r#"{"MaxResults": 10}"#).await;
    assert_eq!(status, 403);
    assert_eq!(body["__type"], "MissingAuthenticationTokenException");
}

/// A request signed by hand with the root keys, as a client that signs only some headers
/// would: the `X-Amz-Date` for `at` and an `Authorization` header scoped to `service` that
/// covers `host`, `x-amz-date` and the `extra` headers, for a POST of `body` to `/`.
fn sign_by_hand(
    t: &TestServer,
    at: time::OffsetDateTime,
    service: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> (String, String) {
    let amz_date = at
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    let mut headers = vec![
        ("host".to_owned(), t.server.addr.to_string()),
        ("x-amz-date".to_owned(), amz_date.clone()),
    ];
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/us-east-1/{service}/aws4_request, SignedHeaders={}, Signature=0",
        t.server.root_access_key_id,
        &amz_date[..8],
        names.join(";")
    );
    let mut auth = Authorization::parse(&header).unwrap();
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: body.as_bytes(),
    };
    auth.signature =
        expected_signature(&request, &auth, &amz_date, &t.server.root_secret_access_key);
    let signed = header.replace("Signature=0", &format!("Signature={}", auth.signature));
    (amz_date, signed)
}

#[tokio::test]
async fn a_signature_from_twenty_minutes_ago_has_expired() {
    let t = TestServer::start().await;
    let body = r#"{"MaxResults": 10}"#;
    let stale = time::OffsetDateTime::now_utc() - time::Duration::minutes(20);
    let (amz_date, signed) = sign_by_hand(
        &t,
        stale,
        "cognito-idp",
        &[(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.ListUserPools",
        )],
        body,
    );
    let (status, response) = raw(
        &t,
        "ListUserPools",
        &[("x-amz-date", amz_date), ("authorization", signed)],
        body,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(response["__type"], "InvalidSignatureException");
    assert!(
        response["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired"),
        "{response}"
    );
}

#[tokio::test]
async fn unsigned_operations_need_no_credentials_but_signed_ones_do() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    let (status, body) = raw(
        &t,
        "SignUp",
        &[],
        &json!({"ClientId": client, "Username": "nosig", "Password": "Correct-Horse-1"})
            .to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = raw(
        &t,
        "AdminGetUser",
        &[],
        &json!({"UserPoolId": pool, "Username": "nosig"}).to_string(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["__type"], "MissingAuthenticationTokenException");
}

#[tokio::test]
async fn malformed_requests_get_aws_errors_not_500s() {
    let t = TestServer::start().await;
    let (status, body) = raw(&t, "SignUp", &[], "{not json").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (status, body) = raw(&t, "NoSuchOperation", &[], "{}").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (status, body) = raw(
        &t,
        "SignUp",
        &[],
        r#"{"ClientId": 42, "Username": "x", "Password": "Correct-Horse-1"}"#,
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (status, body) = raw(&t, "InitiateAuth", &[], r#"{"ClientId": "abc"}"#).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );
}

/// An SDK client with the root keys, signing for `region` and, if given, with a session token.
fn root_client(
    t: &TestServer,
    region: &str,
    session_token: Option<&str>,
) -> aws_sdk_cognitoidentityprovider::Client {
    use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(t.url())
        .credentials_provider(Credentials::new(
            &t.server.root_access_key_id,
            &t.server.root_secret_access_key,
            session_token.map(str::to_owned),
            None,
            "test",
        ))
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(config)
}

#[tokio::test]
async fn a_signature_scoped_to_another_region_is_refused() {
    let t = TestServer::start().await;
    let elsewhere = root_client(&t, "eu-west-1", None);
    let (name, message) = error(elsewhere.list_user_pools().max_results(10).send().await);
    assert_eq!(name, "InvalidSignatureException");
    assert_eq!(
        message,
        "Credential should be scoped to a valid region, not 'eu-west-1'."
    );
    let here = root_client(&t, "us-east-1", None);
    here.list_user_pools().max_results(10).send().await.unwrap();
}

#[tokio::test]
async fn root_keys_with_a_session_token_are_not_recognized() {
    let t = TestServer::start().await;
    let with_token = root_client(&t, "us-east-1", Some("not-a-session-of-this-server"));
    assert_eq!(
        code(with_token.list_user_pools().max_results(10).send().await),
        "UnrecognizedClientException"
    );
}

#[tokio::test]
async fn a_management_call_signed_for_the_cognito_service_is_refused() {
    let t = TestServer::start().await;
    let target = "CognateManagementService.ListAdminQueriesApis";
    let body = "{}";
    let (amz_date, signed) = sign_by_hand(
        &t,
        time::OffsetDateTime::now_utc(),
        "cognito-idp",
        &[("x-amz-target", target)],
        body,
    );
    let response = reqwest::Client::new()
        .post(t.url())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .header("x-amz-date", &amz_date)
        .header("authorization", signed)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["__type"], "InvalidSignatureException");
    assert_eq!(
        answer["message"],
        "Credential should be scoped to correct service: 'cognate'."
    );
    // Signed for its own service, the same call goes through.
    let (status, _) = t.manage("ListAdminQueriesApis", json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_signature_that_leaves_out_the_target_is_refused() {
    let t = TestServer::start().await;
    let (pool, _) = t.pool_and_client().await;
    t.create_user(&pool, "victim", crate::support::PASSWORD)
        .await;
    let body = json!({"UserPoolId": pool, "Username": "victim"}).to_string();
    // Signed over host and date only, as for AdminGetUser; sent as AdminDisableUser.
    let (amz_date, signed) = sign_by_hand(
        &t,
        time::OffsetDateTime::now_utc(),
        "cognito-idp",
        &[],
        &body,
    );
    let (status, answer) = raw(
        &t,
        "AdminDisableUser",
        &[("x-amz-date", amz_date), ("authorization", signed)],
        &body,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(answer["__type"], "InvalidSignatureException");
    assert_eq!(answer["message"], "'x-amz-target' must be a signed header");
    let user = t
        .client
        .admin_get_user()
        .user_pool_id(&pool)
        .username("victim")
        .send()
        .await
        .unwrap();
    assert!(user.enabled, "the forged target was not obeyed");
}

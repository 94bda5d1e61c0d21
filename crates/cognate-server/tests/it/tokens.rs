//! Tokens as a standard JWT library sees them, and forgeries the server must refuse.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognate_core::ids::PoolId;
use cognate_core::model::TokenUse;
use cognate_core::store::prelude::*;
use cognate_core::tokens::{generate_rsa_key, ActiveKey};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Map, Value};

use crate::support::{error, TestServer, PASSWORD};

fn payload(token: &str) -> Map<String, Value> {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn header(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// The pool's JWKS, as served.
async fn jwks(t: &TestServer, pool: &str) -> Value {
    reqwest::get(format!("{}/{pool}/.well-known/jwks.json", t.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Verifies with the jsonwebtoken crate against the served JWKS, as a resource server would.
async fn verify_with_jwks(
    t: &TestServer,
    pool: &str,
    token: &str,
    audience: Option<&str>,
) -> Map<String, Value> {
    let jwks = jwks(t, pool).await;
    let kid = header(token)["kid"].as_str().unwrap().to_owned();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("kid in JWKS");
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[format!("{}/{pool}", t.url())]);
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .expect("verifies")
        .claims
}

#[tokio::test]
async fn tokens_carry_cognitos_claims_and_verify_against_the_jwks() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "jo", PASSWORD).await;
    let tokens = t.sign_in(&client, "jo", PASSWORD).await;
    let id_token = tokens.id_token.unwrap();
    let access_token = tokens.access_token.unwrap();
    assert_eq!(tokens.expires_in, 3600);
    assert_eq!(tokens.token_type.as_deref(), Some("Bearer"));

    let id = verify_with_jwks(&t, &pool, &id_token, Some(&client)).await;
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["cognito:username"], "jo");
    assert_eq!(id["email"], "jo@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["aud"], client.as_str());
    assert_eq!(
        id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(),
        3600
    );
    for claim in ["sub", "auth_time", "jti", "origin_jti", "event_id"] {
        assert!(id.contains_key(claim), "ID token lacks {claim}");
    }
    assert!(
        !id.contains_key("cognito:groups"),
        "a user in no group carries no group claims"
    );

    let access = verify_with_jwks(&t, &pool, &access_token, None).await;
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(access["client_id"], client.as_str());
    assert_eq!(access["username"], "jo");
    assert_eq!(access["sub"], id["sub"]);
    assert_eq!(access["origin_jti"], id["origin_jti"]);
    assert!(!access.contains_key("aud"));
    assert_ne!(
        header(&id_token)["kid"],
        header(&access_token)["kid"],
        "ID and access tokens use different keys"
    );

    let discovery: Value = reqwest::get(format!(
        "{}/{pool}/.well-known/openid-configuration",
        t.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(discovery["issuer"], format!("{}/{pool}", t.url()));
    assert_eq!(
        discovery["jwks_uri"],
        format!("{}/{pool}/.well-known/jwks.json", t.url())
    );
    let missing = reqwest::get(format!(
        "{}/us-east-1_nothere/.well-known/jwks.json",
        t.url()
    ))
    .await
    .unwrap();
    assert_eq!(missing.status(), 404);
}

/// The pool's real access-token key, opened from the data directory as the operator could.
async fn real_access_key(t: &TestServer, pool: &str) -> ActiveKey {
    let secrets = cognate_server::data_dir::master_key(t.data_dir.path(), None).unwrap();
    let url = t.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            t.data_dir.path().join("cognate.db").display()
        )
    });
    let store = cognate_store::SqlStore::connect(&url).await.unwrap();
    let keys = store
        .signing_keys(&PoolId::parse(pool).unwrap())
        .await
        .unwrap();
    let key = keys
        .into_iter()
        .find(|k| k.token_use == TokenUse::Access)
        .unwrap();
    ActiveKey::new(
        key.kid,
        TokenUse::Access,
        &secrets.open(&key.sealed_private_key).unwrap(),
        &key.n,
        &key.e,
    )
    .unwrap()
}

#[tokio::test]
async fn forged_and_stale_tokens_are_refused() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "kim", PASSWORD).await;
    let tokens = t.sign_in(&client, "kim", PASSWORD).await;
    let genuine = tokens.access_token.unwrap();
    let claims = payload(&genuine);
    let kid = header(&genuine)["kid"].as_str().unwrap().to_owned();
    let sdk = &t.client;
    let get_user =
        |token: String| async move { error(sdk.get_user().access_token(token).send().await) };

    let none_header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": kid}).to_string());
    let body = genuine.split('.').nth(1).unwrap();
    assert_eq!(
        get_user(format!("{none_header}.{body}.")).await.0,
        "NotAuthorizedException",
        "alg none"
    );

    let other = generate_rsa_key().unwrap();
    let impostor = ActiveKey::new(
        kid.clone(),
        TokenUse::Access,
        &other.private_der,
        &other.n,
        &other.e,
    )
    .unwrap();
    assert_eq!(
        get_user(impostor.sign(&claims).unwrap()).await.0,
        "NotAuthorizedException",
        "another key"
    );

    let mut altered = claims.clone();
    altered.insert("username".into(), json!("admin"));
    let parts: Vec<&str> = genuine.split('.').collect();
    let altered_token = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(Value::Object(altered).to_string()),
        parts[2]
    );
    assert_eq!(
        get_user(altered_token).await.0,
        "NotAuthorizedException",
        "altered payload"
    );

    let id_as_access = tokens.id_token.unwrap();
    assert_eq!(
        get_user(id_as_access).await.0,
        "NotAuthorizedException",
        "an ID token is not an access token"
    );

    let real_key = real_access_key(&t, &pool).await;
    let mut expired = claims.clone();
    let now = expired["iat"].as_i64().unwrap();
    expired.insert("iat".into(), json!(now - 7200));
    expired.insert("exp".into(), json!(now - 3600));
    let (name, message) = get_user(real_key.sign(&expired).unwrap()).await;
    assert_eq!(
        (name.as_str(), message.as_str()),
        ("NotAuthorizedException", "Access Token has expired")
    );

    let mut wrong_issuer = claims.clone();
    wrong_issuer.insert(
        "iss".into(),
        json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
    );
    assert_eq!(
        get_user(real_key.sign(&wrong_issuer).unwrap()).await.0,
        "NotAuthorizedException",
        "another issuer"
    );

    // The genuine token still works, then stops working once revoked.
    t.client
        .get_user()
        .access_token(&genuine)
        .send()
        .await
        .unwrap();
    t.client
        .global_sign_out()
        .access_token(&genuine)
        .send()
        .await
        .unwrap();
    let (name, message) = get_user(genuine).await;
    assert_eq!(
        (name.as_str(), message.as_str()),
        ("NotAuthorizedException", "Access Token has been revoked")
    );
}

#[tokio::test]
async fn tokens_signed_before_a_key_rotation_verify_after_it() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "alice", PASSWORD).await;
    let before = t.sign_in(&client, "alice", PASSWORD).await;

    let rotation = t
        .server
        .services()
        .rotate_signing_keys(&PoolId::parse(&pool).unwrap())
        .await
        .unwrap();
    assert_eq!(rotation.new_kids.len(), 2);
    assert!(
        rotation.retired_kids.is_empty(),
        "the old keys stay published for a day"
    );

    let old_access = before.access_token.unwrap();
    t.client
        .get_user()
        .access_token(&old_access)
        .send()
        .await
        .expect("a token signed with the old key still works");
    verify_with_jwks(&t, &pool, &before.id_token.unwrap(), Some(&client)).await;

    let after = t.sign_in(&client, "alice", PASSWORD).await;
    for token in [after.id_token.unwrap(), after.access_token.unwrap()] {
        let kid = header(&token)["kid"].as_str().unwrap().to_owned();
        assert!(
            rotation.new_kids.contains(&kid),
            "new tokens are signed with the new keys"
        );
        verify_with_jwks(&t, &pool, &token, None).await;
    }
    let jwks = jwks(&t, &pool).await;
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        4,
        "old and new keys are published"
    );
}

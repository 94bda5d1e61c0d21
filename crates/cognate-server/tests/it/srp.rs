//! USER_SRP_AUTH through the Rust SDK, with cognate-core's client half of SRP, including every
//! way a client can get the challenge wrong.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType, MessageActionType,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cognate_core::srp;

use crate::support::{code, error, TestServer, PASSWORD};

/// A pool, a client allowing SRP, and a user `sara` with PASSWORD.
async fn setup(t: &TestServer) -> (String, String) {
    let pool = t.create_pool().await;
    let client = t
        .client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("srp")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    t.create_user(&pool, "sara", PASSWORD).await;
    (pool, client)
}

fn hex_bytes(value: &str) -> Vec<u8> {
    hex::decode(if value.len() % 2 == 1 {
        format!("0{value}")
    } else {
        value.to_owned()
    })
    .unwrap()
}

fn timestamp_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    timestamp_at(now)
}

fn timestamp_at(moment: time::OffsetDateTime) -> String {
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        &moment.weekday().to_string()[..3],
        &moment.month().to_string()[..3],
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second(),
        moment.year()
    )
}

struct Challenge {
    parameters: HashMap<String, String>,
    a: [u8; 32],
}

async fn start(t: &TestServer, client: &str, username: &str) -> Challenge {
    let a = cognate_core::crypto::random_bytes::<32>();
    let out = t
        .client
        .initiate_auth()
        .client_id(client)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("SRP_A", hex::encode(srp::client::public(&a)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name,
        Some(ChallengeNameType::PasswordVerifier)
    );
    Challenge {
        parameters: out.challenge_parameters.unwrap(),
        a,
    }
}

/// The responses a correct client with `password` sends, at `timestamp`.
fn responses(
    pool: &str,
    challenge: &Challenge,
    password: &str,
    timestamp: &str,
) -> HashMap<String, String> {
    let p = &challenge.parameters;
    let user_id = &p["USER_ID_FOR_SRP"];
    let block = STANDARD.decode(&p["SECRET_BLOCK"]).unwrap();
    let pool_name = pool.split_once('_').unwrap().1;
    let signature = srp::client::signature(
        &challenge.a,
        &hex_bytes(&p["SRP_B"]),
        &hex_bytes(&p["SALT"]),
        pool_name,
        user_id,
        password,
        &block,
        timestamp,
    )
    .unwrap();
    HashMap::from([
        ("USERNAME".to_owned(), user_id.clone()),
        (
            "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
            p["SECRET_BLOCK"].clone(),
        ),
        (
            "PASSWORD_CLAIM_SIGNATURE".to_owned(),
            STANDARD.encode(signature),
        ),
        ("TIMESTAMP".to_owned(), timestamp.to_owned()),
    ])
}

async fn respond(
    t: &TestServer,
    client: &str,
    responses: HashMap<String, String>,
) -> Result<
    aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput,
    aws_sdk_cognitoidentityprovider::error::SdkError<aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError>,
>{
    t.client
        .respond_to_auth_challenge()
        .client_id(client)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .set_challenge_responses(Some(responses))
        .send()
        .await
}

#[tokio::test]
async fn srp_sign_in_returns_tokens() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    let challenge = start(&t, &client, "sara").await;
    assert_eq!(challenge.parameters["USER_ID_FOR_SRP"], "sara");
    for name in ["SALT", "SRP_B", "SECRET_BLOCK", "USERNAME"] {
        assert!(challenge.parameters.contains_key(name), "{name}");
    }
    let out = respond(
        &t,
        &client,
        responses(&pool, &challenge, PASSWORD, &timestamp_now()),
    )
    .await
    .unwrap();
    let tokens = out.authentication_result.unwrap();
    assert!(tokens.refresh_token.is_some());
    t.client
        .get_user()
        .access_token(tokens.access_token.unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_password_fails_and_counts_towards_the_lockout() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    for _ in 0..5 {
        let challenge = start(&t, &client, "sara").await;
        let (name, message) = error(
            respond(
                &t,
                &client,
                responses(&pool, &challenge, "Wrong-Pass-9", &timestamp_now()),
            )
            .await,
        );
        assert_eq!(
            (name.as_str(), message.as_str()),
            ("NotAuthorizedException", "Incorrect username or password.")
        );
    }
    let challenge = start(&t, &client, "sara").await;
    let (_, message) = error(
        respond(
            &t,
            &client,
            responses(&pool, &challenge, PASSWORD, &timestamp_now()),
        )
        .await,
    );
    assert_eq!(message, "Password attempts exceeded");
}

#[tokio::test]
async fn a_secret_block_answers_once() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    let challenge = start(&t, &client, "sara").await;
    let answer = responses(&pool, &challenge, PASSWORD, &timestamp_now());
    respond(&t, &client, answer.clone()).await.unwrap();
    assert_eq!(
        code(respond(&t, &client, answer).await),
        "NotAuthorizedException",
        "a replay is refused"
    );
}

#[tokio::test]
async fn tampered_blocks_and_signatures_are_refused() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    let challenge = start(&t, &client, "sara").await;
    let mut answer = responses(&pool, &challenge, PASSWORD, &timestamp_now());
    let mut block = STANDARD
        .decode(&answer["PASSWORD_CLAIM_SECRET_BLOCK"])
        .unwrap();
    block[40] ^= 1;
    answer.insert(
        "PASSWORD_CLAIM_SECRET_BLOCK".into(),
        STANDARD.encode(&block),
    );
    assert_eq!(
        code(respond(&t, &client, answer).await),
        "NotAuthorizedException"
    );

    let challenge = start(&t, &client, "sara").await;
    let mut answer = responses(&pool, &challenge, PASSWORD, &timestamp_now());
    answer.insert(
        "PASSWORD_CLAIM_SIGNATURE".into(),
        STANDARD.encode([0u8; 32]),
    );
    assert_eq!(
        code(respond(&t, &client, answer).await),
        "NotAuthorizedException"
    );

    let challenge = start(&t, &client, "sara").await;
    let mut answer = responses(&pool, &challenge, PASSWORD, &timestamp_now());
    answer.insert(
        "PASSWORD_CLAIM_SIGNATURE".into(),
        "not base64 at all!".into(),
    );
    assert_eq!(
        code(respond(&t, &client, answer).await),
        "NotAuthorizedException"
    );
}

#[tokio::test]
async fn bad_client_values_are_refused_at_the_start() {
    let t = TestServer::start().await;
    let (_, client) = setup(&t).await;
    let start_with = |a: String| {
        t.client
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", "sara")
            .auth_parameters("SRP_A", a)
            .send()
    };
    assert_eq!(
        code(start_with("0".into()).await),
        "NotAuthorizedException",
        "A = 0"
    );
    let n = "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff";
    assert_eq!(
        code(start_with(n.into()).await),
        "NotAuthorizedException",
        "A = N"
    );
    assert_eq!(
        code(start_with("not-hex".into()).await),
        "InvalidParameterException"
    );
    assert_eq!(
        code(start_with("f".repeat(2000)).await),
        "InvalidParameterException"
    );
}

#[tokio::test]
async fn malformed_and_far_off_timestamps_are_refused() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    let challenge = start(&t, &client, "sara").await;
    let answer = responses(&pool, &challenge, PASSWORD, "2024-03-06T12:34:56Z");
    assert_eq!(
        code(respond(&t, &client, answer).await),
        "InvalidParameterException"
    );

    let challenge = start(&t, &client, "sara").await;
    let an_hour_ago = timestamp_at(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let answer = responses(&pool, &challenge, PASSWORD, &an_hour_ago);
    assert_eq!(
        code(respond(&t, &client, answer).await),
        "InvalidParameterException"
    );
}

#[tokio::test]
async fn unknown_users_get_a_challenge_they_cannot_answer() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    let first = start(&t, &client, "nobody").await;
    let second = start(&t, &client, "nobody").await;
    assert_eq!(
        first.parameters["SALT"], second.parameters["SALT"],
        "the decoy salt is stable, like a real one"
    );
    let (name, message) = error(
        respond(
            &t,
            &client,
            responses(&pool, &first, PASSWORD, &timestamp_now()),
        )
        .await,
    );
    assert_eq!(
        (name.as_str(), message.as_str()),
        ("NotAuthorizedException", "Incorrect username or password.")
    );
}

#[tokio::test]
async fn srp_must_be_allowed_for_the_client() {
    let t = TestServer::start().await;
    let (_, client) = t.pool_and_client().await;
    let result = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "sara")
        .auth_parameters("SRP_A", hex::encode(srp::client::public(&[3u8; 32])))
        .send()
        .await;
    let (name, message) = error(result);
    assert_eq!(
        (name.as_str(), message.as_str()),
        (
            "InvalidParameterException",
            "USER_SRP_AUTH flow not enabled for this client"
        )
    );
}

#[tokio::test]
async fn an_admin_created_user_continues_to_new_password_required() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    t.client
        .admin_create_user()
        .user_pool_id(&pool)
        .username("fresh")
        .temporary_password("Temp-Pass-123")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let challenge = start(&t, &client, "fresh").await;
    let out = respond(
        &t,
        &client,
        responses(&pool, &challenge, "Temp-Pass-123", &timestamp_now()),
    )
    .await
    .unwrap();
    assert_eq!(
        out.challenge_name,
        Some(ChallengeNameType::NewPasswordRequired)
    );
    assert!(out.session.is_some());
}

#[tokio::test]
async fn the_admin_calls_run_srp_too() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    let a = [11u8; 32];
    let out = t
        .client
        .admin_initiate_auth()
        .user_pool_id(&pool)
        .client_id(&client)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "sara")
        .auth_parameters("SRP_A", hex::encode(srp::client::public(&a)))
        .send()
        .await
        .unwrap();
    let challenge = Challenge {
        parameters: out.challenge_parameters.unwrap(),
        a,
    };
    let done = t
        .client
        .admin_respond_to_auth_challenge()
        .user_pool_id(&pool)
        .client_id(&client)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .set_challenge_responses(Some(responses(
            &pool,
            &challenge,
            PASSWORD,
            &timestamp_now(),
        )))
        .send()
        .await
        .unwrap();
    assert!(done.authentication_result.is_some());
}

#[tokio::test]
async fn a_changed_password_changes_the_verifier() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    t.client
        .admin_set_user_password()
        .user_pool_id(&pool)
        .username("sara")
        .password("Changed-Pass-2")
        .permanent(true)
        .send()
        .await
        .unwrap();
    let challenge = start(&t, &client, "sara").await;
    assert_eq!(
        code(
            respond(
                &t,
                &client,
                responses(&pool, &challenge, PASSWORD, &timestamp_now())
            )
            .await
        ),
        "NotAuthorizedException"
    );
    let challenge = start(&t, &client, "sara").await;
    respond(
        &t,
        &client,
        responses(&pool, &challenge, "Changed-Pass-2", &timestamp_now()),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_secret_block_expires_after_five_minutes() {
    let t = TestServer::start().await;
    let (pool, client) = setup(&t).await;
    let mut challenge = start(&t, &client, "sara").await;
    // Age the block as the server sealed it, with the server's own master key.
    let secrets = cognate_server::data_dir::master_key(t.data_dir.path(), None).unwrap();
    let sealed = STANDARD
        .decode(&challenge.parameters["SECRET_BLOCK"])
        .unwrap();
    let mut block: serde_json::Value =
        serde_json::from_slice(&secrets.open(&sealed).unwrap()).unwrap();
    let issued = block["issued"].as_i64().unwrap();
    block["issued"] = serde_json::json!(issued - 6 * 60 * 1000);
    let aged = secrets.seal(&serde_json::to_vec(&block).unwrap());
    challenge
        .parameters
        .insert("SECRET_BLOCK".into(), STANDARD.encode(aged));
    let (name, message) = error(
        respond(
            &t,
            &client,
            responses(&pool, &challenge, PASSWORD, &timestamp_now()),
        )
        .await,
    );
    assert_eq!(
        (name.as_str(), message.as_str()),
        (
            "NotAuthorizedException",
            "Invalid session for the user, session is expired."
        )
    );
}

#[tokio::test]
async fn clients_with_a_secret_need_the_secret_hash_in_both_steps() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    let created = t
        .client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("secret-srp")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    let (client, secret) = (created.client_id.unwrap(), created.client_secret.unwrap());
    t.create_user(&pool, "sara", PASSWORD).await;
    let hash = cognate_core::service::secret_hash(&secret, "sara", &client);
    let a = [13u8; 32];
    let without = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "sara")
        .auth_parameters("SRP_A", hex::encode(srp::client::public(&a)))
        .send()
        .await;
    assert_eq!(code(without), "NotAuthorizedException");
    let out = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "sara")
        .auth_parameters("SRP_A", hex::encode(srp::client::public(&a)))
        .auth_parameters("SECRET_HASH", &hash)
        .send()
        .await
        .unwrap();
    let challenge = Challenge {
        parameters: out.challenge_parameters.unwrap(),
        a,
    };
    let mut answer = responses(&pool, &challenge, PASSWORD, &timestamp_now());
    assert_eq!(
        code(respond(&t, &client, answer.clone()).await),
        "NotAuthorizedException",
        "the answer needs it too"
    );
    let challenge = {
        let out = t
            .client
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", "sara")
            .auth_parameters("SRP_A", hex::encode(srp::client::public(&a)))
            .auth_parameters("SECRET_HASH", &hash)
            .send()
            .await
            .unwrap();
        Challenge {
            parameters: out.challenge_parameters.unwrap(),
            a,
        }
    };
    answer = responses(&pool, &challenge, PASSWORD, &timestamp_now());
    answer.insert("SECRET_HASH".into(), hash);
    assert!(respond(&t, &client, answer)
        .await
        .unwrap()
        .authentication_result
        .is_some());
}

/// The case typed changes nothing, for real and unknown users alike: the identifier comes back
/// canonical and the salt stays the same, so the decoy cannot be told from a real user.
#[tokio::test]
async fn the_decoy_answers_as_a_real_user_whatever_the_case_typed() {
    let t = TestServer::start().await;
    let pool = t
        .client
        .create_user_pool()
        .pool_name("caseless")
        .username_configuration(
            aws_sdk_cognitoidentityprovider::types::UsernameConfigurationType::builder()
                .case_sensitive(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = t
        .client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("srp")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    t.create_user(&pool, "sara", PASSWORD).await;
    for (typed, canonical) in [(["sara", "SARA"], "sara"), (["Nobody", "NOBODY"], "nobody")] {
        let first = start(&t, &client, typed[0]).await;
        let second = start(&t, &client, typed[1]).await;
        assert_eq!(first.parameters["USER_ID_FOR_SRP"], canonical, "{typed:?}");
        assert_eq!(second.parameters["USER_ID_FOR_SRP"], canonical, "{typed:?}");
        assert_eq!(
            first.parameters["SALT"], second.parameters["SALT"],
            "{typed:?}: the salt does not depend on the case typed"
        );
    }
}

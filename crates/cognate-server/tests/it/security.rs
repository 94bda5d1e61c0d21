//! Attacks from the hostile pass over the server (issue 16), each pinned so it stays refused.

use aws_sdk_cognitoidentityprovider::types::{AliasAttributeType, AuthFlowType};

use crate::support::{error, TestServer, PASSWORD};

/// A server without rate limits, so that only the lockout stands in the way.
async fn unlimited() -> TestServer {
    TestServer::start_with(|config| {
        config.rate_limit_per_ip = 0;
        config.rate_limit_per_user = 0;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_get_five_tries_across_aliases_and_clients() {
    let t = unlimited().await;
    let pool = t
        .client
        .create_user_pool()
        .pool_name("aliases")
        .alias_attributes(AliasAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let clients = [
        t.create_client(&pool, false).await,
        t.create_client(&pool, false).await,
    ];
    t.create_user(&pool, "target", PASSWORD).await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..40 {
        let sdk = t.client.clone();
        let client = clients[i % 2].clone();
        let name = if i % 4 < 2 {
            "target"
        } else {
            "target@example.com"
        };
        guesses.spawn(async move {
            sdk.initiate_auth()
                .client_id(client)
                .auth_flow(AuthFlowType::UserPasswordAuth)
                .auth_parameters("USERNAME", name)
                .auth_parameters("PASSWORD", "Wrong-Pass-1")
                .send()
                .await
        });
    }
    let answers: Vec<String> = guesses
        .join_all()
        .await
        .into_iter()
        .map(|answer| error(answer).1)
        .collect();
    let checked = answers
        .iter()
        .filter(|m| *m == "Incorrect username or password.")
        .count();
    assert!(
        checked <= 5,
        "{checked} of 40 parallel guesses were checked"
    );
    assert!(
        answers
            .iter()
            .all(|m| m == "Incorrect username or password." || m == "Password attempts exceeded"),
        "{answers:?}"
    );
    let right = t
        .client
        .initiate_auth()
        .client_id(&clients[0])
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "target")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await;
    assert_eq!(error(right).1, "Password attempts exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_reset_codes_get_five_tries() {
    let t = unlimited().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "resetme", PASSWORD).await;
    t.client
        .forgot_password()
        .client_id(&client)
        .username("resetme")
        .send()
        .await
        .unwrap();
    let code = t.last_code(&pool).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (sdk, client) = (t.client.clone(), client.clone());
        guesses.spawn(async move {
            sdk.confirm_forgot_password()
                .client_id(client)
                .username("resetme")
                .confirmation_code(wrong)
                .password("Another-Pass-1")
                .send()
                .await
        });
    }
    let names: Vec<String> = guesses
        .join_all()
        .await
        .into_iter()
        .map(|answer| error(answer).0)
        .collect();
    let mismatches = names
        .iter()
        .filter(|n| *n == "CodeMismatchException")
        .count();
    assert!(
        mismatches <= 4,
        "{mismatches} guesses were checked: {names:?}"
    );
    assert!(
        names
            .iter()
            .all(|n| n == "CodeMismatchException" || n == "TooManyFailedAttemptsException"),
        "{names:?}"
    );
    // The right code is no use any more.
    let right = t
        .client
        .confirm_forgot_password()
        .client_id(&client)
        .username("resetme")
        .confirmation_code(code)
        .password("Another-Pass-1")
        .send()
        .await;
    assert_eq!(error(right).0, "TooManyFailedAttemptsException");
}

#[tokio::test]
async fn reset_codes_are_issued_five_an_hour_and_guesses_carry_over() {
    let t = unlimited().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "asker", PASSWORD).await;
    let ask = || {
        t.client
            .forgot_password()
            .client_id(&client)
            .username("asker")
            .send()
    };
    ask().await.unwrap();
    let guess = |code: String| {
        t.client
            .confirm_forgot_password()
            .client_id(&client)
            .username("asker")
            .confirmation_code(code)
            .password("Another-Pass-1")
            .send()
    };
    let wrong = |code: &str| {
        if code == "000000" {
            "111111".to_owned()
        } else {
            "000000".to_owned()
        }
    };
    // Three wrong guesses, then a new code: the guesses still count.
    let first = t.last_code(&pool).await;
    for _ in 0..3 {
        assert_eq!(error(guess(wrong(&first)).await).0, "CodeMismatchException");
    }
    ask().await.unwrap();
    let second = t.last_code(&pool).await;
    assert_eq!(
        error(guess(wrong(&second)).await).0,
        "CodeMismatchException"
    );
    assert_eq!(
        error(guess(wrong(&second)).await).0,
        "TooManyFailedAttemptsException",
        "the fifth wrong guess across both codes"
    );
    for _ in 0..3 {
        ask().await.unwrap();
    }
    assert_eq!(
        error(ask().await),
        (
            "LimitExceededException".to_owned(),
            "Attempt limit exceeded, please try after some time.".to_owned()
        ),
        "a sixth code within the hour"
    );
}

/// A pool that verifies email, and a client that hides which users exist.
async fn hiding_client(t: &TestServer) -> (String, String) {
    use aws_sdk_cognitoidentityprovider::types::{
        ExplicitAuthFlowsType, PreventUserExistenceErrorTypes, VerifiedAttributeType,
    };
    let pool = t
        .client
        .create_user_pool()
        .pool_name("hiding")
        .auto_verified_attributes(VerifiedAttributeType::Email)
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
        .client_name("hiding")
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    (pool, client)
}

fn masked_email(destination: &str) -> bool {
    let shape = |part: &str| part.chars().count() == 4 && part.ends_with("***");
    match destination.split_once('@') {
        Some((local, domain)) => shape(local) && domain.strip_suffix(".com").is_some_and(shape),
        None => false,
    }
}

#[tokio::test]
async fn unknown_users_get_the_answers_real_users_get() {
    let t = unlimited().await;
    let (pool, client) = hiding_client(&t).await;
    t.create_user(&pool, "realone", PASSWORD).await;
    let forgot = |name: &'static str| {
        t.client
            .forgot_password()
            .client_id(&client)
            .username(name)
            .send()
    };
    let real = forgot("realone")
        .await
        .unwrap()
        .code_delivery_details
        .unwrap();
    let unknown = forgot("ghost")
        .await
        .unwrap()
        .code_delivery_details
        .unwrap();
    let again = forgot("ghost")
        .await
        .unwrap()
        .code_delivery_details
        .unwrap();
    for details in [&real, &unknown] {
        assert_eq!(details.delivery_medium.as_ref().unwrap().as_str(), "EMAIL");
        assert_eq!(details.attribute_name.as_deref(), Some("email"));
        assert!(
            masked_email(details.destination.as_deref().unwrap()),
            "{details:?}"
        );
    }
    assert_eq!(
        unknown.destination, again.destination,
        "one name, one answer"
    );

    let resent = t
        .client
        .resend_confirmation_code()
        .client_id(&client)
        .username("ghost")
        .send()
        .await
        .unwrap()
        .code_delivery_details
        .unwrap();
    assert!(
        masked_email(resent.destination.as_deref().unwrap()),
        "{resent:?}"
    );

    let confirm = t
        .client
        .confirm_sign_up()
        .client_id(&client)
        .username("ghost")
        .confirmation_code("123456")
        .send()
        .await;
    assert_eq!(error(confirm).0, "CodeMismatchException");
    let reset = t
        .client
        .confirm_forgot_password()
        .client_id(&client)
        .username("ghost")
        .confirmation_code("123456")
        .password("Another-Pass-1")
        .send()
        .await;
    assert_eq!(error(reset).0, "CodeMismatchException");
}

#[tokio::test]
async fn unknown_users_lock_out_as_real_users_do() {
    let t = unlimited().await;
    let (pool, client) = hiding_client(&t).await;
    t.create_user(&pool, "realone", PASSWORD).await;
    let mut answers = Vec::new();
    for name in ["realone", "ghost"] {
        let mut seen = Vec::new();
        for _ in 0..7 {
            let answer = t
                .client
                .initiate_auth()
                .client_id(&client)
                .auth_flow(AuthFlowType::UserPasswordAuth)
                .auth_parameters("USERNAME", name)
                .auth_parameters("PASSWORD", "Wrong-Pass-1")
                .send()
                .await;
            seen.push(error(answer).1);
        }
        answers.push(seen);
    }
    assert_eq!(
        answers[0], answers[1],
        "a real and an unknown name answer alike"
    );
    assert_eq!(answers[1][5], "Password attempts exceeded");
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_files_are_private_and_a_shared_data_directory_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let t = TestServer::start().await;
    t.pool_and_client().await;
    let dir = t.data_dir.path();
    for file in ["cognate.db", "cognate.db-wal", "master.key", "credentials"] {
        let path = dir.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
    if t.database_url.is_none() {
        assert_eq!(mode(&dir.join("cognate.db")), 0o600);
    }

    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = cognate_server::start(
        cognate_server::Config::ephemeral(shared.path()),
        std::future::pending(),
    )
    .await
    .err()
    .expect("a data directory anyone can write to is refused");
    assert!(
        refused.contains("can be written by other users"),
        "{refused}"
    );
    assert_eq!(mode(shared.path()), 0o777, "and left as it was");
}

#[tokio::test]
async fn a_server_with_another_master_key_refuses_to_start() {
    use base64::Engine;
    let data = tempfile::tempdir().unwrap();
    let mut config = cognate_server::Config::ephemeral(data.path());
    if let Some(base) = cognate_store::testkit::postgres_url() {
        config.database_url = Some(cognate_store::testkit::scratch_postgres_database(&base).await);
    }
    let first = cognate_server::start(config.clone(), std::future::pending())
        .await
        .unwrap();
    first.shutdown().await;
    let mut other = config.clone();
    other.master_key = Some(base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
    let refused = cognate_server::start(other, std::future::pending())
        .await
        .err()
        .expect("another master key is refused");
    assert!(
        refused.contains("sealed with another master key")
            && refused.contains("COGNATE_MASTER_KEY"),
        "{refused}"
    );
    // The right key still starts.
    cognate_server::start(config, std::future::pending())
        .await
        .unwrap()
        .shutdown()
        .await;
}

#[tokio::test]
async fn idle_and_slow_connections_are_closed_and_one_address_cannot_hold_them_all() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    let t = TestServer::start_with(|config| {
        config.header_timeout = std::time::Duration::from_secs(1);
        config.max_connections_per_address = 8;
    })
    .await;
    let addr = t.server.addr;
    /// Whether the server closes the connection within `wait`.
    async fn closed_within(stream: &mut TcpStream, wait: std::time::Duration) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            match tokio::time::timeout(wait, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut partial = TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = idle.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );
    let three_seconds = std::time::Duration::from_secs(3);
    assert!(
        closed_within(&mut silent, three_seconds).await,
        "a silent connection stays"
    );
    assert!(
        closed_within(&mut partial, three_seconds).await,
        "slow headers stay"
    );
    assert!(
        closed_within(&mut idle, three_seconds).await,
        "an idle keep-alive stays"
    );

    // Eight connections from one address are held; the ninth is closed at once.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut ninth = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut ninth, std::time::Duration::from_millis(500)).await,
        "the ninth connection of one address is refused"
    );
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let health = reqwest::get(format!("{}/healthz", t.url())).await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn tokens_and_names_are_held_to_cognitos_rules() {
    let t = unlimited().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "held", PASSWORD).await;
    let tokens = t.sign_in(&client, "held", PASSWORD).await;

    let revoked = t
        .client
        .revoke_token()
        .client_id(&client)
        .token(tokens.access_token.clone().unwrap())
        .send()
        .await;
    assert_eq!(error(revoked).0, "UnsupportedTokenTypeException");

    t.client
        .admin_reset_user_password()
        .user_pool_id(&pool)
        .username("held")
        .send()
        .await
        .unwrap();
    let refreshed = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token.unwrap())
        .send()
        .await;
    assert_eq!(error(refreshed).0, "PasswordResetRequiredException");

    let twice = t
        .client
        .sign_up()
        .client_id(&client)
        .username("twice")
        .password(PASSWORD)
        .user_attributes(crate::support::attr("email", "a@example.com"))
        .user_attributes(crate::support::attr("email", "b@example.com"))
        .send()
        .await;
    assert_eq!(error(twice).0, "InvalidParameterException");

    let disguised = t
        .client
        .sign_up()
        .client_id(&client)
        .username("admin\u{202E}nimda")
        .password(PASSWORD)
        .send()
        .await;
    assert_eq!(error(disguised).0, "InvalidParameterException");
}

#[tokio::test]
async fn a_pagination_token_is_sealed_to_its_list() {
    use base64::Engine;
    let t = unlimited().await;
    let (pool, _) = t.pool_and_client().await;
    let other = t.create_pool().await;
    for name in ["ann", "ben", "cat"] {
        t.create_user(&pool, name, PASSWORD).await;
        t.create_user(&other, name, PASSWORD).await;
    }
    let first = t
        .client
        .list_users()
        .user_pool_id(&pool)
        .limit(1)
        .send()
        .await
        .unwrap();
    let token = first.pagination_token.unwrap();
    let readable = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&token)
        .map(|bytes| String::from_utf8_lossy(&bytes).contains("ann"))
        .unwrap_or(false);
    assert!(
        !readable,
        "the token does not show the username it continues after"
    );
    let next = t
        .client
        .list_users()
        .user_pool_id(&pool)
        .limit(1)
        .pagination_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(next.users.unwrap()[0].username.as_deref(), Some("ben"));
    for misuse in [
        t.client
            .list_users()
            .user_pool_id(&other)
            .pagination_token(&token)
            .send()
            .await,
        t.client
            .list_users()
            .user_pool_id(&pool)
            .filter("username ^= \"c\"")
            .pagination_token(&token)
            .send()
            .await,
    ] {
        assert_eq!(error(misuse).0, "InvalidParameterException");
    }
}

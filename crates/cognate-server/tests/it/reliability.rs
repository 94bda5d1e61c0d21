//! Promises under concurrency and with several servers: one winner for a username, every failed
//! sign-in counted, no token working after a sign-out, in-flight requests finished on shutdown,
//! and two servers on one PostgreSQL behaving as one.

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cognate_server::Config;

use crate::support::{code, sdk_client, TestServer, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ups_of_one_username_have_one_winner() {
    let t = TestServer::start().await;
    let (_, client) = t.pool_and_client().await;
    let attempts = (0..12).map(|_| {
        let sdk = t.client.clone();
        let client = client.clone();
        tokio::spawn(async move {
            sdk.sign_up()
                .client_id(client)
                .username("contested")
                .password(PASSWORD)
                .send()
                .await
        })
    });
    let mut won = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(code::<_, ()>(Err(e)), "UsernameExistsException"),
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_all_counted() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "target", PASSWORD).await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let sdk = t.client.clone();
            let client = client.clone();
            tokio::spawn(async move {
                sdk.initiate_auth()
                    .client_id(client)
                    .auth_flow(AuthFlowType::UserPasswordAuth)
                    .auth_parameters("USERNAME", "target")
                    .auth_parameters("PASSWORD", "Wrong-Pass-1")
                    .send()
                    .await
            })
        })
        .collect();
    for attempt in attempts {
        assert!(attempt.await.unwrap().is_err());
    }
    // Eight failures, counted one by one: the lock after the eighth lasts 2^3 = 8 seconds, so the
    // right password is refused now.
    let result = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "target")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await;
    assert_eq!(
        crate::support::error(result).1,
        "Password attempts exceeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_token_minted_by_a_refresh_works_after_a_global_sign_out() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "racer", PASSWORD).await;
    let tokens = t.sign_in(&client, "racer", PASSWORD).await;
    let refresh_token = tokens.refresh_token.unwrap();
    let refreshes: Vec<_> = (0..10)
        .map(|_| {
            let sdk = t.client.clone();
            let (client, refresh_token) = (client.clone(), refresh_token.clone());
            tokio::spawn(async move {
                sdk.initiate_auth()
                    .client_id(client)
                    .auth_flow(AuthFlowType::RefreshTokenAuth)
                    .auth_parameters("REFRESH_TOKEN", refresh_token)
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.authentication_result)
                    .and_then(|r| r.access_token)
            })
        })
        .collect();
    t.client
        .global_sign_out()
        .access_token(tokens.access_token.unwrap())
        .send()
        .await
        .unwrap();
    for refresh in refreshes {
        if let Some(access_token) = refresh.await.unwrap() {
            assert_eq!(
                code(t.client.get_user().access_token(access_token).send().await),
                "NotAuthorizedException"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_group_changes_end_in_a_serial_state() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    t.client
        .create_group()
        .user_pool_id(&pool)
        .group_name("crowd")
        .send()
        .await
        .unwrap();
    for i in 0..10 {
        t.create_user(&pool, &format!("member{i}"), PASSWORD).await;
    }
    let changes: Vec<_> = (0..10)
        .flat_map(|i| {
            let (add, remove) = (t.client.clone(), t.client.clone());
            let (pool_a, pool_b) = (pool.clone(), pool.clone());
            [
                tokio::spawn(async move {
                    add.admin_add_user_to_group()
                        .user_pool_id(pool_a)
                        .username(format!("member{i}"))
                        .group_name("crowd")
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }),
                tokio::spawn(async move {
                    remove
                        .admin_remove_user_from_group()
                        .user_pool_id(pool_b)
                        .username(format!("member{i}"))
                        .group_name("crowd")
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }),
            ]
        })
        .collect();
    for change in changes {
        change.await.unwrap().unwrap();
    }
    // Whatever order they ran in, each user is in the group or not, and the two listings agree.
    let members = t
        .client
        .list_users_in_group()
        .user_pool_id(&pool)
        .group_name("crowd")
        .send()
        .await
        .unwrap()
        .users
        .unwrap();
    for i in 0..10 {
        let user = format!("member{i}");
        let groups = t
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&pool)
            .username(&user)
            .send()
            .await
            .unwrap()
            .groups
            .unwrap();
        let listed = members
            .iter()
            .any(|m| m.username.as_deref() == Some(user.as_str()));
        assert_eq!(listed, !groups.is_empty(), "{user}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_finishes_requests_in_flight() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestServer::start().await;
    let (_, client) = t.pool_and_client().await;
    let body = serde_json::json!({"ClientId": client, "Username": "late", "Password": PASSWORD})
        .to_string();
    let (first, rest) = body.split_at(10);
    let mut socket = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    socket
        .write_all(
            format!(
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\nContent-Length: {}\r\n\r\n{first}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // The request is half-received when the server is told to stop.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let TestServer { server, .. } = t;
    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        !stopping.is_finished(),
        "the server waits for the request in flight"
    );
    socket.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let read = socket.read(&mut answer).await.unwrap();
    let status = String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        status, "HTTP/1.1 200 OK",
        "the request in flight was answered"
    );
    drop(socket);
    tokio::time::timeout(std::time::Duration::from_secs(10), stopping)
        .await
        .expect("then the server stops")
        .unwrap();
}

/// Two servers on one PostgreSQL database (COGNATE_TEST_DATABASE_URL), sharing the master key, the
/// root credentials and the public URL (the load balancer's) as the README says they must.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgresql_behave_as_one() {
    let Some(base) = cognate_store::testkit::postgres_url() else {
        eprintln!(
            "COGNATE_TEST_DATABASE_URL is not set: two servers need PostgreSQL; CI runs this"
        );
        return;
    };
    let database = cognate_store::testkit::scratch_postgres_database(&base).await;
    let master_key = STANDARD.encode(cognate_core::crypto::random_bytes::<32>());
    let credentials = (
        "AKIATWOSERVERSTEST01".to_owned(),
        "two-servers-share-this-secret-0123456789".to_owned(),
    );
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = |dir: &std::path::Path| {
        let mut config = Config::ephemeral(dir);
        config.database_url = Some(database.clone());
        config.master_key = Some(master_key.clone());
        config.root_credentials = Some(credentials.clone());
        // Tokens name their issuer by the public URL: behind a load balancer, every server has its.
        config.public_url = Some("http://cognate.internal:9230".to_owned());
        config
    };
    // Both start together: the migrations run once.
    let (a, b) = tokio::join!(
        cognate_server::start(config(dir_a.path()), std::future::pending()),
        cognate_server::start(config(dir_b.path()), std::future::pending())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let sdk_a = sdk_client(
        &format!("http://{}", a.addr),
        &credentials.0,
        &credentials.1,
    );
    let sdk_b = sdk_client(
        &format!("http://{}", b.addr),
        &credentials.0,
        &credentials.1,
    );
    let server_a = TestServer::wrap(a, sdk_a.clone(), dir_a);
    let (pool, client) = server_a.pool_and_client().await;
    server_a.create_user(&pool, "shared", PASSWORD).await;

    let sign_in = |sdk: &aws_sdk_cognitoidentityprovider::Client, password: &str| {
        sdk.initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "shared")
            .auth_parameters("PASSWORD", password)
            .send()
    };
    // Created on A, signs in on B; B's token works on A (the signing keys are shared).
    let tokens = sign_in(&sdk_b, PASSWORD)
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    sdk_a
        .get_user()
        .access_token(tokens.access_token.clone().unwrap())
        .send()
        .await
        .unwrap();
    // Signed out on A: B refuses the token at once.
    sdk_a
        .global_sign_out()
        .access_token(tokens.access_token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            sdk_b
                .get_user()
                .access_token(tokens.access_token.unwrap())
                .send()
                .await
        ),
        "NotAuthorizedException"
    );
    // Disabled on B: A refuses the sign-in.
    sdk_b
        .admin_disable_user()
        .user_pool_id(&pool)
        .username("shared")
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::support::error(sign_in(&sdk_a, PASSWORD).await).1,
        "User is disabled."
    );
    sdk_b
        .admin_enable_user()
        .user_pool_id(&pool)
        .username("shared")
        .send()
        .await
        .unwrap();
    // Keys rotated on A: A signs with the new keys at once; B accepts those tokens at once (an
    // unknown kid makes it reload the keys) and its JWKS already lists them.
    let rotation = server_a
        .server
        .services()
        .rotate_signing_keys(&cognate_core::ids::PoolId::parse(&pool).unwrap())
        .await
        .unwrap();
    let fresh = sign_in(&sdk_a, PASSWORD)
        .await
        .unwrap()
        .authentication_result
        .unwrap()
        .access_token
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(fresh.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(rotation
        .new_kids
        .iter()
        .any(|kid| header["kid"] == kid.as_str()));
    sdk_b.get_user().access_token(&fresh).send().await.unwrap();
    let jwks: serde_json::Value =
        reqwest::get(format!("http://{}/{pool}/.well-known/jwks.json", b.addr))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(rotation
        .new_kids
        .iter()
        .all(|kid| published.contains(&kid.as_str())));
    // The lockout counts across both.
    for sdk in [&sdk_a, &sdk_b, &sdk_a, &sdk_b, &sdk_a] {
        let _ = sign_in(sdk, "Wrong-Pass-1").await;
    }
    assert_eq!(
        crate::support::error(sign_in(&sdk_b, PASSWORD).await).1,
        "Password attempts exceeded"
    );
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_counted_while_an_admin_edits_the_user_are_kept() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "edited", PASSWORD).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (sdk, client) = (t.client.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let _ = sdk
                .initiate_auth()
                .client_id(client)
                .auth_flow(AuthFlowType::UserPasswordAuth)
                .auth_parameters("USERNAME", "edited")
                .auth_parameters("PASSWORD", "Wrong-Pass-1")
                .send()
                .await;
        }));
        let (sdk, pool) = (t.client.clone(), pool.clone());
        tasks.push(tokio::spawn(async move {
            sdk.admin_update_user_attributes()
                .user_pool_id(pool)
                .username("edited")
                .user_attributes(crate::support::attr("nickname", &format!("n{i}")))
                .send()
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Six failures, none lost to the concurrent attribute writes: the account is locked.
    let result = t
        .client
        .initiate_auth()
        .client_id(&client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "edited")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await;
    assert_eq!(
        crate::support::error(result).1,
        "Password attempts exceeded"
    );
}

#[tokio::test]
async fn unauthenticated_calls_are_rate_limited_per_address_and_per_user() {
    let t = TestServer::start_with(|config| {
        config.rate_limit_per_ip = 3;
        config.rate_limit_per_user = 1;
    })
    .await;
    let (pool, client) = t.pool_and_client().await;
    t.create_user(&pool, "busy", PASSWORD).await;
    let sign_in = || {
        t.client
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "busy")
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
    };
    sign_in().await.unwrap();
    let (name, message) = crate::support::error(sign_in().await);
    assert_eq!(
        (name.as_str(), message.as_str()),
        ("TooManyRequestsException", "Rate exceeded"),
        "a second sign-in of one user within the second"
    );
    // The address's budget (3 a second, one spent on each sign-in above) runs out too; these
    // sign-ups fail fast on the password policy when they are let through.
    let mut refused = 0;
    for i in 0..8 {
        let result = t
            .client
            .sign_up()
            .client_id(&client)
            .username(format!("newcomer{i}"))
            .password("weak")
            .send()
            .await;
        if code(result) == "TooManyRequestsException" {
            refused += 1;
        }
    }
    assert!(
        refused >= 5,
        "the address is limited ({refused} of 8 refused)"
    );
    // Signed administrative calls are not limited.
    for _ in 0..20 {
        t.client
            .admin_get_user()
            .user_pool_id(&pool)
            .username("busy")
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_stalled_request_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t =
        TestServer::start_with(|config| config.request_timeout = std::time::Duration::from_secs(1))
            .await;
    let mut socket = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    // Headers promise 100 bytes of body; 10 come, then nothing.
    socket
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\nContent-Length: 100\r\n\r\n{\"ClientId")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 256];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    let status = String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(status, "HTTP/1.1 408 Request Timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // The server goes on serving.
    t.client
        .list_user_pools()
        .max_results(1)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_are_refused_at_once() {
    use tokio::io::AsyncWriteExt;
    let t = TestServer::start_with(|config| config.max_concurrent_requests = 1).await;
    // One request holds the only place: its body is still coming.
    let mut socket = tokio::net::TcpStream::connect(t.server.addr).await.unwrap();
    socket
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let refused = t.client.list_user_pools().max_results(1).send().await;
    assert_eq!(code(refused), "TooManyRequestsException");
    drop(socket);
    let mut served = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        served = Some(t.client.list_user_pools().max_results(1).send().await);
        if served.as_ref().is_some_and(Result::is_ok) {
            break;
        }
    }
    assert!(
        served.unwrap().is_ok(),
        "the place is given back when the request ends"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let t = TestServer::start().await;
    let response = reqwest::Client::new()
        .post(t.url())
        .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
        .header("content-type", "application/x-amz-json-1.1")
        .body(vec![b' '; cognate_server::MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn oversized_headers_are_refused_with_a_cognito_error() {
    let t = TestServer::start().await;
    let response = reqwest::Client::new()
        .post(t.url())
        .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-padding", "a".repeat(20 * 1024))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "InvalidParameterException");
    assert!(body["message"].as_str().unwrap().contains("at most 16384"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ups_of_one_email_have_one_winner_where_email_is_the_username() {
    let t = TestServer::start_with(|config| config.rate_limit_per_user = 0).await;
    let pool = t
        .client
        .create_user_pool()
        .pool_name("by-email")
        .username_attributes(aws_sdk_cognitoidentityprovider::types::UsernameAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = t.create_client(&pool, false).await;
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let (sdk, client) = (t.client.clone(), client.clone());
            tokio::spawn(async move {
                sdk.sign_up()
                    .client_id(client)
                    .username("race@example.com")
                    .password(PASSWORD)
                    .send()
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(code::<_, ()>(Err(e)), "UsernameExistsException"),
        }
    }
    assert_eq!(won, 1);
    let users = t
        .client
        .list_users()
        .user_pool_id(&pool)
        .send()
        .await
        .unwrap()
        .users
        .unwrap();
    assert_eq!(users.len(), 1);
}

/// Behind one proxy that appends the client's address, a client that writes its own
/// X-Forwarded-For entries is still limited, and audited, as the address the proxy saw.
#[tokio::test]
async fn a_forged_forwarded_address_does_not_escape_the_limit() {
    let t = TestServer::start_with(|config| {
        config.rate_limit_per_ip = 3;
        config.rate_limit_per_user = 0;
        config.trusted_proxies = 1;
    })
    .await;
    let (_, client) = t.pool_and_client().await;
    let http = reqwest::Client::new();
    let mut refused = 0;
    for i in 0..12 {
        let answer: serde_json::Value = http
            .post(t.url())
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
            // The client's own entry first, then what the proxy appended.
            .header("x-forwarded-for", format!("10.9.{i}.1, 198.51.100.7"))
            .body(
                serde_json::json!({"ClientId": client, "Username": format!("forger{i}"), "Password": "weak"})
                    .to_string(),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if answer["__type"] == "TooManyRequestsException" {
            refused += 1;
        }
    }
    assert!(
        refused >= 8,
        "rotating the first entry escaped the limit ({refused} of 12 refused)"
    );
}

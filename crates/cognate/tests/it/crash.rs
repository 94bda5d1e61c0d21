//! Crash safety: a write-heavy load against a real `cognate serve` process that is killed with
//! SIGKILL at random moments and restarted on the same data. Every write the client saw
//! acknowledged must be there afterwards, and nothing half-applied may be visible. On SQLite, and
//! on PostgreSQL when COGNATE_TEST_DATABASE_URL is set.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{AttributeType, AuthFlowType, MessageActionType};

const PASSWORD: &str = "Correct-Horse-1";
const NEW_PASSWORD: &str = "Changed-Horse-2";

struct Process {
    child: Child,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn serve(data: &std::path::Path, database_url: Option<&str>, port: u16) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cognate"));
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--https-listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .env("COGNATE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let mut child = command.spawn().unwrap();
    for _ in 0..200 {
        if reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok()
        {
            return Process { child, port };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

fn sdk(port: u16, data: &std::path::Path) -> cognito::Client {
    let (id, secret) =
        cognate_server::data_dir::read_credentials(&data.join("credentials")).unwrap();
    cognito::Client::from_conf(
        cognito::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(Credentials::new(id, secret, None, None, "t"))
            .retry_config(cognito::config::retry::RetryConfig::disabled())
            .build(),
    )
}

/// What the load saw acknowledged.
#[derive(Default)]
struct Acknowledged {
    users: Vec<String>,
    memberships: Vec<String>,
    password_changes: Vec<String>,
}

async fn load(
    sdk: cognito::Client,
    pool: String,
    worker: usize,
    round: usize,
    acked: Arc<Mutex<Acknowledged>>,
) {
    for i in 0.. {
        let user = format!("w{worker}r{round}u{i}");
        let created = sdk
            .admin_create_user()
            .user_pool_id(&pool)
            .username(&user)
            .temporary_password(PASSWORD)
            .message_action(MessageActionType::Suppress)
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value(format!("{user}@example.com"))
                    .build()
                    .unwrap(),
            )
            .user_attributes(
                AttributeType::builder()
                    .name("email_verified")
                    .value("true")
                    .build()
                    .unwrap(),
            )
            .send()
            .await;
        if created.is_err() {
            return;
        }
        acked.lock().unwrap().users.push(user.clone());
        if sdk
            .admin_add_user_to_group()
            .user_pool_id(&pool)
            .username(&user)
            .group_name("crowd")
            .send()
            .await
            .is_err()
        {
            return;
        }
        acked.lock().unwrap().memberships.push(user.clone());
        if sdk
            .admin_set_user_password()
            .user_pool_id(&pool)
            .username(&user)
            .password(NEW_PASSWORD)
            .permanent(true)
            .send()
            .await
            .is_err()
        {
            return;
        }
        acked.lock().unwrap().password_changes.push(user);
    }
}

async fn crash_and_check(database_url: Option<String>) {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut process = serve(data.path(), database_url.as_deref(), port).await;
    let client = sdk(process.port, data.path());
    let pool = client
        .create_user_pool()
        .pool_name("crash")
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("app")
        .explicit_auth_flows(cognito::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    client
        .create_group()
        .user_pool_id(&pool)
        .group_name("crowd")
        .send()
        .await
        .unwrap();
    let acked = Arc::new(Mutex::new(Acknowledged::default()));

    for round in 0..3 {
        let workers: Vec<_> = (0..4)
            .map(|w| tokio::spawn(load(client.clone(), pool.clone(), w, round, acked.clone())))
            .collect();
        // A random moment: somewhere between 150 and 650 ms into the load.
        let wait = 150 + (uuid::Uuid::new_v4().as_u128() % 500) as u64;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        process.child.kill().unwrap(); // SIGKILL
        process.child.wait().unwrap();
        for worker in workers {
            worker.await.unwrap();
        }
        process = serve(data.path(), database_url.as_deref(), port).await;
    }

    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.users.len() >= 3,
        "the load wrote something before each kill: {}",
        acked.users.len()
    );
    let members = {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_users_in_group()
                .user_pool_id(&pool)
                .group_name("crowd")
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            names.extend(page.users.unwrap().into_iter().map(|u| u.username.unwrap()));
            token = page.next_token;
            if token.is_none() {
                break names;
            }
        }
    };
    for user in &acked.users {
        let got = client
            .admin_get_user()
            .user_pool_id(&pool)
            .username(user)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{user} was acknowledged and lost: {e:?}"));
        let email = got
            .user_attributes
            .unwrap()
            .into_iter()
            .find(|a| a.name == "email");
        assert_eq!(
            email.and_then(|a| a.value),
            Some(format!("{user}@example.com")),
            "{user} has its attributes"
        );
    }
    for user in &acked.memberships {
        assert!(
            members.contains(user),
            "{user}'s membership was acknowledged and lost"
        );
    }
    for user in &acked.password_changes {
        client
            .initiate_auth()
            .client_id(&app)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", NEW_PASSWORD)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{user}'s new password was acknowledged and lost: {e:?}"));
    }
    // Nothing half-applied: every user the pool lists has its email (row and attributes are written
    // in one transaction), whether or not the client saw the answer.
    let listed = client
        .list_users()
        .user_pool_id(&pool)
        .send()
        .await
        .unwrap();
    for user in listed.users.unwrap() {
        let attributes = user.attributes.unwrap();
        assert!(
            attributes.iter().any(|a| a.name == "email"),
            "{:?} lacks its attributes",
            user.username
        );
    }
    process.child.kill().unwrap();
    process.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    crash_and_check(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_postgresql() {
    let Some(base) = cognate_store::testkit::postgres_url() else {
        eprintln!("COGNATE_TEST_DATABASE_URL is not set; CI runs this on PostgreSQL");
        return;
    };
    crash_and_check(Some(
        cognate_store::testkit::scratch_postgres_database(&base).await,
    ))
    .await;
}

fn s3_client(port: u16, data: &std::path::Path) -> aws_sdk_s3::Client {
    let (id, secret) =
        cognate_server::data_dir::read_credentials(&data.join("credentials")).unwrap();
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                id, secret, None, None, "t",
            ))
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .build(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_by_sigkill_is_never_visible_and_acknowledged_objects_survive() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(data.path(), None, port).await;
    let s3 = s3_client(port, data.path());
    s3.create_bucket().bucket("crash").send().await.unwrap();
    s3.put_object()
        .bucket("crash")
        .key("done.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            b"acknowledged",
        ))
        .send()
        .await
        .unwrap();
    // A 64 MiB upload that sends 1 MiB every 20 ms: the kill lands in the middle of it.
    let url = s3
        .put_object()
        .bucket("crash")
        .key("partial.bin")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60)).unwrap(),
        )
        .await
        .unwrap()
        .uri()
        .to_owned();
    let chunks = futures::stream::iter(0..64).then(|_| async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; 1024 * 1024]))
    });
    let upload = tokio::spawn(
        reqwest::Client::new()
            .put(url)
            .header("content-length", (64 * 1024 * 1024).to_string())
            .body(reqwest::Body::wrap_stream(chunks))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(
        upload.await.unwrap().is_err(),
        "the cut-off upload was not acknowledged"
    );

    let server = serve(data.path(), None, port).await;
    let s3 = s3_client(server.port, data.path());
    let head = s3
        .head_object()
        .bucket("crash")
        .key("partial.bin")
        .send()
        .await;
    assert!(head.is_err(), "a partial object is visible: {head:?}");
    let listed = s3.list_objects_v2().bucket("crash").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["done.txt"]);
    let done = s3
        .get_object()
        .bucket("crash")
        .key("done.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.body.collect().await.unwrap().into_bytes().as_ref(),
        b"acknowledged"
    );
    let mut server = server;
    let _ = server.child.kill();
    let _ = server.child.wait();
}

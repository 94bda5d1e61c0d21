//! Boots a real server on port 0 with a temporary data directory (and a scratch PostgreSQL
//! database when `COGNATE_TEST_DATABASE_URL` is set) and hands out official SDK clients.

use aws_sdk_cognitoidentityprovider as cognito;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, ExplicitAuthFlowsType};
use cognate_server::{Config, RunningServer};

pub struct TestServer {
    pub server: RunningServer,
    pub client: cognito::Client,
    pub data_dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::ephemeral(data_dir.path());
        // CI runs the suite once more with objects' bytes in an S3-compatible server.
        config.blob_store = std::env::var("COGNATE_TEST_BLOB_STORE").ok();
        adjust(&mut config);
        if let Some(base) = cognate_store::testkit::postgres_url() {
            config.database_url =
                Some(cognate_store::testkit::scratch_postgres_database(&base).await);
        }
        let database_url = config.database_url.clone();
        let server = cognate_server::start(config, std::future::pending())
            .await
            .expect("server starts");
        let client = sdk_client(
            &server.public_url,
            &server.root_access_key_id,
            &server.root_secret_access_key,
        );
        TestServer {
            server,
            client,
            data_dir,
            database_url,
        }
    }

    /// A server started elsewhere (several servers on one database).
    pub fn wrap(
        server: RunningServer,
        client: cognito::Client,
        data_dir: tempfile::TempDir,
    ) -> Self {
        TestServer {
            server,
            client,
            data_dir,
            database_url: None,
        }
    }

    pub fn url(&self) -> &str {
        &self.server.public_url
    }

    /// An SDK client signing with other credentials.
    pub fn client_with(&self, access_key_id: &str, secret: &str) -> cognito::Client {
        sdk_client(&self.server.public_url, access_key_id, secret)
    }

    /// A pool with a public client that allows password and refresh flows.
    pub async fn pool_and_client(&self) -> (String, String) {
        let pool = self.create_pool().await;
        let client = self.create_client(&pool, false).await;
        (pool, client)
    }

    pub async fn create_pool(&self) -> String {
        let out = self
            .client
            .create_user_pool()
            .pool_name("test")
            .send()
            .await
            .expect("create pool");
        out.user_pool.unwrap().id.unwrap()
    }

    pub async fn create_client(&self, pool: &str, with_secret: bool) -> String {
        let out = self
            .client
            .create_user_pool_client()
            .user_pool_id(pool)
            .client_name("app")
            .generate_secret(with_secret)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .expect("create client");
        out.user_pool_client.unwrap().client_id.unwrap()
    }

    /// A confirmed user with a permanent password and an email.
    pub async fn create_user(&self, pool: &str, username: &str, password: &str) {
        self.client
            .admin_create_user()
            .user_pool_id(pool)
            .username(username)
            .user_attributes(attr("email", &format!("{username}@example.com")))
            .user_attributes(attr("email_verified", "true"))
            .message_action(cognito::types::MessageActionType::Suppress)
            .send()
            .await
            .expect("create user");
        self.client
            .admin_set_user_password()
            .user_pool_id(pool)
            .username(username)
            .password(password)
            .permanent(true)
            .send()
            .await
            .expect("set password");
    }

    pub async fn sign_in(
        &self,
        client_id: &str,
        username: &str,
        password: &str,
    ) -> cognito::types::AuthenticationResultType {
        self.client
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .expect("sign in")
            .authentication_result
            .expect("tokens")
    }

    /// The newest code the server queued for `pool` (read as the operator would).
    pub async fn last_code(&self, pool: &str) -> String {
        let pool = cognate_core::ids::PoolId::parse(pool).unwrap();
        let messages = self.server.services().outbox(Some(&pool), 1).await.unwrap();
        let body = &messages.first().expect("a message in the outbox").body;
        body.split_whitespace()
            .last()
            .unwrap()
            .trim_end_matches('.')
            .to_owned()
    }
}

impl TestServer {
    /// Calls cognate's management API (`CognateManagementService.<operation>`), signed with
    /// the root credentials by cognate-client (the AWS SigV4 signer).
    pub async fn manage(
        &self,
        operation: &str,
        input: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        cognate_client::Client::new(
            self.url(),
            &self.server.root_access_key_id,
            &self.server.root_secret_access_key,
        )
        .manage_answer(operation, &input)
        .await
        .expect("the server answers JSON")
    }
}

pub fn sdk_client(url: &str, access_key_id: &str, secret: &str) -> cognito::Client {
    let config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(access_key_id, secret, None, None, "test"))
        // Every answer as the server gave it: the SDK would retry throttling errors.
        .retry_config(aws_sdk_cognitoidentityprovider::config::retry::RetryConfig::disabled())
        .build();
    cognito::Client::from_conf(config)
}

pub fn attr(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .unwrap()
}

/// The Cognito exception name of a failed call.
pub fn code<E: ProvideErrorMetadata, T: std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code().unwrap_or("<no code>").to_owned(),
    }
}

/// The exception name and message of a failed call.
pub fn error<E: ProvideErrorMetadata, T: std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => (
            e.code().unwrap_or("<no code>").to_owned(),
            e.message().unwrap_or("").to_owned(),
        ),
    }
}

pub const PASSWORD: &str = "Correct-Horse-1";

/// Temporary or long-term credentials for the SDK clients below.
pub struct Keys<'a> {
    pub id: &'a str,
    pub secret: &'a str,
    pub token: Option<&'a str>,
}

impl TestServer {
    pub fn root_keys(&self) -> Keys<'_> {
        Keys {
            id: &self.server.root_access_key_id,
            secret: &self.server.root_secret_access_key,
            token: None,
        }
    }
}

/// The official IAM, STS, identity-pool and user-pool clients on one endpoint, as with one
/// `AWS_ENDPOINT_URL`.
macro_rules! sdk_client_for {
    ($name:ident, $sdk:ident) => {
        pub fn $name(url: &str, keys: &Keys) -> $sdk::Client {
            let credentials = $sdk::config::Credentials::new(
                keys.id,
                keys.secret,
                keys.token.map(str::to_owned),
                None,
                "test",
            );
            let config = $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new("us-east-1"))
                .endpoint_url(url)
                .credentials_provider(credentials)
                .retry_config($sdk::config::retry::RetryConfig::disabled())
                .build();
            $sdk::Client::from_conf(config)
        }
    };
}

use aws_sdk_cognitoidentity as identity_sdk;
use aws_sdk_iam as iam_sdk;
use aws_sdk_sts as sts_sdk;
sdk_client_for!(iam_client, iam_sdk);
sdk_client_for!(sts_client, sts_sdk);
sdk_client_for!(identity_client, identity_sdk);
sdk_client_for!(user_pool_client, cognito);

/// `token` (temporary credentials' session token) resealed as if it had expired two hours ago,
/// with the master key in `data_dir`.
pub fn expired_session_token(data_dir: &std::path::Path, token: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let secrets = cognate_server::data_dir::master_key(data_dir, None).unwrap();
    let sealed = URL_SAFE_NO_PAD.decode(token).unwrap();
    let mut session: serde_json::Value =
        serde_json::from_slice(&secrets.open(&sealed).unwrap()).unwrap();
    session["expires"] = serde_json::json!(session["expires"].as_i64().unwrap() - 2 * 3600 * 1000);
    URL_SAFE_NO_PAD.encode(secrets.seal(session.to_string().as_bytes()))
}

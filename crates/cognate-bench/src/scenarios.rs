//! The scenarios: each prepares what it needs through the API (pool, client, users), then
//! repeats one operation. Everything here speaks plain Cognito, so the same scenario runs
//! against cognate, moto or cognito-local.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use clap::ValueEnum;
use cognate_core::srp;
use serde_json::{json, Value};

use cognate_client::{CallError, Client};

use crate::signed;

pub const PASSWORD: &str = "Bench-Pass-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// GetUser with one access token: token verification, revocation check, user read.
    GetUser,
    /// InitiateAuth USER_PASSWORD_AUTH round-robin over many users (a password hash check each).
    SignIn,
    /// InitiateAuth REFRESH_TOKEN_AUTH with one refresh token.
    Refresh,
    /// AdminGetUser, SigV4-signed.
    AdminGetUser,
    /// ListUsers with `username ^= "<prefix>"` (about ten matches) on a large pool.
    ListUsersFilter,
    /// Password sign-in of a user in 100 groups (group claims in the tokens).
    GroupsToken,
    /// USER_SRP_AUTH and PASSWORD_VERIFIER, the client's side computed here too.
    SrpSignIn,
    /// A guest's GetId and GetCredentialsForIdentity: the identity pool's enhanced flow (the
    /// role's trust policy evaluated, credentials sealed).
    Credentials,
    /// AdminGetUser signed with identity-pool temporary credentials: admin-get-user plus the
    /// session token opened, the identity checked and the role's policy evaluated.
    TempCredsAdminGetUser,
    /// S3 GetObject of a 4 KiB object with temporary credentials (the role's policy checked).
    #[value(name = "s3-get-4k")]
    S3Get4k,
    /// S3 PutObject of 4 KiB with temporary credentials.
    #[value(name = "s3-put-4k")]
    S3Put4k,
    /// S3 PutObject of 256 MiB with temporary credentials: throughput and the server's memory.
    #[value(name = "s3-put-256m")]
    S3Put256m,
    /// GET through the REST gateway, SigV4-signed with a guest's temporary credentials, the
    /// role's execute-api:Invoke policy checked, proxied to a small upstream this process runs.
    RestProxy,
    /// The same GET through an open (`NONE`) route: the proxy hop without SigV4 and the policy.
    RestOpen,
    /// The same GET sent to that upstream directly: rest-proxy's baseline.
    RestDirect,
    /// rest-proxy's request, signed the same way, sent to that upstream directly: what a
    /// gateway that cost nothing would reach, since the client still signs and the upstream
    /// still reads the signature's headers.
    RestSignedDirect,
    /// Wrong passwords for one user from every connection at once: an attack, not a workload.
    /// Every answer must be NotAuthorized, and no more guesses checked than Cognito's lockout
    /// allows in the time elapsed (five, then one more each time the doubling wait runs out);
    /// a guess checked beyond that is an error.
    WrongPassword,
}

impl Scenario {
    fn is_storage(self) -> bool {
        matches!(
            self,
            Scenario::S3Get4k | Scenario::S3Put4k | Scenario::S3Put256m
        )
    }

    fn is_rest(self) -> bool {
        matches!(
            self,
            Scenario::RestProxy
                | Scenario::RestOpen
                | Scenario::RestDirect
                | Scenario::RestSignedDirect
        )
    }

    pub fn name(self) -> String {
        self.to_possible_value()
            .expect("named")
            .get_name()
            .to_owned()
    }
}

/// Options for preparing a scenario.
pub struct Options {
    /// Users to create for sign-in and list scenarios.
    pub users: usize,
    /// Use this existing pool (seeded with `cognate-bench seed`) for list-users-filter.
    pub pool_id: Option<String>,
    /// The root key pair, for the storage scenarios' bucket.
    pub root_keys: (String, String),
    /// Storage scenarios sign with the root keys instead of temporary credentials (for a
    /// peer without identity pools).
    pub storage_root: bool,
    /// s3-get-4k and s3-put-4k go through the AWS SDK for Rust rather than the signed client.
    pub s3_sdk: bool,
    /// The REST scenarios' upstream (`cognate-bench upstream`); without one, this process
    /// serves it beside the load.
    pub upstream: Option<String>,
}

/// What the repeated operation needs.
pub struct Prepared {
    scenario: Scenario,
    pool: String,
    client_id: String,
    usernames: Vec<String>,
    access_token: String,
    refresh_token: String,
    /// How many digits the seeded usernames have (`user` + digits).
    digits: usize,
    next: AtomicUsize,
    /// Wrong passwords the server checked (rather than refused as locked out), and since when.
    checked: AtomicUsize,
    started: std::time::Instant,
    identity_pool: String,
    /// A client signing with temporary credentials (temp-creds-admin-get-user).
    session: Option<Client>,
    storage: Option<StorageTarget>,
    rest: Option<RestTarget>,
}

impl Prepared {
    /// A scenario that needs no pool or users (storage, REST): the rest is set by the caller.
    fn without_users(scenario: Scenario) -> Prepared {
        Prepared {
            scenario,
            pool: String::new(),
            client_id: String::new(),
            usernames: Vec::new(),
            access_token: String::new(),
            refresh_token: String::new(),
            digits: 0,
            next: AtomicUsize::new(0),
            checked: AtomicUsize::new(0),
            started: std::time::Instant::now(),
            identity_pool: String::new(),
            session: None,
            storage: None,
            rest: None,
        }
    }
}

/// The REST scenarios' URL, and for rest-proxy the credentials that sign each call.
struct RestTarget {
    http: reqwest::Client,
    url: String,
    region: String,
    credentials: Option<aws_credential_types::Credentials>,
}

/// What the upstream answers: a small JSON list, as a typical API would.
pub(crate) const UPSTREAM_ANSWER: &str = r#"[{"id":"a1","name":"lamp"},{"id":"b2","name":"desk"}]"#;

/// The REST scenarios' upstream: `GET /items` answers [`UPSTREAM_ANSWER`].
pub fn upstream_app() -> axum::Router {
    axum::Router::new().route(
        "/items",
        axum::routing::get(|| async { ([("content-type", "application/json")], UPSTREAM_ANSWER) }),
    )
}

/// The upstream (the same for every REST scenario, so its cost is in each): the one given, or
/// one served in this process. For rest-proxy and rest-open, an API in front of it; for
/// rest-proxy and rest-signed-direct, a guest's credentials to sign with.
async fn prepare_rest(
    c: &Client,
    scenario: Scenario,
    upstream: Option<&str>,
) -> Result<RestTarget, CallError> {
    let upstream = match upstream {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| CallError::Transport(e.to_string()))?;
            let address = listener
                .local_addr()
                .map_err(|e| CallError::Transport(e.to_string()))?;
            tokio::spawn(async move { axum::serve(listener, upstream_app()).await });
            format!("http://{address}")
        }
    };
    let region = c.region().to_owned();
    let credentials = match scenario {
        Scenario::RestProxy | Scenario::RestSignedDirect => {
            let identity_pool = guest_identity_pool(c).await?;
            let issued = guest_credentials(c, &identity_pool).await?;
            Some(aws_credential_types::Credentials::new(
                field(&issued, "/Credentials/AccessKeyId")?,
                field(&issued, "/Credentials/SecretKey")?,
                Some(field(&issued, "/Credentials/SessionToken")?),
                None,
                "bench",
            ))
        }
        _ => None,
    };
    let url = match scenario {
        Scenario::RestDirect | Scenario::RestSignedDirect => format!("{upstream}/items"),
        _ => {
            let authorization = if scenario == Scenario::RestOpen {
                "NONE"
            } else {
                "AWS_IAM"
            };
            let api = c
                .manage(
                    "PutRestApi",
                    &json!({"Name": "bench", "Stages": ["bench"], "Routes": [
                        {"Path": "/items", "Method": "GET", "Authorization": authorization, "Upstream": upstream}]}),
                )
                .await?;
            let api_id = field(&api, "/RestApi/ApiId")?;
            format!(
                "{}/restapis/{api_id}/bench/items",
                c.endpoint().trim_end_matches('/')
            )
        }
    };
    Ok(RestTarget {
        http: reqwest::Client::new(),
        url,
        region,
        credentials,
    })
}

impl RestTarget {
    /// One GET, signed for execute-api as aws-amplify's REST client signs when there are
    /// credentials; the answer must be the upstream's.
    async fn call(&self) -> Result<(), CallError> {
        let mut request = self.http.get(&self.url);
        if let Some(credentials) = &self.credentials {
            let signature = signed::signature_headers(
                credentials,
                &self.region,
                "execute-api",
                ("GET", &self.url),
                &[],
                signed::EMPTY_SHA256,
            )?;
            for (name, value) in signature {
                request = request.header(name, value);
            }
        }
        let answer = request.send().await.map_err(signed::transport)?;
        let (status, headers) = (answer.status(), answer.headers().clone());
        let body = answer.text().await.map_err(signed::transport)?;
        if !status.is_success() || body != UPSTREAM_ANSWER {
            return Err(CallError::Transport(format!(
                "{} {status} {headers:?}: {body}",
                self.url
            )));
        }
        Ok(())
    }
}

/// The storage scenarios' clients (temporary credentials), bucket and body.
struct StorageTarget {
    s3: aws_sdk_s3::Client,
    /// The same credentials without the SDK, for s3-get-4k and s3-put-4k unless the SDK is asked
    /// for (`signed`'s module doc says why), and the body with the hashes it signs.
    signed: Option<(signed::S3, signed::PutBody)>,
    bucket: String,
    body: bytes::Bytes,
}

const STORAGE_BUCKET: &str = "bench-storage";

pub(crate) fn s3_client(
    endpoint: &str,
    region: &str,
    id: &str,
    secret: &str,
    token: Option<String>,
) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new(id, secret, token, None, "bench"))
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .build(),
    )
}

fn s3_error(e: impl std::fmt::Debug) -> CallError {
    CallError::Transport(format!("{e:?}"))
}

/// A bucket with a 4 KiB object, and a client with a guest's temporary credentials whose role
/// may read and write it (or the root keys, with `storage_root`).
async fn prepare_storage(
    c: &Client,
    scenario: Scenario,
    options: &Options,
) -> Result<StorageTarget, CallError> {
    let (id, secret) = (&options.root_keys.0, &options.root_keys.1);
    let root = s3_client(c.endpoint(), c.region(), id, secret, None);
    // Made already by an earlier run on the same server: fine.
    let _ = root.create_bucket().bucket(STORAGE_BUCKET).send().await;
    root.put_object()
        .bucket(STORAGE_BUCKET)
        .key("object-4k")
        .body(aws_sdk_s3::primitives::ByteStream::from(vec![7u8; 4096]))
        .send()
        .await
        .map_err(s3_error)?;
    let (id, secret, token) = if options.storage_root {
        (id.clone(), secret.clone(), None)
    } else {
        let identity_pool = guest_identity_pool(c).await?;
        let issued = guest_credentials(c, &identity_pool).await?;
        (
            field(&issued, "/Credentials/AccessKeyId")?,
            field(&issued, "/Credentials/SecretKey")?,
            Some(field(&issued, "/Credentials/SessionToken")?),
        )
    };
    let size = match scenario {
        Scenario::S3Put256m => 256 * 1024 * 1024,
        _ => 4096,
    };
    let body = bytes::Bytes::from(vec![7u8; size]);
    let signed = (scenario != Scenario::S3Put256m && !options.s3_sdk).then(|| {
        let credentials =
            aws_credential_types::Credentials::new(&id, &secret, token.clone(), None, "bench");
        (
            signed::S3::new(c.endpoint(), c.region(), credentials),
            signed::PutBody::new(body.clone()),
        )
    });
    Ok(StorageTarget {
        s3: s3_client(c.endpoint(), c.region(), &id, &secret, token),
        signed,
        bucket: STORAGE_BUCKET.to_owned(),
        body,
    })
}

fn field(value: &Value, pointer: &str) -> Result<String, CallError> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| CallError::Transport(format!("response lacks {pointer}: {value}")))
}

async fn create_pool_and_client(c: &Client) -> Result<(String, String), CallError> {
    let pool = field(
        &c.admin("CreateUserPool", &json!({"PoolName": "bench"}))
            .await?,
        "/UserPool/Id",
    )?;
    let client = c
        .admin(
            "CreateUserPoolClient",
            &json!({
                "UserPoolId": pool,
                "ClientName": "bench",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
            }),
        )
        .await?;
    Ok((pool, field(&client, "/UserPoolClient/ClientId")?))
}

async fn create_user(c: &Client, pool: &str, username: &str) -> Result<(), CallError> {
    c.admin(
        "AdminCreateUser",
        &json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS", "TemporaryPassword": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": username}]}),
    )
    .await?;
    c.admin(
        "AdminSetUserPassword",
        &json!({"UserPoolId": pool, "Username": username, "Password": PASSWORD, "Permanent": true}),
    )
    .await?;
    Ok(())
}

async fn sign_in(c: &Client, client_id: &str, username: &str) -> Result<Value, CallError> {
    c.call(
        "InitiateAuth",
        &json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD}}),
    )
    .await
}

/// `user` + a zero-padded number, as an email address: some emulators (cognito-local) create
/// pools that only take email addresses as usernames.
pub fn seeded_name(index: usize, digits: usize) -> String {
    format!("user{index:0digits$}@bench.example")
}

/// How many wrong passwords Cognito's lockout lets be checked within `secs` of the first: five,
/// then one each time the wait (1 s, doubling) runs out. One more is allowed for the second the
/// clock is read in.
fn lockout_allows(secs: u64) -> usize {
    let mut allowed = 5;
    let (mut waited, mut wait) = (0u64, 1u64);
    while waited + wait <= secs + 1 {
        waited += wait;
        wait *= 2;
        allowed += 1;
    }
    allowed
}

/// An identity pool for guests whose unauth role may call AdminGetUser; its id.
async fn guest_identity_pool(c: &Client) -> Result<String, CallError> {
    let pool = field(
        &c.identity(
            "CreateIdentityPool",
            &json!({"IdentityPoolName": "bench", "AllowUnauthenticatedIdentities": true}),
            true,
        )
        .await?,
        "/IdentityPoolId",
    )?;
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}}]})
    .to_string();
    let role = format!("bench-guest-{}", std::process::id());
    let created = c
        .iam(
            "CreateRole",
            &[("RoleName", &role), ("AssumeRolePolicyDocument", &trust)],
        )
        .await?;
    let arn = created
        .split_once("<Arn>")
        .and_then(|(_, rest)| rest.split_once("</Arn>"))
        .map(|(arn, _)| arn.to_owned())
        .ok_or_else(|| CallError::Transport(format!("CreateRole answered no Arn: {created}")))?;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::{STORAGE_BUCKET}/*")},
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/bench/GET/items"}]})
    .to_string();
    c.iam(
        "PutRolePolicy",
        &[
            ("RoleName", &role),
            ("PolicyName", "admin-get-user"),
            ("PolicyDocument", &policy),
        ],
    )
    .await?;
    // moto has no SetIdentityPoolRoles (and hands out constant credentials without roles): the
    // scenario still runs its two calls there, for the comparison.
    if let Err(e) = c
        .identity(
            "SetIdentityPoolRoles",
            &json!({"IdentityPoolId": pool, "Roles": {"unauthenticated": arn}}),
            true,
        )
        .await
    {
        eprintln!("SetIdentityPoolRoles failed ({e}); running without roles");
    }
    Ok(pool)
}

/// A guest's temporary credentials: GetId, then GetCredentialsForIdentity.
async fn guest_credentials(c: &Client, identity_pool: &str) -> Result<Value, CallError> {
    let id = field(
        &c.identity(
            "GetId",
            &json!({"IdentityPoolId": identity_pool, "Logins": {}}),
            false,
        )
        .await?,
        "/IdentityId",
    )?;
    c.identity(
        "GetCredentialsForIdentity",
        &json!({"IdentityId": id}),
        false,
    )
    .await
}

/// Creates what `scenario` needs.
pub async fn prepare(
    c: &Client,
    scenario: Scenario,
    options: &Options,
) -> Result<Prepared, CallError> {
    if scenario.is_storage() {
        return Ok(Prepared {
            storage: Some(prepare_storage(c, scenario, options).await?),
            ..Prepared::without_users(scenario)
        });
    }
    if scenario.is_rest() {
        return Ok(Prepared {
            rest: Some(prepare_rest(c, scenario, options.upstream.as_deref()).await?),
            ..Prepared::without_users(scenario)
        });
    }
    let (pool, client_id) = match (&options.pool_id, scenario) {
        (Some(pool), Scenario::ListUsersFilter) => (pool.clone(), String::new()),
        _ => create_pool_and_client(c).await?,
    };
    let digits = options.users.saturating_sub(1).to_string().len().max(2);
    let count = match scenario {
        Scenario::SignIn | Scenario::SrpSignIn => options.users.clamp(1, 64),
        Scenario::ListUsersFilter if options.pool_id.is_none() => options.users.max(10),
        Scenario::ListUsersFilter => 0,
        _ => 1,
    };
    let mut usernames = Vec::with_capacity(count);
    for i in 0..count {
        let name = seeded_name(i, digits);
        create_user(c, &pool, &name).await?;
        usernames.push(name);
    }
    let (mut access_token, mut refresh_token) = (String::new(), String::new());
    match scenario {
        Scenario::GetUser | Scenario::Refresh => {
            let tokens = sign_in(c, &client_id, &usernames[0]).await?;
            access_token = field(&tokens, "/AuthenticationResult/AccessToken")?;
            refresh_token = field(&tokens, "/AuthenticationResult/RefreshToken")?;
        }
        Scenario::GroupsToken => {
            for g in 0..100 {
                let group = format!("group{g:03}");
                c.admin(
                    "CreateGroup",
                    &json!({"UserPoolId": pool, "GroupName": group, "Precedence": g}),
                )
                .await?;
                c.admin(
                    "AdminAddUserToGroup",
                    &json!({"UserPoolId": pool, "Username": usernames[0], "GroupName": group}),
                )
                .await?;
            }
        }
        _ => {}
    }
    let (mut identity_pool, mut session) = (String::new(), None);
    if matches!(
        scenario,
        Scenario::Credentials | Scenario::TempCredsAdminGetUser
    ) {
        identity_pool = guest_identity_pool(c).await?;
    }
    if scenario == Scenario::TempCredsAdminGetUser {
        let issued = guest_credentials(c, &identity_pool).await?;
        session = Some(
            Client::with_session(
                c.endpoint(),
                &field(&issued, "/Credentials/AccessKeyId")?,
                &field(&issued, "/Credentials/SecretKey")?,
                Some(&field(&issued, "/Credentials/SessionToken")?),
            )
            .in_region(c.region()),
        );
    }
    Ok(Prepared {
        scenario,
        pool,
        client_id,
        usernames,
        access_token,
        refresh_token,
        digits,
        next: AtomicUsize::new(0),
        checked: AtomicUsize::new(0),
        started: std::time::Instant::now(),
        identity_pool,
        session,
        storage: None,
        rest: None,
    })
}

/// One operation of the scenario.
pub async fn run_once(
    c: &Client,
    p: &Arc<Prepared>,
    srp_a: &[u8; 32],
    srp_public_a: &str,
) -> Result<(), CallError> {
    let i = p.next.fetch_add(1, Ordering::Relaxed);
    match p.scenario {
        Scenario::GetUser => {
            c.call("GetUser", &json!({"AccessToken": p.access_token}))
                .await?;
        }
        Scenario::SignIn | Scenario::GroupsToken => {
            let tokens = sign_in(c, &p.client_id, &p.usernames[i % p.usernames.len()]).await?;
            field(&tokens, "/AuthenticationResult/IdToken")?;
        }
        Scenario::Refresh => {
            c.call(
                "InitiateAuth",
                &json!({"ClientId": p.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": p.refresh_token}}),
            )
            .await?;
        }
        Scenario::Credentials => {
            let issued = guest_credentials(c, &p.identity_pool).await?;
            field(&issued, "/Credentials/SessionToken")?;
        }
        Scenario::TempCredsAdminGetUser => {
            let session = p.session.as_ref().expect("prepared with a session");
            session
                .admin(
                    "AdminGetUser",
                    &json!({"UserPoolId": p.pool, "Username": p.usernames[0]}),
                )
                .await?;
        }
        Scenario::S3Get4k => {
            let target = p.storage.as_ref().expect("prepared for storage");
            let body = match &target.signed {
                Some((s3, _)) => s3.get(&target.bucket, "object-4k").await?,
                None => {
                    let object = target
                        .s3
                        .get_object()
                        .bucket(&target.bucket)
                        .key("object-4k")
                        .send()
                        .await
                        .map_err(s3_error)?;
                    object.body.collect().await.map_err(s3_error)?.into_bytes()
                }
            };
            if body.len() != 4096 {
                return Err(CallError::Transport("a short object".into()));
            }
        }
        Scenario::S3Put4k | Scenario::S3Put256m => {
            let target = p.storage.as_ref().expect("prepared for storage");
            let key = format!("put/{}", i % 1024);
            match &target.signed {
                Some((s3, body)) => s3.put(&target.bucket, &key, body).await?,
                None => {
                    target
                        .s3
                        .put_object()
                        .bucket(&target.bucket)
                        .key(key)
                        .body(aws_sdk_s3::primitives::ByteStream::from(
                            target.body.clone(),
                        ))
                        .send()
                        .await
                        .map_err(s3_error)?;
                }
            }
        }
        Scenario::RestProxy
        | Scenario::RestOpen
        | Scenario::RestDirect
        | Scenario::RestSignedDirect => {
            p.rest.as_ref().expect("prepared for REST").call().await?;
        }
        Scenario::AdminGetUser => {
            c.admin(
                "AdminGetUser",
                &json!({"UserPoolId": p.pool, "Username": p.usernames[0]}),
            )
            .await?;
        }
        Scenario::ListUsersFilter => {
            // A random prefix one digit short of a full name: about ten matches.
            let seeded = if p.usernames.is_empty() {
                10usize.pow(p.digits as u32)
            } else {
                p.usernames.len()
            };
            let group = (i.wrapping_mul(2_654_435_761) % (seeded / 10).max(1)).to_string();
            let prefix = format!("user{group:0>width$}", width = p.digits - 1);
            let out = c.admin("ListUsers", &json!({"UserPoolId": p.pool, "Filter": format!("username ^= \"{prefix}\""), "Limit": 60})).await?;
            if out["Users"].as_array().is_none_or(|u| u.is_empty()) {
                return Err(CallError::Transport(format!("no users match {prefix}")));
            }
        }
        Scenario::WrongPassword => {
            let answer = c
                .call(
                    "InitiateAuth",
                    &json!({"ClientId": p.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": p.usernames[0], "PASSWORD": "Not-The-Password-1"}}),
                )
                .await;
            match answer {
                Err(CallError::Service { name, message }) if name == "NotAuthorizedException" => {
                    if message == "Password attempts exceeded" {
                        return Ok(());
                    }
                    let checked = p.checked.fetch_add(1, Ordering::SeqCst) + 1;
                    let allowed = lockout_allows(p.started.elapsed().as_secs());
                    if checked > allowed {
                        return Err(CallError::Transport(format!(
                            "the lockout let {checked} guesses be checked; it allows {allowed}"
                        )));
                    }
                }
                Err(other) => return Err(other),
                Ok(tokens) => {
                    return Err(CallError::Transport(format!(
                        "a wrong password signed in: {tokens}"
                    )))
                }
            }
        }
        Scenario::SrpSignIn => {
            let username = &p.usernames[i % p.usernames.len()];
            let challenge = c
                .call(
                    "InitiateAuth",
                    &json!({"ClientId": p.client_id, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": {"USERNAME": username, "SRP_A": srp_public_a}}),
                )
                .await?;
            let params = &challenge["ChallengeParameters"];
            let text = |name: &str| {
                params[name]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| CallError::Transport(format!("challenge lacks {name}")))
            };
            let (salt, big_b, block, user_id) = (
                text("SALT")?,
                text("SRP_B")?,
                text("SECRET_BLOCK")?,
                text("USER_ID_FOR_SRP")?,
            );
            let timestamp = cognito_timestamp();
            let pool_name = p
                .pool
                .split_once('_')
                .map(|(_, n)| n.to_owned())
                .unwrap_or_default();
            // Cognito's SECRET_BLOCK is base64; an emulator that does not check signatures may send
            // something else (moto sends a UUID), which is then signed as it is.
            let block_bytes = STANDARD
                .decode(&block)
                .unwrap_or_else(|_| block.clone().into_bytes());
            let a = *srp_a;
            let signature = tokio::task::spawn_blocking(move || {
                srp::client::signature(
                    &a,
                    &hex_bytes(&big_b),
                    &hex_bytes(&salt),
                    &pool_name,
                    &user_id,
                    PASSWORD,
                    &block_bytes,
                    &timestamp,
                )
                .map(|s| (STANDARD.encode(s), timestamp, user_id))
            })
            .await
            .map_err(|e| CallError::Transport(e.to_string()))?
            .ok_or_else(|| CallError::Transport("SRP: degenerate challenge".into()))?;
            let (signature, timestamp, user_id) = signature;
            let out = c
                .call(
                    "RespondToAuthChallenge",
                    &json!({"ClientId": p.client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": {
                        "USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": block, "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": timestamp}}),
                )
                .await?;
            field(&out, "/AuthenticationResult/IdToken")?;
        }
    }
    Ok(())
}

fn hex_bytes(value: &str) -> Vec<u8> {
    hex::decode(if value.len() % 2 == 1 {
        format!("0{value}")
    } else {
        value.to_owned()
    })
    .unwrap_or_default()
}

/// `Wed Mar 6 12:34:56 UTC 2024`, as Cognito's clients write it.
fn cognito_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        &now.weekday().to_string()[..3],
        &now.month().to_string()[..3],
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.year()
    )
}

pub fn srp_ephemeral() -> ([u8; 32], String) {
    let a = cognate_core::crypto::random_bytes::<32>();
    (a, hex::encode(srp::client::public(&a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_with_the_servers_parser() {
        let stamp = cognito_timestamp();
        assert!(
            cognate_core::service::parse_srp_timestamp(&stamp).is_some(),
            "{stamp}"
        );
    }

    #[test]
    fn seeded_names_share_prefixes_of_ten() {
        assert_eq!(seeded_name(42, 7), "user0000042@bench.example");
    }
}

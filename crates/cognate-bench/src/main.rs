//! cognate-bench: load for anything that speaks Cognito's user-pool protocol (cognate, moto,
//! cognito-local), plus the in-process baselines the results are compared with.

mod forward;
mod scenarios;
mod signed;
mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use cognate_core::crypto::PasswordHasherConfig;
use scenarios::{Options, Scenario};
use stats::Report;

#[derive(Parser)]
#[command(
    name = "cognate-bench",
    version,
    about = "Load for Cognito-compatible endpoints, and the baselines to judge it by"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prepare a scenario through the API (pool, client, users), then repeat its operation for a
    /// fixed time at a fixed concurrency; print operations per second, p50, p99 and errors.
    ///
    /// Scenarios: get-user (GetUser with one access token), sign-in (USER_PASSWORD_AUTH over
    /// many users), refresh (REFRESH_TOKEN_AUTH), admin-get-user (SigV4-signed AdminGetUser),
    /// list-users-filter (ListUsers with `username ^=` on a large pool), groups-token (sign-in of
    /// a user in 100 groups), srp-sign-in (USER_SRP_AUTH + PASSWORD_VERIFIER), credentials
    /// (a guest's GetId + GetCredentialsForIdentity), temp-creds-admin-get-user (AdminGetUser
    /// signed with identity-pool credentials), wrong-password (the parallel-guess attack),
    /// s3-get-4k, s3-put-4k, s3-put-256m (S3 with a guest's temporary credentials), rest-proxy
    /// (a signed GET through the REST gateway to an upstream), rest-open (the same through an
    /// open route) and rest-direct (the same GET straight to that upstream).
    Run {
        /// The endpoint, e.g. http://127.0.0.1:9230
        #[arg(long)]
        endpoint: String,
        #[arg(long, value_enum)]
        scenario: Scenario,
        /// Seconds to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Users to create (sign-in scenarios use up to 64; list-users-filter all of them).
        #[arg(long, default_value_t = 32)]
        users: usize,
        /// An existing pool seeded with `seed`, for list-users-filter.
        #[arg(long)]
        pool_id: Option<String>,
        /// Access key for signed calls (any value works for moto and cognito-local).
        #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "bench")]
        access_key_id: String,
        #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "bench")]
        secret_access_key: String,
        /// Print one JSON object instead of a line of text.
        #[arg(long)]
        json: bool,
        /// Storage scenarios sign with the access key above instead of a guest's temporary
        /// credentials (for a peer without identity pools, such as s3s-fs).
        #[arg(long)]
        storage_root: bool,
        /// s3-get-4k and s3-put-4k go through the AWS SDK for Rust rather than the lean SigV4
        /// client, which sends the same signed request for less CPU (s3-put-256m always uses
        /// the SDK).
        #[arg(long)]
        s3_sdk: bool,
        /// The REST scenarios' upstream, e.g. one `cognate-bench upstream` serves in its own
        /// process, as a real service runs; without it this process serves one beside the load.
        #[arg(long)]
        upstream: Option<String>,
    },
    /// Serve the REST scenarios' upstream (`GET /items`, a small JSON list) until stopped.
    Upstream {
        #[arg(long, default_value = "127.0.0.1:19431")]
        listen: std::net::SocketAddr,
    },
    /// Forward every request to an upstream through hyper's server and hyper-util's client with
    /// nothing else (no routing, signature or policy), until stopped: the floor of the REST
    /// gateway's hop, measured as rest-direct pointed here.
    Forward {
        #[arg(long, default_value = "127.0.0.1:19432")]
        listen: std::net::SocketAddr,
        /// The upstream, e.g. http://127.0.0.1:19431
        #[arg(long)]
        to: hyper::Uri,
    },
    /// Add users straight into a cognate store, for list-users-filter on a large pool (through
    /// the store: a million sign-ups through the API would take hours of password hashing).
    /// Users are `user` + zero-padded numbers + `@bench.example`, all with the password Bench-Pass-1.
    Seed {
        /// The pool, created beforehand through the API.
        #[arg(long)]
        pool_id: String,
        #[arg(long)]
        users: usize,
        /// The server's database (default: SQLite in --data-dir).
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value = "cognate-data")]
        data_dir: std::path::PathBuf,
    },
    /// Argon2id verifications per second at cognate's parameters, on `threads` threads: the
    /// ceiling of password sign-in.
    Argon2 {
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// The server's SRP work per sign-in (its three 3072-bit modular exponentiations) per second,
    /// on `threads` threads: the ceiling of srp-sign-in.
    SrpServer {
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
}

async fn run(
    endpoint: &str,
    scenario: Scenario,
    seconds: f64,
    concurrency: usize,
    options: Options,
    keys: (&str, &str),
) -> Result<Report, String> {
    let client = cognate_client::Client::new(endpoint, keys.0, keys.1);
    let prepared = Arc::new(
        scenarios::prepare(&client, scenario, &options)
            .await
            .map_err(|e| format!("preparing {}: {e}", scenario.name()))?,
    );
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let prepared = prepared.clone();
            tokio::spawn(async move {
                let (a, public_a) = scenarios::srp_ephemeral();
                let (mut latencies, mut requests, mut errors, mut first_error) =
                    (Vec::new(), 0u64, 0u64, None);
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    let result = scenarios::run_once(&client, &prepared, &a, &public_a).await;
                    requests += 1;
                    match result {
                        Ok(()) => latencies.push(t0.elapsed().as_micros() as u64),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e.to_string());
                        }
                    }
                }
                (latencies, requests, errors, first_error)
            })
        })
        .collect();
    let mut report = Report {
        scenario: scenario.name(),
        concurrency,
        seconds: 0.0,
        requests: 0,
        errors: 0,
        latencies_us: Vec::new(),
        first_error: None,
    };
    for worker in workers {
        let (latencies, requests, errors, first_error) = worker.await.map_err(|e| e.to_string())?;
        report.latencies_us.extend(latencies);
        report.requests += requests;
        report.errors += errors;
        if report.first_error.is_none() {
            report.first_error = first_error;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Runs `work` on `threads` threads for `seconds` and returns operations per second.
fn rate_on_threads(threads: usize, seconds: f64, work: impl Fn() + Send + Sync + 'static) -> f64 {
    let work = Arc::new(work);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let work = work.clone();
            std::thread::spawn(move || {
                let mut count = 0u64;
                while Instant::now() < deadline {
                    work();
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

async fn seed(
    pool_id: &str,
    users: usize,
    database_url: Option<String>,
    data_dir: &std::path::Path,
) -> Result<(), String> {
    use cognate_core::ids::{PoolId, Timestamp, Username};
    use cognate_core::model::{Attribute, User, UserStatus};
    use cognate_core::store::prelude::*;

    let url = database_url.unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("cognate.db").display()
        )
    });
    let store = cognate_store::SqlStore::connect(&url)
        .await
        .map_err(|e| e.to_string())?;
    let pool = PoolId::parse(pool_id).map_err(|e| e.to_string())?;
    let record = store
        .get_pool(&pool)
        .await
        .map_err(|e| e.to_string())?
        .ok_or(format!("no pool {pool_id}"))?;
    let hash = PasswordHasherConfig::default()
        .hash(scenarios::PASSWORD)
        .map_err(|e| e.to_string())?;
    let digits = users.saturating_sub(1).to_string().len().max(2);
    let started = Instant::now();
    let now = Timestamp::now();
    for chunk_start in (0..users).step_by(10_000) {
        let batch: Vec<User> = (chunk_start..(chunk_start + 10_000).min(users))
            .map(|i| {
                let name = scenarios::seeded_name(i, digits);
                User {
                    sub: uuid::Uuid::new_v4().to_string(),
                    pool_id: pool.clone(),
                    username_key: record.username_key(&name),
                    username: Username::parse(&name).expect("valid name"),
                    status: UserStatus::Confirmed,
                    enabled: true,
                    password_hash: Some(hash.clone()),
                    sealed_srp_verifier: None,
                    sign_in_names: Vec::new(),
                    attributes: vec![Attribute {
                        name: "email".into(),
                        value: format!("{name}@example.com"),
                    }],
                    created: now,
                    modified: now,
                    failed_sign_ins: 0,
                    last_failed_sign_in: None,
                    temporary_password_expires: None,
                }
            })
            .collect();
        store
            .insert_users(&batch)
            .await
            .map_err(|e| e.to_string())?;
        eprint!("\rseeded {} of {users} users", chunk_start + batch.len());
    }
    eprintln!(
        "\nseeded {users} users into {pool_id} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            endpoint,
            scenario,
            seconds,
            concurrency,
            users,
            pool_id,
            access_key_id,
            secret_access_key,
            json,
            storage_root,
            s3_sdk,
            upstream,
        } => run(
            &endpoint,
            scenario,
            seconds,
            concurrency,
            Options {
                users,
                pool_id,
                root_keys: (access_key_id.clone(), secret_access_key.clone()),
                storage_root,
                s3_sdk,
                upstream,
            },
            (&access_key_id, &secret_access_key),
        )
        .await
        .map(|report| {
            if json {
                println!("{}", report.to_json())
            } else {
                println!("{}", report.to_text())
            }
        }),
        Command::Upstream { listen } => match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => axum::serve(listener, scenarios::upstream_app())
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("listening on {listen}: {e}")),
        },
        Command::Forward { listen, to } => match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => forward::serve(listener, to).await,
            Err(e) => Err(format!("listening on {listen}: {e}")),
        },
        Command::Seed {
            pool_id,
            users,
            database_url,
            data_dir,
        } => seed(&pool_id, users, database_url, &data_dir).await,
        Command::Argon2 { threads, seconds } => {
            let hasher = PasswordHasherConfig::default();
            let phc = hasher.hash(scenarios::PASSWORD).expect("hash");
            let described = hasher.describe();
            let rate = tokio::task::spawn_blocking(move || {
                rate_on_threads(threads, seconds, move || {
                    assert!(hasher.verify(scenarios::PASSWORD, &phc));
                })
            })
            .await
            .expect("threads");
            println!("{{\"baseline\": \"argon2-verify\", \"parameters\": \"{described}\", \"threads\": {threads}, \"rate\": {rate:.1}}}");
            Ok(())
        }
        Command::SrpServer { threads, seconds } => {
            let salt = [7u8; 16];
            let verifier = cognate_core::srp::verifier("pool", "user", scenarios::PASSWORD, &salt);
            let (_, public_a) = scenarios::srp_ephemeral();
            let client_public = cognate_core::srp::parse_client_public(&public_a).expect("valid A");
            let rate = tokio::task::spawn_blocking(move || {
                rate_on_threads(threads, seconds, move || {
                    let b = cognate_core::crypto::random_bytes::<32>();
                    let server_public = cognate_core::srp::server_public(&verifier, &b).expect("B");
                    cognate_core::srp::session_key(&client_public, &server_public, &b, &verifier)
                        .expect("key");
                })
            })
            .await
            .expect("threads");
            println!("{{\"baseline\": \"srp-server-modexp\", \"threads\": {threads}, \"rate\": {rate:.1}}}");
            Ok(())
        }
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

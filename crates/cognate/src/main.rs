//! `cognate`: the server (`serve`) and the operator's commands.

mod explain;
mod logging;
mod project;

use clap::{Parser, Subcommand};
use cognate_core::ids::PoolId;
use cognate_server::{DataArgs, ServeArgs};

#[derive(Parser)]
#[command(
    name = "cognate",
    version,
    about = "Self-hosted identity and authorization that speaks Amazon Cognito's protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Start a project in this directory (or connect an existing Amplify project to cognate):
    /// project name, environment, source and build directories, the server and its credentials.
    Init(project::InitArgs),
    /// Add a category to the project: `cognate add auth`, `cognate add storage`, `cognate add api`.
    #[command(subcommand)]
    Add(AddCommand),
    /// Change a category of the project: `cognate update auth` (groups and their precedence,
    /// the Admin Queries API), `cognate update storage` (who may do what).
    #[command(subcommand)]
    Update(UpdateCommand),
    /// Take a category's resource out of the project: `cognate remove storage`, `cognate remove api`.
    #[command(subcommand)]
    Remove(RemoveCommand),
    /// What `push` would create, update or delete, and the endpoints.
    Status,
    /// Build the project's backend on the server, then write the client config the app imports.
    Push(project::push::PushArgs),
    /// Print the messages (confirmation codes, temporary passwords) the server has queued for
    /// users, newest first.
    Outbox {
        #[command(flatten)]
        server: DataArgs,
        /// Only messages of this user pool.
        #[arg(long)]
        pool: Option<String>,
        /// How many messages to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Rotate a user pool's token signing keys: new keys sign from now on, the old ones stay
    /// published for a day so that tokens they signed verify until they expire.
    RotateKeys {
        #[command(flatten)]
        server: DataArgs,
        /// The user pool.
        #[arg(long)]
        pool: String,
    },
    /// Show the audit log, newest first: every administrative change, who made it, from where.
    Audit {
        #[command(flatten)]
        server: DataArgs,
        /// Only changes in this user pool.
        #[arg(long)]
        pool: Option<String>,
        /// How many records to show.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only records older than this record number (to page back).
        #[arg(long)]
        before: Option<i64>,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// IAM policies: why a role may or may not do something.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print a role's decision on one request, the statements that decided it and the
    /// context keys that were missing.
    Explain {
        #[command(flatten)]
        server: DataArgs,
        #[command(flatten)]
        request: explain::ExplainArgs,
    },
}

#[derive(Subcommand)]
enum AddCommand {
    /// User sign-in: a user pool and an app client.
    Auth(project::AddAuthArgs),
    /// File storage: an S3 bucket, with access by auth and guest users or by groups.
    Storage(project::StorageArgs),
    /// A REST API: paths served by your HTTP services behind cognate's gateway, with access by
    /// auth and guest users or by groups.
    Api(project::ApiArgs),
}

#[derive(Subcommand)]
enum UpdateCommand {
    /// User pool groups (and their precedence) and the Admin Queries API.
    Auth(project::UpdateAuthArgs),
    /// Who may create/update, read and delete files in the bucket.
    Storage(project::StorageArgs),
    /// A REST API's paths, upstreams and who may call them.
    Api(project::ApiArgs),
}

#[derive(Subcommand)]
enum RemoveCommand {
    /// The storage resource (the next push takes its policies off the roles; the bucket stays).
    Storage(project::RemoveStorageArgs),
    /// The REST API (the next push deletes it from the gateway and takes its policies off the roles).
    Api(project::RemoveApiArgs),
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let config = args.resolve()?;
    let server = cognate_server::start(config, shutdown_signal()).await?;
    println!("cognate is listening on {}", server.public_url);
    if let Some(https) = server.https_addr {
        match &server.ca_file {
            Some(ca) => println!(
                "and on https://{https} with a certificate from the development CA {} (trust it: NODE_EXTRA_CA_CERTS={}, or import it in the browser)",
                ca.display(),
                ca.display()
            ),
            None => println!("and on https://{https} with the configured certificate"),
        }
    }
    match &server.credentials_file {
        Some(path) => println!(
            "root credentials: {} (profile {}); use AWS_SHARED_CREDENTIALS_FILE={} AWS_PROFILE={}",
            path.display(),
            cognate_server::data_dir::CREDENTIALS_PROFILE,
            path.display(),
            cognate_server::data_dir::CREDENTIALS_PROFILE,
        ),
        None => println!(
            "root credentials: from COGNATE_ROOT_ACCESS_KEY_ID / COGNATE_ROOT_SECRET_ACCESS_KEY"
        ),
    }
    server.wait().await;
    Ok(())
}

/// The services over the server's store, for the operator's commands, and the pool they name.
async fn operator_services(
    args: DataArgs,
    pool: Option<String>,
) -> Result<(cognate_core::service::Cognito, Option<PoolId>), String> {
    let config = args.resolve()?;
    let cognito = cognate_server::open_services(&config, "").await?;
    let pool = pool
        .map(|p| PoolId::parse(&p))
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok((cognito, pool))
}

async fn outbox(args: DataArgs, pool: Option<String>, limit: u32) -> Result<(), String> {
    let (cognito, pool) = operator_services(args, pool).await?;
    let messages = cognito
        .outbox(pool.as_ref(), limit)
        .await
        .map_err(|e| e.to_string())?;
    if messages.is_empty() {
        println!("The outbox is empty.");
    }
    for m in messages {
        println!(
            "#{} {} to {} <{}> (pool {})\n  {}\n  {}\n",
            m.id,
            format_time(m.created.epoch_secs()),
            m.username,
            m.destination,
            m.pool_id,
            m.subject,
            m.body
        );
    }
    Ok(())
}

async fn rotate_keys(args: DataArgs, pool: String) -> Result<(), String> {
    let (cognito, pool) = operator_services(args, Some(pool)).await?;
    let pool = pool.expect("a pool was named");
    let rotation = cognito
        .rotate_signing_keys(&pool)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "new signing keys for {pool}: {}",
        rotation.new_kids.join(", ")
    );
    if !rotation.retired_kids.is_empty() {
        println!(
            "removed keys superseded more than a day ago: {}",
            rotation.retired_kids.join(", ")
        );
    }
    println!(
        "running servers sign with the new keys within {} seconds",
        cognate_core::service::KEY_CACHE_LIFETIME.as_secs()
    );
    Ok(())
}

async fn audit(
    args: DataArgs,
    pool: Option<String>,
    limit: u32,
    before: Option<i64>,
    json: bool,
) -> Result<(), String> {
    let (cognito, pool) = operator_services(args, pool).await?;
    let records = cognito
        .audit_log(pool.as_ref(), limit, before)
        .await
        .map_err(|e| e.to_string())?;
    if records.is_empty() && !json {
        println!("The audit log has nothing to show.");
    }
    for r in records {
        let pool = r.pool_id.as_ref().map(PoolId::as_str).unwrap_or("-");
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "id": r.id, "at": format_time(r.at.epoch_secs()), "actor": r.actor,
                    "source": r.source, "action": r.action, "pool": pool, "target": r.target,
                    "details": r.details,
                })
            );
        } else {
            println!(
                "#{} {} {} from {} {} {} in {} {}",
                r.id,
                format_time(r.at.epoch_secs()),
                r.actor,
                r.source,
                r.action,
                r.target,
                pool,
                r.details
            );
        }
    }
    Ok(())
}

fn format_time(epoch_secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch_secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| epoch_secs.to_string())
}

/// Runs a project command in the current directory.
async fn in_project<F, Fut>(command: F) -> Result<(), String>
where
    F: FnOnce(std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<(), project::ProjectError>>,
{
    let dir = std::env::current_dir().map_err(|e| e.to_string())?;
    command(dir).await.map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() {
    let args = match project::commands::normalize(std::env::args().collect()) {
        Ok(args) => args,
        Err(sentence) => {
            eprintln!("{sentence}");
            std::process::exit(2);
        }
    };
    let cli = Cli::parse_from(args);
    logging::init();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Outbox {
            server,
            pool,
            limit,
        } => outbox(server, pool, limit).await,
        Command::RotateKeys { server, pool } => rotate_keys(server, pool).await,
        Command::Audit {
            server,
            pool,
            limit,
            before,
            json,
        } => audit(server, pool, limit, before, json).await,
        Command::Policy(PolicyCommand::Explain { server, request }) => {
            match operator_services(server, None).await {
                Ok((cognito, _)) => explain::explain(&cognito, &request)
                    .await
                    .map(|text| print!("{text}")),
                Err(e) => Err(e),
            }
        }
        Command::Init(args) => {
            in_project(|dir| async move { project::init(&dir, args).await }).await
        }
        Command::Add(AddCommand::Auth(args)) => {
            in_project(|dir| async move { project::add_auth(&dir, args) }).await
        }
        Command::Update(UpdateCommand::Auth(args)) => {
            in_project(|dir| async move { project::update_auth(&dir, args) }).await
        }
        Command::Add(AddCommand::Storage(args)) => {
            in_project(|dir| async move { project::add_storage(&dir, args) }).await
        }
        Command::Update(UpdateCommand::Storage(args)) => {
            in_project(|dir| async move { project::update_storage(&dir, args) }).await
        }
        Command::Remove(RemoveCommand::Storage(args)) => {
            in_project(|dir| async move { project::remove_storage(&dir, args) }).await
        }
        Command::Add(AddCommand::Api(args)) => {
            in_project(|dir| async move { project::add_api(&dir, args) }).await
        }
        Command::Update(UpdateCommand::Api(args)) => {
            in_project(|dir| async move { project::update_api(&dir, args) }).await
        }
        Command::Remove(RemoveCommand::Api(args)) => {
            in_project(|dir| async move { project::remove_api(&dir, args) }).await
        }
        Command::Status => in_project(|dir| async move { project::status(&dir) }).await,
        Command::Push(args) => {
            in_project(|dir| async move { project::push(&dir, args).await }).await
        }
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

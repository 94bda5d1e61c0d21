//! The cognate server: configuration, start-up, and the HTTP adapters on one axum router.

pub mod config;
pub mod data_dir;
pub mod smtp;

mod admin_queries;
mod authorize;
mod aws_json;
mod aws_query;
mod forwarded;
mod limits;
mod listener;
mod rate_limit;
mod render;
mod rest_gateway;
mod s3;
mod sigv4;
mod tls;
mod well_known;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderName, Request};
use axum::routing::{any, get, post};
use axum::Router;
use cognate_core::credentials::{CredentialSource, RootCredentials};
use cognate_core::service::{Cognito, Keys, ServiceConfig, Storage};
use cognate_store::SqlStore;
use tokio::sync::oneshot;
use tower_http::cors::{AllowHeaders, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use aws_json::PUBLIC as UNSIGNED_OPERATIONS;
pub use aws_json::UNSIGNED_IDENTITY_OPERATIONS;
pub use config::{Config, DataArgs, ServeArgs};

/// Requests larger than this are refused before they are read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    /// Shared, not copied: the state is cloned for every request.
    pub cognito: Arc<Cognito>,
    pub credentials: Arc<dyn CredentialSource>,
    pub rate_limits: Arc<rate_limit::RateLimits>,
    /// How many proxies in front of the server append to X-Forwarded-For; 0: the peer is the
    /// client.
    pub trusted_proxies: u32,
    /// How long a REST API's upstream has to begin its answer.
    pub upstream_timeout: Duration,
}

/// The caller's address: the peer, or behind `trusted_proxies` proxies the X-Forwarded-For
/// entry the outermost of them added. Entries further left came from the client, which can
/// write anything there, so they are never read.
pub(crate) fn client_address(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    forwarded::client(state.trusted_proxies, peer, headers)
}

/// Which surface a request is for, before cognate's routes see it.
struct Surfaces {
    s3: s3::S3Surface,
    /// `.execute-api.<domain>`: hosts that name a REST API.
    api_host_suffix: String,
}

/// Host-based REST API calls are taken to their path-based route; storage requests go to the
/// S3 surface before cognate's routes, its request timeout and its body limit: objects stream
/// in and out for as long as they take.
async fn dispatch(
    axum::extract::State(surfaces): axum::extract::State<Arc<Surfaces>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // HTTP/2 carries the host as `:authority`, which clients sign as `host`: every verifier
    // and the virtual-hosted buckets read it from the Host header.
    if !request.headers().contains_key(axum::http::header::HOST) {
        let authority = request.uri().authority().map(|a| a.as_str().to_owned());
        if let Some(value) = authority.and_then(|a| axum::http::HeaderValue::from_str(&a).ok()) {
            request
                .headers_mut()
                .insert(axum::http::header::HOST, value);
        }
    }
    if rest_gateway::take_hosted(&mut request, &surfaces.api_host_suffix) {
        return next.run(request).await;
    }
    if surfaces.s3.claims(&request) {
        surfaces.s3.handle(request).await
    } else {
        next.run(request).await
    }
}

fn router(
    state: AppState,
    surfaces: Surfaces,
    request_timeout: Duration,
    max_concurrent_requests: u32,
) -> Router {
    let request_id = HeaderName::from_static("x-amzn-requestid");
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        // Mirrored, not `*`: a wildcard does not cover Authorization in browsers.
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            request_id.clone(),
            HeaderName::from_static("x-amzn-errortype"),
        ])
        .max_age(Duration::from_secs(600));
    let aws = Router::new()
        .route("/", post(post_root))
        .route("/healthz", get(|| async { "ok" }))
        .route("/{pool}/.well-known/jwks.json", get(well_known::jwks))
        .route(
            "/{pool}/.well-known/openid-configuration",
            get(well_known::openid_configuration),
        )
        .layer(cors);
    // Admin Queries answers CORS itself, API Gateway's way, on every response and preflight.
    let admin_queries = Router::new().route(
        "/adminqueries/{api}/{stage}/{route}",
        any(admin_queries::handle),
    );
    // The REST gateway takes API Gateway's body limit, and its own upstream timeout (29 s).
    let rest_gateway = Router::new()
        .route(
            "/restapis/{api}/.well-known/jwks.json",
            get(rest_gateway::jwks),
        )
        .route("/restapis/{api}/{stage}", any(rest_gateway::handle_root))
        .route("/restapis/{api}/{stage}/{*path}", any(rest_gateway::handle))
        .layer(DefaultBodyLimit::max(rest_gateway::MAX_BODY_BYTES));
    let routes = aws
        .merge(admin_queries)
        .merge(rest_gateway)
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            limits::InFlight::new(max_concurrent_requests),
            limits::enforce,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ));
    // `dispatch` may rewrite a request's path, so it runs before the routes are matched: a
    // router's own layers run after.
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(surfaces),
            dispatch,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get("x-amzn-requestid")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            let target = request.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path(), target)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// `POST /` carries two dialects: AWS JSON 1.1 (`X-Amz-Target`) and the Query protocol
/// (form-encoded `Action=`, IAM and STS).
async fn post_root(
    state: axum::extract::State<AppState>,
    peer: axum::extract::ConnectInfo<SocketAddr>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    transport: Option<axum::Extension<listener::Transport>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let secure = transport.is_some_and(|t| t.secure);
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form && !headers.contains_key("x-amz-target") {
        aws_query::handle(state, peer, method, uri, secure, headers, body).await
    } else {
        aws_json::handle(state, peer, method, uri, secure, headers, body).await
    }
}

/// The names the development certificate is for: the loopback names, the listener's own
/// address, and the public URL's host (buckets get theirs as they are asked for).
fn certificate_names(public_url: &str, https: SocketAddr) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let mut add = |name: String| {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    };
    if !https.ip().is_unspecified() {
        add(https.ip().to_string());
    }
    if let Some(host) = public_url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
    {
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or("").to_owned(),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h).to_owned(),
        };
        add(host);
    }
    names
}

/// A started server.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The HTTPS listener's address, if there is one.
    pub https_addr: Option<SocketAddr>,
    /// The development CA that signs the HTTPS certificate (none with the operator's own).
    pub ca_file: Option<PathBuf>,
    pub public_url: String,
    /// Where the generated root credentials are, when they live in a file.
    pub credentials_file: Option<PathBuf>,
    pub root_access_key_id: String,
    pub root_secret_access_key: String,
    services: Cognito,
    storage: Storage,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The services behind the server, for operator tooling in the same process (and tests).
    pub fn services(&self) -> &Cognito {
        &self.services
    }

    /// The storage service behind the S3 API, for operator tooling in the same process (and
    /// tests).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops (after a shutdown signal).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// The services over the configured data directory and database, for the server and for
/// operator commands that read the store directly.
pub async fn open_services(config: &Config, public_url: &str) -> Result<Cognito, String> {
    data_dir::ensure_dir(&config.data_dir)?;
    let secrets = data_dir::master_key(&config.data_dir, config.master_key.as_deref())?;
    let database_url = match &config.database_url {
        Some(url) => url.clone(),
        None => {
            let database = config.data_dir.join("cognate.db");
            data_dir::private_database_files(&database)?;
            format!("sqlite://{}?mode=rwc", database.display())
        }
    };
    let store = SqlStore::connect(&database_url).await.map_err(|e| {
        format!(
            "cannot open the database {}: {e}",
            cognate_store::redact(&database_url)
        )
    })?;
    let cognito = Cognito::new(
        Arc::new(store),
        secrets,
        ServiceConfig {
            public_url: public_url.to_owned(),
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            storage_endpoint: None,
        },
    );
    let key_matches = cognito
        .master_key_matches()
        .await
        .map_err(|e| format!("cannot check the master key against the database: {e}"))?;
    if !key_matches {
        return Err(format!(
            "the database {} holds secrets sealed with another master key than this server's ({}); \
             servers sharing a database must share the key: set COGNATE_MASTER_KEY to the key of the server that created it",
            cognate_store::redact(&database_url),
            match &config.master_key {
                Some(_) => "COGNATE_MASTER_KEY".to_owned(),
                None => config.data_dir.join(data_dir::MASTER_KEY_FILE).display().to_string(),
            }
        ));
    }
    Ok(match &config.smtp_url {
        Some(url) => cognito.with_sender(Arc::new(smtp::SmtpSender::new(url, &config.smtp_from)?)),
        None => cognito,
    })
}

/// Opens the data directory and the store, binds the listener and starts serving.
/// `stop` ends the server gracefully when it resolves.
pub async fn start(
    config: Config,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunningServer, String> {
    data_dir::ensure_dir(&config.data_dir)?;
    let ((access_key_id, secret_access_key), credentials_file) =
        data_dir::root_credentials(&config.data_dir, config.root_credentials.clone())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    if config.database_url.is_some() && config.public_url.is_none() {
        tracing::warn!(
            public_url = %public_url,
            "a shared database with the default --public-url: tokens name this server's own address as their issuer, \
             so tokens minted here fail on the other servers (\"Invalid Access Token\"); set --public-url to the address clients use"
        );
    }
    let s3_domain = config
        .s3_domain
        .clone()
        .unwrap_or_else(|| s3::default_domain(&public_url));
    let https = match config.https_listen {
        None => None,
        Some(address) => {
            let https_listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
                format!("cannot listen for HTTPS on {address}: {e} (--https-listen off for none)")
            })?;
            let bound = https_listener.local_addr().map_err(|e| e.to_string())?;
            let tls = tls::load(
                &config.data_dir,
                config
                    .tls_files
                    .as_ref()
                    .map(|(c, k)| (c.as_path(), k.as_path())),
                &certificate_names(&public_url, bound),
                &s3_domain,
            )?;
            Some((https_listener, bound, tls))
        }
    };
    let services = open_services(&config, &public_url).await?;
    // Where aws-amplify's Storage reaches the buckets: `customEndpoint` is a host and port on
    // https, buckets virtual-hosted under it.
    let services = match https.as_ref() {
        Some((_, bound, _)) => {
            services.with_storage_endpoint(format!("{s3_domain}:{}", bound.port()))
        }
        None => services,
    };
    let state = AppState {
        cognito: Arc::new(services.clone()),
        credentials: Arc::new(Keys::new(
            RootCredentials::new(&access_key_id, &secret_access_key),
            services.clone(),
        )),
        rate_limits: Arc::new(rate_limit::RateLimits::new(
            config.rate_limit_per_ip,
            config.rate_limit_per_user,
        )),
        trusted_proxies: config.trusted_proxies,
        upstream_timeout: config.rest_upstream_timeout,
    };
    let limits = state.rate_limits.clone();
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            limits.forget_idle();
        }
    });
    let connection_limits = listener::ConnectionLimits {
        header_timeout: config.header_timeout,
        // Behind proxies every connection comes from one of them: only the peer's own
        // connections could be counted, and those are the proxy's.
        per_address: if config.trusted_proxies == 0 {
            config.max_connections_per_address
        } else {
            0
        },
    };
    let https_addr = https.as_ref().map(|(_, bound, _)| *bound);
    let ca_file = https.as_ref().and_then(|(_, _, tls)| tls.ca_file.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let blobs = match &config.blob_store {
        Some(location) if location.contains("://") => cognate_store::Blobs::from_url(location),
        Some(dir) => cognate_store::Blobs::local(std::path::Path::new(dir)),
        None => cognate_store::Blobs::local(&config.data_dir.join("blobs")),
    }
    .map_err(|e| format!("cannot open the blob store: {}", e.message()))?;
    tracing::info!(blobs = blobs.describe(), "storage blobs");
    let storage = Storage::new(services.clone(), Arc::new(blobs), config.max_object_size);
    let collector = storage.clone();
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            match collector
                .collect_orphans(cognate_core::service::ORPHAN_AGE)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(blobs = n, "collected orphaned blobs"),
                Err(e) => tracing::warn!(error = %e, "could not collect orphaned blobs"),
            }
        }
    });
    let surfaces = Surfaces {
        api_host_suffix: format!(".execute-api.{s3_domain}"),
        s3: s3::S3Surface::new(
            state.clone(),
            storage.clone(),
            s3_domain,
            config.s3_default_bucket.clone(),
        ),
    };
    let app = router(
        state,
        surfaces,
        config.request_timeout,
        config.max_concurrent_requests,
    );
    // One stop for both listeners.
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = rx => {},
            _ = stop => {},
        }
        let _ = stopping.send(true);
    });
    let signal = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let https_task = https.map(|(https_listener, _, tls)| {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config);
        tokio::spawn(listener::serve(
            https_listener,
            app.clone(),
            connection_limits,
            Some(acceptor),
            signal(),
        ))
    });
    let http_task = tokio::spawn(listener::serve(
        listener,
        app,
        connection_limits,
        None,
        signal(),
    ));
    let task = tokio::spawn(async move {
        let _ = http_task.await;
        if let Some(https_task) = https_task {
            let _ = https_task.await;
        }
    });
    Ok(RunningServer {
        addr,
        https_addr,
        ca_file,
        public_url,
        credentials_file,
        root_access_key_id: access_key_id,
        root_secret_access_key: secret_access_key,
        services,
        storage,
        shutdown: Some(tx),
        task,
    })
}

//! Server configuration: flags > `COGNATE_*` environment > optional `cognate.toml` > defaults.
//! Unknown keys in the file are errors, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9230";
pub const DEFAULT_DATA_DIR: &str = "cognate-data";
pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// `cognate serve` flags. Each has an environment variable; both override the file.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:9230]
    #[arg(long, env = "COGNATE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Address and port of the HTTPS listener, which serves everything the HTTP one does;
    /// `off` for none [default: the --listen address, port + 1]
    #[arg(long, env = "COGNATE_HTTPS_LISTEN")]
    pub https_listen: Option<String>,
    /// The HTTPS listener's certificate chain (PEM) [default: one from a development CA in the data directory]
    #[arg(long, env = "COGNATE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert
    #[arg(long, env = "COGNATE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Directory for the SQLite database, the master key and the root credentials [default: ./cognate-data]
    #[arg(long, env = "COGNATE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database to use instead of the embedded SQLite, e.g. postgres://user@host/db
    #[arg(long, env = "COGNATE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The URL clients reach this server at; token issuers are {public_url}/{pool_id} [default: http://{listen}]
    #[arg(long, env = "COGNATE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Region used in pool ids and ARNs [default: us-east-1]
    #[arg(long, env = "COGNATE_REGION")]
    pub region: Option<String>,
    /// Account id used in ARNs [default: 000000000000]
    #[arg(long, env = "COGNATE_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Also send email messages (codes, temporary passwords) through this SMTP server, e.g.
    /// smtp://user:pass@mail.example.com:587?tls=required; they always go to the outbox too
    #[arg(long, env = "COGNATE_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender address for SMTP [default: cognate <no-reply@localhost>]
    #[arg(long, env = "COGNATE_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// Unauthenticated calls (sign-up, sign-in, codes) per second from one client address; 0: no limit [default: 100]
    #[arg(long, env = "COGNATE_RATE_LIMIT_PER_IP")]
    pub rate_limit_per_ip: Option<u32>,
    /// Unauthenticated calls per second naming one user of one app client; 0: no limit [default: 20]
    #[arg(long, env = "COGNATE_RATE_LIMIT_PER_USER")]
    pub rate_limit_per_user: Option<u32>,
    /// Seconds a request may take, its body included, before it is answered 408 [default: 30]
    #[arg(long, env = "COGNATE_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Seconds a client may take to send a request's headers, and a keep-alive connection may
    /// stay idle, before the connection is closed [default: 10]
    #[arg(long, env = "COGNATE_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Connections one client address may hold open at once; 0: no limit [default: 64]
    #[arg(long, env = "COGNATE_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<u32>,
    /// Requests handled at once; more are refused with TooManyRequestsException until one
    /// finishes [default: 512]
    #[arg(long, env = "COGNATE_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<u32>,
    /// How many proxies (load balancers, reverse proxies) stand in front of the server and append
    /// to X-Forwarded-For; the client address is the entry the outermost of them added. 0: the
    /// peer is the client [default: 0]
    #[arg(long, env = "COGNATE_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<u32>,
    /// The same as --trusted-proxies 1
    #[arg(long, env = "COGNATE_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Storage's virtual-hosted domain: `<bucket>.<domain>` addresses a bucket
    /// [default: the host of --public-url, e.g. localhost]
    #[arg(long, env = "COGNATE_S3_DOMAIN")]
    pub s3_domain: Option<String>,
    /// The bucket a path-style `POST /?delete` without a bucket means (aws-amplify sends
    /// DeleteObjects so for a bucket with a dot in its name) [default: none; such a request is
    /// refused]
    #[arg(long, env = "COGNATE_S3_DEFAULT_BUCKET")]
    pub s3_default_bucket: Option<String>,
    /// Where objects' bytes live: a directory, or an object store URL (s3://bucket/prefix
    /// with AWS_ENDPOINT etc. for MinIO, Ceph, Garage; gs://; az://) [default: <data-dir>/blobs]
    #[arg(long, env = "COGNATE_BLOB_STORE")]
    pub blob_store: Option<String>,
    /// The largest object, in bytes, a PUT or a completed multipart upload may make
    /// [default: 5497558138880 (5 TiB, S3's)]
    #[arg(long, env = "COGNATE_MAX_OBJECT_SIZE")]
    pub max_object_size: Option<u64>,
    /// Configuration file [default: ./cognate.toml if it exists]
    #[arg(long, env = "COGNATE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The flags of the operator's commands (`outbox`, `audit`, `rotate-keys`): where the server's
/// data is, nothing about serving it.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DataArgs {
    /// The server's data directory [default: ./cognate-data]
    #[arg(long, env = "COGNATE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The server's database, when it is not the embedded SQLite, e.g. postgres://user@host/db
    #[arg(long, env = "COGNATE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Configuration file [default: ./cognate.toml if it exists]
    #[arg(long, env = "COGNATE_CONFIG")]
    pub config: Option<PathBuf>,
}

impl DataArgs {
    pub fn resolve(self) -> Result<Config, String> {
        ServeArgs {
            data_dir: self.data_dir,
            database_url: self.database_url,
            config: self.config,
            ..ServeArgs::default()
        }
        .resolve()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    https_listen: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    region: Option<String>,
    account_id: Option<String>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    rate_limit_per_ip: Option<u32>,
    rate_limit_per_user: Option<u32>,
    trust_forwarded_for: Option<bool>,
    trusted_proxies: Option<u32>,
    request_timeout: Option<u64>,
    max_concurrent_requests: Option<u32>,
    header_timeout: Option<u64>,
    max_connections_per_address: Option<u32>,
    s3_domain: Option<String>,
    s3_default_bucket: Option<String>,
    blob_store: Option<String>,
    max_object_size: Option<u64>,
}

/// S3's own limit on an object's size.
pub const DEFAULT_MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;

pub const DEFAULT_RATE_LIMIT_PER_IP: u32 = 100;
pub const DEFAULT_RATE_LIMIT_PER_USER: u32 = 20;
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 512;
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: u32 = 64;

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// None: no HTTPS listener.
    pub https_listen: Option<SocketAddr>,
    /// The operator's certificate chain and key; None: the development CA's.
    pub tls_files: Option<(PathBuf, PathBuf)>,
    pub data_dir: PathBuf,
    /// None: SQLite in the data directory.
    pub database_url: Option<String>,
    /// None: `http://{the bound address}`.
    pub public_url: Option<String>,
    pub region: String,
    pub account_id: String,
    /// Root credentials from `COGNATE_ROOT_ACCESS_KEY_ID` / `COGNATE_ROOT_SECRET_ACCESS_KEY`;
    /// when absent, they are generated into the data directory on first start.
    pub root_credentials: Option<(String, String)>,
    /// Base64 of 32 bytes from `COGNATE_MASTER_KEY`; when absent, `{data_dir}/master.key`.
    pub master_key: Option<String>,
    /// SMTP server for email messages; none: the outbox only.
    pub smtp_url: Option<String>,
    pub smtp_from: String,
    /// Unauthenticated calls per second per client address and per named user; 0: off.
    pub rate_limit_per_ip: u32,
    pub rate_limit_per_user: u32,
    /// Proxies in front that append to X-Forwarded-For; 0: the peer is the client.
    pub trusted_proxies: u32,
    /// A slow request (a stalled body, say) is cut off after this long.
    pub request_timeout: std::time::Duration,
    pub max_concurrent_requests: u32,
    /// Slow headers and idle keep-alive connections are cut off after this long.
    pub header_timeout: std::time::Duration,
    /// Open connections per client address; 0: no limit.
    pub max_connections_per_address: u32,
    /// None: the public URL's host.
    pub s3_domain: Option<String>,
    /// What a path-style `POST /?delete` without a bucket means.
    pub s3_default_bucket: Option<cognate_core::storage::BucketName>,
    /// None: `{data_dir}/blobs`.
    pub blob_store: Option<String>,
    pub max_object_size: u64,
    /// How long a REST API's upstream has to begin its answer: API Gateway's 29 s (tests
    /// shorten it).
    pub rest_upstream_timeout: std::time::Duration,
}

pub const DEFAULT_SMTP_FROM: &str = "cognate <no-reply@localhost>";

impl Config {
    /// Defaults for a server whose data lives in `data_dir`, listening on an ephemeral port
    /// (tests use this).
    pub fn ephemeral(data_dir: &Path) -> Self {
        Config {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            https_listen: Some("127.0.0.1:0".parse().expect("valid address")),
            tls_files: None,
            data_dir: data_dir.to_path_buf(),
            database_url: None,
            public_url: None,
            region: DEFAULT_REGION.into(),
            account_id: DEFAULT_ACCOUNT_ID.into(),
            root_credentials: None,
            master_key: None,
            smtp_url: None,
            smtp_from: DEFAULT_SMTP_FROM.into(),
            rate_limit_per_ip: DEFAULT_RATE_LIMIT_PER_IP,
            rate_limit_per_user: DEFAULT_RATE_LIMIT_PER_USER,
            trusted_proxies: 0,
            request_timeout: std::time::Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            header_timeout: std::time::Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            s3_domain: None,
            s3_default_bucket: None,
            blob_store: None,
            max_object_size: DEFAULT_MAX_OBJECT_SIZE,
            rest_upstream_timeout: crate::rest_gateway::UPSTREAM_TIMEOUT,
        }
    }
}

impl ServeArgs {
    pub fn resolve(self) -> Result<Config, String> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None if Path::new("cognate.toml").exists() => read_file(Path::new("cognate.toml"))?,
            None => FileConfig::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let root_credentials = match (env("COGNATE_ROOT_ACCESS_KEY_ID"), env("COGNATE_ROOT_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => return Err("set both COGNATE_ROOT_ACCESS_KEY_ID and COGNATE_ROOT_SECRET_ACCESS_KEY, or neither".into()),
        };
        let region = self
            .region
            .or(file.region)
            .unwrap_or_else(|| DEFAULT_REGION.into());
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!(
                "region must be letters, digits and dashes, like us-east-1: {region:?}"
            ));
        }
        let account_id = self
            .account_id
            .or(file.account_id)
            .unwrap_or_else(|| DEFAULT_ACCOUNT_ID.into());
        if account_id.len() != 12 || !account_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("account id must be 12 digits: {account_id:?}"));
        }
        let listen = self
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default"));
        let https_listen = match self.https_listen.or(file.https_listen).as_deref() {
            Some("off") => None,
            Some(address) => Some(address.parse::<SocketAddr>().map_err(|_| {
                format!("--https-listen must be an address and port such as 127.0.0.1:9231, or off: {address:?}")
            })?),
            // Port 0 (tests) stays 0: the system picks a free one.
            None => Some(SocketAddr::new(
                listen.ip(),
                if listen.port() == 0 { 0 } else { listen.port().saturating_add(1) },
            )),
        };
        let tls_files = match (
            self.tls_cert.or(file.tls_cert),
            self.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err("give both tls_cert and tls_key, or neither".into()),
        };
        Ok(Config {
            listen,
            https_listen,
            tls_files,
            data_dir: self
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
            database_url: self.database_url.or(file.database_url),
            public_url: self
                .public_url
                .or(file.public_url)
                .map(|u| u.trim_end_matches('/').to_owned()),
            region,
            account_id,
            root_credentials,
            master_key: env("COGNATE_MASTER_KEY"),
            smtp_url: self.smtp_url.or(file.smtp_url),
            smtp_from: self
                .smtp_from
                .or(file.smtp_from)
                .unwrap_or_else(|| DEFAULT_SMTP_FROM.into()),
            rate_limit_per_ip: self
                .rate_limit_per_ip
                .or(file.rate_limit_per_ip)
                .unwrap_or(DEFAULT_RATE_LIMIT_PER_IP),
            rate_limit_per_user: self
                .rate_limit_per_user
                .or(file.rate_limit_per_user)
                .unwrap_or(DEFAULT_RATE_LIMIT_PER_USER),
            trusted_proxies: self
                .trusted_proxies
                .or(file.trusted_proxies)
                .unwrap_or(u32::from(
                    self.trust_forwarded_for || file.trust_forwarded_for.unwrap_or(false),
                )),
            request_timeout: std::time::Duration::from_secs(
                self.request_timeout
                    .or(file.request_timeout)
                    .unwrap_or(DEFAULT_REQUEST_TIMEOUT_SECS)
                    .max(1),
            ),
            max_concurrent_requests: self
                .max_concurrent_requests
                .or(file.max_concurrent_requests)
                .unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS)
                .max(1),
            header_timeout: std::time::Duration::from_secs(
                self.header_timeout
                    .or(file.header_timeout)
                    .unwrap_or(DEFAULT_HEADER_TIMEOUT_SECS)
                    .max(1),
            ),
            max_connections_per_address: self
                .max_connections_per_address
                .or(file.max_connections_per_address)
                .unwrap_or(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
            s3_domain: self
                .s3_domain
                .or(file.s3_domain)
                .map(|d| d.trim_matches('.').to_ascii_lowercase()),
            s3_default_bucket: self
                .s3_default_bucket
                .or(file.s3_default_bucket)
                .map(|name| {
                    cognate_core::storage::BucketName::parse(&name)
                        .map_err(|e| format!("--s3-default-bucket {name:?}: {}", e.message()))
                })
                .transpose()?,
            blob_store: self.blob_store.or(file.blob_store),
            max_object_size: self
                .max_object_size
                .or(file.max_object_size)
                .unwrap_or(DEFAULT_MAX_OBJECT_SIZE),
            rest_upstream_timeout: crate::rest_gateway::UPSTREAM_TIMEOUT,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let err =
            toml::from_str::<FileConfig>("listen = \"127.0.0.1:1\"\nlisten_port = 3").unwrap_err();
        assert!(
            err.to_string().contains("unknown field `listen_port`"),
            "{err}"
        );
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cognate.toml");
        std::fs::write(
            &path,
            "region = \"eu-west-1\"\naccount_id = \"123456789012\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            region: Some("ap-south-1".into()),
            ..Default::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.region, "ap-south-1");
        assert_eq!(config.account_id, "123456789012");
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    }

    #[test]
    fn a_malformed_account_id_is_rejected() {
        let args = ServeArgs {
            account_id: Some("12".into()),
            ..Default::default()
        };
        assert!(args.resolve().unwrap_err().contains("12 digits"));
    }
}

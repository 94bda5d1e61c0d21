//! The HTTPS listener's certificate: the operator's (`--tls-cert`, `--tls-key`, PEM), or one
//! issued at every start by a development CA that cognate makes once in the data directory
//! (`tls/ca.pem`, its key `tls/ca-key.pem` readable by the owner only). Trusting `ca.pem` once
//! (browser, `NODE_EXTRA_CA_CERTS`) makes every later certificate trusted, as mkcert does.
//! aws-amplify's Storage client and GraphQL subscriptions only speak TLS to a custom endpoint.
//! Virtual-hosted buckets (`<bucket>.<s3-domain>`) get a certificate for their own name from the
//! development CA when a client first asks for it: clients refuse `*.localhost` (a wildcard over
//! a single label), and a bucket made after the start must be reachable too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::data_dir;

/// The CA's subject: fixed, so that the CA rebuilt from its stored key at a later start names
/// itself as the certificates it issued before name their issuer.
const CA_NAME: &str = "cognate development CA";

/// What the HTTPS listener serves with, and where the development CA is (none with the
/// operator's certificate).
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    pub ca_file: Option<PathBuf>,
}

/// The operator's certificate and key, or a development certificate for `names` (host names
/// and IP addresses).
pub fn load(
    data_dir: &Path,
    operator: Option<(&Path, &Path)>,
    names: &[String],
    s3_domain: &str,
) -> Result<Tls, String> {
    let builder = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_no_client_auth();
    let (mut config, ca_file) = match operator {
        Some(files) => {
            let (chain, key) = operator_certificate(files)?;
            let config = builder
                .with_single_cert(chain, key)
                .map_err(|e| format!("the certificate and key do not make a TLS identity: {e}"))?;
            (config, None)
        }
        None => {
            let (ca, ca_file) = DevelopmentCa::open(data_dir)?;
            let default = ca.certified(names)?;
            let resolver = BucketCertificates {
                ca,
                suffix: format!(".{s3_domain}"),
                default,
                issued: Mutex::new(HashMap::new()),
            };
            (
                builder.with_cert_resolver(Arc::new(resolver)),
                Some(ca_file),
            )
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        ca_file,
    })
}

/// The operator's certificate chain and key.
fn operator_certificate(
    (cert, key): (&Path, &Path),
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the private key {}: {e}", key.display()))?;
    Ok((chain, key))
}

fn ca_params() -> Result<CertificateParams, String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Ten years: the CA is trusted once and then forgotten about.
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650);
    Ok(params)
}

/// The development CA: its certificate and key, to sign the listener's certificates.
struct DevelopmentCa {
    certificate: rcgen::Certificate,
    key: KeyPair,
}

fn rcgen_error(e: rcgen::Error) -> String {
    format!("development CA: {e}")
}

impl DevelopmentCa {
    /// The CA of the data directory, made on first use; and where its certificate is.
    fn open(data_dir: &Path) -> Result<(DevelopmentCa, PathBuf), String> {
        let dir = data_dir.join("tls");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let (ca_file, ca_key_file) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
        let key = match std::fs::read_to_string(&ca_key_file) {
            Ok(pem) => KeyPair::from_pem(&pem).map_err(rcgen_error)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = KeyPair::generate().map_err(rcgen_error)?;
                data_dir::write_private(&ca_key_file, key.serialize_pem().as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", ca_key_file.display()))?;
                let ca = ca_params()?.self_signed(&key).map_err(rcgen_error)?;
                std::fs::write(&ca_file, ca.pem())
                    .map_err(|e| format!("cannot write {}: {e}", ca_file.display()))?;
                tracing::info!(ca = %ca_file.display(), "made a development CA for the HTTPS listener");
                key
            }
            Err(e) => return Err(format!("cannot read {}: {e}", ca_key_file.display())),
        };
        let certificate = ca_params()?.self_signed(&key).map_err(rcgen_error)?;
        Ok((DevelopmentCa { certificate, key }, ca_file))
    }

    /// A fresh certificate for `names` (host names and IP addresses), ready to serve.
    fn certified(&self, names: &[String]) -> Result<Arc<CertifiedKey>, String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "cognate");
        params.subject_alt_names = names
            .iter()
            .map(|name| match name.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => name
                    .clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(rcgen_error),
            })
            .collect::<Result<_, _>>()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        // Under the 398 days browsers accept; a new one is made at every start anyway.
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(365);
        let key = KeyPair::generate().map_err(rcgen_error)?;
        let cert = params
            .signed_by(&key, &self.certificate, &self.key)
            .map_err(rcgen_error)?;
        let key = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| format!("development certificate key: {e}"))?;
        let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key)
            .map_err(|e| format!("development certificate key: {e}"))?;
        // The leaf alone: clients hold the CA itself (`ca.pem`).
        Ok(Arc::new(CertifiedKey::new(
            vec![cert.der().clone()],
            signing,
        )))
    }
}

/// Enough for every bucket of a development machine; past it the cache starts over.
const ISSUED_CAPACITY: usize = 1024;

/// The listener's certificate, and for a virtual-hosted bucket's name one of its own.
struct BucketCertificates {
    ca: DevelopmentCa,
    /// `.<s3-domain>`.
    suffix: String,
    default: Arc<CertifiedKey>,
    issued: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for BucketCertificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketCertificates")
            .field("suffix", &self.suffix)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for BucketCertificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(name) = hello.server_name().map(str::to_ascii_lowercase) else {
            return Some(self.default.clone());
        };
        let is_bucket = name
            .strip_suffix(&self.suffix)
            .is_some_and(|bucket| cognate_core::storage::BucketName::parse(bucket).is_ok());
        if !is_bucket {
            return Some(self.default.clone());
        }
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(certified) = issued.get(&name) {
            return Some(certified.clone());
        }
        match self.ca.certified(std::slice::from_ref(&name)) {
            Ok(certified) => {
                if issued.len() >= ISSUED_CAPACITY {
                    issued.clear();
                }
                issued.insert(name, certified.clone());
                Some(certified)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not issue a bucket's certificate");
                Some(self.default.clone())
            }
        }
    }
}

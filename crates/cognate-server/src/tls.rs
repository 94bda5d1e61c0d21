//! The HTTPS listener's certificate: the operator's (`--tls-cert`, `--tls-key`, PEM), or one
//! issued at every start by a development CA that cognate makes once in the data directory
//! (`tls/ca.pem`, its key `tls/ca-key.pem` readable by the owner only). Trusting `ca.pem` once
//! (browser, `NODE_EXTRA_CA_CERTS`) makes every later certificate trusted, as mkcert does.
//! aws-amplify's Storage client and GraphQL subscriptions only speak TLS to a custom endpoint.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

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
) -> Result<Tls, String> {
    let (chain, key, ca_file) = match operator {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?;
            if chain.is_empty() {
                return Err(format!("{} holds no certificate", cert.display()));
            }
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("cannot read the private key {}: {e}", key.display()))?;
            (chain, key, None)
        }
        None => {
            let (chain, key, ca_file) = development_certificate(data_dir, names)?;
            (chain, key, Some(ca_file))
        }
    };
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("the certificate and key do not make a TLS identity: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        ca_file,
    })
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

/// The CA (made on first use) and a fresh certificate it signs for `names`.
fn development_certificate(
    data_dir: &Path,
    names: &[String],
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
        PathBuf,
    ),
    String,
> {
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (ca_file, ca_key_file) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
    let rcgen_error = |e: rcgen::Error| format!("development CA: {e}");
    let ca_key = match std::fs::read_to_string(&ca_key_file) {
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
    let ca = ca_params()?.self_signed(&ca_key).map_err(rcgen_error)?;
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
    let cert = params.signed_by(&key, &ca, &ca_key).map_err(rcgen_error)?;
    // The leaf alone: clients hold the CA itself (`ca.pem`).
    let chain = vec![cert.der().clone()];
    let key = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| format!("development certificate key: {e}"))?;
    Ok((chain, key, ca_file))
}

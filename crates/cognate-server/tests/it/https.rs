//! The HTTPS listener: every surface on it, a certificate from the development CA the data
//! directory keeps (the same CA across restarts), or the operator's own certificate.

use cognate_server::Config;

fn client_trusting(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).unwrap())
        .build()
        .unwrap()
}

/// An unsigned Cognito call over `url`: answered by the JSON dispatcher (the client does not exist).
async fn sign_up(http: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let answer = http
        .post(url)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
        .body(r#"{"ClientId":"nosuchclient","Username":"a","Password":"Passw0rd!"}"#)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test]
async fn https_serves_every_surface_with_a_certificate_from_the_kept_development_ca() {
    let data = tempfile::tempdir().unwrap();
    let server = cognate_server::start(Config::ephemeral(data.path()), std::future::pending())
        .await
        .unwrap();
    let https = server.https_addr.expect("an HTTPS listener");
    let ca_file = server.ca_file.clone().expect("the development CA");
    let ca = std::fs::read(&ca_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = ca_file.with_file_name("ca-key.pem");
        let mode = std::fs::metadata(key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the CA's key is the owner's only");
    }
    let http = client_trusting(&ca);
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{}/", https.port());
        let healthz = http.get(format!("{url}healthz")).send().await.unwrap();
        assert_eq!(healthz.text().await.unwrap(), "ok");
        let (status, body) = sign_up(&http, &url).await;
        assert_eq!(status, 400);
        assert_eq!(body["__type"], "ResourceNotFoundException");
    }
    // Without the CA, the certificate is not trusted.
    let plain = reqwest::Client::builder().build().unwrap();
    assert!(plain
        .get(format!("https://localhost:{}/healthz", https.port()))
        .send()
        .await
        .is_err());
    server.shutdown().await;

    // A restart issues a new certificate from the same CA: clients trusting it keep working.
    let again = cognate_server::start(Config::ephemeral(data.path()), std::future::pending())
        .await
        .unwrap();
    assert_eq!(std::fs::read(again.ca_file.clone().unwrap()).unwrap(), ca);
    let https = again.https_addr.unwrap();
    let healthz = http
        .get(format!("https://localhost:{}/healthz", https.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.text().await.unwrap(), "ok");
    again.shutdown().await;
}

#[tokio::test]
async fn the_operators_certificate_is_served_when_configured() {
    let data = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert =
        rcgen::CertificateParams::new(vec!["cognate.test".to_owned(), "localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
    let (cert_file, key_file) = (data.path().join("cert.pem"), data.path().join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let mut config = Config::ephemeral(data.path());
    config.tls_files = Some((cert_file, key_file));
    let server = cognate_server::start(config, std::future::pending())
        .await
        .unwrap();
    assert!(server.ca_file.is_none());
    assert!(
        !data.path().join("tls").exists(),
        "no development CA is made"
    );
    let http = client_trusting(cert.pem().as_bytes());
    let url = format!("https://localhost:{}/", server.https_addr.unwrap().port());
    let (status, body) = sign_up(&http, &url).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ResourceNotFoundException"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_https_listener_can_be_turned_off() {
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::ephemeral(data.path());
    config.https_listen = None;
    let server = cognate_server::start(config, std::future::pending())
        .await
        .unwrap();
    assert!(server.https_addr.is_none() && server.ca_file.is_none());
    server.shutdown().await;
}

/// `aws:SecureTransport` is true on the HTTPS listener only: a policy can require TLS.
#[tokio::test]
async fn a_policy_can_require_tls_through_aws_secure_transport() {
    use crate::support::{iam_client, TestServer};
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    iam.create_user()
        .user_name("tls-only")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("tls-only")
        .policy_name("tls")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cognito-idp:ListUserPools","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("tls-only")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let list = serde_json::json!({"MaxResults": 5});
    let plain = cognate_client::Client::new(t.url(), &key.access_key_id, &key.secret_access_key);
    let refused = plain.admin("ListUserPools", &list).await.unwrap_err();
    assert_eq!(refused.name(), Some("AccessDeniedException"));
    assert!(
        refused.to_string().ends_with("with an explicit deny"),
        "{refused}"
    );
    let ca = std::fs::read(t.server.ca_file.clone().unwrap()).unwrap();
    let https = format!("https://localhost:{}", t.server.https_addr.unwrap().port());
    let secure = cognate_client::Client::new(&https, &key.access_key_id, &key.secret_access_key)
        .with_http_client(client_trusting(&ca));
    secure.admin("ListUserPools", &list).await.unwrap();
}

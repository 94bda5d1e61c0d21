//! The Cognito JSON endpoints as a client reaches them, over HTTP: any unsigned user-pool or
//! identity-pool operation and any body gets an answer, never a 500 and never a panic (a panic
//! anywhere aborts the run).
//!
//! One server runs for the whole run, on SQLite in a temporary directory, with a pool, an app
//! client and an identity pool for guests; bodies that are JSON objects without a `ClientId`,
//! `UserPoolId` or `IdentityPoolId` get the real ones, so that the fuzzer reaches past "does not
//! exist".
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "server.rs"]
mod server;
use serde_json::{json, Value};

/// Beside the operations a caller may make without a signature, a few that need one (refused
/// early) and no operation at all.
const SIGNED: &[&str] = &["AdminCreateUser", "ListUsers", ""];

struct Target {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: String,
    pool: String,
    client: String,
    identity_pool: String,
    _data: tempfile::TempDir,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let data = tempfile::tempdir().expect("temp dir");
        let (runtime, server) = server::start(data.path());
        let (url, pool, client, identity_pool) = runtime.block_on(async {
            let services = server.services().clone();
            let pool = services
                .create_user_pool(cognate_core::service::PoolSettings {
                    name: Some("fuzz".into()),
                    ..Default::default()
                })
                .await
                .expect("pool");
            let client = services
                .create_user_pool_client(
                    &pool.id,
                    cognate_core::service::ClientSettings {
                        name: "fuzz".into(),
                        explicit_auth_flows: Some(vec![
                            "ALLOW_USER_PASSWORD_AUTH".into(),
                            "ALLOW_USER_SRP_AUTH".into(),
                            "ALLOW_REFRESH_TOKEN_AUTH".into(),
                        ]),
                        ..Default::default()
                    },
                )
                .await
                .expect("client");
            let identity_pool = services
                .create_identity_pool(cognate_core::identity::IdentityPool {
                    id: cognate_core::identity::IdentityPoolId::generate("unassigned"),
                    name: "fuzz".into(),
                    allow_unauthenticated: true,
                    allow_classic_flow: true,
                    cognito_providers: vec![cognate_core::identity::CognitoProvider {
                        provider_name: format!("cognito-idp.us-east-1.amazonaws.com/{}", pool.id),
                        client_id: client.id.to_string(),
                        server_side_token_check: true,
                    }],
                    supported_login_providers: Default::default(),
                    developer_provider_name: None,
                    open_id_connect_provider_arns: vec![],
                    saml_provider_arns: vec![],
                    tags: Default::default(),
                    roles: Default::default(),
                    role_mappings: Default::default(),
                    created: cognate_core::ids::Timestamp(0),
                })
                .await
                .expect("identity pool");
            let url = server.public_url.clone();
            tokio::spawn(server.wait());
            (url, pool.id.to_string(), client.id.to_string(), identity_pool.id.to_string())
        });
        Target {
            runtime,
            http: reqwest::Client::new(),
            url,
            pool,
            client,
            identity_pool,
            _data: data,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let t = target();
    let operations: Vec<(&str, &str)> = cognate_server::UNSIGNED_OPERATIONS
        .iter()
        .chain(SIGNED)
        .map(|op| ("AWSCognitoIdentityProviderService", *op))
        .chain(
            cognate_server::UNSIGNED_IDENTITY_OPERATIONS
                .iter()
                .map(|op| ("AWSCognitoIdentityService", *op)),
        )
        .collect();
    let (service, operation) = operations[usize::from(which) % operations.len()];
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut fields)) => {
            fields.entry("ClientId").or_insert(json!(t.client));
            fields.entry("UserPoolId").or_insert(json!(t.pool));
            fields.entry("IdentityPoolId").or_insert(json!(t.identity_pool));
            Value::Object(fields).to_string().into_bytes()
        }
        _ => body.to_vec(),
    };
    let status = t.runtime.block_on(async {
        t.http
            .post(&t.url)
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("{service}.{operation}"),
            )
            .body(body)
            .send()
            .await
            .expect("the server answers")
            .status()
    });
    assert_ne!(status.as_u16(), 500, "{operation} answered 500");
});

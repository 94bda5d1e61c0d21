//! A small Cognito JSON 1.1 client for load: reqwest with keep-alive, SigV4 for admin calls
//! (the AWS signer). Deliberately thin so that the load tool spends little CPU per request.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    identity: Identity,
}

/// A failed call: the exception name (or transport error) and message.
#[derive(Debug)]
pub struct CallError(pub String);

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CallError {}

impl Client {
    pub fn new(endpoint: &str, access_key_id: &str, secret_access_key: &str) -> Self {
        let identity = aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "bench",
        )
        .into();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .expect("HTTP client");
        Client {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned() + "/",
            identity,
        }
    }

    /// An unsigned call (sign-up, sign-in, token calls).
    pub async fn call(&self, operation: &str, input: &Value) -> Result<Value, CallError> {
        self.send(operation, input, false).await
    }

    /// A SigV4-signed call (administration).
    pub async fn admin(&self, operation: &str, input: &Value) -> Result<Value, CallError> {
        self.send(operation, input, true).await
    }

    async fn send(&self, operation: &str, input: &Value, signed: bool) -> Result<Value, CallError> {
        let body = input.to_string();
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let mut headers: Vec<(String, String)> = vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            ("x-amz-target".into(), target),
        ];
        if signed {
            let params = v4::SigningParams::builder()
                .identity(&self.identity)
                .region("us-east-1")
                .name("cognito-idp")
                .time(SystemTime::now())
                .settings(SigningSettings::default())
                .build()
                .map_err(|e| CallError(e.to_string()))?
                .into();
            let signable = SignableRequest::new(
                "POST",
                &self.endpoint,
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                SignableBody::Bytes(body.as_bytes()),
            )
            .map_err(|e| CallError(e.to_string()))?;
            let (instructions, _) = sign(signable, &params)
                .map_err(|e| CallError(e.to_string()))?
                .into_parts();
            headers.extend(
                instructions
                    .headers()
                    .map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
        }
        let mut request = self.http.post(&self.endpoint).body(body);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| CallError(format!("transport: {e}")))?;
        let ok = response.status().is_success();
        let value: Value = response
            .json()
            .await
            .map_err(|e| CallError(format!("body: {e}")))?;
        if ok {
            Ok(value)
        } else {
            Err(CallError(format!(
                "{}: {}",
                value["__type"].as_str().unwrap_or("error"),
                value["message"]
                    .as_str()
                    .or(value["Message"].as_str())
                    .unwrap_or("")
            )))
        }
    }
}

//! A thin client for the Cognito JSON 1.1 API and cognate's management API: reqwest with
//! keep-alive, SigV4 by the AWS signer for administrative calls. The load tool uses it because it
//! costs little CPU per request; the project toolchain because it needs both APIs.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::Value;

const COGNITO: &str = "AWSCognitoIdentityProviderService.";
const MANAGEMENT: &str = "CognateManagementService.";

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    region: String,
    identity: Identity,
}

/// A failed call: the exception name and message, or why the server could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The server answered with an error.
    Service { name: String, message: String },
    /// The server could not be reached or did not answer JSON.
    Transport(String),
}

impl CallError {
    /// The exception name, for service errors.
    pub fn name(&self) -> Option<&str> {
        match self {
            CallError::Service { name, .. } => Some(name),
            CallError::Transport(_) => None,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Service { name, message } => write!(f, "{name}: {message}"),
            CallError::Transport(detail) => f.write_str(detail),
        }
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
            region: "us-east-1".into(),
            identity,
        }
    }

    /// Signs for `region` (the server's; us-east-1 unless it was configured otherwise).
    pub fn in_region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }

    /// An unsigned call (sign-up, sign-in, token calls).
    pub async fn call(&self, operation: &str, input: &Value) -> Result<Value, CallError> {
        self.send(operation, input, false).await
    }

    /// A SigV4-signed call (administration).
    pub async fn admin(&self, operation: &str, input: &Value) -> Result<Value, CallError> {
        self.send(operation, input, true).await
    }

    /// A call to cognate's management API (`CognateManagementService`), always signed.
    pub async fn manage(&self, operation: &str, input: &Value) -> Result<Value, CallError> {
        self.send(&format!("{MANAGEMENT}{operation}"), input, true)
            .await
    }

    /// A call to the management API that answers the HTTP status and body whatever they are,
    /// for callers that check the status themselves.
    pub async fn manage_answer(
        &self,
        operation: &str,
        input: &Value,
    ) -> Result<(u16, Value), CallError> {
        self.exchange(&format!("{MANAGEMENT}{operation}"), input, true)
            .await
    }

    async fn send(&self, operation: &str, input: &Value, signed: bool) -> Result<Value, CallError> {
        let (status, value) = self.exchange(operation, input, signed).await?;
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let name = value["__type"].as_str().unwrap_or("UnknownError");
        Err(CallError::Service {
            // Some servers qualify the name (`namespace#Name`).
            name: name.rsplit('#').next().unwrap_or(name).to_owned(),
            message: value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or("")
                .to_owned(),
        })
    }

    /// Sends one call and reads the JSON answer. The management API signs as service
    /// `cognate`, the Cognito API as `cognito-idp`.
    async fn exchange(
        &self,
        operation: &str,
        input: &Value,
        signed: bool,
    ) -> Result<(u16, Value), CallError> {
        let body = input.to_string();
        let (target, service) = if operation.starts_with(MANAGEMENT) {
            (operation.to_owned(), "cognate")
        } else {
            (format!("{COGNITO}{operation}"), "cognito-idp")
        };
        let mut headers: Vec<(String, String)> = vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            ("x-amz-target".into(), target),
        ];
        if signed {
            let params = v4::SigningParams::builder()
                .identity(&self.identity)
                .region(&self.region)
                .name(service)
                .time(SystemTime::now())
                .settings(SigningSettings::default())
                .build()
                .map_err(|e| CallError::Transport(e.to_string()))?
                .into();
            let signable = SignableRequest::new(
                "POST",
                &self.endpoint,
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                SignableBody::Bytes(body.as_bytes()),
            )
            .map_err(|e| CallError::Transport(e.to_string()))?;
            let (instructions, _) = sign(signable, &params)
                .map_err(|e| CallError::Transport(e.to_string()))?
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
            .map_err(|e| CallError::Transport(format!("cannot reach {}: {e}", self.endpoint)))?;
        let status = response.status().as_u16();
        let value: Value = response.json().await.map_err(|e| {
            CallError::Transport(format!("{} did not answer JSON: {e}", self.endpoint))
        })?;
        Ok((status, value))
    }
}

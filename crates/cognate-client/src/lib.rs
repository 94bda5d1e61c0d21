//! A thin client for the Cognito JSON 1.1 APIs (user pools, identity pools), cognate's
//! management API and IAM's Query protocol: reqwest with keep-alive, SigV4 by the AWS signer
//! (with a session token for temporary credentials). The load tool uses it because it costs
//! little CPU per request; the project toolchain because it needs these APIs.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::Value;

const COGNITO: &str = "AWSCognitoIdentityProviderService.";
const MANAGEMENT: &str = "CognateManagementService.";
const IDENTITY: &str = "AWSCognitoIdentityService.";

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
        Self::with_session(endpoint, access_key_id, secret_access_key, None)
    }

    /// A client signing with temporary credentials and their session token.
    pub fn with_session(
        endpoint: &str,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> Self {
        let identity = aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            session_token.map(str::to_owned),
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

    /// Sends through `http` (one that trusts a particular CA, say) instead of the default.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The endpoint, with its trailing slash.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The region this client signs for.
    pub fn region(&self) -> &str {
        &self.region
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

    /// A call to the identity-pool API (`AWSCognitoIdentityService`), signed or not.
    pub async fn identity(
        &self,
        operation: &str,
        input: &Value,
        signed: bool,
    ) -> Result<Value, CallError> {
        self.send(&format!("{IDENTITY}{operation}"), input, signed)
            .await
    }

    /// A signed IAM call on the Query protocol (`Action=…&Version=2010-05-08&…`): the XML
    /// answer, or the error's code and message.
    pub async fn iam(&self, action: &str, params: &[(&str, &str)]) -> Result<String, CallError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", action)
            .append_pair("Version", "2010-05-08")
            .extend_pairs(params)
            .finish();
        let headers = vec![(
            "content-type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        )];
        let (status, text) = self.post(body, headers, Some("iam")).await?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        let between = |open: &str, close: &str| {
            text.split_once(open)
                .and_then(|(_, rest)| rest.split_once(close))
                .map(|(inner, _)| inner.to_owned())
                .unwrap_or_default()
        };
        Err(CallError::Service {
            name: between("<Code>", "</Code>"),
            message: between("<Message>", "</Message>"),
        })
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
        let (target, service) = if operation.starts_with(MANAGEMENT) {
            (operation.to_owned(), "cognate")
        } else if operation.starts_with(IDENTITY) {
            (operation.to_owned(), "cognito-identity")
        } else {
            (format!("{COGNITO}{operation}"), "cognito-idp")
        };
        let headers: Vec<(String, String)> = vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            ("x-amz-target".into(), target),
        ];
        let (status, text) = self
            .post(input.to_string(), headers, signed.then_some(service))
            .await?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            CallError::Transport(format!("{} did not answer JSON: {e}", self.endpoint))
        })?;
        Ok((status, value))
    }

    /// POSTs `body` to the endpoint, signed for `service` when given; the status and the text.
    async fn post(
        &self,
        body: String,
        mut headers: Vec<(String, String)>,
        service: Option<&str>,
    ) -> Result<(u16, String), CallError> {
        if let Some(service) = service {
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
        let text = response.text().await.map_err(|e| {
            CallError::Transport(format!("{} answered no body: {e}", self.endpoint))
        })?;
        Ok((status, text))
    }
}

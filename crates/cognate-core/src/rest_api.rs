//! REST APIs as API Gateway has them: an API with stages, and resources (paths with `{param}`
//! and a trailing `{proxy+}`) whose methods each name who may call them and what serves them.
//! Here: how a request finds its route (API Gateway's precedence: a literal segment before a
//! parameter before a greedy `{proxy+}`), and the `execute-api` ARN a call is decided on.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{PoolId, Timestamp};

/// A REST API: its id (the `<apiId>` of its URLs and ARNs), a name, its stages and routes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    /// The stages it is deployed to (`dev`, `prod`); every route serves on each.
    pub stages: Vec<String>,
    pub routes: Vec<Route>,
    pub created: Timestamp,
    pub modified: Timestamp,
    /// What the gateway signs its callers' identity with for the upstreams.
    #[serde(default)]
    pub caller_key: Option<CallerKey>,
}

/// An RSA key, its private half sealed with the server's secret key (base64), that signs the
/// identity tokens the gateway hands the upstreams; its public half is published at
/// `/restapis/{api}/.well-known/jwks.json`. Kept in the API's record, so that every server on
/// one database signs with the same key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerKey {
    pub kid: String,
    pub sealed_private_key: String,
    /// Base64url modulus and exponent, as a JWKS publishes them.
    pub n: String,
    pub e: String,
}

/// How a route's callers are authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteAuth {
    /// SigV4 with IAM credentials (identity-pool or IAM-user keys), decided by the caller's
    /// policies on the route's `execute-api:Invoke` ARN: Amplify's default.
    Iam,
    /// An ID token of this user pool in `Authorization` (the raw JWT, as API Gateway's
    /// Cognito authorizer takes it).
    UserPool(PoolId),
    /// Anyone.
    None,
}

/// One segment of a resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{name}`: exactly one segment.
    Param,
    /// `{name+}`: one or more segments, only last.
    Greedy,
}

/// A resource path as API Gateway writes it: `/`, `/items`, `/items/{id}`, `/files/{proxy+}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourcePath {
    text: String,
    segments: Vec<Segment>,
}

impl ResourcePath {
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = |why: &str| Error::invalid(format!("{text:?} is not a resource path: {why}"));
        let Some(rest) = text.strip_prefix('/') else {
            return Err(invalid("it must begin with /"));
        };
        let mut segments = Vec::new();
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        for (i, part) in parts.iter().enumerate() {
            let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if name.ends_with('+') => {
                    if i + 1 != parts.len() {
                        return Err(invalid(
                            "a greedy {name+} parameter must be the last segment",
                        ));
                    }
                    Segment::Greedy
                }
                Some(name) if !name.is_empty() && name.chars().all(is_name_char) => Segment::Param,
                Some(_) => return Err(invalid("a parameter is {name}, letters, digits, - and _")),
                None if part.is_empty() => return Err(invalid("it has an empty segment")),
                None if part.chars().any(|c| "{}".contains(c) || c.is_control()) => {
                    return Err(invalid(
                        "a segment holds { or } only as a whole {parameter}",
                    ))
                }
                None => Segment::Literal((*part).to_owned()),
            };
            segments.push(segment);
        }
        Ok(ResourcePath {
            text: text.to_owned(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How well this path matches the request's segments: None when it does not; otherwise a
    /// key that sorts the better match first (literals, then parameters, then greedy).
    fn matches(&self, request: &[&str]) -> Option<Vec<u8>> {
        let mut rank = Vec::with_capacity(self.segments.len());
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Greedy => {
                    // One or more segments.
                    if request.len() <= i {
                        return None;
                    }
                    rank.push(2);
                    return Some(rank);
                }
                Segment::Param => {
                    if request.get(i).is_none_or(|s| s.is_empty()) {
                        return None;
                    }
                    rank.push(1);
                }
                Segment::Literal(literal) => {
                    if request.get(i) != Some(&literal.as_str()) {
                        return None;
                    }
                    rank.push(0);
                }
            }
        }
        (request.len() == self.segments.len()).then_some(rank)
    }

    /// The path as Amplify's policies name it: each `{x}` (and `{proxy+}`) as `*`.
    pub fn policy_path(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(literal) => out.push_str(literal),
                Segment::Param | Segment::Greedy => out.push('*'),
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl TryFrom<String> for ResourcePath {
    type Error = Error;
    fn try_from(text: String) -> Result<Self> {
        ResourcePath::parse(&text)
    }
}

impl From<ResourcePath> for String {
    fn from(path: ResourcePath) -> String {
        path.text
    }
}

/// The methods API Gateway knows, and ANY.
pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// One method on one resource path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub path: ResourcePath,
    /// One of [`METHODS`]; `ANY` serves every method without a route of its own.
    pub method: String,
    pub auth: RouteAuth,
    /// The base URL of the HTTP service that answers (the request's path is appended).
    pub upstream: String,
}

/// Finds the route for `method` on `path` (the request's path below the stage, beginning with
/// `/`): the best-matching path first, and on it the method itself before ANY. None: API
/// Gateway's "Missing Authentication Token".
pub fn find_route<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a Route> {
    let request = segments(path);
    routes
        .iter()
        .filter(|r| r.method == method || r.method == "ANY")
        .filter_map(|r| {
            r.path
                .matches(&request)
                .map(|rank| (rank, r.method == "ANY", r))
        })
        .min_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)))
        .map(|(_, _, route)| route)
}

/// Whether any route, of any method, serves `path`: where the gateway answers a CORS
/// preflight.
pub fn serves_path(routes: &[Route], path: &str) -> bool {
    let request = segments(path);
    routes.iter().any(|r| r.path.matches(&request).is_some())
}

fn segments(path: &str) -> Vec<&str> {
    match path.strip_prefix('/') {
        Some("") | None => Vec::new(),
        Some(rest) => rest.split('/').collect(),
    }
}

/// The ARN a call is decided on: `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>`,
/// the path as requested, without its leading `/` (the root is `…/GET/`).
pub fn invoke_arn(
    region: &str,
    account: &str,
    api: &str,
    stage: &str,
    method: &str,
    path: &str,
) -> String {
    format!(
        "arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{}",
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str, method: &str) -> Route {
        Route {
            path: ResourcePath::parse(path).unwrap(),
            method: method.into(),
            auth: RouteAuth::Iam,
            upstream: format!("http://upstream{}", path),
        }
    }

    fn found<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<(&'a str, &'a str)> {
        find_route(routes, method, path).map(|r| (r.path.as_str(), r.method.as_str()))
    }

    #[test]
    fn a_literal_beats_a_parameter_which_beats_a_greedy_path() {
        let routes = [
            route("/items/{proxy+}", "ANY"),
            route("/items/{id}", "GET"),
            route("/items/special", "GET"),
            route("/items", "GET"),
            route("/", "GET"),
        ];
        assert_eq!(
            found(&routes, "GET", "/items/special"),
            Some(("/items/special", "GET"))
        );
        assert_eq!(
            found(&routes, "GET", "/items/42"),
            Some(("/items/{id}", "GET"))
        );
        assert_eq!(
            found(&routes, "GET", "/items/42/parts"),
            Some(("/items/{proxy+}", "ANY"))
        );
        assert_eq!(
            found(&routes, "DELETE", "/items/42"),
            Some(("/items/{proxy+}", "ANY"))
        );
        assert_eq!(found(&routes, "GET", "/items"), Some(("/items", "GET")));
        assert_eq!(found(&routes, "GET", "/"), Some(("/", "GET")));
    }

    #[test]
    fn unknown_paths_and_methods_find_nothing() {
        let routes = [route("/items", "GET"), route("/items/{id}", "PUT")];
        assert_eq!(found(&routes, "POST", "/items"), None);
        assert_eq!(found(&routes, "GET", "/other"), None);
        assert_eq!(
            found(&routes, "PUT", "/items/"),
            None,
            "an empty segment is no {{id}}"
        );
        assert_eq!(found(&routes, "GET", "/"), None);
        let greedy = [route("/files/{proxy+}", "GET")];
        assert_eq!(
            found(&greedy, "GET", "/files"),
            None,
            "{{proxy+}} takes at least one segment"
        );
    }

    #[test]
    fn a_method_of_its_own_beats_any_on_the_same_path() {
        let routes = [route("/items", "ANY"), route("/items", "POST")];
        assert_eq!(
            find_route(&routes, "POST", "/items").unwrap().method,
            "POST"
        );
        assert_eq!(find_route(&routes, "GET", "/items").unwrap().method, "ANY");
    }

    #[test]
    fn a_path_is_served_when_any_of_its_methods_is() {
        let routes = [route("/items", "POST"), route("/files/{proxy+}", "GET")];
        assert!(serves_path(&routes, "/items"));
        assert!(serves_path(&routes, "/files/a/b"));
        assert!(!serves_path(&routes, "/other"));
        assert!(!serves_path(&routes, "/files"));
    }

    #[test]
    fn resource_paths_are_checked() {
        for bad in [
            "items",
            "/items/",
            "//x",
            "/{proxy+}/x",
            "/{}",
            "/a{b}",
            "/{a b}",
        ] {
            assert!(ResourcePath::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ResourcePath::parse("/items/{id}").unwrap().policy_path(),
            "/items/*"
        );
        assert_eq!(ResourcePath::parse("/").unwrap().policy_path(), "/");
    }

    #[test]
    fn the_invoke_arn_names_stage_method_and_path() {
        assert_eq!(
            invoke_arn(
                "us-east-1",
                "000000000000",
                "abc123",
                "dev",
                "GET",
                "/items/42"
            ),
            "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/GET/items/42"
        );
        assert_eq!(
            invoke_arn("us-east-1", "000000000000", "abc123", "dev", "GET", "/"),
            "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/GET/"
        );
    }
}

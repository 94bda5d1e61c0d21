//! The project's REST APIs (`amplify/backend/api/<resource>/cli-inputs.json`, Amplify's
//! ApigwInputs) and what a push makes of them: the API on cognate's gateway, and the
//! `execute-api:Invoke` policies Amplify generates for the group roles and the auth and guest
//! roles. Where Amplify names a Lambda function, cognate proxies to an HTTP service: each path
//! has an `upstream` URL beside Amplify's `lambdaFunction`.

use std::collections::BTreeMap;

use cognate_core::rest_api::ResourcePath;
use serde_json::{json, Map, Value};

use super::files::{category_inputs, read_json, Layout};
use super::storage::RolePolicy;
use super::ProjectError;

/// One right of Amplify's REST prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Crud {
    Create,
    Read,
    Update,
    Delete,
}

impl Crud {
    pub const ALL: [Crud; 4] = [Crud::Create, Crud::Read, Crud::Update, Crud::Delete];

    pub fn word(self) -> &'static str {
        match self {
            Crud::Create => "create",
            Crud::Read => "read",
            Crud::Update => "update",
            Crud::Delete => "delete",
        }
    }

    pub fn parse(raw: &str) -> Result<Crud, ProjectError> {
        Crud::ALL
            .into_iter()
            .find(|c| c.word().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| {
                ProjectError::Input(format!(
                    "{raw:?} is not a permission: use create, read, update or delete"
                ))
            })
    }

    /// Amplify's `convertCrudOperationsToCfnPermissions`.
    fn methods(self) -> &'static [&'static str] {
        match self {
            Crud::Create => &["POST"],
            Crud::Read => &["GET"],
            Crud::Update => &["PUT", "PATCH"],
            Crud::Delete => &["DELETE"],
        }
    }
}

pub fn parse_cruds(list: &[String]) -> Result<Vec<Crud>, ProjectError> {
    let mut cruds = Vec::new();
    for raw in list.iter().flat_map(|l| l.split(',')) {
        let crud = Crud::parse(raw)?;
        if !cruds.contains(&crud) {
            cruds.push(crud);
        }
    }
    cruds.sort();
    Ok(cruds)
}

fn cruds_of(value: &Value) -> Result<Vec<Crud>, ProjectError> {
    let words: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    parse_cruds(&words)
}

/// Who may call a path: Amplify's `permissions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// `protected`: guests too (`private`: signed-in users only).
    pub guests: bool,
    pub auth: Vec<Crud>,
    pub guest: Vec<Crud>,
    pub groups: BTreeMap<String, Vec<Crud>>,
}

/// One path of a REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPath {
    pub path: String,
    /// The HTTP service that answers it.
    pub upstream: Option<String>,
    /// The function an Amplify project names; kept as written.
    pub lambda_function: Option<String>,
    /// None: "Restrict API access?" answered no, so anyone may call it.
    pub access: Option<Access>,
}

/// A REST API resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestApi {
    pub resource: String,
    pub paths: Vec<ApiPath>,
}

/// Amplify's `alnumPath`: the path without what is not a lowercase letter, digit or `-`.
fn alnum(path: &str) -> String {
    path.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

/// The path as policies name it, each `{x}` as `*` (a path that is not one is left as written;
/// the gateway refuses it at push).
fn policy_path(path: &str) -> String {
    ResourcePath::parse(path).map_or_else(|_| path.to_owned(), |p| p.policy_path())
}

/// Where a push puts an API and for whom: what the ARNs are made of.
pub struct Target<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub api_id: &'a str,
    pub stage: &'a str,
    pub pool: &'a str,
}

impl Target<'_> {
    /// `<path>` and `<path>/*` for each method, as Amplify emits them.
    fn arns(&self, path: &str, methods: &[&str]) -> Vec<String> {
        let path = policy_path(path);
        let base = format!(
            "arn:aws:execute-api:{}:{}:{}/{}",
            self.region, self.account, self.api_id, self.stage
        );
        methods
            .iter()
            .flat_map(|m| {
                [
                    format!("{base}/{m}{path}"),
                    format!("{base}/{m}{}/*", path.trim_end_matches('/')),
                ]
            })
            .collect()
    }

    fn crud_arns(&self, path: &str, cruds: &[Crud]) -> Vec<String> {
        let methods: Vec<&str> = cruds
            .iter()
            .flat_map(|c| c.methods().iter().copied())
            .collect();
        self.arns(path, &methods)
    }
}

/// Amplify starts a new auth or guest policy when a document passes this many characters.
const MAX_POLICY_CHARS: usize = 6144;

/// `PolicyAPIGWAuth1..n` (or `Unauth`) holding `resources`.
fn consolidated(role: &str, prefix: &str, resources: &[String]) -> Vec<RolePolicy> {
    let mut chunks: Vec<Vec<String>> = Vec::new();
    let mut size = 0;
    for resource in resources {
        if chunks.is_empty() || size + resource.len() + 3 > MAX_POLICY_CHARS {
            chunks.push(Vec::new());
            size = 100;
        }
        size += resource.len() + 3;
        chunks.last_mut().expect("a chunk").push(resource.clone());
    }
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, resources)| {
            (
                role.to_owned(),
                format!("{prefix}{}", i + 1),
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["execute-api:Invoke"], "Resource": resources}]}),
            )
        })
        .collect()
}

impl RestApi {
    /// Every REST API of the project (API Gateway resources but Admin Queries, which is auth's).
    pub fn all(layout: &Layout) -> Result<Vec<RestApi>, ProjectError> {
        category_inputs(
            layout,
            "api",
            |name, entry| entry["service"] == "API Gateway" && name != "AdminQueries",
            Layout::api_inputs,
        )?
        .iter()
        .map(|(name, path, inputs)| Self::from_inputs(path, inputs, name))
        .collect()
    }

    /// `resource` as the last push left it; None when it was never pushed.
    pub fn read_pushed(layout: &Layout, resource: &str) -> Result<Option<RestApi>, ProjectError> {
        let path = layout.current_api_inputs(resource);
        read_json(&path)?
            .map(|inputs| Self::from_inputs(&path, &inputs, resource))
            .transpose()
    }

    fn from_inputs(
        file: &std::path::Path,
        inputs: &Value,
        resource: &str,
    ) -> Result<RestApi, ProjectError> {
        let paths = inputs["paths"]
            .as_object()
            .ok_or_else(|| ProjectError::Invalid(format!("{}: no paths", file.display())))?;
        let mut out = Vec::new();
        for (path, entry) in paths {
            let text = |key: &str| entry[key].as_str().map(str::to_owned);
            let permissions = &entry["permissions"];
            let access = match permissions["setting"].as_str() {
                Some("private") | Some("protected") => Some(Access {
                    guests: permissions["setting"] == "protected",
                    auth: cruds_of(&permissions["auth"])?,
                    guest: cruds_of(&permissions["guest"])?,
                    groups: permissions["groups"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(g, c)| Ok((g.clone(), cruds_of(c)?)))
                        .collect::<Result<_, ProjectError>>()?,
                }),
                _ => None,
            };
            out.push(ApiPath {
                path: path.clone(),
                upstream: text("upstream"),
                lambda_function: text("lambdaFunction"),
                access,
            });
        }
        Ok(RestApi {
            resource: resource.to_owned(),
            paths: out,
        })
    }

    /// The cli-inputs.json Amplify writes, with each path's upstream beside its function.
    pub fn inputs(&self) -> Value {
        let words = |c: &[Crud]| json!(c.iter().map(|c| c.word()).collect::<Vec<_>>());
        let mut paths = Map::new();
        for p in &self.paths {
            let mut entry = json!({"name": p.path});
            if let Some(function) = &p.lambda_function {
                entry["lambdaFunction"] = json!(function);
            }
            if let Some(upstream) = &p.upstream {
                entry["upstream"] = json!(upstream);
            }
            entry["permissions"] = match &p.access {
                None => json!({"setting": "open"}),
                Some(access) => {
                    let mut permissions = json!({
                        "setting": if access.guests { "protected" } else { "private" },
                    });
                    if !access.auth.is_empty() {
                        permissions["auth"] = words(&access.auth);
                    }
                    if access.guests && !access.guest.is_empty() {
                        permissions["guest"] = words(&access.guest);
                    }
                    if !access.groups.is_empty() {
                        let groups: Map<String, Value> = access
                            .groups
                            .iter()
                            .map(|(g, c)| (g.clone(), words(c)))
                            .collect();
                        permissions["groups"] = Value::Object(groups);
                    }
                    permissions
                }
            };
            paths.insert(p.path.clone(), entry);
        }
        json!({"version": 1, "paths": paths})
    }

    /// The backend-config.json entry: API Gateway, depending on auth and each group's role.
    pub fn backend_entry(&self, auth_resource: Option<&str>) -> Value {
        let mut depends: Vec<Value> = auth_resource
            .map(|auth| json!({"category": "auth", "resourceName": auth, "attributes": ["UserPoolId"]}))
            .into_iter()
            .collect();
        let mut groups: Vec<&String> = self
            .paths
            .iter()
            .flat_map(|p| p.access.iter().flat_map(|a| a.groups.keys()))
            .collect();
        groups.sort();
        groups.dedup();
        for group in groups {
            depends.push(json!({"category": "auth", "resourceName": "userPoolGroups", "attributes": [format!("{group}GroupRole")]}));
        }
        json!({"service": "API Gateway", "providerPlugin": "awscloudformation", "dependsOn": depends})
    }

    /// The gateway's routes: `ANY` on each path and below it (Amplify's `/path` and
    /// `/path/{proxy+}`), signed (IAM) when access is restricted, open otherwise.
    pub fn routes(&self) -> Result<Vec<Value>, ProjectError> {
        let mut routes = Vec::new();
        for p in &self.paths {
            let upstream = p.upstream.as_deref().ok_or_else(|| {
                ProjectError::Input(format!(
                    "REST API {}: path {} has no upstream{}. cognate runs no functions; it proxies each path to an HTTP service you run. Give its URL: `cognate update api --resource-name {} --path {} --upstream http://127.0.0.1:8080`",
                    self.resource,
                    p.path,
                    p.lambda_function.as_ref().map(|f| format!(" (Amplify serves it with the Lambda function {f})")).unwrap_or_default(),
                    self.resource,
                    p.path,
                ))
            })?;
            let authorization = if p.access.is_some() {
                "AWS_IAM"
            } else {
                "NONE"
            };
            let below = format!("{}/{{proxy+}}", p.path.trim_end_matches('/'));
            for path in [p.path.as_str(), below.as_str()] {
                if path == "/" && p.path != "/" {
                    continue;
                }
                routes.push(json!({"Path": path, "Method": "ANY", "Authorization": authorization, "Upstream": upstream}));
            }
        }
        Ok(routes)
    }

    /// `<apiName>-<alnumPath>-<Group>-group-policy` on each group's role, one per (group, path).
    pub fn group_policies(&self, target: &Target) -> Vec<RolePolicy> {
        let mut policies = Vec::new();
        for p in &self.paths {
            for (group, cruds) in p.access.iter().flat_map(|a| &a.groups) {
                policies.push((
                    format!("{}-{group}GroupRole", target.pool),
                    format!("{}-{}-{group}-group-policy", self.resource, alnum(&p.path)),
                    json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": target.crud_arns(&p.path, cruds)}]}),
                ));
            }
        }
        policies
    }

    /// The resources the auth (`guest` false) or guest role may invoke: all four rights
    /// collapse to every method.
    fn role_resources(&self, target: &Target, guest: bool) -> Vec<String> {
        let mut resources = Vec::new();
        for p in &self.paths {
            let Some(access) = &p.access else { continue };
            let cruds = if guest {
                if !access.guests {
                    continue;
                }
                &access.guest
            } else {
                &access.auth
            };
            if cruds.len() == Crud::ALL.len() {
                resources.extend(target.arns(&p.path, &["*"]));
            } else {
                resources.extend(target.crud_arns(&p.path, cruds));
            }
        }
        resources
    }
}

/// Amplify's APIGatewayAuthStack: the auth and guest roles' policies for every API at once.
pub fn auth_and_guest_policies(apis: &[(&RestApi, Target)], pool: &str) -> Vec<RolePolicy> {
    let auth: Vec<String> = apis
        .iter()
        .flat_map(|(api, target)| api.role_resources(target, false))
        .collect();
    let guest: Vec<String> = apis
        .iter()
        .flat_map(|(api, target)| api.role_resources(target, true))
        .collect();
    let mut policies = consolidated(&format!("{pool}-authRole"), "PolicyAPIGWAuth", &auth);
    policies.extend(consolidated(
        &format!("{pool}-unauthRole"),
        "PolicyAPIGWUnauth",
        &guest,
    ));
    policies
}

/// The gateway's id for a project's API: stable for one user pool and resource name, so a
/// push that stopped half-way is finished by the next instead of making a second API.
pub fn api_id(pool: &str, resource: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{pool}/{resource}").as_bytes());
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    digest
        .iter()
        .take(10)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(access: Option<Access>) -> RestApi {
        RestApi {
            resource: "itemsApi".into(),
            paths: vec![ApiPath {
                path: "/Items/{id}".into(),
                upstream: Some("http://127.0.0.1:8080".into()),
                lambda_function: None,
                access,
            }],
        }
    }

    fn target() -> Target<'static> {
        Target {
            region: "us-east-1",
            account: "111",
            api_id: "abc123",
            stage: "dev",
            pool: "us-east-1_X",
        }
    }

    #[test]
    fn group_policies_are_named_and_shaped_as_amplify_makes_them() {
        let access = Access {
            groups: BTreeMap::from([("Admins".to_owned(), vec![Crud::Read, Crud::Update])]),
            ..Access::default()
        };
        let policies = items(Some(access)).group_policies(&target());
        assert_eq!(policies.len(), 1);
        let (role, name, document) = &policies[0];
        assert_eq!(role, "us-east-1_X-AdminsGroupRole");
        assert_eq!(
            name, "itemsApi-temsid-Admins-group-policy",
            "uppercase is stripped"
        );
        assert_eq!(
            document["Statement"][0]["Resource"],
            json!([
                "arn:aws:execute-api:us-east-1:111:abc123/dev/GET/Items/*",
                "arn:aws:execute-api:us-east-1:111:abc123/dev/GET/Items/*/*",
                "arn:aws:execute-api:us-east-1:111:abc123/dev/PUT/Items/*",
                "arn:aws:execute-api:us-east-1:111:abc123/dev/PUT/Items/*/*",
                "arn:aws:execute-api:us-east-1:111:abc123/dev/PATCH/Items/*",
                "arn:aws:execute-api:us-east-1:111:abc123/dev/PATCH/Items/*/*",
            ])
        );
        assert_eq!(document["Statement"][0]["Action"], "execute-api:Invoke");
    }

    #[test]
    fn all_four_rights_collapse_for_auth_and_guests_only() {
        let access = Access {
            guests: true,
            auth: Crud::ALL.to_vec(),
            guest: vec![Crud::Read],
            groups: BTreeMap::new(),
        };
        let api = items(Some(access));
        let policies = auth_and_guest_policies(&[(&api, target())], "P");
        let names: Vec<(&str, &str)> = policies
            .iter()
            .map(|(r, n, _)| (r.as_str(), n.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("P-authRole", "PolicyAPIGWAuth1"),
                ("P-unauthRole", "PolicyAPIGWUnauth1")
            ]
        );
        assert_eq!(
            policies[0].2["Statement"][0]["Resource"],
            json!([
                "arn:aws:execute-api:us-east-1:111:abc123/dev/*/Items/*",
                "arn:aws:execute-api:us-east-1:111:abc123/dev/*/Items/*/*"
            ])
        );
        assert_eq!(
            policies[1].2["Statement"][0]["Resource"][0],
            "arn:aws:execute-api:us-east-1:111:abc123/dev/GET/Items/*"
        );
    }

    #[test]
    fn a_long_list_of_resources_starts_a_new_policy() {
        let resources: Vec<String> = (0..200)
            .map(|i| format!("arn:aws:execute-api:us-east-1:111:abc123/dev/GET/path{i}"))
            .collect();
        let policies = consolidated("P-authRole", "PolicyAPIGWAuth", &resources);
        assert!(policies.len() > 1);
        for (_, _, document) in &policies {
            assert!(document.to_string().len() <= MAX_POLICY_CHARS);
        }
        let total: usize = policies
            .iter()
            .map(|(_, _, d)| d["Statement"][0]["Resource"].as_array().unwrap().len())
            .sum();
        assert_eq!(total, 200);
    }

    #[test]
    fn routes_cover_each_path_and_below_it() {
        let api = items(None);
        let routes = api.routes().unwrap();
        assert_eq!(routes[0]["Path"], "/Items/{id}");
        assert_eq!(routes[1]["Path"], "/Items/{id}/{proxy+}");
        assert_eq!(
            routes[0]["Authorization"], "NONE",
            "an unrestricted path is open"
        );
        let mut amplify = items(None);
        amplify.paths[0].upstream = None;
        amplify.paths[0].lambda_function = Some("itemsFn".into());
        let message = amplify.routes().unwrap_err().to_string();
        assert!(
            message.contains("itemsFn") && message.contains("--upstream"),
            "{message}"
        );
    }

    #[test]
    fn inputs_round_trip_through_amplifys_shape() {
        let access = Access {
            guests: false,
            auth: vec![Crud::Read],
            guest: Vec::new(),
            groups: BTreeMap::from([("Admins".to_owned(), Crud::ALL.to_vec())]),
        };
        let api = items(Some(access));
        let inputs = api.inputs();
        assert_eq!(
            inputs["paths"]["/Items/{id}"]["permissions"],
            json!({"setting": "private", "auth": ["read"], "groups": {"Admins": ["create", "read", "update", "delete"]}})
        );
        let back = RestApi::from_inputs(std::path::Path::new("x"), &inputs, "itemsApi").unwrap();
        assert_eq!(back, api);
        assert_eq!(api_id("us-east-1_X", "itemsApi").len(), 10);
        assert_eq!(
            api_id("us-east-1_X", "itemsApi"),
            api_id("us-east-1_X", "itemsApi")
        );
    }
}

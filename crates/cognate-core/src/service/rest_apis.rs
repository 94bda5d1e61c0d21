//! REST APIs: created and replaced whole (as `cognate push` and operators describe them),
//! read and deleted. The rules a description must keep: stages API Gateway would take, one
//! route per path and method, upstreams that are http(s) URLs.

use std::collections::HashSet;

use super::admin_queries::{generate_api_id, validate_stage};
use super::storage_backend::{RetiredPolicy, RolePolicy};
use super::Cognito;
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::rest_api::{RestApi, Route, RouteAuth, METHODS};

/// An API as its owner describes it.
#[derive(Debug, Clone)]
pub struct RestApiSettings {
    /// None: a new API with a generated id.
    pub id: Option<String>,
    pub name: String,
    pub stages: Vec<String>,
    pub routes: Vec<Route>,
}

/// What `cognate push` wants for one of the project's REST APIs.
#[derive(Debug, Clone)]
pub struct RestApiBackend {
    /// The API (its id given); None: the project no longer has it, so it is deleted.
    pub api: Option<RestApiSettings>,
    pub id: String,
    pub policies: Vec<RolePolicy>,
    /// Policies this API may have put before and no longer wants.
    pub retired: Vec<RetiredPolicy>,
}

fn not_found(id: &str) -> Error {
    Error::ResourceNotFound(format!("REST API {id} does not exist."))
}

/// An upstream is an http(s) URL with a host.
pub fn check_upstream(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Ok(())
        }
        _ => Err(Error::invalid(format!(
            "{url:?} is not an upstream: give the http:// or https:// URL of the service that answers"
        ))),
    }
}

fn check(settings: &RestApiSettings) -> Result<()> {
    if settings.name.is_empty() || settings.name.chars().count() > 128 {
        return Err(Error::invalid("A REST API's name is 1 to 128 characters."));
    }
    if settings.stages.is_empty() {
        return Err(Error::invalid("A REST API needs at least one stage."));
    }
    for stage in &settings.stages {
        validate_stage(stage).map_err(|_| {
            Error::invalid(format!(
                "The stage {stage:?} must be 1 to 128 letters, digits, '-' or '_'."
            ))
        })?;
    }
    let mut seen = HashSet::new();
    for route in &settings.routes {
        if !METHODS.contains(&route.method.as_str()) {
            return Err(Error::invalid(format!(
                "{} is not a method; use one of {}",
                route.method,
                METHODS.join(", ")
            )));
        }
        if !seen.insert((route.path.as_str(), route.method.as_str())) {
            return Err(Error::invalid(format!(
                "{} {} is given twice",
                route.method,
                route.path.as_str()
            )));
        }
        check_upstream(&route.upstream)?;
    }
    Ok(())
}

impl Cognito {
    /// Creates the API (`settings.id` None, or an id not in use) or replaces the one with that id.
    pub async fn put_rest_api(&self, settings: RestApiSettings) -> Result<RestApi> {
        check(&settings)?;
        let now = Timestamp::now();
        let existing = match &settings.id {
            Some(id) => {
                if id.is_empty()
                    || id.len() > 32
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                {
                    return Err(Error::invalid(format!(
                        "{id:?} is not a REST API id: 1 to 32 lowercase letters and digits"
                    )));
                }
                self.store.get_rest_api(id).await?
            }
            None => None,
        };
        for route in &settings.routes {
            if let RouteAuth::UserPool(pool) = &route.auth {
                self.pool(pool).await?;
            }
        }
        let caller_key = match existing.as_ref().and_then(|e| e.caller_key.clone()) {
            Some(key) => key,
            None => self.generate_caller_key().await?,
        };
        let api = RestApi {
            id: settings.id.unwrap_or_else(generate_api_id),
            name: settings.name,
            stages: settings.stages,
            routes: settings.routes,
            created: existing.as_ref().map_or(now, |e| e.created),
            modified: now,
            caller_key: Some(caller_key),
        };
        self.store.put_rest_api(&api).await?;
        self.gateway.forget_api(&api.id);
        Ok(api)
    }

    /// `cognate push` for a REST API: the API as described (put only when it differs), and its
    /// role policies; or, for an API the project dropped, its deletion and its policies'.
    /// Idempotent: a repeated push changes nothing, an interrupted one is finished by the next.
    pub async fn apply_rest_api_backend(&self, wanted: RestApiBackend) -> Result<Vec<String>> {
        self.check_roles_exist(&wanted.policies).await?;
        let existing = self.store.get_rest_api(&wanted.id).await?;
        let mut changes = Vec::new();
        match wanted.api {
            Some(settings) => {
                let unchanged = existing.as_ref().is_some_and(|e| {
                    e.name == settings.name
                        && e.stages == settings.stages
                        && e.routes == settings.routes
                });
                if !unchanged {
                    let verb = if existing.is_some() {
                        "update"
                    } else {
                        "create"
                    };
                    let api = self.put_rest_api(settings).await?;
                    changes.push(format!("{verb} REST API {} ({})", api.name, api.id));
                }
            }
            None => {
                if let Some(existing) = existing {
                    self.delete_rest_api(&existing.id).await?;
                    changes.push(format!(
                        "delete REST API {} ({})",
                        existing.name, existing.id
                    ));
                }
            }
        }
        changes.extend(
            self.apply_role_policies(&wanted.policies, &wanted.retired)
                .await?,
        );
        Ok(changes)
    }

    pub async fn rest_api(&self, id: &str) -> Result<RestApi> {
        self.store
            .get_rest_api(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    pub async fn list_rest_apis(&self) -> Result<Vec<RestApi>> {
        self.store.list_rest_apis().await
    }

    pub async fn delete_rest_api(&self, id: &str) -> Result<()> {
        if self.store.delete_rest_api(id).await? {
            self.gateway.forget_api(id);
            Ok(())
        } else {
            Err(not_found(id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest_api::ResourcePath;

    fn settings(routes: Vec<Route>) -> RestApiSettings {
        RestApiSettings {
            id: None,
            name: "items".into(),
            stages: vec!["dev".into()],
            routes,
        }
    }

    fn route(path: &str, method: &str, upstream: &str) -> Route {
        Route {
            path: ResourcePath::parse(path).unwrap(),
            method: method.into(),
            auth: RouteAuth::Iam,
            upstream: upstream.into(),
        }
    }

    #[test]
    fn a_description_keeps_the_rules() {
        assert!(check(&settings(vec![route(
            "/items",
            "GET",
            "http://127.0.0.1:8080"
        )]))
        .is_ok());
        for bad in [
            vec![route("/items", "FETCH", "http://127.0.0.1:8080")],
            vec![route("/items", "GET", "ftp://host")],
            vec![route("/items", "GET", "http://")],
            vec![
                route("/items", "GET", "http://a"),
                route("/items", "GET", "http://b"),
            ],
        ] {
            assert!(check(&settings(bad.clone())).is_err(), "{bad:?}");
        }
        let mut no_stage = settings(vec![]);
        no_stage.stages.clear();
        assert!(check(&no_stage).is_err());
    }
}

//! The Admin Queries REST API: management, every route, authorization and CORS.

use serde_json::{json, Value};

use crate::support::{TestServer, PASSWORD};

/// A pool with groups admin and editors, `someadminuser` in admin, `awesomeeditor` in editors,
/// `nogroups` in none, and an Admin Queries API restricted to `allowed`.
struct Fixture {
    t: TestServer,
    pool: String,
    client: String,
    endpoint: String,
    api_id: String,
}

impl Fixture {
    async fn new(allowed: &[&str], extra_routes: &[&str]) -> Self {
        let t = TestServer::start().await;
        let (pool, client) = t.pool_and_client().await;
        for (group, precedence) in [("admin", 1), ("editors", 2)] {
            t.client
                .create_group()
                .user_pool_id(&pool)
                .group_name(group)
                .precedence(precedence)
                .send()
                .await
                .unwrap();
        }
        for (user, group) in [
            ("someadminuser", Some("admin")),
            ("awesomeeditor", Some("editors")),
            ("nogroups", None),
        ] {
            t.create_user(&pool, user, PASSWORD).await;
            if let Some(group) = group {
                t.client
                    .admin_add_user_to_group()
                    .user_pool_id(&pool)
                    .username(user)
                    .group_name(group)
                    .send()
                    .await
                    .unwrap();
            }
        }
        let (status, body) = t
            .manage(
                "CreateAdminQueriesApi",
                json!({"UserPoolId": pool, "AllowedGroups": allowed, "ExtraRoutes": extra_routes}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let api = &body["AdminQueriesApi"];
        Fixture {
            endpoint: api["Endpoint"].as_str().unwrap().to_owned(),
            api_id: api["ApiId"].as_str().unwrap().to_owned(),
            t,
            pool,
            client,
        }
    }

    async fn token(&self, user: &str) -> String {
        self.t
            .sign_in(&self.client, user, PASSWORD)
            .await
            .access_token
            .unwrap()
    }

    async fn post(&self, route: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}/{route}", self.endpoint))
            .json(&body);
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "CORS on every answer"
        );
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn get(&self, route: &str, token: Option<&str>, query: &[(&str, &str)]) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .get(format!("{}/{route}", self.endpoint))
            .query(query);
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "CORS on every answer"
        );
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn groups_of(&self, user: &str) -> Vec<String> {
        let out = self
            .t
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&self.pool)
            .username(user)
            .send()
            .await
            .unwrap();
        out.groups
            .unwrap()
            .into_iter()
            .map(|g| g.group_name.unwrap())
            .collect()
    }
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_admin_adds_and_removes_group_members() {
    let f = Fixture::new(&["admin"], &[]).await;
    assert!(f
        .endpoint
        .ends_with(&format!("/adminqueries/{}/dev", f.api_id)));
    let admin = f.token("someadminuser").await;
    let (status, body) = f
        .post(
            "addUserToGroup",
            Some(&admin),
            json!({"username": "awesomeeditor", "groupname": "admin"}),
        )
        .await;
    assert_eq!(
        (status, message(&body)),
        (200, "Success adding awesomeeditor to admin")
    );
    assert_eq!(f.groups_of("awesomeeditor").await, ["admin", "editors"]);
    let (status, body) = f
        .post(
            "removeUserFromGroup",
            Some(&admin),
            json!({"username": "awesomeeditor", "groupname": "admin"}),
        )
        .await;
    assert_eq!(
        (status, message(&body)),
        (200, "Removed awesomeeditor from admin")
    );
    assert_eq!(f.groups_of("awesomeeditor").await, ["editors"]);
}

#[tokio::test]
async fn admin_queries_changes_are_audited_as_the_signed_in_admin() {
    let f = Fixture::new(&["admin"], &[]).await;
    let admin = f.token("someadminuser").await;
    let (status, _) = f
        .post(
            "disableUser",
            Some(&admin),
            json!({"username": "awesomeeditor"}),
        )
        .await;
    assert_eq!(status, 200);
    let pool = cognate_core::ids::PoolId::parse(&f.pool).unwrap();
    let newest =
        f.t.server
            .services()
            .audit_log(Some(&pool), 1, None)
            .await
            .unwrap()
            .remove(0);
    assert_eq!(
        (
            newest.actor.as_str(),
            newest.source.as_str(),
            newest.action.as_str(),
            newest.target.as_str()
        ),
        (
            "admin-queries:someadminuser",
            "127.0.0.1",
            "AdminDisableUser",
            "user:awesomeeditor"
        )
    );
}

#[tokio::test]
async fn users_are_confirmed_disabled_enabled_and_read() {
    let f = Fixture::new(&["admin"], &[]).await;
    let admin = f.token("someadminuser").await;
    f.t.client
        .sign_up()
        .client_id(&f.client)
        .username("newcomer")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    let (status, body) = f
        .post(
            "confirmUserSignUp",
            Some(&admin),
            json!({"username": "newcomer"}),
        )
        .await;
    assert_eq!(
        (status, message(&body)),
        (200, "Confirmed newcomer registration")
    );
    let (status, body) = f
        .post("disableUser", Some(&admin), json!({"username": "newcomer"}))
        .await;
    assert_eq!((status, message(&body)), (200, "Disabled newcomer"));

    let (status, user) = f
        .get("getUser", Some(&admin), &[("username", "newcomer")])
        .await;
    assert_eq!(status, 200);
    assert_eq!(user["Username"], "newcomer");
    assert_eq!(user["Enabled"], false);
    assert_eq!(user["UserStatus"], "CONFIRMED");
    let created = user["UserCreateDate"]
        .as_str()
        .expect("dates are ISO-8601 strings");
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );

    let (status, body) = f
        .post("enableUser", Some(&admin), json!({"username": "newcomer"}))
        .await;
    assert_eq!((status, message(&body)), (200, "Enabled newcomer"));
    f.t.sign_in(&f.client, "newcomer", PASSWORD).await;
}

#[tokio::test]
async fn lists_page_with_limit_and_token() {
    let f = Fixture::new(&["admin"], &[]).await;
    let admin = f.token("someadminuser").await;
    for i in 0..4 {
        let name = format!("editor{i}");
        f.t.create_user(&f.pool, &name, PASSWORD).await;
        f.post(
            "addUserToGroup",
            Some(&admin),
            json!({"username": name, "groupname": "editors"}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![
            ("groupname", "editors".to_owned()),
            ("limit", "2".to_owned()),
        ];
        if let Some(t) = &token {
            query.push(("token", t.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page) = f.get("listUsersInGroup", Some(&admin), &query).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["Users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["Username"].as_str().unwrap().to_owned()),
        );
        token = page["NextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        seen,
        ["awesomeeditor", "editor0", "editor1", "editor2", "editor3"]
    );

    let (status, users) = f.get("listUsers", Some(&admin), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        users["Users"].as_array().unwrap().len(),
        7,
        "default limit 25 covers all"
    );
    assert!(users.get("NextToken").is_none());
    let (_, page) = f.get("listUsers", Some(&admin), &[("limit", "3")]).await;
    assert_eq!(page["Users"].as_array().unwrap().len(), 3);
    assert!(page["NextToken"].is_string());

    let (status, groups) = f.get("listGroups", Some(&admin), &[]).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = groups["Groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["GroupName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "editors"]);
    assert_eq!(groups["Groups"][0]["Precedence"], 1);

    let (status, mine) = f
        .get(
            "listGroupsForUser",
            Some(&admin),
            &[("username", "someadminuser")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(mine["Groups"][0]["GroupName"], "admin");

    for limit in ["61", "0", "many"] {
        let (status, body) = f.get("listUsers", Some(&admin), &[("limit", limit)]).await;
        assert_eq!(status, 400, "limit {limit}: {body}");
    }
}

#[tokio::test]
async fn missing_parameters_and_unknown_users_are_4xx() {
    let f = Fixture::new(&["admin"], &[]).await;
    let admin = f.token("someadminuser").await;
    let (status, body) = f
        .post("addUserToGroup", Some(&admin), json!({"username": "x"}))
        .await;
    assert_eq!(
        (status, message(&body)),
        (400, "username and groupname are required")
    );
    let (status, body) = f.post("disableUser", Some(&admin), json!({})).await;
    assert_eq!((status, message(&body)), (400, "username is required"));
    let (status, body) = f.get("listUsersInGroup", Some(&admin), &[]).await;
    assert_eq!((status, message(&body)), (400, "groupname is required"));
    let (status, body) = f
        .get("getUser", Some(&admin), &[("username", "nobody")])
        .await;
    assert_eq!((status, message(&body)), (404, "User does not exist."));
    let (status, _) = f
        .post(
            "addUserToGroup",
            Some(&admin),
            json!({"username": "awesomeeditor", "groupname": "nosuchgroup"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = f
        .post(
            "confirmUserSignUp",
            Some(&admin),
            json!({"username": "awesomeeditor"}),
        )
        .await;
    assert_eq!(status, 400, "already confirmed: {body}");
}

#[tokio::test]
async fn only_valid_access_tokens_get_in() {
    let f = Fixture::new(&["admin"], &[]).await;
    let unauthorized = (401, "Unauthorized".to_owned());
    let call = |token: Option<String>| {
        let f = &f;
        async move {
            let (status, body) = f.get("listGroups", token.as_deref(), &[]).await;
            (status, message(&body).to_owned())
        }
    };
    assert_eq!(call(None).await, unauthorized);
    assert_eq!(call(Some("garbage".into())).await, unauthorized);
    let tokens = f.t.sign_in(&f.client, "someadminuser", PASSWORD).await;
    assert_eq!(
        call(tokens.id_token.clone()).await,
        unauthorized,
        "an ID token is not an access token"
    );
    assert_eq!(
        call(Some(format!(
            "Bearer {}",
            tokens.access_token.clone().unwrap()
        )))
        .await
        .0,
        200,
        "Bearer is accepted"
    );
    assert_eq!(call(tokens.access_token.clone()).await.0, 200);

    f.t.client
        .global_sign_out()
        .access_token(tokens.access_token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        call(tokens.access_token.clone()).await,
        unauthorized,
        "a revoked token"
    );

    // A valid token of another pool.
    let (other_pool, other_client) = f.t.pool_and_client().await;
    f.t.create_user(&other_pool, "outsider", PASSWORD).await;
    let outsider =
        f.t.sign_in(&other_client, "outsider", PASSWORD)
            .await
            .access_token;
    assert_eq!(call(outsider).await, unauthorized);
}

#[tokio::test]
async fn only_members_of_the_allowed_groups_may_administer() {
    let f = Fixture::new(&["admin"], &[]).await;
    let forbidden = (
        403,
        "User does not have permissions to perform administrative tasks".to_owned(),
    );
    for user in ["awesomeeditor", "nogroups"] {
        let token = f.token(user).await;
        let (status, body) = f
            .post(
                "addUserToGroup",
                Some(&token),
                json!({"username": user, "groupname": "admin"}),
            )
            .await;
        assert_eq!((status, message(&body).to_owned()), forbidden, "{user}");
    }
    assert_eq!(
        f.groups_of("nogroups").await,
        Vec::<String>::new(),
        "nothing happened"
    );

    // Removed from admin: the next call is refused, even with the old token.
    let admin = f.token("someadminuser").await;
    f.t.client
        .admin_remove_user_from_group()
        .user_pool_id(&f.pool)
        .username("someadminuser")
        .group_name("admin")
        .send()
        .await
        .unwrap();
    let (status, _) = f.get("listGroups", Some(&admin), &[]).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn several_groups_or_none_can_be_allowed() {
    let f = Fixture::new(&["admin", "editors"], &[]).await;
    let editor = f.token("awesomeeditor").await;
    assert_eq!(f.get("listGroups", Some(&editor), &[]).await.0, 200);
    let nogroups = f.token("nogroups").await;
    assert_eq!(f.get("listGroups", Some(&nogroups), &[]).await.0, 403);

    let (status, body) =
        f.t.manage(
            "UpdateAdminQueriesApi",
            json!({"ApiId": f.api_id, "AllowedGroups": []}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        f.get("listGroups", Some(&nogroups), &[]).await.0,
        200,
        "no restriction: any signed-in user"
    );
}

#[tokio::test]
async fn users_sign_out_only_themselves() {
    let f = Fixture::new(&["admin"], &[]).await;
    let editor = f.token("awesomeeditor").await;
    let (status, body) = f
        .post(
            "signUserOut",
            Some(&editor),
            json!({"username": "someadminuser"}),
        )
        .await;
    assert_eq!(
        (status, message(&body)),
        (400, "only the user can sign themselves out")
    );
    let (status, body) = f
        .post(
            "signUserOut",
            Some(&editor),
            json!({"username": "awesomeeditor"}),
        )
        .await;
    assert_eq!(
        (status, message(&body)),
        (200, "Signed out awesomeeditor from all devices")
    );
    assert_eq!(
        f.get("listGroups", Some(&editor), &[]).await.0,
        401,
        "the token is revoked"
    );
}

#[tokio::test]
async fn extra_routes_exist_only_when_enabled() {
    let f = Fixture::new(
        &["admin"],
        &[
            "createUser",
            "deleteUser",
            "setUserPassword",
            "updateUserAttributes",
            "createGroup",
            "deleteGroup",
        ],
    )
    .await;
    let admin = f.token("someadminuser").await;
    let (status, body) = f
        .post("createUser", Some(&admin), json!({"username": "made", "temporaryPassword": "Temp-Pass-123", "attributes": {"email": "made@example.com"}}))
        .await;
    assert_eq!((status, message(&body)), (200, "Created made"), "{body}");
    assert_eq!(body["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");
    let (status, _) = f
        .post(
            "setUserPassword",
            Some(&admin),
            json!({"username": "made", "password": "Made-Pass-456", "permanent": true}),
        )
        .await;
    assert_eq!(status, 200);
    f.t.sign_in(&f.client, "made", "Made-Pass-456").await;
    let (status, _) = f
        .post(
            "updateUserAttributes",
            Some(&admin),
            json!({"username": "made", "attributes": [{"Name": "name", "Value": "Made"}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, user) = f
        .get("getUser", Some(&admin), &[("username", "made")])
        .await;
    assert!(user["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["Name"] == "name" && a["Value"] == "Made"));
    let (status, body) = f
        .post(
            "createGroup",
            Some(&admin),
            json!({"groupname": "readers", "precedence": 3}),
        )
        .await;
    assert_eq!(
        (status, body["Group"]["Precedence"].as_i64()),
        (200, Some(3))
    );
    let (status, _) = f
        .post("createGroup", Some(&admin), json!({"groupname": "readers"}))
        .await;
    assert_eq!(status, 400, "GroupExists is a 400");
    assert_eq!(
        f.post("deleteGroup", Some(&admin), json!({"groupname": "readers"}))
            .await
            .0,
        200
    );
    assert_eq!(
        f.post("deleteUser", Some(&admin), json!({"username": "made"}))
            .await
            .0,
        200
    );
    assert_eq!(
        f.get("getUser", Some(&admin), &[("username", "made")])
            .await
            .0,
        404
    );

    let plain = Fixture::new(&["admin"], &[]).await;
    let admin = plain.token("someadminuser").await;
    let (status, _) = plain
        .post("createUser", Some(&admin), json!({"username": "nope"}))
        .await;
    assert_eq!(status, 404, "a disabled extra route does not exist");
}

#[tokio::test]
async fn preflight_and_wrong_paths() {
    let f = Fixture::new(&["admin"], &[]).await;
    let response = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/addUserToGroup", f.endpoint),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let allowed = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for header in [
        "Content-Type",
        "X-Amz-Date",
        "Authorization",
        "X-Api-Key",
        "X-Amz-Security-Token",
    ] {
        assert!(allowed.contains(header), "{allowed}");
    }
    let browser = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/addUserToGroup", f.endpoint),
        )
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 200);
    assert!(browser.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("authorization"));

    let admin = f.token("someadminuser").await;
    assert_eq!(
        f.get("addUserToGroup", Some(&admin), &[]).await.0,
        405,
        "POST routes refuse GET"
    );
    assert_eq!(f.get("noSuchRoute", Some(&admin), &[]).await.0, 404);
    let wrong_stage = f.endpoint.replace("/dev", "/prod");
    let response = reqwest::Client::new()
        .get(format!("{wrong_stage}/listGroups"))
        .header("authorization", admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_management_api_is_signed_and_checks_groups() {
    let f = Fixture::new(&["admin"], &[]).await;
    let (status, body) =
        f.t.manage(
            "CreateAdminQueriesApi",
            json!({"UserPoolId": f.pool, "AllowedGroups": ["ghosts"]}),
        )
        .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ResourceNotFoundException"))
    );
    assert!(body["message"].as_str().unwrap().contains("ghosts"));
    let (status, body) =
        f.t.manage(
            "CreateAdminQueriesApi",
            json!({"UserPoolId": f.pool, "ExtraRoutes": ["dropDatabase"]}),
        )
        .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );

    let (_, listed) =
        f.t.manage("ListAdminQueriesApis", json!({"UserPoolId": f.pool}))
            .await;
    assert_eq!(listed["AdminQueriesApis"].as_array().unwrap().len(), 1);
    let (status, described) =
        f.t.manage("DescribeAdminQueriesApi", json!({"ApiId": f.api_id}))
            .await;
    assert_eq!(
        (
            status,
            described["AdminQueriesApi"]["AllowedGroups"].clone()
        ),
        (200, json!(["admin"]))
    );

    let unsigned = reqwest::Client::new()
        .post(f.t.url())
        .header(
            "x-amz-target",
            "CognateManagementService.ListAdminQueriesApis",
        )
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);

    let (status, _) =
        f.t.manage("DeleteAdminQueriesApi", json!({"ApiId": f.api_id}))
            .await;
    assert_eq!(status, 200);
    let admin = f.token("someadminuser").await;
    assert_eq!(f.get("listGroups", Some(&admin), &[]).await.0, 404);
    let (_, body) =
        f.t.manage("DescribeAdminQueriesApi", json!({"ApiId": f.api_id}))
            .await;
    assert_eq!(body["__type"], "ResourceNotFoundException");
}

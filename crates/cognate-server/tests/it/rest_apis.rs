//! REST APIs through the management API: described whole, replaced whole, refused with a
//! reason when a description breaks the rules.

use serde_json::json;

use crate::support::TestServer;

fn items_api() -> serde_json::Value {
    json!({
        "Name": "items",
        "Stages": ["dev"],
        "Routes": [
            {"Path": "/items", "Method": "GET", "Upstream": "http://127.0.0.1:8080"},
            {"Path": "/items", "Method": "post", "Upstream": "http://127.0.0.1:8080"},
            {"Path": "/items/{id}", "Method": "GET", "Authorization": "NONE", "Upstream": "http://127.0.0.1:8080"}
        ]
    })
}

#[tokio::test]
async fn a_rest_api_is_created_replaced_listed_and_deleted() {
    let t = TestServer::start().await;
    let (status, created) = t.manage("PutRestApi", items_api()).await;
    assert_eq!(status, 200, "{created}");
    let api = &created["RestApi"];
    let id = api["ApiId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 10, "API Gateway's shape of id: {id}");
    assert_eq!(api["Routes"][1]["Method"], "POST");
    assert_eq!(
        api["Routes"][0]["Authorization"], "AWS_IAM",
        "IAM unless said"
    );
    assert_eq!(api["Routes"][2]["Authorization"], "NONE");

    let mut replacement = items_api();
    replacement["ApiId"] = json!(id);
    replacement["Stages"] = json!(["dev", "prod"]);
    replacement["Routes"] = json!([{"Path": "/{proxy+}", "Method": "ANY", "Authorization": "NONE", "Upstream": "https://example.test/base"}]);
    let (status, replaced) = t.manage("PutRestApi", replacement).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["RestApi"]["CreationDate"], api["CreationDate"]);

    let (_, got) = t.manage("GetRestApi", json!({"ApiId": id})).await;
    assert_eq!(got["RestApi"]["Stages"], json!(["dev", "prod"]));
    assert_eq!(got["RestApi"]["Routes"][0]["Path"], "/{proxy+}");
    let (_, listed) = t.manage("ListRestApis", json!({})).await;
    assert_eq!(listed["RestApis"].as_array().unwrap().len(), 1);

    let (status, _) = t.manage("DeleteRestApi", json!({"ApiId": id})).await;
    assert_eq!(status, 200);
    let (status, gone) = t.manage("GetRestApi", json!({"ApiId": id})).await;
    assert_eq!(status, 400);
    assert_eq!(gone["__type"], "ResourceNotFoundException", "{gone}");
}

#[tokio::test]
async fn a_description_that_breaks_the_rules_is_refused_with_the_reason() {
    let t = TestServer::start().await;
    for (change, reason) in [
        (json!({"Stages": []}), "at least one stage"),
        (json!({"Stages": ["bad stage"]}), "stage"),
        (
            json!({"Routes": [{"Path": "items", "Method": "GET", "Upstream": "http://a"}]}),
            "must begin with /",
        ),
        (
            json!({"Routes": [{"Path": "/a", "Method": "FETCH", "Upstream": "http://a"}]}),
            "is not a method",
        ),
        (
            json!({"Routes": [{"Path": "/a", "Method": "GET", "Upstream": "file:///etc"}]}),
            "is not an upstream",
        ),
        (
            json!({"Routes": [{"Path": "/a", "Method": "GET", "Authorization": "API_KEY", "Upstream": "http://a"}]}),
            "is not an authorization type",
        ),
        (
            json!({"Routes": [
                {"Path": "/a", "Method": "GET", "Upstream": "http://a"},
                {"Path": "/a", "Method": "GET", "Upstream": "http://b"}
            ]}),
            "given twice",
        ),
    ] {
        let mut input = items_api();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let (status, body) = t.manage("PutRestApi", input).await;
        assert_eq!(status, 400, "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{reason}: {body}");
    }
    let (_, listed) = t.manage("ListRestApis", json!({})).await;
    assert_eq!(listed["RestApis"], json!([]), "nothing was stored");
}

/// An upstream that answers with what it was sent: method, path, query, the headers asked
/// about, the body's length.
async fn echo_upstream() -> String {
    use axum::extract::Request;
    let app = axum::Router::new().fallback(|request: Request| async move {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        axum::Json(json!({
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "query": parts.uri.query(),
            "contentType": header("content-type"),
            "connection": header("connection"),
            "caller": header("x-cognate-caller"),
            "forged": header("x-cognate-role"),
            "bytes": body.len(),
        }))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A call signed for `execute-api` with `keys`, as aws-amplify's REST client signs.
async fn signed(
    method: &str,
    url: &str,
    body: &[u8],
    keys: &crate::support::Keys<'_>,
) -> reqwest::Response {
    signed_with(&reqwest::Client::new(), method, url, body, keys, &[]).await
}

/// The same through `http`, with `extra` headers signed too.
async fn signed_with(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    body: &[u8],
    keys: &crate::support::Keys<'_>,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let identity = aws_credential_types::Credentials::new(
        keys.id,
        keys.secret,
        keys.token.map(str::to_owned),
        None,
        "test",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("execute-api")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let mut headers = vec![("content-type", "application/json")];
    headers.extend_from_slice(extra);
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http
        .request(method.parse().unwrap(), url)
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    for (name, value) in instructions.headers() {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

async fn gateway_api(t: &TestServer, upstream: &str) -> String {
    let (status, created) = t
        .manage(
            "PutRestApi",
            json!({
                "Name": "items",
                "Stages": ["dev"],
                "Routes": [
                    {"Path": "/items", "Method": "GET", "Upstream": upstream},
                    {"Path": "/items", "Method": "POST", "Upstream": upstream},
                    {"Path": "/items/{id}", "Method": "ANY", "Upstream": upstream},
                    {"Path": "/public/{proxy+}", "Method": "GET", "Authorization": "NONE", "Upstream": upstream},
                    {"Path": "/down", "Method": "GET", "Authorization": "NONE", "Upstream": "http://127.0.0.1:9"}
                ]
            }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    created["RestApi"]["ApiId"].as_str().unwrap().to_owned()
}

/// An open API whose every path and method goes to `upstream`; the URL of its `dev` stage.
async fn open_api(t: &TestServer, upstream: &str) -> String {
    let (status, created) = t
        .manage(
            "PutRestApi",
            json!({"Name": "open", "Stages": ["dev"], "Routes": [
                {"Path": "/{proxy+}", "Method": "ANY", "Authorization": "NONE", "Upstream": upstream}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    format!(
        "{}/restapis/{}/dev",
        t.url(),
        created["RestApi"]["ApiId"].as_str().unwrap()
    )
}

fn error_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn unknown_routes_and_unsigned_iam_calls_are_missing_an_authentication_token() {
    let t = TestServer::start().await;
    let api = gateway_api(&t, &echo_upstream().await).await;
    let base = format!("{}/restapis/{api}", t.url());
    let http = reqwest::Client::new();
    for (method, url) in [
        ("GET", format!("{}/restapis/nosuchapi/dev/items", t.url())),
        ("GET", format!("{base}/prod/items")),
        ("GET", format!("{base}/dev/nothing")),
        ("DELETE", format!("{base}/dev/items")),
        ("GET", format!("{base}/dev/items")),
    ] {
        let answer = http
            .request(method.parse().unwrap(), &url)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{method} {url}");
        assert_eq!(error_type(&answer), "MissingAuthenticationTokenException");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body, json!({"message": "Missing Authentication Token"}));
    }
    // Routing comes first: a valid signature on an unknown route changes nothing.
    let answer = signed("GET", &format!("{base}/dev/nothing"), b"", &t.root_keys()).await;
    assert_eq!(error_type(&answer), "MissingAuthenticationTokenException");
}

#[tokio::test]
async fn an_iam_caller_reaches_the_upstream_only_where_its_policy_allows() {
    let t = TestServer::start().await;
    let api = gateway_api(&t, &echo_upstream().await).await;
    let base = format!("{}/restapis/{api}/dev", t.url());
    let iam = crate::support::iam_client(t.url(), &t.root_keys());
    iam.create_user().user_name("reader").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("reader")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let arn = format!("arn:aws:execute-api:us-east-1:000000000000:{api}/dev");
    iam.put_user_policy()
        .user_name("reader")
        .policy_name("read-items")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [format!("{arn}/GET/items"), format!("{arn}/GET/items/*")]},
                {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": format!("{arn}/GET/items/secret")}
            ]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let keys = crate::support::Keys {
        id: &key.access_key_id,
        secret: &key.secret_access_key,
        token: None,
    };

    let answer = signed(
        "GET",
        &format!("{base}/items/42?color=red&size=2"),
        b"",
        &keys,
    )
    .await;
    assert_eq!(answer.status(), 200);
    let echoed: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["path"], "/items/42", "the path below the stage");
    assert_eq!(echoed["query"], "color=red&size=2");

    let answer = signed(
        "POST",
        &format!("{base}/items"),
        br#"{"name":"new"}"#,
        &keys,
    )
    .await;
    assert_eq!(answer.status(), 403);
    assert_eq!(error_type(&answer), "AccessDeniedException");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        body["Message"],
        format!("User: arn:aws:iam::000000000000:user/reader is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:{api}/dev/POST/items")
    );

    let answer = signed("GET", &format!("{base}/items/secret"), b"", &keys).await;
    let body: serde_json::Value = answer.json().await.unwrap();
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .ends_with(" with an explicit deny"),
        "{body}"
    );

    // Root may do anything; the body goes through whole.
    let large = vec![b'x'; 3 * 1024 * 1024];
    let answer = signed("POST", &format!("{base}/items"), &large, &t.root_keys()).await;
    assert_eq!(answer.status(), 200);
    let echoed: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(echoed["bytes"], large.len());
    assert_eq!(echoed["contentType"], "application/json");
}

#[tokio::test]
async fn bad_signatures_and_unknown_keys_are_refused_in_api_gateways_words() {
    let t = TestServer::start().await;
    let api = gateway_api(&t, &echo_upstream().await).await;
    let url = format!("{}/restapis/{api}/dev/items", t.url());
    let wrong = crate::support::Keys {
        id: &t.server.root_access_key_id,
        secret: "not-the-secret",
        token: None,
    };
    let answer = signed("GET", &url, b"", &wrong).await;
    assert_eq!(answer.status(), 403);
    assert_eq!(error_type(&answer), "InvalidSignatureException");
    let stranger = crate::support::Keys {
        id: "AKIAUNKNOWNKEY000000",
        secret: "whatever",
        token: None,
    };
    let answer = signed("GET", &url, b"", &stranger).await;
    assert_eq!(answer.status(), 403);
    assert_eq!(error_type(&answer), "UnrecognizedClientException");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        body["message"],
        "The security token included in the request is invalid."
    );
}

#[tokio::test]
async fn open_routes_need_no_signature_and_a_dead_upstream_is_a_502() {
    let t = TestServer::start().await;
    let api = gateway_api(&t, &echo_upstream().await).await;
    let base = format!("{}/restapis/{api}/dev", t.url());
    let http = reqwest::Client::new();
    let answer = http
        .get(format!("{base}/public/a/b/c.txt"))
        .header("connection", "keep-alive")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let echoed: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(echoed["path"], "/public/a/b/c.txt");
    assert_eq!(
        echoed["connection"],
        serde_json::Value::Null,
        "hop-by-hop headers stay behind"
    );
    let answer = http.get(format!("{base}/down")).send().await.unwrap();
    assert_eq!(answer.status(), 502);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body, json!({"message": "Internal server error"}));
}

#[tokio::test]
async fn preflights_are_answered_by_the_gateway_and_every_answer_allows_any_origin() {
    let t = TestServer::start().await;
    let api = gateway_api(&t, &echo_upstream().await).await;
    let base = format!("{}/restapis/{api}/dev", t.url());
    let http = reqwest::Client::new();
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{base}/items"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,x-amz-date,x-amz-security-token,content-type,x-app-tag",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200, "no signature needed");
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    assert_eq!(
        header(&preflight, "access-control-allow-headers"),
        "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,x-app-tag"
    );
    assert_eq!(
        header(&preflight, "access-control-allow-methods"),
        "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
    );
    let unrouted = http
        .request(reqwest::Method::OPTIONS, format!("{base}/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_type(&unrouted), "MissingAuthenticationTokenException");

    // A refusal can be read by the page that caused it.
    let refused = http.get(format!("{base}/items")).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(header(&refused, "access-control-allow-origin"), "*");
    assert_eq!(
        header(&refused, "access-control-expose-headers"),
        "Date,X-Amzn-ErrorType"
    );
    let answered = http
        .get(format!("{base}/public/readme.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&answered, "access-control-allow-origin"), "*");
}

/// The caller token's claims, verified with the API's published key as an upstream would.
async fn verified_caller(t: &TestServer, api: &str, token: &str) -> serde_json::Value {
    let jwks: jsonwebtoken::jwk::JwkSet =
        reqwest::get(format!("{}/restapis/{api}/.well-known/jwks.json", t.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[api]);
    validation.set_issuer(&[format!("{}/restapis/{api}", t.url())]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn the_upstream_learns_who_calls_from_a_token_it_can_verify_and_no_client_can_forge() {
    let p = crate::identity_pools::Project::new().await;
    let t = &p.t;
    let api = gateway_api(t, &echo_upstream().await).await;
    let iam = crate::support::iam_client(t.url(), &t.root_keys());
    let arn = format!("arn:aws:execute-api:us-east-1:000000000000:{api}/dev");
    iam.put_role_policy()
        .role_name(format!("{}-adminGroupRole", p.user_pool))
        .policy_name("items")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "execute-api:Invoke", "Resource": [format!("{arn}/GET/items")]}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let id_token = p.member("alice", &["admin"]).await;
    let logins = p.logins(&id_token);
    let identity_id = p.id_of(Some(logins.clone())).await;
    let credentials = p
        .credentials(&identity_id, Some(logins), None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    let keys = crate::support::Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: credentials.session_token(),
    };
    let forged = [
        (
            "x-cognate-caller",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
        ),
        ("x-cognate-role", "admin"),
    ];
    let answer = signed_with(
        &reqwest::Client::new(),
        "GET",
        &format!("{}/restapis/{api}/dev/items", t.url()),
        b"",
        &keys,
        &forged,
    )
    .await;
    assert_eq!(answer.status(), 200);
    let echoed: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        echoed["forged"],
        serde_json::Value::Null,
        "x-cognate-* is the gateway's"
    );
    let claims = verified_caller(t, &api, echoed["caller"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], identity_id);
    assert_eq!(claims["cognitoIdentityId"], identity_id);
    assert_eq!(claims["cognitoIdentityPoolId"], p.identity_pool);
    assert_eq!(claims["cognitoAuthenticationType"], "authenticated");
    let provider = claims["cognitoAuthenticationProvider"].as_str().unwrap();
    assert!(
        provider.starts_with(&format!(
            "cognito-idp.us-east-1.amazonaws.com/{},",
            p.user_pool
        )) && provider.contains(":CognitoSignIn:"),
        "{provider}"
    );
    assert_eq!(
        claims["roleArn"],
        format!(
            "arn:aws:iam::000000000000:role/{}-adminGroupRole",
            p.user_pool
        )
    );
    assert_eq!(claims["username"], "alice");
    assert_eq!(claims["groups"], json!(["admin"]));
    assert_eq!(claims["userPoolId"], p.user_pool);
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 300, "short-lived");

    // An IAM user is named by its ARN; an open route names nobody.
    let answer = signed(
        "GET",
        &format!("{}/restapis/{api}/dev/items", t.url()),
        b"",
        &t.root_keys(),
    )
    .await;
    let echoed: serde_json::Value = answer.json().await.unwrap();
    let claims = verified_caller(t, &api, echoed["caller"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], "arn:aws:iam::000000000000:root");
    assert_eq!(claims["cognitoAuthenticationType"], "iam");
    let open = reqwest::Client::new()
        .get(format!("{}/restapis/{api}/dev/public/x", t.url()))
        .header("x-cognate-caller", "forged")
        .send()
        .await
        .unwrap();
    let echoed: serde_json::Value = open.json().await.unwrap();
    assert_eq!(echoed["caller"], serde_json::Value::Null);
}

#[tokio::test]
async fn user_pool_routes_take_an_id_token_of_their_pool_and_answer_401_otherwise() {
    let p = crate::identity_pools::Project::new().await;
    let t = &p.t;
    let upstream = echo_upstream().await;
    let (status, created) = t
        .manage(
            "PutRestApi",
            json!({"Name": "profile", "Stages": ["dev"], "Routes": [
                {"Path": "/me", "Method": "GET", "Authorization": "COGNITO_USER_POOLS",
                 "UserPoolId": p.user_pool, "Upstream": upstream}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["RestApi"]["Routes"][0]["UserPoolId"], p.user_pool);
    let api = created["RestApi"]["ApiId"].as_str().unwrap().to_owned();
    let url = format!("{}/restapis/{api}/dev/me", t.url());
    let id_token = p.member("bob", &["editors"]).await;
    let http = reqwest::Client::new();
    let call = |token: Option<String>| {
        let mut request = http.get(&url);
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        request.send()
    };
    let answer = call(Some(id_token.clone())).await.unwrap();
    assert_eq!(answer.status(), 200);
    let echoed: serde_json::Value = answer.json().await.unwrap();
    let claims = verified_caller(t, &api, echoed["caller"].as_str().unwrap()).await;
    assert_eq!(claims["cognitoAuthenticationType"], "user_pool");
    assert_eq!(claims["username"], "bob");
    assert_eq!(claims["groups"], json!(["editors"]));

    let access_token = t
        .sign_in(&p.client, "bob", crate::support::PASSWORD)
        .await
        .access_token
        .unwrap();
    let mut tampered = id_token.clone();
    tampered.push('x');
    for token in [
        None,
        Some(tampered),
        Some(access_token),
        Some("not-a-jwt".to_owned()),
    ] {
        let answer = call(token.clone()).await.unwrap();
        assert_eq!(answer.status(), 401, "{token:?}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body, json!({"message": "Unauthorized"}));
    }
    // A disabled user's token stops working at once.
    t.client
        .admin_disable_user()
        .user_pool_id(&p.user_pool)
        .username("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(call(Some(id_token)).await.unwrap().status(), 401);
    let (status, refused) = t
        .manage(
            "PutRestApi",
            json!({"Name": "x", "Stages": ["dev"], "Routes": [
                {"Path": "/me", "Method": "GET", "Authorization": "COGNITO_USER_POOLS", "Upstream": upstream}
            ]}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
}

#[tokio::test]
async fn a_slow_upstream_is_cut_off_with_endpoint_request_timed_out() {
    let t =
        TestServer::start_with(|c| c.rest_upstream_timeout = std::time::Duration::from_millis(300))
            .await;
    let app = axum::Router::new().fallback(|| async {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        "late"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = open_api(&t, &slow).await;
    let answer = reqwest::get(format!("{base}/wait")).await.unwrap();
    assert_eq!(answer.status(), 504);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body, json!({"message": "Endpoint request timed out"}));
}

#[tokio::test]
async fn an_api_answers_at_its_own_host_too() {
    let t = TestServer::start().await;
    let api = gateway_api(&t, &echo_upstream().await).await;
    let address: std::net::SocketAddr = t.url().trim_start_matches("http://").parse().unwrap();
    let host = format!("{api}.execute-api.localhost");
    let http = reqwest::Client::builder()
        .resolve(&host, address)
        .build()
        .unwrap();
    let url = format!("http://{host}:{}/dev/items/7?x=1", address.port());
    let answer = signed_with(&http, "GET", &url, b"", &t.root_keys(), &[]).await;
    assert_eq!(answer.status(), 200);
    let echoed: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(echoed["path"], "/items/7");
    assert_eq!(echoed["query"], "x=1");
    let answer = http
        .get(format!("http://{host}:{}/dev/nothing", address.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(error_type(&answer), "MissingAuthenticationTokenException");
    let jwks: serde_json::Value = http
        .get(format!(
            "http://{host}:{}/.well-known/jwks.json",
            address.port()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}

#[tokio::test]
async fn expired_temporary_credentials_are_refused_with_api_gateways_expired_token() {
    let p = crate::identity_pools::Project::new().await;
    let api = gateway_api(&p.t, &echo_upstream().await).await;
    let guest = p.id_of(None).await;
    let credentials = p
        .credentials(&guest, None, None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    let expired = crate::support::expired_session_token(
        p.t.data_dir.path(),
        credentials.session_token().unwrap(),
    );
    let keys = crate::support::Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: Some(&expired),
    };
    let url = format!("{}/restapis/{api}/dev/items", p.t.url());
    let answer = signed("GET", &url, b"", &keys).await;
    assert_eq!(answer.status(), 403);
    assert_eq!(error_type(&answer), "ExpiredTokenException");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        body["message"],
        "The security token included in the request is expired"
    );
    // The same credentials unexpired reach the evaluator, which finds no policy for the guest.
    let fresh = crate::support::Keys {
        token: credentials.session_token(),
        ..keys
    };
    let answer = signed("GET", &url, b"", &fresh).await;
    assert_eq!(error_type(&answer), "AccessDeniedException");
}

#[tokio::test]
async fn a_large_answer_streams_back_through_the_gateway() {
    let t = TestServer::start().await;
    const CHUNKS: usize = 64;
    const CHUNK: usize = 256 * 1024;
    // The upstream sends its first piece, then waits until the client has read it: a gateway
    // that buffered the answer would never deliver that piece, and the test would time out.
    let first_read = std::sync::Arc::new(tokio::sync::Notify::new());
    let signal = first_read.clone();
    let app = axum::Router::new().fallback(move || {
        let signal = signal.clone();
        async move {
            let chunks = futures::stream::unfold(0usize, move |i| {
                let signal = signal.clone();
                async move {
                    if i == CHUNKS {
                        return None;
                    }
                    if i == 1 {
                        signal.notified().await;
                    }
                    let piece = axum::body::Bytes::from(vec![i as u8; CHUNK]);
                    Some((Ok::<_, std::io::Error>(piece), i + 1))
                }
            });
            axum::body::Body::from_stream(chunks)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (_, created) = t
        .manage(
            "PutRestApi",
            json!({"Name": "files", "Stages": ["dev"], "Routes": [
                {"Path": "/big", "Method": "GET", "Authorization": "NONE", "Upstream": upstream}
            ]}),
        )
        .await;
    let api = created["RestApi"]["ApiId"].as_str().unwrap();
    let read_all = async {
        let mut answer = reqwest::get(format!("{}/restapis/{api}/dev/big", t.url()))
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let mut total = 0;
        while let Some(piece) = answer.chunk().await.unwrap() {
            total += piece.len();
            if total >= CHUNK {
                first_read.notify_one();
            }
        }
        total
    };
    let total = tokio::time::timeout(std::time::Duration::from_secs(20), read_all)
        .await
        .expect("the first piece arrived before the rest was sent");
    assert_eq!(total, CHUNKS * CHUNK);
}

/// An unsigned call's body streams to the upstream as it comes: here the upstream has the first
/// chunk while the client still holds the second, which it sends only once the upstream has
/// the first. A body past API Gateway's 10 MB is refused with 413, declared or streamed.
#[tokio::test]
async fn an_open_routes_body_streams_to_the_upstream_and_past_10_mb_is_refused() {
    use futures::StreamExt;
    let (first_arrived, mut arrived) = tokio::sync::mpsc::channel::<()>(1);
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let first_arrived = first_arrived.clone();
        async move {
            let mut body = request.into_body().into_data_stream();
            let mut bytes = 0;
            while let Some(chunk) = body.next().await {
                let Ok(chunk) = chunk else {
                    return (axum::http::StatusCode::BAD_REQUEST, "broken off".to_owned());
                };
                if bytes == 0 {
                    let _ = first_arrived.send(()).await;
                }
                bytes += chunk.len();
            }
            (axum::http::StatusCode::OK, bytes.to_string())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let t = TestServer::start().await;
    let (status, created) = t
        .manage(
            "PutRestApi",
            json!({"Name": "uploads", "Stages": ["dev"], "Routes": [
                {"Path": "/upload", "Method": "POST", "Authorization": "NONE", "Upstream": upstream}]}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let url = format!(
        "{}/restapis/{}/dev/upload",
        t.url(),
        created["RestApi"]["ApiId"].as_str().unwrap()
    );
    let http = reqwest::Client::new();

    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let sender = tokio::spawn(async move {
        tx.send(Ok(vec![b'a'; 1000])).await.unwrap();
        arrived
            .recv()
            .await
            .expect("the upstream has the first chunk");
        tx.send(Ok(vec![b'b'; 500])).await.unwrap();
    });
    let chunks = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let body = reqwest::Body::wrap_stream(chunks);
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        http.post(&url).body(body).send(),
    )
    .await
    .expect("the body streamed, not held back until its end")
    .unwrap();
    sender.await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "1500");

    let too_long = vec![b'x'; 10 * 1024 * 1024 + 1];
    let answer = http.post(&url).body(too_long.clone()).send().await.unwrap();
    assert_eq!(answer.status(), 413);
    assert_eq!(error_type(&answer), "RequestTooLarge");
    let streamed = futures::stream::iter(
        too_long
            .chunks(1024 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let answer = http
        .post(&url)
        .body(reqwest::Body::wrap_stream(streamed))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body, json!({"message": "Request Too Long"}));
}

#[tokio::test]
async fn calls_one_after_another_reuse_one_upstream_connection() {
    use axum::serve::ListenerExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let t = TestServer::start().await;
    let accepted = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route("/answer", axum::routing::get(|| async { "an answer" }))
        .route(
            "/nothing",
            axum::routing::delete(|| async { axum::http::StatusCode::NO_CONTENT }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let counted = accepted.clone();
    let listener = listener.tap_io(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = open_api(&t, &upstream).await;
    let http = reqwest::Client::new();
    for _ in 0..10 {
        let answer = http.get(format!("{base}/answer")).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.text().await.unwrap(), "an answer");
        let answer = http.delete(format!("{base}/nothing")).send().await.unwrap();
        assert_eq!(answer.status(), 204, "an empty answer too");
        let answer = http.head(format!("{base}/answer")).send().await.unwrap();
        assert_eq!(answer.status(), 200, "and a HEAD's");
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "thirty calls in turn, one upstream connection"
    );
}

#[tokio::test]
async fn an_upstream_that_closes_idle_connections_is_called_again_on_a_new_one() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestServer::start().await;
    // One answer per connection, kept alive by HTTP/1.1's default, and the connection closed
    // soon after, as Node.js closes its idle ones after keepAliveTimeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let read = socket.read(&mut buffer).await.unwrap();
                    assert!(read > 0, "the request came whole");
                    request.extend_from_slice(&buffer[..read]);
                }
                socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            });
        }
    });
    let base = open_api(&t, &upstream).await;
    for call in 0..3 {
        let answer = reqwest::get(format!("{base}/again")).await.unwrap();
        assert_eq!(answer.status(), 200, "call {call}");
        assert_eq!(answer.text().await.unwrap(), "ok");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

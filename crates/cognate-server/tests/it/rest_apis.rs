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
            {"Path": "/items/{id}", "Method": "GET", "Authorization": "COGNITO_USER_POOLS", "Upstream": "http://127.0.0.1:8080"}
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
    assert_eq!(api["Routes"][2]["Authorization"], "COGNITO_USER_POOLS");

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

//! IAM and STS through the official SDKs: roles, inline and managed policies, users and their
//! keys, the simulator, the errors and the paging, and the one evaluator holding IAM users to
//! their policies.

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType, Tag};

use crate::support::{error, iam_client, sts_client, user_pool_client, Keys, TestServer};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#;
const LIST_POOLS: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pools","Effect":"Allow","Action":"cognito-idp:ListUserPools","Resource":"*"}]}"#;

fn decoded(document: &str) -> serde_json::Value {
    let text = cognate_core::sigv4::percent_decode(document, false);
    serde_json::from_str(&text).expect("a JSON policy document")
}

fn iam_code<T: std::fmt::Debug, E: ProvideErrorMetadata>(result: Result<T, E>) -> String {
    error(result).0
}

#[tokio::test]
async fn roles_and_their_inline_policies_round_trip_through_the_iam_sdk() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    let created = iam
        .create_role()
        .role_name("reader")
        .assume_role_policy_document(TRUST)
        .description("reads")
        .tags(Tag::builder().key("team").value("blue").build().unwrap())
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(created.arn, "arn:aws:iam::000000000000:role/reader");
    assert!(created.role_id.starts_with("AROA"));
    let role = iam
        .get_role()
        .role_name("reader")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(
        decoded(role.assume_role_policy_document().unwrap()),
        serde_json::from_str::<serde_json::Value>(TRUST).unwrap(),
        "the trust policy comes back URL-encoded, as AWS returns it"
    );
    assert_eq!(role.description(), Some("reads"));

    iam.put_role_policy()
        .role_name("reader")
        .policy_name("pools")
        .policy_document(LIST_POOLS)
        .send()
        .await
        .unwrap();
    let policy = iam
        .get_role_policy()
        .role_name("reader")
        .policy_name("pools")
        .send()
        .await
        .unwrap();
    assert_eq!(
        decoded(&policy.policy_document),
        serde_json::from_str::<serde_json::Value>(LIST_POOLS).unwrap()
    );
    let names = iam
        .list_role_policies()
        .role_name("reader")
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names, ["pools"]);

    iam.tag_role()
        .role_name("reader")
        .tags(Tag::builder().key("env").value("dev").build().unwrap())
        .send()
        .await
        .unwrap();
    iam.untag_role()
        .role_name("reader")
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = iam
        .list_role_tags()
        .role_name("reader")
        .send()
        .await
        .unwrap()
        .tags;
    assert_eq!(tags.len(), 1);
    assert_eq!((tags[0].key(), tags[0].value()), ("env", "dev"));

    let narrower = TRUST.replace(
        r#""Action":"sts:AssumeRoleWithWebIdentity""#,
        r#""Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:00000000-0000-0000-0000-000000000000"}}"#,
    );
    iam.update_assume_role_policy()
        .role_name("reader")
        .policy_document(&narrower)
        .send()
        .await
        .unwrap();

    assert_eq!(
        error(iam.delete_role().role_name("reader").send().await),
        (
            "DeleteConflict".to_owned(),
            "Cannot delete entity, must detach all policies first.".to_owned()
        )
    );
    iam.delete_role_policy()
        .role_name("reader")
        .policy_name("pools")
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name("reader").send().await.unwrap();
    assert_eq!(
        error(iam.get_role().role_name("reader").send().await),
        (
            "NoSuchEntity".to_owned(),
            "The role with name reader cannot be found.".to_owned()
        )
    );
}

#[tokio::test]
async fn role_names_are_unique_without_regard_to_case() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    let create = |name: &'static str| {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(TRUST)
            .send()
    };
    create("Admins").await.unwrap();
    assert_eq!(iam_code(create("admins").await), "EntityAlreadyExists");
}

#[tokio::test]
async fn list_roles_pages_with_marker_and_max_items() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    for i in 0..5 {
        iam.create_role()
            .role_name(format!("role{i}"))
            .assume_role_policy_document(TRUST)
            .send()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = iam
            .list_roles()
            .max_items(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.roles.iter().map(|r| r.role_name.clone()));
        assert_eq!(page.is_truncated, page.marker.is_some());
        match page.marker {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["role0", "role1", "role2", "role3", "role4"]);
    assert_eq!(
        iam_code(iam.list_roles().marker("not-a-marker").send().await),
        "InvalidInput"
    );
}

#[tokio::test]
async fn managed_policies_attach_and_cannot_be_deleted_while_attached() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    iam.create_role()
        .role_name("app")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let policy = iam
        .create_policy()
        .policy_name("list-pools")
        .policy_document(LIST_POOLS)
        .description("lists pools")
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    let arn = policy.arn.clone().unwrap();
    assert_eq!(arn, "arn:aws:iam::000000000000:policy/list-pools");
    iam.attach_role_policy()
        .role_name("app")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let attached = iam
        .list_attached_role_policies()
        .role_name("app")
        .send()
        .await
        .unwrap()
        .attached_policies
        .unwrap();
    assert_eq!(attached[0].policy_arn(), Some(arn.as_str()));
    let fetched = iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(fetched.attachment_count, Some(1));
    let version = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap()
        .policy_version
        .unwrap();
    assert_eq!(
        decoded(version.document().unwrap()),
        serde_json::from_str::<serde_json::Value>(LIST_POOLS).unwrap()
    );
    let listed = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.policies().len(), 1);

    assert_eq!(
        iam_code(iam.delete_policy().policy_arn(&arn).send().await),
        "DeleteConflict"
    );
    assert_eq!(
        iam_code(iam.delete_role().role_name("app").send().await),
        "DeleteConflict"
    );
    iam.detach_role_policy()
        .role_name("app")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
    iam.delete_role().role_name("app").send().await.unwrap();
    assert_eq!(
        iam_code(
            iam.attach_role_policy()
                .role_name("nobody")
                .policy_arn(&arn)
                .send()
                .await
        ),
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn malformed_and_oversized_documents_are_refused_saying_where() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    iam.create_role()
        .role_name("app")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let put = |document: String| {
        iam.put_role_policy()
            .role_name("app")
            .policy_name("p")
            .policy_document(document)
            .send()
    };
    let unknown_operator = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Two","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEqualz":{"s3:prefix":"a"}}}]}"#;
    assert_eq!(
        error(put(unknown_operator.to_owned()).await),
        (
            "MalformedPolicyDocument".to_owned(),
            "Statement 2 (Sid Two): Invalid Condition type : StringEqualz.".to_owned()
        )
    );
    let (code, message) = error(put("{\"Version\":\"2012-10-17\",".to_owned()).await);
    assert_eq!(code, "MalformedPolicyDocument");
    assert!(message.contains("line 1"), "{message}");
    let statements: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{i}/*"}}"#))
        .collect();
    let huge = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    assert_eq!(iam_code(put(huge).await), "LimitExceeded");
    assert_eq!(
        iam_code(
            iam.create_role()
                .role_name("other")
                .assume_role_policy_document(LIST_POOLS)
                .send()
                .await
        ),
        "MalformedPolicyDocument",
        "a trust policy names a principal"
    );
}

#[tokio::test]
async fn an_iam_user_signs_with_its_own_keys_and_may_do_what_its_policy_allows() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    let user = iam
        .create_user()
        .user_name("backend")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(user.arn, "arn:aws:iam::000000000000:user/backend");
    let key = iam
        .create_access_key()
        .user_name("backend")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    assert!(key.access_key_id.starts_with("AKIA"));
    iam.put_user_policy()
        .user_name("backend")
        .policy_name("pools")
        .policy_document(LIST_POOLS)
        .send()
        .await
        .unwrap();
    let keys = Keys {
        id: &key.access_key_id,
        secret: &key.secret_access_key,
        token: None,
    };
    let who = sts_client(t.url(), &keys)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.arn(), Some("arn:aws:iam::000000000000:user/backend"));
    assert_eq!(who.user_id(), Some(user.user_id.as_str()));

    let pools = user_pool_client(t.url(), &keys);
    pools
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(pools.create_user_pool().pool_name("x").send().await),
        (
            "AccessDeniedException".to_owned(),
            "User: arn:aws:iam::000000000000:user/backend is not authorized to perform: cognito-idp:CreateUserPool on resource: *".to_owned()
        )
    );
    assert_eq!(
        error(iam_client(t.url(), &keys).list_roles().send().await).0,
        "AccessDenied"
    );
    // The denial is in the audit log, under the caller.
    let denied = t.server.services().audit_log(None, 10, None).await.unwrap();
    assert!(denied.iter().any(|r| r.action == "AccessDenied"
        && r.actor == "user/backend"
        && r.details["action"] == "cognito-idp:CreateUserPool"));

    let listed = iam
        .list_access_keys()
        .user_name("backend")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.access_key_metadata.len(), 1);
    assert_eq!(
        iam_code(iam.delete_user().user_name("backend").send().await),
        "DeleteConflict"
    );
    iam.delete_user_policy()
        .user_name("backend")
        .policy_name("pools")
        .send()
        .await
        .unwrap();
    iam.delete_access_key()
        .user_name("backend")
        .access_key_id(&key.access_key_id)
        .send()
        .await
        .unwrap();
    iam.delete_user().user_name("backend").send().await.unwrap();
    assert_eq!(
        error(pools.list_user_pools().max_results(10).send().await).0,
        "UnrecognizedClientException",
        "a deleted key signs nothing"
    );
}

#[tokio::test]
async fn the_simulator_reports_decisions_matched_statements_and_missing_keys() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    let private = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/private/${cognito-identity.amazonaws.com:sub}/*"},
  {"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}
]}"#;
    let entry = |key: &str, value: &str, kind| {
        ContextEntry::builder()
            .context_key_name(key)
            .context_key_values(value)
            .context_key_type(kind)
            .build()
    };
    let result = iam
        .simulate_custom_policy()
        .policy_input_list(private)
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .resource_arns("arn:aws:s3:::b/private/us-east-1:abc/photo.jpg")
        .context_entries(entry(
            "cognito-identity.amazonaws.com:sub",
            "us-east-1:abc",
            ContextKeyTypeEnum::String,
        ))
        .context_entries(entry("aws:SourceIp", "10.1.2.3", ContextKeyTypeEnum::Ip))
        .send()
        .await
        .unwrap();
    let results = result.evaluation_results();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].eval_decision,
        PolicyEvaluationDecisionType::Allowed
    );
    let matched = &results[0].matched_statements()[0];
    assert_eq!(matched.source_policy_id(), Some("PolicyInputList.1"));
    assert_eq!(matched.start_position().map(|p| p.line), Some(2));
    assert_eq!(
        results[1].eval_decision,
        PolicyEvaluationDecisionType::ImplicitDeny
    );

    let outside = iam
        .simulate_custom_policy()
        .policy_input_list(private)
        .action_names("s3:GetObject")
        .resource_arns("arn:aws:s3:::b/private/us-east-1:abc/photo.jpg")
        .send()
        .await
        .unwrap();
    let result = &outside.evaluation_results()[0];
    assert_eq!(
        result.eval_decision,
        PolicyEvaluationDecisionType::ExplicitDeny
    );
    assert!(result
        .missing_context_values()
        .contains(&"cognito-identity.amazonaws.com:sub".to_owned()));

    iam.create_role()
        .role_name("reader")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("reader")
        .policy_name("pools")
        .policy_document(LIST_POOLS)
        .send()
        .await
        .unwrap();
    let principal = iam
        .simulate_principal_policy()
        .policy_source_arn("arn:aws:iam::000000000000:role/reader")
        .action_names("cognito-idp:ListUserPools")
        .action_names("cognito-idp:DeleteUserPool")
        .send()
        .await
        .unwrap();
    let results = principal.evaluation_results();
    assert_eq!(
        results[0].eval_decision,
        PolicyEvaluationDecisionType::Allowed
    );
    assert_eq!(
        results[0].matched_statements()[0].source_policy_id(),
        Some("pools")
    );
    assert_eq!(
        results[1].eval_decision,
        PolicyEvaluationDecisionType::ImplicitDeny
    );
}

#[tokio::test]
async fn get_caller_identity_names_root() {
    let t = TestServer::start().await;
    let who = sts_client(t.url(), &t.root_keys())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.arn(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(who.account(), Some("000000000000"));
}

#[tokio::test]
async fn iam_calls_are_decided_on_the_roles_arn_path_included() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    for (name, path) in [("web", "/app/"), ("billing", "/")] {
        iam.create_role()
            .role_name(name)
            .path(path)
            .assume_role_policy_document(TRUST)
            .send()
            .await
            .unwrap();
    }
    iam.create_user().user_name("ops").send().await.unwrap();
    iam.put_user_policy()
        .user_name("ops")
        .policy_name("app-roles")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::000000000000:role/app/*"}]}"#)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("ops")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let ops = iam_client(
        t.url(),
        &Keys {
            id: &key.access_key_id,
            secret: &key.secret_access_key,
            token: None,
        },
    );
    let web = ops
        .get_role()
        .role_name("web")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(web.arn, "arn:aws:iam::000000000000:role/app/web");
    assert_eq!(
        error(ops.get_role().role_name("billing").send().await),
        (
            "AccessDenied".to_owned(),
            "User: arn:aws:iam::000000000000:user/ops is not authorized to perform: iam:GetRole on resource: arn:aws:iam::000000000000:role/billing".to_owned()
        )
    );
}

#[tokio::test]
async fn list_roles_by_path_prefix_fills_its_pages() {
    let t = TestServer::start().await;
    let iam = iam_client(t.url(), &t.root_keys());
    for (name, path) in [
        ("a", "/x/"),
        ("b", "/"),
        ("c", "/"),
        ("d", "/x/"),
        ("e", "/"),
        ("f", "/x/"),
    ] {
        iam.create_role()
            .role_name(name)
            .path(path)
            .assume_role_policy_document(TRUST)
            .send()
            .await
            .unwrap();
    }
    let first = iam
        .list_roles()
        .path_prefix("/x/")
        .max_items(2)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = first.roles.iter().map(|r| r.role_name.as_str()).collect();
    assert_eq!(names, ["a", "d"]);
    assert!(first.is_truncated);
    let rest = iam
        .list_roles()
        .path_prefix("/x/")
        .max_items(2)
        .marker(first.marker.unwrap())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = rest.roles.iter().map(|r| r.role_name.as_str()).collect();
    assert_eq!(names, ["f"]);
    assert!(!rest.is_truncated);
}

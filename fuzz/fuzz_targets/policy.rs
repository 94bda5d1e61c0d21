//! IAM policy documents: parsing never panics, and a parsed policy decides any request, under
//! any context, without panicking. The input's last line, when it holds a tab, is the request
//! (`action<TAB>resource`); the rest is the document.
#![no_main]

use cognate_iam::{evaluate, Context, Policy, PolicyKind, Request, RequestPrincipal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let (document, request) = match raw.rsplit_once('\n') {
        Some((document, last)) if last.contains('\t') => (document, last),
        _ => (raw, "s3:GetObject\tarn:aws:s3:::b/private/us-east-1:x/k"),
    };
    let (action, resource) = request.split_once('\t').unwrap_or((request, "*"));
    let contexts = [
        Context::new(),
        Context::new()
            .with("aws:username", "alice")
            .with("aws:SourceIp", "10.0.0.1")
            .with("aws:CurrentTime", "2026-01-01T00:00:00Z")
            .with("s3:max-keys", "10")
            .with("cognito-identity.amazonaws.com:sub", "us-east-1:x")
            .with_multi("cognito-identity.amazonaws.com:amr", &["authenticated", "p"])
            .with_multi("aws:TagKeys", &[]),
    ];
    let principal = RequestPrincipal {
        kind: "AWS".into(),
        ids: vec!["arn:aws:iam::000000000000:user/a".into()],
        account: Some("000000000000".into()),
    };
    for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust] {
        if let Ok(policy) = Policy::parse(document, kind) {
            for context in &contexts {
                for caller in [None, Some(&principal)] {
                    let request = Request { action, resource, principal: caller, context };
                    let evaluation = evaluate(&[&policy], &request);
                    assert!(evaluation.matched.len() <= policy.statements.len());
                }
            }
        }
    }
});

//! Properties of the decision that hold for every policy set: an explicit deny anywhere
//! denies, adding an Allow never turns an Allow into a deny, and no policies deny.

use cognate_iam::{evaluate, Context, Decision, Policy, PolicyKind, Request};
use proptest::prelude::*;

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "s3:Get*",
    "*",
    "iam:CreateRole",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/public/*",
    "arn:aws:s3:::other/*",
    "arn:aws:s3:::b/p?blic/*",
];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"StringEquals":{"aws:username":"alice"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:username":"alice"}}"#,
    r#","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*"]}}"#,
    r#","Condition":{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
];

fn statement() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        0..CONDITIONS.len(),
    )
        .prop_map(|(allow, not_action, action, resource, condition)| {
            format!(
                r#"{{"Effect":"{}","{}":"{}","Resource":"{}"{}}}"#,
                if allow { "Allow" } else { "Deny" },
                if not_action { "NotAction" } else { "Action" },
                ACTIONS[action],
                RESOURCES[resource],
                CONDITIONS[condition]
            )
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::collection::vec(statement(), 1..4).prop_map(|statements| {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        );
        Policy::parse(&text, PolicyKind::Identity).unwrap()
    })
}

fn request_context() -> impl Strategy<Value = Context> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(user, tags, ip)| {
        let mut context = Context::new();
        if user {
            context.insert("aws:username", "alice");
        }
        if tags {
            context.insert_multi("aws:TagKeys", vec!["ab".into(), "cd".into()]);
        }
        if ip {
            context.insert("aws:SourceIp", "10.1.2.3");
        }
        context
    })
}

const TARGETS: &[(&str, &str)] = &[
    ("s3:GetObject", "arn:aws:s3:::b/public/x"),
    ("s3:PutObject", "arn:aws:s3:::b/private/x"),
    ("iam:CreateRole", "arn:aws:iam::000000000000:role/r"),
];

fn decide(policies: &[Policy], target: usize, context: &Context) -> Decision {
    let refs: Vec<&Policy> = policies.iter().collect();
    let (action, resource) = TARGETS[target];
    evaluate(
        &refs,
        &Request {
            action,
            resource,
            principal: None,
            context,
        },
    )
    .decision
}

proptest! {
    #[test]
    fn an_explicit_deny_anywhere_denies(
        mut policies in prop::collection::vec(policy(), 0..4),
        target in 0..TARGETS.len(),
        context in request_context(),
        at in 0usize..4,
    ) {
        let deny_all = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#, PolicyKind::Identity).unwrap();
        let at = at.min(policies.len());
        policies.insert(at, deny_all);
        prop_assert_eq!(decide(&policies, target, &context), Decision::ExplicitDeny);
    }

    #[test]
    fn adding_an_allow_never_turns_an_allow_into_a_deny(
        mut policies in prop::collection::vec(policy(), 1..4),
        extra in statement().prop_filter("allow statements", |s| s.contains("\"Allow\"")),
        target in 0..TARGETS.len(),
        context in request_context(),
    ) {
        let before = decide(&policies, target, &context);
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{extra}]}}"#);
        policies.push(Policy::parse(&text, PolicyKind::Identity).unwrap());
        let after = decide(&policies, target, &context);
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow);
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn the_order_of_policies_does_not_change_the_decision(
        policies in prop::collection::vec(policy(), 1..4),
        target in 0..TARGETS.len(),
        context in request_context(),
    ) {
        let mut reversed = policies.clone();
        reversed.reverse();
        prop_assert_eq!(decide(&policies, target, &context), decide(&reversed, target, &context));
    }
}

#[test]
fn no_policies_deny() {
    for target in 0..TARGETS.len() {
        assert_eq!(decide(&[], target, &Context::new()), Decision::ImplicitDeny);
    }
}

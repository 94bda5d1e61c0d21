//! Cases written from the AWS documentation: each names the IAM User Guide page it comes from,
//! the policies, the request, the context and the decision AWS documents.

use cognate_iam::{evaluate, Context, Decision, Policy, PolicyKind, Request, RequestPrincipal};
use Decision::*;

struct Case {
    doc: &'static str,
    policies: &'static [&'static str],
    action: &'static str,
    resource: &'static str,
    context: &'static [(&'static str, &'static [&'static str])],
    expected: Decision,
}

/// A context entry with one value is single-valued; with several (or none) multi-valued.
fn context(entries: &[(&str, &[&str])]) -> Context {
    let mut context = Context::new();
    for (key, values) in entries {
        match values {
            [one] => context.insert(key, *one),
            many => context.insert_multi(key, many.iter().map(|v| v.to_string()).collect()),
        };
    }
    context
}

const S3_HOME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}]}"#;

const CASES: &[Case] = &[
    Case {
        doc: "reference_policies_evaluation-logic: no policy applies, so the request is implicitly denied",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_evaluation-logic: an explicit deny in any policy overrides an allow in another",
        policies: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
        ],
        action: "s3:DeleteObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: ExplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_action: action names are case-insensitive (iam:ListAccessKeys = IAM:listaccesskeys)",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"IAM:listaccesskeys","Resource":"*"}}"#],
        action: "iam:ListAccessKeys", resource: "arn:aws:iam::000000000000:user/a", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_action: wildcards inside the action name (iam:*AccessKey*)",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"*"}}"#],
        action: "iam:CreateAccessKey", resource: "arn:aws:iam::000000000000:user/a", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_notaction: Allow with NotAction grants everything else",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_notaction: Allow with NotAction does not grant the listed actions",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#],
        action: "iam:CreateUser", resource: "arn:aws:iam::000000000000:user/a", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_notaction: Deny with NotAction denies everything not listed",
        policies: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}"#,
        ],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: ExplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_resource: resources are case-sensitive",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::Bucket/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_resource: * spans slashes (bucket/*/test/* matches bucket/1/2/test/3/object.jpg)",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*/test/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/1/2/test/3/object.jpg", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_resource: bucket/*/test/* does not match bucket/1-test/object.jpg",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*/test/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/1-test/object.jpg", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_notresource: NotResource allows everything but the listed resource",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::secret/a", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_variables: ${aws:username} is substituted under 2012-10-17",
        policies: &[S3_HOME],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/home/alice/notes.txt",
        context: &[("aws:username", &["alice"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_variables: another user's home is not matched",
        policies: &[S3_HOME],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/home/bob/notes.txt",
        context: &[("aws:username", &["alice"])], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_variables (policy-vars-no-value): a missing variable in Resource matches nothing",
        policies: &[S3_HOME],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/home//notes.txt", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_variables: variables are literal text without Version 2012-10-17",
        policies: &[r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/home/${aws:username}/x",
        context: &[("aws:username", &["alice"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_variables: a default applies when the key is missing",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/company-wide/x", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_variables: a multi-valued key never substitutes",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:TagKeys}/*"}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a/x", context: &[("aws:TagKeys", &["a", "b"])], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_variables: Amplify's private/${cognito-identity.amazonaws.com:sub}/* for the identity's own key",
        policies: &[r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::b/private/${cognito-identity.amazonaws.com:sub}/*"]}]}"#],
        action: "s3:PutObject", resource: "arn:aws:s3:::b/private/us-east-1:1111/photo.jpg",
        context: &[("cognito-identity.amazonaws.com:sub", &["us-east-1:1111"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: a missing key makes a positive operator false",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/*"}}}}"#],
        action: "s3:ListBucket", resource: "arn:aws:s3:::bucket", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: Deny with StringNotEquals fires when the key is missing",
        policies: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}}"#,
        ],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: ExplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: ...IfExists holds when the key is missing",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}}}"#],
        action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1:000000000000:volume/v", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: ...IfExists is evaluated when the key is present",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}}}"#],
        action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1:000000000000:instance/i",
        context: &[("ec2:InstanceType", &["m5.large"])], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: Bool MFA false does not deny when the key is absent",
        policies: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
        ],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: Null true means the key is absent",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: Null false means the key is present",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"false"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: IpAddress with a CIDR block (203.0.113.0/24)",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:SourceIp", &["2001:db8:1234:5678::9"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: NotIpAddress holds outside the block",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:SourceIp", &["198.51.100.7"])], expected: ExplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: DateLessThan against aws:CurrentTime",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-06-30T00:00:00Z"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:CurrentTime", &["2020-04-01T12:00:00Z"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: DateGreaterThan takes epoch seconds too (aws:EpochTime)",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:EpochTime", &["1500000000"])], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: NumericLessThanEquals (s3:max-keys at most 10)",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}}"#],
        action: "s3:ListBucket", resource: "arn:aws:s3:::b", context: &[("s3:max-keys", &["10"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: ArnLike on aws:SourceArn",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sns:Publish","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::uploads-*"}}}}"#],
        action: "sns:Publish", resource: "arn:aws:sns:us-east-1:000000000000:t", context: &[("aws:SourceArn", &["arn:aws:s3:::uploads-2024"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: StringEqualsIgnoreCase",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"Blue"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:PrincipalTag/team", &["BLUE"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_elements_condition: condition key names are case-insensitive",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"AWS:PrincipalTag/Team":"blue"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:principaltag/team", &["blue"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_multi-value-conditions: ForAnyValue is false for a missing key",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_multi-value-conditions: ForAllValues is true for a missing key",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[], expected: Allow,
    },
    Case {
        doc: "reference_policies_multi-value-conditions: ForAllValues is false when one request value is not listed",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:TagKeys", &["env", "cost"])], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_multi-value-conditions: ForAnyValue:StringNotEquals {art,hr} vs {prod,art} is true",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["prod","art"]}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:TagKeys", &["art", "hr"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_multi-value-conditions: ForAllValues:StringNotEquals {art,hr} vs {prod,art} is false",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringNotEquals":{"aws:TagKeys":["prod","art"]}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:TagKeys", &["art", "hr"])], expected: ImplicitDeny,
    },
    Case {
        doc: "role-trust-and-permissions: the amr of an authenticated identity, with ForAnyValue:StringLike",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}}"#],
        action: "sts:AssumeRoleWithWebIdentity", resource: "arn:aws:iam::000000000000:role/auth",
        context: &[("cognito-identity.amazonaws.com:aud", &["us-east-1:pool"]), ("cognito-identity.amazonaws.com:amr", &["authenticated", "cognito-idp.us-east-1.amazonaws.com/us-east-1_x"])],
        expected: Allow,
    },
    Case {
        doc: "role-trust-and-permissions: a guest's amr does not satisfy the authenticated role's trust",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}}"#],
        action: "sts:AssumeRoleWithWebIdentity", resource: "arn:aws:iam::000000000000:role/auth",
        context: &[("cognito-identity.amazonaws.com:amr", &["unauthenticated", "x"])], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_variables: a missing variable in a negated condition makes it hold (policy-vars-no-value)",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:username}/"}}}}"#],
        action: "s3:ListBucket", resource: "arn:aws:s3:::b", context: &[("s3:prefix", &["x/"])], expected: Allow,
    },
    Case {
        doc: "reference_policies_multi-value-conditions: values under one key are OR'ed, keys under one operator AND'ed",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":["red","blue"],"aws:PrincipalTag/env":"prod"}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("aws:PrincipalTag/team", &["blue"]), ("aws:PrincipalTag/env", &["dev"])], expected: ImplicitDeny,
    },
    Case {
        doc: "reference_policies_elements_condition_operators: BinaryEquals compares base64 values",
        policies: &[r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}}}"#],
        action: "s3:GetObject", resource: "arn:aws:s3:::b/a", context: &[("key", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="])], expected: Allow,
    },
];

#[test]
fn every_documented_case_decides_as_aws_documents() {
    let mut failures = Vec::new();
    for case in CASES {
        let policies: Vec<Policy> = case
            .policies
            .iter()
            .map(|text| {
                Policy::parse(text, PolicyKind::Identity)
                    .unwrap_or_else(|e| panic!("{}: {e}", case.doc))
            })
            .collect();
        let policies: Vec<&Policy> = policies.iter().collect();
        let context = context(case.context);
        let request = Request {
            action: case.action,
            resource: case.resource,
            principal: None,
            context: &context,
        };
        let decision = evaluate(&policies, &request).decision;
        if decision != case.expected {
            failures.push(format!(
                "{}: got {decision:?}, expected {:?}",
                case.doc, case.expected
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn a_trust_policy_names_who_may_assume_the_role() {
    let trust = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"}}}]}"#,
        PolicyKind::Trust,
    )
    .unwrap();
    let cognito = RequestPrincipal {
        kind: "Federated".into(),
        ids: vec!["cognito-identity.amazonaws.com".into()],
        account: None,
    };
    let someone = RequestPrincipal {
        kind: "AWS".into(),
        ids: vec!["arn:aws:iam::000000000000:user/x".into()],
        account: Some("000000000000".into()),
    };
    let context = Context::new().with("cognito-identity.amazonaws.com:aud", "us-east-1:pool");
    let decide = |principal| {
        evaluate(
            &[&trust],
            &Request {
                action: "sts:AssumeRoleWithWebIdentity",
                resource: "arn:aws:iam::000000000000:role/r",
                principal,
                context: &context,
            },
        )
        .decision
    };
    assert_eq!(decide(Some(&cognito)), Allow);
    assert_eq!(decide(Some(&someone)), ImplicitDeny);
    assert_eq!(decide(None), ImplicitDeny);
}

#[test]
fn an_account_principal_names_everyone_in_the_account() {
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        PolicyKind::Resource,
    )
    .unwrap();
    let role = RequestPrincipal {
        kind: "AWS".into(),
        ids: vec!["arn:aws:sts::000000000000:assumed-role/r/s".into()],
        account: Some("000000000000".into()),
    };
    let context = Context::new();
    let request = Request {
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/k",
        principal: Some(&role),
        context: &context,
    };
    assert_eq!(evaluate(&[&policy], &request).decision, Allow);
    let anonymous = Request {
        principal: None,
        ..request
    };
    assert_eq!(evaluate(&[&policy], &anonymous).decision, ImplicitDeny);
}

#[test]
fn the_explanation_names_the_deciding_statements_and_the_missing_keys() {
    let text = "{\"Version\":\"2012-10-17\",\"Statement\":[\n  {\"Sid\":\"Read\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"},\n  {\"Sid\":\"NotFromHome\",\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}\n]}";
    let policy = Policy::parse(text, PolicyKind::Identity).unwrap();
    let context = Context::new();
    let evaluation = evaluate(
        &[&policy],
        &Request {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            principal: None,
            context: &context,
        },
    );
    assert_eq!(evaluation.decision, ExplicitDeny);
    assert_eq!(evaluation.matched.len(), 1);
    assert_eq!(evaluation.matched[0].sid.as_deref(), Some("NotFromHome"));
    assert_eq!(
        (
            evaluation.matched[0].span.start.line,
            evaluation.matched[0].span.start.column
        ),
        (3, 3)
    );
    assert_eq!(evaluation.missing_keys, vec!["aws:sourceip".to_string()]);

    let inside = Context::new().with("aws:SourceIp", "10.1.2.3");
    let evaluation = evaluate(
        &[&policy],
        &Request {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            principal: None,
            context: &inside,
        },
    );
    assert_eq!(evaluation.decision, Allow);
    assert_eq!(evaluation.matched[0].sid.as_deref(), Some("Read"));
    assert!(evaluation.missing_keys.is_empty());
}

#[test]
fn malformed_documents_are_refused_with_where_and_why() {
    let refused = |text: &str, kind| Policy::parse(text, kind).unwrap_err().0;
    assert!(refused("{\"Version\":\"2012-10-17\",", PolicyKind::Identity).contains("line 1"));
    assert!(refused(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}]}"#, PolicyKind::Identity)
        .contains("Statement 1: Invalid Condition type : StringEqualz"));
    assert!(refused(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}"#, PolicyKind::Identity).contains("prefaced by a vendor"));
    assert!(refused(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#, PolicyKind::Identity).contains("should not specify a principal"));
    assert!(refused(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
        PolicyKind::Trust
    )
    .contains("Missing required field Principal"));
    assert!(refused(r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#, PolicyKind::Identity).contains("Statement 1 (Sid A): Effect"));
    assert!(refused(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}"#, PolicyKind::Identity).contains("cannot be read as a number"));
    assert!(refused(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}}"#, PolicyKind::Identity).contains("ARN format"));
    assert!(refused(
        r#"{"Version":"2013-01-01","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        PolicyKind::Identity
    )
    .contains("Version"));
    assert!(refused(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:Null":{"k":"true"}}}}"#, PolicyKind::Identity).contains("Invalid Condition type"));
}

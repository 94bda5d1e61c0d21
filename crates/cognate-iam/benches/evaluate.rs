//! One decision over an Amplify-sized role: the group's `<Group>-group-s3-policy` plus the
//! auth role's storage policies, as `amplify add storage` generates them. Target: under 2 µs.

use cognate_iam::{evaluate, Context, Policy, PolicyKind, Request};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const GROUP_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::photos-dev/*"]},
 {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::photos-dev"]}]}"#;
const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::photos-dev/public/*"]}]}"#;
const PROTECTED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::photos-dev/protected/${cognito-identity.amazonaws.com:sub}/*"]}]}"#;
const PRIVATE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::photos-dev/private/${cognito-identity.amazonaws.com:sub}/*"]}]}"#;
const READ: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos-dev/protected/*"]},
 {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::photos-dev"],"Condition":{"StringLike":{"s3:prefix":["public/","public/*","protected/","protected/*","private/${cognito-identity.amazonaws.com:sub}/","private/${cognito-identity.amazonaws.com:sub}/*"]}}}]}"#;
const UPLOADS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::photos-dev/uploads/*"]}]}"#;

fn decision(c: &mut Criterion) {
    let policies: Vec<Policy> = [GROUP_POLICY, PUBLIC, PROTECTED, PRIVATE, READ, UPLOADS]
        .iter()
        .map(|text| Policy::parse(text, PolicyKind::Identity).unwrap())
        .collect();
    let policies: Vec<&Policy> = policies.iter().collect();
    let context = Context::new()
        .with(
            "cognito-identity.amazonaws.com:sub",
            "us-east-1:7d1e2f3a-0000-4000-8000-000000000001",
        )
        .with("aws:SourceIp", "127.0.0.1")
        .with(
            "s3:prefix",
            "private/us-east-1:7d1e2f3a-0000-4000-8000-000000000001/",
        );
    let private_object = Request {
        action: "s3:GetObject",
        resource:
            "arn:aws:s3:::photos-dev/private/us-east-1:7d1e2f3a-0000-4000-8000-000000000001/cat.jpg",
        principal: None,
        context: &context,
    };
    c.bench_function("amplify role: GetObject on a private key", |b| {
        b.iter(|| evaluate(black_box(&policies), black_box(&private_object)))
    });
    let listing = Request {
        action: "s3:ListBucket",
        resource: "arn:aws:s3:::photos-dev",
        principal: None,
        context: &context,
    };
    c.bench_function("amplify role: ListBucket with s3:prefix", |b| {
        b.iter(|| evaluate(black_box(&policies), black_box(&listing)))
    });
    let denied = Request {
        action: "s3:PutBucketPolicy",
        resource: "arn:aws:s3:::photos-dev",
        principal: None,
        context: &context,
    };
    c.bench_function("amplify role: implicit deny", |b| {
        b.iter(|| evaluate(black_box(&policies), black_box(&denied)))
    });
}

criterion_group!(benches, decision);
criterion_main!(benches);

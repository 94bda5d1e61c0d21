//! Micro-benchmarks of the costs every request pays: token signing and verification, Argon2id
//! at cognate's parameters, SigV4 verification, the preferred-role rule and SRP's server side.
//! `cargo bench -p cognate-core`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;

use cognate_core::claims::preferred_role;
use cognate_core::crypto::PasswordHasherConfig;
use cognate_core::ids::{GroupName, PoolId, Timestamp};
use cognate_core::model::{Group, TokenUse};
use cognate_core::sigv4::{self, Authorization, SignedRequest};
use cognate_core::srp;
use cognate_core::tokens::{generate_rsa_key, verify, ActiveKey};

fn tokens(c: &mut Criterion) {
    let generated = generate_rsa_key().unwrap();
    let key = ActiveKey::new(
        "kid".into(),
        TokenUse::Access,
        &generated.private_der,
        &generated.n,
        &generated.e,
    )
    .unwrap();
    let now = Timestamp::now().epoch_secs();
    let claims = json!({"sub": "s", "iss": "http://x/us-east-1_a", "token_use": "access", "exp": now + 3600, "iat": now,
                        "client_id": "c", "scope": "aws.cognito.signin.user.admin", "username": "u"})
        .as_object()
        .unwrap()
        .clone();
    c.bench_function("token sign (RS256)", |b| {
        b.iter(|| key.sign(black_box(&claims)).unwrap())
    });
    let token = key.sign(&claims).unwrap();
    let keys = [key];
    c.bench_function("token verify (RS256, claims)", |b| {
        b.iter(|| {
            verify(
                black_box(&token),
                TokenUse::Access,
                "http://x/us-east-1_a",
                &keys,
            )
            .unwrap()
        })
    });
}

fn passwords(c: &mut Criterion) {
    let hasher = PasswordHasherConfig::default();
    let phc = hasher.hash("Bench-Pass-1").unwrap();
    let mut group = c.benchmark_group("argon2");
    group.sample_size(20);
    group.bench_function(format!("verify ({})", hasher.describe()), |b| {
        b.iter(|| assert!(hasher.verify(black_box("Bench-Pass-1"), &phc)))
    });
    group.finish();
}

fn signatures(c: &mut Criterion) {
    let headers = vec![
        ("host".to_owned(), "127.0.0.1:9230".to_owned()),
        ("x-amz-date".to_owned(), "20261126T120000Z".to_owned()),
        (
            "x-amz-target".to_owned(),
            "AWSCognitoIdentityProviderService.AdminGetUser".to_owned(),
        ),
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
    ];
    let body = br#"{"UserPoolId":"us-east-1_abcdefghi","Username":"alice"}"#;
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    let mut auth = Authorization::parse(
        "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0",
    )
    .unwrap();
    auth.signature = sigv4::expected_signature(&request, &auth, "20261126T120000Z", "secret");
    let now = sigv4::parse_amz_date("20261126T120100Z").unwrap();
    c.bench_function("sigv4 verify", |b| {
        b.iter(|| sigv4::verify(black_box(&request), &auth, "secret", now).unwrap())
    });
}

fn groups(c: &mut Criterion) {
    let pool = PoolId::parse("us-east-1_bench").unwrap();
    let groups: Vec<Group> = (0..100)
        .map(|i| Group {
            pool_id: pool.clone(),
            name: GroupName::parse(&format!("g{i}")).unwrap(),
            description: None,
            precedence: Some(100 - i),
            role_arn: Some(format!("arn:aws:iam::000000000000:role/r{}", i % 7)),
            created: Timestamp(0),
            modified: Timestamp(0),
        })
        .collect();
    c.bench_function("preferred role of 100 groups", |b| {
        b.iter(|| preferred_role(black_box(&groups)))
    });
}

fn srp_server(c: &mut Criterion) {
    let verifier = srp::verifier("pool", "user", "Bench-Pass-1", &[7u8; 16]);
    let client_public = srp::client::public(&[9u8; 32]);
    let b = [5u8; 32];
    let mut group = c.benchmark_group("srp");
    group.sample_size(20);
    group.bench_function("server: B = k·v + g^b", |bench| {
        bench.iter(|| srp::server_public(black_box(&verifier), &b).unwrap())
    });
    let server_public = srp::server_public(&verifier, &b).unwrap();
    group.bench_function("server: S = (A·v^u)^b, key", |bench| {
        bench.iter(|| {
            srp::session_key(black_box(&client_public), &server_public, &b, &verifier).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, tokens, passwords, signatures, groups, srp_server);
criterion_main!(benches);

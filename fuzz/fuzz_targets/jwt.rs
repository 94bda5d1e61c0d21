//! Token verification on arbitrary input: never panics, and never accepts a token that this
//! key did not sign.
#![no_main]

use std::sync::OnceLock;

use cognate_core::model::TokenUse;
use cognate_core::tokens::{generate_rsa_key, verify, ActiveKey};
use libfuzzer_sys::fuzz_target;

const ISSUER: &str = "http://127.0.0.1:9230/us-east-1_fuzz";

fn keys() -> &'static [ActiveKey] {
    static KEYS: OnceLock<Vec<ActiveKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = generate_rsa_key().expect("key");
        vec![ActiveKey::new(
            "fuzz-kid".into(),
            TokenUse::Access,
            &key.private_der,
            &key.n,
            &key.e,
        )
        .expect("active key")]
    })
}

fuzz_target!(|token: &str| {
    for token_use in [TokenUse::Access, TokenUse::Id] {
        assert!(
            verify(token, token_use, ISSUER, keys()).is_err(),
            "accepted a token it did not sign: {token}"
        );
    }
});

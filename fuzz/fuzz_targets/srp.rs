//! The SRP inputs a client controls: SRP_A, the secret block and the timestamp. Parsing and
//! the server's computations never panic.
#![no_main]

use cognate_core::srp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let (a, rest) = raw.split_once('\n').unwrap_or((raw, ""));
    let _ = cognate_core::service::parse_srp_timestamp(rest);
    let Ok(client_public) = srp::parse_client_public(a) else {
        return;
    };
    let b = [7u8; 32];
    let verifier = srp::verifier("fuzz", "user", "Password-1", &[1, 2, 3]);
    if let Some(server_public) = srp::server_public(&verifier, &b) {
        if let Some(key) = srp::session_key(&client_public, &server_public, &b, &verifier) {
            let _ = srp::password_claim_signature(&key, "fuzz", "user", rest.as_bytes(), rest);
        }
    }
});

//! SRP-6a as Cognito does it (USER_SRP_AUTH): RFC 5054's 3072-bit group, SHA-256, Cognito's
//! padding and key derivation. Pure functions over bytes; constant-time modular arithmetic
//! (crypto-bigint) because exponents are secrets.
//!
//! Integers cross this module's edge as big-endian bytes. `pad` is Cognito's canonical form of
//! an integer for hashing: minimal bytes, with a 0x00 prefix when the top bit is set.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding, U3072};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// RFC 3526 group 15, the N of Cognito's SRP.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// Secret exponents (b, x, u) are SHA-256 sized or drawn at that size.
const EXPONENT_BITS: usize = 256;

fn n() -> U3072 {
    U3072::from_be_hex(N_HEX)
}

fn params() -> DynResidueParams<{ U3072::LIMBS }> {
    DynResidueParams::new(&n())
}

fn residue(x: &U3072) -> DynResidue<{ U3072::LIMBS }> {
    DynResidue::new(x, params())
}

/// Big-endian bytes (at most 384) to an integer.
fn to_uint(bytes: &[u8]) -> Result<U3072> {
    let bytes = strip(bytes);
    if bytes.len() > 384 {
        return Err(Error::invalid("SRP value is too large"));
    }
    let mut padded = [0u8; 384];
    padded[384 - bytes.len()..].copy_from_slice(bytes);
    Ok(U3072::from_be_bytes(padded))
}

fn strip(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Minimal big-endian bytes of an integer (empty for zero).
fn to_bytes(x: &U3072) -> Vec<u8> {
    strip(&x.to_be_bytes()).to_vec()
}

/// Cognito's canonical form of an integer for hashing.
pub fn pad(bytes: &[u8]) -> Vec<u8> {
    let minimal = strip(bytes);
    let mut out = Vec::with_capacity(minimal.len() + 1);
    if minimal.first().is_none_or(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(minimal);
    out
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The multiplier k = H(PAD(N) ‖ PAD(g)).
pub fn k() -> [u8; 32] {
    sha256(&[&pad(&to_bytes(&n())), &pad(&[2])])
}

/// x = H(PAD(salt) ‖ H(poolName ‖ userId ‖ ":" ‖ password)).
fn private_key(pool_name: &str, user_id: &str, password: &str, salt: &[u8]) -> U3072 {
    let inner = sha256(&[
        pool_name.as_bytes(),
        user_id.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    let x = sha256(&[&pad(salt), &inner]);
    to_uint(&x).expect("32 bytes fit")
}

/// The verifier v = g^x mod N stored for a password.
pub fn verifier(pool_name: &str, user_id: &str, password: &str, salt: &[u8]) -> Vec<u8> {
    let x = private_key(pool_name, user_id, password, salt);
    to_bytes(
        &residue(&U3072::from_u8(2))
            .pow_bounded_exp(&x, EXPONENT_BITS)
            .retrieve(),
    )
}

/// The client's public value A, checked: 1 ≤ A < N (so A mod N ≠ 0).
pub fn parse_client_public(hex_a: &str) -> Result<Vec<u8>> {
    let invalid = || Error::invalid("SRP_A must be a positive hexadecimal number below N");
    if hex_a.is_empty() || hex_a.len() > 2 * 385 {
        return Err(invalid());
    }
    let padded = if hex_a.len() % 2 == 1 {
        format!("0{hex_a}")
    } else {
        hex_a.to_owned()
    };
    let bytes = hex::decode(padded).map_err(|_| invalid())?;
    let a = to_uint(&bytes).map_err(|_| invalid())?;
    if bool::from(crypto_bigint::subtle::ConstantTimeEq::ct_eq(
        &a,
        &U3072::ZERO,
    )) || a >= n()
    {
        return Err(Error::NotAuthorized(
            "Incorrect username or password.".into(),
        ));
    }
    Ok(strip(&bytes).to_vec())
}

/// B = (k·v + g^b) mod N for the secret b (32 random bytes). None if B ≡ 0: draw b again.
pub fn server_public(verifier: &[u8], b: &[u8; 32]) -> Option<Vec<u8>> {
    let k = residue(&to_uint(&k()).expect("32 bytes fit"));
    let v = residue(&to_uint(verifier).ok()?);
    let g_b = residue(&U3072::from_u8(2))
        .pow_bounded_exp(&to_uint(b).expect("32 bytes fit"), EXPONENT_BITS);
    let public = k.mul(&v).add(&g_b).retrieve();
    (public != U3072::ZERO).then(|| to_bytes(&public))
}

/// The 16-byte key both sides derive: S = (A·v^u)^b mod N with u = H(PAD(A) ‖ PAD(B)), then
/// HKDF-SHA256(salt = PAD(u), ikm = PAD(S), info = "Caldera Derived Key"). None when u = 0.
pub fn session_key(
    client_public: &[u8],
    server_public: &[u8],
    b: &[u8; 32],
    verifier: &[u8],
) -> Option<[u8; 16]> {
    let u = sha256(&[&pad(client_public), &pad(server_public)]);
    if u.iter().all(|byte| *byte == 0) {
        return None;
    }
    let a = residue(&to_uint(client_public).ok()?);
    let v = residue(&to_uint(verifier).ok()?);
    let u_int = to_uint(&u).expect("32 bytes fit");
    let base = a.mul(&v.pow_bounded_exp(&u_int, EXPONENT_BITS));
    let s = base
        .pow_bounded_exp(&to_uint(b).expect("32 bytes fit"), EXPONENT_BITS)
        .retrieve();
    let prk = hmac(&pad(&u), &[&pad(&to_bytes(&s))]);
    let okm = hmac(&prk, &[b"Caldera Derived Key", &[1]]);
    let mut key = [0u8; 16];
    key.copy_from_slice(&okm[..16]);
    Some(key)
}

/// PASSWORD_CLAIM_SIGNATURE = HMAC(key, poolName ‖ userId ‖ secretBlock ‖ timestamp).
pub fn password_claim_signature(
    key: &[u8; 16],
    pool_name: &str,
    user_id: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> [u8; 32] {
    hmac(
        key,
        &[
            pool_name.as_bytes(),
            user_id.as_bytes(),
            secret_block,
            timestamp.as_bytes(),
        ],
    )
}

/// The client's side of the handshake, for tests and the load tool: A for the secret a, and
/// the signature a client with `password` would send.
pub mod client {
    use super::*;

    pub fn public(a: &[u8; 32]) -> Vec<u8> {
        to_bytes(
            &residue(&U3072::from_u8(2))
                .pow_bounded_exp(&to_uint(a).expect("32 bytes fit"), EXPONENT_BITS)
                .retrieve(),
        )
    }

    /// S = (B − k·g^x)^(a + u·x) mod N, then the same key derivation as the server.
    #[allow(clippy::too_many_arguments)]
    pub fn signature(
        a: &[u8; 32],
        server_public: &[u8],
        salt: &[u8],
        pool_name: &str,
        user_id: &str,
        password: &str,
        secret_block: &[u8],
        timestamp: &str,
    ) -> Option<[u8; 32]> {
        let client_public = public(a);
        let u = sha256(&[&pad(&client_public), &pad(server_public)]);
        let x = private_key(pool_name, user_id, password, salt);
        let g = residue(&U3072::from_u8(2));
        let k = residue(&to_uint(&k()).expect("32 bytes fit"));
        let b_res = residue(&to_uint(server_public).ok()?);
        let base = b_res.sub(&k.mul(&g.pow_bounded_exp(&x, EXPONENT_BITS)));
        // The exponent a + u·x is computed over the integers (at most 513 bits).
        let u_int = to_uint(&u).expect("32 bytes fit");
        let exponent = to_uint(a)
            .expect("32 bytes fit")
            .wrapping_add(&u_int.wrapping_mul(&x));
        let s = base
            .pow_bounded_exp(&exponent, 2 * EXPONENT_BITS + 1)
            .retrieve();
        let prk = hmac(&pad(&u), &[&pad(&to_bytes(&s))]);
        let okm = hmac(&prk, &[b"Caldera Derived Key", &[1]]);
        let mut key = [0u8; 16];
        key.copy_from_slice(&okm[..16]);
        Some(password_claim_signature(
            &key,
            pool_name,
            user_id,
            secret_block,
            timestamp,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_is_cognitos_multiplier() {
        assert_eq!(
            hex::encode(k()),
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
    }

    #[test]
    fn padding_adds_a_zero_byte_only_when_the_top_bit_is_set() {
        assert_eq!(pad(&[0x7f, 1]), vec![0x7f, 1]);
        assert_eq!(pad(&[0x80, 1]), vec![0, 0x80, 1]);
        assert_eq!(pad(&[0, 0, 0x12]), vec![0x12]);
        assert_eq!(pad(&[0, 0x9a]), vec![0, 0x9a]);
    }

    #[test]
    fn client_and_server_derive_the_same_signature() {
        let salt = [0x8fu8; 16];
        let v = verifier("pool123", "alice", "Correct-Horse-1", &salt);
        let a = [7u8; 32];
        let b = [9u8; 32];
        let big_a = client::public(&a);
        let big_b = server_public(&v, &b).unwrap();
        let key = session_key(&big_a, &big_b, &b, &v).unwrap();
        let expected = password_claim_signature(
            &key,
            "pool123",
            "alice",
            b"block",
            "Wed Mar 6 12:34:56 UTC 2024",
        );
        let sent = client::signature(
            &a,
            &big_b,
            &salt,
            "pool123",
            "alice",
            "Correct-Horse-1",
            b"block",
            "Wed Mar 6 12:34:56 UTC 2024",
        )
        .unwrap();
        assert_eq!(sent, expected);
        let wrong = client::signature(
            &a,
            &big_b,
            &salt,
            "pool123",
            "alice",
            "wrong",
            b"block",
            "Wed Mar 6 12:34:56 UTC 2024",
        )
        .unwrap();
        assert_ne!(wrong, expected);
    }

    /// A handshake computed by pycognito (tests/fixtures/make_srp_fixture.py): our server side
    /// must derive the signature that independent client sent.
    #[test]
    fn the_server_side_agrees_with_pycognito() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/srp_handshake.json")).unwrap();
        let field = |name: &str| fixture[name].as_str().unwrap().to_owned();
        let bytes = |name: &str| {
            let hex_value = field(name);
            hex::decode(if hex_value.len() % 2 == 1 {
                format!("0{hex_value}")
            } else {
                hex_value
            })
            .unwrap()
        };
        let pool_name = field("pool_id").split_once('_').unwrap().1.to_owned();
        let v = verifier(
            &pool_name,
            &field("user_id"),
            &field("password"),
            &bytes("salt"),
        );
        assert_eq!(v, strip(&bytes("verifier")));
        let b: [u8; 32] = bytes("b").try_into().unwrap();
        let big_b = server_public(&v, &b).unwrap();
        assert_eq!(big_b, strip(&bytes("srp_b")));
        let a: [u8; 32] = bytes("a").try_into().unwrap();
        assert_eq!(client::public(&a), strip(&bytes("srp_a")));

        let big_a = parse_client_public(&field("srp_a")).unwrap();
        let key = session_key(&big_a, &big_b, &b, &v).unwrap();
        use base64::Engine;
        let block = base64::engine::general_purpose::STANDARD
            .decode(field("secret_block"))
            .unwrap();
        let expected = password_claim_signature(
            &key,
            &pool_name,
            &field("user_id"),
            &block,
            &field("timestamp"),
        );
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(expected),
            field("signature")
        );
    }

    #[test]
    fn client_public_values_are_checked() {
        let n_hex = N_HEX.to_lowercase();
        assert!(matches!(
            parse_client_public("0"),
            Err(Error::NotAuthorized(_))
        ));
        assert!(
            matches!(parse_client_public(&n_hex), Err(Error::NotAuthorized(_))),
            "A = N is A mod N = 0"
        );
        assert!(matches!(
            parse_client_public("xyz"),
            Err(Error::InvalidParameter(_))
        ));
        assert!(matches!(
            parse_client_public(""),
            Err(Error::InvalidParameter(_))
        ));
        assert!(matches!(
            parse_client_public(&"f".repeat(800)),
            Err(Error::InvalidParameter(_))
        ));
        assert_eq!(parse_client_public("0abc").unwrap(), vec![0x0a, 0xbc]);
        assert_eq!(parse_client_public("abc").unwrap(), vec![0x0a, 0xbc]);
    }
}

//! JSON Web Tokens: RSA key generation, RS256 signing and full verification (signature, `alg`,
//! `kid`, `iss`, `exp`, `token_use`). Revocation is checked by the caller against the store.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::TokenUse;

/// A freshly generated RSA key: the private half as PKCS#1 DER, the public half as the JWKS
/// publishes it.
pub struct GeneratedKey {
    pub private_der: zeroize::Zeroizing<Vec<u8>>,
    pub n: String,
    pub e: String,
}

/// RSA-2048 generation takes tens of milliseconds: call from a blocking thread.
pub fn generate_rsa_key() -> Result<GeneratedKey> {
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
        .map_err(Error::caused_by("generating an RSA key"))?;
    let der = key
        .to_pkcs1_der()
        .map_err(Error::caused_by("encoding an RSA key"))?;
    Ok(GeneratedKey {
        private_der: zeroize::Zeroizing::new(der.as_bytes().to_vec()),
        n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// An RS256 public key as a JWKS lists it.
pub fn rs256_jwk(kid: &str, n: &str, e: &str) -> Value {
    serde_json::json!({"alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"})
}

/// A pool key ready to sign and verify.
#[derive(Clone)]
pub struct ActiveKey {
    pub kid: String,
    pub token_use: TokenUse,
    signing: Arc<RsaKeyPair>,
    decoding: DecodingKey,
}

impl ActiveKey {
    pub fn new(
        kid: String,
        token_use: TokenUse,
        private_der: &[u8],
        n: &str,
        e: &str,
    ) -> Result<Self> {
        let decoding = DecodingKey::from_rsa_components(n, e)
            .map_err(Error::caused_by("reading a public key"))?;
        let signing = RsaKeyPair::from_der(private_der)
            .map_err(|e| Error::internal(format!("signing key: {e}")))?;
        Ok(ActiveKey {
            kid,
            token_use,
            signing: Arc::new(signing),
            decoding,
        })
    }

    /// A compact RS256 JWS of `claims`. Written here rather than with `jsonwebtoken::encode`,
    /// which parses and checks the private key anew for every token: that was half the cost
    /// of a signature (BENCHMARKS.md). The key is parsed once, in [`ActiveKey::new`].
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let mut token = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(&header).map_err(Error::caused_by("encoding a token header"))?
            ),
            URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(claims).map_err(Error::caused_by("encoding token claims"))?
            )
        );
        let mut signature = vec![0; self.signing.public_modulus_len()];
        self.signing
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::internal("RS256 signature failed"))?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(token)
    }
}

/// Verifies a token completely and returns its claims. Every failure is the same
/// NotAuthorizedException a client can act on ("Invalid ... token"); details are not leaked.
pub fn verify(
    token: &str,
    expected_use: TokenUse,
    issuer: &str,
    keys: &[ActiveKey],
) -> Result<Map<String, Value>> {
    let invalid = || {
        Error::NotAuthorized(match expected_use {
            TokenUse::Access => "Invalid Access Token".into(),
            TokenUse::Id => "Invalid ID Token".into(),
        })
    };
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
    if header.alg != Algorithm::RS256 {
        return Err(invalid());
    }
    let kid = header.kid.ok_or_else(invalid)?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid && k.token_use == expected_use)
        .ok_or_else(invalid)?;

    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                Error::NotAuthorized(match expected_use {
                    TokenUse::Access => "Access Token has expired".into(),
                    TokenUse::Id => "ID Token has expired".into(),
                })
            }
            _ => invalid(),
        })?;
    let claims = data.claims;
    if claims.get("token_use").and_then(Value::as_str) != Some(expected_use.as_str()) {
        return Err(invalid());
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(use_: TokenUse) -> ActiveKey {
        let g = generate_rsa_key().unwrap();
        ActiveKey::new(
            uuid::Uuid::new_v4().to_string(),
            use_,
            &g.private_der,
            &g.n,
            &g.e,
        )
        .unwrap()
    }

    fn claims(token_use: &str, exp_offset: i64) -> Map<String, Value> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        json!({"sub": "s", "iss": "http://issuer/p", "token_use": token_use, "exp": now + exp_offset, "iat": now})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn tokens_verify_only_with_their_key_issuer_and_use() {
        let access = key(TokenUse::Access);
        let other = key(TokenUse::Access);
        let token = access.sign(&claims("access", 600)).unwrap();
        let keys = [access.clone()];

        assert!(verify(&token, TokenUse::Access, "http://issuer/p", &keys).is_ok());
        assert!(verify(&token, TokenUse::Access, "http://issuer/other", &keys).is_err());
        assert!(verify(&token, TokenUse::Id, "http://issuer/p", &keys).is_err());
        // Same kid, another key: the signature fails.
        let impostor = ActiveKey {
            kid: access.kid.clone(),
            ..other
        };
        assert!(verify(&token, TokenUse::Access, "http://issuer/p", &[impostor]).is_err());
    }

    #[test]
    fn expired_and_mislabelled_tokens_are_rejected() {
        let access = key(TokenUse::Access);
        let keys = [access.clone()];
        let expired = access.sign(&claims("access", -5)).unwrap();
        assert_eq!(
            verify(&expired, TokenUse::Access, "http://issuer/p", &keys).unwrap_err(),
            Error::NotAuthorized("Access Token has expired".into())
        );
        let id_use = access.sign(&claims("id", 600)).unwrap();
        assert!(verify(&id_use, TokenUse::Access, "http://issuer/p", &keys).is_err());
    }

    #[test]
    fn unsigned_and_altered_tokens_are_rejected() {
        let access = key(TokenUse::Access);
        let keys = [access.clone()];
        let token = access.sign(&claims("access", 600)).unwrap();
        let parts: Vec<&str> = token.split('.').collect();

        let none_header =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, access.kid));
        let alg_none = format!("{none_header}.{}.", parts[1]);
        assert!(verify(&alg_none, TokenUse::Access, "http://issuer/p", &keys).is_err());

        let mut payload = claims("access", 600);
        payload.insert("sub".into(), json!("someone-else"));
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
        let altered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert!(verify(&altered, TokenUse::Access, "http://issuer/p", &keys).is_err());
    }
}

//! Small, well-known primitives: sealing secrets at rest, password hashing, random tokens.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Seals secrets (private keys, client secrets, messages) under the server's master key with
/// AES-256-GCM. Output is `nonce ‖ ciphertext`.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    mac_key: Zeroizing<Vec<u8>>,
}

impl SecretBox {
    pub const KEY_LEN: usize = 32;

    pub fn new(master_key: &[u8]) -> Result<Self> {
        let cipher = Aes256Gcm::new_from_slice(master_key)
            .map_err(|_| Error::internal("master key must be 32 bytes"))?;
        let mac_key = {
            use hmac::{Hmac, Mac};
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master_key)
                .expect("HMAC takes any key length");
            mac.update(b"cognate mac key");
            Zeroizing::new(mac.finalize().into_bytes().to_vec())
        };
        Ok(SecretBox { cipher, mac_key })
    }

    pub fn generate_key() -> Zeroizing<Vec<u8>> {
        let mut key = Zeroizing::new(vec![0u8; Self::KEY_LEN]);
        OsRng.fill_bytes(&mut key);
        key
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        // Encryption with a fresh nonce and an in-memory buffer cannot fail.
        out.extend(
            self.cipher
                .encrypt(&nonce, plain)
                .expect("AES-GCM encryption"),
        );
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if sealed.len() < 12 {
            return Err(Error::internal("sealed value too short"));
        }
        let (nonce, ciphertext) = sealed.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| Error::internal("sealed value does not open under the master key"))
    }

    /// A keyed hash under a key derived from the master key: stable answers that only this
    /// server can compute (decoy SRP salts for unknown users).
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key)
            .expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    pub fn open_string(&self, sealed: &[u8]) -> Result<String> {
        let plain = self.open(sealed)?;
        String::from_utf8(plain.to_vec()).map_err(Error::caused_by("decoding an opened secret"))
    }
}

thread_local! {
    /// Argon2's 19 MiB of working memory, kept by each thread that hashes or verifies passwords.
    /// Allocating it afresh each time cost page faults and zeroing on every sign-in, about a
    /// tenth of the sign-in's time, and each thread's allocator kept the freed block besides
    /// (BENCHMARKS.md). Every block is written before it is read, so what a previous hash left
    /// here plays no part in the next.
    static WORKING_MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs Argon2 in this thread's [`WORKING_MEMORY`].
fn hash_into(
    argon2: &Argon2<'_>,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let blocks = argon2.params().block_count();
    WORKING_MEMORY.with_borrow_mut(|memory| {
        memory.resize(blocks, Block::default());
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
    })
}

/// Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
#[derive(Clone)]
pub struct PasswordHasherConfig {
    params: Params,
}

impl Default for PasswordHasherConfig {
    fn default() -> Self {
        PasswordHasherConfig {
            params: Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
        }
    }
}

impl PasswordHasherConfig {
    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn describe(&self) -> String {
        format!(
            "argon2id m={} KiB t={} p={}",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost()
        )
    }

    pub fn hash(&self, password: &str) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let raw_salt = salt.decode_b64(&mut salt_bytes).map_err(Error::internal)?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        hash_into(&self.argon2(), password, raw_salt, &mut out).map_err(Error::internal)?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&self.params).try_into().map_err(Error::internal)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(Error::internal)?),
        };
        Ok(hash.to_string())
    }

    pub fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
            return false;
        };
        let (Ok(algorithm), Ok(params)) =
            (Algorithm::try_from(hash.algorithm), Params::try_from(&hash))
        else {
            return false;
        };
        let version = match hash.version.map(Version::try_from) {
            None => Version::V0x13,
            Some(Ok(version)) => version,
            Some(Err(_)) => return false,
        };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
            return false;
        };
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let mut out = Zeroizing::new(vec![0u8; expected.len()]);
        let hashed = if params.block_count() <= self.params.block_count() {
            hash_into(&argon2, password, salt, &mut out)
        } else {
            // A hash made with more memory than ours (an import): not kept around afterwards.
            argon2.hash_password_into(password.as_bytes(), salt, &mut out)
        };
        hashed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
    }

    /// Burns the same time as a real verification, so that an unknown user answers as slowly
    /// as a wrong password.
    pub fn verify_dummy(&self, password: &str) {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let phc = DUMMY.get_or_init(|| self.hash("dummy password").unwrap_or_default());
        let _ = self.verify(password, phc);
    }
}

/// 32 random bytes, base64url: refresh tokens, sessions, ids.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A secret access key shaped like AWS's: 40 characters of base64 (30 random bytes).
pub fn random_secret_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes::<30>())
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Six random digits, as Cognito's codes.
pub fn random_code() -> String {
    format!("{:06}", OsRng.next_u32() % 1_000_000)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn sealed_secrets_open_only_under_their_key() {
        let a = SecretBox::new(&SecretBox::generate_key()).unwrap();
        let b = SecretBox::new(&SecretBox::generate_key()).unwrap();
        let sealed = a.seal(b"private key");
        assert_ne!(&sealed[12..], b"private key");
        assert_eq!(&a.open(&sealed).unwrap()[..], b"private key");
        assert!(b.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(a.open(&tampered).is_err());
    }

    #[test]
    fn password_hashes_are_argon2id_and_verify() {
        let hasher = PasswordHasherConfig::default();
        let phc = hasher.hash("Correct-Horse1").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify("Correct-Horse1", &phc));
        assert!(!hasher.verify("correct-horse1", &phc));
        assert!(!hasher.verify("x", "not a hash"));
    }

    #[test]
    fn hashes_made_with_other_parameters_still_verify() {
        let ours = PasswordHasherConfig::default();
        for (m, t, p) in [(8 * 1024, 1, 1), (32 * 1024, 1, 2), (19 * 1024, 2, 1)] {
            let other = PasswordHasherConfig {
                params: Params::new(m, t, p, None).unwrap(),
            };
            let phc = other.hash("Correct-Horse1").unwrap();
            assert!(ours.verify("Correct-Horse1", &phc), "{phc}");
            assert!(!ours.verify("Correct-Horse2", &phc), "{phc}");
        }
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::default())
            .hash_password(b"Correct-Horse1", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(ours.verify("Correct-Horse1", &argon2i));
        assert!(!ours.verify("Correct-Horse2", &argon2i));
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = random_code();
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
    }
}

//! Access tokens already verified, by their exact text, until they expire.
//!
//! A client sends the same access token with every call; checking its RS256 signature and its
//! claims again each time was the largest cost of GetUser after the database read (see
//! BENCHMARKS.md). A token's text fixes its signature and its claims, so a verification holds for
//! as long as the token has not expired: expiry is checked on every use, and revocation and the
//! user's state are always read from the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

/// Enough for the active tokens of a busy server; past it, expired entries go, then all.
const CAPACITY: usize = 10_000;

#[derive(Clone, Default)]
pub(super) struct VerifiedTokens {
    entries: Arc<Mutex<HashMap<String, Verified>>>,
}

struct Verified {
    expires: i64,
    claims: Arc<Map<String, Value>>,
}

/// The `exp` claim, in seconds since the epoch.
fn expiry(claims: &Map<String, Value>) -> Option<i64> {
    claims.get("exp").and_then(Value::as_i64)
}

impl VerifiedTokens {
    /// The claims of `token` if it was verified and is still unexpired at `now` (seconds).
    pub fn get(&self, token: &str, now: i64) -> Option<Arc<Map<String, Value>>> {
        let entries = self.entries.lock().expect("verified tokens lock");
        entries
            .get(token)
            .filter(|v| v.expires >= now)
            .map(|v| v.claims.clone())
    }

    /// Remembers a token that was just verified in full.
    pub fn put(&self, token: &str, claims: Arc<Map<String, Value>>, now: i64) {
        let Some(expires) = expiry(&claims) else {
            return;
        };
        let mut entries = self.entries.lock().expect("verified tokens lock");
        if entries.len() >= CAPACITY {
            entries.retain(|_, v| v.expires >= now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.to_owned(), Verified { expires, claims });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(exp: i64) -> Arc<Map<String, Value>> {
        Arc::new(json!({"exp": exp, "sub": "s"}).as_object().unwrap().clone())
    }

    #[test]
    fn a_verified_token_is_known_until_it_expires_and_only_by_its_exact_text() {
        let verified = VerifiedTokens::default();
        verified.put("a.b.c", claims(100), 50);
        assert!(verified.get("a.b.c", 100).is_some());
        assert!(verified.get("a.b.c", 101).is_none(), "expired");
        assert!(verified.get("a.b.C", 60).is_none());
    }

    #[test]
    fn a_full_cache_drops_expired_tokens_first() {
        let verified = VerifiedTokens::default();
        for i in 0..CAPACITY {
            verified.put(&format!("old{i}"), claims(10), 0);
        }
        verified.put("new", claims(1000), 500);
        assert!(verified.get("new", 500).is_some());
        assert_eq!(verified.entries.lock().unwrap().len(), 1);
    }
}

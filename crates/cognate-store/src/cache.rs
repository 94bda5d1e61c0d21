//! A short-lived memory of rarely changed documents (pools, app clients) that every call reads.
//!
//! Reading them from the database on every call cost two round trips and two JSON parses per
//! request (see BENCHMARKS.md). This server forgets an entry the moment it writes it; another
//! server sharing the database sees a change within [`DOCUMENT_TTL`]. Users, sessions and
//! groups are never cached: a sign-out or a disable must hold everywhere at once.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long another server's change to a pool or client may go unseen here.
pub const DOCUMENT_TTL: Duration = Duration::from_secs(1);

pub(crate) struct DocumentCache<K, V> {
    state: Mutex<State<K, V>>,
}

struct State<K, V> {
    entries: HashMap<K, (Instant, V)>,
    /// Bumped by every forget, so that a read that began before a write cannot put back what
    /// the write replaced.
    generation: u64,
}

/// What a reader remembers between looking up a miss and storing what it read.
struct Ticket(u64);

impl<K: Eq + Hash + Clone, V: Clone> DocumentCache<K, V> {
    pub fn new() -> Self {
        DocumentCache {
            state: Mutex::new(State {
                entries: HashMap::new(),
                generation: 0,
            }),
        }
    }

    /// The fresh entry for `key`, or a ticket to store one after reading it.
    fn get(&self, key: &K) -> Result<V, Ticket> {
        let state = self.state.lock().expect("document cache lock");
        match state.entries.get(key) {
            Some((at, value)) if at.elapsed() < DOCUMENT_TTL => Ok(value.clone()),
            _ => Err(Ticket(state.generation)),
        }
    }

    /// The entry for `key`: remembered if fresh, otherwise the result of `read` (a read of the
    /// store), remembered when it found something.
    pub async fn read_through<E>(
        &self,
        key: &K,
        read: impl Future<Output = Result<Option<V>, E>>,
    ) -> Result<Option<V>, E> {
        let ticket = match self.get(key) {
            Ok(value) => return Ok(Some(value)),
            Err(ticket) => ticket,
        };
        let value = read.await?;
        if let Some(value) = &value {
            self.put(ticket, key.clone(), value.clone());
        }
        Ok(value)
    }

    /// Remembers what was read with `ticket`, unless something was forgotten since.
    fn put(&self, ticket: Ticket, key: K, value: V) {
        let mut state = self.state.lock().expect("document cache lock");
        if state.generation == ticket.0 {
            state.entries.insert(key, (Instant::now(), value));
        }
    }

    pub fn forget(&self, key: &K) {
        let mut state = self.state.lock().expect("document cache lock");
        state.generation += 1;
        state.entries.remove(key);
    }

    pub fn forget_all(&self) {
        let mut state = self.state.lock().expect("document cache lock");
        state.generation += 1;
        state.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_began_before_a_forget_is_not_remembered() {
        let cache = DocumentCache::<&str, u32>::new();
        let ticket = cache.get(&"pool").unwrap_err();
        cache.forget(&"pool");
        cache.put(ticket, "pool", 1);
        assert!(cache.get(&"pool").is_err());
    }

    #[test]
    fn a_remembered_document_is_served_until_forgotten() {
        let cache = DocumentCache::<&str, u32>::new();
        let ticket = cache.get(&"pool").unwrap_err();
        cache.put(ticket, "pool", 1);
        assert_eq!(cache.get(&"pool").ok(), Some(1));
        cache.forget_all();
        assert!(cache.get(&"pool").is_err());
    }
}

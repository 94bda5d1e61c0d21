//! What every call signed with temporary credentials reads besides its own data: its opened
//! session token, whether the session's identity still exists, and the policies of its role;
//! and what every storage request reads: its bucket (policy, CORS rules). Opened tokens are kept
//! for [`OPENED_SESSION_LIFETIME`] (a token never changes), the rest for
//! [`DECISION_INPUTS_LIFETIME`]: reading them for every call halved the throughput of
//! AdminGetUser (BENCHMARKS.md, temp-creds-admin-get-user). A change made through this server
//! (an IAM policy write, a deleted identity, a bucket's policy) forgets them at once; one made
//! through another server that shares the database takes effect here within the lifetime, as
//! IAM changes on AWS take a moment to propagate. (An object written to a bucket another server
//! deleted meanwhile is still refused by the store.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::authorize::SourcedPolicy;
use super::identity::OpenedSession;
use crate::identity::IdentityId;
use crate::storage::{Bucket, BucketName};

pub const DECISION_INPUTS_LIFETIME: Duration = Duration::from_secs(2);
/// Past this many entries a map starts over.
const CAPACITY: usize = 10_000;

type RolePolicies = Arc<Vec<SourcedPolicy>>;

/// Values as read, each kept for a lifetime after it was read.
pub(super) struct Recent<K, V> {
    lifetime: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K, V> Default for Recent<K, V> {
    /// Kept for [`DECISION_INPUTS_LIFETIME`].
    fn default() -> Self {
        Recent::kept_for(DECISION_INPUTS_LIFETIME)
    }
}

impl<K, V> Recent<K, V> {
    pub fn kept_for(lifetime: Duration) -> Self {
        Recent {
            lifetime,
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + std::hash::Hash, V: Clone> Recent<K, V> {
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        self.entries
            .lock()
            .expect("decision cache")
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.lifetime)
            .map(|(_, value)| value.clone())
    }

    pub fn saw(&self, key: K, value: V) {
        let mut map = self.entries.lock().expect("decision cache");
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }

    pub fn forget<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        self.entries.lock().expect("decision cache").remove(key);
    }

    fn forget_all(&self) {
        self.entries.lock().expect("decision cache").clear();
    }
}

/// How long an opened session token is kept. A token never changes, and its expiry and
/// identity are checked on every call, so this only bounds how long it stays in memory.
const OPENED_SESSION_LIFETIME: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub(super) struct DecisionCache {
    /// Session tokens as opened, by token.
    sessions: Arc<Recent<String, Arc<OpenedSession>>>,
    identities: Arc<Recent<IdentityId, ()>>,
    /// A role's policies; `None`: no such role.
    roles: Arc<Recent<String, Option<RolePolicies>>>,
    buckets: Arc<Recent<BucketName, Bucket>>,
}

impl Default for DecisionCache {
    fn default() -> Self {
        DecisionCache {
            sessions: Arc::new(Recent::kept_for(OPENED_SESSION_LIFETIME)),
            identities: Arc::default(),
            roles: Arc::default(),
            buckets: Arc::default(),
        }
    }
}

impl DecisionCache {
    /// A session token opened within its lifetime.
    pub fn session(&self, token: &str) -> Option<Arc<OpenedSession>> {
        self.sessions.get(token)
    }

    pub fn saw_session(&self, token: String, opened: Arc<OpenedSession>) {
        self.sessions.saw(token, opened);
    }

    /// Whether the identity was seen to exist within the lifetime.
    pub fn identity_exists(&self, id: &IdentityId) -> bool {
        self.identities.get(id).is_some()
    }

    pub fn saw_identity(&self, id: &IdentityId) {
        self.identities.saw(id.clone(), ());
    }

    pub fn forget_identities(&self) {
        self.identities.forget_all();
    }

    /// A role's policies (`Some(None)`: no such role) if read within the lifetime.
    pub fn role(&self, key: &str) -> Option<Option<RolePolicies>> {
        self.roles.get(key)
    }

    pub fn saw_role(&self, key: String, policies: Option<RolePolicies>) {
        self.roles.saw(key, policies);
    }

    pub fn forget_roles(&self) {
        self.roles.forget_all();
    }

    /// A bucket as read within the lifetime.
    pub fn bucket(&self, name: &BucketName) -> Option<Bucket> {
        self.buckets.get(name)
    }

    pub fn saw_bucket(&self, bucket: Bucket) {
        self.buckets.saw(bucket.name.clone(), bucket);
    }

    pub fn forget_bucket(&self, name: &BucketName) {
        self.buckets.forget(name);
    }
}

//! What every call signed with temporary credentials reads besides its own data: whether the
//! session's identity still exists, and the policies of its role; and what every storage
//! request reads: its bucket (policy, CORS rules). They are kept for
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
use crate::identity::IdentityId;
use crate::storage::{Bucket, BucketName};

pub const DECISION_INPUTS_LIFETIME: Duration = Duration::from_secs(2);
/// Past this many entries a map starts over.
const CAPACITY: usize = 10_000;

type RolePolicies = Arc<Vec<SourcedPolicy>>;
/// When a role's policies were read, and what they were (`None`: no such role).
type RoleEntry = (Instant, Option<RolePolicies>);

#[derive(Clone, Default)]
pub(super) struct DecisionCache {
    identities: Arc<Mutex<HashMap<IdentityId, Instant>>>,
    roles: Arc<Mutex<HashMap<String, RoleEntry>>>,
    buckets: Arc<Mutex<HashMap<BucketName, (Instant, Bucket)>>>,
}

fn fresh(at: Instant) -> bool {
    at.elapsed() < DECISION_INPUTS_LIFETIME
}

impl DecisionCache {
    /// Whether the identity was seen to exist within the lifetime.
    pub fn identity_exists(&self, id: &IdentityId) -> bool {
        self.identities
            .lock()
            .expect("decision cache")
            .get(id)
            .is_some_and(|at| fresh(*at))
    }

    pub fn saw_identity(&self, id: &IdentityId) {
        let mut identities = self.identities.lock().expect("decision cache");
        if identities.len() >= CAPACITY {
            identities.clear();
        }
        identities.insert(id.clone(), Instant::now());
    }

    pub fn forget_identities(&self) {
        self.identities.lock().expect("decision cache").clear();
    }

    /// A role's policies (`Some(None)`: no such role) if read within the lifetime.
    pub fn role(&self, key: &str) -> Option<Option<RolePolicies>> {
        self.roles
            .lock()
            .expect("decision cache")
            .get(key)
            .filter(|(at, _)| fresh(*at))
            .map(|(_, policies)| policies.clone())
    }

    pub fn saw_role(&self, key: String, policies: Option<RolePolicies>) {
        let mut roles = self.roles.lock().expect("decision cache");
        if roles.len() >= CAPACITY {
            roles.clear();
        }
        roles.insert(key, (Instant::now(), policies));
    }

    pub fn forget_roles(&self) {
        self.roles.lock().expect("decision cache").clear();
    }

    /// A bucket as read within the lifetime.
    pub fn bucket(&self, name: &BucketName) -> Option<Bucket> {
        self.buckets
            .lock()
            .expect("decision cache")
            .get(name)
            .filter(|(at, _)| fresh(*at))
            .map(|(_, bucket)| bucket.clone())
    }

    pub fn saw_bucket(&self, bucket: Bucket) {
        let mut buckets = self.buckets.lock().expect("decision cache");
        if buckets.len() >= CAPACITY {
            buckets.clear();
        }
        buckets.insert(bucket.name.clone(), (Instant::now(), bucket));
    }

    pub fn forget_bucket(&self, name: &BucketName) {
        self.buckets.lock().expect("decision cache").remove(name);
    }
}

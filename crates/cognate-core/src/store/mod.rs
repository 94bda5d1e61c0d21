//! What the services need from persistence, one trait per aggregate. Implementations live in
//! `cognate-store` (SQLite and PostgreSQL); both pass the same conformance suite. A store
//! enforces uniqueness and makes each method one transaction; it makes no decisions.
//!
//! [`Store`] is the sum of the aggregate traits, so services hold one `Arc<dyn Store>`. A new
//! aggregate is one more file here and one more bound on `Store`. Bring the traits into scope
//! with `use cognate_core::store::prelude::*`.

mod admin_queries;
mod audit;
mod backend;
mod blobs;
mod clients;
mod codes;
mod groups;
mod iam;
mod identity;
mod objects;
mod outbox;
mod pools;
mod rest_apis;
mod server;
mod sessions;
mod users;

pub use admin_queries::AdminQueriesStore;
pub use audit::AuditStore;
pub use backend::{AuthBatch, BackendStore};
pub use blobs::{BlobStore, ByteStream};
pub use clients::ClientStore;
pub use codes::{CodeStore, IssueLimit};
pub use groups::GroupStore;
pub use iam::IamStore;
pub use identity::{Claim, IdentityStore};
pub use objects::{BucketDeletion, BucketStore, ObjectWrite};
pub use outbox::OutboxStore;
pub use pools::PoolStore;
pub use rest_apis::RestApiStore;
pub use server::ServerStore;
pub use sessions::{SessionStore, SessionUser};
pub use users::UserStore;

use crate::audit::AuditRecord;

/// Every aggregate trait, for `use cognate_core::store::prelude::*`.
pub mod prelude {
    pub use super::{
        AdminQueriesStore, AuditStore, BackendStore, BucketStore, ClientStore, CodeStore,
        GroupStore, IamStore, IdentityStore, OutboxStore, PoolStore, RestApiStore, ServerStore,
        SessionStore, Store, UserStore,
    };
}

/// The whole store: every aggregate's trait. Anything that implements them all is a `Store`.
pub trait Store:
    PoolStore
    + ClientStore
    + UserStore
    + SessionStore
    + CodeStore
    + GroupStore
    + AdminQueriesStore
    + OutboxStore
    + AuditStore
    + BackendStore
    + ServerStore
    + IamStore
    + IdentityStore
    + BucketStore
    + RestApiStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: PoolStore
        + ClientStore
        + UserStore
        + SessionStore
        + CodeStore
        + GroupStore
        + AdminQueriesStore
        + OutboxStore
        + AuditStore
        + BackendStore
        + ServerStore
        + IamStore
        + IdentityStore
        + BucketStore
        + RestApiStore
        + Send
        + Sync
        + 'static
{
}

/// A page of results and the key to continue after, if there are more.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The audit record of an administrative change, written in the change's transaction when the
/// change takes effect; `None` for changes users make themselves (sign-up, their own password).
pub type Audit<'a> = Option<&'a AuditRecord>;

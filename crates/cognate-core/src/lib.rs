//! cognate's domain: identifiers, records, the rules of user pools and sign-in, tokens and the
//! pure pieces (ListUsers filters, SigV4). No HTTP and no SQL here.

pub mod audit;
pub mod claims;
mod cpu;
pub mod credentials;
pub mod crypto;
pub mod error;
pub mod filter;
pub mod iam;
pub mod identity;
pub mod ids;
pub mod model;
pub mod rest_api;
pub mod service;
pub mod sigv4;
pub mod srp;
pub mod storage;
pub mod store;
pub mod tokens;

pub use error::{Error, Result};

//! Integration tests: the real server, driven by the official AWS SDK for Rust.

mod admin;
mod admin_queries;
mod audit;
mod auth;
mod groups;
mod https;
mod identity_pools;
mod permissions;
mod pools;
mod refresh;
mod reliability;
mod rest_apis;
mod security;
mod signing;
mod signup;
mod smtp;
mod srp;
mod storage;
mod support;
mod tokens;

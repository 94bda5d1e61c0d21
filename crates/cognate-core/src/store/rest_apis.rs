//! REST APIs.

use async_trait::async_trait;

use crate::error::Result;
use crate::rest_api::RestApi;

#[async_trait]
pub trait RestApiStore: Send + Sync {
    /// Creates the API, or replaces the one with its id.
    async fn put_rest_api(&self, api: &RestApi) -> Result<()>;
    async fn get_rest_api(&self, id: &str) -> Result<Option<RestApi>>;
    /// Every API, oldest first.
    async fn list_rest_apis(&self) -> Result<Vec<RestApi>>;
    /// Whether there was one to delete.
    async fn delete_rest_api(&self, id: &str) -> Result<bool>;
}

//! What one request may take of the server beyond its body size and time (tower-http layers in
//! the router): the size of its headers, and a place among the requests handled at once. Past
//! either, the caller gets a Cognito error at once instead of the server queueing without end.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use cognate_core::Error;
use tokio::sync::Semaphore;

use crate::aws_json::error_response;

/// Request line and headers together, as API Gateway and CloudFront allow about this much.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Places for requests in flight.
#[derive(Clone)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    pub fn new(max: u32) -> Self {
        InFlight(Arc::new(Semaphore::new(max as usize)))
    }
}

pub async fn enforce(State(in_flight): State<InFlight>, request: Request, next: Next) -> Response {
    let header_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len())
        + request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum::<usize>();
    if header_bytes > MAX_HEADER_BYTES {
        return error_response(
            "",
            Error::invalid(format!(
                "The request line and headers take {header_bytes} bytes; at most {MAX_HEADER_BYTES} are accepted."
            )),
        );
    }
    let Ok(_place) = in_flight.0.try_acquire() else {
        return error_response(
            "",
            Error::TooManyRequests(
                "The server is handling as many requests as it is configured to; retry shortly."
                    .into(),
            ),
        );
    };
    next.run(request).await
}

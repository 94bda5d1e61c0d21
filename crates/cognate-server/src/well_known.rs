//! The issuer's public documents: JWKS and OpenID discovery, at `{public_url}/{pool_id}/.well-known/`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cognate_core::ids::PoolId;
use cognate_core::{Error, Result};
use serde_json::Value;

use crate::AppState;

fn render(result: Result<Value>) -> Response {
    match result {
        Ok(document) => Json(document).into_response(),
        Err(Error::ResourceNotFound(_) | Error::InvalidParameter(_)) => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"message": "User pool not found"})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "well-known document failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({"message": "Internal error"})),
            )
                .into_response()
        }
    }
}

pub async fn jwks(State(state): State<AppState>, Path(pool): Path<String>) -> Response {
    render(async { state.cognito.jwks(&PoolId::parse(&pool)?).await }.await)
}

pub async fn openid_configuration(
    State(state): State<AppState>,
    Path(pool): Path<String>,
) -> Response {
    render(
        async {
            state
                .cognito
                .openid_configuration(&PoolId::parse(&pool)?)
                .await
        }
        .await,
    )
}

//! The operator's policy at hot storage (docs/policy.md):
//!
//! * `POST /v2/policy/simulate` (docs/api.md): evaluates an intent against
//!   the policy in force (and, if the caller sends them, user rules being
//!   drafted) and answers the evaluation. Nothing is signed, stored or
//!   released; the caller must be a signed-in user like on every other
//!   `/v2` user route (token and DPoP proof).
//!
//! Enforcement at `POST /v2/devices/recover` is `policy_gate`; the other
//! policy routes are `policy_routes`.

use std::sync::Arc;

use axum::Json as JsonOut;
use axum::extract::State;
use keyframe_policy::{Layers, Policy, evaluate};
use keyframe_wire::policy::{SimulateRequest, SimulateResponse};

use crate::auth::User;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::settings::Settings;

/// Evaluate an intent against the operator's policy, without signing.
#[utoipa::path(post, path = "/v2/policy/simulate", tag = "hot storage", request_body = SimulateRequest,
    responses((status = 200, body = SimulateResponse), (status = 400, description = "BAD_REQUEST (an intent or user rules that are not valid; the message names the field)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn simulate(
    State(s): State<Arc<Settings>>,
    User(_id): User,
    Json(req): Json<SimulateRequest>,
) -> AppResult<JsonOut<SimulateResponse>> {
    let user = req
        .user_rules
        .map(Policy::new)
        .transpose()
        .map_err(|e| AppError::BadRequest(format!("user_rules: {e}")))?;
    let operator = s.policy.current();
    let now = match req.at {
        Some(t) => t,
        None => crate::db::now_ms().max(0) as u64 / 1000,
    };
    let layers = Layers {
        operator: &operator,
        user: user.as_ref(),
    };
    Ok(JsonOut(SimulateResponse(evaluate(
        &layers,
        &req.intent,
        &req.usage,
        now,
    ))))
}

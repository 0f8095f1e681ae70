//! The operator's policy at hot storage (docs/policy.md):
//!
//! * `POST /v2/policy/simulate` (docs/api.md): evaluates an intent against
//!   the policy in force (and, if the caller sends them, user rules being
//!   drafted) and answers the evaluation. Nothing is signed, stored or
//!   released; the caller must be a signed-in user like on every other
//!   `/v2` user route (token and DPoP proof).
//! * [`enforce`]: before `POST /v2/devices/recover` releases a share asked
//!   for a signature, the same evaluation on the intent the iFrame sends
//!   with it; `deny` (and `approve`, whose webhook this service does not
//!   run yet) is 403 `POLICY_DENIED`.

use std::sync::Arc;

use axum::Json as JsonOut;
use axum::extract::State;
use keyframe_policy::{Effect, Intent, Layers, Policy, evaluate};
use keyframe_wire::policy::{SimulateRequest, SimulateResponse};

use crate::auth::{Identity, User};
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

fn now_secs() -> u64 {
    crate::db::now_ms().max(0) as u64 / 1000
}

/// Evaluates the operator's policy on the intent a recover request carries
/// and refuses the share unless the policy lets the signature go ahead
/// (`allow`, or `ask`: the iFrame's consent screen decides). `approve` is
/// refused too: the approval webhook (issue 12, item 4) is not part of
/// this service yet, so nothing can say yes. A request without an intent
/// (export, recovery, a flow that signs nothing) is not judged here.
pub fn enforce(settings: &Settings, id: &Identity, intent: Option<&Intent>) -> AppResult<()> {
    let Some(intent) = intent else {
        return Ok(());
    };
    let operator = settings.policy.current();
    let layers = Layers {
        operator: &operator,
        user: None,
    };
    let e = evaluate(&layers, intent, &[], now_secs());
    let rule = e.deciding_rule.as_ref().map(|r| r.id.clone());
    let why = match (e.effect, &rule) {
        (Effect::Allow | Effect::Ask, _) => return Ok(()),
        (Effect::Deny, Some(r)) => format!("denied by rule {r:?}"),
        (Effect::Deny, None) if intent.raw_digest => "a raw digest is never signed".to_owned(),
        (Effect::Deny, None) => "denied by the policy's default".to_owned(),
        (Effect::Approve, Some(r)) => {
            format!("rule {r:?} needs the approval webhook, which this service does not run")
        }
        (Effect::Approve, None) => {
            "the policy's default needs the approval webhook, which this service does not run"
                .to_owned()
        }
    };
    tracing::info!(
        iss = id.iss.as_str(),
        effect = e.effect.as_str(),
        rule = rule.as_deref().unwrap_or("(default)"),
        kind = intent.kind.as_str(),
        "share refused by policy"
    );
    Err(AppError::PolicyDenied(why))
}

//! The policy's routes besides the simulator (docs/api.md):
//!
//! * `GET /v2/policy`: what the iFrame evaluates a request against before
//!   it rebuilds the key (the operator's document, the user's usage, the
//!   wallet's user rules as stored, the server's clock);
//! * `PUT /v2/policy/user-rules`: stores the user's signed rules (with the
//!   wallet's authority, like every act that changes what gets signed);
//! * `POST /v2/policy/approvals`: asks the operator's approval webhook;
//! * `POST /v2/activity`, `GET /v2/activity`: the activity log.
//!
//! Each is for the caller's own wallet only (404 `NO_WALLET` otherwise,
//! as on every `/v2` wallet route).

use std::sync::Arc;

use axum::Json as JsonOut;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use keyframe_policy::{Effect, Policy};
use keyframe_wire::policy::{
    ActivityList, ActivityReport, ApprovalRequest, ApprovalResponse, Decision, MAX_INTENT_PARTS,
    PolicyState, SignedUserRules, USER_RULES_MAX_BYTES,
};
use serde::Deserialize;

use super::activity_store::{self, LoggedIntent, NewActivity};
use super::handlers::authorized;
use super::policy_gate::{deny_reason, evaluate_for, now_secs, rule_text, user_rules_signed};
use super::policy_store::{self as ps};
use super::store::HotStore;
use crate::approval::{ApprovalCall, ApprovalOutcome};
use crate::auth::{Identity, User};
use crate::authority::Signed;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::settings::Settings;
use crate::types::{OkBody, WalletId};

/// Default and largest page of `GET /v2/activity`.
pub const ACTIVITY_DEFAULT_LIMIT: u32 = 50;
pub const ACTIVITY_MAX_LIMIT: u32 = 200;

/// The body limit of `PUT /v2/policy/user-rules`: room for a rule set of
/// [`USER_RULES_MAX_BYTES`] with every byte escaped once, and the other
/// fields. (Larger sets are refused by the handler with 413 as well.)
pub const USER_RULES_BODY_LIMIT: usize = 2 * USER_RULES_MAX_BYTES + 4096;

/// A webhook's reason is cut to this many characters in an answer.
const MAX_REASON_CHARS: usize = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletQuery {
    wallet: WalletId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    wallet: WalletId,
    #[serde(default)]
    limit: Option<u32>,
}

fn query<T>(q: Result<Query<T>, QueryRejection>, expected: &str) -> AppResult<T> {
    q.map(|Query(v)| v)
        .map_err(|_| AppError::BadRequest(format!("invalid query: expected {expected}")))
}

/// The policy state the iFrame evaluates against.
#[utoipa::path(get, path = "/v2/policy", tag = "hot storage",
    params(("wallet" = String, Query, description = "the caller's wallet id")),
    responses((status = 200, body = PolicyState), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn state(
    State(st): State<HotStore>,
    State(settings): State<Arc<Settings>>,
    User(id): User,
    q: Result<Query<WalletQuery>, QueryRejection>,
) -> AppResult<JsonOut<PolicyState>> {
    let wallet = query(q, "wallet=<id>")?.wallet;
    let user_rules = ps::load_rules_and_authority(&st.db, &id, &wallet)
        .await?
        .ok_or(AppError::NoWallet)?
        .rules;
    let now = now_secs();
    let operator = settings.policy.current();
    // The usage the iFrame's evaluation can need: as at recover, the
    // longest window of the operator's limits and of the stored user
    // rules' (read unverified here: the iFrame checks them itself).
    let user = user_rules
        .as_ref()
        .and_then(|r| Policy::from_json(&r.rules).ok());
    let usage = match super::policy_gate::usage_since(now, &operator, user.as_ref()) {
        Some(since) => ps::load_usage(&st.db.pool, &st.db, &id, since)
            .await?
            .into_iter()
            .map(|s| s.usage)
            .collect(),
        None => Vec::new(),
    };
    Ok(JsonOut(PolicyState {
        operator: operator.document().clone(),
        user_rules,
        usage,
        now,
    }))
}

/// Store the wallet's user rules (signed by its authority key).
#[utoipa::path(put, path = "/v2/policy/user-rules", tag = "hot storage", request_body = SignedUserRules,
    params(("Keyframe-Authority" = String, Header, description = "t=<secs>,n=<nonce>,sig=<signature> by the wallet's authority key (docs/api.md, \"Wallet authority\")")),
    responses((status = 200, body = OkBody),
        (status = 400, description = "BAD_REQUEST (the rules are not a valid policy; the message names the field)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "AUTHORITY_REQUIRED (header or embedded signature)", body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody),
        (status = 409, description = "VERSION_CONFLICT (not above the stored version)", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_user_rules(
    State(st): State<HotStore>,
    User(id): User,
    Signed { body, proof }: Signed<SignedUserRules>,
) -> AppResult<JsonOut<OkBody>> {
    if body.rules.len() > USER_RULES_MAX_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    if i64::try_from(body.version).is_err() {
        return Err(AppError::BadRequest("invalid value at `version`".into()));
    }
    Policy::from_json(&body.rules).map_err(|e| AppError::BadRequest(format!("rules: {e}")))?;
    let w = authorized(&st, &id, &body.wallet, &proof).await?;
    if !w
        .authority
        .as_deref()
        .is_some_and(|a| user_rules_signed(a, &body))
    {
        return Err(AppError::AuthorityRequired(
            "the user rules' signature does not verify",
        ));
    }
    if !ps::store_user_rules(&st.db, &id, &body).await? {
        return Err(AppError::RulesVersionConflict);
    }
    tracing::info!(
        wallet = body.wallet.to_string(),
        version = body.version,
        "user rules stored"
    );
    Ok(JsonOut(OkBody { ok: true }))
}

/// The webhook's answer, or the test stand-in's (feature `test-approver`).
async fn ask_webhook(settings: &Settings, call: &ApprovalCall<'_>) -> ApprovalOutcome {
    #[cfg(feature = "test-approver")]
    if let Some(t) = &settings.test_approver {
        return (t.0)(call);
    }
    match &settings.approver {
        Some(a) => a.ask(call).await,
        None => ApprovalOutcome::NotConfigured,
    }
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_REASON_CHARS).collect()
}

/// Records one entry of the log (outside `recover`'s transaction) and
/// counts it.
async fn record(st: &HotStore, id: &Identity, a: &NewActivity<'_>) -> AppResult<()> {
    activity_store::insert_activity(&st.db.pool, &st.db, id, a).await?;
    st.metrics.policy_decision(a.decision.as_str());
    Ok(())
}

/// Ask the operator's approval webhook about a request whose effect is
/// `approve`.
#[utoipa::path(post, path = "/v2/policy/approvals", tag = "hot storage", request_body = ApprovalRequest,
    responses((status = 200, body = ApprovalResponse),
        (status = 400, description = "BAD_REQUEST (also: the policy needs no approval for this request)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "POLICY_DENIED (denied, refused by the webhook, no answer in time, no webhook)", body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn approvals(
    State(st): State<HotStore>,
    State(settings): State<Arc<Settings>>,
    User(id): User,
    Json(req): Json<ApprovalRequest>,
) -> AppResult<JsonOut<ApprovalResponse>> {
    st.require_wallet(&id, &req.wallet).await?;
    // A batch is judged as at `recover`: its whole and each part.
    if req.parts.len() > MAX_INTENT_PARTS {
        return Err(AppError::BadRequest(format!(
            "parts: at most {MAX_INTENT_PARTS}, not {}",
            req.parts.len()
        )));
    }
    let e = {
        let mut conn = st.db.pool.acquire().await?;
        evaluate_for(
            &mut conn,
            &st,
            &settings,
            &id,
            &req.wallet,
            (&req.intent, &req.parts),
            now_secs(),
        )
        .await?
    };
    let evaluation_id = ps::new_id()?;
    let logged = LoggedIntent::of(&req.intent)?;
    let entry = |decision, reason| NewActivity {
        id: &evaluation_id,
        wallet: &req.wallet,
        device: req.device.as_ref(),
        decision,
        rule: e.deciding_rule.as_ref(),
        reason,
        intent: &logged,
    };
    match e.effect {
        Effect::Deny => {
            let why = deny_reason(&e);
            record(&st, &id, &entry(Decision::Denied, Some(&why))).await?;
            return Err(AppError::PolicyDenied(why));
        }
        Effect::Allow | Effect::Ask => {
            return Err(AppError::BadRequest(format!(
                "no approval needed: the policy's effect for this request is {} ({})",
                e.effect.as_str(),
                rule_text(&e)
            )));
        }
        Effect::Approve => {}
    }
    let user = ps::user_name(&id);
    let call = ApprovalCall {
        evaluation_id: &evaluation_id,
        intent: &req.intent,
        parts: &req.parts,
        user: &user,
        wallet: req.wallet,
        device: req.device,
        rule: e.deciding_rule.as_ref(),
    };
    let (decision, reason) = match ask_webhook(&settings, &call).await {
        ApprovalOutcome::Approved => (Decision::ApprovedByWebhook, None),
        ApprovalOutcome::Refused(r) => (
            Decision::RefusedByWebhook,
            Some(format!("the approval webhook refused: {}", cut(&r))),
        ),
        ApprovalOutcome::TimedOut => (
            Decision::WebhookTimedOut,
            Some("the approval webhook did not answer in time".to_owned()),
        ),
        ApprovalOutcome::Invalid(w) => (
            Decision::RefusedByWebhook,
            Some(format!(
                "the approval webhook's answer is not a valid yes: {}",
                cut(&w)
            )),
        ),
        ApprovalOutcome::NotConfigured => {
            return Err(AppError::PolicyDenied(format!(
                "{} needs the approval webhook's yes, and this service has no approval webhook",
                rule_text(&e)
            )));
        }
    };
    record(&st, &id, &entry(decision, reason.as_deref())).await?;
    if let Some(why) = reason {
        return Err(AppError::PolicyDenied(why));
    }
    Ok(JsonOut(ApprovalResponse {
        evaluation_id,
        approved: true,
        silent: e.silent,
    }))
}

/// Report an outcome only the iFrame sees (`rejected` on the screen, or
/// `denied` by its own evaluation).
#[utoipa::path(post, path = "/v2/activity", tag = "hot storage", request_body = ActivityReport,
    responses((status = 200, body = OkBody),
        (status = 400, description = "BAD_REQUEST (also: a decision other than rejected or denied)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, description = "NO_WALLET", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn report(
    State(st): State<HotStore>,
    User(id): User,
    Json(req): Json<ActivityReport>,
) -> AppResult<JsonOut<OkBody>> {
    if !matches!(req.decision, Decision::Rejected | Decision::Denied) {
        return Err(AppError::BadRequest(
            "invalid value at `decision`: only rejected and denied are reported".into(),
        ));
    }
    st.require_wallet(&id, &req.wallet).await?;
    let entry_id = ps::new_id()?;
    record(
        &st,
        &id,
        &NewActivity {
            id: &entry_id,
            wallet: &req.wallet,
            device: req.device.as_ref(),
            decision: req.decision,
            rule: req.rule.as_ref(),
            reason: None,
            intent: &LoggedIntent::of(&req.intent)?,
        },
    )
    .await?;
    Ok(JsonOut(OkBody { ok: true }))
}

/// The wallet's activity log, newest first.
#[utoipa::path(get, path = "/v2/activity", tag = "hot storage",
    params(("wallet" = String, Query, description = "the caller's wallet id"),
        ("limit" = Option<u32>, Query, description = "how many entries, 1 to 200 (default 50)")),
    responses((status = 200, body = ActivityList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list(
    State(st): State<HotStore>,
    User(id): User,
    q: Result<Query<ActivityQuery>, QueryRejection>,
) -> AppResult<JsonOut<ActivityList>> {
    let q = query(q, "wallet=<id>[&limit=<1..200>]")?;
    let limit = q.limit.unwrap_or(ACTIVITY_DEFAULT_LIMIT);
    if limit == 0 || limit > ACTIVITY_MAX_LIMIT {
        return Err(AppError::BadRequest(format!(
            "invalid value at `limit`: 1 to {ACTIVITY_MAX_LIMIT}"
        )));
    }
    st.require_wallet(&id, &q.wallet).await?;
    let entries = activity_store::list_activity(&st.db, &id, &q.wallet, limit).await?;
    Ok(JsonOut(ActivityList { entries }))
}

//! The sample's approvals desk: an example of the approval webhook hot
//! storage calls when a policy's `approve` rule decides a request
//! (docs/policy.md, "Approval webhook").
//!
//! * `POST /approvals/webhook` — hot storage's request, signed in the
//!   Standard Webhooks format with `--approval-secret` (refused with 401
//!   otherwise). It stays open until the operator decides or the request's
//!   own `deadline` passes (a refusal then), and is answered
//!   `{ approved, evaluationId, reason? }`, signed the same way.
//! * `GET /approvals` — the operator's page: pending requests with Approve
//!   and Refuse buttons (`approvals_page.rs`).
//! * `POST /approvals/{id}` — the operator's decision (a form post).
//!
//! The operator routes answer loopback clients under a loopback name only
//! and take form posts from this server's own pages only (`Origin` must
//! name the `Host`): the
//! sample has no operator accounts, so whoever can reach the page from
//! this machine is its operator (README.md). Without `--approval-secret`
//! every route here answers 404.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    Form,
    body::Bytes,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::{AppState, approvals_page, error::AppError, webhook::WebhookSecret};

/// The Standard Webhooks `type` hot storage sends.
pub const EVENT_TYPE: &str = "keyframe.approval.requested";

/// At most this many requests wait at once (more answer 503).
const MAX_PENDING: usize = 100;
/// A request without a `deadline` waits this long; none waits longer than
/// `MAX_WAIT_SECS`.
const DEFAULT_WAIT_SECS: u64 = 60;
const MAX_WAIT_SECS: u64 = 600;
const MAX_REASON_CHARS: usize = 200;

/// What the page shows of one pending request (text as received; the
/// page escapes it).
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: String,
    pub kind: String,
    pub chain: Option<u64>,
    pub to: Option<String>,
    /// Wei, as a decimal string.
    pub value: String,
    /// One line per token movement or approval.
    pub tokens: Vec<String>,
    pub origin: Option<String>,
    pub user: String,
    pub wallet: String,
    pub rule: Option<String>,
    /// Unix seconds after which the request is refused.
    pub deadline: u64,
}

struct Decision {
    approved: bool,
    reason: Option<String>,
}

struct Pending {
    summary: Summary,
    answer: oneshot::Sender<Decision>,
}

/// The pending requests and the shared secret.
pub struct Desk {
    secret: WebhookSecret,
    pending: Mutex<BTreeMap<String, Pending>>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

impl Summary {
    fn of(id: &str, data: &Value, deadline: u64) -> Summary {
        let mut tokens: Vec<String> = data["token_transfers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                format!(
                    "transfer {} of token {} to {}",
                    t["amount"].as_str().unwrap_or("?"),
                    t["token"].as_str().unwrap_or("?"),
                    t["to"].as_str().unwrap_or("?")
                )
            })
            .collect();
        tokens.extend(data["approvals"].as_array().into_iter().flatten().map(|a| {
            format!(
                "approve {} to spend {} of token {}",
                a["spender"].as_str().unwrap_or("?"),
                a["amount"].as_str().unwrap_or("every token"),
                a["token"].as_str().unwrap_or("?")
            )
        }));
        Summary {
            id: id.to_owned(),
            kind: text(&data["kind"]).unwrap_or_else(|| "?".into()),
            chain: data["chain"].as_u64(),
            to: text(&data["to"]),
            value: text(&data["value"]).unwrap_or_else(|| "0".into()),
            tokens,
            origin: text(&data["origin"]),
            user: text(&data["user"]).unwrap_or_default(),
            wallet: text(&data["wallet"]).unwrap_or_default(),
            rule: data["rule"]["id"]
                .as_str()
                .map(|id| format!("{} ({})", id, data["rule"]["layer"].as_str().unwrap_or("?"))),
            deadline,
        }
    }
}

/// Removes a pending request when its webhook call ends, however it ends
/// (answered, past its deadline, or hot storage hung up).
struct Unlist<'a>(&'a Desk, &'a str);

impl Drop for Unlist<'_> {
    fn drop(&mut self) {
        self.0.lock().remove(self.1);
    }
}

impl Desk {
    pub fn new(secret: WebhookSecret) -> Desk {
        Desk {
            secret,
            pending: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The pending requests, oldest deadline first.
    pub fn pending(&self) -> Vec<Summary> {
        let mut list: Vec<Summary> = self.lock().values().map(|p| p.summary.clone()).collect();
        list.sort_by_key(|s| s.deadline);
        list
    }

    /// The operator's decision; false if `id` is not pending (any more).
    pub fn decide(&self, id: &str, approved: bool, reason: Option<String>) -> bool {
        match self.lock().remove(id) {
            Some(p) => p.answer.send(Decision { approved, reason }).is_ok(),
            None => false,
        }
    }

    /// The signed answer to request `id`.
    fn answer(&self, id: &str, decision: Decision) -> Response {
        let mut body = json!({ "approved": decision.approved, "evaluationId": id });
        if let Some(reason) = decision
            .reason
            .filter(|r| !decision.approved && !r.is_empty())
        {
            body["reason"] = Value::String(reason);
        }
        let body = body.to_string().into_bytes();
        let ts = unix_now();
        let signature = self.secret.sign(id, ts, &body);
        let mut response = (StatusCode::OK, body).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in [
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", signature),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        response
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn desk(state: &AppState) -> Result<&Arc<Desk>, AppError> {
    state.approvals().ok_or(AppError::NotFound)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `POST /approvals/webhook`.
pub async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let desk = desk(&state)?;
    let now = unix_now();
    let id = header_str(&headers, "webhook-id").unwrap_or_default();
    let ts = header_str(&headers, "webhook-timestamp").and_then(|t| t.parse::<u64>().ok());
    let sig = header_str(&headers, "webhook-signature").unwrap_or_default();
    let verified = valid_id(id)
        && ts.is_some_and(|ts| {
            ts.abs_diff(now) <= crate::webhook::TOLERANCE_SECS
                && desk.secret.verify(id, ts, &body, sig)
        });
    if !verified {
        tracing::warn!("approval webhook: a request whose signature does not verify");
        return Err(AppError::AuthRequired(
            "the webhook signature does not verify",
        ));
    }
    let request: Value = serde_json::from_slice(&body)
        .map_err(|_| AppError::bad_request("the request is not JSON"))?;
    if request["type"] != EVENT_TYPE {
        return Err(AppError::bad_request(
            "not a keyframe.approval.requested event",
        ));
    }
    let data = &request["data"];
    if data["evaluation_id"].as_str() != Some(id) {
        return Err(AppError::bad_request(
            "data.evaluation_id is not the webhook-id",
        ));
    }
    let deadline = data["deadline"]
        .as_u64()
        .unwrap_or(now + DEFAULT_WAIT_SECS)
        .clamp(now, now + MAX_WAIT_SECS);
    let (tx, rx) = oneshot::channel();
    {
        let mut pending = desk.lock();
        if pending.contains_key(id) {
            return Err(AppError::bad_request("this evaluation is pending already"));
        }
        if pending.len() >= MAX_PENDING {
            return Err(AppError::RateLimited {
                retry_after_secs: 5,
            });
        }
        let summary = Summary::of(id, data, deadline);
        tracing::info!(evaluation_id = id, kind = %summary.kind, "approval requested");
        pending.insert(
            id.to_owned(),
            Pending {
                summary,
                answer: tx,
            },
        );
    }
    let _unlist = Unlist(desk, id);
    let wait = Duration::from_secs(deadline.saturating_sub(now));
    let decision = tokio::select! {
        d = rx => d.ok(),
        () = tokio::time::sleep(wait) => None,
    };
    let decision = decision.unwrap_or(Decision {
        approved: false,
        reason: Some("the operator did not decide before the deadline".into()),
    });
    tracing::info!(
        evaluation_id = id,
        approved = decision.approved,
        "approval answered"
    );
    Ok(desk.answer(id, decision))
}

/// The operator routes answer loopback clients only, and only under a
/// loopback name (`Host` 127.0.0.1, [::1] or localhost): a page that
/// rebinds its own domain name to 127.0.0.1 reaches the socket from this
/// machine, but names its own host (DNS rebinding).
fn operator_only(peer: SocketAddr, headers: &HeaderMap) -> Result<(), AppError> {
    let ip = match peer.ip() {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
        v4 => v4,
    };
    let host = header_str(headers, "host").unwrap_or_default();
    if ip.is_loopback() && loopback_name(host) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Whether a `Host` value (`name[:port]`) is a loopback address or
/// `localhost`.
fn loopback_name(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(a, _)| a),
        None => host.rsplit_once(':').map_or(host, |(a, _)| a),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `GET /approvals`.
pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Html<String>, AppError> {
    let desk = desk(&state)?;
    operator_only(peer, &headers)?;
    Ok(Html(approvals_page::render(&desk.pending(), unix_now())))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `POST /approvals/{id}` (form: `decision=approve|refuse`, `reason`).
pub async fn decide(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let desk = desk(&state)?;
    operator_only(peer, &headers)?;
    // A cross-site form post would name another origin (or none).
    let host = header_str(&headers, "host").unwrap_or_default();
    let origin = header_str(&headers, "origin").unwrap_or_default();
    let same_origin = origin
        .split_once("://")
        .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && rest == host);
    if host.is_empty() || !same_origin {
        return Err(AppError::bad_request(
            "decisions are taken from this server's own approvals page only",
        ));
    }
    let approved = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(AppError::bad_request("decision must be approve or refuse")),
    };
    let reason: String = form
        .reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_REASON_CHARS)
        .collect();
    let reason = Some(reason.trim().to_owned()).filter(|r| !r.is_empty());
    if !desk.decide(&id, approved, reason) {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/approvals").into_response())
}

#[cfg(test)]
mod tests {
    use super::loopback_name;

    #[test]
    fn loopback_names() {
        for good in [
            "127.0.0.1:3000",
            "127.0.0.1",
            "localhost:3000",
            "[::1]:3000",
            "LOCALHOST",
        ] {
            assert!(loopback_name(good), "{good}");
        }
        for bad in [
            "",
            "evil.example:3000",
            "127.0.0.1.evil.example",
            "10.0.0.1:3000",
            "[::2]:1",
        ] {
            assert!(!loopback_name(bad), "{bad}");
        }
    }
}

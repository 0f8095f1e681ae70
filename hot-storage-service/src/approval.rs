//! The approval webhook client (docs/policy.md, "Approval webhook"): when
//! a policy's `approve` rule decides a request, hot storage asks the
//! operator's service (`--approval-url`) whether it may go ahead.
//!
//! This module owns the exchange and nothing else: the request (the
//! decoded intent, who asks, the rule, an evaluation id) signed in the
//! Standard Webhooks format with the shared secret (`signature.rs`, over
//! `keyframe_wire::webhook`, which the sample dApp uses too), and
//! the reading of the answer, which must be signed the same way. It says
//! `Approved` only for a 2xx, correctly signed `{ "approved": true,
//! "evaluationId": <the same id> }` within the timeout; every other answer
//! is an outcome with a reason a user can read. What to do with the
//! outcome (release the share or not, the activity log) is the caller's.

mod signature;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use keyframe_policy::{Intent, RuleRef};
use keyframe_wire::{DeviceId, WalletId};
use serde::{Deserialize, Serialize};

pub use signature::{ApprovalSecret, TOLERANCE_SECS};

/// The Standard Webhooks `type` of the request.
pub const EVENT_TYPE: &str = "keyframe.approval.requested";

/// `--approval-timeout-ms` by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest answer read; a longer one is `Invalid`.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Longest refusal reason passed on to the user (characters).
const MAX_REASON_CHARS: usize = 200;

/// The webhook: where it is, the shared secret, how long to wait.
pub struct Approver {
    url: url::Url,
    secret: ApprovalSecret,
    timeout: Duration,
    http: reqwest::Client,
}

// By hand: the secret never appears.
impl fmt::Debug for Approver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Approver")
            .field("url", &self.url.as_str())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One question to the webhook.
pub struct ApprovalCall<'a> {
    /// Unique per evaluation; the `webhook-id` (letters, digits, `-`, `_`).
    pub evaluation_id: &'a str,
    pub intent: &'a Intent,
    /// A batch's transactions, `intent` being the whole (empty otherwise).
    pub parts: &'a [Intent],
    /// Who asks (as the caller names users, e.g. the token's subject).
    pub user: &'a str,
    pub wallet: WalletId,
    pub device: Option<DeviceId>,
    /// The rule that asked for approval.
    pub rule: Option<&'a RuleRef>,
}

/// What the webhook said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// A signed yes for this evaluation.
    Approved,
    /// A signed no, with the service's reason (or a default sentence).
    Refused(String),
    /// No answer within the timeout.
    TimedOut,
    /// An answer that cannot be trusted or read; why.
    Invalid(String),
    /// No webhook is configured (`--approval-url`).
    NotConfigured,
}

impl ApprovalOutcome {
    /// A stable code for logs, metrics and the activity log.
    pub fn code(&self) -> &'static str {
        match self {
            ApprovalOutcome::Approved => "approved",
            ApprovalOutcome::Refused(_) => "refused",
            ApprovalOutcome::TimedOut => "timed_out",
            ApprovalOutcome::Invalid(_) => "invalid",
            ApprovalOutcome::NotConfigured => "not_configured",
        }
    }

    /// A sentence for the user (safe to send: no secret, no internal
    /// error).
    pub fn message(&self) -> String {
        match self {
            ApprovalOutcome::Approved => "approved by the operator's approval service".into(),
            ApprovalOutcome::Refused(r) => {
                format!("refused by the operator's approval service: {r}")
            }
            ApprovalOutcome::TimedOut => {
                "the operator's approval service did not answer in time".into()
            }
            ApprovalOutcome::Invalid(r) => {
                format!("the operator's approval service gave no valid answer: {r}")
            }
            ApprovalOutcome::NotConfigured => {
                "this request needs the operator's approval, and no approval service is configured"
                    .into()
            }
        }
    }
}

/// Asks `approver` about `call`, or answers `NotConfigured` without one
/// (`Settings.approver` is `None` unless `--approval-url` is set).
pub async fn ask(approver: Option<&Approver>, call: &ApprovalCall<'_>) -> ApprovalOutcome {
    match approver {
        Some(a) => a.ask(call).await,
        None => ApprovalOutcome::NotConfigured,
    }
}

/// Refuses a webhook URL an on-path attacker could answer or read: it
/// must be `https`, or `http` to a loopback host (`127.0.0.0/8`, `::1`,
/// `localhost`), as the JWKS URL (src/auth.rs).
pub fn check_url(text: &str) -> anyhow::Result<url::Url> {
    let url = url::Url::parse(text)
        .map_err(|e| anyhow::anyhow!("--approval-url {text:?} is not a URL: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    let ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => loopback,
        _ => false,
    };
    if !ok {
        anyhow::bail!(
            "--approval-url {text:?} must be https (plain http only to a loopback host: \
             127.0.0.1, [::1] or localhost)"
        );
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        anyhow::bail!("--approval-url {text:?}: no credentials or fragment in the URL");
    }
    Ok(url)
}

/// The webhook the flags describe (`--approval-url`, `--approval-secret`,
/// `--approval-timeout-ms`, docs/services.md): both the URL and the
/// secret, or neither. Errors never repeat the secret.
pub fn configure(
    url: Option<&str>,
    secret: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<Option<std::sync::Arc<Approver>>> {
    let secret = secret.filter(|s| !s.trim().is_empty());
    match (url, secret) {
        (None, None) => Ok(None),
        (Some(_), None) => anyhow::bail!(
            "--approval-url needs the webhook's shared secret: \
             --approval-secret or KEYFRAME_APPROVAL_SECRET (whsec_<base64>)"
        ),
        (None, Some(_)) => anyhow::bail!(
            "an approval secret is set (--approval-secret or KEYFRAME_APPROVAL_SECRET) \
             but no --approval-url"
        ),
        (Some(url), Some(secret)) => {
            let secret = signature::parse_secret(secret).map_err(|e| anyhow::anyhow!(e))?;
            Ok(Some(std::sync::Arc::new(Approver::new(
                url, secret, timeout,
            )?)))
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Serialize)]
struct Request<'a> {
    #[serde(rename = "type")]
    event: &'static str,
    timestamp: String,
    data: Data<'a>,
}

#[derive(Serialize)]
struct Data<'a> {
    evaluation_id: &'a str,
    #[serde(flatten)]
    intent: &'a Intent,
    /// A batch's transactions, each as an intent, beside the whole's
    /// fields above; absent for one request.
    #[serde(skip_serializing_if = "no_parts")]
    parts: &'a [Intent],
    user: &'a str,
    wallet: WalletId,
    device: Option<DeviceId>,
    rule: Option<&'a RuleRef>,
    /// Unix seconds after which hot storage no longer waits: an approver
    /// that keeps the request open for a person stops there.
    deadline: u64,
}

fn no_parts(parts: &&[Intent]) -> bool {
    parts.is_empty()
}

#[derive(Deserialize)]
struct Answer {
    approved: bool,
    #[serde(rename = "evaluationId")]
    evaluation_id: String,
    #[serde(default)]
    reason: Option<String>,
}

/// The three Standard Webhooks headers of an answer, as received.
#[derive(Default)]
struct Signed {
    id: Option<String>,
    timestamp: Option<String>,
    signature: Option<String>,
}

impl Signed {
    fn of(headers: &reqwest::header::HeaderMap) -> Signed {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Signed {
            id: get("webhook-id"),
            timestamp: get("webhook-timestamp"),
            signature: get("webhook-signature"),
        }
    }
}

fn invalid(reason: &str) -> ApprovalOutcome {
    ApprovalOutcome::Invalid(reason.to_owned())
}

/// A reason from outside, made safe to show: no control characters, at
/// most [`MAX_REASON_CHARS`].
fn clean_reason(reason: Option<String>) -> String {
    let text: String = reason
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_REASON_CHARS)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        "no reason given".into()
    } else {
        text.to_owned()
    }
}

impl Approver {
    /// A client for `url` ([`check_url`]); redirects are not followed
    /// (a redirect could lead to plain http or another host).
    pub fn new(url: &str, secret: ApprovalSecret, timeout: Duration) -> anyhow::Result<Approver> {
        let url = check_url(url)?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the approval webhook's HTTP client")?;
        Ok(Approver {
            url,
            secret,
            timeout,
            http,
        })
    }

    /// The webhook's URL.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// How long [`Approver::ask`] waits.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks the webhook about `call`; waits at most the timeout.
    pub async fn ask(&self, call: &ApprovalCall<'_>) -> ApprovalOutcome {
        let outcome = match tokio::time::timeout(self.timeout, self.exchange(call)).await {
            Ok(outcome) => outcome,
            Err(_) => ApprovalOutcome::TimedOut,
        };
        tracing::info!(
            evaluation_id = call.evaluation_id,
            outcome = outcome.code(),
            "approval webhook"
        );
        outcome
    }

    async fn exchange(&self, call: &ApprovalCall<'_>) -> ApprovalOutcome {
        let id = call.evaluation_id;
        if !signature::valid_id(id) {
            return invalid("the evaluation id cannot be signed");
        }
        let now = unix_now();
        let body = match self.request_body(call, now) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "approval request not serialisable");
                return invalid("the request could not be written");
            }
        };
        let sent = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", self.secret.sign(id, now, &body))
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return ApprovalOutcome::TimedOut,
            Err(e) => {
                // Without the URL: its query could hold a token.
                tracing::warn!(error = %e.without_url(), "approval webhook unreachable");
                return invalid("it could not be reached");
            }
        };
        let status = response.status();
        if !status.is_success() {
            return ApprovalOutcome::Invalid(format!("it answered HTTP {}", status.as_u16()));
        }
        let signed = Signed::of(response.headers());
        if response
            .content_length()
            .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
        {
            return invalid("its answer is larger than 64 KiB");
        }
        let mut answer = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                        return invalid("its answer is larger than 64 KiB");
                    }
                    answer.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return ApprovalOutcome::TimedOut,
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), "approval webhook answer cut short");
                    return invalid("its answer was cut short");
                }
            }
        }
        judge(&self.secret, id, &signed, &answer, unix_now())
    }

    fn request_body(&self, call: &ApprovalCall<'_>, now: u64) -> anyhow::Result<Vec<u8>> {
        let timestamp = time::OffsetDateTime::from_unix_timestamp(now as i64)?
            .format(&time::format_description::well_known::Rfc3339)?;
        let request = Request {
            event: EVENT_TYPE,
            timestamp,
            data: Data {
                evaluation_id: call.evaluation_id,
                intent: call.intent,
                parts: call.parts,
                user: call.user,
                wallet: call.wallet,
                device: call.device,
                rule: call.rule,
                deadline: now + self.timeout.as_secs_f64().ceil() as u64,
            },
        };
        Ok(serde_json::to_vec(&request)?)
    }
}

/// Reads a 2xx answer: signed for `id` with a fresh timestamp, then
/// `{ approved, evaluationId: id, reason? }`.
fn judge(
    secret: &ApprovalSecret,
    id: &str,
    signed: &Signed,
    body: &[u8],
    now: u64,
) -> ApprovalOutcome {
    let (Some(their_id), Some(ts), Some(sig)) = (&signed.id, &signed.timestamp, &signed.signature)
    else {
        return invalid("its answer is not signed");
    };
    if their_id != id {
        return invalid("its answer is signed for another evaluation");
    }
    let Ok(ts) = ts.trim().parse::<u64>() else {
        return invalid("its answer's webhook-timestamp is not Unix seconds");
    };
    if !signature::fresh(ts, now) {
        return invalid("its answer's signature is older than 5 minutes or from the future");
    }
    if !secret.verify(id, ts, body, sig) {
        return invalid("its answer's signature does not verify with the shared secret");
    }
    let Ok(answer) = serde_json::from_slice::<Answer>(body) else {
        return invalid("its answer is not {\"approved\": bool, \"evaluationId\": string}");
    };
    if answer.evaluation_id != id {
        return invalid("its answer is about another evaluation");
    }
    if answer.approved {
        ApprovalOutcome::Approved
    } else {
        ApprovalOutcome::Refused(clean_reason(answer.reason))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NOW: u64 = 1_800_000_000;

    fn signed(s: &ApprovalSecret, id: &str, ts: u64, body: &[u8]) -> Signed {
        Signed {
            id: Some(id.into()),
            timestamp: Some(ts.to_string()),
            signature: Some(s.sign(id, ts, body)),
        }
    }

    #[test]
    fn answers_are_judged() {
        let s = ApprovalSecret::parse(SECRET).unwrap();
        let yes = br#"{"approved":true,"evaluationId":"ev1"}"#;
        assert_eq!(
            judge(&s, "ev1", &signed(&s, "ev1", NOW, yes), yes, NOW),
            ApprovalOutcome::Approved
        );
        let no = br#"{"approved":false,"evaluationId":"ev1","reason":"too\nbig"}"#;
        assert_eq!(
            judge(&s, "ev1", &signed(&s, "ev1", NOW, no), no, NOW),
            ApprovalOutcome::Refused("too big".into())
        );
        let bare = br#"{"approved":false,"evaluationId":"ev1"}"#;
        assert_eq!(
            judge(&s, "ev1", &signed(&s, "ev1", NOW, bare), bare, NOW),
            ApprovalOutcome::Refused("no reason given".into())
        );
        let cases: Vec<(Signed, &[u8], &str)> = vec![
            (Signed::default(), yes, "not signed"),
            (signed(&s, "ev2", NOW, yes), yes, "another evaluation"),
            (
                signed(&s, "ev1", NOW - 301, yes),
                yes,
                "older than 5 minutes",
            ),
            (signed(&s, "ev1", NOW + 301, yes), yes, "from the future"),
            (
                signed(
                    &s,
                    "ev1",
                    NOW,
                    br#"{"approved":false,"evaluationId":"ev1"}"#,
                ),
                yes,
                "does not verify",
            ),
            (signed(&s, "ev1", NOW, b"yes"), b"yes", "is not {"),
        ];
        for (sig, body, why) in cases {
            match judge(&s, "ev1", &sig, body, NOW) {
                ApprovalOutcome::Invalid(r) => assert!(r.contains(why), "{why}: {r}"),
                other => panic!("{why}: {other:?}"),
            }
        }
        // Signed correctly, but a yes for another evaluation.
        let other = br#"{"approved":true,"evaluationId":"ev2"}"#;
        assert!(matches!(
            judge(&s, "ev1", &signed(&s, "ev1", NOW, other), other, NOW),
            ApprovalOutcome::Invalid(r) if r.contains("another evaluation")
        ));
    }

    #[test]
    fn urls_are_https_or_loopback() {
        for good in [
            "https://approvals.example/hook",
            "http://127.0.0.1:3000/approvals/webhook",
            "http://[::1]/x",
            "http://localhost:3000/x",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://approvals.example/hook",
            "http://10.0.0.1/hook",
            "http://127.0.0.1.evil.example/hook",
            "ftp://approvals.example/",
            "https://user:pw@approvals.example/",
            "not a url",
        ] {
            let err = check_url(bad).unwrap_err().to_string();
            assert!(err.contains("--approval-url"), "{bad}: {err}");
        }
    }

    #[test]
    fn reasons_are_bounded() {
        let long = "x".repeat(500);
        assert_eq!(clean_reason(Some(long)).chars().count(), MAX_REASON_CHARS);
        assert_eq!(clean_reason(Some(" \u{7}".into())), "no reason given");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let a = Approver::new(
            "http://127.0.0.1:9/x",
            ApprovalSecret::parse(SECRET).unwrap(),
            DEFAULT_TIMEOUT,
        )
        .unwrap();
        let text = format!("{a:?}");
        assert!(
            text.contains("127.0.0.1:9") && !text.contains("secret"),
            "{text}"
        );
    }
}

//! The policy before the key (docs/policy.md, "Enforced twice").
//!
//! Every signature is judged before the key is rebuilt: the operator's
//! policy and the user's own rules, with the usage of their limits across
//! all of the user's devices, as hot storage reports them
//! (`GET /v2/policy`). Hot storage judges the same intent again when the
//! share is asked for, so a host script that talks to the services
//! directly gains nothing. `deny` answers `POLICY_DENIED` before any share
//! is fetched; `allow` skips the screen; `ask` shows it; `approve` asks
//! the operator's webhook first, then the screen unless the rule is
//! silent. What hot storage cannot see (the user rejected on the screen,
//! this evaluation denied) is reported to the activity log. The share
//! request says whether the screen was shown (`on_screen`): this
//! evaluation ran on usage read before the device lock, so requests made
//! at once may all judge `allow`; hot storage, judging on the usage
//! recorded so far, refuses one whose decision needs the screen
//! (409 `POLICY_CHANGED`), and the signing flow judges again with the
//! screen shown (flows/sign.rs).
//!
//! The user's rules are a document signed by the wallet's authority key
//! ([`SignedUserRules`]); a set whose signature does not verify against the
//! key hot storage registered for the wallet is ignored. They are written
//! only here, when the user ticks "Always allow" on the screen, after the
//! signature the screen was for (the authority key exists only while the
//! key is rebuilt).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use keyframe_policy::document::{Limit, Rule, When};
use keyframe_policy::{Document, Effect, Evaluation, Intent as PolicyIntent, Layers, Policy};
use keyframe_wire::policy::{
    ActivityReport, ApprovalRequest, Decision, PolicyState, RuleRef, SignedUserRules,
};

use super::types::Tokens;
use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Request, RpcError, RpcResult};
use super::{Shield, WalletRecord};
use crate::authority::WalletAuthority;
use crate::shares::DeviceId;

/// How many requests an "always allow" rule lets through per day.
pub const ALWAYS_ALLOW_PER_DAY: u64 = 100;
/// The longest an "always allow" choice lasts, in seconds (30 days).
pub const ALWAYS_ALLOW_MAX_SECS: u64 = 30 * 24 * 3600;

/// Whether the user's rules took part in an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRules {
    /// The wallet has none.
    None,
    /// Present and signed by the wallet's authority key.
    Verified,
    /// Present but not validly signed (or not a policy): ignored.
    Ignored,
}

impl UserRules {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRules::None => "none",
            UserRules::Verified => "verified",
            UserRules::Ignored => "ignored",
        }
    }
}

/// An evaluation as the iFrame made it, and what it used.
pub struct Judgement {
    pub evaluation: Evaluation,
    pub user_rules: UserRules,
    /// The verified user rules (version and document), to extend.
    current: Option<(u64, Document)>,
    /// The stored set's version, verified or not: a new set must exceed it.
    stored_version: u64,
    now: u64,
}

/// A request the policy let through, and what its share request carries.
pub struct Judged {
    pub intent: PolicyIntent,
    /// The webhook's yes (`approve`), used once by hot storage.
    pub approval: Option<String>,
    /// The user approved this very request on the screen: hot storage
    /// releases the share for a decision that needs the screen (`ask`,
    /// `approve` without `silent`) only then (`RecoverWithIntent::on_screen`).
    pub on_screen: bool,
    /// The user chose "always allow": rules to sign and store once the key
    /// is rebuilt.
    pub(super) grant: Option<Grant>,
}

/// An "always allow" choice waiting for the authority key.
pub(super) struct Grant {
    version: u64,
    document: Document,
}

impl Grant {
    /// Signs the rules with the wallet's authority key.
    pub(super) fn sign(
        self,
        wallet: &WalletRecord,
        authority: &WalletAuthority,
    ) -> RpcResult<SignedUserRules> {
        let rules = serde_json::to_string(&self.document)
            .map_err(|_| RpcError::bad_params("user rules"))?;
        let signature =
            URL_SAFE_NO_PAD.encode(authority.sign_user_rules(wallet.wallet, self.version, &rules));
        Ok(SignedUserRules {
            wallet: wallet.wallet,
            version: self.version,
            rules,
            signature,
        })
    }
}

/// The user's rules of `state` if they are `wallet`'s, signed by the
/// authority key hot storage registered for it, and a valid policy.
fn verify_user_rules(
    state: &PolicyState,
    wallet: &WalletRecord,
) -> (UserRules, Option<(u64, Document, Policy)>) {
    let Some(signed) = &state.user_rules else {
        return (UserRules::None, None);
    };
    let checked = (|| {
        if signed.wallet != wallet.wallet
            || signed.rules.len() > keyframe_wire::policy::USER_RULES_MAX_BYTES
        {
            return None;
        }
        let key = VerifyingKey::from_bytes(wallet.authority.as_ref()?.as_bytes()).ok()?;
        let sig: [u8; 64] = URL_SAFE_NO_PAD
            .decode(&signed.signature)
            .ok()?
            .try_into()
            .ok()?;
        key.verify_strict(&signed.message(), &Signature::from_bytes(&sig))
            .ok()?;
        let document: Document = keyframe_json::decode(&signed.rules).ok()?;
        let policy = Policy::new(document.clone()).ok()?;
        Some((signed.version, document, policy))
    })();
    match checked {
        Some(c) => (UserRules::Verified, Some(c)),
        None => (UserRules::Ignored, None),
    }
}

/// The policy's words for why `evaluation` denies.
fn denial(evaluation: &Evaluation) -> String {
    match &evaluation.deciding_rule {
        Some(r) => format!("denied by rule {:?}", r.id),
        None if evaluation.intent.raw_digest => "a raw digest is never signed".to_owned(),
        None => "denied by the policy's default".to_owned(),
    }
}

/// The "always allow" rule for `intent` for `secs` from `now`: this kind
/// of request, from this origin, on this chain, at most
/// [`ALWAYS_ALLOW_PER_DAY`] a day.
fn always_allow_rule(intent: &PolicyIntent, now: u64, secs: u64) -> Option<Rule> {
    let origin = intent.origin.clone()?;
    let until = now.saturating_add(secs.clamp(60, ALWAYS_ALLOW_MAX_SECS));
    Some(Rule {
        id: format!("always-{}-{until}", intent.kind.as_str()),
        effect: Effect::Allow,
        silent: false,
        when: When {
            kinds: Some(vec![intent.kind]),
            chains: intent.chain.map(|c| vec![c]),
            origins: Some(vec![origin]),
            until: Some(until),
            ..When::default()
        },
        limits: vec![Limit {
            window: "24h".to_owned(),
            value_at_most: None,
            lamports_at_most: None,
            count_at_most: Some(ALWAYS_ALLOW_PER_DAY),
            token: None,
            amount_at_most: None,
        }],
    })
}

impl Judgement {
    /// The user rules after an "always allow" of `secs` for the intent:
    /// the verified rules without the expired ones, and the new rule.
    fn grant(&self, secs: u64) -> Option<Grant> {
        let rule = always_allow_rule(&self.evaluation.intent, self.now, secs)?;
        let mut document = self
            .current
            .as_ref()
            .map(|(_, d)| d.clone())
            .unwrap_or(Document {
                version: 1,
                default: Effect::Ask,
                rules: Vec::new(),
            });
        let now = self.now;
        document
            .rules
            .retain(|r| r.when.until.is_none_or(|u| u > now) && r.id != rule.id);
        document.rules.push(rule);
        // Checked now, so a document the services would refuse is never
        // signed.
        Policy::new(document.clone()).ok()?;
        Some(Grant {
            version: self.stored_version + 1,
            document,
        })
    }
}

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Evaluates `intent` for `wallet` as hot storage will: its operator
    /// policy, the user's verified rules and usage, its clock. Signs and
    /// changes nothing (`keyframe_simulate` answers this). A batch passes
    /// its transactions as `parts`: the batch is judged as the strictest
    /// of the whole and each part, so a rule about one transaction (a
    /// denied recipient) holds inside a batch too.
    pub async fn evaluate_policy(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        intent: &PolicyIntent,
        parts: &[PolicyIntent],
    ) -> RpcResult<Judgement> {
        let start = self.clock.now();
        let state = self.hot.policy(token, wallet.wallet).await?;
        let fetched = self.clock.now();
        let operator = Policy::new(state.operator.clone()).map_err(|e| {
            RpcError::policy_denied(format!("the operator's policy cannot be read here: {e}"))
        })?;
        let (user_rules, user) = verify_user_rules(&state, wallet);
        let layers = Layers {
            operator: &operator,
            user: user.as_ref().map(|(_, _, p)| p),
        };
        let mut evaluation = keyframe_policy::evaluate(&layers, intent, &state.usage, state.now);
        for part in parts {
            let one = keyframe_policy::evaluate(&layers, part, &state.usage, state.now);
            if one.effect.rank() > evaluation.effect.rank() {
                evaluation = Evaluation {
                    intent: intent.clone(),
                    record: evaluation.record,
                    record_bucket_secs: evaluation.record_bucket_secs,
                    ..one
                };
            }
        }
        self.clock.measure("keyframe:policy", fetched);
        self.clock.measure("keyframe:policy-fetch", start);
        Ok(Judgement {
            evaluation,
            user_rules,
            stored_version: state.user_rules.as_ref().map_or(0, |r| r.version),
            current: user.map(|(v, d, _)| (v, d)),
            now: state.now,
        })
    }

    /// Judges a signature request before the key is rebuilt and asks the
    /// screen or the webhook where the policy says so. `Err` means nothing
    /// may be signed. `screen`: show the screen whatever this evaluation
    /// says short of `deny` (hot storage answered `POLICY_CHANGED`: its
    /// decision, on newer usage than this one may have seen, needs the
    /// user's yes).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn judge(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        device: Option<DeviceId>,
        request: &Request<'_>,
        intent: &PolicyIntent,
        parts: &[PolicyIntent],
        screen: bool,
    ) -> RpcResult<Judged> {
        let judgement = self.evaluate_policy(token, wallet, intent, parts).await?;
        let e = &judgement.evaluation;
        let rule = e.deciding_rule.clone();
        let judged = |approval, grant, on_screen| Judged {
            intent: intent.clone(),
            approval,
            grant,
            on_screen,
        };
        let ask = async || match self.consent.approve_sign(request).await {
            Ok(always) => Ok(judged(None, always.and_then(|s| judgement.grant(s)), true)),
            Err(err) => {
                self.rejected(token, wallet, device, intent, &err).await;
                Err(err)
            }
        };
        match e.effect {
            Effect::Deny => {
                let why = denial(e);
                self.report(token, wallet, device, intent, Decision::Denied, rule)
                    .await;
                Err(RpcError::policy_denied(why))
            }
            Effect::Allow if !screen => Ok(judged(None, None, false)),
            Effect::Allow | Effect::Ask => ask().await,
            Effect::Approve => {
                let body = ApprovalRequest {
                    wallet: wallet.wallet,
                    device,
                    intent: intent.clone(),
                };
                let yes = self.hot.approval(token, &body).await?;
                if !yes.approved {
                    return Err(RpcError::policy_denied("the approval webhook said no"));
                }
                let on_screen = screen || !yes.silent;
                if on_screen && let Err(err) = self.consent.approve(request).await {
                    self.rejected(token, wallet, device, intent, &err).await;
                    return Err(err);
                }
                Ok(judged(Some(yes.evaluation_id), None, on_screen))
            }
        }
    }

    /// Logs a rejection on the screen (not an abandoned request).
    async fn rejected(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        device: Option<DeviceId>,
        intent: &PolicyIntent,
        err: &RpcError,
    ) {
        if err.reason == crate::Reason::UserRejected {
            self.report(token, wallet, device, intent, Decision::Rejected, None)
                .await;
        }
    }

    /// Best effort: the log misses an entry when hot storage is down, and
    /// the request's answer does not wait for more than one try.
    async fn report(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        device: Option<DeviceId>,
        intent: &PolicyIntent,
        decision: Decision,
        rule: Option<RuleRef>,
    ) {
        let body = ActivityReport {
            wallet: wallet.wallet,
            device,
            intent: intent.clone(),
            decision,
            rule,
        };
        let _ = self.hot.report(token, &body).await;
    }
}

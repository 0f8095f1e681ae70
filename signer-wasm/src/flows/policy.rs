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
//! key is rebuilt); each rule allows only requests like the one on the
//! screen, and the choice is offered only where such a rule can be made
//! (docs/policy.md, "The user's rules").

use ed25519_dalek::{Signature, VerifyingKey};
use keyframe_policy::document::{Limit, Rule, TokenMatch, When};
use keyframe_policy::{
    Amount, Document, Effect, Evaluation, Intent as PolicyIntent, Kind, Layer, Layers, Policy,
    Usage,
};
use keyframe_wire::b64;
use keyframe_wire::policy::{
    ActivityReport, ApprovalRequest, Decision, PolicyState, RuleRef, SignedUserRules,
};

use super::types::Tokens;
use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Request, RpcError, RpcResult};
use super::{Shield, WalletRecord};
use crate::authority::WalletAuthority;
use crate::consent::view::offers_always_allow;
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
    /// A batch's transactions, judged with `intent`: hot storage judges
    /// them again (`RecoverWithIntent::parts`). Empty for one request.
    pub parts: Vec<PolicyIntent>,
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
        let rules = keyframe_json::write_json(&self.document);
        let signature =
            b64::encode_url(authority.sign_user_rules(wallet.wallet, self.version, &rules));
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
        let sig: [u8; 64] = b64::decode_url(&signed.signature).ok()?.try_into().ok()?;
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

/// ERC-20 `transfer(address,uint256)`: the one call whose every argument
/// the intent holds (token, recipient, amount), so a rule can say "this
/// call again". `transferFrom` leaves out whose tokens move, the NFT
/// transfers their token id (signer-wasm/src/intent/policy.rs).
const ERC20_TRANSFER: &str = "0xa9059cbb";

/// `a` as an upper bound, or `None` for an amount counted as everything
/// (docs/policy.md, "What counts"): no bound narrows it.
fn bound(a: Amount) -> Option<String> {
    (a != Amount::MAX).then(|| a.to_string())
}

/// The fee bound of an "always allow" rule for `i`: twice the most it can
/// pay in fees (`max_fee`, the figure the screen showed as "Max fee").
/// Not the fee itself: gas and priority-fee prices move between requests
/// (a page estimates each one anew, and an EIP-1559 base fee may rise
/// 12.5% a block), so the same transaction a minute later would show the
/// screen again. Not unbounded: without a bound the page could send the
/// allowed transaction with an absurd fee and burn the balance with no
/// screen; this way a request allowed by the rule pays at most twice
/// what the user saw, and one with a higher fee shows the screen again.
/// `None` when the fee is unknown or counted as everything: no bound
/// narrows it.
fn fee_bound(i: &PolicyIntent) -> Option<String> {
    let shown = i.max_fee?;
    bound(shown)?;
    bound(shown.saturating_add(shown))
}

/// Each token movement of `i` as one entry (token, recipient, at most the
/// amount shown); `Some(None)` when it moves none, `None` when an amount
/// cannot be bounded.
fn token_bounds(i: &PolicyIntent) -> Option<Option<Vec<TokenMatch>>> {
    let entries = i
        .token_transfers
        .iter()
        .map(|t| {
            Some(TokenMatch {
                token: Some(t.token.clone()),
                to: Some(vec![t.to.clone()]),
                at_most: Some(bound(t.amount)?),
                at_least: None,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((!entries.is_empty()).then_some(entries))
}

/// The conditions of an "always allow" rule for `i` (a batch: with its
/// transactions `parts`): what the screen showed, so that the rule lets
/// through only requests like this one (docs/policy.md, "The user's
/// rules"). `None` for a request that cannot be narrowed so: one that
/// grants an approval, whose destination, amounts or fee are unknown, or
/// whose call the intent does not hold in full; and every message and typed
/// data, whose contents no condition holds (an order's amount and
/// receiver, a message's text: a key-derivation message passes as "not a
/// sign-in"), so a tick on one would allow any other.
fn always_allow_when(i: &PolicyIntent, parts: &[PolicyIntent]) -> Option<When> {
    if i.raw_digest || !i.approvals.is_empty() {
        return None;
    }
    let mut when = When {
        kinds: Some(vec![i.kind]),
        chains: i.chain.map(|c| vec![c]),
        origins: Some(vec![i.origin.clone()?]),
        approvals: Some(false),
        // Each movement is bounded by its entry in `token_transfers`; this
        // bounds their number, so ten 1-USDC transfers in one request are
        // not "like" one.
        token_transfer_count_at_most: Some(u64::try_from(i.token_transfers.len()).ok()?),
        ..When::default()
    };
    match i.kind {
        Kind::EvmTransaction => {
            // A batch names `to` and `selector` only when all its calls
            // share them (intent/policy.rs, `evm_batch_intent`): one whose
            // calls differ is not one request to narrow.
            if parts
                .iter()
                .any(|p| p.to != i.to || p.selector != i.selector || !p.approvals.is_empty())
            {
                return None;
            }
            // No `to`: a contract creation.
            when.to = Some(vec![i.to.clone()?]);
            match i.selector.as_deref() {
                // A plain transfer: without `contract_call: false` the rule
                // would let any call to the same account through (a token
                // contract's `transfer` of everything, say).
                None => when.contract_call = Some(false),
                Some(ERC20_TRANSFER) if !i.token_transfers.is_empty() => {
                    when.selectors = Some(vec![ERC20_TRANSFER.to_owned()]);
                }
                Some(_) => return None,
            }
            when.value_at_most = Some(bound(i.value)?);
            when.token_transfers = token_bounds(i)?;
        }
        Kind::SolanaTransaction => {
            if i.programs.is_empty() {
                return None;
            }
            when.programs = Some(i.programs.clone());
            when.lamports_at_most = Some(bound(i.lamports)?);
            match &i.to {
                Some(to) => when.to = Some(vec![to.clone()]),
                // Lamports to several accounts: no `to` says where they
                // may go.
                None if !i.lamports.is_zero() => return None,
                None => {}
            }
            when.token_transfers = token_bounds(i)?;
        }
        Kind::EvmTypedData | Kind::EvmMessage | Kind::SolanaMessage => return None,
    }
    when.fee_at_most = Some(fee_bound(i)?);
    Some(when)
}

/// `a` times [`ALWAYS_ALLOW_PER_DAY`], saturating.
fn per_day(a: Amount) -> Amount {
    (0..ALWAYS_ALLOW_PER_DAY).fold(Amount::ZERO, |total, _| total.saturating_add(a))
}

/// The 24-hour limits of an "always allow" rule for `i`: the count, and
/// over the day no more value, lamports or tokens than
/// [`ALWAYS_ALLOW_PER_DAY`] requests like `i` move. `when` bounds each
/// request; these bound their sum, which the count alone does not when a
/// request moves less than its bounds allow.
fn always_allow_limits(i: &PolicyIntent) -> Vec<Limit> {
    let day = |l: Limit| Limit {
        window: "24h".to_owned(),
        ..l
    };
    let mut limits = vec![day(Limit {
        count_at_most: Some(ALWAYS_ALLOW_PER_DAY),
        ..Limit::default()
    })];
    // A zero value or lamports is bounded per request already (`when`).
    if !i.value.is_zero() {
        limits.push(day(Limit {
            value_at_most: Some(per_day(i.value).to_string()),
            ..Limit::default()
        }));
    }
    if !i.lamports.is_zero() {
        limits.push(day(Limit {
            lamports_at_most: Some(per_day(i.lamports).to_string()),
            ..Limit::default()
        }));
    }
    // One entry per token, its amounts summed as the limits count them
    // (policy/src/window.rs, `Usage::of`).
    for t in Usage::of(Layer::User, "", i, 0).tokens {
        limits.push(day(Limit {
            token: Some(t.token),
            amount_at_most: Some(per_day(t.amount).to_string()),
            ..Limit::default()
        }));
    }
    limits
}

/// The "always allow" rule for `intent` (and a batch's `parts`) for
/// `secs` from `now`: requests like this one ([`always_allow_when`]), from
/// this origin, on this chain, at most [`ALWAYS_ALLOW_PER_DAY`] a day and
/// moving at most as much as that many would ([`always_allow_limits`]).
/// `None` when the intent cannot be narrowed (or, with more tokens than a
/// rule has limits for, bounded).
fn always_allow_rule(
    intent: &PolicyIntent,
    parts: &[PolicyIntent],
    now: u64,
    secs: u64,
) -> Option<Rule> {
    let until = now.saturating_add(secs.clamp(60, ALWAYS_ALLOW_MAX_SECS));
    let mut when = always_allow_when(intent, parts)?;
    when.until = Some(until);
    let rule = Rule {
        id: format!("always-{}-{until}", intent.kind.as_str()),
        effect: Effect::Allow,
        silent: false,
        when,
        limits: always_allow_limits(intent),
    };
    // Valid on its own, or the intent cannot be narrowed: a destination
    // the decoder could not name ("unknown", an unresolved lookup-table
    // account) is no address a rule can list.
    Policy::new(Document {
        version: 1,
        default: Effect::Ask,
        rules: vec![rule.clone()],
    })
    .ok()?;
    Some(rule)
}

impl Judgement {
    /// Whether the screen for `request` may offer "Always allow": it shows
    /// no warning (consent/view.rs) and the intent can be narrowed to
    /// requests like it.
    fn offers_always_allow(&self, request: &Request<'_>, parts: &[PolicyIntent]) -> bool {
        offers_always_allow(request)
            && always_allow_rule(&self.evaluation.intent, parts, self.now, 0).is_some()
    }

    /// The user rules after an "always allow" of `secs` for the intent:
    /// the verified rules without the expired ones, and the new rule.
    /// Checked again here whatever the consent answered, so a choice for a
    /// request the screen may not offer it for makes no rule.
    fn grant(&self, secs: u64, request: &Request<'_>, parts: &[PolicyIntent]) -> Option<Grant> {
        if !offers_always_allow(request) {
            return None;
        }
        let mut rule = always_allow_rule(&self.evaluation.intent, parts, self.now, secs)?;
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
            .retain(|r| r.when.until.is_none_or(|u| u > now));
        // Rules are narrow now, so two made in the same second must not
        // replace each other.
        let base = rule.id.clone();
        let mut n = 1;
        while document.rules.iter().any(|r| r.id == rule.id) {
            n += 1;
            rule.id = format!("{base}-{n}");
        }
        document.rules.push(rule);
        // Checked now, so a document the services would refuse is never
        // signed.
        Policy::new(document.clone()).ok()?;
        let size = keyframe_json::write_json(&document).len();
        if size > keyframe_wire::policy::USER_RULES_MAX_BYTES {
            return None;
        }
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
    /// of the whole and each part (`keyframe_policy::evaluate_with_parts`),
    /// so a rule about one transaction (a denied recipient) holds inside a
    /// batch too.
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
        // The same function as hot storage's, which is sent the parts too.
        let evaluation =
            keyframe_policy::evaluate_with_parts(&layers, intent, parts, &state.usage, state.now);
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
            parts: parts.to_vec(),
            approval,
            grant,
            on_screen,
        };
        // The choice is offered only where it can make a narrow rule.
        let offer = judgement.offers_always_allow(request, parts);
        let ask = async || {
            let answer = self.consent.approve_sign(request, offer).await;
            match answer {
                Ok(always) => Ok(judged(
                    None,
                    always.and_then(|s| judgement.grant(s, request, parts)),
                    true,
                )),
                Err(err) => {
                    self.rejected(token, wallet, device, intent, &err).await;
                    Err(err)
                }
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
                    parts: parts.to_vec(),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::intent::{Intent as Shown, IntentKind, Warning, WarningCode};
    use keyframe_policy::{Approval, TokenTransfer, TypedData};

    const NOW: u64 = 1_767_225_600;
    const APP: &str = "https://app.example";
    const USDC: &str = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913";
    const ALICE: &str = "0x70997970c51812dc3a010c7d01b50e20d17dc79c";
    const SOL_ALICE: &str = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
    const SYSTEM: &str = "11111111111111111111111111111111";
    const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";

    fn judgement(intent: &PolicyIntent) -> Judgement {
        let operator = Policy::default();
        let layers = Layers {
            operator: &operator,
            user: None,
        };
        Judgement {
            evaluation: keyframe_policy::evaluate(&layers, intent, &[], NOW),
            user_rules: UserRules::None,
            current: None,
            stored_version: 0,
            now: NOW,
        }
    }

    fn shown(warnings: Vec<Warning>) -> Shown {
        Shown {
            kind: IntentKind::EvmTransaction,
            title: "Sign transaction".into(),
            summary: None,
            fields: Vec::new(),
            warnings,
            raw: None,
        }
    }

    /// The rule a tick on `intent`'s screen (no warning) makes, if any.
    fn granted(intent: &PolicyIntent, parts: &[PolicyIntent]) -> Option<Rule> {
        let display = shown(Vec::new());
        let request = Request::Sign {
            method: "eth_signTransaction",
            intent: Some(&display),
        };
        let j = judgement(intent);
        assert_eq!(
            j.offers_always_allow(&request, parts),
            always_allow_rule(intent, parts, NOW, 3600).is_some()
        );
        let grant = j.grant(3600, &request, parts)?;
        assert_eq!(grant.version, 1);
        grant.document.rules.into_iter().next()
    }

    /// What the test transactions can pay in fees: 21,000 gas at 1 gwei;
    /// 5,000 lamports (one signature).
    const EVM_FEE: u64 = 21_000_000_000_000;
    const SOL_FEE: u64 = 5_000;

    fn evm(to: Option<&str>, wei: u64) -> PolicyIntent {
        let mut i = PolicyIntent::new(Kind::EvmTransaction);
        i.chain = Some(8453);
        i.origin = Some(APP.into());
        i.to = to.map(str::to_owned);
        i.value = Amount::from(wei);
        i.max_fee = Some(Amount::from(EVM_FEE));
        i
    }

    fn usdc_transfer(amount: u64) -> PolicyIntent {
        let mut i = evm(Some(USDC), 0);
        i.selector = Some(ERC20_TRANSFER.into());
        i.token_transfers = vec![TokenTransfer {
            token: USDC.into(),
            to: ALICE.into(),
            amount: Amount::from(amount),
        }];
        i
    }

    fn sol(to: Option<&str>, lamports: Amount) -> PolicyIntent {
        let mut i = PolicyIntent::new(Kind::SolanaTransaction);
        i.origin = Some(APP.into());
        i.programs = vec![SYSTEM.into()];
        i.to = to.map(str::to_owned);
        i.lamports = lamports;
        i.max_fee = Some(Amount::from(SOL_FEE));
        i
    }

    #[test]
    fn the_rule_holds_what_the_screen_showed() {
        let rule = granted(&usdc_transfer(1_000_000), &[]).unwrap();
        assert_eq!(rule.id, format!("always-evm_transaction-{}", NOW + 3600));
        assert_eq!(
            rule.when,
            When {
                kinds: Some(vec![Kind::EvmTransaction]),
                chains: Some(vec![8453]),
                origins: Some(vec![APP.into()]),
                to: Some(vec![USDC.into()]),
                selectors: Some(vec![ERC20_TRANSFER.into()]),
                value_at_most: Some("0".into()),
                token_transfers: Some(vec![TokenMatch {
                    token: Some(USDC.into()),
                    to: Some(vec![ALICE.into()]),
                    at_most: Some("1000000".into()),
                    at_least: None,
                }]),
                token_transfer_count_at_most: Some(1),
                approvals: Some(false),
                fee_at_most: Some((2 * EVM_FEE).to_string()),
                until: Some(NOW + 3600),
                ..When::default()
            }
        );
        let day = |l: Limit| Limit {
            window: "24h".into(),
            ..l
        };
        assert_eq!(
            rule.limits,
            vec![
                day(Limit {
                    count_at_most: Some(ALWAYS_ALLOW_PER_DAY),
                    ..Limit::default()
                }),
                day(Limit {
                    token: Some(USDC.into()),
                    amount_at_most: Some("100000000".into()),
                    ..Limit::default()
                }),
            ]
        );

        let send = granted(&evm(Some(ALICE), 5), &[]).unwrap();
        assert_eq!(
            (
                send.when.contract_call,
                send.when.value_at_most,
                send.when.selectors
            ),
            (Some(false), Some("5".into()), None)
        );
        assert_eq!(send.limits[1].value_at_most.as_deref(), Some("500"));
        assert_eq!(send.limits.len(), 2);
        // No value: `value_at_most: "0"` bounds each request already.
        assert_eq!(granted(&evm(Some(ALICE), 0), &[]).unwrap().limits.len(), 1);

        let sol = granted(&sol(Some(SOL_ALICE), Amount::from(7u64)), &[]).unwrap();
        assert_eq!(sol.limits[1].lamports_at_most.as_deref(), Some("700"));
        let s = sol.when;
        assert_eq!(
            (
                s.programs,
                s.lamports_at_most,
                s.to,
                s.chains,
                s.token_transfer_count_at_most,
                s.fee_at_most
            ),
            (
                Some(vec![SYSTEM.into()]),
                Some("7".into()),
                Some(vec![SOL_ALICE.into()]),
                None,
                Some(0),
                Some("10000".into())
            )
        );

        // A batch of calls alike is narrowed as its whole: as many
        // movements, and over a day as much as 100 such batches.
        let part = usdc_transfer(1);
        let mut whole = usdc_transfer(1);
        whole.token_transfers.extend(part.token_transfers.clone());
        let batch = granted(&whole, &[part.clone(), part]).unwrap();
        assert_eq!(batch.when.token_transfer_count_at_most, Some(2));
        assert_eq!(batch.limits[1].amount_at_most.as_deref(), Some("200"));
    }

    /// `intent` judged by the user's rules of `rule` alone, after `usage`.
    fn judged(rule: &Rule, intent: &PolicyIntent, usage: &[Usage]) -> Effect {
        let operator = Policy::default();
        let user = Policy::new(Document {
            version: 1,
            default: Effect::Ask,
            rules: vec![rule.clone()],
        })
        .unwrap();
        let layers = Layers {
            operator: &operator,
            user: Some(&user),
        };
        keyframe_policy::evaluate(&layers, intent, usage, NOW).effect
    }

    /// What `n` requests like `intent` took from `rule` an hour ago.
    fn used(rule: &Rule, intent: &PolicyIntent, n: u64) -> Usage {
        let mut u = Usage::of(Layer::User, &rule.id, intent, NOW - 3600);
        for _ in 1..n {
            u.absorb(&Usage::of(Layer::User, &rule.id, intent, NOW - 3600));
        }
        u
    }

    #[test]
    fn a_rule_bounds_each_request_and_the_day_to_what_the_screen_showed() {
        // One request: ten 1-USDC movements are not "like" one.
        let one = usdc_transfer(1_000_000);
        let rule = granted(&one, &[]).unwrap();
        assert_eq!(judged(&rule, &one, &[]), Effect::Allow);
        let mut ten = one.clone();
        ten.token_transfers = vec![one.token_transfers[0].clone(); 10];
        let parts = vec![one.clone(); 10];
        assert_eq!(judged(&rule, &ten, &[]), Effect::Ask);
        // (Each transaction of such a batch alone is like it.)
        assert!(parts.iter().all(|p| judged(&rule, p, &[]) == Effect::Allow));

        // The day: a request showing 1 USDC to Alice and 1,000 to Bob lets
        // two of 1,000 to Bob through each time, but not beyond 100 times
        // what it showed in all.
        const BOB: &str = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
        let mut shown = usdc_transfer(1_000_000);
        shown.token_transfers.push(TokenTransfer {
            token: USDC.into(),
            to: BOB.into(),
            amount: Amount::from(1_000_000_000u64),
        });
        let rule = granted(&shown, &[]).unwrap();
        let mut to_bob = shown.clone();
        to_bob.token_transfers = vec![shown.token_transfers[1].clone(); 2];
        assert_eq!(judged(&rule, &to_bob, &[]), Effect::Allow);
        // 100 × 1,001 USDC = 100,100 USDC: 50 of 2,000 fit, 51 do not,
        // well within 100 requests.
        assert_eq!(
            judged(&rule, &to_bob, &[used(&rule, &to_bob, 49)]),
            Effect::Allow
        );
        assert_eq!(
            judged(&rule, &to_bob, &[used(&rule, &to_bob, 50)]),
            Effect::Ask
        );

        // Value and lamports: at most 100 times the shown per day, whatever
        // the count.
        let send = evm(Some(ALICE), 5);
        let rule = granted(&send, &[]).unwrap();
        let mut spent = used(&rule, &send, 1);
        spent.value = Amount::from(496u64);
        assert_eq!(judged(&rule, &send, &[spent.clone()]), Effect::Ask);
        spent.value = Amount::from(495u64);
        assert_eq!(judged(&rule, &send, &[spent]), Effect::Allow);
        let lamports = sol(Some(SOL_ALICE), Amount::from(7u64));
        let rule = granted(&lamports, &[]).unwrap();
        let mut spent = used(&rule, &lamports, 1);
        spent.lamports = Amount::from(693u64);
        assert_eq!(judged(&rule, &lamports, &[spent.clone()]), Effect::Allow);
        spent.lamports = Amount::from(694u64);
        assert_eq!(judged(&rule, &lamports, &[spent]), Effect::Ask);

        // The fee: at most twice the one shown, and known.
        for (rule, shown) in [
            (granted(&send, &[]).unwrap(), send.clone()),
            (granted(&lamports, &[]).unwrap(), lamports.clone()),
        ] {
            let fee = shown.max_fee.unwrap();
            let mut dearer = shown.clone();
            dearer.max_fee = Some(fee.saturating_add(fee));
            assert_eq!(judged(&rule, &dearer, &[]), Effect::Allow);
            dearer.max_fee = Some(fee.saturating_add(fee).saturating_add(Amount::from(1u64)));
            assert_eq!(judged(&rule, &dearer, &[]), Effect::Ask);
            dearer.max_fee = None;
            assert_eq!(judged(&rule, &dearer, &[]), Effect::Ask);
        }

        // Near the top of the range the bounds saturate.
        assert_eq!(per_day(Amount::MAX), Amount::MAX);
        let big = Amount::parse(
            "1157920892373161954235709850086879078532699846656405640394575840079131296399",
        )
        .unwrap();
        assert_eq!(
            per_day(big).to_string(),
            "115792089237316195423570985008687907853269984665640564039457584007913129639900"
        );
        assert_eq!(per_day(big.saturating_add(Amount::from(1u64))), Amount::MAX);
    }

    #[test]
    fn no_rule_for_typed_data_or_messages() {
        // Their contents (an order's amount and receiver, a message's text)
        // are no part of a rule, so a rule would allow any other.
        let mut typed = PolicyIntent::new(Kind::EvmTypedData);
        typed.chain = Some(8453);
        typed.origin = Some(APP.into());
        typed.typed_data = Some(TypedData {
            name: Some("Seaport".into()),
            version: Some("1.6".into()),
            chain_id: Some(8453),
            verifying_contract: Some(ALICE.into()),
            primary_type: "OrderComponents".into(),
        });
        let mut message = PolicyIntent::new(Kind::EvmMessage);
        message.chain = Some(8453);
        message.origin = Some(APP.into());
        let mut sign_in = message.clone();
        sign_in.siwe_domain = Some("app.example".into());
        let mut sol_message = PolicyIntent::new(Kind::SolanaMessage);
        sol_message.origin = Some(APP.into());
        let mut sol_sign_in = sol_message.clone();
        sol_sign_in.siwe_domain = Some("app.example".into());
        for (what, i) in [
            ("typed data", &typed),
            ("a message", &message),
            ("a sign-in", &sign_in),
            ("a Solana message", &sol_message),
            ("a Solana sign-in", &sol_sign_in),
        ] {
            assert!(always_allow_when(i, &[]).is_none(), "{what}");
            assert!(granted(i, &[]).is_none(), "{what}");
        }
    }

    #[test]
    fn a_grant_is_refused_where_the_intent_cannot_be_narrowed() {
        let mut cannot: Vec<(&str, PolicyIntent)> = Vec::new();
        let mut approve = evm(Some(USDC), 0);
        approve.selector = Some("0x095ea7b3".into());
        approve.approvals = vec![Approval {
            token: USDC.into(),
            spender: ALICE.into(),
            amount: Some(Amount::from(1u64)),
        }];
        cannot.push(("an approval", approve));
        cannot.push(("a contract creation", evm(None, 0)));
        let mut unknown = evm(Some(USDC), 0);
        unknown.selector = Some("0xdeadbeef".into());
        cannot.push(("a call the intent does not hold", unknown));
        let mut from = usdc_transfer(1);
        from.selector = Some("0x23b872dd".into());
        cannot.push(("transferFrom (whose tokens?)", from));
        cannot.push(("a value counted as everything", evm(Some(ALICE), 0)));
        if let Some((_, i)) = cannot.last_mut() {
            i.value = Amount::MAX;
        }
        let mut unknown_fee = evm(Some(ALICE), 1);
        unknown_fee.max_fee = None;
        cannot.push(("a fee not known", unknown_fee));
        let mut every_fee = sol(Some(SOL_ALICE), Amount::from(1u64));
        every_fee.max_fee = Some(Amount::MAX);
        cannot.push(("a fee counted as everything", every_fee));
        cannot.push((
            "lamports to an unknown destination",
            sol(Some("unknown"), Amount::MAX),
        ));
        cannot.push((
            "lamports to several accounts",
            sol(None, Amount::from(5u64)),
        ));
        let mut unresolved = sol(None, Amount::ZERO);
        unresolved.programs = vec![TOKEN.into()];
        unresolved.token_transfers = vec![TokenTransfer {
            token: SOL_ALICE.into(),
            to: format!("unresolved:{SOL_ALICE}:3"),
            amount: Amount::from(1u64),
        }];
        cannot.push(("a token recipient the decoder cannot name", unresolved));
        let mut typed = PolicyIntent::new(Kind::EvmTypedData);
        typed.origin = Some(APP.into());
        typed.typed_data = Some(TypedData {
            name: None,
            version: None,
            chain_id: None,
            verifying_contract: None,
            primary_type: "Mail".into(),
        });
        cannot.push(("typed data with no domain to name", typed));
        let mut digest = PolicyIntent::new(Kind::EvmMessage);
        digest.origin = Some(APP.into());
        digest.raw_digest = true;
        cannot.push(("a raw digest", digest));
        cannot.push(("no origin", PolicyIntent::new(Kind::SolanaMessage)));
        for (what, intent) in &cannot {
            assert!(granted(intent, &[]).is_none(), "{what}");
        }
        // A batch whose calls go to different accounts.
        let (a, b) = (evm(Some(ALICE), 1), evm(Some(USDC), 1));
        assert!(granted(&evm(None, 2), &[a, b]).is_none(), "a mixed batch");

        // A screen with a warning makes no rule, whatever the consent says.
        let display = shown(vec![Warning {
            code: WarningCode::UnknownContractCall,
            message: "unknown".into(),
        }]);
        let request = Request::Sign {
            method: "eth_signTransaction",
            intent: Some(&display),
        };
        let j = judgement(&usdc_transfer(1));
        assert!(!j.offers_always_allow(&request, &[]));
        assert!(j.grant(3600, &request, &[]).is_none());
        let undescribed = Request::Sign {
            method: "eth_signTransaction",
            intent: None,
        };
        assert!(j.grant(3600, &undescribed, &[]).is_none());
    }

    #[test]
    fn rules_made_in_the_same_second_keep_each_other() {
        let display = shown(Vec::new());
        let request = Request::Sign {
            method: "eth_signTransaction",
            intent: Some(&display),
        };
        let first = judgement(&usdc_transfer(1))
            .grant(3600, &request, &[])
            .unwrap();
        let mut j = judgement(&evm(Some(ALICE), 1));
        j.current = Some((first.version, first.document));
        j.stored_version = first.version;
        let second = j.grant(3600, &request, &[]).unwrap();
        assert_eq!(second.version, 2);
        let ids: Vec<_> = second
            .document
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let base = format!("always-evm_transaction-{}", NOW + 3600);
        assert_eq!(ids, vec![base.clone(), format!("{base}-2")]);
    }
}

//! Evaluation: every rule of every layer against one intent, then the
//! precedence of docs/policy.md ("Layers and precedence"):
//!
//! 1. a matching `deny` rule in any layer decides (the operator's first);
//! 2. otherwise the operator's first matching rule, else its default,
//!    gives the operator's effect;
//! 3. the user's first matching rule may make that stricter, and may
//!    loosen exactly one thing: the operator's `ask` to `allow`; an
//!    operator `approve` or `deny` is never loosened;
//! 4. a raw digest is never allowed: allow rules do not match it, and an
//!    outcome of `allow` (a default) becomes `deny`.
//!
//! A request made of several ([`evaluate_with_parts`], a batch of
//! transactions) is the strictest of its whole and its parts.

use crate::Intent;
use crate::compile::{CRule, Policy};
use crate::document::Effect;
use crate::window::{Layer, Usage, check_limit};
use serde::{Deserialize, Serialize};

/// The policies that apply to a request, outermost first.
#[derive(Debug, Clone, Copy)]
pub struct Layers<'a> {
    /// The operator's policy; its default is the default of the whole.
    pub operator: &'a Policy,
    /// The user's own rules (their document's `default` is not consulted).
    pub user: Option<&'a Policy>,
}

/// A rule, named by its layer and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRef {
    /// The layer.
    pub layer: Layer,
    /// The rule's id.
    pub id: String,
}

/// How one rule fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleResult {
    /// The layer.
    pub layer: Layer,
    /// The rule's id.
    pub id: String,
    /// The rule's effect.
    pub effect: Effect,
    /// Whether every condition and limit held.
    pub matched: bool,
    /// The first that did not (`when.chains: chain 1 is not listed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failed_condition: Option<String>,
}

/// The answer for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// The decision.
    pub effect: Effect,
    /// `approve` by a silent rule: no screen after the webhook's yes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub silent: bool,
    /// The rule that decided; absent when the default did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deciding_rule: Option<RuleRef>,
    /// Every rule, operator's first, in order.
    pub per_rule: Vec<RuleResult>,
    /// The intent evaluated.
    pub intent: Intent,
    /// What to add to the usage if the request goes ahead (the deciding
    /// rule has limits and the effect is not `deny`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Usage>,
    /// The bucket a store may keep `record` in: [`crate::bucket_secs`] of
    /// the deciding rule's shortest window (0, and absent, without a
    /// record).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub record_bucket_secs: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

const RAW_DIGEST: &str = "raw_digest: a raw digest is never allowed by a rule";

fn judge(layer: Layer, rule: &CRule, intent: &Intent, usage: &[Usage], now: u64) -> RuleResult {
    let failed = if rule.effect == Effect::Allow && intent.raw_digest {
        Some(RAW_DIGEST.to_owned())
    } else {
        rule.conds
            .iter()
            .find_map(|c| {
                c.check(intent, now)
                    .err()
                    .map(|m| format!("when.{}: {m}", c.field()))
            })
            .or_else(|| {
                rule.limits.iter().enumerate().find_map(|(j, l)| {
                    check_limit(l, layer, &rule.id, intent, usage, now)
                        .err()
                        .map(|m| format!("limits[{j}]: {m}"))
                })
            })
    };
    RuleResult {
        layer,
        id: rule.id.clone(),
        effect: rule.effect,
        matched: failed.is_none(),
        first_failed_condition: failed,
    }
}

/// Evaluates `intent` against `layers`, with the past `usage` of their
/// limits, at `now` (Unix seconds).
pub fn evaluate(layers: &Layers<'_>, intent: &Intent, usage: &[Usage], now: u64) -> Evaluation {
    let mut per_rule = Vec::new();
    let mut layer_rules: Vec<(Layer, &CRule)> = Vec::new();
    for (layer, policy) in [
        (Layer::Operator, Some(layers.operator)),
        (Layer::User, layers.user),
    ] {
        for r in policy.map(|p| p.rules.as_slice()).unwrap_or_default() {
            per_rule.push(judge(layer, r, intent, usage, now));
            layer_rules.push((layer, r));
        }
    }
    let first =
        |pred: &dyn Fn(&RuleResult) -> bool| per_rule.iter().position(|r| r.matched && pred(r));

    let (effect, decider) = if let Some(i) = first(&|r| r.effect == Effect::Deny) {
        (Effect::Deny, Some(i))
    } else {
        let op = first(&|r| r.layer == Layer::Operator);
        let op_effect = op.map_or(layers.operator.default_effect(), |i| per_rule[i].effect);
        // A raw digest the operator's default would allow is denied here,
        // before the user layer, so no user rule can turn it into `ask`.
        // (Allow rules never match one, so only the default can say allow.)
        if intent.raw_digest && op_effect == Effect::Allow {
            return finish(&layer_rules, per_rule, intent, now, Effect::Deny, None);
        }
        match first(&|r| r.layer == Layer::User) {
            Some(u) => {
                let ue = per_rule[u].effect;
                if (op_effect == Effect::Ask && ue == Effect::Allow) || ue.rank() > op_effect.rank()
                {
                    (ue, Some(u))
                } else {
                    (op_effect, op)
                }
            }
            None => (op_effect, op),
        }
    };
    let (effect, decider) = if intent.raw_digest && effect == Effect::Allow {
        (Effect::Deny, None)
    } else {
        (effect, decider)
    };
    finish(&layer_rules, per_rule, intent, now, effect, decider)
}

/// Evaluates a request that is several at once (a
/// `keyframe_signTransactions` batch): `whole`, the batch as one intent,
/// and each of its `parts`, with the same `usage` and `now`. The strictest
/// effect ([`Effect::rank`]) counts, the whole's on a tie, so a rule about
/// one part (a denied recipient, `contract_call: false`) holds inside a
/// batch. The answer is the deciding evaluation's (effect, `silent`,
/// deciding rule, `per_rule` and its failed conditions) but always names
/// `whole` as its intent and carries the whole's `record`: the batch is
/// one request, so a limit counts it once, as the whole. With no parts it
/// is [`evaluate`] of `whole`. The iFrame and hot storage both call this,
/// so they judge a batch alike (docs/policy.md, "Batches").
pub fn evaluate_with_parts(
    layers: &Layers<'_>,
    whole: &Intent,
    parts: &[Intent],
    usage: &[Usage],
    now: u64,
) -> Evaluation {
    let mut evaluation = evaluate(layers, whole, usage, now);
    for part in parts {
        let one = evaluate(layers, part, usage, now);
        if one.effect.rank() > evaluation.effect.rank() {
            evaluation = Evaluation {
                intent: whole.clone(),
                record: evaluation.record,
                record_bucket_secs: evaluation.record_bucket_secs,
                ..one
            };
        }
    }
    evaluation
}

/// The evaluation for `effect` decided by `decider` (an index into
/// `layer_rules`, or the default).
fn finish(
    layer_rules: &[(Layer, &CRule)],
    per_rule: Vec<RuleResult>,
    intent: &Intent,
    now: u64,
    effect: Effect,
    decider: Option<usize>,
) -> Evaluation {
    let deciding = decider.map(|i| layer_rules[i]);
    let silent = effect == Effect::Approve && deciding.is_some_and(|(_, r)| r.silent);
    let (record, record_bucket_secs) = match deciding {
        Some((layer, r)) if effect != Effect::Deny && !r.limits.is_empty() => {
            let shortest = r.limits.iter().map(|l| l.window).min().unwrap_or(1);
            (
                Some(Usage::of(layer, &r.id, intent, now)),
                crate::window::bucket_secs(shortest),
            )
        }
        _ => (None, 0),
    };
    Evaluation {
        effect,
        silent,
        deciding_rule: deciding.map(|(layer, r)| RuleRef {
            layer,
            id: r.id.clone(),
        }),
        per_rule,
        intent: intent.clone(),
        record,
        record_bucket_secs,
    }
}

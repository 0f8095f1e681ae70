//! Property tests of the evaluator: deny wins; the order of rules matters
//! only among non-deny rules; a rolling window never lets more through
//! than its limit, whatever the interleaving of requests; a batch is
//! never judged looser than its whole or any of its parts.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use keyframe_policy::document::{Limit, Rule, When};
use keyframe_policy::{
    Amount, Approval, Document, Effect, Intent, Kind, Layer, Layers, Policy, TokenTransfer, Usage,
    evaluate, evaluate_with_parts,
};
use proptest::prelude::*;

const ADDRS: [&str; 3] = [
    "0x1111111111111111111111111111111111111111",
    "0x2222222222222222222222222222222222222222",
    "0x3333333333333333333333333333333333333333",
];
const TOKEN: &str = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const KINDS: [Kind; 3] = [Kind::EvmMessage, Kind::EvmTransaction, Kind::EvmTypedData];

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![
        Just(Effect::Allow),
        Just(Effect::Ask),
        Just(Effect::Approve),
        Just(Effect::Deny)
    ]
}

fn when() -> impl Strategy<Value = When> {
    (
        proptest::option::of(proptest::sample::subsequence(KINDS.to_vec(), 1..=2)),
        proptest::option::of(proptest::sample::subsequence(vec![1u64, 8453], 1..=2)),
        proptest::option::of(proptest::sample::subsequence(ADDRS.to_vec(), 1..=2)),
        proptest::option::of(0u64..10),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0u64..10),
    )
        .prop_map(|(kinds, chains, to, most, approvals, tok)| When {
            kinds,
            chains,
            to: to.map(|v| v.into_iter().map(str::to_owned).collect()),
            value_at_most: most.map(|m| m.to_string()),
            approvals,
            token_transfers: tok.map(|t| {
                vec![keyframe_policy::document::TokenMatch {
                    token: Some(TOKEN.to_owned()),
                    at_most: Some(t.to_string()),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        })
}

fn rules(max: usize) -> impl Strategy<Value = Vec<Rule>> {
    proptest::collection::vec((effect(), when()), 0..max).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (effect, when))| Rule {
                id: format!("r{i}"),
                effect,
                silent: false,
                when,
                limits: Vec::new(),
            })
            .collect()
    })
}

fn intent() -> impl Strategy<Value = Intent> {
    (
        proptest::sample::select(KINDS.to_vec()),
        proptest::sample::select(vec![1u64, 8453, 10]),
        proptest::option::of(proptest::sample::select(ADDRS.to_vec())),
        0u64..12,
        any::<bool>(),
        proptest::option::of(0u64..12),
        any::<bool>(),
    )
        .prop_map(|(kind, chain, to, value, approval, tok, raw)| {
            let mut i = Intent::new(kind);
            i.chain = Some(chain);
            i.to = to.map(str::to_owned);
            i.value = Amount::from(value);
            if approval {
                i.approvals.push(Approval {
                    token: TOKEN.to_owned(),
                    spender: ADDRS[0].to_owned(),
                    amount: Some(Amount::from(value)),
                });
            }
            if let Some(t) = tok {
                i.token_transfers.push(TokenTransfer {
                    token: TOKEN.to_lowercase(),
                    to: ADDRS[1].to_owned(),
                    amount: Amount::from(t),
                });
            }
            i.raw_digest = raw && kind == Kind::EvmMessage;
            i
        })
}

fn policy(default: Effect, rules: Vec<Rule>) -> Policy {
    Policy::new(Document {
        version: 1,
        default,
        rules,
    })
    .unwrap()
}

const NOW: u64 = 1_767_225_600;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A matching deny rule in either layer decides, wherever it stands;
    /// and adding one that matches everything makes every request a deny.
    #[test]
    fn deny_wins(op in rules(6), user in rules(4), default in effect(), i in intent(), at in 0usize..7, in_user in any::<bool>()) {
        let (o, u) = (policy(default, op.clone()), policy(Effect::Ask, user.clone()));
        let e = evaluate(&Layers { operator: &o, user: Some(&u) }, &i, &[], NOW);
        let deny_matched = e.per_rule.iter().any(|r| r.matched && r.effect == Effect::Deny);
        prop_assert_eq!(deny_matched, e.effect == Effect::Deny && e.deciding_rule.is_some());

        let catch_all = Rule { id: "stop".into(), effect: Effect::Deny, silent: false, when: When::default(), limits: vec![] };
        let (mut op2, mut user2) = (op, user);
        if in_user { user2.insert(at.min(user2.len()), catch_all) } else { op2.insert(at.min(op2.len()), catch_all) }
        let (o2, u2) = (policy(default, op2), policy(Effect::Ask, user2));
        let e2 = evaluate(&Layers { operator: &o2, user: Some(&u2) }, &i, &[], NOW);
        prop_assert_eq!(e2.effect, Effect::Deny);
    }

    /// The user layer: never looser than the operator alone, except that
    /// an operator `ask` may become `allow` by a user rule; an operator
    /// `approve` or `deny` is never loosened; the user document's default
    /// is never consulted.
    #[test]
    fn a_user_rule_loosens_only_ask_to_allow(op in rules(5), user in rules(5), default in effect(), user_default in effect(), i in intent()) {
        let o = policy(default, op);
        let u = policy(user_default, user);
        let alone = evaluate(&Layers { operator: &o, user: None }, &i, &[], NOW);
        let both = evaluate(&Layers { operator: &o, user: Some(&u) }, &i, &[], NOW);
        let loosened = both.effect.rank() < alone.effect.rank();
        if loosened {
            prop_assert_eq!((alone.effect, both.effect), (Effect::Ask, Effect::Allow));
            prop_assert_eq!(both.deciding_rule.as_ref().map(|r| r.layer), Some(Layer::User));
        }
        if matches!(alone.effect, Effect::Approve | Effect::Deny) {
            prop_assert!(both.effect.rank() >= alone.effect.rank());
        }
        // Only a user rule, never the user's default, changes the outcome.
        if !both.per_rule.iter().any(|r| r.layer == Layer::User && r.matched) {
            prop_assert_eq!(both.effect, alone.effect);
        }
    }

    /// A batch (the iFrame and hot storage both judge one with
    /// `evaluate_with_parts`): its effect is the strictest of its whole's
    /// and each part's, decided by the first evaluation that has it (the
    /// whole's first), whose rule and `per_rule` it reports; its intent
    /// and its record are always the whole's.
    #[test]
    fn a_batch_is_the_strictest_of_its_whole_and_its_parts(
        op in rules(6), user in rules(3), default in effect(),
        w in intent(), parts in proptest::collection::vec(intent(), 0..5),
    ) {
        let (o, u) = (policy(default, op), policy(Effect::Ask, user));
        let layers = Layers { operator: &o, user: Some(&u) };
        let alone = evaluate(&layers, &w, &[], NOW);
        let each: Vec<_> = parts.iter().map(|p| evaluate(&layers, p, &[], NOW)).collect();
        let e = evaluate_with_parts(&layers, &w, &parts, &[], NOW);
        let strictest = each.iter().map(|x| x.effect.rank()).fold(alone.effect.rank(), u8::max);
        prop_assert_eq!(e.effect.rank(), strictest);
        let decider = std::iter::once(&alone).chain(&each).find(|x| x.effect.rank() == strictest).unwrap();
        prop_assert_eq!(&e.deciding_rule, &decider.deciding_rule);
        prop_assert_eq!(&e.per_rule, &decider.per_rule);
        prop_assert_eq!(e.silent, decider.silent);
        prop_assert_eq!(&e.intent, &w);
        prop_assert_eq!((&e.record, e.record_bucket_secs), (&alone.record, alone.record_bucket_secs));
    }

    /// Reordering the rules never turns a deny into something else or the
    /// reverse, never changes which rules match, and otherwise the first
    /// matching non-deny rule (in the new order) decides.
    #[test]
    fn order_matters_only_among_non_deny_rules(op in rules(7), default in effect(), i in intent(), seed in any::<u64>()) {
        let mut shuffled = op.clone();
        // A Fisher-Yates shuffle driven by the seed (proptest shrinks it).
        let mut s = seed;
        for k in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(k, (s >> 33) as usize % (k + 1));
        }
        let (a, b) = (policy(default, op), policy(default, shuffled.clone()));
        let ea = evaluate(&Layers { operator: &a, user: None }, &i, &[], NOW);
        let eb = evaluate(&Layers { operator: &b, user: None }, &i, &[], NOW);
        prop_assert_eq!(ea.effect == Effect::Deny, eb.effect == Effect::Deny);
        let mut ma: Vec<_> = ea.per_rule.iter().map(|r| (r.id.clone(), r.matched)).collect();
        let mut mb: Vec<_> = eb.per_rule.iter().map(|r| (r.id.clone(), r.matched)).collect();
        ma.sort();
        mb.sort();
        prop_assert_eq!(ma, mb);
        if eb.effect != Effect::Deny {
            let first = eb.per_rule.iter().find(|r| r.matched);
            match first {
                Some(r) => prop_assert_eq!((eb.effect, eb.deciding_rule.as_ref().map(|d| d.id.clone())), (r.effect, Some(r.id.clone()))),
                None => prop_assert_eq!((eb.effect, eb.deciding_rule.is_none()), (default, true)),
            }
        }
    }

    /// Requests at random times, in random order of arrival per time,
    /// each recorded when the limited rule lets it through: in every
    /// window ending at a recorded request, the total stays within the
    /// limit (value, token amount and count alike).
    #[test]
    fn a_window_never_lets_more_through_than_its_limit(
        reqs in proptest::collection::vec((0u64..20_000, 0u64..60, 0u64..60), 1..60),
        limit in 1u64..200,
        count in 1u64..8,
        window in 60u64..7_200,
        layer_user in any::<bool>(),
    ) {
        let rule = Rule {
            id: "limited".into(),
            effect: Effect::Allow,
            silent: false,
            when: When::default(),
            limits: vec![
                Limit { window: format!("{window}s"), value_at_most: Some(limit.to_string()), ..Default::default() },
                Limit { window: format!("{window}s"), token: Some(TOKEN.into()), amount_at_most: Some(limit.to_string()), ..Default::default() },
                Limit { window: format!("{window}s"), count_at_most: Some(count), ..Default::default() },
            ],
        };
        let op = policy(Effect::Ask, if layer_user { vec![] } else { vec![rule.clone()] });
        let user = policy(Effect::Ask, if layer_user { vec![rule] } else { vec![] });
        let layers = Layers { operator: &op, user: Some(&user) };
        let mut reqs = reqs;
        reqs.sort_by_key(|r| r.0);
        let mut usage: Vec<Usage> = Vec::new();
        for (t, value, tokens) in reqs {
            let mut i = Intent::new(Kind::EvmTransaction);
            i.value = Amount::from(value);
            i.token_transfers.push(TokenTransfer { token: TOKEN.into(), to: ADDRS[0].into(), amount: Amount::from(tokens) });
            let now = NOW + t;
            let e = evaluate(&layers, &i, &usage, now);
            prop_assert!(matches!(e.effect, Effect::Allow | Effect::Ask));
            if e.effect == Effect::Allow {
                let r = e.record.clone().unwrap();
                prop_assert_eq!(r.layer, if layer_user { Layer::User } else { Layer::Operator });
                usage.push(r);
            } else {
                prop_assert!(e.record.is_none());
            }
        }
        for end in &usage {
            let inside: Vec<&Usage> = usage.iter().filter(|u| u.at <= end.at && u.at + window > end.at).collect();
            let value = inside.iter().fold(Amount::ZERO, |a, u| a.saturating_add(u.value));
            let tokens = inside.iter().fold(Amount::ZERO, |a, u| a.saturating_add(u.tokens[0].amount));
            prop_assert!(value <= Amount::from(limit), "value {} over {}", value, limit);
            prop_assert!(tokens <= Amount::from(limit));
            prop_assert!(inside.len() as u64 <= count);
        }
    }

    /// The same with usage kept as a store keeps it (hot storage,
    /// docs/policy.md): one entry per bucket of `record_bucket_secs`, each
    /// request absorbed into its bucket's entry. Buckets never let more
    /// through in any window, and a request one window and one bucket
    /// after the last is let through again.
    #[test]
    fn bucketed_usage_never_lets_more_through_than_its_limit(
        reqs in proptest::collection::vec((0u64..20_000, 0u64..60), 1..80),
        limit in 1u64..200,
        count in 1u64..8,
        window in 60u64..7_200,
    ) {
        let rule = Rule {
            id: "limited".into(),
            effect: Effect::Allow,
            silent: false,
            when: When::default(),
            limits: vec![
                Limit { window: format!("{window}s"), value_at_most: Some(limit.to_string()), ..Default::default() },
                Limit { window: format!("{window}s"), count_at_most: Some(count), ..Default::default() },
            ],
        };
        let op = policy(Effect::Ask, vec![rule]);
        let layers = Layers { operator: &op, user: None };
        let mut reqs = reqs;
        reqs.sort_by_key(|r| r.0);
        let mut buckets: Vec<(u64, Usage)> = Vec::new();
        let mut let_through: Vec<(u64, u64)> = Vec::new();
        let mut last = NOW;
        for (t, value) in reqs {
            let mut i = Intent::new(Kind::EvmTransaction);
            i.value = Amount::from(value);
            let now = NOW + t;
            last = now;
            let stored: Vec<Usage> = buckets.iter().map(|(_, u)| u.clone()).collect();
            let e = evaluate(&layers, &i, &stored, now);
            if e.effect == Effect::Allow {
                let r = e.record.clone().unwrap();
                prop_assert_eq!(e.record_bucket_secs, keyframe_policy::bucket_secs(window));
                let b = now - now % e.record_bucket_secs;
                match buckets.iter_mut().find(|(k, _)| *k == b) {
                    Some((_, u)) => u.absorb(&r),
                    None => buckets.push((b, r)),
                }
                let_through.push((now, value));
            }
        }
        prop_assert!(buckets.len() as u64 <= let_through.len() as u64);
        for (end, _) in &let_through {
            let inside: Vec<&(u64, u64)> = let_through.iter().filter(|(at, _)| at <= end && at + window > *end).collect();
            let value: u64 = inside.iter().map(|(_, v)| v).sum();
            prop_assert!(value <= limit, "value {} over {}", value, limit);
            prop_assert!(inside.len() as u64 <= count);
        }
        let stored: Vec<Usage> = buckets.iter().map(|(_, u)| u.clone()).collect();
        let later = last + window + keyframe_policy::bucket_secs(window) + 1;
        let e = evaluate(&layers, &Intent::new(Kind::EvmTransaction), &stored, later);
        prop_assert_eq!(e.effect, Effect::Allow);
    }
}

//! Whether one compiled condition holds for an intent, and if not, why
//! (the "first condition that did not hold" the simulator reports).

use crate::compile::{Cond, TokenCond};
use crate::intent::{Intent, Kind};
use crate::syntax::same_address;

type Check = Result<(), String>;

fn need(ok: bool, why: impl FnOnce() -> String) -> Check {
    if ok { Ok(()) } else { Err(why()) }
}

fn any_address(list: &[String], a: &str) -> bool {
    list.iter().any(|x| same_address(x, a))
}

impl Cond {
    /// The field of `when` this condition comes from.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            Cond::Kinds(_) => "kinds",
            Cond::Chains(_) => "chains",
            Cond::Origins(_) => "origins",
            Cond::To(_) => "to",
            Cond::NotTo(_) => "not_to",
            Cond::ToContracts(_) => "to_contracts",
            Cond::Selectors(_) => "selectors",
            Cond::ContractCall(_) => "contract_call",
            Cond::ValueAtMost(_) => "value_at_most",
            Cond::ValueAtLeast(_) => "value_at_least",
            Cond::TokenTransfers(_) => "token_transfers",
            Cond::TokenTransferCountAtMost(_) => "token_transfer_count_at_most",
            Cond::Approvals(_) => "approvals",
            Cond::Spenders(_) => "spenders",
            Cond::SpendersNotIn(_) => "spenders_not_in",
            Cond::ApprovalAtMost(_) => "approval_at_most",
            Cond::TypedData { .. } => "typed_data",
            Cond::SiweDomains(_) => "siwe_domains",
            Cond::Siwe(_) => "siwe",
            Cond::Programs(_) => "programs",
            Cond::LamportsAtMost(_) => "lamports_at_most",
            Cond::LamportsAtLeast(_) => "lamports_at_least",
            Cond::FeeAtMost(_) => "fee_at_most",
            Cond::TimeOfDay { .. } => "time_of_day",
            Cond::Until(_) => "until",
        }
    }

    /// Whether the condition holds for `i` at `now` (Unix seconds).
    pub(crate) fn check(&self, i: &Intent, now: u64) -> Check {
        match self {
            Cond::Kinds(k) => need(k.contains(&i.kind), || {
                format!("kind {} is not listed", i.kind.as_str())
            }),
            Cond::Chains(c) => match i.chain {
                None => Err("the request names no EVM chain".into()),
                Some(ch) => need(c.contains(&ch), || format!("chain {ch} is not listed")),
            },
            Cond::Origins(o) => match &i.origin {
                None => Err("the request has no origin".into()),
                Some(x) => need(o.iter().any(|y| y.eq_ignore_ascii_case(x)), || {
                    format!("origin {x} is not listed")
                }),
            },
            Cond::To(l) => match &i.to {
                None => Err("the request has no recipient".into()),
                Some(t) => need(any_address(l, t), || format!("{t} is not listed")),
            },
            Cond::NotTo(l) => match &i.to {
                None => Err("the request has no recipient".into()),
                Some(t) => need(!any_address(l, t), || format!("{t} is listed")),
            },
            Cond::ToContracts(l) => match (&i.to, &i.selector) {
                (Some(t), Some(_)) => {
                    need(any_address(l, t), || format!("contract {t} is not listed"))
                }
                _ => Err("the request calls no contract".into()),
            },
            Cond::Selectors(l) => match &i.selector {
                None => Err("the request calls no contract function".into()),
                Some(s) => need(l.iter().any(|x| x.eq_ignore_ascii_case(s)), || {
                    format!("selector {s} is not listed")
                }),
            },
            Cond::ContractCall(want) => {
                let calls = i.selector.is_some();
                need(calls == *want, || {
                    if calls {
                        "the request calls a contract function".into()
                    } else {
                        "the request calls no contract function".into()
                    }
                })
            }
            Cond::ValueAtMost(m) => {
                need(i.value <= *m, || format!("value {} is over {m}", i.value))
            }
            Cond::ValueAtLeast(m) => {
                need(i.value >= *m, || format!("value {} is under {m}", i.value))
            }
            Cond::TokenTransfers(ms) => {
                if i.token_transfers.is_empty() {
                    return Err("the request moves no tokens".into());
                }
                for (n, t) in i.token_transfers.iter().enumerate() {
                    if !ms.iter().any(|m| token_ok(m, &t.token, &t.to, t.amount)) {
                        return Err(format!(
                            "transfer {n} ({} of {} to {}) matches no entry",
                            t.amount, t.token, t.to
                        ));
                    }
                }
                Ok(())
            }
            Cond::TokenTransferCountAtMost(m) => {
                let n = i.token_transfers.len();
                need(u64::try_from(n).is_ok_and(|n| n <= *m), || {
                    format!("{n} token movements is over {m}")
                })
            }
            Cond::Approvals(want) => {
                let has = !i.approvals.is_empty();
                need(has == *want, || {
                    if has {
                        "the request grants an approval".into()
                    } else {
                        "the request grants no approval".into()
                    }
                })
            }
            Cond::Spenders(l) => {
                if i.approvals.is_empty() {
                    return Err("the request grants no approval".into());
                }
                match i.approvals.iter().find(|a| !any_address(l, &a.spender)) {
                    Some(a) => Err(format!("spender {} is not listed", a.spender)),
                    None => Ok(()),
                }
            }
            Cond::SpendersNotIn(l) => {
                match i.approvals.iter().find(|a| !any_address(l, &a.spender)) {
                    Some(_) => Ok(()),
                    None if i.approvals.is_empty() => Err("the request grants no approval".into()),
                    None => Err("every spender is listed".into()),
                }
            }
            Cond::ApprovalAtMost(m) => {
                if i.approvals.is_empty() {
                    return Err("the request grants no approval".into());
                }
                for a in &i.approvals {
                    match a.amount {
                        None => {
                            return Err(format!(
                                "{} may move every token of {}",
                                a.spender, a.token
                            ));
                        }
                        Some(v) if v > *m => return Err(format!("approval of {v} is over {m}")),
                        Some(_) => {}
                    }
                }
                Ok(())
            }
            Cond::TypedData {
                names,
                contracts,
                types,
            } => {
                let Some(td) = &i.typed_data else {
                    return Err("the request is not typed data".into());
                };
                if let Some(n) = names {
                    match &td.name {
                        Some(x) if n.contains(x) => {}
                        Some(x) => return Err(format!("domain name {x:?} is not listed")),
                        None => return Err("the domain has no name".into()),
                    }
                }
                if let Some(c) = contracts {
                    match &td.verifying_contract {
                        Some(x) if any_address(c, x) => {}
                        Some(x) => return Err(format!("verifying contract {x} is not listed")),
                        None => return Err("the domain has no verifying contract".into()),
                    }
                }
                if let Some(t) = types
                    && !t.contains(&td.primary_type)
                {
                    return Err(format!("primary type {:?} is not listed", td.primary_type));
                }
                Ok(())
            }
            Cond::SiweDomains(d) => match &i.siwe_domain {
                None => Err("the request is not a sign-in message".into()),
                Some(x) => need(d.iter().any(|y| y.eq_ignore_ascii_case(x)), || {
                    format!("domain {x} is not listed")
                }),
            },
            Cond::Siwe(want) => {
                let siwe = i.siwe_domain.is_some();
                need(siwe == *want, || {
                    if siwe {
                        "the request is a sign-in message".into()
                    } else {
                        "the request is not a sign-in message".into()
                    }
                })
            }
            Cond::Programs(p) => {
                if i.kind != Kind::SolanaTransaction || i.programs.is_empty() {
                    return Err("the request invokes no Solana program".into());
                }
                match i.programs.iter().find(|x| !p.contains(x)) {
                    Some(x) => Err(format!("program {x} is not listed")),
                    None => Ok(()),
                }
            }
            Cond::LamportsAtMost(m) => need(i.lamports <= *m, || {
                format!("{} lamports is over {m}", i.lamports)
            }),
            Cond::LamportsAtLeast(m) => need(i.lamports >= *m, || {
                format!("{} lamports is under {m}", i.lamports)
            }),
            Cond::FeeAtMost(m) => match i.max_fee {
                // No fee information (an older signer's intent): it may
                // pay anything, so no bound holds for it.
                None => Err("the request's fee is not known".into()),
                Some(f) => need(f <= *m, || format!("fee {f} is over {m}")),
            },
            Cond::TimeOfDay { from, to } => {
                let minute = ((now % 86_400) / 60) as u32;
                let inside = if from < to {
                    *from <= minute && minute < *to
                } else {
                    minute >= *from || minute < *to
                };
                need(inside, || {
                    format!(
                        "{:02}:{:02} UTC is outside the range",
                        minute / 60,
                        minute % 60
                    )
                })
            }
            Cond::Until(t) => need(now < *t, || format!("expired at {t}")),
        }
    }
}

fn token_ok(m: &TokenCond, token: &str, to: &str, amount: crate::Amount) -> bool {
    m.token.as_deref().is_none_or(|t| same_address(t, token))
        && m.to.as_deref().is_none_or(|l| any_address(l, to))
        && m.at_most.is_none_or(|x| amount <= x)
        && m.at_least.is_none_or(|x| amount >= x)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::{Effect, Intent, Kind, Layers, Policy, evaluate};

    fn effect(when: &str, intent: &Intent) -> Effect {
        let doc = format!(
            r#"{{"version":1,"default":"ask","rules":[{{"id":"r","effect":"allow","when":{when}}}]}}"#
        );
        let policy = Policy::from_json(&doc).unwrap();
        let layers = Layers {
            operator: &policy,
            user: None,
        };
        evaluate(&layers, intent, &[], 0).effect
    }

    #[test]
    fn contract_call_tells_a_call_from_a_plain_transfer() {
        let mut send = Intent::new(Kind::EvmTransaction);
        send.to = Some("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913".into());
        let mut call = send.clone();
        call.selector = Some("0xa9059cbb".into());
        let no_call = r#"{"contract_call":false}"#;
        let a_call = r#"{"contract_call":true}"#;
        assert_eq!(effect(no_call, &send), Effect::Allow);
        assert_eq!(effect(no_call, &call), Effect::Ask);
        assert_eq!(effect(a_call, &call), Effect::Allow);
        assert_eq!(effect(a_call, &send), Effect::Ask);
    }

    #[test]
    fn token_transfer_count_at_most_counts_the_movements() {
        let mut i = Intent::new(Kind::SolanaTransaction);
        let at_most_one = r#"{"token_transfer_count_at_most":1}"#;
        assert_eq!(effect(at_most_one, &i), Effect::Allow);
        let one = crate::TokenTransfer {
            token: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913".into(),
            to: "0x70997970c51812dc3a010c7d01b50e20d17dc79c".into(),
            amount: crate::Amount::from(1u64),
        };
        i.token_transfers = vec![one.clone()];
        assert_eq!(effect(at_most_one, &i), Effect::Allow);
        // The same movement twice is two.
        i.token_transfers.push(one);
        assert_eq!(effect(at_most_one, &i), Effect::Ask);
        assert_eq!(
            effect(r#"{"token_transfer_count_at_most":2}"#, &i),
            Effect::Allow
        );
        assert_eq!(
            effect(r#"{"token_transfer_count_at_most":0}"#, &i),
            Effect::Ask
        );
    }

    #[test]
    fn siwe_tells_a_sign_in_from_a_plain_message() {
        let plain = Intent::new(Kind::EvmMessage);
        let mut sign_in = plain.clone();
        sign_in.siwe_domain = Some("bank.example".into());
        assert_eq!(effect(r#"{"siwe":false}"#, &plain), Effect::Allow);
        assert_eq!(effect(r#"{"siwe":false}"#, &sign_in), Effect::Ask);
        assert_eq!(effect(r#"{"siwe":true}"#, &sign_in), Effect::Allow);
        assert_eq!(effect(r#"{"siwe":true}"#, &plain), Effect::Ask);
    }
}

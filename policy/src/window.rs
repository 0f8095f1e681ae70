//! Rolling-window limits over past usage the caller supplies. Pure: the
//! iFrame passes what it knows, hot storage what its database holds, and
//! both run this code. A rule that has limits records one [`Usage`] each
//! time it decides a request that goes ahead ([`crate::Evaluation::record`]).

use crate::compile::{CLimit, Measure};
use crate::{Amount, Intent};
use serde::{Deserialize, Serialize};

/// Which layer a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The operator's policy file (applies to every user).
    Operator,
    /// The user's own rules.
    User,
}

/// An amount of one token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenAmount {
    /// The token contract or mint.
    pub token: String,
    /// Base units.
    pub amount: Amount,
}

/// What one past request took from a rule's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// The layer of the rule that decided it.
    pub layer: Layer,
    /// The id of that rule.
    pub rule: String,
    /// When, in Unix seconds.
    pub at: u64,
    /// Native value (wei).
    #[serde(default, skip_serializing_if = "Amount::is_zero")]
    pub value: Amount,
    /// Lamports.
    #[serde(default, skip_serializing_if = "Amount::is_zero")]
    pub lamports: Amount,
    /// Token amounts, one entry per token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenAmount>,
}

impl Usage {
    /// What `intent`, decided by `layer`/`rule` at `at`, takes.
    pub fn of(layer: Layer, rule: &str, intent: &Intent, at: u64) -> Usage {
        let mut tokens: Vec<TokenAmount> = Vec::new();
        for t in &intent.token_transfers {
            match tokens
                .iter_mut()
                .find(|x| crate::syntax::same_address(&x.token, &t.token))
            {
                Some(x) => x.amount = x.amount.saturating_add(t.amount),
                None => tokens.push(TokenAmount {
                    token: t.token.clone(),
                    amount: t.amount,
                }),
            }
        }
        Usage {
            layer,
            rule: rule.to_owned(),
            at,
            value: intent.value,
            lamports: intent.lamports,
            tokens,
        }
    }

    fn token(&self, token: &str) -> Amount {
        self.tokens
            .iter()
            .filter(|t| crate::syntax::same_address(&t.token, token))
            .fold(Amount::ZERO, |a, t| a.saturating_add(t.amount))
    }
}

/// Whether `intent` fits in `limit` of `layer`/`rule` given `usage`, at
/// `now`. Past entries count while `at > now - window`; entries stamped
/// after `now` (another replica's clock) count too.
pub(crate) fn check_limit(
    limit: &CLimit,
    layer: Layer,
    rule: &str,
    intent: &Intent,
    usage: &[Usage],
    now: u64,
) -> Result<(), String> {
    let start = now.saturating_sub(limit.window);
    let past = usage
        .iter()
        .filter(|u| u.layer == layer && u.rule == rule && (u.at > start || limit.window > now));
    let w = &limit.window_text;
    let over = |used: Amount, this: Amount, max: Amount, what: &str| {
        let total = used.checked_add(this);
        match total {
            Some(t) if t <= max => Ok(()),
            _ => Err(format!("{what}: {used} used in {w} + {this} is over {max}")),
        }
    };
    match &limit.measure {
        Measure::Value(max) => {
            let used = past.fold(Amount::ZERO, |a, u| a.saturating_add(u.value));
            over(used, intent.value, *max, "value")
        }
        Measure::Lamports(max) => {
            let used = past.fold(Amount::ZERO, |a, u| a.saturating_add(u.lamports));
            over(used, intent.lamports, *max, "lamports")
        }
        Measure::Token(token, max) => {
            let used = past.fold(Amount::ZERO, |a, u| a.saturating_add(u.token(token)));
            over(
                used,
                intent.token_amount(token),
                *max,
                &format!("token {token}"),
            )
        }
        Measure::Count(max) => {
            let used = past.count() as u64;
            if used < *max {
                Ok(())
            } else {
                Err(format!("count: {used} requests in {w}, at most {max}"))
            }
        }
    }
}

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
    /// How many requests the entry stands for: 1 for one request, more
    /// when a store keeps one entry per time bucket of a rule (then `at`
    /// is the latest of them and the amounts are their sums; see
    /// [`bucket_secs`]).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u64,
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// A store may keep a rule's usage as one entry per bucket of this many
/// seconds (a 60th of the rule's shortest window, at least 1 s) instead of
/// one per request, so that reading a window costs at most about 60
/// entries per limit however busy the user is. An entry counts while its
/// latest request is inside the window, so a request leaves the window up
/// to one bucket later than its own time, never earlier: a limit may hold
/// a little longer than its window, and never lets more through.
pub fn bucket_secs(shortest_window: u64) -> u64 {
    (shortest_window / 60).max(1)
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
            count: 1,
        }
    }

    /// Adds `later`, a request of the same rule kept in the same bucket,
    /// into this entry: the amounts and counts add up (saturating) and
    /// `at` becomes the later of the two.
    pub fn absorb(&mut self, later: &Usage) {
        self.at = self.at.max(later.at);
        self.count = self.count.saturating_add(later.count);
        self.value = self.value.saturating_add(later.value);
        self.lamports = self.lamports.saturating_add(later.lamports);
        for t in &later.tokens {
            match self
                .tokens
                .iter_mut()
                .find(|x| crate::syntax::same_address(&x.token, &t.token))
            {
                Some(x) => x.amount = x.amount.saturating_add(t.amount),
                None => self.tokens.push(t.clone()),
            }
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
            let used = past.fold(0u64, |a, u| a.saturating_add(u.count));
            if used < *max {
                Ok(())
            } else {
                Err(format!("count: {used} requests in {w}, at most {max}"))
            }
        }
    }
}

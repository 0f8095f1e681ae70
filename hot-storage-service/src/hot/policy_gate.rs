//! What the policy's enforcement (crate::hot::policy_batch) and the
//! policy routes share: the wallet's user rules, checked against its
//! authority key (a set that fails is ignored, logged and counted), how
//! much usage an evaluation needs, the evaluation of one request, and the
//! words a decision is told in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use keyframe_policy::{Evaluation, Intent, Layers, MAX_WINDOW_SECS, Policy, evaluate_with_parts};
use keyframe_wire::AuthorityKey;
use keyframe_wire::policy::SignedUserRules;
use sqlx::AnyConnection;

use super::policy_store::{StoredUsage, load_rules_and_authority, load_usage};
use super::store::HotStore;
use crate::auth::Identity;
use crate::db::now_ms;
use crate::error::AppResult;
use crate::settings::Settings;
use crate::types::WalletId;

/// Unix seconds now.
pub fn now_secs() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or(0)
}

/// Whether `rules` carries a valid signature (ed25519 `verify_strict`,
/// base64url without padding) by `authority`, the wallet's registered key
/// (base64url), over [`SignedUserRules::message`].
pub fn user_rules_signed(authority: &str, rules: &SignedUserRules) -> bool {
    let Ok(key) = authority.parse::<AuthorityKey>() else {
        return false;
    };
    let Ok(verifying) = VerifyingKey::from_bytes(key.as_bytes()) else {
        return false;
    };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(&rules.signature) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else {
        return false;
    };
    verifying
        .verify_strict(&rules.message(), &Signature::from_bytes(&sig))
        .is_ok()
}

/// The stored user rules as a layer: none when there are none, or when
/// their signature or their rules do not hold (then logged at warn and
/// counted in `keyframe_policy_user_rules_invalid_total`).
pub fn user_layer(
    st: &HotStore,
    authority: Option<&str>,
    stored: Option<SignedUserRules>,
) -> Option<Policy> {
    let stored = stored?;
    let why = match authority {
        None => "the wallet has no authority key",
        Some(a) if !user_rules_signed(a, &stored) => "the signature does not verify",
        Some(_) => match Policy::from_json(&stored.rules) {
            Ok(p) => return Some(p),
            Err(_) => "the rules are not a valid policy",
        },
    };
    st.metrics.user_rules_invalid();
    tracing::warn!(
        wallet = stored.wallet.to_string(),
        version = stored.version,
        why,
        "stored user rules ignored"
    );
    None
}

/// Since when the user's usage can matter to an evaluation under these
/// policies: the longest window of any of their limits; `None` (read
/// nothing) when no rule has a limit. Reading only that much keeps the
/// cost of a recover with an intent independent of how long the user has
/// been signing.
pub fn usage_since(now: u64, operator: &Policy, user: Option<&Policy>) -> Option<u64> {
    let longest = operator
        .longest_window()
        .into_iter()
        .chain(user.and_then(Policy::longest_window))
        .max()?;
    Some(now.saturating_sub(longest.min(MAX_WINDOW_SECS)))
}

/// The wallet's user rules as a layer (verified against its authority
/// key; see [`user_layer`]). Read outside any lock: rules change only by a
/// signed `PUT`, and a sign racing one is ordered either way.
pub async fn user_rules_of(
    st: &HotStore,
    id: &Identity,
    wallet: &WalletId,
) -> AppResult<Option<Policy>> {
    let Some(w) = load_rules_and_authority(&st.db, id, wallet).await? else {
        return Ok(None);
    };
    Ok(user_layer(st, w.authority.as_deref(), w.rules))
}

/// Evaluates `intent` (a batch: with its `parts`,
/// `keyframe_policy::evaluate_with_parts`) with the operator's policy, the
/// `user` layer and the user's usage as read through `conn`; returns the
/// evaluation and the usage it read.
pub async fn evaluate_with(
    conn: &mut AnyConnection,
    st: &HotStore,
    settings: &Settings,
    id: &Identity,
    user: Option<&Policy>,
    (intent, parts): (&Intent, &[Intent]),
    now: u64,
) -> AppResult<(Evaluation, Vec<StoredUsage>)> {
    let operator = settings.policy.current();
    let stored = match usage_since(now, &operator, user) {
        Some(since) => load_usage(&mut *conn, &st.db, id, since).await?,
        None => Vec::new(),
    };
    let usage: Vec<keyframe_policy::Usage> = stored.iter().map(|s| s.usage.clone()).collect();
    let layers = Layers {
        operator: &operator,
        user,
    };
    Ok((
        evaluate_with_parts(&layers, intent, parts, &usage, now),
        stored,
    ))
}

/// Evaluates `intent` (and a batch's `parts`) for the caller's `wallet` with the operator's
/// policy, the wallet's (verified) user rules and the user's usage, as
/// read through `conn`.
pub async fn evaluate_for(
    conn: &mut AnyConnection,
    st: &HotStore,
    settings: &Settings,
    id: &Identity,
    wallet: &WalletId,
    request: (&Intent, &[Intent]),
    now: u64,
) -> AppResult<Evaluation> {
    let user = user_rules_of(st, id, wallet).await?;
    let (e, _) = evaluate_with(conn, st, settings, id, user.as_ref(), request, now).await?;
    Ok(e)
}

/// `rule "id" (layer)`, or the policy's default.
pub fn rule_text(e: &Evaluation) -> String {
    match &e.deciding_rule {
        Some(r) => {
            let layer = match r.layer {
                keyframe_policy::Layer::Operator => "operator",
                keyframe_policy::Layer::User => "user",
            };
            format!("rule {:?} ({layer})", r.id)
        }
        None => "the policy's default".to_owned(),
    }
}

/// Why a `deny` evaluation denies, in words the user can read.
pub fn deny_reason(e: &Evaluation) -> String {
    if e.deciding_rule.is_none() && e.intent.raw_digest {
        return "a raw digest is never signed".to_owned();
    }
    format!("denied by {}", rule_text(e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    // Named from the crate root: tests/module_graph.rs reads `super::*`
    // as an import of `hot`.
    use crate::hot::policy_gate::{usage_since, user_rules_signed};
    use crate::types::WalletId;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::{Signer as _, SigningKey};
    use keyframe_policy::Policy;
    use keyframe_wire::policy::SignedUserRules;

    fn signed(key: &SigningKey, version: u64, rules: &str) -> SignedUserRules {
        let wallet: WalletId = "0b6f2a8e-5f3c-4d2b-9a1e-2c3d4e5f6a7b".parse().unwrap();
        let mut r = SignedUserRules {
            wallet,
            version,
            rules: rules.to_owned(),
            signature: String::new(),
        };
        r.signature = URL_SAFE_NO_PAD.encode(key.sign(&r.message()).to_bytes());
        r
    }

    #[test]
    fn only_the_usage_a_limit_can_see_is_read() {
        let rules = |windows: &[&str]| {
            let limits: Vec<String> = windows
                .iter()
                .map(|w| format!(r#"{{"window":"{w}","count_at_most":5}}"#))
                .collect();
            Policy::from_json(&format!(
                r#"{{"version":1,"default":"ask","rules":[{{"id":"a","effect":"allow","limits":[{}]}}]}}"#,
                limits.join(",")
            ))
            .unwrap()
        };
        let none = Policy::from_json(r#"{"version":1,"default":"ask"}"#).unwrap();
        let now = 1_000_000;
        assert_eq!(
            usage_since(now, &none, None),
            None,
            "no limit: read nothing"
        );
        assert_eq!(usage_since(now, &rules(&["1h"]), None), Some(now - 3600));
        assert_eq!(
            usage_since(now, &rules(&["1h"]), Some(&rules(&["24h", "10m"]))),
            Some(now - 86_400),
            "the longest window of either layer"
        );
        assert_eq!(
            usage_since(now, &none, Some(&rules(&["7d"]))),
            Some(now - 7 * 86_400)
        );
    }

    #[test]
    fn user_rules_count_only_with_the_wallets_own_signature_over_them() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let authority = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        let good = signed(&key, 2, r#"{"version":1,"default":"ask"}"#);
        assert!(user_rules_signed(&authority, &good));

        let other = SigningKey::from_bytes(&[8; 32]);
        assert!(!user_rules_signed(
            &authority,
            &signed(&other, 2, &good.rules)
        ));
        let mut bumped = good.clone();
        bumped.version = 3;
        assert!(
            !user_rules_signed(&authority, &bumped),
            "the version is signed"
        );
        let mut changed = good.clone();
        changed.rules.push(' ');
        assert!(
            !user_rules_signed(&authority, &changed),
            "the rules are signed"
        );
        let mut padded = good.clone();
        padded.signature.push('=');
        assert!(
            !user_rules_signed(&authority, &padded),
            "base64url without padding only"
        );
        let mut short = good.clone();
        short.signature.truncate(80);
        assert!(!user_rules_signed(&authority, &short));
        assert!(!user_rules_signed("not-a-key", &good));
    }
}

//! The policy before the key (signer-wasm/src/flows/policy.rs), against
//! the real services with an operator policy: a denied request is refused
//! before any share is fetched and nothing is signed; an `allow` rule
//! signs without the screen; `ask` shows it and a rejection is logged; an
//! "Always allow" choice is signed with the wallet's authority key, kept at
//! hot storage and honoured until it expires; user rules that do not
//! verify are ignored; a batch is as strict as its strictest transaction;
//! an `allow` the iFrame judged on stale usage, which hot storage finds
//! spent, shows the screen before it signs.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use flow_support::*;
use hot_storage_service::policy_file::PolicyFile;
use keyframe_policy::{Effect, Intent, Kind, Policy};
use keyframe_signer::Reason;
use keyframe_signer::authority::WalletAuthority;
use keyframe_signer::flows::{
    Consent, Flows, HotStorage, NoClock, Request, RpcError, ServiceError, Shield, Tokens,
    UserRules, WalletRecord,
};
use keyframe_signer::secret::OsRng;
use keyframe_signer::shares::{RandomId as _, WalletId};
use keyframe_wire::policy::{Decision, PolicyState, SignedUserRules};

const APP: &str = "https://app.example";

/// A consent that counts how often the screen was shown and answers as
/// told: approve (optionally with "Always allow" for some seconds) or
/// reject.
#[derive(Clone, Default)]
struct CountingScreen {
    shown: Rc<Cell<u32>>,
    always: Rc<Cell<Option<u64>>>,
    reject: Rc<Cell<bool>>,
}

impl Consent for CountingScreen {
    async fn approve(&self, request: &Request<'_>) -> Result<(), RpcError> {
        // Creating a wallet shows no screen in the iFrame either.
        if !matches!(request, Request::Sign { .. }) {
            return Ok(());
        }
        self.shown.set(self.shown.get() + 1);
        if self.reject.get() {
            Err(RpcError::user_rejected())
        } else {
            Ok(())
        }
    }
    async fn approve_sign(&self, request: &Request<'_>) -> Result<Option<u64>, RpcError> {
        self.approve(request).await?;
        Ok(self.always.get())
    }
}

type Tab<H = HttpHot> = Flows<H, HttpShield, MemoryStore, CountingScreen>;

async fn services(policy: &str) -> Services {
    let policy = Policy::from_json(policy).unwrap();
    Services::start_with(move |s| {
        s.policy = Arc::new(PolicyFile::with(None, policy.clone()));
    })
    .await
}

fn tab_on<H: HotStorage>(hot: H, services: &Services, screen: &CountingScreen) -> Tab<H> {
    Flows::with(
        hot,
        services.shield_api(),
        MemoryStore::default(),
        screen.clone(),
        NoClock,
    )
}

/// A wallet on a fresh tab whose screen is `screen`.
async fn wallet<H: HotStorage>(tab: &Tab<H>, token: &Tokens) -> WalletRecord {
    let created = tab
        .create(token, mnemonic(), &automatic(&recovery_key()), false)
        .await
        .unwrap();
    created.wallet
}

/// One user's wallet on a tab of fresh services running `policy`; the
/// wallet as hot storage reports it (its authority key registered at
/// creation).
struct Setup {
    services: Services,
    screen: CountingScreen,
    tab: Tab,
    token: Tokens,
    wallet: WalletRecord,
}

async fn setup(policy: &str) -> Setup {
    let services = services(policy).await;
    let screen = CountingScreen::default();
    let tab = tab_on(services.hot_api(), &services, &screen);
    let token = token(&user());
    let created = wallet(&tab, &token).await;
    let wallet = tab.wallet(&token).await.unwrap().unwrap();
    assert!(wallet.authority.is_some());
    assert_eq!(wallet.authority, created.authority);
    Setup {
        services,
        screen,
        tab,
        token,
        wallet,
    }
}

fn message(chain: u64, origin: &str) -> Intent {
    let mut i = Intent::new(Kind::EvmMessage);
    i.chain = Some(chain);
    i.origin = Some(origin.to_owned());
    i
}

fn transfer(chain: u64, to: &str, wei: &str) -> Intent {
    let mut i = Intent::new(Kind::EvmTransaction);
    i.chain = Some(chain);
    i.origin = Some(APP.to_owned());
    i.to = Some(to.to_owned());
    i.value = keyframe_policy::Amount::parse(wei).unwrap();
    i
}

const REQUEST: Request<'static> = Request::Sign {
    method: "personal_sign",
    intent: None,
};

/// Signs `intent`'s request with `tab` (the op records that it ran) and
/// runs the refresh that follows.
async fn sign<H: HotStorage, S: Shield>(
    tab: &Flows<H, S, MemoryStore, CountingScreen>,
    token: &Tokens,
    wallet: &WalletRecord,
    intent: &Intent,
    parts: &[Intent],
) -> Result<String, RpcError> {
    let signed = tab
        .sign_with_key(token, wallet, &REQUEST, intent, parts, sign_op)
        .await?;
    let address = signed.answer;
    tab.refresh(signed.refresh).await;
    Ok(address)
}

/// Signs `intent`'s request with `tab`, expecting a refusal: answers the
/// error and fails if the signing op ran.
async fn refused<H: HotStorage>(
    tab: &Tab<H>,
    token: &Tokens,
    wallet: &WalletRecord,
    intent: &Intent,
) -> RpcError {
    let ran = Cell::new(false);
    let err = tab
        .sign_with_key(token, wallet, &REQUEST, intent, &[], |s| {
            ran.set(true);
            sign_op(s)
        })
        .await
        .err()
        .unwrap();
    assert!(!ran.get(), "nothing is signed: {err:?}");
    err
}

async fn decisions<H: HotStorage>(
    tab: &Tab<H>,
    token: &Tokens,
    wallet: &WalletRecord,
) -> Vec<Decision> {
    let list = tab.hot.activity(token, wallet.wallet, 50).await.unwrap();
    list.entries.iter().map(|e| e.decision).collect()
}

const NO_MAINNET: &str = r#"{ "version": 1, "default": "ask", "rules": [
    { "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } },
    { "id": "app-messages", "effect": "allow",
      "when": { "kinds": ["evm_message"], "origins": ["https://app.example"], "chains": [8453] } },
    { "id": "no-bad-recipient", "effect": "deny",
      "when": { "to": ["0x000000000000000000000000000000000000dead"] } } ] }"#;

#[tokio::test]
async fn a_denied_request_is_refused_before_any_share_is_fetched() {
    let Setup {
        services,
        screen,
        tab,
        token,
        wallet,
    } = setup(NO_MAINNET).await;
    let before = tab.store.all();

    let err = refused(&tab, &token, &wallet, &message(1, APP)).await;
    assert_eq!(err.reason, Reason::PolicyDenied, "{err:?}");
    assert!(err.message.contains("no-mainnet"), "{}", err.message);
    assert_eq!(screen.shown.get(), 0, "no screen for a denied request");
    assert_eq!(
        tab.store.all(),
        before,
        "no refresh: the pair was never used"
    );
    // Hot storage holds the same denial when asked directly for the share
    // with the intent (a client that skips the iFrame's evaluation).
    let entry = &before[0];
    let direct = services
        .hot_api()
        .recover_for(
            &token,
            &keyframe_wire::policy::RecoverWithIntent {
                wallet: wallet.wallet,
                device: Some(entry.device),
                version: Some(entry.version),
                split: Some(entry.split),
                intent: Some(message(1, APP)),
                approval: None,
                on_screen: Some(false),
            },
        )
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&direct, ServiceError::Denied(why) if why.contains("no-mainnet")),
        "{direct:?}"
    );
    assert_eq!(
        decisions(&tab, &token, &wallet).await,
        vec![Decision::Denied, Decision::Denied]
    );
}

#[tokio::test]
async fn an_allow_rule_signs_without_the_screen_and_ask_shows_it() {
    let Setup {
        screen,
        tab,
        token,
        wallet,
        services: _services,
    } = setup(NO_MAINNET).await;

    assert_eq!(
        sign(&tab, &token, &wallet, &message(8453, APP), &[])
            .await
            .unwrap(),
        EVM
    );
    assert_eq!(screen.shown.get(), 0, "allowed by rule app-messages");
    // Another origin is not covered by the rule: the default asks.
    assert_eq!(
        sign(
            &tab,
            &token,
            &wallet,
            &message(8453, "https://other.example"),
            &[]
        )
        .await
        .unwrap(),
        EVM
    );
    assert_eq!(screen.shown.get(), 1);
    screen.reject.set(true);
    let err = sign(&tab, &token, &wallet, &message(10, APP), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(err.reason, Reason::UserRejected);
    assert_eq!(screen.shown.get(), 2);
    assert_eq!(
        decisions(&tab, &token, &wallet).await,
        vec![
            Decision::Rejected,
            Decision::ApprovedOnScreen,
            Decision::Allowed
        ],
        "newest first"
    );
}

#[tokio::test]
async fn always_allow_is_signed_by_the_wallet_kept_at_hot_storage_and_honoured() {
    let Setup {
        screen,
        tab,
        token,
        wallet,
        services: _services,
    } = setup(NO_MAINNET).await;

    screen.always.set(Some(3600));
    let intent = message(10, APP);
    sign(&tab, &token, &wallet, &intent, &[]).await.unwrap();
    assert_eq!(screen.shown.get(), 1);
    screen.always.set(None);

    let state = tab.hot.policy(&token, wallet.wallet).await.unwrap();
    let stored = state.user_rules.clone().expect("user rules stored");
    assert_eq!(stored.version, 1);
    let judgement = tab
        .evaluate_policy(&token, &wallet, &intent, &[])
        .await
        .unwrap();
    assert_eq!(judgement.user_rules, UserRules::Verified);
    assert_eq!(judgement.evaluation.effect, Effect::Allow);

    for _ in 0..2 {
        sign(&tab, &token, &wallet, &intent, &[]).await.unwrap();
    }
    assert_eq!(screen.shown.get(), 1, "always allowed: no screen");
    // Only this origin, this kind, this chain.
    sign(
        &tab,
        &token,
        &wallet,
        &message(10, "https://other.example"),
        &[],
    )
    .await
    .unwrap();
    sign(&tab, &token, &wallet, &message(8454, APP), &[])
        .await
        .unwrap();
    assert_eq!(screen.shown.get(), 3);
    // The operator's deny still wins over the user's allow.
    let err = sign(&tab, &token, &wallet, &message(1, APP), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(err.reason, Reason::PolicyDenied);

    // A second "always allow" extends the set under a higher version.
    screen.always.set(Some(86_400));
    sign(&tab, &token, &wallet, &message(8454, APP), &[])
        .await
        .unwrap();
    let state = tab.hot.policy(&token, wallet.wallet).await.unwrap();
    let stored = state.user_rules.unwrap();
    assert_eq!(stored.version, 2);
    let doc: keyframe_policy::Document = serde_json::from_str(&stored.rules).unwrap();
    assert_eq!(doc.rules.len(), 2, "{doc:?}");
}

/// Signs a user rule set for `wallet` the way the iFrame does.
fn signed_rules(wallet: &WalletRecord, version: u64, rules: &str) -> SignedUserRules {
    use base64::Engine as _;
    let authority = WalletAuthority::derive(&mnemonic(), wallet.wallet).unwrap();
    let sig = authority.sign_user_rules(wallet.wallet, version, rules);
    SignedUserRules {
        wallet: wallet.wallet,
        version,
        rules: rules.to_owned(),
        signature: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig),
    }
}

#[tokio::test]
async fn an_always_allow_ends_when_it_expires() {
    let Setup {
        screen,
        tab,
        token,
        wallet,
        services: _services,
    } = setup(NO_MAINNET).await;
    let until = unix_now() + 2;
    let rules = format!(
        r#"{{"version":1,"default":"ask","rules":[{{"id":"soon","effect":"allow",
            "when":{{"kinds":["evm_message"],"origins":["{APP}"],"until":{until}}}}}]}}"#
    );
    let authority = WalletAuthority::derive(&mnemonic(), wallet.wallet).unwrap();
    tab.hot
        .put_user_rules(&token, &signed_rules(&wallet, 1, &rules), &authority)
        .await
        .unwrap();
    sign(&tab, &token, &wallet, &message(10, APP), &[])
        .await
        .unwrap();
    assert_eq!(screen.shown.get(), 0, "allowed until it expires");
    tokio::time::sleep(std::time::Duration::from_millis(
        (until + 1 - unix_now()) * 1000 + 200,
    ))
    .await;
    sign(&tab, &token, &wallet, &message(10, APP), &[])
        .await
        .unwrap();
    assert_eq!(screen.shown.get(), 1, "expired: the screen asks again");
}

/// A dishonest operator: the user's rules it hands out are rewritten
/// after the wallet signed them.
fn tamper(state: &mut PolicyState) {
    if let Some(rules) = &mut state.user_rules {
        rules.rules = rules.rules.replace("evm_message", "evm_transaction");
    }
}

#[tokio::test]
async fn user_rules_that_do_not_verify_are_ignored() {
    let services = services(NO_MAINNET).await;
    let screen = CountingScreen::default();
    let honest = tab_on(services.hot_api(), &services, &screen);
    let token = token(&user());
    wallet(&honest, &token).await;
    let wallet = honest.wallet(&token).await.unwrap().unwrap();
    let rules = format!(
        r#"{{"version":1,"default":"ask","rules":[{{"id":"mine","effect":"allow",
            "when":{{"kinds":["evm_message","evm_transaction"],"origins":["{APP}"]}}}}]}}"#
    );
    let authority = WalletAuthority::derive(&mnemonic(), wallet.wallet).unwrap();
    honest
        .hot
        .put_user_rules(&token, &signed_rules(&wallet, 1, &rules), &authority)
        .await
        .unwrap();
    let intent = message(10, APP);
    let honest_view = honest
        .evaluate_policy(&token, &wallet, &intent, &[])
        .await
        .unwrap();
    assert_eq!(
        (honest_view.user_rules, honest_view.evaluation.effect),
        (UserRules::Verified, Effect::Allow)
    );
    let tampered = tab_on(services.tampering_hot_api(tamper), &services, &screen);
    let view = tampered
        .evaluate_policy(&token, &wallet, &intent, &[])
        .await
        .unwrap();
    assert_eq!(
        (view.user_rules, view.evaluation.effect),
        (UserRules::Ignored, Effect::Ask)
    );
    // A set signed by another key is ignored too.
    let mut forged = signed_rules(&wallet, 2, &rules);
    let elsewhere = WalletId::random(&mut OsRng).unwrap();
    let other = WalletAuthority::derive(&mnemonic(), elsewhere).unwrap();
    {
        use base64::Engine as _;
        forged.signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(other.sign_user_rules(wallet.wallet, 2, &rules));
    }
    let refused = honest.hot.put_user_rules(&token, &forged, &authority).await;
    assert!(
        refused.is_err(),
        "hot storage refuses a set its key did not sign"
    );
}

#[tokio::test]
async fn a_batch_is_as_strict_as_its_strictest_transaction() {
    let Setup {
        screen,
        tab,
        token,
        wallet,
        services: _services,
    } = setup(NO_MAINNET).await;
    let good = transfer(8453, "0x70997970c51812dc3a010c7d01b50e20d17dc79c", "1");
    let bad = transfer(8453, "0x000000000000000000000000000000000000dead", "1");
    // The batch as one request: recipients differ, so it names none.
    let mut whole = good.clone();
    whole.to = None;
    whole.value = keyframe_policy::Amount::parse("2").unwrap();
    let view = tab
        .evaluate_policy(&token, &wallet, &whole, &[good.clone(), bad.clone()])
        .await
        .unwrap();
    assert_eq!(view.evaluation.effect, Effect::Deny);
    assert_eq!(
        view.evaluation.deciding_rule.unwrap().id,
        "no-bad-recipient"
    );
    let err = sign(&tab, &token, &wallet, &whole, &[good.clone(), bad])
        .await
        .err()
        .unwrap();
    assert_eq!(err.reason, Reason::PolicyDenied);
    assert_eq!(screen.shown.get(), 0);
    sign(&tab, &token, &wallet, &whole, &[good.clone(), good])
        .await
        .unwrap();
    assert_eq!(screen.shown.get(), 1);
}

/// Enforced twice, and the two agree: random requests, judged by the
/// iFrame's evaluation (what `GET /v2/policy` gives it) and by hot storage
/// when the share is asked for with the same intent, in sequence, so the
/// usage of the rules' limits grows between them. `deny` and `approve`
/// (no webhook yes) are refused by hot storage exactly when the iFrame
/// says so; `allow` and `ask` release the share.
#[tokio::test]
async fn the_iframe_and_hot_storage_agree_on_random_requests() {
    const POLICY: &str = r#"{ "version": 1, "default": "ask", "rules": [
        { "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } },
        { "id": "no-bad", "effect": "deny", "when": { "to": ["0x000000000000000000000000000000000000dead"] } },
        { "id": "big", "effect": "approve", "when": { "kinds": ["evm_transaction"], "value_at_least": "1000" } },
        { "id": "tips", "effect": "allow",
          "when": { "kinds": ["evm_transaction"], "value_at_most": "10", "origins": ["https://app.example"] },
          "limits": [ { "window": "1h", "count_at_most": 3 }, { "window": "1h", "value_at_most": "20" } ] },
        { "id": "messages", "effect": "allow", "when": { "kinds": ["evm_message"], "chains": [8453] },
          "limits": [ { "window": "1h", "count_at_most": 2 } ] } ] }"#;
    let Setup {
        tab,
        token,
        wallet,
        services: _services,
        screen: _screen,
    } = setup(POLICY).await;
    // A user rule loosening `ask` for another origin, signed by the wallet.
    let rules = r#"{"version":1,"default":"ask","rules":[{"id":"mine","effect":"allow",
        "when":{"origins":["https://other.example"],"kinds":["evm_message"]},
        "limits":[{"window":"1h","count_at_most":2}]}]}"#;
    let authority = WalletAuthority::derive(&mnemonic(), wallet.wallet).unwrap();
    tab.hot
        .put_user_rules(&token, &signed_rules(&wallet, 1, rules), &authority)
        .await
        .unwrap();

    let mut seed: u64 = 0x5eed_cafe;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let recipients = [
        "0x70997970c51812dc3a010c7d01b50e20d17dc79c",
        "0x000000000000000000000000000000000000dead",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for round in 0..40 {
        let origin = ["https://app.example", "https://other.example"][next(2) as usize];
        let chain = [1, 8453, 10][next(3) as usize];
        let intent = if next(2) == 0 {
            message(chain, origin)
        } else {
            let mut t = transfer(
                chain,
                recipients[next(2) as usize],
                ["1", "5", "9", "5000"][next(4) as usize],
            );
            t.origin = Some(origin.to_owned());
            t
        };
        let judged = tab
            .evaluate_policy(&token, &wallet, &intent, &[])
            .await
            .unwrap();
        let effect = judged.evaluation.effect;
        seen.insert(effect.as_str());
        let entry = tab.store.all().remove(0);
        let answer = tab
            .hot
            .recover_for(
                &token,
                &keyframe_wire::policy::RecoverWithIntent {
                    wallet: wallet.wallet,
                    device: Some(entry.device),
                    version: Some(entry.version),
                    split: Some(entry.split),
                    intent: Some(intent.clone()),
                    approval: None,
                    // As the iFrame sends it: the screen was shown for
                    // what it judged `ask` (or `approve`).
                    on_screen: Some(effect != Effect::Allow),
                },
            )
            .await;
        let released = answer.is_ok();
        let refused = matches!(&answer, Err(ServiceError::Denied(_)));
        assert!(released || refused, "round {round}: {answer:?}");
        assert_eq!(
            released,
            matches!(effect, Effect::Allow | Effect::Ask),
            "round {round}: the iFrame says {effect:?} for {intent:?}, hot storage {answer:?}"
        );
    }
    assert_eq!(seen.len(), 4, "every effect was exercised: {seen:?}");
}

/// An operator policy whose `allow` rule lets one message a day through;
/// the default asks.
const ONE_A_DAY: &str = r#"{ "version": 1, "default": "ask", "rules": [
    { "id": "one-a-day", "effect": "allow",
      "when": { "kinds": ["evm_message"], "origins": ["https://app.example"], "chains": [8453] },
      "limits": [ { "window": "24h", "count_at_most": 1 } ] } ] }"#;

/// The usage `GET /v2/policy` answers is always from before any request
/// was recorded: what each of N concurrent requests saw when they were all
/// judged before the first one's share was released.
fn stale(state: &mut PolicyState) {
    state.usage.clear();
}

#[tokio::test]
async fn an_allow_judged_on_stale_usage_that_hot_storage_finds_spent_shows_the_screen() {
    let services = services(ONE_A_DAY).await;
    let screen = CountingScreen::default();
    let tab = tab_on(services.tampering_hot_api(stale), &services, &screen);
    let token = token(&user());
    wallet(&tab, &token).await;
    let wallet = tab.wallet(&token).await.unwrap().unwrap();
    let intent = message(8453, APP);

    assert_eq!(
        sign(&tab, &token, &wallet, &intent, &[]).await.unwrap(),
        EVM
    );
    assert_eq!(screen.shown.get(), 0, "allowed by one-a-day");
    // The iFrame judges `allow` again (its usage is stale); hot storage,
    // on the recorded usage, finds the limit spent and decides the
    // default `ask`: the share is not released without the screen.
    assert_eq!(
        sign(&tab, &token, &wallet, &intent, &[]).await.unwrap(),
        EVM
    );
    assert_eq!(
        screen.shown.get(),
        1,
        "the second one is asked on the screen"
    );
    assert_eq!(
        decisions(&tab, &token, &wallet).await,
        vec![Decision::ApprovedOnScreen, Decision::Allowed],
        "the refused try is not logged; the approved one is"
    );
    // A rejection on that screen signs nothing.
    screen.reject.set(true);
    let err = refused(&tab, &token, &wallet, &intent).await;
    assert_eq!(err.reason, Reason::UserRejected, "{err:?}");
    assert_eq!(screen.shown.get(), 2);
}

#[tokio::test]
async fn concurrent_signatures_under_a_limit_of_one_show_the_screen_for_the_second() {
    let Setup {
        screen,
        tab,
        token,
        wallet,
        services: _services,
    } = setup(ONE_A_DAY).await;
    let intent = message(8453, APP);
    // One page sending two signing requests at once: both are judged
    // before either share is asked for, in whatever order the services
    // answer; exactly one goes without the screen.
    let (a, b) = tokio::join!(
        sign(&tab, &token, &wallet, &intent, &[]),
        sign(&tab, &token, &wallet, &intent, &[])
    );
    assert_eq!((a.unwrap(), b.unwrap()), (EVM.to_owned(), EVM.to_owned()));
    assert_eq!(screen.shown.get(), 1);
    let mut log = decisions(&tab, &token, &wallet).await;
    log.sort_by_key(|d| d.as_str());
    assert_eq!(log, vec![Decision::Allowed, Decision::ApprovedOnScreen]);
}

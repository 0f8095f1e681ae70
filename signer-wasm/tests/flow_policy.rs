//! The policy before the key (signer-wasm/src/flows/policy.rs), against
//! the real services with an operator policy: a denied request is refused
//! before any share is fetched and nothing is signed; an `allow` rule
//! signs without the screen; `ask` shows it and a rejection is logged; an
//! "Always allow" choice is signed with the wallet's authority key, kept at
//! hot storage and honoured until it expires; user rules that do not
//! verify are ignored; a batch is as strict as its strictest transaction,
//! and its share request carries its transactions, which hot storage
//! judges too;
//! an `allow` the iFrame judged on stale usage, which hot storage finds
//! spent, shows the screen before it signs. An "Always allow" rule is as
//! narrow as what the screen showed: the same recipient, call, number of
//! token movements and at most the amounts, at most twice the fee shown,
//! and over a day at most what 100 such requests move; it is made for transactions only (typed data
//! and messages hold what no rule can bind); a screen with a warning or
//! an approval offers no such choice.
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
use keyframe_signer::intent::{Intent as Shown, IntentKind, Warning, WarningCode};
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
    /// How often the screen offered "Always allow" (`approve_sign`).
    offered: Rc<Cell<u32>>,
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
    async fn approve_sign(
        &self,
        request: &Request<'_>,
        offer_always: bool,
    ) -> Result<Option<u64>, RpcError> {
        self.approve(request).await?;
        if !offer_always {
            return Ok(None);
        }
        self.offered.set(self.offered.get() + 1);
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

/// The most a test transaction can pay in fees, as the decoder reads it:
/// 21,000 gas at 1 gwei (EVM), one signature (Solana).
const EVM_FEE: u64 = 21_000_000_000_000;
const SOL_FEE: u64 = 5_000;

fn transfer(chain: u64, to: &str, wei: &str) -> Intent {
    let mut i = Intent::new(Kind::EvmTransaction);
    i.chain = Some(chain);
    i.origin = Some(APP.to_owned());
    i.to = Some(to.to_owned());
    i.value = keyframe_policy::Amount::parse(wei).unwrap();
    i.max_fee = Some(keyframe_policy::Amount::from(EVM_FEE));
    i
}

const REQUEST: Request<'static> = Request::Sign {
    method: "personal_sign",
    intent: None,
};

/// What the screen shows for a request: described by the decoder, with
/// `warning` if any (consent/view.rs offers "Always allow" only without).
fn shown(warning: Option<WarningCode>) -> Shown {
    Shown {
        kind: IntentKind::Message,
        title: "Sign message".into(),
        summary: None,
        fields: Vec::new(),
        warnings: warning
            .map(|code| Warning {
                code,
                message: "look closely".into(),
            })
            .into_iter()
            .collect(),
        raw: None,
    }
}

/// Signs `intent`'s request with `tab` (the op records that it ran) and
/// runs the refresh that follows; the screen describes it without a
/// warning.
async fn sign<H: HotStorage, S: Shield>(
    tab: &Flows<H, S, MemoryStore, CountingScreen>,
    token: &Tokens,
    wallet: &WalletRecord,
    intent: &Intent,
    parts: &[Intent],
) -> Result<String, RpcError> {
    sign_shown(tab, token, wallet, &shown(None), intent, parts).await
}

/// [`sign`] with the screen showing `display`.
async fn sign_shown<H: HotStorage, S: Shield>(
    tab: &Flows<H, S, MemoryStore, CountingScreen>,
    token: &Tokens,
    wallet: &WalletRecord,
    display: &Shown,
    intent: &Intent,
    parts: &[Intent],
) -> Result<String, RpcError> {
    let request = Request::Sign {
        method: "personal_sign",
        intent: Some(display),
    };
    let signed = tab
        .sign_with_key(token, wallet, &request, intent, parts, sign_op)
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
                parts: Vec::new(),
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
    let intent = transfer(10, ALICE, "1");
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
    // Only this origin, this chain.
    let mut elsewhere = transfer(10, ALICE, "1");
    elsewhere.origin = Some("https://other.example".into());
    sign(&tab, &token, &wallet, &elsewhere, &[]).await.unwrap();
    sign(&tab, &token, &wallet, &transfer(8454, ALICE, "1"), &[])
        .await
        .unwrap();
    assert_eq!(screen.shown.get(), 3);
    // The operator's deny still wins over the user's allow.
    let err = sign(&tab, &token, &wallet, &transfer(1, ALICE, "1"), &[])
        .await
        .err()
        .unwrap();
    assert_eq!(err.reason, Reason::PolicyDenied);

    // A second "always allow" extends the set under a higher version.
    screen.always.set(Some(86_400));
    sign(&tab, &token, &wallet, &transfer(8454, ALICE, "1"), &[])
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

/// Plain transactions need no screen; a contract call (and anything
/// else) asks.
const PLAIN_SENDS: &str = r#"{ "version": 1, "default": "ask", "rules": [
    { "id": "plain", "effect": "allow",
      "when": { "kinds": ["evm_transaction"], "contract_call": false } } ] }"#;

/// A batch of [a plain send, an ERC-20 transfer]: its parts and its whole
/// (recipients and functions differ, so the whole names neither and, as
/// one request, is no call).
fn send_and_call() -> (Intent, Vec<Intent>) {
    let send = transfer(8453, "0x70997970c51812dc3a010c7d01b50e20d17dc79c", "1");
    let mut call = transfer(8453, "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "0");
    call.selector = Some("0xa9059cbb".into());
    let mut whole = send.clone();
    whole.to = None;
    (whole, vec![send, call])
}

#[tokio::test]
async fn a_batchs_share_request_carries_the_parts_it_judged() {
    let services = services(PLAIN_SENDS).await;
    let screen = CountingScreen::default();
    let (hot, sent) = services.hot_api().recording();
    let tab = tab_on(hot, &services, &screen);
    let token = token(&user());
    wallet(&tab, &token).await;
    let wallet = tab.wallet(&token).await.unwrap().unwrap();
    let (whole, parts) = send_and_call();

    sign(&tab, &token, &wallet, &whole, &parts).await.unwrap();
    assert_eq!(screen.shown.get(), 1, "the call part asks");
    let bodies = sent.borrow().clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0].intent.as_ref(), Some(&whole));
    assert_eq!(bodies[0].parts, parts, "the parts the iFrame judged");
    assert_eq!(bodies[0].on_screen, Some(true));
    // One request has no parts, and sends none.
    sign(&tab, &token, &wallet, &parts[0], &[]).await.unwrap();
    let bodies = sent.borrow().clone();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[1].parts.is_empty());
    assert!(!serde_json::to_string(&bodies[1]).unwrap().contains("parts"));
}

/// A batch one of whose parts needs the approval webhook (the call): the
/// iFrame asks hot storage's approvals with the parts it judged, so hot
/// storage, judging them too, asks the webhook; its yes releases the share.
#[tokio::test]
async fn a_batch_part_that_needs_the_webhook_is_approved_with_its_parts() {
    use hot_storage_service::approval::{ApprovalCall, ApprovalOutcome};
    use hot_storage_service::settings::TestApprover;
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let policy = Policy::from_json(
        r#"{ "version": 1, "default": "ask", "rules": [
             { "id": "calls", "effect": "approve", "silent": true,
               "when": { "kinds": ["evm_transaction"], "contract_call": true } } ] }"#,
    )
    .unwrap();
    let services = Services::start_with(move |s| {
        s.policy = Arc::new(PolicyFile::with(None, policy.clone()));
        let seen = seen.clone();
        s.test_approver = Some(TestApprover(Arc::new(move |call: &ApprovalCall<'_>| {
            seen.lock().unwrap().push(call.parts.len());
            ApprovalOutcome::Approved
        })));
    })
    .await;
    let screen = CountingScreen::default();
    let tab = tab_on(services.hot_api(), &services, &screen);
    let token = token(&user());
    wallet(&tab, &token).await;
    let wallet = tab.wallet(&token).await.unwrap().unwrap();
    let (whole, parts) = send_and_call();

    sign(&tab, &token, &wallet, &whole, &parts).await.unwrap();
    assert_eq!(
        *asked.lock().unwrap(),
        vec![2],
        "the webhook was asked once, with the parts"
    );
    assert_eq!(screen.shown.get(), 0, "a silent approval");
}

/// An iFrame that judges on a policy other than hot storage's (modified,
/// or stale): every transaction allowed.
fn allow_everything(state: &mut PolicyState) {
    state.operator = serde_json::from_str(r#"{ "version": 1, "default": "allow" }"#).unwrap();
}

#[tokio::test]
async fn hot_storage_holds_a_batchs_parts_to_the_screen_an_iframe_skipped() {
    let services = services(PLAIN_SENDS).await;
    let screen = CountingScreen::default();
    let (hot, sent) = services.tampering_hot_api(allow_everything).recording();
    let tab = tab_on(hot, &services, &screen);
    let token = token(&user());
    wallet(&tab, &token).await;
    let wallet = tab.wallet(&token).await.unwrap().unwrap();
    let (whole, parts) = send_and_call();

    // The iFrame judges `allow` and asks for the share without the
    // screen; hot storage, judging the call part too, says the screen is
    // needed (409 `POLICY_CHANGED`): the share comes only after it.
    sign(&tab, &token, &wallet, &whole, &parts).await.unwrap();
    assert_eq!(screen.shown.get(), 1, "hot storage asked for the screen");
    let bodies = sent.borrow().clone();
    let on_screen: Vec<_> = bodies.iter().map(|b| b.on_screen).collect();
    assert_eq!(on_screen, vec![Some(false), Some(true)]);
    assert!(bodies.iter().all(|b| b.parts == parts));
    assert_eq!(
        decisions(&tab, &token, &wallet).await,
        vec![Decision::ApprovedOnScreen]
    );
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
                    parts: Vec::new(),
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

// "Always allow" as narrow as the screen: each request below that must
// show the screen again passed without it under the old rule, which
// allowed the request's kind from the origin on the chain.

const USDC: &str = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913";
const ALICE: &str = "0x70997970c51812dc3a010c7d01b50e20d17dc79c";
const BOB: &str = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";

/// An operator policy that asks about everything.
const ASK: &str = r#"{ "version": 1, "default": "ask" }"#;

/// `transfer(to, amount)` of USDC on Base, as the decoder reads it.
fn usdc_transfer(to: &str, amount: &str) -> Intent {
    let mut i = transfer(8453, USDC, "0");
    i.selector = Some("0xa9059cbb".into());
    i.token_transfers = vec![keyframe_policy::TokenTransfer {
        token: USDC.into(),
        to: to.into(),
        amount: keyframe_policy::Amount::parse(amount).unwrap(),
    }];
    i
}

/// `approve(spender, amount)` of USDC.
fn usdc_approve(spender: &str, amount: &str) -> Intent {
    let mut i = transfer(8453, USDC, "0");
    i.selector = Some("0x095ea7b3".into());
    i.approvals = vec![keyframe_policy::Approval {
        token: USDC.into(),
        spender: spender.into(),
        amount: keyframe_policy::Amount::parse(amount),
    }];
    i
}

/// Signs `intent` (the screen describing it without a warning) and says
/// whether the screen was shown for it.
async fn screened(s: &Setup, intent: &Intent) -> bool {
    let before = s.screen.shown.get();
    sign(&s.tab, &s.token, &s.wallet, intent, &[])
        .await
        .unwrap();
    s.screen.shown.get() > before
}

/// Approves `intent` on the screen with "Always allow" ticked and checks
/// that the rule was made.
async fn always_allow(s: &Setup, intent: &Intent) {
    s.screen.always.set(Some(3600));
    assert!(screened(s, intent).await);
    s.screen.always.set(None);
    let state = s.tab.hot.policy(&s.token, s.wallet.wallet).await.unwrap();
    assert!(state.user_rules.is_some(), "the rule is stored");
}

#[tokio::test]
async fn always_allow_on_a_token_transfer_allows_only_transfers_like_it() {
    let s = setup(ASK).await;
    always_allow(&s, &usdc_transfer(ALICE, "1000000")).await;

    assert!(!screened(&s, &usdc_transfer(ALICE, "1000000")).await);
    assert!(!screened(&s, &usdc_transfer(ALICE, "400000")).await);
    // Not like it: another recipient, a bigger amount, the native coin,
    // an approval, native value along with the transfer.
    assert!(screened(&s, &usdc_transfer(BOB, "1000000")).await);
    assert!(screened(&s, &usdc_transfer(ALICE, "1000001")).await);
    assert!(screened(&s, &transfer(8453, ALICE, "1000000000000000000")).await);
    assert!(screened(&s, &transfer(8453, USDC, "1")).await);
    assert!(screened(&s, &usdc_approve(BOB, "1000000")).await);
    let mut with_value = usdc_transfer(ALICE, "1000000");
    with_value.value = keyframe_policy::Amount::parse("1").unwrap();
    assert!(screened(&s, &with_value).await);
    // Another chain, another origin.
    let mut elsewhere = usdc_transfer(ALICE, "1000000");
    elsewhere.chain = Some(10);
    assert!(screened(&s, &elsewhere).await);
    elsewhere = usdc_transfer(ALICE, "1000000");
    elsewhere.origin = Some("https://other.example".into());
    assert!(screened(&s, &elsewhere).await);
    // Still allowed after all that.
    assert!(!screened(&s, &usdc_transfer(ALICE, "1000000")).await);
}

#[tokio::test]
async fn always_allow_on_a_plain_send_allows_no_call_to_the_same_account() {
    let s = setup(ASK).await;
    // 0.01 ETH to the USDC contract (as one would to WETH, to wrap it).
    always_allow(&s, &transfer(8453, USDC, "10000000000000000")).await;

    assert!(!screened(&s, &transfer(8453, USDC, "10000000000000000")).await);
    assert!(!screened(&s, &transfer(8453, USDC, "1")).await);
    assert!(screened(&s, &transfer(8453, USDC, "10000000000000001")).await);
    assert!(screened(&s, &transfer(8453, ALICE, "1")).await);
    // A call to the same account with no more value: a transfer of all
    // its tokens, or a call the decoder cannot read.
    let mut drain = usdc_transfer(BOB, "1000000000000");
    drain.value = keyframe_policy::Amount::parse("1").unwrap();
    assert!(screened(&s, &drain).await);
    let mut unknown = transfer(8453, USDC, "0");
    unknown.selector = Some("0xdeadbeef".into());
    assert!(screened(&s, &unknown).await);
}

const SYSTEM: &str = "11111111111111111111111111111111";
const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const SOL_ALICE: &str = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
const SOL_BOB: &str = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T";
const SOL_USDC: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";

/// A System transfer of `lamports` to `to`.
fn sol_transfer(to: &str, lamports: u64) -> Intent {
    let mut i = Intent::new(Kind::SolanaTransaction);
    i.origin = Some(APP.into());
    i.programs = vec![SYSTEM.into()];
    i.to = Some(to.into());
    i.lamports = keyframe_policy::Amount::from(lamports);
    i.max_fee = Some(keyframe_policy::Amount::from(SOL_FEE));
    i
}

/// An SPL `TransferChecked` of USDC to `to`.
fn spl_transfer(to: &str, amount: u64) -> Intent {
    let mut i = Intent::new(Kind::SolanaTransaction);
    i.origin = Some(APP.into());
    i.programs = vec![TOKEN.into()];
    i.token_transfers = vec![keyframe_policy::TokenTransfer {
        token: SOL_USDC.into(),
        to: to.into(),
        amount: keyframe_policy::Amount::from(amount),
    }];
    i.max_fee = Some(keyframe_policy::Amount::from(SOL_FEE));
    i
}

#[tokio::test]
async fn always_allow_on_a_solana_transfer_allows_only_transfers_like_it() {
    let s = setup(ASK).await;
    always_allow(&s, &sol_transfer(SOL_ALICE, 1_000_000)).await;
    always_allow(&s, &spl_transfer(SOL_ALICE, 5_000_000)).await;

    assert!(!screened(&s, &sol_transfer(SOL_ALICE, 1_000_000)).await);
    assert!(!screened(&s, &spl_transfer(SOL_ALICE, 5_000_000)).await);
    assert!(screened(&s, &sol_transfer(SOL_BOB, 1_000_000)).await);
    assert!(screened(&s, &sol_transfer(SOL_ALICE, 1_000_001)).await);
    assert!(screened(&s, &spl_transfer(SOL_BOB, 5_000_000)).await);
    assert!(screened(&s, &spl_transfer(SOL_ALICE, 5_000_001)).await);
    // The SOL rule's program list: a token transfer along with the SOL.
    let mut both = sol_transfer(SOL_ALICE, 1_000_000);
    both.programs.push(TOKEN.into());
    both.token_transfers = spl_transfer(SOL_BOB, 1).token_transfers;
    assert!(screened(&s, &both).await);
    // A System instruction that hands the account over (every lamport,
    // an unknown destination: intent/policy.rs).
    let mut assign = sol_transfer(SOL_ALICE, 0);
    assign.lamports = keyframe_policy::Amount::MAX;
    assign.to = Some("unknown".into());
    assert!(screened(&s, &assign).await);
    // An SPL approval.
    let mut approve = Intent::new(Kind::SolanaTransaction);
    approve.origin = Some(APP.into());
    approve.programs = vec![TOKEN.into()];
    approve.approvals = vec![keyframe_policy::Approval {
        token: SOL_USDC.into(),
        spender: SOL_BOB.into(),
        amount: None,
    }];
    assert!(screened(&s, &approve).await);
}

/// Typed data on Base under `domain` (name, verifying contract) with
/// primary type `primary`.
fn typed(name: &str, contract: &str, primary: &str) -> Intent {
    let mut i = Intent::new(Kind::EvmTypedData);
    i.chain = Some(8453);
    i.origin = Some(APP.into());
    i.typed_data = Some(keyframe_policy::TypedData {
        name: Some(name.into()),
        version: Some("1".into()),
        chain_id: Some(8453),
        verifying_contract: Some(contract.into()),
        primary_type: primary.into(),
    });
    i
}

/// A sign-in (EIP-4361) message for `domain`, on Base.
fn sign_in(domain: &str) -> Intent {
    let mut i = message(8453, APP);
    i.siwe_domain = Some(domain.into());
    i
}

/// Typed data and messages: their contents are what they authorise (an
/// order's amount and receiver, a key-derivation message, a sign-in's
/// address and expiry), and no rule holds them, so one tick would allow
/// any other of the same domain, type or origin. Under the rule before
/// (domain and type; "not a sign-in"; the sign-in's domain) each second
/// request below passed without the screen.
#[tokio::test]
async fn no_always_allow_on_typed_data_or_messages() {
    let s = setup(ASK).await;
    s.screen.always.set(Some(3600));
    let small_order = typed("Seaport", ALICE, "OrderComponents");
    let mut any_chain = small_order.clone();
    if let Some(td) = &mut any_chain.typed_data {
        td.chain_id = None;
    }
    let mut sol_message = Intent::new(Kind::SolanaMessage);
    sol_message.origin = Some(APP.into());
    let pairs = [
        (small_order.clone(), small_order),
        (typed("Seaport", ALICE, "OrderComponents"), any_chain),
        (message(8453, APP), message(8453, APP)),
        (sign_in("app.example"), sign_in("app.example")),
        (sol_message.clone(), sol_message),
    ];
    for (first, second) in &pairs {
        assert!(screened(&s, first).await);
        s.screen.always.set(None);
        assert!(screened(&s, second).await, "{second:?}");
        s.screen.always.set(Some(3600));
    }
    assert_eq!(s.screen.offered.get(), 0, "the choice was never offered");
    let state = s.tab.hot.policy(&s.token, s.wallet.wallet).await.unwrap();
    assert!(state.user_rules.is_none(), "no rule was made");
}

/// Ten 1-USDC transfers in one request (a `keyframe_signTransactions`
/// batch, or one Solana transaction of ten `TransferChecked`) are not a
/// request like one 1-USDC transfer, though each movement is.
#[tokio::test]
async fn always_allow_on_one_transfer_does_not_cover_ten_in_one_request() {
    let s = setup(ASK).await;
    let one = usdc_transfer(ALICE, "1000000");
    always_allow(&s, &one).await;
    let mut ten = one.clone();
    ten.token_transfers = vec![one.token_transfers[0].clone(); 10];
    let parts = vec![one.clone(); 10];
    let before = s.screen.shown.get();
    sign(&s.tab, &s.token, &s.wallet, &ten, &parts)
        .await
        .unwrap();
    assert_eq!(s.screen.shown.get(), before + 1, "a batch of ten is asked");
    assert!(!screened(&s, &one).await);

    let sol_one = spl_transfer(SOL_ALICE, 1_000_000);
    always_allow(&s, &sol_one).await;
    let mut sol_ten = sol_one.clone();
    sol_ten.token_transfers = vec![sol_one.token_transfers[0].clone(); 10];
    assert!(screened(&s, &sol_ten).await);
    assert!(!screened(&s, &sol_one).await);
}

/// Over a day a rule moves no more of a token than 100 requests like the
/// one on the screen. A Solana transaction showing 1 USDC to Bob and nine
/// base units to Alice allows ten movements of up to 1 USDC to Bob each
/// time (10 USDC), but not beyond 100 × 1.000009 USDC a day: the eleventh
/// such request, well within the 100 a day, is asked.
#[tokio::test]
async fn always_allow_bounds_the_day_to_what_the_screen_showed() {
    let s = setup(ASK).await;
    let mut shown = spl_transfer(SOL_BOB, 1_000_000);
    shown.token_transfers.extend(vec![
        spl_transfer(SOL_ALICE, 1).token_transfers[0].clone();
        9
    ]);
    always_allow(&s, &shown).await;
    let mut to_bob = shown.clone();
    to_bob.token_transfers = vec![shown.token_transfers[0].clone(); 10];
    for n in 0..10 {
        assert!(!screened(&s, &to_bob).await, "request {n}");
    }
    assert!(screened(&s, &to_bob).await, "over the day's total");
    // What is left of the day still passes.
    assert!(!screened(&s, &spl_transfer(SOL_BOB, 900)).await);
}

#[tokio::test]
async fn no_always_allow_on_a_screen_with_a_warning() {
    let s = setup(ASK).await;
    s.screen.always.set(Some(3600));
    // A sign-in for another site: the screen warns about it.
    let warned = shown(Some(WarningCode::SiweDomainMismatch));
    let bank = sign_in("bank.example");
    for _ in 0..2 {
        sign_shown(&s.tab, &s.token, &s.wallet, &warned, &bank, &[])
            .await
            .unwrap();
    }
    assert_eq!(s.screen.shown.get(), 2, "asked every time");
    assert_eq!(s.screen.offered.get(), 0, "the choice was never offered");
    let state = s.tab.hot.policy(&s.token, s.wallet.wallet).await.unwrap();
    assert!(state.user_rules.is_none(), "no rule was made");
}

#[tokio::test]
async fn no_always_allow_on_an_approval_or_what_cannot_be_narrowed() {
    let s = setup(ASK).await;
    s.screen.always.set(Some(3600));
    // An approval, a contract creation, a call the intent does not hold
    // in full, lamports to an unknown destination, a batch of calls to
    // different accounts; each screen without a warning.
    let mut create = transfer(8453, ALICE, "1");
    create.to = None;
    let mut unknown_call = transfer(8453, USDC, "0");
    unknown_call.selector = Some("0xdeadbeef".into());
    let mut assign = sol_transfer(SOL_ALICE, 0);
    assign.lamports = keyframe_policy::Amount::MAX;
    assign.to = Some("unknown".into());
    for intent in [
        usdc_approve(BOB, "1000000"),
        create,
        unknown_call,
        assign.clone(),
    ] {
        sign(&s.tab, &s.token, &s.wallet, &intent, &[])
            .await
            .unwrap();
    }
    let parts = [transfer(8453, ALICE, "1"), transfer(8453, BOB, "1")];
    let mut whole = transfer(8453, ALICE, "2");
    whole.to = None;
    sign(&s.tab, &s.token, &s.wallet, &whole, &parts)
        .await
        .unwrap();
    assert_eq!(s.screen.offered.get(), 0, "the choice was never offered");
    assert_eq!(s.screen.shown.get(), 5);
    let state = s.tab.hot.policy(&s.token, s.wallet.wallet).await.unwrap();
    assert!(state.user_rules.is_none(), "no rule was made");
    // And each is asked again.
    s.screen.always.set(None);
    assert!(screened(&s, &usdc_approve(BOB, "1000000")).await);
    assert!(screened(&s, &assign).await);
}

/// `transfer(ALICE, 1 USDC)` on Base as the page sends it, with
/// `max_fee_per_gas` (wei) on 65,000 gas, read by the signer's decoder
/// (src/intent/policy.rs): its `max_fee` is the screen's "Max fee".
fn usdc_transfer_tx(max_fee_per_gas: u64) -> Intent {
    let ctx = keyframe_signer::intent::Context {
        origin: APP.into(),
        chain_id: 8453,
        ..Default::default()
    };
    let data = format!(
        "0xa9059cbb{:0>64}{:064x}",
        ALICE.trim_start_matches("0x"),
        1_000_000u64
    );
    let tx = serde_json::json!({"type": "0x2", "chainId": "0x2105", "nonce": "0x0",
        "gas": "0xfde8", "maxFeePerGas": format!("{max_fee_per_gas:#x}"),
        "maxPriorityFeePerGas": "0x1", "to": USDC, "value": "0x0", "data": data});
    keyframe_signer::intent::policy::evm_transaction_intent(&tx, &ctx).unwrap()
}

#[tokio::test]
async fn always_allow_binds_the_fee_to_twice_the_one_shown() {
    use keyframe_policy::Amount;
    let s = setup(ASK).await;
    // Shown: 65,000 gas at 1 gwei.
    let gwei = 1_000_000_000;
    let shown = usdc_transfer_tx(gwei);
    assert_eq!(shown.max_fee, Some(Amount::from(65_000 * gwei)));
    assert_eq!(
        shown.token_transfers,
        usdc_transfer(ALICE, "1000000").token_transfers
    );
    always_allow(&s, &shown).await;
    let state = s.tab.hot.policy(&s.token, s.wallet.wallet).await.unwrap();
    let rules = state.user_rules.unwrap().rules;
    assert!(
        rules.contains(r#""fee_at_most":"130000000000000""#),
        "{rules}"
    );

    // The same transaction at the shown fee, and up to twice it (gas
    // prices move between requests): no screen.
    assert!(!screened(&s, &usdc_transfer_tx(gwei)).await);
    assert!(!screened(&s, &usdc_transfer_tx(gwei / 2)).await);
    assert!(!screened(&s, &usdc_transfer_tx(2 * gwei)).await);
    // One wei per gas more than twice, or an absurd fee: the screen again.
    assert!(screened(&s, &usdc_transfer_tx(2 * gwei + 1)).await);
    assert!(screened(&s, &usdc_transfer_tx(u64::MAX)).await);
    // An intent without fee information (an older iFrame's): not known
    // to pay any less, so the screen again.
    let mut unknown = usdc_transfer_tx(gwei);
    unknown.max_fee = None;
    assert!(screened(&s, &unknown).await);

    // Solana: the priority fee the same way.
    let sol = sol_transfer(SOL_ALICE, 1_000_000);
    always_allow(&s, &sol).await;
    let with_fee = |lamports: u64| {
        let mut i = sol.clone();
        i.max_fee = Some(Amount::from(lamports));
        i
    };
    assert!(!screened(&s, &with_fee(SOL_FEE)).await);
    assert!(!screened(&s, &with_fee(2 * SOL_FEE)).await);
    assert!(screened(&s, &with_fee(2 * SOL_FEE + 1)).await);
    assert!(screened(&s, &with_fee(u64::MAX)).await);
}

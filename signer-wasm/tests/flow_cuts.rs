//! No cut loses the wallet: the refresh is cut at every step (network down,
//! lost answers, 500s, the tab closing), tabs race on one device store, and
//! a property test mixes random cut points and interleavings. Afterwards
//! the wallet still signs with the same address, in the same session and a
//! new one, and recovery still works. All against the real services.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use std::rc::Rc;

use flow_support::*;
use keyframe_signer::flows::{Request, RpcResult, WalletRecord};
use proptest::prelude::*;

const FAULTS: [Fault; 5] = [
    Fault::FailBefore,
    Fault::LoseAnswer,
    Fault::ServerError,
    Fault::Abort,
    Fault::AbortAfter,
];

/// Runs `flow` until it ends or `plan` cuts it off (the tab closed).
async fn until_cut<T>(plan: &Plan, flow: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        out = flow => Some(out),
        _ = plan.aborted.notified() => None,
    }
}

/// The wallet survives: the same tab signs (twice, so a refresh after the
/// cut completes too), a new tab on the same store signs, and a new device
/// recovers and signs, always with the registered address.
async fn assert_wallet_alive<T>(
    services: &Services,
    same: &T,
    store: &MemoryStore,
    token: &Tokens,
    wallet: &WalletRecord,
    key: &keyframe_signer::recovery::RecoveryKey,
) where
    T: Signs,
{
    for _ in 0..2 {
        assert_eq!(
            same.sign(token, wallet).await.unwrap(),
            wallet.addresses.evm,
            "same session"
        );
    }
    let reloaded = services.tab(store);
    assert_eq!(
        sign_and_refresh(&reloaded, token, wallet).await.unwrap(),
        wallet.addresses.evm,
        "new session"
    );
    // A completed refresh leaves exactly one local share.
    assert_eq!(store.all().len(), 1, "superseded local shares are dropped");
    let device = services.tab(&MemoryStore::default());
    device.recover(token, &automatic(key)).await.unwrap();
    assert_eq!(
        sign_and_refresh(&device, token, wallet).await.unwrap(),
        wallet.addresses.evm,
        "recovery"
    );
}

/// A tab that can sign (plain or faulty flows).
trait Signs {
    async fn sign(&self, token: &Tokens, wallet: &WalletRecord) -> RpcResult<String>;
}

impl Signs for FaultyFlows {
    async fn sign(&self, token: &Tokens, wallet: &WalletRecord) -> RpcResult<String> {
        sign_and_refresh(self, token, wallet).await
    }
}

/// A new user with a wallet made by a clean tab on `store`.
async fn new_wallet(
    services: &Services,
    store: &MemoryStore,
) -> (Tokens, WalletRecord, keyframe_signer::recovery::RecoveryKey) {
    let token = token(&user());
    let key = recovery_key();
    let created = services
        .tab(store)
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    (token, created.wallet, key)
}

#[tokio::test]
async fn refresh_cut_after_every_step() {
    let services = Services::start().await;
    // How many calls a clean refresh makes (store and services).
    let store = MemoryStore::default();
    let (token, wallet, _) = new_wallet(&services, &store).await;
    let plan = Plan::new();
    let tab = services.faulty_tab(&store, &plan);
    let signed = tab
        .with_key(
            &token,
            &wallet,
            &Request::Sign {
                method: "personal_sign",
                intent: None,
            },
            sign_op,
        )
        .await
        .unwrap();
    plan.arm(usize::MAX, Fault::FailBefore, false);
    tab.refresh(signed.refresh).await;
    let steps = plan.steps();
    assert!(
        steps >= 5,
        "put, refresh, commit, put, entries at least: {steps}"
    );

    let mut cases = 0;
    for fault in FAULTS {
        for sticky in [false, true] {
            for at in 0..steps {
                let store = MemoryStore::default();
                let (token, wallet, key) = new_wallet(&services, &store).await;
                let plan = Plan::new();
                let tab = services.faulty_tab(&store, &plan);
                let signed = tab
                    .with_key(
                        &token,
                        &wallet,
                        &Request::Sign {
                            method: "personal_sign",
                            intent: None,
                        },
                        sign_op,
                    )
                    .await
                    .unwrap();
                assert_eq!(signed.answer, wallet.addresses.evm);
                plan.arm(at, fault, sticky);
                until_cut(&plan, tab.refresh(signed.refresh)).await;
                plan.disarm();
                assert_wallet_alive(&services, &tab, &store, &token, &wallet, &key).await;
                cases += 1;
            }
        }
    }
    assert_eq!(cases, FAULTS.len() * 2 * steps);
}

#[tokio::test]
async fn two_tabs_share_one_device_store() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let (token, wallet, key) = new_wallet(&services, &store).await;
    let (a, b) = (services.tab(&store), services.tab(&store));
    let mut signed = 0;
    for _ in 0..8 {
        let (x, y) = tokio::join!(
            sign_and_refresh(&a, &token, &wallet),
            sign_and_refresh(&b, &token, &wallet)
        );
        // A tab that lost the race may have to retry; it never signs with
        // another key.
        for address in [x, y].into_iter().flatten() {
            assert_eq!(address, wallet.addresses.evm);
            signed += 1;
        }
    }
    assert!(
        signed >= 8,
        "at least one tab signs in every round: {signed}"
    );
    let plan = Plan::new();
    let same = services.faulty_tab(&store, &plan);
    assert_wallet_alive(&services, &same, &store, &token, &wallet, &key).await;
}

/// One step of a property-test run.
#[derive(Debug, Clone)]
enum Op {
    /// Tab `tab` signs; the flow is cut at call `at` with `fault` if given.
    Sign {
        tab: usize,
        cut: Option<(usize, Fault, bool)>,
    },
    /// Both tabs sign at once, tab 0 possibly cut.
    Race { cut: Option<(usize, Fault, bool)> },
    /// Tab `tab` reloads (a new session on the same store).
    Reload { tab: usize },
}

fn fault() -> impl Strategy<Value = Fault> {
    prop::sample::select(FAULTS.to_vec())
}

fn cut() -> impl Strategy<Value = Option<(usize, Fault, bool)>> {
    prop::option::weighted(0.7, (0usize..12, fault(), any::<bool>()))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..2, cut()).prop_map(|(tab, cut)| Op::Sign { tab, cut }),
        2 => cut().prop_map(|cut| Op::Race { cut }),
        1 => (0usize..2).prop_map(|tab| Op::Reload { tab }),
    ]
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    static SERVICES: Rc<Services> = RUNTIME.with(|rt| Rc::new(rt.block_on(Services::start())));
}

async fn run(services: &Services, locked: bool, ops: Vec<Op>) {
    let store = if locked {
        MemoryStore::locked()
    } else {
        MemoryStore::default()
    };
    let (token, wallet, key) = new_wallet(services, &store).await;
    let plans = [Plan::new(), Plan::new()];
    let mut tabs = [
        services.faulty_tab(&store, &plans[0]),
        services.faulty_tab(&store, &plans[1]),
    ];
    for op in ops {
        match op {
            Op::Sign { tab, cut } => {
                if let Some((at, fault, sticky)) = cut {
                    plans[tab].arm(at, fault, sticky);
                }
                let out = until_cut(&plans[tab], tabs[tab].sign(&token, &wallet)).await;
                plans[tab].disarm();
                if let Some(Ok(ref address)) = out {
                    assert_eq!(*address, wallet.addresses.evm);
                }
                if cut.is_none() {
                    assert!(
                        matches!(out, Some(Ok(_))),
                        "an uncut signature succeeds: {out:?}"
                    );
                }
            }
            Op::Race { cut } => {
                if let Some((at, fault, sticky)) = cut {
                    plans[0].arm(at, fault, sticky);
                }
                let (x, y) = tokio::join!(
                    until_cut(&plans[0], tabs[0].sign(&token, &wallet)),
                    until_cut(&plans[1], tabs[1].sign(&token, &wallet)),
                );
                plans[0].disarm();
                for out in [x, y].into_iter().flatten().flatten() {
                    assert_eq!(out, wallet.addresses.evm);
                }
            }
            Op::Reload { tab } => tabs[tab] = services.faulty_tab(&store, &plans[tab]),
        }
    }
    assert_wallet_alive(services, &tabs[0], &store, &token, &wallet, &key).await;
    assert_wallet_alive(services, &tabs[1], &store, &token, &wallet, &key).await;
}

proptest! {
    // Each case creates a wallet and runs up to 8 operations over HTTP; a
    // few dozen cases cover the cut points without slowing the suite.
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn no_cut_or_race_loses_the_wallet(locked in any::<bool>(), ops in prop::collection::vec(op(), 1..8)) {
        SERVICES.with(|services| {
            let services = services.clone();
            RUNTIME.with(|rt| rt.block_on(run(&services, locked, ops)));
        });
    }
}

//! The recovery pair rotates when the recovery method changes (docs/api.md,
//! "Rotating the recovery pair"), against the real services: afterwards a
//! captured old cold share, opened with the old password, combines with
//! nothing hot storage holds; and the rotation cut after every step never
//! loses the wallet: it recovers with the old password or the new one,
//! never with neither.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use flow_support::*;
use keyframe_signer::Reason;
use keyframe_signer::flows::{HotStorage, Recovery, Shield};
use keyframe_signer::recovery::open_with_password;
use keyframe_signer::shares::combine;
use keyframe_wire::hot::RecoverRequest;
use zeroize::Zeroizing;

const OLD: &str = "the first long password";
const NEW: &str = "the second long password";

fn password(p: &str) -> Recovery {
    Recovery::Password(Zeroizing::new(p.into()))
}

#[tokio::test]
async fn after_a_password_change_the_old_cold_share_and_password_are_useless() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let token = token(&user());
    let created = tab
        .create(&token, mnemonic(), &password(OLD), false)
        .await
        .unwrap();
    let wallet = &created.wallet;
    // What a thief copied from Shield before the change.
    let stolen = services
        .shield_api()
        .get(&token, wallet.wallet)
        .await
        .unwrap()
        .record;
    let before = services
        .hot_api()
        .recover(&token, &RecoverRequest::primary(wallet.wallet))
        .await
        .unwrap();

    let refresh = tab
        .set_recovery(&token, wallet, &password(OLD), &password(NEW))
        .await
        .unwrap();
    tab.refresh(refresh).await;

    let after = services
        .hot_api()
        .recover(&token, &RecoverRequest::primary(wallet.wallet))
        .await
        .unwrap();
    assert_ne!(after.split, before.split, "H₀ was re-split");
    assert_eq!(after.version, before.version + 1);
    assert!(after.pending.is_none(), "the rotation was committed");
    // The stolen ciphertext still opens with the old password…
    let old_c = open_with_password(&stolen, OLD, wallet.wallet).unwrap();
    // …but its partner is gone, and it does not combine with the new H₀.
    let gone = services
        .hot_api()
        .recover(
            &token,
            &RecoverRequest {
                wallet: wallet.wallet,
                device: None,
                version: None,
                split: Some(old_c.split()),
            },
        )
        .await
        .unwrap_err();
    assert!(gone.is("SHARE_UNAVAILABLE"), "{gone:?}");
    let h0 = keyframe_signer::shares::Share::from_bytes(after.share.as_bytes()).unwrap();
    assert!(combine(&old_c, &h0, &wallet.addresses).is_err());

    // A new device: the old password no longer recovers, the new one does.
    let device = services.tab(&MemoryStore::default());
    let wrong = device.recover(&token, &password(OLD)).await.err().unwrap();
    assert_eq!(wrong.reason, Reason::WrongPassword);
    device.recover(&token, &password(NEW)).await.unwrap();
    assert_eq!(
        sign_and_refresh(&device, &token, wallet).await.unwrap(),
        EVM
    );
    // And the first device still signs.
    assert_eq!(sign_and_refresh(&tab, &token, wallet).await.unwrap(), EVM);
}

/// Recovers on a fresh device with `p`; true when the wallet signs after.
async fn recovers_with(services: &Services, token: &Tokens, p: &str) -> bool {
    let device = services.tab(&MemoryStore::default());
    match device.recover(token, &password(p)).await {
        Ok(created) => sign_and_refresh(&device, token, &created.wallet)
            .await
            .is_ok(),
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_rotation_cut_after_any_step_recovers_with_the_old_or_the_new_password() {
    let services = Services::start().await;
    // How many calls the rotation makes through the faulty wrapper (Shield
    // get, hot recover, the device's pair, H₀′ pending, Shield replace,
    // commit), counted on an uncut run; then cut at each. Each cut costs
    // several Argon2id runs, so two faults: an answer lost after the
    // service acted, and the tab closing before the call.
    let steps = {
        let store = MemoryStore::default();
        let token = token(&user());
        let created = services
            .tab(&store)
            .create(&token, mnemonic(), &password(OLD), false)
            .await
            .unwrap();
        let plan = Plan::new();
        let tab = services.faulty_tab(&store, &plan);
        plan.arm(usize::MAX, Fault::FailBefore, false);
        let refresh = tab
            .set_recovery(&token, &created.wallet, &password(OLD), &password(NEW))
            .await
            .unwrap();
        let n = plan.steps();
        tab.refresh(refresh).await;
        n
    };
    assert!(steps >= 5, "the rotation makes {steps} calls");
    for at in 0..steps {
        for fault in [Fault::LoseAnswer, Fault::Abort] {
            let store = MemoryStore::default();
            let token = token(&user());
            let created = services
                .tab(&store)
                .create(&token, mnemonic(), &password(OLD), false)
                .await
                .unwrap();
            let plan = Plan::new();
            let tab = services.faulty_tab(&store, &plan);
            plan.arm(at, fault, false);
            let outcome = tokio::select! {
                out = async {
                    match tab.set_recovery(&token, &created.wallet, &password(OLD), &password(NEW)).await {
                        Ok(refresh) => { tab.refresh(refresh).await; true }
                        Err(_) => false,
                    }
                } => Some(out),
                _ = plan.aborted.notified() => None,
            };
            plan.disarm();
            let old = recovers_with(&services, &token, OLD).await;
            let new = recovers_with(&services, &token, NEW).await;
            assert!(
                old || new,
                "cut at step {at} ({fault:?}): the wallet recovers with neither password"
            );
            if outcome == Some(true) {
                assert!(
                    new && !old,
                    "a finished rotation: only the new password recovers"
                );
            }
            // The device that was cut still signs.
            assert_eq!(
                sign_and_refresh(&services.tab(&store), &token, &created.wallet)
                    .await
                    .unwrap(),
                EVM
            );
            // And a retry of the change from the surviving method completes.
            let (from, _) = if new { (NEW, OLD) } else { (OLD, NEW) };
            let retry = services.tab(&store);
            let refresh = retry
                .set_recovery(
                    &token,
                    &created.wallet,
                    &password(from),
                    &password("the third long password"),
                )
                .await
                .unwrap();
            retry.refresh(refresh).await;
            assert!(
                recovers_with(&services, &token, "the third long password").await,
                "cut at {at} ({fault:?}): retry"
            );
        }
    }
}

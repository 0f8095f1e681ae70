//! The share flows of the core against the real hot-storage and Shield
//! services (in-process, 127.0.0.1:0): create → sign → refresh, recovery on
//! a new device, set-recovery, revoke, export.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use flow_support::*;
use keyframe_signer::Reason;
use keyframe_signer::flows::{DeviceStore, HotStorage, Recovery};
use keyframe_signer::recovery::RecoveryKey;
use keyframe_signer::secret::WalletSecret;
use keyframe_signer::shares::DeviceId;
use keyframe_wire::hot::RecoverRequest;
use zeroize::Zeroizing;

#[tokio::test]
async fn create_sign_refresh() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let token = token(&user());
    let key = recovery_key();
    let created = tab
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    assert_eq!(created.wallet.addresses.evm, EVM);
    assert_eq!(
        tab.wallet(&token).await.unwrap(),
        Some(created.wallet.clone())
    );
    let first = store.all();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].version, first[0].device), (0, created.device));

    for round in 1..=3u64 {
        assert_eq!(
            sign_and_refresh(&tab, &token, &created.wallet)
                .await
                .unwrap(),
            EVM
        );
        // The refresh finished: one local share, at the next version, which
        // is also hot storage's current one.
        let entries = store.all();
        assert_eq!(entries.len(), 1, "round {round}");
        assert_eq!(entries[0].version, round);
        let current = services
            .hot_api()
            .recover(
                &token,
                &RecoverRequest {
                    wallet: created.wallet.wallet,
                    device: Some(created.device),
                    version: None,
                    split: None,
                },
            )
            .await
            .unwrap();
        assert_eq!((current.version, current.split), (round, entries[0].split));
    }
    // A share captured before the refresh is useless: hot storage no longer
    // holds its partner.
    let old = services
        .hot_api()
        .recover(
            &token,
            &RecoverRequest {
                wallet: created.wallet.wallet,
                device: Some(created.device),
                version: Some(0),
                split: None,
            },
        )
        .await
        .unwrap_err();
    assert!(old.is("SHARE_UNAVAILABLE"), "{old:?}");

    // One wallet per user.
    let again = tab
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap_err();
    assert_eq!(again.reason, Reason::BadRequest);
}

#[tokio::test]
async fn recover_on_a_new_device() {
    let services = Services::start().await;
    let token = token(&user());
    let key = recovery_key();
    let laptop = MemoryStore::default();
    let created = services
        .tab(&laptop)
        .create(
            &token,
            WalletSecret::generate_os().unwrap(),
            &automatic(&key),
            false,
        )
        .await
        .unwrap();
    let address = created.wallet.addresses.evm.clone();

    let phone_store = MemoryStore::default();
    let phone = services.tab(&phone_store);
    let no_share = sign_and_refresh(&phone, &token, &created.wallet)
        .await
        .unwrap_err();
    assert_eq!(no_share.reason, Reason::RecoveryRequired);

    let wrong = phone
        .recover(&token, &automatic(&recovery_key()))
        .await
        .unwrap_err();
    assert_eq!(wrong.reason, Reason::ShareMismatch);
    assert!(phone_store.all().is_empty());

    let recovered = phone.recover(&token, &automatic(&key)).await.unwrap();
    assert_eq!(recovered.wallet, created.wallet);
    assert_ne!(recovered.device, created.device);
    assert_eq!(
        sign_and_refresh(&phone, &token, &created.wallet)
            .await
            .unwrap(),
        address
    );
    // Both devices sign, each with its own pair.
    let laptop_tab = services.tab(&laptop);
    assert_eq!(
        sign_and_refresh(&laptop_tab, &token, &created.wallet)
            .await
            .unwrap(),
        address
    );

    let listing = phone.list_devices(&token, &created.wallet).await.unwrap();
    let mut ids: Vec<DeviceId> = listing.devices.iter().map(|d| d.device).collect();
    ids.sort();
    let mut want = vec![created.device, recovered.device];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(listing.current, Some(recovered.device));
}

#[tokio::test]
async fn set_recovery_replaces_the_cold_share() {
    let services = Services::start().await;
    let token = token(&user());
    let key = recovery_key();
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let created = tab
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();

    let password = "correct horse battery staple";
    let new_password = Recovery::Password(Zeroizing::new(password.into()));
    // Without the current method's secret nothing changes: a key the
    // caller chose is refused, and the cold share still opens with the old
    // key (the attack of a host script that holds the user's token).
    let chosen = RecoveryKey::generate(&mut keyframe_signer::secret::OsRng).unwrap();
    let refused = tab
        .set_recovery(&token, &created.wallet, &automatic(&chosen), &new_password)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused.reason, Reason::ShareMismatch);
    let wrong_password = Recovery::Password(Zeroizing::new("a guessed password".into()));
    let refused = tab
        .set_recovery(&token, &created.wallet, &wrong_password, &new_password)
        .await
        .err()
        .expect("refused");
    assert_eq!(
        refused.reason,
        Reason::ShareMismatch,
        "an automatic record is not a password one"
    );
    assert_eq!(store.all()[0].version, 0, "nothing was refreshed");
    services
        .tab(&MemoryStore::default())
        .recover(&token, &automatic(&key))
        .await
        .expect("the old key still recovers");

    let refresh = tab
        .set_recovery(&token, &created.wallet, &automatic(&key), &new_password)
        .await
        .unwrap();
    tab.refresh(refresh).await;
    assert_eq!(
        store.all()[0].version,
        1,
        "set-recovery refreshes like a signature"
    );
    // Now a password wallet: a wrong current password is WRONG_PASSWORD.
    let back_to_key = tab
        .set_recovery(&token, &created.wallet, &wrong_password, &automatic(&key))
        .await
        .err()
        .expect("refused");
    assert_eq!(back_to_key.reason, Reason::WrongPassword);

    // The old key no longer opens the cold share; the password does.
    let other = services.tab(&MemoryStore::default());
    let old = other
        .recover(&token, &automatic(&key))
        .await
        .expect_err("refused");
    assert_eq!(old.reason, Reason::ShareMismatch);
    let wrong = other
        .recover(
            &token,
            &Recovery::Password(Zeroizing::new("not the password at all".into())),
        )
        .await
        .expect_err("refused");
    assert_eq!(wrong.reason, Reason::WrongPassword);
    other
        .recover(&token, &Recovery::Password(Zeroizing::new(password.into())))
        .await
        .unwrap();
    assert_eq!(
        sign_and_refresh(&other, &token, &created.wallet)
            .await
            .unwrap(),
        EVM
    );
    assert_eq!(
        sign_and_refresh(&tab, &token, &created.wallet)
            .await
            .unwrap(),
        EVM
    );
}

#[tokio::test]
async fn revoke_makes_a_device_useless() {
    let services = Services::start().await;
    let token = token(&user());
    let key = recovery_key();
    let laptop_store = MemoryStore::default();
    let laptop = services.tab(&laptop_store);
    let created = laptop
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let phone_store = MemoryStore::default();
    let phone = services.tab(&phone_store);
    let recovered = phone.recover(&token, &automatic(&key)).await.unwrap();

    let nil = laptop
        .revoke_device(&token, &created.wallet, DeviceId::RECOVERY)
        .await
        .err()
        .unwrap();
    assert_eq!(nil.reason, Reason::BadRequest);

    // Revocation is signed by the wallet's authority: the key is rebuilt,
    // so the laptop's pair is refreshed afterwards.
    let refresh = laptop
        .revoke_device(&token, &created.wallet, recovered.device)
        .await
        .unwrap();
    laptop.refresh(refresh).await;
    let revoked = sign_and_refresh(&phone, &token, &created.wallet)
        .await
        .unwrap_err();
    assert_eq!(revoked.reason, Reason::RecoveryRequired);
    assert!(
        phone_store.all().is_empty(),
        "the useless local share is dropped"
    );
    assert_eq!(
        sign_and_refresh(&laptop, &token, &created.wallet)
            .await
            .unwrap(),
        EVM
    );
    let listing = laptop.list_devices(&token, &created.wallet).await.unwrap();
    assert_eq!(
        listing.devices.iter().map(|d| d.device).collect::<Vec<_>>(),
        vec![created.device]
    );

    // Revoking this browser's own device drops its local share too.
    let refresh = laptop
        .revoke_device(&token, &created.wallet, created.device)
        .await
        .unwrap();
    laptop.refresh(refresh).await;
    assert!(laptop_store.all().is_empty());
    // The wallet itself survives: recovery still works.
    phone.recover(&token, &automatic(&key)).await.unwrap();
    assert_eq!(
        sign_and_refresh(&phone, &token, &created.wallet)
            .await
            .unwrap(),
        EVM
    );
}

#[tokio::test]
async fn export_shows_the_secret_and_refreshes() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let token = token(&user());
    let created = tab
        .create(&token, mnemonic(), &automatic(&recovery_key()), false)
        .await
        .unwrap();
    let (shown, refresh) = tab.export(&token, &created.wallet).await.unwrap();
    assert_eq!(shown.title, "Your recovery phrase");
    assert_eq!(shown.secret.as_str(), MNEMONIC);
    tab.refresh(refresh).await;
    assert_eq!(store.all()[0].version, 1);

    // An imported raw key exports as the key.
    let raw = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let token = flow_support::token(&user());
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let imported = tab
        .create(
            &token,
            WalletSecret::from_evm_private_key(raw).unwrap(),
            &automatic(&recovery_key()),
            true,
        )
        .await
        .unwrap();
    assert_eq!(imported.wallet.addresses.evm, EVM);
    assert_eq!(imported.wallet.addresses.solana, None);
    let (shown, refresh) = tab.export(&token, &imported.wallet).await.unwrap();
    assert_eq!(shown.title, "Your private key");
    assert_eq!(
        shown.secret.trim_start_matches("0x"),
        raw.trim_start_matches("0x")
    );
    tab.refresh(refresh).await;
    assert_eq!(
        sign_and_refresh(&tab, &token, &imported.wallet)
            .await
            .unwrap(),
        EVM
    );
}

/// A browser that lost its shares (IndexedDB evicted) but still knows which
/// device it was (localStorage) revokes that device when it recovers: a
/// copy of the old shares (an old disk image) can no longer fetch the hot
/// share. A recovery elsewhere revokes nothing of this browser's.
#[tokio::test]
async fn recovery_after_lost_shares_revokes_the_replaced_device() {
    let services = Services::start().await;
    let token = token(&user());
    let key = recovery_key();
    let laptop_store = MemoryStore::default();
    let laptop = services.tab(&laptop_store);
    let created = laptop
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let wallet = created.wallet.wallet;
    assert_eq!(laptop_store.remembered(wallet), vec![created.device]);
    // After a refresh the device is the same and remembered once.
    sign_and_refresh(&laptop, &token, &created.wallet)
        .await
        .unwrap();
    assert_eq!(laptop_store.remembered(wallet), vec![created.device]);

    let old_copy = MemoryStore::default();
    for entry in laptop_store.all() {
        old_copy.put(&entry).await.unwrap();
    }
    laptop_store.lose_shares();
    let lost = sign_and_refresh(&laptop, &token, &created.wallet)
        .await
        .unwrap_err();
    assert_eq!(lost.reason, Reason::RecoveryRequired);

    let recovered = laptop.recover(&token, &automatic(&key)).await.unwrap();
    assert_ne!(recovered.device, created.device);
    let listing = laptop.list_devices(&token, &created.wallet).await.unwrap();
    assert_eq!(
        listing.devices.iter().map(|d| d.device).collect::<Vec<_>>(),
        vec![recovered.device],
        "the replaced device is revoked"
    );
    assert_eq!(laptop_store.remembered(wallet), vec![recovered.device]);
    let stale = sign_and_refresh(&services.tab(&old_copy), &token, &created.wallet)
        .await
        .unwrap_err();
    assert_eq!(stale.reason, Reason::RecoveryRequired);
    assert_eq!(
        sign_and_refresh(&laptop, &token, &created.wallet)
            .await
            .unwrap(),
        EVM
    );

    // Another browser's recovery leaves the laptop's device alone.
    let phone_store = MemoryStore::default();
    let phone = services
        .tab(&phone_store)
        .recover(&token, &automatic(&key))
        .await
        .unwrap();
    let mut ids: Vec<DeviceId> = laptop
        .list_devices(&token, &created.wallet)
        .await
        .unwrap()
        .devices
        .iter()
        .map(|d| d.device)
        .collect();
    ids.sort();
    let mut want = vec![recovered.device, phone.device];
    want.sort();
    assert_eq!(ids, want);
}

/// A revocation that fails (hot storage unreachable) does not fail the
/// recovery; the device stays remembered and is revoked by the next one.
#[tokio::test]
async fn a_failed_revocation_is_retried_by_the_next_recovery() {
    let services = Services::start().await;
    let token = token(&user());
    let key = recovery_key();
    let store = MemoryStore::default();
    let created = services
        .tab(&store)
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let wallet = created.wallet.wallet;
    store.lose_shares();

    // Hot storage calls of a recovery: the wallet, H₀, the registration,
    // then the revocation, which fails from there on.
    let plan = Plan::new();
    plan.arm(3, Fault::FailBefore, true);
    let cut = keyframe_signer::flows::Flows::with(
        Faulty::new(services.hot_api(), &plan),
        services.shield_api(),
        store.clone(),
        ApproveAll,
        keyframe_signer::flows::NoClock,
    );
    let first = cut.recover(&token, &automatic(&key)).await.unwrap();
    assert!(plan.steps() > 3, "the revocation was attempted");
    assert_eq!(store.remembered(wallet), vec![first.device, created.device]);
    let listing = services
        .tab(&store)
        .list_devices(&token, &created.wallet)
        .await
        .unwrap();
    assert_eq!(listing.devices.len(), 2, "the old device is still there");

    store.lose_shares();
    let second = services
        .tab(&store)
        .recover(&token, &automatic(&key))
        .await
        .unwrap();
    let listing = services
        .tab(&store)
        .list_devices(&token, &created.wallet)
        .await
        .unwrap();
    assert_eq!(
        listing.devices.iter().map(|d| d.device).collect::<Vec<_>>(),
        vec![second.device]
    );
    assert_eq!(store.remembered(wallet), vec![second.device]);
}

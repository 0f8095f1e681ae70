//! The device lock and the early pass of a signature (flows/sign.rs): the
//! shares are read before the screen waits, and the hot share is asked for
//! while the cross-tab lock is still on its way, yet nothing is deleted
//! and nothing is refreshed until that lock is held. Against the real
//! services, with tabs on one device store that has a cross-tab lock (Web
//! Locks).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use flow_support::*;
use keyframe_signer::flows::{
    Consent, DeviceStore, Entry, Flows, NoClock, Request, RpcError, WalletRecord,
};
use keyframe_signer::shares::{RandomId, SplitId};
use keyframe_wire::policy::RecoverWithIntent;

async fn new_wallet(services: &Services, store: &MemoryStore) -> (Tokens, WalletRecord) {
    let token = token(&user());
    let created = services
        .tab(store)
        .create(&token, mnemonic(), &automatic(&recovery_key()), false)
        .await
        .unwrap();
    (token, created.wallet)
}

type Tab = Flows<HttpHot, HttpShield, MemoryStore, ApproveAll>;
type Sent = Rc<RefCell<Vec<RecoverWithIntent>>>;

/// A tab whose every recover request is kept, in order.
fn recording_tab(services: &Services, store: &MemoryStore) -> (Tab, Sent) {
    let (hot, sent) = services.hot_api().recording();
    let tab = Flows::with(
        hot,
        services.shield_api(),
        store.clone(),
        ApproveAll,
        NoClock,
    );
    (tab, sent)
}

/// Waits until `sent` holds `n` requests; fails the test after 10 s.
async fn until_sent(sent: &RefCell<Vec<RecoverWithIntent>>, n: usize) {
    let wait = async {
        while sent.borrow().len() < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("the hot share was not asked for while another tab held the device lock");
}

/// The share pair another tab keeps while it refreshes: the entry of the
/// next version, written before hot storage has seen it.
fn written_ahead(store: &MemoryStore) -> Entry {
    let current = store.all().into_iter().next().unwrap();
    Entry {
        version: current.version + 1,
        split: SplitId::random(&mut keyframe_signer::secret::OsRng).unwrap(),
        share: current.share.clone(),
        addresses: current.addresses.clone(),
        ..current
    }
}

const SIGN: Request<'static> = Request::Sign {
    method: "personal_sign",
    intent: None,
};

/// Another tab signs and holds the device lock for its refresh. This tab's
/// request asks hot storage for its share meanwhile (the early pass), but
/// rebuilds the key only once the lock is free; the other tab's refresh
/// then supersedes the pair this tab asked for. This tab's signature is
/// still made with the wallet's key (the pair it fetched is one version,
/// one split), its own refresh is refused by hot storage's
/// compare-and-swap, and the wallet keeps exactly the other tab's pair.
#[tokio::test]
async fn a_refresh_another_tab_finishes_meanwhile_leaves_one_pair() {
    let services = Services::start().await;
    let store = MemoryStore::locked();
    let (token, wallet) = new_wallet(&services, &store).await;
    let other = services.tab(&store);
    let (tab, sent) = recording_tab(&services, &store);

    let held = other
        .with_key(&token, &wallet, &SIGN, sign_op)
        .await
        .unwrap();
    assert_eq!(held.answer, wallet.addresses.evm);
    let version = store.all()[0].version;
    let signed = Cell::new(false);
    let this_tab = async {
        let out = sign_and_refresh(&tab, &token, &wallet).await;
        signed.set(true);
        out
    };
    let other_tab = async {
        until_sent(&sent, 1).await;
        // The share came back; the key waits for the lock.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!signed.get(), "signed while another tab held the lock");
        other.refresh(held.refresh).await;
    };
    let (out, ()) = tokio::join!(this_tab, other_tab);
    assert_eq!(out.unwrap(), wallet.addresses.evm);
    assert_eq!(sent.borrow().len(), 1, "one share request, not two");
    assert_eq!(sent.borrow()[0].version, Some(version));
    let left = store.all();
    assert_eq!(left.len(), 1, "one pair left: {:?}", left.len());
    assert_eq!(left[0].version, version + 1, "the other tab's");
    // And it signs, in this tab and another.
    assert_eq!(
        sign_and_refresh(&tab, &token, &wallet).await.unwrap(),
        wallet.addresses.evm
    );
    assert_eq!(
        sign_and_refresh(&services.tab(&store), &token, &wallet)
            .await
            .unwrap(),
        wallet.addresses.evm
    );
}

/// Another tab, holding the lock, has written the entry of its next
/// version and not yet stored its partner at hot storage. This tab's
/// early pass meets that entry first (newest first) and hot storage does
/// not hold it; deleting it then would lose the other tab's pair once it
/// commits, so the early pass leaves it, and only the pass under the lock
/// (the other tab gone without storing it) drops it and signs.
#[tokio::test]
async fn the_early_pass_deletes_no_entry_another_tab_is_writing() {
    let services = Services::start().await;
    let store = MemoryStore::locked();
    let (token, wallet) = new_wallet(&services, &store).await;
    let (tab, sent) = recording_tab(&services, &store);

    let other = store.clone();
    let lock = other.lock().await;
    let ahead = written_ahead(&store);
    store.put(&ahead).await.unwrap();
    let this_tab = sign_and_refresh(&tab, &token, &wallet);
    let other_tab = async {
        until_sent(&sent, 1).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            store.all().contains(&ahead),
            "the early pass deleted an entry while another tab held the lock"
        );
        assert_eq!(sent.borrow().len(), 1, "no entry tried past it");
        drop(lock);
    };
    let (out, ()) = tokio::join!(this_tab, other_tab);
    assert_eq!(out.unwrap(), wallet.addresses.evm);
    let versions: Vec<_> = sent.borrow().iter().map(|b| b.version).collect();
    assert_eq!(
        versions,
        vec![
            Some(ahead.version),
            Some(ahead.version),
            Some(ahead.version - 1)
        ],
        "early, then under the lock: the stray entry, then the current one"
    );
    let left = store.all();
    assert!(!left.contains(&ahead), "the pass under the lock dropped it");
    assert_eq!(left.len(), 1);
}

/// A consent that, the first time it is asked, lets another tab sign and
/// refresh before it says yes: a screen left open while the user signs
/// elsewhere.
struct OtherTabSignsFirst {
    tab: Tab,
    token: Tokens,
    wallet: WalletRecord,
    asked: Cell<bool>,
}

impl Consent for OtherTabSignsFirst {
    async fn approve(&self, _request: &Request<'_>) -> Result<(), RpcError> {
        if !self.asked.replace(true) {
            let address = sign_and_refresh(&self.tab, &self.token, &self.wallet).await?;
            assert_eq!(address, self.wallet.addresses.evm);
        }
        Ok(())
    }
}

/// The shares read before the screen are stale once it is approved: hot
/// storage no longer holds that pair, and the pass under the lock reads
/// them again and signs with the current one.
#[tokio::test]
async fn shares_read_before_the_screen_are_read_again_when_superseded() {
    let services = Services::start().await;
    let store = MemoryStore::locked();
    let (token, wallet) = new_wallet(&services, &store).await;
    let before = store.all()[0].version;
    let (hot, sent) = services.hot_api().recording();
    let consent = OtherTabSignsFirst {
        tab: services.tab(&store),
        token: token.clone(),
        wallet: wallet.clone(),
        asked: Cell::new(false),
    };
    let tab = Flows::with(hot, services.shield_api(), store.clone(), consent, NoClock);

    assert_eq!(
        sign_and_refresh(&tab, &token, &wallet).await.unwrap(),
        wallet.addresses.evm
    );
    let versions: Vec<_> = sent.borrow().iter().map(|b| b.version).collect();
    assert_eq!(
        versions,
        vec![Some(before), Some(before + 1)],
        "the pair read before the screen, then the current one"
    );
    let left = store.all();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].version, before + 2, "both refreshes landed");
}

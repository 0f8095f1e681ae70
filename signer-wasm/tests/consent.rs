//! The consent hook is asked before every act of authority, and a refusal
//! stops the flow before anything is signed, shown or changed: the local
//! share, hot storage's current version and the cold share stay as they
//! were, and the device still signs once consent is given.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use keyframe_wire::hot::RecoverRequest;
use std::cell::RefCell;

use flow_support::*;
use keyframe_signer::Reason;
use keyframe_signer::flows::{
    Consent, Flows, HotStorage, NoClock, Recovery, Request, RpcError, Shield,
};
use zeroize::Zeroizing;

/// Refuses everything and remembers what it was asked.
#[derive(Default)]
struct Refuse {
    asked: RefCell<Vec<String>>,
}

impl Consent for Refuse {
    async fn approve(&self, request: &Request<'_>) -> Result<(), RpcError> {
        self.asked.borrow_mut().push(format!("{request:?}"));
        Err(RpcError::new(4001, Reason::PolicyDenied, "refused"))
    }
}

#[tokio::test]
async fn a_refusal_signs_shows_and_changes_nothing() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let token = token(&user());
    let key = recovery_key();
    let created = services
        .tab(&store)
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let wallet = &created.wallet;
    let refusing = Flows::with(
        services.hot_api(),
        services.shield_api(),
        store.clone(),
        Refuse::default(),
        NoClock,
    );
    let before_local = store.all();
    let before_cold = services
        .shield_api()
        .get(&token, wallet.wallet)
        .await
        .unwrap()
        .record
        .ciphertext;
    let hot_current = || async {
        services
            .hot_api()
            .recover(
                &token,
                &RecoverRequest {
                    wallet: wallet.wallet,
                    device: Some(created.device),
                    version: None,
                    split: None,
                },
            )
            .await
            .map(|r| (r.version, r.split))
    };
    let before_hot = hot_current().await.unwrap();

    let signed = refusing
        .with_key(
            &token,
            wallet,
            &Request::Sign {
                method: "personal_sign",
                intent: None,
            },
            |_| -> keyframe_signer::flows::RpcResult<()> {
                panic!("the key was rebuilt although consent was refused")
            },
        )
        .await;
    assert_eq!(signed.err().unwrap().reason, Reason::PolicyDenied);
    let exported = refusing.export(&token, wallet).await;
    assert_eq!(exported.err().unwrap().reason, Reason::PolicyDenied);
    let password = Recovery::Password(Zeroizing::new("correct horse battery staple".into()));
    let rekeyed = refusing
        .set_recovery(&token, wallet, &automatic(&key), &password)
        .await;
    assert_eq!(rekeyed.err().unwrap().reason, Reason::PolicyDenied);
    let revoked = refusing
        .revoke_device(&token, wallet, created.device)
        .await
        .err()
        .unwrap();
    assert_eq!(revoked.reason, Reason::PolicyDenied);
    assert_eq!(
        refusing.consent.asked.borrow().len(),
        4,
        "asked once per act: {:?}",
        refusing.consent.asked.borrow()
    );

    // Nothing changed anywhere.
    assert_eq!(store.all(), before_local);
    assert_eq!(hot_current().await.unwrap(), before_hot);
    let after_cold = services
        .shield_api()
        .get(&token, wallet.wallet)
        .await
        .unwrap()
        .record
        .ciphertext;
    assert_eq!(after_cold, before_cold, "the cold share was not replaced");

    // And the device still signs with consent.
    assert_eq!(
        sign_and_refresh(&services.tab(&store), &token, wallet)
            .await
            .unwrap(),
        EVM
    );
}

/// A share fetched from hot storage never reaches a Debug print (logs,
/// panics, error messages).
#[tokio::test]
async fn a_fetched_share_is_not_printed() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let token = token(&user());
    let created = services
        .tab(&store)
        .create(&token, mnemonic(), &automatic(&recovery_key()), false)
        .await
        .unwrap();
    let answer = services
        .hot_api()
        .recover(&token, &RecoverRequest::primary(created.wallet.wallet))
        .await
        .unwrap();
    let printed = format!("{answer:?}");
    let share = answer.share.to_base64();
    assert!(!share.is_empty());
    assert!(!printed.contains(share.as_str()), "{printed}");
    assert!(!format!("{:?}", store.all()).contains(&store.all()[0].share));
}

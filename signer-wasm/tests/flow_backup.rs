//! Backup files in the flows, against the real services: a wallet whose
//! only recovery is a file (Shield holds nothing), a backup downloaded by a
//! password wallet that recovers it while Shield is gone, and the file's
//! errors as a user meets them.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use flow_support::*;
use keyframe_signer::authority::{AuthorityKey, WalletAuthority};
use keyframe_signer::backup::BackupError;
use keyframe_signer::flows::{Flows, NoClock, RecoverFromFile, Recovery, ServiceError, Shield};
use keyframe_signer::shares::WalletId;
use keyframe_wire::shield::{ColdRecord, ColdRecordResponse};
use zeroize::Zeroizing;

const PASSWORD: &str = "correct horse battery staple";

/// Shield, gone: every call fails as an unreachable service does.
struct Gone;

impl Shield for Gone {
    async fn create(
        &self,
        _: &Tokens,
        _: WalletId,
        _: &ColdRecord,
        _: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError> {
        Err(ServiceError::Network)
    }
    async fn replace(
        &self,
        _: &Tokens,
        _: WalletId,
        _: &ColdRecord,
        _: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        Err(ServiceError::Network)
    }
    async fn get(&self, _: &Tokens, _: WalletId) -> Result<ColdRecordResponse, ServiceError> {
        Err(ServiceError::Network)
    }
    async fn register_authority(
        &self,
        _: &Tokens,
        _: WalletId,
        _: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        Err(ServiceError::Network)
    }
}

fn file_error(r: Result<impl Sized, RecoverFromFile>) -> BackupError {
    match r {
        Err(RecoverFromFile::File(e)) => e,
        Err(RecoverFromFile::Other(e)) => panic!("not a file error: {e:?}"),
        Ok(_) => panic!("recovered"),
    }
}

#[tokio::test]
async fn a_file_wallet_keeps_nothing_at_shield_and_recovers_from_its_file() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let token = token(&user());
    let created = tab
        .create(
            &token,
            mnemonic(),
            &Recovery::File(Zeroizing::new(PASSWORD.into())),
            false,
        )
        .await
        .unwrap();
    let text = kept_backup().expect("the user was handed a file");
    assert!(text.contains("keyframe-backup") && text.contains(&created.wallet.wallet.to_string()));
    // Shield has no record of this wallet.
    let held = services
        .shield_api()
        .get(&token, created.wallet.wallet)
        .await;
    assert!(
        matches!(held, Err(ServiceError::Api { status: 404, .. })),
        "{held:?}"
    );
    assert_eq!(
        sign_and_refresh(&tab, &token, &created.wallet)
            .await
            .unwrap(),
        EVM
    );

    // A new device, with Shield gone altogether.
    let phone = MemoryStore::default();
    let flows = Flows::with(services.hot_api(), Gone, phone.clone(), ApproveAll, NoClock);
    assert_eq!(
        file_error(
            flows
                .recover_from_file(&token, &text, "not the password!")
                .await
        ),
        BackupError::WrongPassword
    );
    assert!(phone.all().is_empty(), "a failed recovery stored nothing");
    let recovered = flows
        .recover_from_file(&token, &text, PASSWORD)
        .await
        .ok()
        .unwrap();
    assert_eq!(recovered.wallet, created.wallet);
    assert_eq!(
        sign_and_refresh(&flows, &token, &recovered.wallet)
            .await
            .unwrap(),
        EVM
    );

    // Another user's backup does not open this user's wallet.
    let other = flow_support::token(&user());
    let other_tab = services.tab(&MemoryStore::default());
    other_tab
        .create(
            &other,
            mnemonic(),
            &Recovery::File(Zeroizing::new(PASSWORD.into())),
            false,
        )
        .await
        .unwrap();
    let other_text = kept_backup().unwrap();
    assert_eq!(
        file_error(flows.recover_from_file(&token, &other_text, PASSWORD).await),
        BackupError::OtherWallet
    );
    assert_eq!(
        file_error(
            flows
                .recover_from_file(&token, "{\"hello\":1}", PASSWORD)
                .await
        ),
        BackupError::NotABackup
    );
}

#[tokio::test]
async fn a_password_wallet_downloads_a_backup_that_recovers_it_without_shield() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let token = token(&user());
    let created = tab
        .create(
            &token,
            mnemonic(),
            &Recovery::Password(Zeroizing::new("the shield password".into())),
            false,
        )
        .await
        .unwrap();
    assert!(
        kept_backup().is_none(),
        "a password wallet is not handed a file at creation"
    );
    let refresh = tab
        .download_backup(&token, &created.wallet, PASSWORD)
        .await
        .unwrap();
    tab.refresh(refresh).await;
    let text = kept_backup().expect("the download handed a file");
    let phone = MemoryStore::default();
    let flows = Flows::with(services.hot_api(), Gone, phone, ApproveAll, NoClock);
    let recovered = flows
        .recover_from_file(&token, &text, PASSWORD)
        .await
        .ok()
        .unwrap();
    assert_eq!(recovered.wallet, created.wallet);
    assert_eq!(
        sign_and_refresh(&flows, &token, &recovered.wallet)
            .await
            .unwrap(),
        EVM
    );
    // The Shield password is not the file's.
    assert_eq!(
        file_error(
            flows
                .recover_from_file(&token, &text, "the shield password")
                .await
        ),
        BackupError::WrongPassword
    );
}

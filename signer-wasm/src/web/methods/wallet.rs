//! The wallet's lifecycle: create, import, recover (a key, a typed
//! password, or a backup file), list and revoke devices, export, download
//! a backup, and change the recovery method. Secrets are typed on the
//! iFrame's screen, never taken from params.

use keyframe_json::{ToJson, json};
use serde_json::Value;

use super::plain;
use crate::Reason;
use crate::backup::BackupError;
use crate::consent::Secret;
use crate::consent::entry::{retry_delay_ms, wrong_password_message};
use crate::flows::error::INTERNAL;
use crate::flows::{
    HotStorage as _, RecoverFromFile, Recovery, Request, RpcError, RpcResult, Tokens,
};
use crate::params::{
    RecoveryChoice, current_recovery_param, recovery_param, refuse_typed_secret, str_field,
};
use crate::secret::WalletSecret;
use crate::shares::DeviceId;
use crate::web::signer::{Answer, Signer};
use crate::web::ui;

/// Creates a wallet from `secret` and makes it the session's.
async fn create_from<'a>(
    s: &'a Signer,
    secret: WalletSecret,
    recovery: Recovery,
    imported: bool,
) -> Answer<'a> {
    let token = s.token()?;
    let created = s.flows.create(&token, secret, &recovery, imported).await?;
    let answer = json!({ "wallet": created.wallet.wallet, "addresses": created.wallet.addresses, "device": created.device });
    s.set_wallet(Some(created.wallet));
    plain(answer)
}

/// The secrets a screen asks for when the new recovery method is `choice`
/// (a backup file is sealed under a new password too).
fn new_password_secret(choice: &RecoveryChoice) -> Option<Secret> {
    matches!(choice, RecoveryChoice::Password | RecoveryChoice::File).then_some(Secret::NewPassword)
}

/// The recovery method with its secret: the key the host gave, or the
/// password the user typed on the screen.
fn with_secret(
    choice: RecoveryChoice,
    typed: Option<zeroize::Zeroizing<String>>,
) -> RpcResult<Recovery> {
    match (choice, typed) {
        (RecoveryChoice::Automatic(key), _) => Ok(Recovery::Automatic(key)),
        (RecoveryChoice::Password, Some(password)) => Ok(Recovery::Password(password)),
        (RecoveryChoice::File, Some(password)) => Ok(Recovery::File(password)),
        (RecoveryChoice::Password | RecoveryChoice::File, None) => Err(RpcError::user_rejected()),
    }
}

/// Refuses before anything is typed when the user has a wallet already
/// (the flow checks again).
async fn no_wallet_yet(s: &Signer) -> RpcResult<()> {
    let token = s.token()?;
    if s.flows.hot.wallet(&token).await?.is_some() {
        return Err(RpcError::bad_params("this user already has a wallet"));
    }
    Ok(())
}

// A password wallet's password is typed on the iFrame's screen.
handler!(create_wallet(s, p) {
    let choice = recovery_param(p)?;
    no_wallet_yet(s).await?;
    let typed = match new_password_secret(&choice) {
        Some(secret) => {
            let request = Request::CreateWallet { imported: false };
            s.flows.consent.enter(&request, &[secret], None, 0.0).await?.new
        }
        None => None,
    };
    let recovery = with_secret(choice, typed)?;
    let secret = WalletSecret::generate_os()?;
    create_from(s, secret, recovery, false).await
});

// The phrase or key, and a new recovery password, are typed on the screen,
// which is the import's approval.
handler!(import_wallet(s, p) {
    refuse_typed_secret(p, "mnemonic")?;
    refuse_typed_secret(p, "privateKey")?;
    let choice = recovery_param(p)?;
    no_wallet_yet(s).await?;
    let mut secrets = vec![Secret::ImportPhrase];
    secrets.extend(new_password_secret(&choice));
    let request = Request::CreateWallet { imported: true };
    let entered = s.flows.consent.enter(&request, &secrets, None, 0.0).await?;
    let secret = entered.import.ok_or_else(RpcError::user_rejected)?;
    let recovery = with_secret(choice, entered.new)?;
    create_from(s, secret, recovery, true).await
});

// A wrong password is retried on the screen, each retry waiting longer
// (crate::consent::entry::retry_delay_ms); Reject ends the request.
handler!(recover(s, p) {
    let choice = recovery_param(p)?;
    let token = s.token()?;
    let recovered = match choice {
        RecoveryChoice::Automatic(key) => s.flows.recover(&token, &Recovery::Automatic(key)).await?,
        RecoveryChoice::Password => {
            let mut failed = 0u32;
            loop {
                let error = (failed > 0).then(|| (wrong_password_message(failed), "WRONG_PASSWORD"));
                let entered = s
                    .flows
                    .consent
                    .enter(&Request::Recover, &[Secret::RecoveryPassword], error, retry_delay_ms(failed))
                    .await?;
                let password = entered.recovery.ok_or_else(RpcError::user_rejected)?;
                match s.flows.recover(&token, &Recovery::Password(password)).await {
                    Err(e) if e.reason == Reason::WrongPassword => failed = failed.saturating_add(1),
                    other => break other?,
                }
            }
        }
        RecoveryChoice::File => recover_from_file(s, &token).await?,
    };
    let w = &recovered.wallet;
    let answer = json!({ "wallet": w.wallet, "addresses": w.addresses, "device": recovered.device });
    s.set_wallet(Some(recovered.wallet));
    plain(answer)
});

handler!(list_devices(s, p) {
    let (token, wallet) = s.session()?;
    let listing = s.flows.list_devices(&token, &wallet).await?;
    let devices: Vec<Value> = listing
        .devices
        .into_iter()
        .map(|d| {
            let this = listing.current == Some(d.device);
            let mut v = d.to_json();
            v["current"] = json!(this);
            v
        })
        .collect();
    plain(json!({ "devices": devices }))
});

handler!(revoke_device(s, p) {
    let device = str_field(p, "device")?;
    let (token, wallet) = s.session()?;
    let device: DeviceId = device.parse().map_err(|_| RpcError::bad_params("device must be a device id"))?;
    // Signed by the wallet's authority, so the key is rebuilt (under the
    // approval screen) and the pair refreshed afterwards.
    let refresh = s.flows.revoke_device(&token, &wallet, device).await?;
    Ok((json!({ "ok": true }), Some(refresh)))
});

// Shows the mnemonic (or raw key) inside the iFrame only, after the
// approval and a second click ("Reveal"). The pair is refreshed before the
// secret is shown, so the device lock is not held while it is on screen.
handler!(export(s, p) {
    let (token, wallet) = s.session()?;
    let (shown, refresh) = s.flows.export(&token, &wallet).await?;
    s.flows.refresh(refresh).await;
    s.set_ui_visible(true);
    let result = ui::show_secret(&s.flows.consent, shown.title, shown.secret).await;
    s.set_ui_visible(false);
    result.map_err(|_| RpcError::new(INTERNAL, Reason::BadRequest, "the export view is unavailable"))?;
    plain(json!({ "ok": true }))
});

/// Recovery from a backup file picked and unlocked on the screen; what is
/// wrong with a file is said there in words, and the user may pick another
/// or retype the password (wrong passwords wait longer each time).
async fn recover_from_file(s: &Signer, token: &Tokens) -> RpcResult<crate::flows::Created> {
    let mut failed = 0u32;
    let mut error: Option<(String, &'static str)> = None;
    loop {
        let hold = retry_delay_ms(failed);
        let entered = s
            .flows
            .consent
            .enter(
                &Request::Recover,
                &[Secret::BackupFile, Secret::RecoveryPassword],
                error.take(),
                hold,
            )
            .await?;
        let (Some(text), Some(password)) = (entered.file, entered.recovery) else {
            return Err(RpcError::user_rejected());
        };
        match s.flows.recover_from_file(token, &text, &password).await {
            Ok(created) => return Ok(created),
            Err(RecoverFromFile::File(e)) => {
                if e == BackupError::WrongPassword {
                    failed = failed.saturating_add(1);
                }
                error = Some((e.to_string(), e.code()));
            }
            Err(RecoverFromFile::Other(e)) => return Err(e),
        }
    }
}

// The backup's password is typed on the screen, which approves the
// download; the file is then offered on the screen.
handler!(download_backup(s, p) {
    let (token, wallet) = s.session()?;
    let entered = s
        .flows
        .consent
        .enter(&Request::DownloadBackup, &[Secret::NewPassword], None, 0.0)
        .await?;
    let password = entered.new.ok_or_else(RpcError::user_rejected)?;
    let refresh = s.flows.download_backup(&token, &wallet, &password).await?;
    Ok((json!({ "ok": true }), Some(refresh)))
});

// The current password (the proof) and a new one are typed on the screen,
// which is the change's approval; with automatic keys on both sides the
// flow's own approval screen is shown instead.
handler!(set_recovery(s, p) {
    let current = current_recovery_param(p)?;
    let next = recovery_param(p)?;
    if matches!(current, RecoveryChoice::File) || matches!(next, RecoveryChoice::File) {
        return Err(RpcError::bad_params(
            "a file wallet keeps its backup itself; use keyframe_downloadBackup for a new file",
        ));
    }
    let (token, wallet) = s.session()?;
    let mut secrets = Vec::new();
    if matches!(current, RecoveryChoice::Password) {
        secrets.push(Secret::CurrentPassword);
    }
    secrets.extend(new_password_secret(&next));
    let automatic = matches!(next, RecoveryChoice::Automatic(_));
    let (typed_current, typed_new) = if secrets.is_empty() {
        (None, None)
    } else {
        let request = Request::SetRecovery { automatic };
        let entered = s.flows.consent.enter(&request, &secrets, None, 0.0).await?;
        (entered.current, entered.new)
    };
    let current = with_secret(current, typed_current)?;
    let recovery = with_secret(next, typed_new)?;
    let refresh = s.flows.set_recovery(&token, &wallet, &current, &recovery).await?;
    // The device lock is released before anything else is asked.
    s.flows.refresh(refresh).await;
    offer_new_backup(s, &token, &wallet).await?;
    plain(json!({ "ok": true }))
});

/// After the recovery pair changed: if this device handed out a backup of
/// the old pair, say it is outdated and offer a new one (the "Download
/// backup" screens); declining forgets it.
async fn offer_new_backup(
    s: &Signer,
    token: &Tokens,
    wallet: &crate::flows::WalletRecord,
) -> RpcResult<()> {
    let Some(old) = s.flows.consent.backed_up_pair(&wallet.wallet) else {
        return Ok(());
    };
    let primary = s
        .flows
        .hot
        .recover(
            token,
            &keyframe_wire::hot::RecoverRequest::primary(wallet.wallet),
        )
        .await?;
    if primary.split.to_string() == old {
        return Ok(());
    }
    if !s.flows.consent.offer_new_backup().await? {
        s.flows.consent.forget_backup(&wallet.wallet);
        return Ok(());
    }
    let entered = s
        .flows
        .consent
        .enter(&Request::DownloadBackup, &[Secret::NewPassword], None, 0.0)
        .await?;
    let password = entered.new.ok_or_else(RpcError::user_rejected)?;
    let refresh = s.flows.download_backup(token, wallet, &password).await?;
    s.flows.refresh(refresh).await;
    Ok(())
}

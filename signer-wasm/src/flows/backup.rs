//! Backup files (crate::backup) in the protocol: recovering from one
//! without Shield, and writing one for any wallet.

use super::types::Tokens;
use keyframe_wire::hot::RecoverRequest;

use super::{
    Clock, Consent, Created, DeviceStore, Flows, HotStorage, Refresh, Request, RpcError, RpcResult,
    Shield, WalletRecord, parse_blob, scrubbed,
};
use crate::backup::{self, BackupError, Expect};
use crate::recovery::KdfParams;
use crate::secret::OsRng;
use crate::shares;

/// Why recovering from a file did not work: the file (shown to the user,
/// who may pick another or retype the password), or anything else.
pub enum RecoverFromFile {
    File(BackupError),
    Other(RpcError),
}

impl From<RpcError> for RecoverFromFile {
    fn from(e: RpcError) -> Self {
        RecoverFromFile::Other(e)
    }
}

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Recovers the user's wallet onto this device from the text of a
    /// backup file and its password: H₀ from hot storage, C from the file.
    /// Shield is not asked.
    pub async fn recover_from_file(
        &self,
        token: &Tokens,
        text: &str,
        password: &str,
    ) -> Result<Created, RecoverFromFile> {
        scrubbed(self.recover_from_file_unscrubbed(token, text, password)).await
    }

    async fn recover_from_file_unscrubbed(
        &self,
        token: &Tokens,
        text: &str,
        password: &str,
    ) -> Result<Created, RecoverFromFile> {
        let file = backup::parse(text).map_err(RecoverFromFile::File)?;
        let wallet = self
            .hot
            .wallet(token)
            .await
            .map_err(RpcError::from)?
            .map(WalletRecord::from)
            .ok_or_else(RpcError::no_wallet)?;
        let _lock = self.lock().await;
        let primary = self
            .hot
            .recover(token, &RecoverRequest::primary(wallet.wallet))
            .await
            .map_err(RpcError::from)?;
        let h0 = parse_blob(&primary.share)?;
        let expect = Expect {
            wallet: wallet.wallet,
            recovery_pair: h0.split(),
        };
        let c = backup::open(&file, password, expect).map_err(RecoverFromFile::File)?;
        Ok(self.recover_with(token, wallet, &h0, &c, None).await?)
    }

    /// Writes a backup file of `wallet` under `password`, after the user's
    /// approval, and hands it to the user ([`Consent::keep_backup`]). The
    /// pair is refreshed afterwards like after a signature.
    pub async fn download_backup(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        password: &str,
    ) -> RpcResult<Refresh<'_, D>> {
        let primary = self
            .hot
            .recover(token, &RecoverRequest::primary(wallet.wallet))
            .await?;
        let h0 = parse_blob(&primary.share)?;
        let signed = self
            .with_key(token, wallet, &Request::DownloadBackup, |secret| {
                let c = shares::recovery_partner(secret, &h0)?;
                Ok(backup::seal(
                    &c,
                    &wallet.addresses,
                    password,
                    KdfParams::PRODUCTION,
                    &mut OsRng,
                )?)
            })
            .await?;
        self.consent.keep_backup(&signed.answer).await?;
        Ok(signed.refresh)
    }
}

//! Recover on a device without a share: rebuild from H₀ + C, then give this
//! device a fresh pair of its own.

use super::types::Tokens;
use crate::shares::RandomId;
use keyframe_wire::hot::{RecoverRequest, RegisterRequest};

use super::{
    Clock, Consent, DeviceStore, Flows, HotStorage, Recovery, RpcError, RpcResult, Shield,
};
use super::{Created, parse_blob, scrubbed, share_blob, with_retries};
use crate::authority::WalletAuthority;
use crate::secret::OsRng;
use crate::shares::{self, DeviceId};
use keyframe_wire::shield::ColdRecordResponse;

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Recovers the user's wallet onto this device with `recovery`.
    pub async fn recover(&self, token: &Tokens, recovery: &Recovery) -> RpcResult<Created> {
        scrubbed(self.recover_unscrubbed(token, recovery)).await
    }

    async fn recover_unscrubbed(&self, token: &Tokens, recovery: &Recovery) -> RpcResult<Created> {
        let wallet = self
            .hot
            .wallet(token)
            .await?
            .map(super::WalletRecord::from)
            .ok_or_else(RpcError::no_wallet)?;
        let id = wallet.wallet;
        let _lock = self.lock().await;
        let cold = self.shield.get(token, id).await?;
        let c = recovery.open(&cold.record, id)?;
        // H₀ of the pair C belongs to: the current one, or (after a rotation
        // cut short between Shield and the commit) the pending one, which
        // hot storage then promotes.
        let primary = self
            .hot
            .recover(
                token,
                &RecoverRequest {
                    wallet: id,
                    device: None,
                    version: Some(c.version()),
                    split: Some(c.split()),
                },
            )
            .await?;
        let h0 = parse_blob(&primary.share)?;
        self.recover_with(token, wallet, &h0, &c, Some(&cold)).await
    }

    /// Rebuilds the wallet from H₀ and C and gives this device a fresh pair
    /// of its own; the caller holds the device lock.
    pub(super) async fn recover_with(
        &self,
        token: &Tokens,
        wallet: super::WalletRecord,
        h0: &shares::Share,
        c: &shares::Share,
        cold: Option<&ColdRecordResponse>,
    ) -> RpcResult<Created> {
        let id = wallet.wallet;
        let secret = shares::combine(h0, c, &wallet.addresses)?;

        let device = DeviceId::random(&mut OsRng)?;
        let pair = shares::split_pair(&secret, id, device, 0, &mut OsRng);
        let authority = WalletAuthority::derive(&secret, id);
        drop(secret);
        let (pair, authority) = (pair?, authority?);
        // A device is registered under the wallet's authority: a token
        // alone cannot add one (docs/api.md, "Wallet authority").
        self.ensure_authority(token, &wallet, &authority, cold)
            .await;
        let body = RegisterRequest {
            wallet: id,
            device,
            split: pair.hot.split(),
            share: share_blob(&pair.hot)?,
            ephemeral: !self.store.is_persistent(),
            label: None,
        };
        with_retries(|| self.hot.register(token, &body, &authority)).await?;
        // Shares of this wallet held for an older device of this browser are
        // superseded by the new pair.
        let old = self
            .store
            .entries(id)
            .await
            .map_err(|_| RpcError::storage())?;
        self.keep_local(&pair.local, &wallet.addresses).await?;
        for entry in old {
            let _ = self.store.delete(&entry).await;
        }
        Ok(Created { wallet, device })
    }
}

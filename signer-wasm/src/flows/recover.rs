//! Recover on a device without a share: rebuild from H₀ + C, then give this
//! device a fresh pair of its own.

use super::types::{ServiceError, Tokens};
use crate::shares::RandomId;
use keyframe_wire::hot::{RecoverRequest, RegisterRequest};

use super::{
    Clock, Consent, DeviceStore, Flows, HotStorage, Recovery, RpcError, RpcResult, Shield,
};
use super::{Created, parse_blob, scrubbed, share_blob, with_retries};
use crate::authority::WalletAuthority;
use crate::secret::OsRng;
use crate::shares::{self, DeviceId, WalletId};
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
        // superseded by the new pair, and so is every device this browser
        // was before, whether its shares are still here or were lost.
        let old = self
            .store
            .entries(id)
            .await
            .map_err(|_| RpcError::storage())?;
        let mut replaced = self.store.remembered_devices(id).await;
        replaced.extend(old.iter().map(|e| e.device));
        self.keep_local(&pair.local, &wallet.addresses).await?;
        for entry in old {
            let _ = self.store.delete(&entry).await;
        }
        self.revoke_replaced(token, id, device, replaced, &authority)
            .await;
        Ok(Created { wallet, device })
    }

    /// Revokes the devices this browser was before `current`, signed by the
    /// wallet's authority, so a replaced device's hot share cannot be
    /// fetched again by anyone holding its local share (a copy of the old
    /// IndexedDB, a stolen disk image). Best effort: the recovery has
    /// succeeded already; a device hot storage no longer knows is done, and
    /// one whose revocation failed stays remembered for the next recovery
    /// (and expires when idle meanwhile).
    async fn revoke_replaced(
        &self,
        token: &Tokens,
        wallet: WalletId,
        current: DeviceId,
        mut replaced: Vec<DeviceId>,
        authority: &WalletAuthority,
    ) {
        replaced.sort();
        replaced.dedup();
        let mut remembered = vec![current];
        for device in replaced {
            if device == current || device.is_recovery() {
                continue;
            }
            match with_retries(|| self.hot.revoke(token, wallet, device, authority)).await {
                Ok(()) => {}
                // 404 SHARE_UNAVAILABLE: hot storage holds nothing for it
                // (revoked before, or expired).
                Err(ServiceError::Api { status: 404, .. }) => {}
                Err(_) => remembered.push(device),
            }
        }
        self.store.remember_devices(wallet, &remembered).await;
    }
}

//! The wallet's devices: list them, revoke one.

use super::types::Tokens;
use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Request, RpcError, RpcResult, Shield};
use super::{DeviceInfo, Refresh, WalletRecord};
use crate::shares::DeviceId;

/// The devices hot storage knows, and which one is this browser's.
#[derive(Debug, Clone)]
pub struct DeviceListing {
    pub devices: Vec<DeviceInfo>,
    pub current: Option<DeviceId>,
}

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    pub async fn list_devices(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
    ) -> RpcResult<DeviceListing> {
        let devices = self.hot.list(token, wallet.wallet).await?;
        let current = self.local_device(wallet.wallet).await;
        Ok(DeviceListing { devices, current })
    }

    /// Deletes `device`'s hot share (so its local share is useless) and any
    /// local share of it this browser holds. Revocation cannot be undone,
    /// so it is signed by the wallet's authority: the key is rebuilt under
    /// the user's approval like for a signature, and the pair refreshed
    /// afterwards ([`Flows::refresh`] on the answer).
    pub async fn revoke_device(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        device: DeviceId,
    ) -> RpcResult<Refresh<'_, D>> {
        if device == DeviceId::RECOVERY {
            return Err(RpcError::bad_params("the recovery pair is not a device"));
        }
        let signed = self
            .with_key(token, wallet, &Request::RevokeDevice { device }, |_| Ok(()))
            .await?;
        let refresh = signed.refresh;
        // The device lock is held by `refresh` until it has run.
        self.hot
            .revoke(token, wallet.wallet, device, &refresh.authority)
            .await?;
        for entry in self.store.entries(wallet.wallet).await.unwrap_or_default() {
            if entry.device == device {
                let _ = self.store.delete(&entry).await;
            }
        }
        Ok(refresh)
    }
}

//! The wallet's devices: list them, revoke one.

use super::types::Tokens;
use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Request, RpcError, RpcResult, Shield};
use super::{DeviceInfo, WalletRecord};
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
    /// local share of it this browser holds.
    pub async fn revoke_device(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        device: DeviceId,
    ) -> RpcResult<()> {
        if device == DeviceId::RECOVERY {
            return Err(RpcError::bad_params("the recovery pair is not a device"));
        }
        self.approve(&Request::RevokeDevice { device }).await?;
        let _lock = self.lock().await;
        self.hot.revoke(token, wallet.wallet, device).await?;
        for entry in self.store.entries(wallet.wallet).await.unwrap_or_default() {
            if entry.device == device {
                let _ = self.store.delete(&entry).await;
            }
        }
        Ok(())
    }
}

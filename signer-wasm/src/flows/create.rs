//! Create (or import) a wallet: the recovery pair (H₀ at hot storage, C
//! sealed at Shield) and this device's pair (Hₖ at hot storage, Dₖ here).

use super::types::Tokens;
use crate::shares::RandomId;

use super::{
    Clock, Consent, DeviceStore, Flows, HotStorage, Recovery, Request, RpcError, RpcResult, Shield,
};
use super::{WalletRecord, scrubbed, share_blob, with_retries};
use crate::authority::WalletAuthority;
use crate::secret::{OsRng, WalletSecret};
use crate::shares::{self, DeviceId, WalletId};
use keyframe_wire::hot::{CreateRequest, DeviceIn, PrimaryIn};

/// A wallet made by [`Flows::create`].
#[derive(Debug, Clone)]
pub struct Created {
    pub wallet: WalletRecord,
    pub device: DeviceId,
}

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Creates the user's wallet from `secret` (`imported` says whether the
    /// user brought it). Shield is written first: a wallet never exists
    /// without its cold share.
    pub async fn create(
        &self,
        token: &Tokens,
        secret: WalletSecret,
        recovery: &Recovery,
        imported: bool,
    ) -> RpcResult<Created> {
        scrubbed(self.create_unscrubbed(token, secret, recovery, imported)).await
    }

    async fn create_unscrubbed(
        &self,
        token: &Tokens,
        secret: WalletSecret,
        recovery: &Recovery,
        imported: bool,
    ) -> RpcResult<Created> {
        if self.hot.wallet(token).await?.is_some() {
            return Err(RpcError::bad_params("this user already has a wallet"));
        }
        self.approve(&Request::CreateWallet { imported }).await?;
        let rng = &mut OsRng;
        let wallet = WalletId::random(rng)?;
        let device = DeviceId::random(rng)?;
        let addresses = secret.addresses()?;
        let kind = secret.kind();
        let recovery_pair = shares::split_pair(&secret, wallet, DeviceId::RECOVERY, 0, rng)?;
        let device_pair = shares::split_pair(&secret, wallet, device, 0, rng)?;
        // Registered with both services beside the shares, so no token
        // holder can ever register another (docs/api.md, "Wallet authority").
        let authority = WalletAuthority::derive(&secret, wallet)?.public_key();
        drop(secret);
        match recovery {
            // The user keeps C; nothing is stored anywhere before they
            // confirmed they have the file.
            Recovery::File(password) => {
                let file = crate::backup::seal(
                    &recovery_pair.local,
                    &addresses,
                    password,
                    crate::recovery::KdfParams::PRODUCTION,
                    rng,
                )?;
                self.consent.keep_backup(&file).await?;
            }
            _ => {
                let cold = recovery.seal(&recovery_pair.local)?;
                with_retries(|| self.shield.create(token, wallet, &cold, Some(&authority))).await?;
            }
        }
        let body = CreateRequest {
            wallet,
            kind,
            addresses: addresses.clone(),
            primary: PrimaryIn {
                split: recovery_pair.hot.split(),
                share: share_blob(&recovery_pair.hot)?,
            },
            device: Some(DeviceIn {
                device,
                split: device_pair.hot.split(),
                share: share_blob(&device_pair.hot)?,
                ephemeral: !self.store.is_persistent(),
                label: None,
            }),
            authority: Some(authority),
        };
        with_retries(|| self.hot.create(token, &body)).await?;
        self.keep_local(&device_pair.local, &addresses).await?;
        Ok(Created {
            wallet: WalletRecord {
                wallet,
                kind,
                addresses,
                authority: Some(authority),
            },
            device,
        })
    }
}

//! Set recovery: re-seal the cold share under a new method or password.
//!
//! The key and every share stay as they are: C is recomputed from the
//! rebuilt secret and H₀ (the two fix the recovery polynomial).

use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Recovery, Request, RpcResult, Shield};
use super::{Refresh, WalletRecord, parse_blob, with_retries};
use crate::shares;
use keyframe_wire::hot::RecoverRequest;

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Replaces the cold share at Shield with one sealed under `recovery`;
    /// the device's pair is refreshed afterwards like after a signature.
    pub async fn set_recovery(
        &self,
        token: &str,
        wallet: &WalletRecord,
        recovery: &Recovery,
    ) -> RpcResult<Refresh<'_, D>> {
        let primary = self
            .hot
            .recover(token, &RecoverRequest::primary(wallet.wallet))
            .await?;
        let h0 = parse_blob(&primary.share)?;
        let automatic = matches!(recovery, super::Recovery::Automatic(_));
        let signed = self
            .with_key(
                token,
                wallet,
                &Request::SetRecovery { automatic },
                |secret| {
                    let c = shares::recovery_partner(secret, &h0)?;
                    recovery.seal(&c)
                },
            )
            .await?;
        let cold = signed.answer;
        with_retries(|| self.shield.replace(token, wallet.wallet, &cold)).await?;
        Ok(signed.refresh)
    }
}

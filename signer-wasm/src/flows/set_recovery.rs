//! Set recovery: re-seal the cold share under a new method or password.
//!
//! The key and every share stay as they are: C is recomputed from the
//! rebuilt secret and H₀ (the two fix the recovery polynomial).
//!
//! Changing authority needs proof: the caller must hold the *current*
//! method's secret (the current password, or the current automatic key),
//! which must open the cold record Shield holds now and give exactly the C
//! of this wallet. Without it a script on the host page that has the user's
//! token could re-key the wallet to a key it chose and then rebuild it
//! (docs/architecture.md §1). The proof is checked after the user approved
//! on the screen, so a host cannot use the flow as a silent password oracle.

use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Recovery, Request, RpcResult, Shield};
use super::{Refresh, WalletRecord, parse_blob, scrubbed, with_retries};
use crate::shares;
use keyframe_wire::hot::RecoverRequest;
use subtle::ConstantTimeEq;

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Replaces the cold share at Shield with one sealed under `recovery`,
    /// if `current` opens the cold share Shield holds now; the device's
    /// pair is refreshed afterwards like after a signature. A wrong
    /// `current` changes nothing (`WRONG_PASSWORD`, or `SHARE_MISMATCH` for
    /// a wrong automatic key).
    pub async fn set_recovery(
        &self,
        token: &str,
        wallet: &WalletRecord,
        current: &Recovery,
        recovery: &Recovery,
    ) -> RpcResult<Refresh<'_, D>> {
        scrubbed(self.set_recovery_unscrubbed(token, wallet, current, recovery)).await
    }

    async fn set_recovery_unscrubbed(
        &self,
        token: &str,
        wallet: &WalletRecord,
        current: &Recovery,
        recovery: &Recovery,
    ) -> RpcResult<Refresh<'_, D>> {
        let primary = self
            .hot
            .recover(token, &RecoverRequest::primary(wallet.wallet))
            .await?;
        let h0 = parse_blob(&primary.share)?;
        let held = self.shield.get(token, wallet.wallet).await?;
        let automatic = matches!(recovery, super::Recovery::Automatic(_));
        let signed = self
            .with_key(
                token,
                wallet,
                &Request::SetRecovery { automatic },
                |secret| {
                    let c = shares::recovery_partner(secret, &h0)?;
                    // The proof: the current secret opens the record Shield
                    // holds, and what it holds is this wallet's C.
                    let opened = current.open(&held, wallet.wallet)?;
                    if !bool::from(opened.to_bytes().ct_eq(&c.to_bytes())) {
                        return Err(crate::Error::ShareMismatch.into());
                    }
                    recovery.seal(&c)
                },
            )
            .await?;
        let cold = signed.answer;
        with_retries(|| self.shield.replace(token, wallet.wallet, &cold)).await?;
        Ok(signed.refresh)
    }
}

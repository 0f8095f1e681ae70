//! Set recovery: a new method or password, on a fresh recovery pair.
//!
//! The recovery pair is re-split on a fresh polynomial (H₀′, C′), so a
//! captured old C opened with an old password no longer combines with
//! anything hot storage holds. Crash-safe like the device refresh
//! (docs/api.md, "Rotating the recovery pair"): H₀′ is stored as pending
//! beside H₀, then Shield's record is replaced by C′, then H₀′ is
//! committed. Cut after any step, the wallet recovers with the old method
//! (Shield still holds C) or the new one (Shield holds C′, whose split
//! finds H₀′ and promotes it), never with neither.
//!
//! Changing authority needs proof: the caller must hold the *current*
//! method's secret (the current password, or the current automatic key),
//! which must open the cold record Shield holds now and give exactly the C
//! of this wallet. Without it a script on the host page that has the user's
//! token could re-key the wallet to a key it chose and then rebuild it
//! (docs/architecture.md §1). A password is typed on the iFrame's screen,
//! which is the approval, before this flow runs (web/methods/wallet.rs), so a host
//! cannot use the flow as a silent password oracle; an automatic key is the
//! host's own secret.

use super::types::Tokens;
use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Recovery, Request, RpcResult, Shield};
use super::{Refresh, WalletRecord, parse_blob, scrubbed, share_blob, with_retries};
use crate::secret::OsRng;
use crate::shares::{self, DeviceId};
use keyframe_wire::hot::{CommitRequest, RecoverRequest, RefreshRequest};
use subtle::ConstantTimeEq;

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Replaces the recovery pair with a fresh one whose cold half is
    /// sealed under `recovery`, if `current` opens the cold share Shield
    /// holds now; the device's pair is refreshed afterwards like after a
    /// signature. A wrong `current` changes nothing (`WRONG_PASSWORD`, or
    /// `SHARE_MISMATCH` for a wrong automatic key).
    pub async fn set_recovery(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        current: &Recovery,
        recovery: &Recovery,
    ) -> RpcResult<Refresh<'_, D>> {
        scrubbed(self.set_recovery_unscrubbed(token, wallet, current, recovery)).await
    }

    async fn set_recovery_unscrubbed(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        current: &Recovery,
        recovery: &Recovery,
    ) -> RpcResult<Refresh<'_, D>> {
        // The proof, first half: the current secret opens what Shield holds.
        let held = self.shield.get(token, wallet.wallet).await?;
        let opened = current.open(&held.record, wallet.wallet)?;
        // Its partner H₀ (a rotation cut short after Shield may have left
        // it pending; asking by its split promotes it).
        let primary = self
            .hot
            .recover(
                token,
                &RecoverRequest {
                    wallet: wallet.wallet,
                    device: None,
                    version: Some(opened.version()),
                    split: Some(opened.split()),
                },
            )
            .await?;
        let h0 = parse_blob(&primary.share)?;
        // A successor left pending by a rotation cut short before Shield:
        // Shield does not hold its partner, so it may be replaced.
        let orphan = primary.pending.map(|p| p.split);
        let automatic = matches!(recovery, Recovery::Automatic(_));
        let signed = self
            .with_key(
                token,
                wallet,
                &Request::SetRecovery { automatic },
                |secret| {
                    // The proof, second half: what it opened is this
                    // wallet's C.
                    let c = shares::recovery_partner(secret, &h0)?;
                    if !bool::from(opened.to_bytes().ct_eq(&c.to_bytes())) {
                        return Err(crate::Error::ShareMismatch.into());
                    }
                    let next = shares::split_pair(
                        secret,
                        wallet.wallet,
                        DeviceId::RECOVERY,
                        h0.version() + 1,
                        &mut OsRng,
                    )?;
                    let cold = recovery.seal(&next.local)?;
                    Ok((next.hot, cold))
                },
            )
            .await?;
        let (h0_next, cold) = signed.answer;
        // Rotating the pair cannot be undone: each step is signed by the
        // wallet's authority (docs/api.md, "Wallet authority").
        let authority = &signed.refresh.authority;
        self.ensure_authority(token, wallet, authority, Some(&held))
            .await;
        let rotate = RefreshRequest {
            wallet: wallet.wallet,
            device: DeviceId::RECOVERY,
            version: h0.version(),
            split: h0_next.split(),
            share: share_blob(&h0_next)?,
            replace_pending: orphan,
        };
        with_retries(|| self.hot.refresh(token, &rotate, authority)).await?;
        with_retries(|| self.shield.replace(token, wallet.wallet, &cold, authority)).await?;
        let commit = CommitRequest {
            wallet: wallet.wallet,
            device: DeviceId::RECOVERY,
            version: h0_next.version(),
            split: h0_next.split(),
        };
        with_retries(|| self.hot.commit(token, &commit, authority)).await?;
        Ok(signed.refresh)
    }
}

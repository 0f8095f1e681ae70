//! Sign, then refresh: rebuild the key from this device's pair inside one
//! call, check it against the wallet's addresses, run the operation, drop
//! the key, and afterwards (once the caller has answered, off the latency
//! path) re-split the pair with the crash-safe protocol of docs/api.md.

use super::types::Tokens;
use keyframe_policy::Intent as PolicyIntent;
use keyframe_wire::hot::{CommitRequest, RecoverRequest, RefreshRequest};
use keyframe_wire::policy::{RecoverWithIntent, SignedUserRules};

use super::policy::Judged;
use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Request, RpcError, RpcResult, Shield};
use super::{
    DeviceLock, Entry, ServiceError, WalletRecord, device_of, entry_for, parse_blob, parse_share,
    scrubbed, share_blob, with_retries,
};
use crate::authority::WalletAuthority;
use crate::secret::{OsRng, WalletSecret};
use crate::shares::{self, Share, SharePair, SplitId};

/// The pair that signed and its successor, for [`Flows::refresh`]. Holds
/// the device lock until the refresh is done, and the wallet's authority
/// key (never the secret: the refresh runs after the secret was dropped)
/// to sign its refresh and commit.
pub struct Refresh<'a, D: DeviceStore + 'a> {
    _lock: DeviceLock<'a, D>,
    token: Tokens,
    used: Entry,
    next: SharePair,
    replace_pending: Option<SplitId>,
    pub(super) authority: WalletAuthority,
    /// The user's rules after an "always allow" on the screen, signed,
    /// stored at hot storage with the refresh (flows/policy.rs).
    user_rules: Option<SignedUserRules>,
}

/// What an operation under the key answered, and the refresh that follows.
pub struct Signed<'a, T, D: DeviceStore + 'a> {
    pub answer: T,
    pub refresh: Refresh<'a, D>,
}

/// What [`Flows::load_pair`] found. Not boxed: it is moved once and is
/// no larger than the `RpcResult<Loaded>` load_pair answered before.
#[allow(clippy::large_enum_variant)]
enum Load {
    Pair(Loaded),
    /// Hot storage answered 409 `POLICY_CHANGED`: its decision needs the
    /// user's yes on the screen, which this request did not show (the
    /// iFrame's own judgement saw older usage). Nothing was released.
    NeedsScreen,
    /// The early pass ([`Pass::Early`]) met something only the pass under
    /// the device lock may settle: no entry, or one hot storage does not
    /// hold (which that pass deletes).
    Retry,
}

/// Which pass of [`Flows::load_pair`]: before the cross-tab lock is held,
/// or under it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Another tab may be halfway through a refresh: an entry it just
    /// wrote is not yet at hot storage, so nothing may be deleted.
    Early,
    Locked,
}

/// What the key leaves behind once dropped ([`Flows::after_key`]): the
/// pair that will replace the one used, and the wallet's authority key.
struct AfterKey {
    next: RpcResult<SharePair>,
    authority: RpcResult<WalletAuthority>,
}

/// A local entry whose partner hot storage still holds.
struct Loaded {
    entry: Entry,
    local: Share,
    hot: Share,
    /// A pending version at the server that no tab of ours holds: an orphan
    /// the next refresh may replace.
    orphan: Option<SplitId>,
}

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Finds a local share that hot storage still holds the partner of,
    /// dropping local entries it does not (superseded or revoked).
    async fn load_pair(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        judged: Option<&Judged>,
        pass: Pass,
        read: Option<Vec<Entry>>,
    ) -> RpcResult<Load> {
        let entries = match read {
            Some(entries) => entries,
            None => self
                .store
                .entries(wallet.wallet)
                .await
                .map_err(|_| RpcError::storage())?,
        };
        if entries.is_empty() {
            return match pass {
                Pass::Early => Ok(Load::Retry),
                Pass::Locked => Err(RpcError::recovery_required()),
            };
        }
        let held: Vec<SplitId> = entries.iter().map(|e| e.split).collect();
        for entry in entries {
            if entry.addresses != wallet.addresses {
                return Err(crate::Error::ShareMismatch.into());
            }
            let body = RecoverRequest {
                wallet: entry.wallet,
                device: Some(entry.device),
                version: Some(entry.version),
                split: Some(entry.split),
            };
            let answer = match judged {
                None => self.hot.recover(token, &body).await,
                Some(j) => {
                    let body = RecoverWithIntent {
                        intent: Some(j.intent.clone()),
                        parts: j.parts.clone(),
                        approval: j.approval.clone(),
                        on_screen: Some(j.on_screen),
                        ..body.clone().into()
                    };
                    self.hot.recover_for(token, &body).await
                }
            };
            match answer {
                Ok(r)
                    if r.version == entry.version
                        && r.split == entry.split
                        && r.device == entry.device =>
                {
                    let local = parse_share(&entry.share)?;
                    let hot = parse_blob(&r.share)?;
                    let orphan = r.pending.map(|p| p.split).filter(|s| !held.contains(s));
                    return Ok(Load::Pair(Loaded {
                        entry,
                        local,
                        hot,
                        orphan,
                    }));
                }
                // Only a request that showed no screen is refused so; the
                // caller shows it and asks again.
                Err(e) if e.is("POLICY_CHANGED") && judged.is_some_and(|j| !j.on_screen) => {
                    return Ok(Load::NeedsScreen);
                }
                Ok(_) | Err(ServiceError::Api { status: 404, .. }) if pass == Pass::Early => {
                    return Ok(Load::Retry);
                }
                Ok(_) | Err(ServiceError::Api { status: 404, .. }) => {
                    let _ = self.store.delete(&entry).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(RpcError::recovery_required())
    }

    /// Asks consent for `request`, rebuilds the key, runs `op` with it,
    /// drops it, and prepares the refresh that must follow
    /// ([`Flows::refresh`]).
    pub async fn with_key<T, F>(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        request: &Request<'_>,
        op: F,
    ) -> RpcResult<Signed<'_, T, D>>
    where
        F: FnOnce(&WalletSecret) -> RpcResult<T>,
    {
        scrubbed(self.with_key_unscrubbed(token, wallet, request, None, op)).await
    }

    /// [`Flows::with_key`] for a signature: the policy judges `intent`
    /// before anything else (flows/policy.rs) and decides whether the
    /// screen is asked; hot storage judges it again when the share is
    /// asked for.
    pub async fn sign_with_key<T, F>(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        request: &Request<'_>,
        intent: &PolicyIntent,
        parts: &[PolicyIntent],
        op: F,
    ) -> RpcResult<Signed<'_, T, D>>
    where
        F: FnOnce(&WalletSecret) -> RpcResult<T>,
    {
        scrubbed(self.with_key_unscrubbed(token, wallet, request, Some((intent, parts)), op)).await
    }

    /// The part of [`Flows::with_key`] that does not depend on the
    /// operation (kept out of its generic body, which is built once per
    /// signing method): the consent, then the device lock and the pair.
    async fn consented_pair(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        request: &Request<'_>,
        intent: Option<(&PolicyIntent, &[PolicyIntent])>,
    ) -> RpcResult<(DeviceLock<'_, D>, Loaded, Option<Judged>)> {
        // The device's shares are read before the screen waits for the
        // user, not after: Chromium holds an IndexedDB answer that comes
        // right after a click until its next frame is drawn (bench/README.md,
        // "Where a signature's click → answer goes"). Hot storage still
        // says whether an entry is current before it is used, and one it
        // no longer holds is read again under the lock.
        let mut ahead = self.store.entries(wallet.wallet).await.ok();
        let device = match intent {
            Some(_) => ahead.as_deref().and_then(device_of),
            None => None,
        };
        let mut judged = match intent {
            Some((intent, parts)) => Some(
                self.judge(token, wallet, device, request, intent, parts, false)
                    .await?,
            ),
            None => {
                self.approve(request).await?;
                None
            }
        };
        let (lock, loaded) = loop {
            // The cross-tab lock's grant comes as a task that Chromium,
            // right after a click, holds until its next frame is drawn
            // (bench/README.md, "Where a signature's click → answer
            // goes"): this tab's mutex is taken at once, and the hot share
            // is asked for while the grant is on its way. That early pass
            // deletes nothing; what it cannot use is left to the pass
            // under the lock. A pair it found combines whatever another
            // tab did meanwhile (one version, one split); a refresh that
            // tab finished first makes this one's refresh a refused
            // compare-and-swap (docs/api.md), as without Web Locks.
            let local = self.device_mutex.lock().await;
            let (shared, early) = futures_util::future::join(
                self.store.lock(),
                self.load_pair(token, wallet, judged.as_ref(), Pass::Early, ahead.take()),
            )
            .await;
            let lock = DeviceLock::new(shared, local);
            let load = match early? {
                Load::Retry => {
                    self.load_pair(token, wallet, judged.as_ref(), Pass::Locked, None)
                        .await?
                }
                load => load,
            };
            match load {
                Load::Pair(loaded) => break (lock, loaded),
                Load::Retry => return Err(RpcError::recovery_required()),
                Load::NeedsScreen => {
                    // Hot storage's decision, on the usage its batch saw,
                    // needs the user's yes: this judgement saw older usage
                    // (concurrent requests, other tabs). Judge again on
                    // fresh usage and show the screen, without the device
                    // lock, which other requests wait for; then ask again,
                    // approved on the screen (never refused so twice).
                    drop(lock);
                    let Some((intent, parts)) = intent else {
                        return Err(RpcError::from(ServiceError::Api {
                            status: 409,
                            code: "POLICY_CHANGED".into(),
                        }));
                    };
                    judged = Some(
                        self.judge(token, wallet, device, request, intent, parts, true)
                            .await?,
                    );
                }
            }
        };
        Ok((lock, loaded, judged))
    }

    async fn with_key_unscrubbed<T, F>(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        request: &Request<'_>,
        intent: Option<(&PolicyIntent, &[PolicyIntent])>,
        op: F,
    ) -> RpcResult<Signed<'_, T, D>>
    where
        F: FnOnce(&WalletSecret) -> RpcResult<T>,
    {
        let (lock, loaded, judged) = self.consented_pair(token, wallet, request, intent).await?;
        let Loaded {
            entry,
            local,
            hot,
            orphan,
        } = loaded;
        let start = self.clock.now();
        let secret = shares::combine(&local, &hot, &wallet.addresses)?;
        drop((local, hot));
        let answer = op(&secret);
        let after = self.after_key(secret, wallet, &entry, start);
        let answer = answer?;
        let refresh = self
            .refresh_job(token, wallet, lock, (entry, orphan), judged, after)
            .await?;
        Ok(Signed { answer, refresh })
    }

    /// Right after the operation: the pair that will replace the one used
    /// and the wallet's authority key, from `secret`, which is dropped here.
    fn after_key(
        &self,
        secret: WalletSecret,
        wallet: &WalletRecord,
        used: &Entry,
        start: f64,
    ) -> AfterKey {
        let next = shares::split_pair(
            &secret,
            wallet.wallet,
            used.device,
            used.version + 1,
            &mut OsRng,
        );
        let authority = WalletAuthority::derive(&secret, wallet.wallet);
        drop(secret);
        self.clock.measure("keyframe:compute", start);
        AfterKey {
            next: next.map_err(Into::into),
            authority: authority.map_err(Into::into),
        }
    }

    /// The refresh that must follow an operation under the key, holding
    /// the device lock; the authority key registered first where it is not
    /// yet, and the user's new rules (an "always allow") signed with it.
    async fn refresh_job<'a>(
        &'a self,
        token: &Tokens,
        wallet: &WalletRecord,
        lock: DeviceLock<'a, D>,
        (entry, orphan): (Entry, Option<SplitId>),
        judged: Option<Judged>,
        after: AfterKey,
    ) -> RpcResult<Refresh<'a, D>> {
        let AfterKey { next, authority } = after;
        let authority = authority?;
        self.ensure_authority(token, wallet, &authority, None).await;
        let user_rules = judged
            .and_then(|j| j.grant)
            .and_then(|grant| grant.sign(wallet, &authority).ok());
        Ok(Refresh {
            _lock: lock,
            token: token.clone(),
            used: entry,
            next: next?,
            replace_pending: orphan,
            authority,
            user_rules,
        })
    }

    /// The crash-safe refresh of docs/api.md: write D' beside D, store H' as
    /// pending, commit, and only then drop D. Any step may fail or be cut
    /// off; every prefix leaves a pair that combines.
    pub async fn refresh(&self, job: Refresh<'_, D>) {
        scrubbed(self.refresh_unscrubbed(job)).await
    }

    async fn refresh_unscrubbed(&self, job: Refresh<'_, D>) {
        let Refresh {
            _lock,
            token,
            used,
            next,
            replace_pending,
            authority,
            user_rules,
        } = job;
        if let Some(rules) = &user_rules {
            // Best effort: without them the screen simply asks again.
            let _ = with_retries(|| self.hot.put_user_rules(&token, rules, &authority)).await;
        }
        let fresh = entry_for(&next.local, &used.addresses);
        if self.store.put(&fresh).await.is_err() {
            return;
        }
        let Ok(share) = share_blob(&next.hot) else {
            let _ = self.store.delete(&fresh).await;
            return;
        };
        let body = RefreshRequest {
            wallet: used.wallet,
            device: used.device,
            version: used.version,
            split: fresh.split,
            share,
            replace_pending,
        };
        drop(next);
        match with_retries(|| self.hot.refresh(&token, &body, &authority)).await {
            Ok(_) => {}
            Err(ServiceError::Api { .. }) => {
                // Refused (another tab refreshed first): this pair never existed.
                let _ = self.store.delete(&fresh).await;
                return;
            }
            Err(_) => return, // unknown outcome: the next operation settles it
        }
        let commit = CommitRequest {
            wallet: used.wallet,
            device: used.device,
            version: fresh.version,
            split: fresh.split,
        };
        if with_retries(|| self.hot.commit(&token, &commit, &authority))
            .await
            .is_err()
        {
            return;
        }
        // Re-write the new entry in case another tab dropped it while the
        // server had not seen it yet, then drop every superseded one.
        if self.store.put(&fresh).await.is_ok() {
            for old in self.store.entries(used.wallet).await.unwrap_or_default() {
                if old.device == used.device && old.version < fresh.version {
                    let _ = self.store.delete(&old).await;
                }
            }
        }
    }
}

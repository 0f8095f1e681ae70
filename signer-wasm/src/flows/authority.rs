//! The wallet's authority key in the flows: registered at creation, and on
//! the first use of a wallet created before authority keys.
//!
//! A wallet made by an older iFrame has no key at hot storage or Shield.
//! Until one is registered, the services refuse its irreversible acts, and
//! the registration endpoints accept the first key they are given from any
//! holder of the user's token. The flows close that window the first time
//! they rebuild the key (a signature, an export, a recovery, a recovery
//! change): they derive the authority and register it where the service
//! reported none. A service that answers 409 had a key already; if it is
//! not this wallet's (someone with the token registered first), the
//! irreversible acts stay refused (`AUTHORITY_REQUIRED`) while signing
//! goes on; docs/api.md, "Wallet authority", says what that costs.

use keyframe_wire::shield::ColdRecordResponse;

use super::types::Tokens;
use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Shield, WalletRecord};
use crate::authority::WalletAuthority;

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Registers `authority` with hot storage if `wallet` says it has none,
    /// and with Shield if its record (`cold`, or read here when hot storage
    /// had none) has none. Best effort: a failure leaves the wallet as it
    /// was, and the next use tries again.
    pub(super) async fn ensure_authority(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
        authority: &WalletAuthority,
        cold: Option<&ColdRecordResponse>,
    ) {
        // Known done, unless a record just read says Shield has none.
        if self.authority_registered.get() == Some(wallet.wallet)
            && cold.is_none_or(|c| c.authority.is_some())
        {
            return;
        }
        let key = authority.public_key();
        let mut done = true;
        if wallet.authority.is_none() {
            done &= registered(
                self.hot
                    .register_authority(token, wallet.wallet, &key)
                    .await,
            );
        }
        let shield_has = match cold {
            Some(c) => Some(c.authority.is_some()),
            // Shield is asked only for a wallet hot storage had no key for:
            // an old wallet, once.
            None if wallet.authority.is_none() => match self.shield.get(token, wallet.wallet).await
            {
                Ok(c) => Some(c.authority.is_some()),
                // A file wallet keeps no record at Shield.
                Err(e) if e.is("SHARE_UNAVAILABLE") => None,
                Err(_) => {
                    done = false;
                    None
                }
            },
            None => None,
        };
        if shield_has == Some(false) {
            done &= registered(
                self.shield
                    .register_authority(token, wallet.wallet, &key)
                    .await,
            );
        }
        if done {
            self.authority_registered.set(Some(wallet.wallet));
        }
    }
}

/// Whether a registration settled the question: stored, or refused
/// because a key was there already (409).
fn registered(outcome: Result<(), super::ServiceError>) -> bool {
    match outcome {
        Ok(()) => true,
        Err(e) => e.is("AUTHORITY_EXISTS"),
    }
}

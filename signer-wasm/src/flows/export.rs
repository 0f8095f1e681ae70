//! Export: the mnemonic (or raw key), for the iFrame to show on its own
//! screen. The caller must never post it to the host page.

use super::types::Tokens;
use zeroize::Zeroizing;

use super::{Clock, Consent, DeviceStore, Flows, HotStorage, Request, RpcResult, Shield};
use super::{Refresh, WalletRecord};
use crate::secret::WalletKind;

/// What to show: a title and the secret text (wiped on drop).
pub struct Exported {
    pub title: &'static str,
    pub secret: Zeroizing<String>,
}

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    /// Rebuilds the key and returns its export text; the refresh follows
    /// like after a signature.
    pub async fn export(
        &self,
        token: &Tokens,
        wallet: &WalletRecord,
    ) -> RpcResult<(Exported, Refresh<'_, D>)> {
        let signed = self
            .with_key(token, wallet, &Request::Export, |secret| {
                Ok(match secret.kind() {
                    WalletKind::Mnemonic => Exported {
                        title: "Your recovery phrase",
                        secret: secret.mnemonic().ok_or(crate::Error::Unsupported)?,
                    },
                    _ => Exported {
                        title: "Your private key",
                        secret: secret.evm_private_key_hex(0)?,
                    },
                })
            })
            .await?;
        Ok((signed.answer, signed.refresh))
    }
}

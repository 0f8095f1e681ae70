//! The wallet's authority key: an ed25519 key derived from the wallet
//! secret, whose signature hot storage and Shield require for what cannot
//! be undone (docs/api.md, "Wallet authority").
//!
//! Derivation: HKDF-SHA256 with salt [`SALT`] over the secret's bytes,
//! expanded with the info `SALT || "\n" || kind || "\n" || wallet id` to the
//! 32-byte ed25519 secret key. Domain-separated from every other key of the
//! wallet (BIP-32 and SLIP-0010 start from the BIP-39 seed, never from the
//! raw entropy through HKDF), and bound to the wallet id, so a secret
//! imported into two wallets has two authorities. The derivation is pinned
//! by tests/vectors/authority_v1.json: changing it would lock every wallet
//! out of its own irreversible acts.
//!
//! The key lives in a box and is wiped on drop; it has no `Debug` and no
//! `Clone`. It never leaves the iFrame: only its public key is registered,
//! and only signatures over one request each are sent.
#![forbid(unsafe_code)]

use ed25519_dalek::{Signer, SigningKey};
use hkdf::Hkdf;
use keyframe_wire::authority::{AuthorityHeader, NONCE_BYTES};
use sha2::Sha256;
use zeroize::Zeroizing;

pub use keyframe_wire::AuthorityKey;
pub use keyframe_wire::authority::HEADER;

use crate::error::{Error, Result};
use crate::secret::{OsRng, WalletSecret, fill};
use crate::shares::WalletId;

/// HKDF salt, and the head of its info: the derivation's name and version.
pub const SALT: &[u8] = b"keyframe/wallet-authority/v1";

/// The wallet's authority signing key. See the module documentation.
pub struct WalletAuthority(Box<SigningKey>);

impl WalletAuthority {
    /// Derives the authority of `wallet` from its secret.
    pub fn derive(secret: &WalletSecret, wallet: WalletId) -> Result<Self> {
        let info = format!(
            "{}\n{}\n{wallet}",
            String::from_utf8_lossy(SALT),
            secret.kind().as_str()
        );
        let hk = Hkdf::<Sha256>::new(Some(SALT), secret.as_bytes());
        let mut okm = Zeroizing::new([0u8; 32]);
        hk.expand(info.as_bytes(), okm.as_mut_slice())
            .map_err(|_| Error::BadRequest("authority key length".into()))?;
        // Boxed, so later moves of the authority copy a pointer; what this
        // construction leaves on the stack is wiped by
        // crate::secret::scrub_stack when the flow that derived it returns.
        Ok(WalletAuthority(Box::new(SigningKey::from_bytes(&okm))))
    }

    /// The public key hot storage and Shield register.
    pub fn public_key(&self) -> AuthorityKey {
        AuthorityKey::from_bytes(self.0.verifying_key().to_bytes())
    }

    /// The header for one request with a fresh random nonce:
    /// `method` and `path_and_query` as sent, `body` the exact bytes sent
    /// (empty when there is none), `now` unix seconds.
    pub fn sign_request(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: u64,
    ) -> Result<AuthorityHeader> {
        let mut nonce = [0u8; NONCE_BYTES];
        fill(&mut OsRng, &mut nonce)?;
        Ok(self.sign_with_nonce(method, path_and_query, body, now, &nonce))
    }

    /// Signs a user rule set ([`keyframe_wire::policy::user_rules_message`],
    /// whose first line differs from a request's, so neither signature can
    /// be taken for the other).
    pub fn sign_user_rules(&self, wallet: WalletId, version: u64, rules: &str) -> [u8; 64] {
        let message = keyframe_wire::policy::user_rules_message(wallet, version, rules);
        self.0.sign(&message).to_bytes()
    }

    /// [`Self::sign_request`] with a given nonce (for known answers).
    pub fn sign_with_nonce(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: u64,
        nonce: &[u8; NONCE_BYTES],
    ) -> AuthorityHeader {
        let unsigned = AuthorityHeader::new(now, nonce, [0u8; 64]);
        let message = unsigned.message(method, path_and_query, body);
        let sig = self.0.sign(&message).to_bytes();
        AuthorityHeader { sig, ..unsigned }
    }
}

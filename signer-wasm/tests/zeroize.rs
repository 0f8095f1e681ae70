//! Secret types wipe themselves: `Zeroize` and `ZeroizeOnDrop` (derived)
//! on the wallet secret, the recovery key and extended keys.
#![allow(clippy::unwrap_used)]

use keyframe_signer::recovery::RecoveryKey;
use keyframe_signer::secret::WalletSecret;
use keyframe_signer::wallet::ExtendedKey;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Compiles only for types that wipe on drop.
fn wipes_on_drop<T: Zeroize + ZeroizeOnDrop>() {}

#[test]
fn secret_types_wipe_on_drop() {
    wipes_on_drop::<WalletSecret>();
    wipes_on_drop::<RecoveryKey>();
    wipes_on_drop::<ExtendedKey>();
}

#[test]
fn zeroize_clears_the_secret_bytes() {
    let mut secret =
        WalletSecret::from_mnemonic("test test test test test test test test test test test junk")
            .unwrap();
    let before = secret.addresses().unwrap();
    secret.zeroize();
    assert_ne!(secret.addresses().ok(), Some(before));

    let mut key = RecoveryKey::from_bytes([7; 32]);
    key.zeroize();
    assert_eq!(
        key.to_base64url().as_str(),
        RecoveryKey::from_bytes([0; 32]).to_base64url().as_str()
    );
}

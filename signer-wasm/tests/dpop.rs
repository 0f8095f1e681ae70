//! The iFrame's DPoP proofs and the services' checks agree (issue 11
//! item 1): same thumbprint for the same key, and a proof built from the
//! core's signing input verifies at the services.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use keyframe_signer::dpop::{self, PublicJwk};

#[test]
fn thumbprints_agree_with_the_services() {
    let jwk = PublicJwk {
        x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs".into(),
        y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA".into(),
    };
    assert_eq!(
        jwk.thumbprint(),
        hot_storage_service::dpop::thumbprint(&jwk.x, &jwk.y)
    );
}

#[test]
fn a_proof_from_the_core_holds_at_the_services() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use p256::ecdsa::{Signature, SigningKey, signature::Signer as _};
    let key = SigningKey::from_slice(&[0x11; 32]).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let jwk = PublicJwk {
        x: B64.encode(point.x().unwrap()),
        y: B64.encode(point.y().unwrap()),
    };
    let url = "http://127.0.0.1:8787/v2/devices/recover";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let input = dpop::signing_input(&jwk, "POST", url, "tok", now, &[7; 16]);
    let signature: Signature = key.sign(input.as_bytes());
    let proof = dpop::proof(&input, &signature.to_bytes());
    let checked = hot_storage_service::dpop::check(
        &proof,
        &hot_storage_service::dpop::Expected {
            method: "POST",
            url,
            token: "tok",
            jkt: &jwk.thumbprint(),
            now_secs: now,
            window_secs: 60,
        },
    )
    .unwrap();
    assert_eq!(checked.jkt, jwk.thumbprint());
}

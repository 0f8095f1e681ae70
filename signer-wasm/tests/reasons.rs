//! The closed list of RPC reasons: one enum in the core, the same list in
//! the host SDK, and every core error mapped to its own reason.
#![allow(clippy::unwrap_used)]

use keyframe_signer::flows::RpcError;
use keyframe_signer::flows::error::{INTERNAL, INVALID_PARAMS};
use keyframe_signer::{Error, Reason};

#[test]
fn wire_form_is_the_serde_form() {
    for reason in Reason::ALL {
        assert_eq!(
            serde_json::to_value(reason).unwrap(),
            serde_json::json!(reason.as_str())
        );
        assert_eq!(reason.to_string(), reason.as_str());
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_sdk_lists_the_same_reasons() {
    let ts = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../iframe-host/sdk/src/errors.ts"
    ))
    .unwrap();
    let start = ts.find("KEYFRAME_REASONS = [").unwrap();
    let end = start + ts[start..].find("] as const").unwrap();
    let listed: Vec<&str> = ts[start..end].split('"').skip(1).step_by(2).collect();
    let ours: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(listed, ours);
}

#[test]
fn errors_keep_their_reason_through_rpc() {
    let cases = [
        (Error::WrongPassword, Reason::WrongPassword, INVALID_PARAMS),
        (Error::ShareMismatch, Reason::ShareMismatch, INTERNAL),
        (Error::MalformedShare, Reason::ShareMismatch, INTERNAL),
        (Error::CorruptCiphertext, Reason::ShareMismatch, INTERNAL),
        (Error::InvalidMnemonic, Reason::BadRequest, INVALID_PARAMS),
        (
            Error::BadRequest("x".into()),
            Reason::BadRequest,
            INVALID_PARAMS,
        ),
        // A failed random number generator is not a missing share.
        (Error::Rng, Reason::RngUnavailable, INTERNAL),
    ];
    for (error, reason, code) in cases {
        assert_eq!(error.reason(), reason);
        let rpc = RpcError::from(error);
        assert_eq!((rpc.reason, rpc.code), (reason, code));
    }
    assert_eq!(Error::Rng.reason(), "RNG_UNAVAILABLE");
}

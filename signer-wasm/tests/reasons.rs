//! The closed list of RPC reasons (the wire crate's, generated into the
//! host SDK): every core error mapped to its own reason.
#![allow(clippy::unwrap_used)]

use keyframe_signer::flows::RpcError;
use keyframe_signer::flows::error::{INTERNAL, INVALID_PARAMS};
use keyframe_signer::{Error, Reason};

#[test]
fn wire_form_is_the_serde_form() {
    for &reason in Reason::ALL {
        assert_eq!(
            serde_json::to_value(reason).unwrap(),
            serde_json::json!(reason.as_str())
        );
        assert_eq!(reason.to_string(), reason.as_str());
    }
}

// That the SDK lists the same reasons is checked where its list is
// generated: wire/src/ts.rs (iframe-host/sdk/src/wire.ts).

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

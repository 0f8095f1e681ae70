//! The one error type of the signer core.
//!
//! Variants are coarse on purpose: a failure to open or combine secret
//! material says *that* it failed, never which byte or which check, so an
//! error message cannot leak anything about a secret. Every variant maps to a
//! stable [`Reason`] that JS and the iFrame protocol can branch on
//! (docs/api.md).

/// Errors of the signer core.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Input that does not parse or violates its schema. The message names
    /// the field, never secret content.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A mnemonic with unknown words, a wrong length or a bad checksum.
    #[error("invalid mnemonic")]
    InvalidMnemonic,
    /// A raw private key that is not a valid secp256k1 scalar.
    #[error("invalid private key")]
    InvalidPrivateKey,
    /// A share envelope that is truncated, has an unknown format version or
    /// is otherwise malformed.
    #[error("malformed share")]
    MalformedShare,
    /// Shares of different wallets, devices, versions or polynomials, or a
    /// combined secret whose addresses differ from the wallet's.
    #[error("shares do not belong together or do not match the wallet")]
    ShareMismatch,
    /// The recovery password does not open the cold share.
    #[error("wrong password")]
    WrongPassword,
    /// A recovery password shorter than the minimum length.
    #[error("recovery password must be at least {0} characters")]
    WeakPassword(usize),
    /// A recovery envelope whose ciphertext or parameters were altered, or
    /// an automatic-recovery key that does not open it.
    #[error("cold share cannot be opened")]
    CorruptCiphertext,
    /// The address asked to sign with is not this wallet's.
    #[error("address is not this wallet's")]
    WrongAddress,
    /// The operation needs a wallet kind this wallet is not (for example a
    /// Solana signature from an imported raw EVM key).
    #[error("not supported for this wallet")]
    Unsupported,
    /// The platform's random number generator failed.
    #[error("random number generator unavailable")]
    Rng,
}

impl Error {
    /// The stable reason (docs/api.md, "iFrame RPC errors") this error
    /// reports as.
    pub fn reason(&self) -> Reason {
        match self {
            Error::BadRequest(_)
            | Error::InvalidMnemonic
            | Error::InvalidPrivateKey
            | Error::WeakPassword(_)
            | Error::WrongAddress
            | Error::Unsupported => Reason::BadRequest,
            Error::MalformedShare | Error::ShareMismatch | Error::CorruptCiphertext => {
                Reason::ShareMismatch
            }
            Error::WrongPassword => Reason::WrongPassword,
            Error::Rng => Reason::RngUnavailable,
        }
    }
}

pub use keyframe_wire::rpc::Reason;

/// Result with the core's error.
pub type Result<T, E = Error> = core::result::Result<T, E>;

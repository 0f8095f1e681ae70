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

/// The reasons a caller can branch on (`error.data.reason` of the iFrame
/// protocol, docs/api.md), closed. The host SDK keeps the same list in
/// iframe-host/sdk/src/errors.ts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    AuthRequired,
    AuthExpired,
    NoWallet,
    RecoveryRequired,
    WrongPassword,
    ShareUnavailable,
    ShareMismatch,
    PolicyDenied,
    RateLimited,
    StorageUnavailable,
    Timeout,
    BadRequest,
    /// The platform's random number generator failed: nothing was changed.
    RngUnavailable,
    /// The user pressed "Reject" (or Escape) on the iFrame's approval
    /// screen: nothing was signed, shown or changed (code 4001).
    UserRejected,
}

impl Reason {
    /// Every reason, in the order of the SDK's list.
    pub const ALL: [Reason; 14] = [
        Reason::AuthRequired,
        Reason::AuthExpired,
        Reason::NoWallet,
        Reason::RecoveryRequired,
        Reason::WrongPassword,
        Reason::ShareUnavailable,
        Reason::ShareMismatch,
        Reason::PolicyDenied,
        Reason::RateLimited,
        Reason::StorageUnavailable,
        Reason::Timeout,
        Reason::BadRequest,
        Reason::RngUnavailable,
        Reason::UserRejected,
    ];

    /// The wire form, e.g. `"WRONG_PASSWORD"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AuthRequired => "AUTH_REQUIRED",
            Reason::AuthExpired => "AUTH_EXPIRED",
            Reason::NoWallet => "NO_WALLET",
            Reason::RecoveryRequired => "RECOVERY_REQUIRED",
            Reason::WrongPassword => "WRONG_PASSWORD",
            Reason::ShareUnavailable => "SHARE_UNAVAILABLE",
            Reason::ShareMismatch => "SHARE_MISMATCH",
            Reason::PolicyDenied => "POLICY_DENIED",
            Reason::RateLimited => "RATE_LIMITED",
            Reason::StorageUnavailable => "STORAGE_UNAVAILABLE",
            Reason::Timeout => "TIMEOUT",
            Reason::BadRequest => "BAD_REQUEST",
            Reason::RngUnavailable => "RNG_UNAVAILABLE",
            Reason::UserRejected => "USER_REJECTED",
        }
    }
}

impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets callers (and tests) compare a reason with its wire form.
impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Result with the core's error.
pub type Result<T, E = Error> = core::result::Result<T, E>;

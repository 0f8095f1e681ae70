//! "What you sign, in words": decoders that turn a signing request into a
//! structured description a person can read before approving it.
//!
//! This module owns the description format ([`Intent`]), the context it is
//! judged against ([`Context`]) and one decoder per request kind:
//!
//! * [`describe_personal_sign`] — EIP-191 text or hex, EIP-4361 sign-in;
//! * [`describe_typed_data`] — EIP-712, with ERC-2612, DAI and Permit2
//!   permits said in one sentence;
//! * [`describe_evm_transaction`] — legacy, EIP-2930 and EIP-1559
//!   transactions with ERC-20/721/1155 and Permit2 calldata;
//! * [`describe_solana_transaction`] and [`describe_solana_message`].
//!
//! [`policy`] maps the same requests, through the same parsers, to the
//! canonical intent a policy judges (`keyframe_policy::Intent`).
//!
//! Decoders never guess: an amount of a token that is not in the token list
//! is shown in raw units by the token's address, and a request the signer
//! would refuse is refused here too ([`crate::Error::BadRequest`]), so the
//! screen never shows something that cannot be signed. Warning codes are
//! stable (docs/intent.md lists them).

mod abi;
mod calldata;
mod evm_tx;
mod message;
mod permit;
pub mod policy;
mod siwe;
mod sol;
mod sol_ix;
mod time;
mod tokens;
mod typed;
mod units;

pub use calldata::KNOWN_SELECTORS;
pub use evm_tx::{MAX_BATCH, describe_evm_batch, describe_evm_transaction};
pub use message::{describe_personal_sign, describe_solana_message};
pub use siwe::{SiweMessage, parse_siwe};
pub use sol::describe_solana_transaction;
pub use time::{format_unix, parse_rfc3339};
pub use tokens::{Token, TokenList};
pub use typed::describe_typed_data;
pub use units::format_units;

use serde::{Deserialize, Serialize};

/// What a request asks the user to sign, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intent {
    /// What kind of request this is.
    pub kind: IntentKind,
    /// A heading, e.g. "Sign in", "Sign message", "Send transaction".
    pub title: String,
    /// One sentence saying what the signature allows, when the decoder
    /// recognised it ("Lets 0x… spend 10 USDC until …").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Ordered fields; a field may have children (EIP-712 structs, arrays,
    /// Solana instructions).
    pub fields: Vec<Field>,
    /// What the user should know before approving, most severe first as
    /// found.
    pub warnings: Vec<Warning>,
    /// The raw data behind the description (hex calldata, the message text
    /// or hex), for a "show raw data" toggle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

/// The kinds of request a decoder describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKind {
    /// EIP-191 `personal_sign` of text or bytes.
    Message,
    /// EIP-191 `personal_sign` of an EIP-4361 message.
    SignIn,
    /// EIP-712 typed data.
    TypedData,
    /// An EVM transaction.
    EvmTransaction,
    /// `solana_signMessage`.
    SolanaMessage,
    /// A Solana transaction.
    SolanaTransaction,
}

/// One labelled value of a description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// What the value is ("To", "Value", "spender").
    pub label: String,
    /// The value as shown.
    pub value: String,
    /// Nested fields (struct members, array elements, instruction details).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Field>,
}

impl Field {
    /// A leaf field.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Field {
            label: label.into(),
            value: value.into(),
            children: Vec::new(),
        }
    }

    /// A field with children.
    pub fn tree(label: impl Into<String>, value: impl Into<String>, children: Vec<Field>) -> Self {
        Field {
            label: label.into(),
            value: value.into(),
            children,
        }
    }
}

/// Stable warning codes (docs/intent.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum WarningCode {
    /// An approval or permit whose amount is the type's maximum.
    UnlimitedApproval,
    /// An approval or permit: someone else may move your tokens.
    Approval,
    /// `setApprovalForAll(…, true)`: every token of the collection.
    ApprovalForAll,
    /// The SIWE domain (scheme, host or port) is not the embedding origin.
    SiweDomainMismatch,
    /// The SIWE address is not the wallet's.
    SiweAddressMismatch,
    /// The SIWE chain is not the active chain.
    SiweChainMismatch,
    /// The SIWE expiration time has passed.
    SiweExpired,
    /// The SIWE not-before time is in the future.
    SiweNotYetValid,
    /// Text that claims to be a SIWE message but does not follow EIP-4361.
    SiweMalformed,
    /// An EIP-712 domain without `chainId`: the signature is valid on every
    /// chain.
    NoChainId,
    /// A transaction that deploys a contract.
    ContractCreation,
    /// Calldata with a selector this decoder does not know.
    UnknownContractCall,
    /// A Solana instruction of a program this decoder does not know.
    UnknownProgram,
    /// An instruction of a known Solana program that this decoder does not
    /// read (for example SPL Token `SetAuthority` or `CloseAccount`).
    UnknownInstruction,
    /// Solana accounts loaded from address lookup tables, which the decoder
    /// cannot name offline.
    UnresolvedLookupAccounts,
    /// Bytes that are not printable text, shown as hex.
    BinaryMessage,
}

/// A warning: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The stable code.
    pub code: WarningCode,
    /// What it means for this request.
    pub message: String,
}

pub use crate::chains::{ChainList, Network};

/// What a request is judged against. Everything here comes from the iFrame
/// itself, never from the request: the origin it saw at `connect`, the
/// wallet's own addresses, the active chain, the clock and the token list
/// the provider serves.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The embedding origin, e.g. `https://app.example:8443`.
    pub origin: String,
    /// The wallet's EVM address.
    pub evm_address: Option<[u8; 20]>,
    /// The wallet's Solana public key.
    pub solana_address: Option<[u8; 32]>,
    /// The active EVM chain.
    pub chain_id: u64,
    /// The chains the provider serves: names and native currencies, of
    /// the active chain and of any chain a request names.
    pub chains: ChainList,
    /// Now, in seconds since the Unix epoch.
    pub now: u64,
    /// Known tokens.
    pub tokens: TokenList,
}

impl Context {
    /// The active network, if the provider lists it.
    pub(crate) fn active_network(&self) -> Option<&Network> {
        self.chains.get(self.chain_id)
    }

    /// "Ethereum (1)", or "Chain 1" for a chain the provider does not list.
    pub(crate) fn chain_name(&self, chain_id: u64) -> String {
        self.chains.describe(chain_id)
    }
}

/// Collects fields and warnings while a decoder runs.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    pub fields: Vec<Field>,
    pub warnings: Vec<Warning>,
}

impl Builder {
    pub fn field(&mut self, label: impl Into<String>, value: impl Into<String>) {
        self.fields.push(Field::new(label, value));
    }

    pub fn warn(&mut self, code: WarningCode, message: impl Into<String>) {
        self.warnings.push(Warning {
            code,
            message: message.into(),
        });
    }

    /// Adds a warning unless one with the same code is there already.
    pub fn warn_once(&mut self, code: WarningCode, message: impl Into<String>) {
        if !self.warnings.iter().any(|w| w.code == code) {
            self.warn(code, message);
        }
    }
}

pub(crate) fn bad(msg: impl Into<String>) -> crate::Error {
    crate::Error::BadRequest(msg.into())
}

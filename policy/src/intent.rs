//! The policy's view of a request: one canonical, decoded intent per
//! signing request, plain data. The signer builds it from its decoders
//! (signer-wasm/src/intent/policy.rs); the simulator and the CLI read it as
//! JSON. Every method maps to exactly one kind, so a transaction cannot be
//! passed off as a message.

use crate::Amount;
use serde::{Deserialize, Serialize};

/// The kinds of request a policy can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// EIP-191 `personal_sign` (text, bytes or a SIWE message).
    EvmMessage,
    /// EIP-712 typed data.
    EvmTypedData,
    /// An EVM transaction.
    EvmTransaction,
    /// `solana_signMessage`.
    SolanaMessage,
    /// A Solana transaction.
    SolanaTransaction,
}

impl Kind {
    /// The name used in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::EvmMessage => "evm_message",
            Kind::EvmTypedData => "evm_typed_data",
            Kind::EvmTransaction => "evm_transaction",
            Kind::SolanaMessage => "solana_message",
            Kind::SolanaTransaction => "solana_transaction",
        }
    }
}

/// A movement of tokens the request makes (ERC-20 `transfer` and
/// `transferFrom`, SPL `TransferChecked`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenTransfer {
    /// The token contract (EVM) or mint (Solana).
    pub token: String,
    /// The recipient.
    pub to: String,
    /// The amount in the token's base units.
    pub amount: Amount,
}

/// A permission the request grants someone else over the wallet's tokens
/// (ERC-20 `approve` / `increaseAllowance`, ERC-2612 / DAI / Permit2
/// permits, `setApprovalForAll`, SPL `Approve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The token contract or mint.
    pub token: String,
    /// Who may spend.
    pub spender: String,
    /// The amount in base units; absent for "every token of the
    /// collection" (`setApprovalForAll`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

/// The EIP-712 domain and primary type of a typed-data request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypedData {
    /// `domain.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `domain.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `domain.chainId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<u64>,
    /// `domain.verifyingContract`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifying_contract: Option<String>,
    /// `primaryType`.
    pub primary_type: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One request, as a policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    /// What kind of request this is.
    pub kind: Kind,
    /// The EVM chain id (transactions: the transaction's; messages and
    /// typed data: the active chain). Absent for Solana.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<u64>,
    /// The embedding origin the iFrame accepted at `connect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The account the request pays or calls: an EVM transaction's `to`;
    /// the destination of a Solana transaction's System transfers when
    /// they all go to one account. Absent for a contract creation and for
    /// messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Native value in wei (EVM transactions).
    #[serde(default, skip_serializing_if = "Amount::is_zero")]
    pub value: Amount,
    /// The 4-byte selector of an EVM call (`0xa9059cbb`), lowercase; for
    /// call data of 1 to 3 bytes, the data itself (`0x01`): still a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Token movements the decoder read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_transfers: Vec<TokenTransfer>,
    /// Approvals the request grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// The EIP-712 domain summary (typed data only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typed_data: Option<TypedData>,
    /// The domain of an EIP-4361 sign-in message (`example.com:8443`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siwe_domain: Option<String>,
    /// The program ids a Solana transaction invokes, in order, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// Lamports a Solana transaction moves with System transfers.
    #[serde(default, skip_serializing_if = "Amount::is_zero")]
    pub lamports: Amount,
    /// The most the request can pay in fees, in the chain's native unit:
    /// an EVM transaction's gas limit × `maxFeePerGas` (or `gasPrice`), in
    /// wei; a Solana transaction's signature and priority fees, in
    /// lamports; `0` for messages and typed data, which pay none; the
    /// largest amount for a fee that cannot be bounded (docs/policy.md,
    /// "What counts"). Absent means **unknown**, not zero: an intent from
    /// a signer that predates this field, or one written without it, is
    /// judged as paying an unknown fee, which no `fee_at_most` bound
    /// holds, so a rule about fees never loosens for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fee: Option<Amount>,
    /// The request is a bare 32-byte digest (`eth_sign`): it says nothing
    /// about what it authorises, so no rule ever allows it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub raw_digest: bool,
}

impl Intent {
    /// An intent of `kind` with nothing else known (its fee included:
    /// `max_fee` is `None`).
    pub fn new(kind: Kind) -> Intent {
        Intent {
            kind,
            chain: None,
            origin: None,
            to: None,
            value: Amount::ZERO,
            selector: None,
            token_transfers: Vec::new(),
            approvals: Vec::new(),
            typed_data: None,
            siwe_domain: None,
            programs: Vec::new(),
            lamports: Amount::ZERO,
            max_fee: None,
            raw_digest: false,
        }
    }

    /// The sum of this request's transfers of `token` (saturating).
    pub fn token_amount(&self, token: &str) -> Amount {
        self.token_transfers
            .iter()
            .filter(|t| crate::syntax::same_address(&t.token, token))
            .fold(Amount::ZERO, |acc, t| acc.saturating_add(t.amount))
    }
}

//! The signing methods' requests (docs/api.md): each method's `params` read
//! once, into what would be signed, and the policy's intent of it built by
//! one function per method. The iFrame's signing handlers and
//! `keyframe_simulate` both go through these, so the simulator judges
//! exactly what the signing path would judge (tests/intent/signing.rs).
//!
//! Reading refuses malformed params with `BAD_REQUEST`; checks that need the
//! session (the address is this wallet's) stay with the handlers.

use keyframe_policy::Intent;
use keyframe_wire::rpc::Method;
use serde_json::Value;

use crate::flows::{RpcError, RpcResult};
use crate::intent::{Context, policy};
use crate::params::{decode_b64, field, object_param, positional, str_field};
use crate::{evm, solana};

/// `personal_sign`: `[message, address]`.
pub struct PersonalSign {
    pub address: String,
    /// The message's bytes as EIP-191 signs them (hex decoded, or UTF-8).
    pub message: Vec<u8>,
}

impl PersonalSign {
    pub fn read(params: &Value) -> RpcResult<PersonalSign> {
        let items = positional(params, 2)?;
        let message = text(&items[0], "message")?;
        Ok(PersonalSign {
            address: text(&items[1], "address")?.to_owned(),
            message: evm::personal_sign_message_bytes(message),
        })
    }

    pub fn intent(&self, ctx: &Context) -> Intent {
        policy::personal_sign_intent(&self.message, ctx)
    }
}

/// `eth_signTypedData_v4`: `[address, typedData]`, the typed data as a JSON
/// string or an object.
pub struct TypedData {
    pub address: String,
    /// The typed data as JSON text.
    pub typed: String,
}

impl TypedData {
    pub fn read(params: &Value) -> RpcResult<TypedData> {
        let items = positional(params, 2)?;
        let address = text(&items[0], "address")?.to_owned();
        let typed = match &items[1] {
            Value::String(text) => text.clone(),
            v @ Value::Object(_) => keyframe_json::to_text(v),
            _ => {
                return Err(RpcError::bad_params(
                    "typed data must be a JSON string or object",
                ));
            }
        };
        Ok(TypedData { address, typed })
    }

    pub fn intent(&self, ctx: &Context) -> RpcResult<Intent> {
        Ok(policy::typed_data_intent(&self.typed, ctx)?)
    }
}

/// `eth_signTransaction`: one transaction object.
pub struct EvmTransaction {
    pub tx: Value,
}

impl EvmTransaction {
    pub fn read(params: &Value) -> RpcResult<EvmTransaction> {
        let tx = object_param(params)?.clone();
        from_of(&tx)?;
        Ok(EvmTransaction { tx })
    }

    /// The `from` the request names, if any.
    pub fn from(&self) -> Option<&str> {
        self.tx.get("from").and_then(Value::as_str)
    }

    pub fn intent(&self, ctx: &Context) -> RpcResult<Intent> {
        Ok(policy::evm_transaction_intent(&self.tx, ctx)?)
    }
}

/// `keyframe_signTransactions`: `{ transactions: [..] }`, signed in order.
pub struct EvmBatch {
    pub txs: Vec<Value>,
}

impl EvmBatch {
    pub fn read(params: &Value) -> RpcResult<EvmBatch> {
        let txs = field(object_param(params)?, "transactions")?
            .as_array()
            .ok_or_else(|| RpcError::bad_params("params.transactions must be an array"))?
            .clone();
        for tx in &txs {
            from_of(tx)?;
        }
        Ok(EvmBatch { txs })
    }

    /// The `from` each transaction names, where it names one.
    pub fn froms(&self) -> impl Iterator<Item = &str> {
        self.txs
            .iter()
            .filter_map(|tx| tx.get("from").and_then(Value::as_str))
    }

    /// The batch's intent (the whole) and its transactions' (the parts).
    pub fn intents(&self, ctx: &Context) -> RpcResult<(Intent, Vec<Intent>)> {
        let whole = policy::evm_batch_intent(&self.txs, ctx)?;
        let parts = self
            .txs
            .iter()
            .map(|tx| policy::evm_transaction_intent(tx, ctx))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((whole, parts))
    }
}

/// `solana_signMessage`: `{ message: base64 }`. A "message" that parses as
/// a transaction could authorise one, so it is refused.
pub struct SolanaMessage {
    pub message: Vec<u8>,
}

impl SolanaMessage {
    pub fn read(params: &Value) -> RpcResult<SolanaMessage> {
        let message = decode_b64(str_field(object_param(params)?, "message")?, "message")?;
        if solana::is_transaction_message(&message) {
            return Err(RpcError::bad_params(
                "message is a Solana transaction; use solana_signTransaction",
            ));
        }
        Ok(SolanaMessage { message })
    }

    pub fn intent(&self, ctx: &Context) -> Intent {
        policy::solana_message_intent(ctx)
    }
}

/// `solana_signTransaction`: `{ transaction: base64 }`.
pub struct SolanaTransaction {
    pub tx: Vec<u8>,
}

impl SolanaTransaction {
    pub fn read(params: &Value) -> RpcResult<SolanaTransaction> {
        let tx = decode_b64(
            str_field(object_param(params)?, "transaction")?,
            "transaction",
        )?;
        Ok(SolanaTransaction { tx })
    }

    pub fn intent(&self, ctx: &Context) -> RpcResult<Intent> {
        Ok(policy::solana_transaction_intent(&self.tx, ctx)?)
    }
}

/// A request of any signing method, read from its params.
pub enum SigningRequest {
    PersonalSign(PersonalSign),
    TypedData(TypedData),
    EvmTransaction(EvmTransaction),
    EvmBatch(EvmBatch),
    SolanaMessage(SolanaMessage),
    SolanaTransaction(SolanaTransaction),
    /// `eth_sign`: never signed (an opaque digest), but judged as one.
    EthSign,
}

impl SigningRequest {
    /// `params` of `method` as its signing handler reads them; `None` for a
    /// method that signs nothing.
    pub fn read(method: Method, params: &Value) -> Option<RpcResult<SigningRequest>> {
        // Exhaustive: a method added to the wire list must say whether it
        // signs.
        Some(match method {
            Method::PersonalSign => PersonalSign::read(params).map(SigningRequest::PersonalSign),
            Method::EthSignTypedDataV4 => TypedData::read(params).map(SigningRequest::TypedData),
            Method::EthSignTransaction => {
                EvmTransaction::read(params).map(SigningRequest::EvmTransaction)
            }
            Method::SignTransactions => EvmBatch::read(params).map(SigningRequest::EvmBatch),
            Method::SolanaSignMessage => {
                SolanaMessage::read(params).map(SigningRequest::SolanaMessage)
            }
            Method::SolanaSignTransaction => {
                SolanaTransaction::read(params).map(SigningRequest::SolanaTransaction)
            }
            Method::EthSign => Ok(SigningRequest::EthSign),
            Method::Ping
            | Method::SetAuth
            | Method::Status
            | Method::Chains
            | Method::Logout
            | Method::CreateWallet
            | Method::ImportWallet
            | Method::Recover
            | Method::ListDevices
            | Method::RevokeDevice
            | Method::Export
            | Method::SetRecovery
            | Method::DownloadBackup
            | Method::EthAccounts
            | Method::EthRequestAccounts
            | Method::EthChainId
            | Method::SwitchEthereumChain
            | Method::Simulate
            | Method::Activity => return None,
        })
    }

    /// The policy's intent of the request and, for a batch, of its parts:
    /// the very functions the signing handlers call.
    pub fn policy_intent(&self, ctx: &Context) -> RpcResult<(Intent, Vec<Intent>)> {
        let one = match self {
            SigningRequest::PersonalSign(r) => r.intent(ctx),
            SigningRequest::TypedData(r) => r.intent(ctx)?,
            SigningRequest::EvmTransaction(r) => r.intent(ctx)?,
            SigningRequest::EvmBatch(r) => return r.intents(ctx),
            SigningRequest::SolanaMessage(r) => r.intent(ctx),
            SigningRequest::SolanaTransaction(r) => r.intent(ctx)?,
            SigningRequest::EthSign => policy::raw_digest_intent(ctx),
        };
        Ok((one, Vec::new()))
    }
}

fn text<'a>(v: &'a Value, what: &str) -> RpcResult<&'a str> {
    v.as_str()
        .ok_or_else(|| RpcError::bad_params(format!("{what} must be a string")))
}

/// A transaction's `from`, which must be a string when present.
fn from_of(tx: &Value) -> RpcResult<Option<&str>> {
    tx.get("from")
        .map(|from| {
            from.as_str()
                .ok_or_else(|| RpcError::bad_params("from must be a string"))
        })
        .transpose()
}

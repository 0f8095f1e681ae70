//! The token list: names and decimals of known tokens, by chain and
//! address. The format is the `tokens` array of the Uniswap token-list
//! standard (chainId, address, symbol, decimals, name); other keys are
//! ignored. The iFrame gets the list hot storage serves (`GET /v2/tokens`;
//! its default is hot-storage-service/defaults/tokens.json).

use super::Context;
use super::bad;
use super::units::{format_units, is_unlimited};
use crate::Result;
use crate::evm::parse_address;
use alloy_primitives::U256;
use keyframe_wire::catalog::TokenList as WireTokenList;

/// A known token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Contract address.
    pub address: [u8; 20],
    /// Ticker, e.g. "USDC".
    pub symbol: String,
    /// Decimals of the token's amounts.
    pub decimals: u8,
    /// Full name, e.g. "USD Coin".
    pub name: String,
}

/// Known tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenList {
    tokens: Vec<Token>,
}

impl TokenList {
    /// Parses a token-list JSON document (`{"tokens": [...]}`) and checks
    /// it by the rules of [`keyframe_wire::catalog::TokenList::check`]
    /// (the ones hot storage applies to the list it serves): every address
    /// valid (EIP-55 when mixed case), symbols of 1–16 printable ASCII
    /// characters, at most 77 decimals, no address listed twice on one
    /// chain (two names for one token would be a guess).
    pub fn from_json(json: &str) -> Result<TokenList> {
        let raw: WireTokenList =
            serde_json::from_str(json).map_err(|e| bad(format!("token list: {e}")))?;
        TokenList::from_wire(&raw)
    }

    /// The list as `GET /v2/tokens` serves it, checked.
    pub fn from_wire(raw: &WireTokenList) -> Result<TokenList> {
        raw.check().map_err(|e| bad(format!("token list: {e}")))?;
        let mut tokens = Vec::with_capacity(raw.tokens.len());
        for (i, t) in raw.tokens.iter().enumerate() {
            tokens.push(Token {
                chain_id: t.chain_id,
                address: parse_address(&format!("tokens[{i}].address"), &t.address)?,
                symbol: t.symbol.clone(),
                decimals: t.decimals,
                name: t.name.clone(),
            });
        }
        Ok(TokenList { tokens })
    }

    /// The token at `address` on `chain_id`, if listed.
    pub fn get(&self, chain_id: u64, address: &[u8; 20]) -> Option<&Token> {
        self.tokens
            .iter()
            .find(|t| t.chain_id == chain_id && t.address == *address)
    }

    /// How many tokens are listed.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// An address as shown: EIP-55, marked when it is the wallet's own.
pub(crate) fn show_address(ctx: &Context, a: &[u8; 20]) -> String {
    let s = crate::evm::checksum_address(a);
    if ctx.evm_address.as_ref() == Some(a) {
        format!("{s} (you)")
    } else {
        s
    }
}

/// A token as named in a sentence: "USDC (0x…)" when listed, else its
/// address.
pub(crate) fn show_token(ctx: &Context, chain_id: u64, token: &[u8; 20]) -> String {
    let addr = crate::evm::checksum_address(token);
    match ctx.tokens.get(chain_id, token) {
        Some(t) => format!("{} ({addr})", t.symbol),
        None => format!("token {addr}"),
    }
}

/// An amount of `token`: "Unlimited USDC", "1.5 USDC", or raw units by
/// address when the token is not listed — never a guessed decimals.
pub(crate) fn show_amount(ctx: &Context, chain_id: u64, token: &[u8; 20], amount: U256) -> String {
    let listed = ctx.tokens.get(chain_id, token);
    let unit = match listed {
        Some(t) => t.symbol.clone(),
        None => format!("of token {}", crate::evm::checksum_address(token)),
    };
    if is_unlimited(amount) {
        return format!("Unlimited {unit}");
    }
    match listed {
        Some(t) => format!("{} {unit}", format_units(amount, t.decimals)),
        None => format!("{amount} raw units {unit}"),
    }
}

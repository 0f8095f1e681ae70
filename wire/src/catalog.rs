//! What the provider tells the iFrame about networks: the chains it serves
//! (EIP-3085's `wallet_addEthereumChain` shape) and the token list (the
//! Uniswap token-list format), with the rules both must follow. Hot storage
//! checks an operator's files with [`check_chains`] and
//! [`TokenList::check`] before it starts; the signer reads what it is
//! served through the same types and checks (docs/api.md, `GET /v2/config`
//! and `GET /v2/tokens`).
//!
//! The one hash here is Keccak-256, for the EIP-55 checksum of token
//! addresses: a list with a mistyped address is refused, never served.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha3::{Digest, Keccak256};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Largest chain id: the largest integer a JSON number (and the host SDK's
/// `number`) carries exactly.
pub const MAX_CHAIN_ID: u64 = (1 << 53) - 1;
/// Most decimals a native currency may have.
pub const MAX_NATIVE_DECIMALS: u8 = 36;
/// Most decimals a token may have (2^256 − 1 has 78 digits).
pub const MAX_TOKEN_DECIMALS: u8 = 77;
/// Longest chain or currency name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest symbol: shown inside sentences, so short and printable ASCII.
pub const MAX_SYMBOL_CHARS: usize = 16;
/// Longest URL in a chain entry.
pub const MAX_URL_CHARS: usize = 2048;

/// A list that breaks a rule: where (`chains[2].chainId`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// The JSON path of the offending value.
    pub at: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for CatalogError {}

fn fail<T>(at: impl Into<String>, message: impl Into<String>) -> Result<T, CatalogError> {
    Err(CatalogError {
        at: at.into(),
        message: message.into(),
    })
}

/// An EIP-155 chain id, written as EIP-3085 and `eth_chainId` write it: a
/// `0x`-prefixed hexadecimal string without leading zeros (`"0x7a69"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainId(pub u64);

impl ChainId {
    /// Parses `0x` + 1–14 hex digits (either case), no leading zero, at
    /// most [`MAX_CHAIN_ID`].
    pub fn parse(s: &str) -> Option<ChainId> {
        let digits = s.strip_prefix("0x")?;
        if digits.is_empty()
            || digits.len() > 14
            || (digits.len() > 1 && digits.starts_with('0'))
            || !digits.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        let n = u64::from_str_radix(digits, 16).ok()?;
        (n <= MAX_CHAIN_ID).then_some(ChainId(n))
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

impl Serialize for ChainId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ChainId::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "chainId must be a 0x-prefixed hex number without leading zeros, at most 2^53 - 1 (got {s:?})"
            ))
        })
    }
}

/// A network's native currency (EIP-3085).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct NativeCurrency {
    /// "Ether".
    pub name: String,
    /// "ETH": 1–16 printable ASCII characters.
    pub symbol: String,
    /// At most 36.
    pub decimals: u8,
}

/// One chain the provider serves: the shape of EIP-3085's
/// `wallet_addEthereumChain` parameter. The first chain of a list is where
/// an iFrame starts when its host names none (docs/api.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Chain {
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x[1-9a-fA-F][0-9a-fA-F]*$"))]
    pub chain_id: ChainId,
    /// Shown on the approval screen ("Switch network", the "Network" field).
    pub chain_name: String,
    pub native_currency: NativeCurrency,
    #[serde(default)]
    pub rpc_urls: Vec<String>,
    #[serde(default)]
    pub block_explorer_urls: Vec<String>,
    #[serde(default)]
    pub icon_urls: Vec<String>,
}

/// A chain or currency name: 1–64 characters, no control characters and
/// no Unicode bidirectional controls (they make the text shown differ from
/// the text meant).
fn check_name(at: &str, name: &str) -> Result<(), CatalogError> {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}');
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.trim().is_empty() {
        return fail(at, format!("must be 1 to {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(|c| c.is_control() || bidi(c)) {
        return fail(at, "must not contain control or bidirectional characters");
    }
    Ok(())
}

/// A symbol: 1–16 printable ASCII characters.
fn check_symbol(at: &str, symbol: &str) -> Result<(), CatalogError> {
    if symbol.is_empty()
        || symbol.len() > MAX_SYMBOL_CHARS
        || !symbol.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        return fail(
            at,
            format!("must be 1 to {MAX_SYMBOL_CHARS} printable ASCII characters"),
        );
    }
    Ok(())
}

/// An `http://` or `https://` URL with a host, no whitespace or control
/// characters.
fn check_url(at: &str, url: &str) -> Result<(), CatalogError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !host.starts_with(':') && !host.contains('@')
    });
    if !host_ok
        || url.len() > MAX_URL_CHARS
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return fail(at, format!("{url:?} is not an http(s) URL"));
    }
    Ok(())
}

/// Checks a chain list: at least one chain; ids neither 0 nor listed twice;
/// names 1–64 characters without control characters; native currencies
/// with a printable symbol and at most 36 decimals; every URL http(s).
pub fn check_chains(chains: &[Chain]) -> Result<(), CatalogError> {
    if chains.is_empty() {
        return fail("chains", "the list needs at least one chain");
    }
    for (i, c) in chains.iter().enumerate() {
        let at = |field: &str| format!("chains[{i}].{field}");
        if c.chain_id.0 == 0 {
            return fail(at("chainId"), "0 is not a chain id");
        }
        if chains[..i].iter().any(|o| o.chain_id == c.chain_id) {
            return fail(at("chainId"), format!("{} is listed twice", c.chain_id));
        }
        check_name(&at("chainName"), &c.chain_name)?;
        check_name(&at("nativeCurrency.name"), &c.native_currency.name)?;
        check_symbol(&at("nativeCurrency.symbol"), &c.native_currency.symbol)?;
        if c.native_currency.decimals > MAX_NATIVE_DECIMALS {
            return fail(
                at("nativeCurrency.decimals"),
                format!("at most {MAX_NATIVE_DECIMALS}"),
            );
        }
        for (field, urls) in [
            ("rpcUrls", &c.rpc_urls),
            ("blockExplorerUrls", &c.block_explorer_urls),
            ("iconUrls", &c.icon_urls),
        ] {
            for (j, url) in urls.iter().enumerate() {
                check_url(&at(&format!("{field}[{j}]")), url)?;
            }
        }
    }
    Ok(())
}

/// One token of a token list (the Uniswap token-list format; other keys
/// are ignored when read and not served).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TokenInfo {
    /// EIP-155 chain id (a JSON number, as the token-list format has it).
    #[cfg_attr(test, ts(type = "number"))]
    pub chain_id: u64,
    /// The contract: `0x` + 40 hex digits, EIP-55 when mixed case.
    #[cfg_attr(feature = "openapi", schema(pattern = "^0x[0-9a-fA-F]{40}$"))]
    pub address: String,
    pub symbol: String,
    pub decimals: u8,
    pub name: String,
}

/// `GET /v2/tokens`: the token list the provider serves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenList {
    /// The list's name.
    #[serde(default)]
    pub name: String,
    pub tokens: Vec<TokenInfo>,
}

impl TokenList {
    /// Checks the list: chain ids not 0; every address valid (its EIP-55
    /// checksum when mixed case); symbols of 1–16 printable ASCII
    /// characters; at most 77 decimals; no address listed twice on one
    /// chain (two names for one token would be a guess).
    pub fn check(&self) -> Result<(), CatalogError> {
        let mut seen: Vec<(u64, [u8; 20])> = Vec::with_capacity(self.tokens.len());
        for (i, t) in self.tokens.iter().enumerate() {
            let at = |field: &str| format!("tokens[{i}].{field}");
            if t.chain_id == 0 || t.chain_id > MAX_CHAIN_ID {
                return fail(at("chainId"), "must be 1 to 2^53 - 1");
            }
            let address = parse_address(&t.address).ok_or_else(|| CatalogError {
                at: at("address"),
                message: format!(
                    "{:?} is not an address with a valid EIP-55 checksum",
                    t.address
                ),
            })?;
            check_symbol(&at("symbol"), &t.symbol)?;
            if t.decimals > MAX_TOKEN_DECIMALS {
                return fail(at("decimals"), format!("at most {MAX_TOKEN_DECIMALS}"));
            }
            if seen.contains(&(t.chain_id, address)) {
                return fail(
                    at("address"),
                    format!("listed twice on chain {}", t.chain_id),
                );
            }
            seen.push((t.chain_id, address));
        }
        Ok(())
    }
}

/// `0x` + 40 hex digits; all lower or all upper case, or the EIP-55
/// checksum.
pub fn parse_address(s: &str) -> Option<[u8; 20]> {
    let digits = s.strip_prefix("0x")?;
    if digits.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    hex::decode_to_slice(digits, &mut out).ok()?;
    let lower = digits.bytes().all(|b| !b.is_ascii_uppercase());
    let upper = digits.bytes().all(|b| !b.is_ascii_lowercase());
    (lower || upper || eip55(&out) == s).then_some(out)
}

/// The EIP-55 form of an address.
pub fn eip55(address: &[u8; 20]) -> String {
    let lower = hex::encode(address);
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i.is_multiple_of(2) { 4 } else { 0 })) & 0xf;
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn chain(id: u64) -> Chain {
        Chain {
            chain_id: ChainId(id),
            chain_name: "Test".into(),
            native_currency: NativeCurrency {
                name: "Ether".into(),
                symbol: "ETH".into(),
                decimals: 18,
            },
            rpc_urls: vec!["https://rpc.example".into()],
            block_explorer_urls: vec![],
            icon_urls: vec![],
        }
    }

    #[test]
    fn chain_ids_are_eip_3085_hex() {
        assert_eq!(ChainId::parse("0x7a69"), Some(ChainId(31337)));
        assert_eq!(ChainId::parse("0x7A69"), Some(ChainId(31337)));
        assert_eq!(ChainId(31337).to_string(), "0x7a69");
        for bad in ["7a69", "0x", "0x01", "0xg", "0x20000000000000", "1"] {
            assert_eq!(ChainId::parse(bad), None, "{bad}");
        }
        assert_eq!(
            ChainId::parse("0x1fffffffffffff"),
            Some(ChainId(MAX_CHAIN_ID))
        );
        let c: Chain = serde_json::from_str(
            r#"{"chainId":"0x1","chainName":"Ethereum","nativeCurrency":{"name":"Ether","symbol":"ETH","decimals":18}}"#,
        )
        .unwrap();
        assert_eq!(c.chain_id, ChainId(1));
        assert!(c.rpc_urls.is_empty());
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["chainId"], "0x1");
        assert!(serde_json::from_str::<Chain>(r#"{"chainId":1,"chainName":"x"}"#).is_err());
    }

    #[test]
    fn bad_chain_lists_are_refused_with_their_place() {
        assert!(check_chains(&[chain(1), chain(31337)]).is_ok());
        let cases: Vec<(Vec<Chain>, &str)> = vec![
            (vec![], "chains"),
            (vec![chain(0)], "chains[0].chainId"),
            (vec![chain(1), chain(1)], "chains[1].chainId"),
            (
                vec![Chain {
                    chain_name: String::new(),
                    ..chain(1)
                }],
                "chains[0].chainName",
            ),
            (
                vec![Chain {
                    chain_name: "Eth\u{202e}".into(),
                    ..chain(1)
                }],
                "chains[0].chainName",
            ),
            (
                vec![Chain {
                    native_currency: NativeCurrency {
                        decimals: 37,
                        ..chain(1).native_currency
                    },
                    ..chain(1)
                }],
                "chains[0].nativeCurrency.decimals",
            ),
            (
                vec![Chain {
                    native_currency: NativeCurrency {
                        symbol: String::new(),
                        ..chain(1).native_currency
                    },
                    ..chain(1)
                }],
                "chains[0].nativeCurrency.symbol",
            ),
            (
                vec![Chain {
                    rpc_urls: vec!["ws://rpc.example".into()],
                    ..chain(1)
                }],
                "chains[0].rpcUrls[0]",
            ),
            (
                vec![Chain {
                    block_explorer_urls: vec!["javascript:alert(1)".into()],
                    ..chain(1)
                }],
                "chains[0].blockExplorerUrls[0]",
            ),
            (
                vec![Chain {
                    rpc_urls: vec!["https://".into()],
                    ..chain(1)
                }],
                "chains[0].rpcUrls[0]",
            ),
        ];
        for (list, at) in cases {
            let e = check_chains(&list).unwrap_err();
            assert_eq!(e.at, at, "{e}");
        }
        let mut d = chain(1);
        d.native_currency.decimals = 36;
        assert!(check_chains(&[d]).is_ok());
    }

    fn token(chain_id: u64, address: &str, symbol: &str) -> TokenInfo {
        TokenInfo {
            chain_id,
            address: address.into(),
            symbol: symbol.into(),
            decimals: 6,
            name: "x".into(),
        }
    }

    #[test]
    fn token_lists_that_would_guess_are_refused() {
        let usdc = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
        let list = |tokens| TokenList {
            name: String::new(),
            tokens,
        };
        assert!(
            list(vec![token(1, usdc, "USDC"), token(5, usdc, "USDC")])
                .check()
                .is_ok()
        );
        assert!(
            list(vec![token(1, &usdc.to_lowercase(), "USDC")])
                .check()
                .is_ok()
        );
        for (tokens, at) in [
            (
                vec![token(
                    1,
                    "0xa0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
                    "USDC",
                )],
                "tokens[0].address",
            ),
            (
                vec![token(1, usdc, "USDC"), token(1, usdc, "FAKE")],
                "tokens[1].address",
            ),
            (vec![token(1, usdc, "US\u{202e}DC")], "tokens[0].symbol"),
            (vec![token(1, usdc, "")], "tokens[0].symbol"),
            (vec![token(0, usdc, "USDC")], "tokens[0].chainId"),
        ] {
            assert_eq!(list(tokens).check().unwrap_err().at, at);
        }
        let mut t = token(1, usdc, "USDC");
        t.decimals = 78;
        assert_eq!(list(vec![t]).check().unwrap_err().at, "tokens[0].decimals");
    }

    #[test]
    fn eip55_matches_the_eip_examples() {
        for a in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let bytes = parse_address(a).unwrap();
            assert_eq!(eip55(&bytes), a);
        }
    }
}

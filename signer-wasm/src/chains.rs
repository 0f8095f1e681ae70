//! The chains the provider serves (`GET /v2/config`'s `chains`), as the
//! signer uses them: names and native currencies for the approval screen,
//! which chains `wallet_switchEthereumChain` may reach, and where a
//! document starts. Pure: the iFrame (web/) fetches the list, the core
//! only reads it.

use keyframe_wire::catalog::{Chain, check_chains};

use crate::Result;

/// The native currency of an EVM network, and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The network's name ("Ethereum").
    pub name: String,
    /// The native currency's symbol ("ETH").
    pub symbol: String,
    /// The native currency's decimals.
    pub decimals: u8,
}

/// The chains the provider serves, in its order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainList {
    chains: Vec<(u64, Network)>,
}

impl ChainList {
    /// The list from its wire form; a list that breaks a rule of
    /// `keyframe_wire::catalog::check_chains` is refused (`BAD_REQUEST`).
    pub fn from_wire(chains: &[Chain]) -> Result<ChainList> {
        check_chains(chains).map_err(|e| crate::Error::BadRequest(format!("chain list: {e}")))?;
        Ok(ChainList {
            chains: chains
                .iter()
                .map(|c| {
                    let n = Network {
                        name: c.chain_name.clone(),
                        symbol: c.native_currency.symbol.clone(),
                        decimals: c.native_currency.decimals,
                    };
                    (c.chain_id.0, n)
                })
                .collect(),
        })
    }

    /// Parses `{ "chains": [...] }` (the config answer or a chains file).
    pub fn from_json(json: &str) -> Result<ChainList> {
        #[derive(serde::Deserialize)]
        struct Doc {
            chains: Vec<Chain>,
        }
        let doc: Doc = serde_json::from_str(json)
            .map_err(|e| crate::Error::BadRequest(format!("chain list: {e}")))?;
        ChainList::from_wire(&doc.chains)
    }

    /// The network of `chain_id`, if listed.
    pub fn get(&self, chain_id: u64) -> Option<&Network> {
        self.chains
            .iter()
            .find(|(id, _)| *id == chain_id)
            .map(|(_, n)| n)
    }

    /// Is `chain_id` listed?
    pub fn contains(&self, chain_id: u64) -> bool {
        self.get(chain_id).is_some()
    }

    /// The listed ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.chains.iter().map(|(id, _)| *id)
    }

    /// Where a document starts: the chain its host asked for at `connect`
    /// when listed, else the list's first chain. (An empty list, from a
    /// provider that serves none, leaves the host's chain, else 1; nothing
    /// can be switched to then.)
    pub fn starting_chain(&self, requested: Option<u64>) -> u64 {
        requested
            .filter(|id| self.contains(*id))
            .or_else(|| self.ids().next())
            .or(requested)
            .unwrap_or(1)
    }

    /// "Ethereum (1)", or "Chain 1" when not listed.
    pub fn describe(&self, chain_id: u64) -> String {
        match self.get(chain_id) {
            Some(n) => format!("{} ({chain_id})", n.name),
            None => format!("Chain {chain_id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const TWO: &str = r#"{"chains":[
        {"chainId":"0x7a69","chainName":"Local chain","nativeCurrency":{"name":"Ether","symbol":"ETH","decimals":18}},
        {"chainId":"0x89","chainName":"Polygon","nativeCurrency":{"name":"POL","symbol":"POL","decimals":18}}]}"#;

    #[test]
    fn lookup_by_id_in_the_providers_order() {
        let l = ChainList::from_json(TWO).unwrap();
        assert_eq!(l.ids().collect::<Vec<_>>(), [31337, 137]);
        assert_eq!(l.get(137).unwrap().symbol, "POL");
        assert!(l.contains(31337) && !l.contains(1));
        assert_eq!(l.describe(137), "Polygon (137)");
        assert_eq!(l.describe(1), "Chain 1");
    }

    #[test]
    fn the_start_is_the_hosts_chain_when_listed_else_the_first() {
        let l = ChainList::from_json(TWO).unwrap();
        assert_eq!(l.starting_chain(Some(137)), 137);
        assert_eq!(l.starting_chain(Some(1)), 31337, "unlisted: the first");
        assert_eq!(l.starting_chain(None), 31337);
        let empty = ChainList::default();
        assert_eq!(empty.starting_chain(Some(5)), 5);
        assert_eq!(empty.starting_chain(None), 1);
    }

    #[test]
    fn a_list_that_breaks_a_rule_is_refused() {
        let dup = TWO.replace("0x89", "0x7a69");
        assert!(ChainList::from_json(&dup).is_err());
        assert!(ChainList::from_json(r#"{"chains":[]}"#).is_err());
        assert!(ChainList::from_json("[]").is_err());
    }
}

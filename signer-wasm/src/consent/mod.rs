//! The approval screen's decisions, as pure Rust: what a request shows
//! ([`view`]), the order requests are shown in ([`queue`]), when "Approve"
//! may be pressed ([`gate`]), which chain switches need asking
//! ([`ChainMemory`]), the secrets typed on the screen ([`entry`]), and the
//! one-shot answer a waiting flow awaits ([`slot`]).
//!
//! The browser half (the DOM, IntersectionObserver, the port) is
//! `web/consent/`; everything here runs and is tested natively
//! (docs/architecture.md, "The consent screen").

pub mod entry;
pub mod gate;
pub mod queue;
pub mod slot;
pub mod view;

pub use entry::{Entered, Input, InputKind, Secret};
pub use gate::{
    Click, ClickInput, Gate, MIN_HEIGHT, MIN_MOVE_PX, MIN_VISIBLE_MS, MIN_WIDTH, POINTER_DWELL_MS,
    PointerAt,
};
pub use queue::Queue;
pub use slot::{Outcome, Slot};
pub use view::{Screen, consent_screen, entry_screen, keep_backup_screen, outdated_backup_screen};

/// Which chains this iFrame document may switch to without asking.
///
/// A document starts on one chain, chosen at `connect` (the chain the host
/// names there when the provider lists it, else the list's first:
/// `crate::chains::ChainList::starting_chain`), and may stay there. Every
/// switch to a chain not yet approved in this document is shown to the
/// user; an approval is remembered for the document's life.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChainMemory {
    approved: Vec<u64>,
}

impl ChainMemory {
    /// A document that starts on `chain`.
    pub fn starting_at(chain: u64) -> Self {
        ChainMemory {
            approved: vec![chain],
        }
    }

    /// Does switching to `chain` need the user's approval?
    pub fn needs_approval(&self, chain: u64) -> bool {
        !self.approved.contains(&chain)
    }

    /// The user approved a switch to `chain`: later switches to it are not
    /// asked again in this document.
    pub fn approved(&mut self, chain: u64) {
        if !self.approved.contains(&chain) {
            self.approved.push(chain);
        }
    }

    /// Every chain this document may switch to unasked, the starting one
    /// first: what the second module is handed (web/handover.rs).
    pub fn free_chains(&self) -> &[u64] {
        &self.approved
    }

    /// A document whose free chains are `chains` (from [`Self::free_chains`]).
    pub fn with_free_chains(chains: Vec<u64>) -> Self {
        ChainMemory { approved: chains }
    }
}

#[cfg(test)]
mod tests {
    use super::ChainMemory;

    #[test]
    fn only_the_starting_chain_is_free_and_each_other_chain_is_asked_until_approved() {
        let mut m = ChainMemory::starting_at(31337);
        assert!(!m.needs_approval(31337));
        assert!(m.needs_approval(1), "the first switch is asked too");
        assert!(m.needs_approval(1), "a refusal is not remembered");
        m.approved(1);
        assert!(!m.needs_approval(1));
        assert!(m.needs_approval(10));
        // Before `connect` nothing is free.
        assert!(ChainMemory::default().needs_approval(31337));
    }

    #[test]
    fn free_chains_carry_over_to_a_new_memory() {
        let mut m = ChainMemory::starting_at(31337);
        m.approved(1);
        let carried = ChainMemory::with_free_chains(m.free_chains().to_vec());
        assert!(!carried.needs_approval(31337));
        assert!(!carried.needs_approval(1));
        assert!(carried.needs_approval(10));
    }
}

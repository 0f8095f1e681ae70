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
pub use gate::{Gate, MIN_HEIGHT, MIN_VISIBLE_MS, MIN_WIDTH};
pub use queue::Queue;
pub use slot::{Outcome, Slot};
pub use view::{Screen, entry_screen, keep_backup_screen, outdated_backup_screen, screen_for};

/// Which chains this iFrame document may switch to without asking.
///
/// The first switch of a document is the host SDK setting the chain the
/// dApp was configured with, before anything can be signed; it is taken as
/// the starting chain. Every later switch to a chain not yet approved in
/// this document is shown to the user once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChainMemory {
    started: bool,
    approved: Vec<u64>,
}

impl ChainMemory {
    /// Does switching to `chain` need the user's approval? The starting
    /// chain does not, and is remembered.
    pub fn needs_approval(&mut self, chain: u64) -> bool {
        if !self.started {
            self.started = true;
            self.approved.push(chain);
            return false;
        }
        !self.approved.contains(&chain)
    }

    /// The user approved a switch to `chain`: later switches to it are not
    /// asked again in this document.
    pub fn approved(&mut self, chain: u64) {
        if !self.approved.contains(&chain) {
            self.approved.push(chain);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ChainMemory;

    #[test]
    fn the_starting_chain_is_free_and_each_other_chain_is_asked_until_approved() {
        let mut m = ChainMemory::default();
        assert!(!m.needs_approval(31337), "the first switch sets the start");
        assert!(!m.needs_approval(31337));
        assert!(m.needs_approval(1));
        assert!(m.needs_approval(1), "a refusal is not remembered");
        m.approved(1);
        assert!(!m.needs_approval(1));
        assert!(m.needs_approval(10));
    }
}

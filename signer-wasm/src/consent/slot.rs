//! A one-shot answer: the flow waiting for the user awaits a [`Slot`], the
//! screen fills it once. Single-threaded (the signer's wasm32 realm), so
//! `Rc` and `RefCell` suffice.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::cell::RefCell;
use std::rc::Rc;

/// How a request left the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The user pressed "Approve" (a trusted click, gate open).
    Approved,
    /// The user pressed "Reject" or Escape.
    Rejected,
    /// The host abandoned the request (timeout, closed port).
    Abandoned,
}

#[derive(Default)]
struct State {
    outcome: Option<Outcome>,
    waker: Option<Waker>,
}

/// A one-shot cell with a future that waits for it.
#[derive(Clone, Default)]
pub struct Slot(Rc<RefCell<State>>);

impl Slot {
    pub fn new() -> Self {
        Slot::default()
    }

    /// Fills the slot; the first outcome wins, later ones are ignored.
    pub fn fill(&self, outcome: Outcome) {
        let waker = {
            let mut s = self.0.borrow_mut();
            if s.outcome.is_some() {
                return;
            }
            s.outcome = Some(outcome);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// The outcome, once there is one.
    pub fn outcome(&self) -> Option<Outcome> {
        self.0.borrow().outcome
    }

    /// Resolves with the outcome.
    pub fn wait(&self) -> Wait {
        Wait(self.clone())
    }
}

/// The future of [`Slot::wait`].
pub struct Wait(Slot);

impl Future for Wait {
    type Output = Outcome;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut s = (self.0).0.borrow_mut();
        match s.outcome {
            Some(o) => Poll::Ready(o),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn waits_until_filled_and_the_first_outcome_wins() {
        let slot = Slot::new();
        let mut wait = slot.wait();
        assert_eq!((&mut wait).now_or_never(), None);
        slot.fill(Outcome::Rejected);
        slot.fill(Outcome::Approved);
        assert_eq!(wait.now_or_never(), Some(Outcome::Rejected));
        assert_eq!(slot.outcome(), Some(Outcome::Rejected));
    }
}

//! Requests waiting for the user, shown one at a time in arrival order.
//! Each entry carries the tag of the RPC request that asked (so the host
//! abandoning that request takes it off the screen) and a payload.

use std::collections::VecDeque;

struct Item<T> {
    id: u64,
    tag: Option<String>,
    payload: T,
}

/// A FIFO of waiting requests; the front one is on the screen.
pub struct Queue<T> {
    next: u64,
    items: VecDeque<Item<T>>,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            next: 1,
            items: VecDeque::new(),
        }
    }
}

impl<T> Queue<T> {
    /// Adds a request; returns its id and whether it is now on the screen
    /// (the queue was empty).
    pub fn push(&mut self, tag: Option<String>, payload: T) -> (u64, bool) {
        let id = self.next;
        self.next += 1;
        self.items.push_back(Item { id, tag, payload });
        (id, self.items.len() == 1)
    }

    /// The request on the screen.
    pub fn current(&self) -> Option<(u64, &T)> {
        self.items.front().map(|i| (i.id, &i.payload))
    }

    /// How many wait behind the one on the screen.
    pub fn waiting(&self) -> usize {
        self.items.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Takes request `id` out; `None` when it is gone already. The second
    /// value says whether it was the one on the screen (so the screen must
    /// show the next one, or close).
    pub fn remove(&mut self, id: u64) -> Option<(T, bool)> {
        let at = self.items.iter().position(|i| i.id == id)?;
        let item = self.items.remove(at)?;
        Some((item.payload, at == 0))
    }

    /// The ids of the requests asked by the RPC request `tag`.
    pub fn ids_of(&self, tag: &str) -> Vec<u64> {
        self.items
            .iter()
            .filter(|i| i.tag.as_deref() == Some(tag))
            .map(|i| i.id)
            .collect()
    }

    /// Every id, front first.
    pub fn ids(&self) -> Vec<u64> {
        self.items.iter().map(|i| i.id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Queue;

    #[test]
    fn shows_one_at_a_time_in_order() {
        let mut q = Queue::default();
        let (a, shown) = q.push(Some("1".into()), "a");
        assert!(shown);
        let (b, shown) = q.push(Some("2".into()), "b");
        assert!(!shown, "the second waits");
        assert_eq!(q.current(), Some((a, &"a")));
        assert_eq!(q.waiting(), 1);
        assert_eq!(q.remove(a), Some(("a", true)));
        assert_eq!(q.current(), Some((b, &"b")));
        assert_eq!(q.remove(a), None, "decided once");
        assert_eq!(q.remove(b), Some(("b", true)));
        assert!(q.is_empty());
    }

    #[test]
    fn an_abandoned_request_leaves_wherever_it_is() {
        let mut q = Queue::default();
        let (a, _) = q.push(Some("1".into()), "a");
        let (b, _) = q.push(Some("2".into()), "b");
        let (c, _) = q.push(None, "c");
        assert_eq!(q.ids_of("2"), vec![b]);
        assert_eq!(q.remove(b), Some(("b", false)), "not on the screen");
        assert_eq!(q.current(), Some((a, &"a")));
        assert_eq!(q.ids_of("nope"), Vec::<u64>::new());
        assert_eq!(q.ids(), vec![a, c]);
    }
}

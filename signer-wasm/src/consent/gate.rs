//! When "Approve" may be pressed: only after the screen has been visible,
//! without interruption, for [`MIN_VISIBLE_MS`], and only by a trusted
//! click (docs/architecture.md, "The consent screen").
//!
//! Visibility is the conjunction of three signals the browser layer feeds
//! in: the IntersectionObserver v2 verdict (fully in view, not occluded,
//! not transparent or transformed), the iFrame's own size (at least
//! [`MIN_WIDTH`] × [`MIN_HEIGHT`]), and the document being shown. Where the
//! browser has no IntersectionObserver v2, the first signal is missing and
//! the wait applies alone; the screen then says so.

/// How long the screen must have been visible before Approve works.
pub const MIN_VISIBLE_MS: f64 = 800.0;
/// The smallest iFrame the screen counts as visible in, in CSS pixels.
pub const MIN_WIDTH: f64 = 300.0;
pub const MIN_HEIGHT: f64 = 360.0;

/// The visibility state machine of the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The browser reports occlusion (IntersectionObserver v2).
    tracked: bool,
    observed: bool,
    size_ok: bool,
    page_shown: bool,
    /// Since when all signals have said visible, if they do.
    since: Option<f64>,
    /// Approve stays locked until then whatever the visibility (the wait
    /// after a wrong password, `crate::consent::entry::retry_delay_ms`).
    not_before: f64,
}

impl Gate {
    /// A gate for a browser with (`tracked`) or without IntersectionObserver
    /// v2. Nothing is visible until the signals say so.
    pub fn new(tracked: bool) -> Self {
        Gate {
            tracked,
            observed: false,
            size_ok: false,
            page_shown: false,
            since: None,
            not_before: 0.0,
        }
    }

    /// Does the browser report occlusion?
    pub fn tracked(&self) -> bool {
        self.tracked
    }

    fn visible(&self) -> bool {
        (self.observed || !self.tracked) && self.size_ok && self.page_shown
    }

    fn update(&mut self, now: f64) {
        match (self.visible(), self.since) {
            (true, None) => self.since = Some(now),
            (false, Some(_)) => self.since = None,
            _ => {}
        }
    }

    /// The IntersectionObserver v2 verdict changed.
    pub fn observe(&mut self, now: f64, visible: bool) {
        self.observed = visible;
        self.update(now);
    }

    /// The iFrame's viewport is `width` × `height`.
    pub fn resize(&mut self, now: f64, width: f64, height: f64) {
        self.size_ok = width >= MIN_WIDTH && height >= MIN_HEIGHT;
        self.update(now);
    }

    /// The document was shown or hidden (tab switch, minimised window).
    pub fn page(&mut self, now: f64, shown: bool) {
        self.page_shown = shown;
        self.update(now);
    }

    /// A new request is on the screen: its wait starts now, whatever the
    /// previous one had accumulated.
    pub fn restart(&mut self, now: f64) {
        self.restart_holding(now, 0.0);
    }

    /// As [`Gate::restart`], and Approve stays locked for at least
    /// `hold_ms` whatever the visibility.
    pub fn restart_holding(&mut self, now: f64, hold_ms: f64) {
        self.since = None;
        self.not_before = now + hold_ms.max(0.0);
        self.update(now);
    }

    /// May Approve be pressed at `now`?
    pub fn is_open(&self, now: f64) -> bool {
        now >= self.not_before && self.since.is_some_and(|s| now - s >= MIN_VISIBLE_MS)
    }

    /// Milliseconds until the gate opens if visibility holds; `None` while
    /// not visible.
    pub fn remaining(&self, now: f64) -> Option<f64> {
        self.since
            .map(|s| ((s + MIN_VISIBLE_MS).max(self.not_before) - now).max(0.0))
    }

    /// Does a click on Approve at `now` count? Only a trusted click
    /// (`isTrusted`) through an open gate does.
    pub fn accepts_click(&self, now: f64, trusted: bool) -> bool {
        trusted && self.is_open(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible_at(tracked: bool, t: f64) -> Gate {
        let mut g = Gate::new(tracked);
        g.resize(t, 420.0, 520.0);
        g.page(t, true);
        g.observe(t, true);
        g
    }

    #[test]
    fn opens_after_800_ms_of_uninterrupted_visibility() {
        let g = visible_at(true, 1000.0);
        assert!(!g.is_open(1000.0));
        assert!(!g.is_open(1799.0));
        assert!(g.is_open(1800.0));
        assert_eq!(g.remaining(1300.0), Some(500.0));
    }

    #[test]
    fn a_hold_keeps_approve_locked_past_the_visibility_wait() {
        let mut g = visible_at(true, 0.0);
        g.restart_holding(1000.0, 4000.0);
        assert!(!g.is_open(1800.0), "visible 800 ms, but held");
        assert_eq!(g.remaining(1800.0), Some(3200.0));
        assert!(!g.is_open(4999.0));
        assert!(g.is_open(5000.0));
        g.restart(6000.0);
        assert!(g.is_open(6800.0), "a plain restart drops the hold");
    }

    #[test]
    fn any_loss_of_visibility_restarts_the_wait() {
        let mut g = visible_at(true, 0.0);
        g.observe(700.0, false);
        assert!(!g.is_open(900.0));
        assert_eq!(g.remaining(900.0), None);
        g.observe(1000.0, true);
        assert!(!g.is_open(1700.0));
        assert!(g.is_open(1800.0));
        g.resize(2000.0, 200.0, 520.0);
        assert!(!g.is_open(2000.0), "shrunk below the minimum");
        g.resize(2100.0, 420.0, 520.0);
        assert!(!g.is_open(2800.0));
        assert!(g.is_open(2900.0));
        g.page(3000.0, false);
        assert!(!g.is_open(5000.0), "hidden page");
    }

    #[test]
    fn untrusted_or_early_clicks_are_ignored() {
        let g = visible_at(true, 0.0);
        assert!(!g.accepts_click(100.0, true));
        assert!(!g.accepts_click(900.0, false));
        assert!(g.accepts_click(900.0, true));
    }

    #[test]
    fn a_new_request_waits_its_own_time() {
        let mut g = visible_at(true, 0.0);
        assert!(g.is_open(5000.0));
        g.restart(5000.0);
        assert!(!g.is_open(5500.0));
        assert!(g.is_open(5800.0));
    }

    #[test]
    fn nothing_is_visible_before_the_signals_say_so() {
        let mut g = Gate::new(true);
        g.resize(0.0, 420.0, 520.0);
        g.page(0.0, true);
        assert!(!g.is_open(10_000.0), "no observer verdict yet");
        let mut untracked = Gate::new(false);
        untracked.resize(0.0, 420.0, 520.0);
        assert!(!untracked.is_open(10_000.0), "page visibility unknown");
        untracked.page(0.0, true);
        assert!(
            untracked.is_open(800.0),
            "without IOv2 the wait applies alone"
        );
        untracked.resize(900.0, 100.0, 100.0);
        assert!(!untracked.is_open(2000.0), "size still counts");
    }
}

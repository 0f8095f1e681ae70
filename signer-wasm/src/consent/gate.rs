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
//!
//! A visible screen is not enough against a host that moves the iFrame
//! under a pointer already at rest (between the two clicks of a "double
//! click here" game: a move inside the viewport changes none of the three
//! signals). So a click also needs the input that made it to have come to
//! the screen: a mouse or pen click counts only once the pointer has moved
//! on this screen, [`POINTER_DWELL_MS`] before the click; a keyboard click
//! only once Approve has had the focus as long. "Moved" is a `pointermove`
//! to another screen position than the pointer's last event here: a frame
//! moved, shown or re-laid-out under a pointer at rest gets events from the
//! browser too (a press, the `pointerover` before it, a `pointermove` the
//! browser makes up after a layout), but at the position it last knew,
//! never a new one. A finger arrives with its tap, so it cannot have dwelt:
//! a touch counts only as a press-and-hold, pressed on the screen once the
//! gate was open and held [`POINTER_DWELL_MS`] before its release (a tap
//! the host brought Approve under is over in a tenth of that;
//! docs/architecture.md, "The consent screen").

/// How long the screen must have been visible before Approve works.
pub const MIN_VISIBLE_MS: f64 = 800.0;
/// The smallest iFrame the screen counts as visible in, in CSS pixels.
pub const MIN_WIDTH: f64 = 300.0;
pub const MIN_HEIGHT: f64 = 360.0;
/// How long the pointer must have been on the screen (or Approve focused,
/// for a key) before its click counts.
pub const POINTER_DWELL_MS: f64 = 400.0;

/// How far (CSS px on the device's screen) the pointer must travel on the
/// screen to count as having come to it: a hand's tremor at rest is less.
pub const MIN_MOVE_PX: f64 = 4.0;

/// Where a pointer event put the pointer: on the device's screen
/// (`screenX`, `screenY`) and in the iFrame's viewport (`clientX`,
/// `clientY`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointerAt {
    pub screen: (f64, f64),
    pub client: (f64, f64),
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// What made a click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickInput {
    /// A mouse or a pen: it rests and hovers, so it must have dwelt.
    Pointer,
    /// Enter or Space on the focused button.
    Keyboard,
    /// A finger: it arrives with the tap, so it must have held.
    Touch,
}

/// What the gate makes of a click on Approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    /// It approves.
    Counts,
    /// Not the user's, or the screen is not yet (or no longer) visible
    /// long enough: ignored.
    Ignored,
    /// The screen was visible, but the pointer (or the focus) had only just
    /// arrived: ignored, and the screen says to click again.
    TooSoon,
}

/// The visibility state machine of the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The browser reports occlusion (IntersectionObserver v2).
    tracked: bool,
    observed: bool,
    size_ok: bool,
    /// The iFrame's last size, to tell a change.
    size: Option<(f64, f64)>,
    page_shown: bool,
    /// Since when all signals have said visible, if they do.
    since: Option<f64>,
    /// Approve stays locked until then whatever the visibility (the wait
    /// after a wrong password, `crate::consent::entry::retry_delay_ms`).
    not_before: f64,
    /// Where the pointer's last event on this screen put it, while it
    /// stays.
    pointer_last: Option<PointerAt>,
    /// Where on the device's screen it was first seen since it came (or
    /// since the iFrame last moved under it).
    pointer_first: Option<(f64, f64)>,
    /// Since when the pointer has moved on this screen, if it has.
    pointer_since: Option<f64>,
    /// Since when Approve has had the keyboard focus, if it has.
    focus_since: Option<f64>,
    /// The finger (its `pointerId`) pressed on the screen while the gate
    /// was open, and since when, until it lifts; `None` as well once a
    /// second finger pressed during its hold.
    touch: Option<(i32, f64)>,
    /// How far (CSS px) the content has moved under the pointer while it
    /// stayed put on the device's screen, since it was first seen.
    drift: f64,
}

impl Gate {
    /// A gate for a browser with (`tracked`) or without IntersectionObserver
    /// v2. Nothing is visible until the signals say so.
    pub fn new(tracked: bool) -> Self {
        Gate {
            tracked,
            observed: false,
            size_ok: false,
            size: None,
            page_shown: false,
            since: None,
            not_before: 0.0,
            pointer_last: None,
            pointer_first: None,
            pointer_since: None,
            focus_since: None,
            touch: None,
            drift: 0.0,
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
            (false, Some(_)) => {
                // Whatever moved or hid the screen may have brought it
                // under the pointer: the dwell starts again too.
                self.since = None;
                self.forget_inputs();
            }
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
        // A new size lays the screen out again: Approve (right-aligned)
        // may now be where the pointer or a press already was.
        if self.size != Some((width, height)) {
            self.size = Some((width, height));
            self.forget_inputs();
        }
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
        // A new screen under a resting pointer is not a pointer that came
        // to it.
        self.forget_inputs();
        self.update(now);
    }

    fn forget_inputs(&mut self) {
        self.pointer_last = None;
        self.pointer_first = None;
        self.pointer_since = None;
        self.focus_since = None;
        self.touch = None;
        self.drift = 0.0;
    }

    /// Every pointer event: if the iFrame moved under the pointer since
    /// the last one, what the pointer did before happened on another spot
    /// of the page, and it counts for nothing. A move of the iFrame under a
    /// still pointer changes where the pointer is in the iFrame
    /// (`clientX`/`clientY`) but not on the screen (`screenX`/`screenY`),
    /// and a move of the pointer changes both; thresholds leave room for
    /// rounding and page zoom.
    fn track(&mut self, at: PointerAt) {
        if let Some(last) = self.pointer_last {
            let screen = distance(last.screen, at.screen);
            let client = distance(last.client, at.client);
            // A frame slid under a resting pointer a pixel per event (as
            // the browser reports after each layout) adds up.
            if screen < 0.5 {
                self.drift += client;
            }
            if self.drift >= 2.0 || (screen >= 2.0 && client < 0.5) {
                self.pointer_first = None;
                self.pointer_since = None;
                self.drift = 0.0;
            }
        }
        if self.pointer_first.is_none() {
            self.pointer_first = Some(at.screen);
        }
    }

    /// The screen's content moved under the pointer with the frame
    /// staying put (a scroll, a line that came or went above it): what
    /// the pointer or a finger did before was aimed at something else.
    pub fn content_moved(&mut self) {
        self.pointer_left();
        self.touch = None;
    }

    /// A pointer event other than a move on the screen (`pointerover`, a
    /// press, a release, a wheel): where the pointer is, not that it moved.
    pub fn pointer_seen(&mut self, at: PointerAt) {
        self.track(at);
        self.pointer_last = Some(at);
    }

    /// A `pointermove` on the screen to `at`. The pointer has moved once
    /// such a move takes it [`MIN_MOVE_PX`] from where it was first seen,
    /// to a new spot (a move the browser repeats at the last known spot,
    /// as after a layout, is none).
    pub fn pointer_moved(&mut self, now: f64, at: PointerAt) {
        self.track(at);
        let repeated = self.pointer_last.is_some_and(|l| l.screen == at.screen);
        let far = self
            .pointer_first
            .is_some_and(|f| distance(f, at.screen) >= MIN_MOVE_PX);
        if self.pointer_since.is_none() && !repeated && far {
            self.pointer_since = Some(now);
        }
        self.pointer_last = Some(at);
    }

    /// The pointer left the screen.
    pub fn pointer_left(&mut self) {
        self.pointer_last = None;
        self.pointer_first = None;
        self.pointer_since = None;
        self.drift = 0.0;
    }

    /// The control a key would press (Approve, Reveal, the "Always allow"
    /// box) gained (`focused`) or lost the keyboard focus.
    pub fn control_focus(&mut self, now: f64, focused: bool) {
        self.focus_since = focused.then_some(now);
    }

    /// Finger `id` pressed on the screen. Its hold counts only from a
    /// press made once the gate was open: a screen shown, moved or grown
    /// under a finger already down is not one it pressed. A second finger
    /// during a hold voids it: one finger held down before the gate
    /// opened and another pressed after must not make one hold.
    pub fn touch_pressed(&mut self, now: f64, id: i32) {
        self.touch = match self.touch {
            Some(_) => None,
            None => self.is_open(now).then_some((id, now)),
        };
    }

    /// Finger `id` lifted (after its release was judged) or the browser
    /// took it for a scroll or a zoom.
    pub fn touch_ended(&mut self, id: i32) {
        if self.touch.is_some_and(|(held, _)| held == id) {
            self.touch = None;
        }
    }

    /// What the release of finger `id` on a control at `now` is worth:
    /// it counts only if that very finger pressed on the open screen and
    /// held [`POINTER_DWELL_MS`].
    pub fn touch_released(&self, now: f64, trusted: bool, id: i32) -> Click {
        if !trusted || !self.is_open(now) {
            return Click::Ignored;
        }
        match self.touch {
            Some((held, since)) if held == id && now - since >= POINTER_DWELL_MS => Click::Counts,
            _ => Click::TooSoon,
        }
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

    /// What a click on Approve at `now` made by `input` is worth. Only a
    /// trusted click (`isTrusted`) through an open gate, by an input that
    /// has dwelt on the screen, counts. A finger's click never does: its
    /// release is judged ([`Gate::touch_released`]).
    pub fn click(&self, now: f64, trusted: bool, input: ClickInput) -> Click {
        if !trusted || !self.is_open(now) {
            return Click::Ignored;
        }
        let dwelt = |since: Option<f64>| since.is_some_and(|s| now - s >= POINTER_DWELL_MS);
        let arrived = match input {
            ClickInput::Pointer => dwelt(self.pointer_since),
            ClickInput::Keyboard => dwelt(self.focus_since),
            ClickInput::Touch => false,
        };
        if arrived {
            Click::Counts
        } else {
            Click::TooSoon
        }
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
        let mut g = visible_at(true, 0.0);
        came(&mut g, 0.0);
        assert_eq!(g.click(100.0, true, ClickInput::Pointer), Click::Ignored);
        assert_eq!(g.click(900.0, false, ClickInput::Pointer), Click::Ignored);
        assert_eq!(g.click(900.0, false, ClickInput::Touch), Click::Ignored);
        assert_eq!(g.click(900.0, true, ClickInput::Pointer), Click::Counts);
    }

    /// The pointer at `x`, `y` on the screen, in an iFrame whose viewport
    /// starts at (10, 20) on the screen.
    fn at(x: f64, y: f64) -> PointerAt {
        at_in((10.0, 20.0), x, y)
    }

    fn at_in(frame: (f64, f64), x: f64, y: f64) -> PointerAt {
        PointerAt {
            screen: (x, y),
            client: (x - frame.0, y - frame.1),
        }
    }

    /// A pointer that comes onto the screen at `t`: seen, then moved.
    fn came(g: &mut Gate, t: f64) {
        g.pointer_seen(at(100.0, 100.0));
        g.pointer_moved(t, at(106.0, 101.0));
    }

    #[test]
    fn a_pointer_that_only_just_arrived_does_not_click() {
        let mut g = visible_at(true, 0.0);
        came(&mut g, 5000.0);
        assert_eq!(g.click(5000.0, true, ClickInput::Pointer), Click::TooSoon);
        assert_eq!(g.click(5399.0, true, ClickInput::Pointer), Click::TooSoon);
        assert_eq!(g.click(5400.0, true, ClickInput::Pointer), Click::Counts);
        g.pointer_moved(5500.0, at(150.0, 120.0));
        assert_eq!(
            g.click(5500.0, true, ClickInput::Pointer),
            Click::Counts,
            "moving on the screen keeps the dwell"
        );
        g.pointer_left();
        came(&mut g, 5700.0);
        assert_eq!(
            g.click(6000.0, true, ClickInput::Pointer),
            Click::TooSoon,
            "leaving and coming back starts it again"
        );
        let never_entered = visible_at(true, 0.0);
        assert_eq!(
            never_entered.click(5000.0, true, ClickInput::Pointer),
            Click::TooSoon
        );
    }

    #[test]
    fn a_screen_moved_under_a_resting_pointer_waits_for_the_pointer_to_move() {
        // The host moves the visible iFrame under a pointer at rest. The
        // iFrame sees it arrive and press where it rests; a move the
        // browser might make up comes at a spot it knew before.
        let mut g = visible_at(true, 0.0);
        let moved = (500.0, 30.0);
        g.pointer_moved(5000.0, at(300.0, 200.0));
        g.pointer_seen(at_in(moved, 900.0, 640.0));
        assert_eq!(g.click(5600.0, true, ClickInput::Pointer), Click::TooSoon);
        g.pointer_moved(5700.0, at_in(moved, 900.0, 640.0));
        g.pointer_seen(at_in(moved, 900.0, 640.0));
        assert_eq!(g.click(9000.0, true, ClickInput::Pointer), Click::TooSoon);
        // A twitch of the hand starts the dwell; the click right after it
        // still does not count.
        g.pointer_moved(9100.0, at_in(moved, 906.0, 640.0));
        assert_eq!(g.click(9200.0, true, ClickInput::Pointer), Click::TooSoon);
        assert_eq!(g.click(9500.0, true, ClickInput::Pointer), Click::Counts);
    }

    #[test]
    fn a_pointer_resting_on_the_screen_when_the_frame_moves_starts_again() {
        // The user reads with the pointer on the screen (on Reject, say);
        // the host moves the iFrame so Approve comes under it.
        let mut g = visible_at(true, 0.0);
        came(&mut g, 1000.0);
        assert_eq!(g.click(2000.0, true, ClickInput::Pointer), Click::Counts);
        let press = at_in((-90.0, 20.0), 106.0, 101.0);
        g.pointer_seen(press);
        assert_eq!(g.click(2000.0, true, ClickInput::Pointer), Click::TooSoon);
        assert_eq!(g.click(5000.0, true, ClickInput::Pointer), Click::TooSoon);
        g.pointer_moved(5100.0, at_in((-90.0, 20.0), 112.0, 101.0));
        assert_eq!(g.click(5400.0, true, ClickInput::Pointer), Click::TooSoon);
        assert_eq!(g.click(5500.0, true, ClickInput::Pointer), Click::Counts);
    }

    #[test]
    fn a_tremor_is_not_a_pointer_that_came() {
        let mut g = visible_at(true, 0.0);
        g.pointer_seen(at(500.0, 500.0));
        for (i, dx) in [1.0, 2.0, 3.0, 2.0, 1.0].into_iter().enumerate() {
            g.pointer_moved(1000.0 + 100.0 * i as f64, at(500.0 + dx, 501.0));
        }
        assert_eq!(g.click(3000.0, true, ClickInput::Pointer), Click::TooSoon);
    }

    #[test]
    fn a_new_size_lays_the_screen_out_again() {
        let mut g = visible_at(true, 0.0);
        came(&mut g, 1000.0);
        g.resize(1500.0, 420.0, 520.0);
        assert_eq!(
            g.click(2000.0, true, ClickInput::Pointer),
            Click::Counts,
            "the same size changes nothing"
        );
        g.resize(2000.0, 440.0, 520.0);
        assert_eq!(g.click(3000.0, true, ClickInput::Pointer), Click::TooSoon);
    }

    #[test]
    fn the_dwell_starts_again_with_each_screen_and_each_loss_of_visibility() {
        let mut g = visible_at(true, 0.0);
        came(&mut g, 0.0);
        g.control_focus(0.0, true);
        g.restart(1000.0);
        g.pointer_moved(1100.0, at(106.0, 101.0));
        assert_eq!(
            g.click(3000.0, true, ClickInput::Pointer),
            Click::TooSoon,
            "a new screen shown under a resting pointer"
        );
        assert_eq!(g.click(3000.0, true, ClickInput::Keyboard), Click::TooSoon);
        g.pointer_moved(3000.0, at(112.0, 101.0));
        assert_eq!(g.click(3400.0, true, ClickInput::Pointer), Click::Counts);
        g.observe(3500.0, false);
        g.observe(3600.0, true);
        came(&mut g, 4300.0);
        assert_eq!(g.click(4500.0, true, ClickInput::Pointer), Click::TooSoon);
        assert_eq!(g.click(4700.0, true, ClickInput::Pointer), Click::Counts);
    }

    #[test]
    fn a_key_counts_once_approve_has_had_the_focus_a_moment() {
        let mut g = visible_at(true, 0.0);
        came(&mut g, 0.0);
        assert_eq!(g.click(2000.0, true, ClickInput::Keyboard), Click::TooSoon);
        g.control_focus(2000.0, true);
        assert_eq!(g.click(2399.0, true, ClickInput::Keyboard), Click::TooSoon);
        assert_eq!(g.click(2400.0, true, ClickInput::Keyboard), Click::Counts);
        g.control_focus(2500.0, false);
        assert_eq!(g.click(3000.0, true, ClickInput::Keyboard), Click::TooSoon);
    }

    #[test]
    fn a_finger_counts_only_as_a_press_held_on_the_open_screen() {
        let mut g = visible_at(true, 0.0);
        assert_eq!(g.touch_released(700.0, true, 1), Click::Ignored);
        assert_eq!(
            g.touch_released(5000.0, true, 1),
            Click::TooSoon,
            "no press seen here"
        );
        g.touch_pressed(5000.0, 1);
        assert_eq!(g.touch_released(5080.0, true, 1), Click::TooSoon, "a tap");
        assert_eq!(g.touch_released(5399.0, true, 1), Click::TooSoon);
        assert_eq!(g.touch_released(5400.0, true, 1), Click::Counts);
        assert_eq!(
            g.click(5400.0, true, ClickInput::Touch),
            Click::TooSoon,
            "a finger's click is not its release"
        );
        assert_eq!(
            g.touch_released(6000.0, false, 1),
            Click::Ignored,
            "untrusted"
        );
        g.touch_ended(1);
        assert_eq!(g.touch_released(6000.0, true, 1), Click::TooSoon);
    }

    #[test]
    fn a_press_before_the_gate_opened_or_across_a_change_does_not_hold() {
        // A finger already down when the screen comes (or pressed during
        // its wait) is not one that pressed on the open screen.
        let mut g = visible_at(true, 0.0);
        g.touch_pressed(500.0, 1);
        assert_eq!(g.touch_released(2000.0, true, 1), Click::TooSoon);
        g.touch_ended(1);
        // Held across a new request, a loss of visibility, a new size or
        // content moved under it.
        g.touch_pressed(2000.0, 2);
        g.restart(2100.0);
        assert_eq!(g.touch_released(3500.0, true, 2), Click::TooSoon);
        g.touch_ended(2);
        g.touch_pressed(3500.0, 3);
        g.observe(3600.0, false);
        g.observe(3650.0, true);
        assert_eq!(g.touch_released(5000.0, true, 3), Click::TooSoon);
        g.touch_ended(3);
        g.touch_pressed(5000.0, 4);
        g.resize(5100.0, 440.0, 520.0);
        assert_eq!(g.touch_released(5500.0, true, 4), Click::TooSoon);
        g.touch_ended(4);
        g.touch_pressed(6000.0, 5);
        g.content_moved();
        assert_eq!(g.touch_released(7000.0, true, 5), Click::TooSoon);
        g.touch_ended(5);
        // A mouse that dwelt does not stand in for the finger.
        came(&mut g, 8000.0);
        assert_eq!(g.touch_released(9000.0, true, 6), Click::TooSoon);
    }

    #[test]
    fn a_hold_is_one_finger_s_and_a_second_finger_voids_it() {
        let mut g = visible_at(true, 0.0);
        // Finger 1 down before the gate opened; finger 2 down after; 1
        // lifts on Approve: not a hold of 1, and 2's hold is void.
        g.touch_pressed(300.0, 1);
        g.touch_pressed(1000.0, 2);
        assert_eq!(g.touch_released(2000.0, true, 1), Click::TooSoon);
        g.touch_ended(1);
        g.touch_ended(2);
        // A hold of finger 3, then finger 4 pressed during it: neither.
        g.touch_pressed(3000.0, 3);
        g.touch_pressed(3100.0, 4);
        assert_eq!(g.touch_released(4000.0, true, 3), Click::TooSoon);
        assert_eq!(g.touch_released(4000.0, true, 4), Click::TooSoon);
        g.touch_ended(3);
        g.touch_ended(4);
        // Then one finger alone holds.
        g.touch_pressed(5000.0, 5);
        assert_eq!(g.touch_released(5400.0, true, 5), Click::Counts);
    }

    #[test]
    fn content_moved_or_a_frame_slid_under_a_resting_pointer_starts_the_dwell_again() {
        let mut g = visible_at(true, 0.0);
        came(&mut g, 1000.0);
        assert_eq!(g.click(2000.0, true, ClickInput::Pointer), Click::Counts);
        g.content_moved();
        assert_eq!(g.click(3000.0, true, ClickInput::Pointer), Click::TooSoon);
        // A frame slid a pixel per event under a pointer at rest: each
        // step alone is under the threshold; together they are not.
        came(&mut g, 4000.0);
        let rest = (106.0, 101.0);
        for k in 1..=3 {
            let frame = (10.0 - f64::from(k), 20.0);
            g.pointer_moved(5000.0 + f64::from(k), at_in(frame, rest.0, rest.1));
        }
        assert_eq!(g.click(6000.0, true, ClickInput::Pointer), Click::TooSoon);
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

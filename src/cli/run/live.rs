//! The live line under the trace: a spinner with the steps still running
//! and how long they have taken, redrawn by a ticker. Only when stderr is a
//! terminal; the trace lines themselves are the same either way.
//!
//! Every write to stderr during a run goes through [`Live`], so that a trace
//! line first wipes the live line, is written, and the live line is drawn
//! again under it: the two never interleave.

use crate::runtime::engine::StepRef;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A step is shown once it has run this long: most steps end sooner, and a
/// line that flashes for every one of them would only flicker.
const SHOW_AFTER: Duration = Duration::from_millis(300);
/// How often the spinner turns.
pub(super) const TICK: Duration = Duration::from_millis(100);
const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/// Steps named on the line before the rest are counted.
const NAMED: usize = 3;
/// Erases the current line and returns to its start.
const WIPE: &str = "\r\x1b[2K";

/// One attempt under way.
struct Running {
    step: StepRef,
    attempt: u32,
    since: Instant,
}

struct State {
    out: Box<dyn Write + Send>,
    running: Vec<Running>,
    frame: usize,
    /// Whether a live line is on the screen now.
    shown: bool,
}

pub(super) struct Live {
    state: Mutex<State>,
    color: bool,
    width: usize,
}

impl Live {
    /// A live line written to `out`, at most `width` columns wide.
    pub(super) fn new(out: Box<dyn Write + Send>, color: bool, width: usize) -> Self {
        Live {
            state: Mutex::new(State {
                out,
                running: Vec::new(),
                frame: 0,
                shown: false,
            }),
            color,
            width: width.max(20),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An attempt of `step` began.
    pub(super) fn started(&self, step: &StepRef, attempt: u32, now: Instant) {
        let mut state = self.lock();
        state.running.retain(|r| r.step != *step);
        state.running.push(Running {
            step: step.clone(),
            attempt,
            since: now,
        });
    }

    /// The attempt of `step` under way ended.
    pub(super) fn ended(&self, step: &str) {
        self.lock().running.retain(|r| &*r.step != step);
    }

    /// Writes a trace line above the live line.
    pub(super) fn print(&self, line: &str, now: Instant) {
        let mut state = self.lock();
        let wipe = if state.shown { WIPE } else { "" };
        // A trace that cannot be written (stderr closed) must not stop the
        // run, so write errors are dropped here and below.
        let _ = writeln!(state.out, "{wipe}{line}");
        state.shown = false;
        self.draw(&mut state, now);
    }

    /// Turns the spinner and updates the times.
    pub(super) fn tick(&self, now: Instant) {
        let mut state = self.lock();
        state.frame = (state.frame + 1) % FRAMES.len();
        self.draw(&mut state, now);
    }

    /// Takes the live line off the screen, for good or until the next tick.
    pub(super) fn clear(&self) {
        let mut state = self.lock();
        if state.shown {
            let _ = write!(state.out, "{WIPE}");
            let _ = state.out.flush();
            state.shown = false;
        }
    }

    /// Draws the live line, or wipes it when nothing has run long enough.
    fn draw(&self, state: &mut State, now: Instant) {
        let text = status(&state.running, now, self.width - 2);
        match text {
            Some(text) => {
                let frame = FRAMES[state.frame];
                let frame = if self.color {
                    format!("\x1b[36m{frame}\x1b[0m")
                } else {
                    frame.to_string()
                };
                let _ = write!(state.out, "{WIPE}{frame} {text}");
                state.shown = true;
            }
            None if state.shown => {
                let _ = write!(state.out, "{WIPE}");
                state.shown = false;
            }
            None => {}
        }
        let _ = state.out.flush();
    }
}

/// `write (attempt 2), 3.4s`, or `4 running: a, b, c and 1 more, 3.4s`: the
/// steps that have run longer than [`SHOW_AFTER`], oldest first, with the
/// time of the oldest; cut to `width` characters.
fn status(running: &[Running], now: Instant, width: usize) -> Option<String> {
    let slow: Vec<&Running> = running
        .iter()
        .filter(|r| now.saturating_duration_since(r.since) >= SHOW_AFTER)
        .collect();
    let oldest = slow.iter().map(|r| r.since).min()?;
    let took = seconds(now.saturating_duration_since(oldest));
    let name = |r: &Running| {
        if r.attempt > 1 {
            format!("{} (attempt {})", r.step, r.attempt)
        } else {
            r.step.to_string()
        }
    };
    let text = match slow.as_slice() {
        [one] => format!("{}, {took}", name(one)),
        many => {
            let mut names: Vec<String> = many.iter().take(NAMED).map(|r| name(r)).collect();
            if many.len() > NAMED {
                names.push(format!("{} more", many.len() - NAMED));
            }
            format!("{} running: {}, {took}", many.len(), names.join(", "))
        }
    };
    Some(cut(&text, width))
}

/// `0.4s`, `12.0s`, `3m05s`.
fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000)
    }
}

/// The text, shortened with `…` to at most `width` characters, so that the
/// line never wraps (a wrapped line could not be wiped).
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Redraws the live line every [`TICK`] until dropped (aborted).
pub(super) async fn ticker(live: Arc<Live>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        interval.tick().await;
        live.tick(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Screen(Arc<Mutex<Vec<u8>>>);

    impl Write for Screen {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Screen {
        fn take(&self) -> String {
            let mut bytes = self.0.lock().unwrap_or_else(|p| p.into_inner());
            String::from_utf8_lossy(&std::mem::take(&mut *bytes)).into_owned()
        }
    }

    fn live(width: usize) -> (Live, Screen) {
        let screen = Screen::default();
        (Live::new(Box::new(screen.clone()), false, width), screen)
    }

    #[test]
    fn a_quick_step_never_shows_a_live_line() {
        let (live, screen) = live(80);
        let t0 = Instant::now();
        live.started(&StepRef::state_of("write"), 1, t0);
        live.tick(t0 + Duration::from_millis(100));
        live.ended("write");
        live.print("✓ write (attempt 1)", t0 + Duration::from_millis(150));
        assert_eq!(screen.take(), "✓ write (attempt 1)\n");
    }

    #[test]
    fn a_slow_step_spins_and_is_wiped_before_each_trace_line() {
        let (live, screen) = live(80);
        let t0 = Instant::now();
        live.started(&StepRef::state_of("build"), 2, t0);
        live.tick(t0 + Duration::from_millis(400));
        assert_eq!(screen.take(), "\r\x1b[2K⠙ build (attempt 2), 0.4s");
        live.tick(t0 + Duration::from_millis(1500));
        assert_eq!(screen.take(), "\r\x1b[2K⠹ build (attempt 2), 1.5s");
        live.ended("build");
        live.print("✓ build (attempt 2)", t0 + Duration::from_millis(1600));
        // Wiped, the line written, and nothing left running to draw.
        assert_eq!(screen.take(), "\r\x1b[2K✓ build (attempt 2)\n");
        live.clear();
        assert_eq!(screen.take(), "");
    }

    #[test]
    fn many_steps_are_counted_and_the_line_never_wraps() {
        let (live, screen) = live(40);
        let t0 = Instant::now();
        for (i, name) in ["pages[0]", "pages[1]", "pages[2]", "pages[3]", "pages[4]"]
            .iter()
            .enumerate()
        {
            live.started(
                &StepRef::state_of(name),
                1,
                t0 + Duration::from_millis(i as u64),
            );
        }
        live.tick(t0 + Duration::from_secs(65));
        let drawn = screen.take();
        assert_eq!(drawn, "\r\x1b[2K⠙ 5 running: pages[0], pages[1], pages[…");
        let visible = drawn.trim_start_matches(WIPE);
        assert_eq!(visible.chars().count(), 40);
        assert_eq!(
            status(&live.lock().running, t0 + Duration::from_secs(65), 200).as_deref(),
            Some("5 running: pages[0], pages[1], pages[2], 2 more, 1m05s")
        );
    }

    #[test]
    fn clearing_wipes_a_shown_line() {
        let (live, screen) = live(80);
        let t0 = Instant::now();
        live.started(&StepRef::state_of("wait"), 1, t0);
        live.tick(t0 + Duration::from_secs(1));
        screen.take();
        live.clear();
        assert_eq!(screen.take(), "\r\x1b[2K");
    }
}

//! Drivers carry out the machine's commands: they run its attempts, hook
//! programs and timers, hand its events on, and feed the outcomes back as
//! inputs. `local.rs` runs a machine on tokio in this process; the
//! executors sit behind one [`Invoke`] seam (`invoke.rs`), so that tests
//! can script workers in process.

pub mod durable;
pub mod history;
pub mod invoke;
pub mod local;

pub use invoke::{Attempted, Executors, ExecutorsSetup, Invoke, Pending};

//! The signals that stop a run from outside: SIGINT (Ctrl-C), SIGTERM (what
//! `docker stop`, Kubernetes and CI runners send) and SIGHUP (the terminal
//! closed). Each cancels the run the same way, and `flow run` then exits
//! with 128 + the signal's number, as a shell reports a process it ended.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The signal that stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    Interrupt,
    Terminate,
    Hangup,
}

impl Stop {
    pub(super) const ALL: [Stop; 3] = [Stop::Interrupt, Stop::Terminate, Stop::Hangup];

    /// The exit status of a run this signal stopped: 130, 143 or 129.
    pub(super) fn exit_status(self) -> u8 {
        let number = match self {
            Stop::Interrupt => libc::SIGINT,
            Stop::Terminate => libc::SIGTERM,
            Stop::Hangup => libc::SIGHUP,
        };
        // Signal numbers are small: 2, 15 and 1.
        128 + u8::try_from(number).unwrap_or(0)
    }

    /// The first words of the message, before what became of the run.
    pub(super) fn what(self) -> &'static str {
        match self {
            Stop::Interrupt => "interrupted",
            Stop::Terminate => "terminated (SIGTERM)",
            Stop::Hangup => "hung up (SIGHUP)",
        }
    }
}

/// The handlers, installed before the run starts so that none of these
/// signals ever takes its default action (dying at once, leaving every
/// program behind). A handler that cannot be installed is left out; its
/// signal then keeps its default action.
pub(super) struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
    hangup: Option<Signal>,
}

impl Signals {
    pub(super) fn install() -> Signals {
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// Waits for the first of the signals to arrive.
    pub(super) async fn first(&mut self) -> Stop {
        tokio::select! {
            Some(()) = recv(&mut self.interrupt) => Stop::Interrupt,
            Some(()) = recv(&mut self.terminate) => Stop::Terminate,
            Some(()) = recv(&mut self.hangup) => Stop::Hangup,
            // No handler left: no signal can stop the run from here.
            else => std::future::pending().await,
        }
    }
}

/// The next delivery of a signal; `None` when its handler is missing or gone.
async fn recv(handler: &mut Option<Signal>) -> Option<()> {
    match handler {
        Some(handler) => handler.recv().await,
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_128_plus_the_signal() {
        assert_eq!(Stop::Interrupt.exit_status(), 130);
        assert_eq!(Stop::Terminate.exit_status(), 143);
        assert_eq!(Stop::Hangup.exit_status(), 129);
    }
}

//! The process group of one call: every call runs in a group of its own,
//! led by the program, so that the program and whatever it started can be
//! signalled together.
//!
//! [`Group`] owns the leader. Dropping it while the leader runs (the call's
//! future was dropped on a timeout or a cancellation, or the call failed
//! early) sends SIGTERM to the whole group at once and hands the group to
//! the reaper, which sends SIGKILL after the grace period and reaps the
//! leader; nothing in `drop` blocks.

use std::io;
use std::process::ExitStatus;

use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};

use super::budget::Slot;
use super::reaper::{self, Teardowns};

pub(super) struct Group {
    /// The group's id: the leader's pid, since the leader was started with
    /// `process_group(0)`.
    pgid: libc::pid_t,
    /// The leader until it has been waited for. While it is here and not
    /// reaped, its pid (and so the group id) cannot be reused by another
    /// process, which makes signalling the group safe.
    leader: Option<Child>,
    /// The call's share of the open-file budget, held while the leader may
    /// hold descriptors of ours.
    slot: Option<Slot>,
    /// Told when the group, handed to the reaper, is gone.
    watch: Teardowns,
}

impl Group {
    /// Takes charge of a freshly spawned leader. `None` when the child has
    /// no pid, which tokio reports only for a child already reaped.
    pub(super) fn new(leader: Child, slot: Slot, watch: Teardowns) -> Option<Group> {
        let pgid = libc::pid_t::try_from(leader.id()?).ok()?;
        Some(Group {
            pgid,
            leader: Some(leader),
            slot: Some(slot),
            watch,
        })
    }

    /// The leader's three pipes, taken once.
    pub(super) fn take_pipes(&mut self) -> Option<(ChildStdin, ChildStdout, ChildStderr)> {
        let leader = self.leader.as_mut()?;
        Some((
            leader.stdin.take()?,
            leader.stdout.take()?,
            leader.stderr.take()?,
        ))
    }

    /// Waits for the leader to exit and reaps it. The call is then over, so
    /// whatever the leader left running in its group is stopped as a
    /// cancelled call would be: SIGTERM now, SIGKILL after the grace period.
    /// Cancel-safe: dropping this future leaves the leader in the group's
    /// charge.
    pub(super) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let Some(leader) = self.leader.as_mut() else {
            return Err(io::Error::other("the program has already been waited for"));
        };
        let status = leader.wait().await?;
        self.leader = None;
        // Success means some process of the group is still there (possibly
        // only a zombie); ESRCH means the group is empty, the usual case.
        if signal(self.pgid, libc::SIGTERM).is_ok() {
            reaper::hand_over(self.pgid, None, None, Some(self.watch.clone()));
        }
        Ok(status)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(leader) = self.leader.take() {
            // An error here means the group is already gone; the reaper
            // still reaps the leader.
            let _ = signal(self.pgid, libc::SIGTERM);
            reaper::hand_over(
                self.pgid,
                Some(leader),
                self.slot.take(),
                Some(self.watch.clone()),
            );
        }
    }
}

/// Sends `sig` to every process in the group `pgid` (`sig` 0 only asks
/// whether the group exists).
pub(super) fn signal(pgid: libc::pid_t, sig: libc::c_int) -> io::Result<()> {
    // kill(-1) would signal every process we may signal and kill(0) our own
    // group: never let a bad id turn into either.
    if pgid <= 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to signal process group {pgid}"),
        ));
    }
    // SAFETY: kill(2) takes two integers and touches no memory of ours; a
    // negative pid addresses the process group.
    let result = unsafe { libc::kill(-pgid, sig) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether any process of the group `pgid` is still there (zombies count).
pub(super) fn exists(pgid: libc::pid_t) -> bool {
    match signal(pgid, 0) {
        Ok(()) => true,
        // The group exists but holds a process we may not signal.
        Err(e) => e.raw_os_error() == Some(libc::EPERM),
    }
}

/// Whether any process of the group `pgid` is alive: there, and not a
/// zombie. A zombie is dead, and one whose parent is gone waits for init,
/// which in some containers never reaps it; waiting for it would be waiting
/// forever.
pub(super) fn alive(pgid: libc::pid_t) -> bool {
    if !exists(pgid) {
        return false;
    }
    // Only /proc tells a zombie from a live process; without it, a group
    // that exists counts as alive.
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            return false;
        };
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| live_member_of(&stat))
            == Some(pgid)
    })
}

/// The process group of a process from its `/proc/<pid>/stat` line, when
/// the process is neither a zombie nor dead.
fn live_member_of(stat: &str) -> Option<libc::pid_t> {
    // The command name is in parentheses and may hold anything: the fields
    // that matter come after the last `)`: state, ppid, pgrp.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?;
    let pgrp = fields.nth(1)?.parse().ok()?;
    (!matches!(state, "Z" | "X" | "x")).then_some(pgrp)
}

/// The conventional name of a signal, for messages.
pub(super) fn signal_name(sig: libc::c_int) -> Option<&'static str> {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return None,
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_signals_every_process_or_our_own_group() {
        for pgid in [-5, 0, 1] {
            assert!(signal(pgid, 0).is_err());
            assert!(!exists(pgid));
        }
    }

    #[test]
    fn reads_the_group_of_a_live_process() {
        let stat = "4242 (odd) name) S 4000 4100 4100 0 -1 4194560 0 0";
        assert_eq!(live_member_of(stat), Some(4100));
        let zombie = "4242 (sleep) Z 1 4100 4100 0 -1 4194560 0 0";
        assert_eq!(live_member_of(zombie), None);
        assert_eq!(live_member_of("garbage"), None);
    }

    #[test]
    fn our_own_group_is_alive_and_a_free_id_is_not() {
        // SAFETY: getpgrp(2) has no arguments and cannot fail.
        let ours = unsafe { libc::getpgrp() };
        if ours > 1 {
            assert!(alive(ours));
        }
        // Pids go up to 2^22 on Linux; this one is past that.
        assert!(!alive(1 << 23));
    }

    #[test]
    fn names_the_usual_signals() {
        assert_eq!(signal_name(libc::SIGKILL), Some("SIGKILL"));
        assert_eq!(signal_name(libc::SIGSEGV), Some("SIGSEGV"));
        assert_eq!(signal_name(1000), None);
    }
}

//! The tail of a program's stderr: the last [`KEEP`] bytes, whatever the
//! program writes, for the run's log and for failure messages.

use tokio::io::AsyncReadExt;
use tokio::process::ChildStderr;

/// How much of stderr is kept: the last 64 KiB.
pub(super) const KEEP: usize = 64 * 1024;

/// How many lines of stderr a failure message quotes, and how long that
/// quote may be.
const MESSAGE_LINES: usize = 3;
const MESSAGE_CHARS: usize = 400;

#[derive(Default)]
pub(super) struct Tail {
    /// Holds up to twice [`KEEP`] bytes, so that dropping the front is
    /// rare; only the last [`KEEP`] count.
    bytes: Vec<u8>,
    /// How many bytes were dropped from the front.
    dropped: u64,
}

impl Tail {
    pub(super) fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > 2 * KEEP {
            let cut = self.bytes.len() - KEEP;
            self.bytes.drain(..cut);
            self.dropped += cut as u64;
        }
    }

    /// The kept bytes: the last [`KEEP`], starting at a whole character.
    fn kept(&self) -> (&[u8], u64) {
        let cut = self.bytes.len().saturating_sub(KEEP);
        let mut kept = &self.bytes[cut..];
        let mut dropped = self.dropped + cut as u64;
        if dropped > 0 {
            // Continuation bytes of a character cut in two.
            let partial = kept
                .iter()
                .take(3)
                .take_while(|b| (**b & 0xC0) == 0x80)
                .count();
            kept = &kept[partial..];
            dropped += partial as u64;
        }
        (kept, dropped)
    }

    /// The log: the kept text, with a first line saying how much came before
    /// it when something was dropped.
    pub(super) fn text(&self) -> String {
        let (kept, dropped) = self.kept();
        let text = String::from_utf8_lossy(kept);
        if dropped == 0 {
            text.into_owned()
        } else {
            format!("[{dropped} earlier bytes of stderr not kept]\n{text}")
        }
    }

    /// The last few non-blank lines on one line, for a failure message
    /// (which the trace prints on one line); empty when stderr was.
    pub(super) fn last_lines(&self) -> String {
        let (kept, _) = self.kept();
        last_lines(&String::from_utf8_lossy(kept))
    }
}

/// The last few non-blank lines of `text` on one line, cut at the front to
/// a length a message can quote; empty when `text` is blank.
pub(super) fn last_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .rev()
        .take(MESSAGE_LINES)
        .collect();
    lines.reverse();
    let joined = lines.join(" | ");
    let count = joined.chars().count();
    if count <= MESSAGE_CHARS {
        joined
    } else {
        let skip = count - (MESSAGE_CHARS - 1);
        format!("…{}", joined.chars().skip(skip).collect::<String>())
    }
}

/// Reads `pipe` to its end into `tail`. A read error ends the reading: the
/// tail is a log, not the output, and the call goes on without the rest.
pub(super) async fn read(mut pipe: ChildStderr, tail: &mut Tail) {
    let mut chunk = vec![0; 16 * 1024];
    while let Ok(n) = pipe.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        tail.push(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_below_the_limit() {
        let mut tail = Tail::default();
        tail.push(b"one\n");
        tail.push(b"two\n");
        assert_eq!(tail.text(), "one\ntwo\n");
        assert_eq!(tail.last_lines(), "one | two");
    }

    #[test]
    fn keeps_only_the_last_bytes_and_says_so() {
        let mut tail = Tail::default();
        for i in 0..10_000 {
            tail.push(format!("line {i:05}\n").as_bytes());
        }
        let text = tail.text();
        let (first, rest) = text.split_once('\n').unwrap_or_default();
        assert!(first.starts_with('[') && first.ends_with("earlier bytes of stderr not kept]"));
        assert!(rest.len() <= KEEP);
        assert!(rest.ends_with("line 09999\n"));
        assert!(tail.bytes.len() <= 2 * KEEP);
        assert_eq!(tail.last_lines(), "line 09997 | line 09998 | line 09999");
    }

    #[test]
    fn never_starts_inside_a_character() {
        let mut tail = Tail::default();
        // 'é' is two bytes, and one odd byte at the end puts the cut in the
        // middle of a character.
        for _ in 0..KEEP / 2 + 10 {
            tail.push("é".as_bytes());
        }
        tail.push(b"x");
        let text = tail.text();
        let (first, rest) = text.split_once('\n').unwrap_or_default();
        assert_eq!(first, "[22 earlier bytes of stderr not kept]");
        assert!(!rest.contains('\u{FFFD}'));
        assert_eq!(
            rest.strip_suffix('x').map(|r| r.chars().all(|c| c == 'é')),
            Some(true)
        );
    }

    #[test]
    fn a_long_message_quote_keeps_its_end() {
        let mut tail = Tail::default();
        tail.push("a".repeat(1000).as_bytes());
        tail.push(b"\n\n   \nthe end\n");
        let quote = tail.last_lines();
        assert_eq!(quote.chars().count(), MESSAGE_CHARS);
        assert!(quote.starts_with('…') && quote.ends_with("a | the end"));
    }
}

//! What differs from one run to the next, masked for snapshots: the run
//! id, the temporary directory, the times.

use std::path::Path;
use std::process::Output;

use super::cli::transcript;

/// The transcript with what differs from one run to the next replaced:
/// the run id, the temporary directory and the times (deadlines).
pub fn masked(out: &Output, dir: &Path, id: &str) -> String {
    let text = transcript(out)
        .replace(&dir.display().to_string(), "[dir]")
        .replace(id, "[run]");
    mask_times(&text)
}

/// Replaces each RFC 3339 time such as `2026-12-03T13:06:12.787Z` by
/// `[time]`.
pub fn mask_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if i + 24 <= bytes.len() && is_time(&bytes[i..i + 24]) {
            out.push_str("[time]");
            i += 24;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_time(b: &[u8]) -> bool {
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
    digits.iter().all(|&i| b[i].is_ascii_digit())
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
}

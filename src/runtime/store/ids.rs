//! Run ids, random tokens and this machine's name.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The number of hex digits of a run id.
pub const RUN_ID_LEN: usize = 16;

/// 64 bits that differ between calls and processes. `RandomState` is keyed
/// from the operating system's randomness once per thread; the clock, a
/// counter and the pid make every call's input distinct. Not for secrets:
/// ids and lease tokens only need to be unique.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(nanos);
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// A fresh run id: 16 lowercase hex digits.
pub fn new_run_id() -> String {
    format!("{:016x}", random_u64())
}

/// Whether `id` has the form of a run id.
pub fn is_run_id(id: &str) -> bool {
    id.len() == RUN_ID_LEN && is_hex_prefix(id)
}

/// Whether `prefix` may begin a run id: 1 to 16 lowercase hex digits.
pub(crate) fn is_hex_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= RUN_ID_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Milliseconds since the Unix epoch, by the wall clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// This machine's host name, read once: `/proc/sys/kernel/hostname`, else
/// `gethostname(2)`, else "localhost".
pub(crate) fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let from_proc = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        from_proc
            .or_else(gethostname)
            .unwrap_or_else(|| "localhost".to_owned())
    })
}

fn gethostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most
    // that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_sixteen_hex_digits_and_differ() {
        let a = new_run_id();
        let b = new_run_id();
        assert!(is_run_id(&a), "{a}");
        assert!(is_run_id(&b), "{b}");
        assert_ne!(a, b);
    }

    #[test]
    fn prefixes_are_lowercase_hex_of_at_most_sixteen_digits() {
        assert!(is_hex_prefix("0"));
        assert!(is_hex_prefix("deadbeef00112233"));
        assert!(!is_hex_prefix(""));
        assert!(!is_hex_prefix("deadbeef001122334"));
        assert!(!is_hex_prefix("DEAD"));
        assert!(!is_hex_prefix("xyz"));
        assert!(!is_run_id("abc"));
    }

    #[test]
    fn the_host_name_is_not_empty() {
        assert!(!hostname().is_empty());
    }
}

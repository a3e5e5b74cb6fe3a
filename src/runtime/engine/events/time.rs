//! The time of events: milliseconds since the Unix epoch, written as
//! RFC 3339 only when an event is serialized.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Milliseconds since the Unix epoch, now.
fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// A moment, in milliseconds since the Unix epoch. It is kept as a number
/// and written as RFC 3339 only when an event is serialized: a run stamps
/// every event, and formatting each stamp was a tenth of a builtin step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(now_millis())
    }
}

/// `2026-11-21T22:30:13.042Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&rfc3339(self.0))
    }
}

impl Serialize for Timestamp {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.serialize_str(&rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_rfc3339(&text).map(Timestamp).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a time like 2026-11-21T22:30:13.042Z"
            ))
        })
    }
}

/// Reads back what [`rfc3339`] writes (UTC, milliseconds, `Z`).
fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second, milli) = (
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        number(20..23)?,
    );
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from civil (Howard Hinnant), the inverse of `rfc3339`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(secs * 1000 + milli).ok()
}

/// Formats milliseconds since the Unix epoch (the civil-from-days
/// algorithm of Howard Hinnant, for the proleptic Gregorian calendar).
fn rfc3339(millis: u64) -> String {
    let secs = millis / 1000;
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Every event carries a timestamp, so the digits are written by hand:
    // `format!` here was a tenth of the time of a builtin step.
    let mut out = String::with_capacity(24);
    digits(&mut out, year.clamp(0, 9999) as u64, 4);
    out.push('-');
    digits(&mut out, month as u64, 2);
    out.push('-');
    digits(&mut out, day as u64, 2);
    out.push('T');
    digits(&mut out, rest / 3600, 2);
    out.push(':');
    digits(&mut out, rest % 3600 / 60, 2);
    out.push(':');
    digits(&mut out, rest % 60, 2);
    out.push('.');
    digits(&mut out, millis % 1000, 3);
    out.push('Z');
    out
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn digits(out: &mut String, n: u64, width: u32) {
    for place in (0..width).rev() {
        let digit = (n / 10u64.pow(place) % 10) as u8;
        out.push(char::from(b'0' + digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2024-02-29T12:34:56.789Z, a leap day.
        assert_eq!(rfc3339(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
        assert_eq!(rfc3339(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(951_782_400_007), "2000-02-29T00:00:00.007Z");
    }

    #[test]
    fn timestamps_read_back_what_they_write() {
        for millis in [
            0,
            1_709_210_096_789,
            253_402_300_799_999,
            951_782_400_007,
            now_millis(),
        ] {
            let json = serde_json::to_value(Timestamp(millis)).unwrap_or_default();
            assert_eq!(json, serde_json::json!(rfc3339(millis)));
            let back: Result<Timestamp, _> = serde_json::from_value(json);
            assert_eq!(back.ok(), Some(Timestamp(millis)));
        }
        for bad in [
            "",
            "2024-02-29",
            "2024-13-01T00:00:00.000Z",
            "2024-02-29T12:34:56.789+01:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}

//! Unit tests of the parts that need no server: methods, `Retry-After`,
//! excerpts and body parsing. The calls themselves are tested against a
//! scripted server in `tests/http.rs`.

use std::time::SystemTime;

use serde_json::Value;

use super::body::{EXCERPT_CHARS, parse_body};
use super::*;

#[test]
fn methods_round_trip_and_only_get_has_no_body() {
    for method in Method::ALL {
        assert_eq!(Method::from_name(method.name()), Some(method));
        assert_eq!(method.sends_body(), method != Method::Get);
    }
    assert_eq!(Method::from_name("post"), None);
    assert_eq!(Method::default(), Method::Post);
}

#[test]
fn retry_after_in_seconds_is_read_whole() {
    let now = SystemTime::now();
    assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
    assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after("86400", now),
        Some(Duration::from_secs(86400))
    );
    assert_eq!(
        parse_retry_after("99999999999999999999999", now),
        Some(Duration::from_secs(u64::MAX))
    );
}

#[test]
fn retry_after_as_a_date_is_the_time_until_it() {
    let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
        Some(Duration::from_secs(120))
    );
    // The obsolete formats HTTP still allows.
    assert_eq!(
        parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(
        parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", now),
        Some(Duration::from_secs(86400))
    );
}

#[test]
fn unreadable_retry_after_is_ignored() {
    let now = SystemTime::now();
    for value in ["", "soon", "-5", "1.5", "Sun, 06 Nov 1994"] {
        assert_eq!(parse_retry_after(value, now), None, "{value:?}");
    }
}

#[test]
fn excerpt_folds_whitespace_and_cuts_long_bodies() {
    assert_eq!(excerpt(b"  not\n\tfound  here \r\n"), "not found here");
    let long = "é".repeat(EXCERPT_CHARS + 10);
    let cut = excerpt(long.as_bytes());
    assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
    assert!(cut.ends_with('…'));
    assert_eq!(excerpt(b"\xff\xfeab"), "\u{fffd}\u{fffd}ab");
}

#[test]
fn bodies_parse_as_json_or_as_text_for_a_string_output() {
    assert_eq!(
        parse_body(br#"{"a":1}"#, false),
        Ok(serde_json::json!({"a": 1}))
    );
    assert_eq!(parse_body(br#""hi""#, true), Ok(Value::from("hi")));
    assert_eq!(parse_body(b"hi there", true), Ok(Value::from("hi there")));
    // JSON that is not a string is text for a string output.
    assert_eq!(parse_body(b"42", true), Ok(Value::from("42")));
    assert_eq!(parse_body(b"", true), Ok(Value::from("")));
    let not_json = parse_body(b"<html>oops</html>", false).unwrap_err();
    assert!(not_json.contains("not valid JSON"), "{not_json}");
    assert!(not_json.contains("<html>oops</html>"), "{not_json}");
    let empty = parse_body(b"", false).unwrap_err();
    assert!(empty.contains("empty body"), "{empty}");
    let binary = parse_body(b"ab\xff", true).unwrap_err();
    assert!(binary.contains("byte 2"), "{binary}");
}

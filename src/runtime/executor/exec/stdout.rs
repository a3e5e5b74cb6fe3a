//! A program's stdout: read up to the cap, then turned into the worker's
//! output value.

use std::io;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::process::ChildStdout;

/// The smallest buffer the output is read into.
const FIRST_CHUNK: usize = 8 * 1024;

/// How far a program's stdout went.
pub(super) enum Read {
    /// To its end, within the cap.
    Complete,
    /// Past the cap (one byte more than the cap was read).
    OverCap,
}

/// Reads `pipe` into `buf` until its end or until `cap` is exceeded. Never
/// reads more than `cap + 1` bytes, and the buffer never grows beyond that.
pub(super) async fn read_capped(
    mut pipe: ChildStdout,
    cap: usize,
    buf: &mut Vec<u8>,
) -> io::Result<Read> {
    let limit = cap.saturating_add(1);
    loop {
        if buf.len() == buf.capacity() {
            // Grow by doubling, as a Vec would, but never past the limit:
            // `read_buf` reads only into the spare capacity.
            let target = buf.capacity().saturating_mul(2).max(FIRST_CHUNK).min(limit);
            buf.reserve_exact(target - buf.len());
        }
        if pipe.read_buf(buf).await? == 0 {
            return Ok(Read::Complete);
        }
        if buf.len() > cap {
            return Ok(Read::OverCap);
        }
    }
}

/// The output value of a program that exited with status 0, or why there
/// is none (a message for a failure of class `output`).
///
/// Stdout is JSON. When the worker's output type is `string`, stdout that
/// is a JSON string is that string, and anything else is the text itself,
/// less one trailing line break (`\n` or `\r\n`, which nearly every program
/// prints at the end of its output and nobody means as part of it).
pub(super) fn parse(shown: &str, stdout: Vec<u8>, wants_string: bool) -> Result<Value, String> {
    if wants_string {
        if let Ok(Value::String(text)) = serde_json::from_slice(&stdout) {
            return Ok(Value::String(text));
        }
        let mut text = String::from_utf8(stdout).map_err(|e| {
            format!(
                "`{shown}` printed output that is not UTF-8 text (an invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )
        })?;
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        return Ok(Value::String(text));
    }
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Err(format!(
            "`{shown}` printed nothing on stdout; its output must be JSON"
        ));
    }
    serde_json::from_slice(&stdout).map_err(|e| {
        let text = String::from_utf8_lossy(&stdout);
        match excerpt(&text, e.line(), e.column()) {
            Some(near) => {
                format!("`{shown}` printed output that is not valid JSON ({e}), near `{near}`")
            }
            None => format!("`{shown}` printed output that is not valid JSON ({e})"),
        }
    })
}

/// Up to 30 characters either side of `line`:`column` (both 1-based, as
/// serde_json reports them), control characters escaped; `None` when the
/// line is blank.
fn excerpt(text: &str, line: usize, column: usize) -> Option<String> {
    const SIDE: usize = 30;
    let line = text.lines().nth(line.saturating_sub(1))?;
    if line.trim().is_empty() {
        return None;
    }
    // serde_json counts the column in bytes; find the character there.
    let at = line
        .char_indices()
        .take_while(|(i, _)| *i < column.saturating_sub(1))
        .count();
    let chars: Vec<char> = line.chars().collect();
    let start = at.saturating_sub(SIDE);
    let end = (at + SIDE).min(chars.len());
    let mut near = String::new();
    if start > 0 {
        near.push('…');
    }
    for c in &chars[start..end] {
        if c.is_control() {
            near.extend(c.escape_default());
        } else {
            near.push(*c);
        }
    }
    if end < chars.len() {
        near.push('…');
    }
    Some(near)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parsed(stdout: &str, wants_string: bool) -> Result<Value, String> {
        parse("prog", stdout.as_bytes().to_vec(), wants_string)
    }

    #[test]
    fn json_for_any_type() {
        assert_eq!(parsed("{\"a\": [1, 2]}\n", false), Ok(json!({"a": [1, 2]})));
        assert_eq!(parsed("\"quoted\"\n", false), Ok(json!("quoted")));
    }

    #[test]
    fn text_for_a_string_type_less_one_line_break() {
        assert_eq!(parsed("hello world\n", true), Ok(json!("hello world")));
        assert_eq!(parsed("two\r\n", true), Ok(json!("two")));
        assert_eq!(
            parsed("blank line kept\n\n", true),
            Ok(json!("blank line kept\n"))
        );
        assert_eq!(parsed("", true), Ok(json!("")));
        assert_eq!(
            parsed("\"a json string\"\n", true),
            Ok(json!("a json string"))
        );
        // Only a JSON string is decoded: other JSON is the text as printed.
        assert_eq!(parsed("42\n", true), Ok(json!("42")));
        assert_eq!(parsed("{\"a\": 1}", true), Ok(json!("{\"a\": 1}")));
    }

    #[test]
    fn text_must_be_utf8() {
        let e = parse("prog", vec![b'o', b'k', 0xFF], true);
        assert_eq!(
            e,
            Err(
                "`prog` printed output that is not UTF-8 text (an invalid byte at offset 2)".into()
            )
        );
    }

    #[test]
    fn bad_json_is_located_and_quoted() {
        let e = parsed("{\"ok\": true}\nDone, wrote 3 files\n", false);
        assert_eq!(
            e,
            Err("`prog` printed output that is not valid JSON (trailing characters at line 2 column 1), near `Done, wrote 3 files`".into())
        );
        let long = format!("{{\"text\": \"{}\" oops}}", "x".repeat(100));
        let e = parsed(&long, false).err().unwrap_or_default();
        assert!(e.contains("line 1 column 113"), "{e}");
        assert!(
            e.ends_with(&format!("near `…{}\" oops}}`", "x".repeat(28))),
            "{e}"
        );
    }

    #[test]
    fn nothing_is_not_json() {
        assert_eq!(
            parsed(" \n", false),
            Err("`prog` printed nothing on stdout; its output must be JSON".into())
        );
    }
}

//! The address of a request, built from the pieces of the worker's `url`
//! and its `query` setting, as the language says: an interpolated value
//! in the path is one path segment and in the query one query component,
//! percent-encoded, so that `"/drafts/${id}"` with `id = "../../users/42"`
//! asks for `/drafts/..%2F..%2Fusers%2F42` and never for `/users/42`. A
//! value before the path (the scheme, host and port) is inserted as it
//! is: it chooses the service, so it is the workflow's to get right, and
//! the whole must then parse as an address.

/// A piece of a `url`: text written in the file, or an interpolated value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlPiece {
    Written(String),
    Value(String),
}

/// Where in an address the next character goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Scheme, host and port: until the first `/` after `://`.
    Authority,
    Path,
    Query,
    Fragment,
}

impl Part {
    /// The part that `c` starts or continues, after `so_far`.
    fn after(self, c: char, so_far: &str) -> Part {
        match (self, c) {
            (Part::Fragment, _) | (_, '#') => Part::Fragment,
            (Part::Query, _) | (_, '?') => Part::Query,
            (Part::Authority, '/') if so_far.contains("://") => Part::Path,
            (part, _) => part,
        }
    }
}

/// The address: the pieces joined, each value encoded for the part it
/// lands in, then the `query` pairs appended (before any fragment). The
/// error is a sentence.
pub fn build_url(pieces: &[UrlPiece], query: &[(String, String)]) -> Result<String, String> {
    let mut out = String::new();
    let mut part = Part::Authority;
    let raw = |out: &mut String, text: &str, part: &mut Part| {
        for c in text.chars() {
            *part = part.after(c, out);
            out.push(c);
        }
    };
    for piece in pieces {
        match piece {
            UrlPiece::Written(text) => raw(&mut out, text, &mut part),
            UrlPiece::Value(value) => match part {
                Part::Authority => raw(&mut out, value, &mut part),
                Part::Path => {
                    // `.` and `..` are dot segments however they are
                    // encoded (`%2E%2E` too), and would move the request
                    // up the path.
                    if value == "." || value == ".." {
                        return Err(format!(
                            "an interpolated value of the url's path is `{value}`, which would move the request out of its segment; such a value cannot be a path segment"
                        ));
                    }
                    encode(&mut out, value);
                }
                Part::Query | Part::Fragment => encode(&mut out, value),
            },
        }
    }
    if !query.is_empty() {
        let fragment = out.find('#').map(|at| out.split_off(at));
        let mut sep = if out.contains('?') {
            if out.ends_with('?') || out.ends_with('&') {
                ""
            } else {
                "&"
            }
        } else {
            "?"
        };
        for (name, value) in query {
            out.push_str(sep);
            encode(&mut out, name);
            out.push('=');
            encode(&mut out, value);
            sep = "&";
        }
        if let Some(fragment) = fragment {
            out.push_str(&fragment);
        }
    }
    Ok(out)
}

/// `text` percent-encoded as [`build_url`] encodes an interpolated value:
/// how a secret looks inside an address, so that it can be masked there.
pub fn encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode(&mut out, text);
    out
}

/// Appends `text` with every byte but the unreserved ones (letters,
/// digits, `-._~`) percent-encoded: safe as a path segment and as a query
/// component alike.
fn encode(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> UrlPiece {
        UrlPiece::Written(s.into())
    }
    fn v(s: &str) -> UrlPiece {
        UrlPiece::Value(s.into())
    }

    #[test]
    fn values_in_the_path_and_query_are_encoded_and_the_host_is_not() {
        let url = build_url(
            &[
                w("http://"),
                v("127.0.0.1:8080/api"),
                w("/drafts/"),
                v("../../users/42"),
                w("?q="),
                v("a&b=c d"),
                w("#"),
                v("x y"),
            ],
            &[],
        );
        assert_eq!(
            url.as_deref(),
            Ok("http://127.0.0.1:8080/api/drafts/..%2F..%2Fusers%2F42?q=a%26b%3Dc%20d#x%20y")
        );
    }

    #[test]
    fn query_pairs_are_appended_before_the_fragment() {
        let query = [("q".to_string(), "café & co".to_string())];
        assert_eq!(
            build_url(&[w("http://h/s")], &query).as_deref(),
            Ok("http://h/s?q=caf%C3%A9%20%26%20co")
        );
        assert_eq!(
            build_url(&[w("http://h/s?a=1#top")], &query).as_deref(),
            Ok("http://h/s?a=1&q=caf%C3%A9%20%26%20co#top")
        );
    }

    #[test]
    fn a_dot_segment_is_refused() {
        let err = build_url(&[w("http://h/drafts/"), v("..")], &[]);
        assert!(err.is_err_and(|e| e.contains("`..`")));
    }
}

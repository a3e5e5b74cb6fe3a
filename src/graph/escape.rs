//! Escaping of label text for each output format. Labels carry source text
//! (conditions, lists), which may hold any character: quotes, `<`, `|`,
//! braces, backslashes and line breaks must come out as text, never as
//! syntax of the format.

/// Text inside a DOT double-quoted string. Backslashes are doubled, since
/// graphviz reads `\n`, `\l`, `\N` and the like in labels as escapes; a
/// line break becomes `\n`, which graphviz draws as one.
pub fn dot_string(text: &str) -> String {
    escape(text, |c| match c {
        '\\' => Some("\\\\"),
        '"' => Some("\\\""),
        '\n' => Some("\\n"),
        _ => None,
    })
}

/// Text inside a DOT HTML-like label (`label=<...>`): the characters of
/// markup become entities, and a line break becomes `<br/>`.
pub fn dot_html(text: &str) -> String {
    escape(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\n' => Some("<br/>"),
        _ => None,
    })
}

/// Text inside a Mermaid double-quoted label (`id["..."]`, `-->|"..."|`).
/// Mermaid has no backslash escapes: a character is written as its entity
/// code (`#quot;`, `#35;`). Besides the quote, `#` itself (which would start
/// an entity) and the characters of HTML and of Mermaid's own syntax are
/// written that way; a line break becomes `<br/>`, which Mermaid draws.
pub fn mermaid(text: &str) -> String {
    escape(text, |c| match c {
        '"' => Some("#quot;"),
        '#' => Some("#35;"),
        '&' => Some("#amp;"),
        '<' => Some("#lt;"),
        '>' => Some("#gt;"),
        '|' => Some("#124;"),
        '{' => Some("#123;"),
        '}' => Some("#125;"),
        ';' => Some("#59;"),
        '`' => Some("#96;"),
        '\n' => Some("<br/>"),
        _ => None,
    })
}

/// Replaces the characters `special` maps; other control characters (a tab,
/// a carriage return) become spaces, which every format shows safely.
fn escape(text: &str, special: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match special(c) {
            Some(replacement) => out.push_str(replacement),
            None if c.is_control() => out.push(' '),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "a == \"<b>\" || c\\n {x} | y; #z & `w`\n\tend";

    #[test]
    fn dot_strings_escape_quotes_backslashes_and_breaks() {
        assert_eq!(
            dot_string(NASTY),
            "a == \\\"<b>\\\" || c\\\\n {x} | y; #z & `w`\\n end"
        );
    }

    #[test]
    fn dot_html_escapes_markup() {
        assert_eq!(
            dot_html(NASTY),
            "a == &quot;&lt;b&gt;&quot; || c\\n {x} | y; #z &amp; `w`<br/> end"
        );
    }

    #[test]
    fn mermaid_uses_entity_codes() {
        assert_eq!(
            mermaid(NASTY),
            "a == #quot;#lt;b#gt;#quot; #124;#124; c\\n #123;x#125; #124; y#59; #35;z #amp; #96;w#96;<br/> end"
        );
    }
}

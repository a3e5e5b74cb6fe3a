//! The parser and the checker never panic or hang on near misses of real
//! files: the examples and the design's example with random spans of bytes
//! or tokens deleted, inserted, duplicated or swapped. These inputs get far
//! into the grammar and the checker, where arbitrary bytes never reach.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use support::{front_end, tokens};

/// The files that are mutated: every `examples/*.flow` and the design's
/// example, read once.
fn corpus() -> &'static [(PathBuf, String)] {
    static CORPUS: OnceLock<Vec<(PathBuf, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
            .map(|dir| {
                dir.filter_map(|entry| entry.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|ext| ext == "flow"))
                    .collect()
            })
            .unwrap_or_default();
        paths.sort();
        paths.push(root.join("tests/fixtures/syntax/design_example.flow"));
        let files: Vec<(PathBuf, String)> = paths
            .into_iter()
            .filter_map(|path| std::fs::read_to_string(&path).ok().map(|text| (path, text)))
            .collect();
        assert!(
            files.len() >= 2,
            "the examples and the design example should be readable"
        );
        files
    })
}

/// A position or length as a fraction of the text, so that the same
/// mutation applies to files of any length and shrinks towards the start.
type Fraction = u16;

fn at(fraction: Fraction, len: usize) -> usize {
    (fraction as usize * len) / (Fraction::MAX as usize + 1)
}

#[derive(Clone, Debug)]
enum Mutation {
    DeleteBytes {
        start: Fraction,
        len: u8,
    },
    InsertBytes {
        at: Fraction,
        bytes: Vec<u8>,
    },
    InsertToken {
        at: Fraction,
        token: String,
    },
    DuplicateBytes {
        start: Fraction,
        len: u16,
        to: Fraction,
    },
    SwapBytes {
        a: Fraction,
        b: Fraction,
        len: u16,
    },
    DeleteTokens {
        start: Fraction,
        count: u8,
    },
    DuplicateTokens {
        start: Fraction,
        count: u8,
        to: Fraction,
    },
    SwapTokens {
        a: Fraction,
        b: Fraction,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Fraction>(), 1..64u8).prop_map(|(start, len)| Mutation::DeleteBytes { start, len }),
        (any::<Fraction>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::InsertBytes { at, bytes }),
        (any::<Fraction>(), tokens::token())
            .prop_map(|(at, token)| Mutation::InsertToken { at, token }),
        (any::<Fraction>(), 1..2_000u16, any::<Fraction>())
            .prop_map(|(start, len, to)| Mutation::DuplicateBytes { start, len, to }),
        (any::<Fraction>(), any::<Fraction>(), 1..200u16)
            .prop_map(|(a, b, len)| Mutation::SwapBytes { a, b, len }),
        (any::<Fraction>(), 1..6u8)
            .prop_map(|(start, count)| Mutation::DeleteTokens { start, count }),
        (any::<Fraction>(), 1..40u8, any::<Fraction>())
            .prop_map(|(start, count, to)| Mutation::DuplicateTokens { start, count, to }),
        (any::<Fraction>(), any::<Fraction>()).prop_map(|(a, b)| Mutation::SwapTokens { a, b }),
    ]
}

/// The byte ranges of the tokens of `text`, split crudely: runs of name
/// characters, runs of spaces, and single other bytes. Good enough to move
/// whole words and operators around, which byte mutations rarely do.
fn token_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let class = |b: u8| {
        if b.is_ascii_alphanumeric() || b == b'_' {
            0
        } else if b == b' ' || b == b'\t' {
            1
        } else {
            2
        }
    };
    let mut spans = Vec::new();
    let mut start = 0;
    for i in 1..=text.len() {
        if i == text.len() || class(text[i]) == 2 || class(text[i]) != class(text[start]) {
            spans.push((start, i));
            start = i;
        }
    }
    spans
}

fn apply(text: &mut Vec<u8>, mutation: &Mutation) {
    let len = text.len();
    match mutation {
        Mutation::DeleteBytes { start, len: n } => {
            let start = at(*start, len);
            let end = (start + *n as usize).min(len);
            text.drain(start..end);
        }
        Mutation::InsertBytes { at: pos, bytes } => {
            let pos = at(*pos, len);
            text.splice(pos..pos, bytes.iter().copied());
        }
        Mutation::InsertToken { at: pos, token } => {
            let pos = at(*pos, len);
            text.splice(pos..pos, token.bytes());
        }
        Mutation::DuplicateBytes { start, len: n, to } => {
            let start = at(*start, len);
            let end = (start + *n as usize).min(len);
            let copy = text[start..end].to_vec();
            let to = at(*to, len);
            text.splice(to..to, copy);
        }
        Mutation::SwapBytes { a, b, len: n } => {
            let (a, b) = (at(*a, len), at(*b, len));
            let (first, second) = (a.min(b), a.max(b));
            let n = (*n as usize).min(second - first).min(len - second);
            let (left, right) = text.split_at_mut(second);
            left[first..first + n].swap_with_slice(&mut right[..n]);
        }
        Mutation::DeleteTokens { start, count } => {
            let spans = token_spans(text);
            if spans.is_empty() {
                return;
            }
            let first = at(*start, spans.len());
            let last = (first + *count as usize).min(spans.len()) - 1;
            text.drain(spans[first].0..spans[last].1);
        }
        Mutation::DuplicateTokens { start, count, to } => {
            let spans = token_spans(text);
            if spans.is_empty() {
                return;
            }
            let first = at(*start, spans.len());
            let last = (first + *count as usize).min(spans.len()) - 1;
            let copy = text[spans[first].0..spans[last].1].to_vec();
            let to = spans[at(*to, spans.len())].0;
            text.splice(to..to, copy);
        }
        Mutation::SwapTokens { a, b } => {
            let spans = token_spans(text);
            if spans.len() < 2 {
                return;
            }
            let (a, b) = (at(*a, spans.len()), at(*b, spans.len()));
            let (first, second) = (spans[a.min(b)], spans[a.max(b)]);
            if first == second {
                return;
            }
            let mut swapped = Vec::with_capacity(text.len());
            swapped.extend_from_slice(&text[..first.0]);
            swapped.extend_from_slice(&text[second.0..second.1]);
            swapped.extend_from_slice(&text[first.1..second.0]);
            swapped.extend_from_slice(&text[first.0..first.1]);
            swapped.extend_from_slice(&text[second.1..]);
            *text = swapped;
        }
    }
}

fn mutated(file: usize, mutations: &[Mutation]) -> String {
    let (_, text) = &corpus()[file % corpus().len()];
    let mut bytes = text.clone().into_bytes();
    for mutation in mutations {
        apply(&mut bytes, mutation);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: support::cases(192),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_files(file in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        front_end(mutated(file, &mutations)).map_err(TestCaseError::fail)?;
    }

    /// One small change, the most common case in an editor: the rest of the
    /// file stays valid, so the checker sees almost the whole file.
    #[test]
    fn one_token_changed(file in any::<usize>(), mutation in mutation()) {
        front_end(mutated(file, &[mutation])).map_err(TestCaseError::fail)?;
    }
}

/// The mutations themselves do what they say, so that the properties above
/// test what they claim to.
#[test]
fn mutations_change_the_text_as_described() {
    let text = b"step a = W(x: 1)".to_vec();
    let spans = token_spans(&text);
    let words: Vec<&str> = spans
        .iter()
        .map(|&(s, e)| std::str::from_utf8(&text[s..e]).unwrap_or("?"))
        .collect();
    assert_eq!(
        words,
        [
            "step", " ", "a", " ", "=", " ", "W", "(", "x", ":", " ", "1", ")"
        ]
    );

    let mut swapped = text.clone();
    apply(
        &mut swapped,
        &Mutation::SwapTokens {
            a: 0,
            b: Fraction::MAX,
        },
    );
    assert_eq!(swapped, b") a = W(x: 1step");

    let mut deleted = text.clone();
    apply(&mut deleted, &Mutation::DeleteTokens { start: 0, count: 2 });
    assert_eq!(deleted, b"a = W(x: 1)");

    let mut duplicated = text.clone();
    apply(
        &mut duplicated,
        &Mutation::DuplicateTokens {
            start: 0,
            count: 2,
            to: 0,
        },
    );
    assert_eq!(duplicated, b"step step a = W(x: 1)");

    let mut bytes = text;
    apply(
        &mut bytes,
        &Mutation::SwapBytes {
            a: 0,
            b: Fraction::MAX / 2,
            len: 4,
        },
    );
    assert_eq!(bytes, b"= W( a stepx: 1)");
}

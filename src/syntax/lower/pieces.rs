//! The parse loop: item after item, workflows in parts, recovering after a
//! syntax error; and the same loop run on pieces of a large file at once.
//!
//! A piece starts at one of the scanner's cuts (`Trivia::cuts`), a line at
//! the top level that looks like the start of an item. That is a guess, so
//! the pieces are joined only where the parse of the piece before really
//! ended at the cut: when it stops short of a cut with nothing but
//! whitespace and comments before it, parsing on from there reads the same
//! items, and reports the same errors, as parsing from the cut. Where it does
//! not (an item that goes on past the cut, or a recovery that jumps over
//! it), the next piece is parsed again from where the one before ended. So
//! the result is always that of one parse from the start, however the file
//! is cut.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use pest::Parser as _;

use super::super::SyntaxError;
use super::super::ast;
use super::super::parser::{FlowParser, Rule};
use super::super::trivia::Trivia;
use super::{
    Lowerer, MAX_SYNTAX_ERRORS, Resume, errors, explains, item_start_after, starts_workflow,
    state_start_after,
};

/// What every piece reads: the file, its scan, and the lexical errors (an
/// unterminated string or comment) already reported.
pub(super) struct Context<'s> {
    pub source: &'s str,
    pub trivia: &'s Trivia,
    pub lexical: &'s [SyntaxError],
}

/// The items of a piece of the file and its errors.
pub(super) struct Piece {
    pub items: Vec<ast::Item>,
    /// The failures of pest, in the order they were found.
    pub reported: Vec<SyntaxError>,
    /// The errors of the lowering of the items that parsed.
    pub lowered: Vec<SyntaxError>,
    /// Where the parse stopped: the end of the last item read.
    end: usize,
    /// Whether the parse is over (the end of the file, or too many errors),
    /// rather than stopped before a cut.
    finished: bool,
    /// How many pieces after this one's start were parsed again, because
    /// the parse before them did not end at their cut: none in a file whose
    /// items all end before the next cut, which the tests hold it to.
    reparsed: usize,
}

/// How a file is cut for parsing on several threads.
#[derive(Debug, Clone, Copy)]
pub(in crate::syntax) struct Split {
    /// The most threads to parse on, the caller's included.
    pub threads: NonZeroUsize,
    /// The least length of a piece (`trivia::CUT_SPACING` but in tests); a file
    /// under two pieces' worth is parsed on one thread.
    pub spacing: usize,
}

/// How many pieces each thread gets, at most: more pieces than threads
/// even out pieces that take longer than others (a long workflow, a core
/// that the machine lends to something else for a while).
const PIECES_PER_THREAD: usize = 4;

/// The stack of a thread that parses a piece: that of a main thread, so
/// that nesting that parses on one thread parses on every one.
const STACK_SIZE: usize = 8 * 1024 * 1024;

/// Parses the file from `start`, on up to `split.threads` threads.
pub(super) fn parse(cx: &Context<'_>, start: usize, split: Split) -> Piece {
    let cuts = choose_cuts(cx, start, split);
    if cuts.is_empty() {
        return parse_piece(cx, start, None, 0);
    }
    // Piece `k` runs from `starts[k]` to the next start (the last to the
    // end of the file).
    let starts: Vec<usize> = std::iter::once(start).chain(cuts).collect();
    let mut pieces = parse_all(cx, &starts, split.threads);
    let mut whole = pieces[0]
        .take()
        .unwrap_or_else(|| parse_piece(cx, start, starts.get(1).copied(), 0));
    for (k, &cut) in starts.iter().enumerate().skip(1) {
        if whole.finished {
            break;
        }
        let to = starts.get(k + 1).copied();
        let fits = pieces[k].take().filter(|piece| {
            skip_trivia(cx, whole.end) == cut
                && cx.lexical.len() + whole.reported.len() + piece.reported.len()
                    < MAX_SYNTAX_ERRORS
        });
        let piece = match fits {
            Some(piece) => piece,
            None => {
                whole.reparsed += 1;
                parse_piece(cx, whole.end, to, whole.reported.len())
            }
        };
        whole.append(piece);
    }
    whole
}

/// Parses every piece, each on its own, on up to `threads` threads that
/// take the next piece not yet taken. A piece is `None` where its thread
/// could not be started or panicked: the caller parses it again, where the
/// panic, if it is one, is the caller's like any other.
fn parse_all(cx: &Context<'_>, starts: &[usize], threads: NonZeroUsize) -> Vec<Option<Piece>> {
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&from) = starts.get(k) else {
                return done;
            };
            done.push((k, parse_piece(cx, from, starts.get(k + 1).copied(), 0)));
        }
    };
    let mut pieces: Vec<Option<Piece>> = starts.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.get().min(starts.len()))
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("flow-parse".into())
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for helper in helpers {
            done.extend(helper.join().unwrap_or_default());
        }
        for (k, piece) in done {
            pieces[k] = Some(piece);
        }
    });
    pieces
}

impl Piece {
    fn append(&mut self, next: Piece) {
        self.items.extend(next.items);
        self.reported.extend(next.reported);
        self.lowered.extend(next.lowered);
        self.end = next.end;
        self.finished = next.finished;
        self.reparsed += next.reparsed;
    }
}

/// Where to cut the file: the cut nearest each even share of it, none
/// closer to another than half a share. None when there is one thread, or
/// the file is too small to be worth it.
fn choose_cuts(cx: &Context<'_>, start: usize, split: Split) -> Vec<usize> {
    // The reasoning of `explains` about an unterminated string or comment
    // holds for one parse from the start; a broken file is not cut.
    if !cx.lexical.is_empty() || split.threads.get() == 1 {
        return Vec::new();
    }
    let len = cx.source.len();
    let pieces = (split.threads.get() * PIECES_PER_THREAD)
        .min(len / (2 * split.spacing.max(1)))
        .max(1);
    let share = len / pieces;
    let mut chosen: Vec<usize> = Vec::new();
    for k in 1..pieces {
        let target = k * share;
        let at = cx.trivia.cuts.partition_point(|&cut| cut < target);
        let nearest = [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter_map(|i| cx.trivia.cuts.get(i).copied())
            .min_by_key(|&cut| cut.abs_diff(target));
        if let Some(cut) = nearest {
            let after = chosen.last().copied().unwrap_or(start);
            if cut > after + share / 2 && cut + share / 2 < len {
                chosen.push(cut);
            }
        }
    }
    chosen
}

/// The first place at or after `pos` that is not whitespace or an ordinary
/// comment: where the parse of the next item would find its first token
/// (a doc comment is one).
fn skip_trivia(cx: &Context<'_>, mut pos: usize) -> usize {
    let bytes = cx.source.as_bytes();
    let comments = &cx.trivia.comments;
    loop {
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let at = comments.partition_point(|c| (c.span.start as usize) < pos);
        match comments.get(at) {
            Some(comment) if comment.span.start as usize == pos => {
                pos = comment.span.end as usize;
            }
            _ => return pos,
        }
    }
}

/// Parses items from `start`: to the end of the file, or, given `stop`,
/// until the next item would start at or after it. `reported_before`
/// failures were reported before `start`, and count towards the most a
/// file reports.
fn parse_piece(
    cx: &Context<'_>,
    start: usize,
    stop: Option<usize>,
    reported_before: usize,
) -> Piece {
    let Context {
        source,
        trivia,
        lexical,
    } = *cx;
    let mut pos = start;
    let mut items = Vec::new();
    let mut reported: Vec<SyntaxError> = Vec::new();
    let mut lowered = Vec::new();
    // Reports a failed parse of `rule` at `base`, and says where the parse
    // could go on: `None` past the most errors a file reports.
    let mut report = |error: &pest::error::Error<Rule>, base: usize, rule: Rule| {
        let error = errors::describe(source, base, rule, error, trivia);
        let at = error.offset();
        // A lexical error already explains a failure at or after the
        // unterminated string or comment; say it once.
        let explained = lexical.iter().any(|e| explains(e, source, at));
        if !explained {
            reported.push(error);
        }
        (lexical.len() + reported_before + reported.len() < MAX_SYNTAX_ERRORS).then(|| Resume {
            at,
            next_item: item_start_after(source, at),
            explained,
        })
    };
    let finished = 'items: loop {
        if let Some(stop) = stop
            && skip_trivia(cx, pos) >= stop
        {
            break false;
        }
        let lowerer = Lowerer::new(pos, &trivia.comments);
        if starts_workflow(&source[pos..])
            && let Ok(mut pairs) = FlowParser::parse(Rule::workflow_head, &source[pos..])
            && let Some(head) = pairs.next()
        {
            pos += head.as_span().end();
            let mut workflow = lowerer.workflow_head(head);
            lowered.extend(lowerer.errors.into_inner());
            // A broken state is left out, and the parse goes on at the next
            // state: the workflow keeps every state that parsed, before and
            // after it, for a tool that reads what it can (the checker does
            // not run on a file with syntax errors).
            loop {
                let lowerer = Lowerer::new(pos, &trivia.comments);
                match FlowParser::parse(Rule::workflow_part, &source[pos..]) {
                    Ok(pairs) => {
                        let mut closed = false;
                        for pair in pairs {
                            pos += pair.as_span().end();
                            closed = lowerer.workflow_part(pair, &mut workflow);
                        }
                        lowered.extend(lowerer.errors.into_inner());
                        if closed {
                            items.push(ast::Item::Workflow(workflow));
                            continue 'items;
                        }
                    }
                    Err(error) => {
                        let resume = report(&error, pos, Rule::workflow_part);
                        // The part fails as a whole: read the states before
                        // the failure again, one at a time.
                        let failed_at = resume.as_ref().map_or(pos, |r| r.at);
                        if salvage(cx, &mut pos, failed_at, &mut workflow, &mut lowered) {
                            items.push(ast::Item::Workflow(workflow));
                            continue 'items;
                        }
                        let Some(resume) = resume else {
                            close_broken(source, &mut workflow, failed_at);
                            items.push(ast::Item::Workflow(workflow));
                            break 'items true;
                        };
                        // Go on at the next state of this workflow, so that
                        // one mistake does not hide those after it; not
                        // after an unterminated string or comment, where
                        // what looks like a state may be inside it.
                        let limit = resume.next_item.unwrap_or(source.len());
                        if !resume.explained
                            && let Some(state) = state_start_after(source, resume.at, limit)
                        {
                            pos = state;
                            continue;
                        }
                        close_broken(source, &mut workflow, limit);
                        items.push(ast::Item::Workflow(workflow));
                        match resume.next_item {
                            Some(next) => {
                                pos = next;
                                continue 'items;
                            }
                            None => break 'items true,
                        }
                    }
                }
            }
        }
        match FlowParser::parse(Rule::next_item, &source[pos..]) {
            Ok(pairs) => {
                for pair in pairs {
                    pos += pair.as_span().end();
                    lowerer.next_item(pair, &mut items);
                }
                lowered.extend(lowerer.errors.into_inner());
            }
            Err(_) if FlowParser::parse(Rule::end_of_file, &source[pos..]).is_ok() => break true,
            Err(error) => match report(&error, pos, Rule::next_item).and_then(|r| r.next_item) {
                Some(next) => pos = next,
                None => break true,
            },
        }
    };
    Piece {
        items,
        reported,
        lowered,
        end: pos,
        finished,
        reparsed: 0,
    }
}

/// Reads the states and settings of a workflow from `*pos` one at a time,
/// as long as they end before `failed_at`, where the part that holds them
/// failed: a failed part keeps none of its states, and these are good.
/// True when the workflow's closing brace was read.
fn salvage(
    cx: &Context<'_>,
    pos: &mut usize,
    failed_at: usize,
    workflow: &mut ast::Workflow,
    lowered: &mut Vec<SyntaxError>,
) -> bool {
    while *pos < failed_at {
        let Ok(mut pairs) = FlowParser::parse(Rule::workflow_member, &cx.source[*pos..]) else {
            return false;
        };
        let Some(pair) = pairs.next() else {
            return false;
        };
        let end = *pos + pair.as_span().end();
        if end > failed_at {
            return false;
        }
        let lowerer = Lowerer::new(*pos, &cx.trivia.comments);
        let closed = lowerer.workflow_part(pair, workflow);
        lowered.extend(lowerer.errors.into_inner());
        *pos = end;
        if closed {
            return true;
        }
    }
    false
}

/// Ends the span of a workflow that is never closed where its text ends:
/// before `to`, the next item (or the end of the file, or the failure after
/// which the parse gives up), without the whitespace before it.
fn close_broken(source: &str, workflow: &mut ast::Workflow, to: usize) {
    let end = source.get(..to).map_or(to, |text| text.trim_end().len());
    if end > workflow.span.end as usize {
        workflow.span.end = end as u32;
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::super::trivia;
    use super::*;

    /// Every `.flow` file of the repository's fixtures and examples.
    fn flow_files() -> Vec<String> {
        fn walk(dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "flow")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push(text);
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        walk(&root.join("tests/fixtures"), &mut out);
        walk(&root.join("examples"), &mut out);
        assert!(out.len() > 50, "found only {} .flow files", out.len());
        out
    }

    /// The fixtures that can go into one file: without a byte-order mark,
    /// which only starts a file, and without the lexical errors that stop
    /// the parse of all that comes after them.
    fn joinable() -> Vec<String> {
        flow_files()
            .into_iter()
            .map(|source| source.trim_start_matches('\u{feff}').to_owned())
            .filter(|source| {
                let t = trivia::scan(source, trivia::CUT_SPACING);
                t.unterminated_string.is_none()
                    && t.unterminated_comment.is_none()
                    && t.too_deep.is_none()
            })
            .collect()
    }

    /// The cuts chosen for a clean `source` on `threads` threads, with
    /// pieces of a byte or more, and the parse of its pieces.
    fn cut_and_parse(source: &str, threads: usize) -> (Vec<usize>, Piece) {
        let trivia = trivia::scan(source, 1);
        let cx = Context {
            source,
            trivia: &trivia,
            lexical: &[],
        };
        let split = Split {
            threads: NonZeroUsize::new(threads).unwrap_or(NonZeroUsize::MIN),
            spacing: 1,
        };
        (choose_cuts(&cx, 0, split), parse(&cx, 0, split))
    }

    fn parse_with(source: &str, threads: usize, spacing: usize) -> String {
        let threads = NonZeroUsize::new(threads).unwrap_or(NonZeroUsize::MIN);
        format!(
            "{:#?}",
            super::super::parse(source, Split { threads, spacing })
        )
    }

    fn assert_same(source: &str, what: &str) {
        let one = parse_with(source, 1, trivia::CUT_SPACING);
        for (threads, spacing) in [(2, 1), (4, 1), (8, 1), (3, 64), (2, 500)] {
            assert!(
                one == parse_with(source, threads, spacing),
                "{what}: {threads} threads, pieces of {spacing} bytes or more, \
                 parse differently from one thread:\n{source}"
            );
        }
    }

    #[test]
    fn every_fixture_parses_on_threads_as_on_one() {
        for source in flow_files() {
            assert_same(&source, "a fixture");
        }
    }

    #[test]
    fn broken_files_parse_on_threads_as_on_one() {
        // Deleting a character here and there breaks items in every way a
        // cut could meet: an item that runs on past it, a recovery that
        // jumps over it, an unterminated string or comment before it.
        for source in flow_files() {
            let step = (source.len() / 12).max(1);
            for at in (0..source.len()).step_by(step) {
                if !source.is_char_boundary(at) {
                    continue;
                }
                let mut broken = source.clone();
                broken.remove(at);
                assert_same(&broken, "a broken fixture");
            }
        }
    }

    #[test]
    fn many_errors_stop_at_the_same_place_on_threads() {
        // All the fixtures in one file make more than the most syntax errors
        // a file reports; wherever the pieces are, the count stops at the
        // same error.
        let all = joinable().join("\n").repeat(6);
        let errors = |source: &str| {
            let split = Split {
                threads: NonZeroUsize::MIN,
                spacing: 1,
            };
            super::super::parse(source, split).errors.len()
        };
        // The parse stopped: more of the same finds no more errors.
        assert!(errors(&all) >= MAX_SYNTAX_ERRORS);
        assert_eq!(errors(&all), errors(&all.repeat(2)));
        assert_same(&all, "all fixtures in one file");
    }

    #[test]
    fn a_clean_file_is_never_parsed_twice() {
        // The cuts of a file without errors all fall between items, so each
        // piece is taken as its thread parsed it.
        let clean: Vec<String> = joinable()
            .into_iter()
            .filter(|source| crate::syntax::parse(source).errors.is_empty())
            .collect();
        assert!(clean.len() > 20, "found only {} clean files", clean.len());
        let source = clean.join("\n");
        let (cuts, whole) = cut_and_parse(&source, 4);
        assert!(cuts.len() > 10);
        assert!(
            whole.reported.is_empty() && whole.lowered.is_empty(),
            "{:?} {:?}",
            whole.reported,
            whole.lowered
        );
        assert_eq!(whole.reparsed, 0);
        assert_eq!(
            whole.items.len(),
            crate::syntax::parse(&source).file.items.len()
        );
    }

    #[test]
    fn a_piece_that_a_recovery_jumps_over_is_parsed_again() {
        // `type A =` takes the `type` of the next line for its type and
        // fails there, and the parse goes on at the item after that one: the
        // piece cut at `type B` is not what one parse from the start reads.
        let source: String = std::iter::once("type A =\n".to_owned())
            .chain((0..5).map(|i| format!("type B{i} = int\n")))
            .collect();
        let (cuts, whole) = cut_and_parse(&source, 2);
        // Eight pieces of about nine bytes: the first cut is at `type B0`.
        assert_eq!(cuts.first(), Some(&9));
        assert_eq!(whole.reparsed, 1);
        assert_eq!(whole.reported.len(), 1);
        assert_same(&source, "a file whose first item runs into the second");
    }
}

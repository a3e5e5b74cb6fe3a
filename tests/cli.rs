//! The `flow` binary as a user sees it: exit status, stdout and stderr of
//! each command, snapshotted. Output is made deterministic with `NO_COLOR`
//! and a fixed width (`FLOW_TERM_WIDTH`); paths are relative to the package
//! root, where the commands run.

mod common;

use std::path::Path;

/// Runs `flow` with `args` and, if given, `stdin`; returns the snapshot text.
fn run_with_input(args: &[&str], stdin: Option<&str>) -> String {
    let mut command = common::cli::flow(Path::new(env!("CARGO_MANIFEST_DIR")));
    command.args(args);
    common::cli::transcript(&common::cli::output(command, stdin))
}

fn run(args: &[&str]) -> String {
    run_with_input(args, None)
}

macro_rules! cli_snapshot {
    ($name:ident, $args:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), run(&$args));
        }
    };
}

// ------------------------------------------------------------------ check
cli_snapshot!(check_clean, ["check", "tests/fixtures/cli/clean.flow"]);
cli_snapshot!(check_errors, ["check", "tests/fixtures/cli/errors.flow"]);
cli_snapshot!(
    check_syntax_error,
    ["check", "tests/fixtures/cli/syntax.flow"]
);
cli_snapshot!(
    check_json,
    [
        "check",
        "--format",
        "json",
        "tests/fixtures/cli/errors.flow"
    ]
);
cli_snapshot!(
    check_json_clean,
    ["check", "--format", "json", "tests/fixtures/cli/clean.flow"]
);
// A file saved with old Mac line endings, and one that starts with a
// byte-order mark: read like any other, with lines and columns as an editor
// shows them (the mark is no column) and offsets into the file as it is.
cli_snapshot!(check_cr_only, ["check", "tests/fixtures/cli/cr_only.flow"]);
cli_snapshot!(
    check_bom_json,
    ["check", "--format", "json", "tests/fixtures/cli/bom.flow"]
);
cli_snapshot!(
    check_warnings,
    ["check", "tests/fixtures/cli/warnings.flow"]
);
cli_snapshot!(
    check_deny_warnings,
    [
        "check",
        "--deny",
        "warnings",
        "tests/fixtures/cli/warnings.flow"
    ]
);
cli_snapshot!(
    check_several_files,
    [
        "check",
        "tests/fixtures/cli/clean.flow",
        "tests/fixtures/cli/errors.flow",
        "tests/fixtures/cli/warnings.flow"
    ]
);
cli_snapshot!(
    check_several_files_json,
    [
        "check",
        "--format",
        "json",
        "tests/fixtures/cli/warnings.flow",
        "tests/fixtures/cli/errors.flow"
    ]
);
cli_snapshot!(
    check_missing_file,
    [
        "check",
        "tests/fixtures/cli/clean.flow",
        "tests/fixtures/cli/missing.flow"
    ]
);
cli_snapshot!(check_not_utf8, ["check", "tests/fixtures/cli/latin1.flow"]);
cli_snapshot!(check_directory, ["check", "tests/fixtures/cli"]);
// A directory with no `.flow` file (its only one is in a hidden directory)
// is an error, not a silent pass; the other files are still checked.
cli_snapshot!(
    check_directory_without_flow_files,
    [
        "check",
        "tests/fixtures/cli/no_flow_files",
        "tests/fixtures/cli/clean.flow"
    ]
);
cli_snapshot!(check_without_files, ["check"]);
cli_snapshot!(
    check_bad_format,
    ["check", "--format", "xml", "tests/fixtures/cli/clean.flow"]
);
cli_snapshot!(
    check_bad_deny,
    ["check", "--deny", "errors", "tests/fixtures/cli/clean.flow"]
);
cli_snapshot!(check_help, ["check", "--help"]);

#[test]
fn check_stdin() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cli/warnings.flow"
    ))
    .expect("the fixture exists");
    insta::assert_snapshot!(
        "check_stdin",
        run_with_input(&["check", "-"], Some(&source))
    );
}

/// `--color always` colours even when stderr is not a terminal, and beats
/// `NO_COLOR`; `auto` does not colour a pipe.
#[test]
fn color_follows_the_flag() {
    let always = run(&[
        "--color",
        "always",
        "check",
        "tests/fixtures/cli/errors.flow",
    ]);
    assert!(always.contains("\x1b["), "{always}");
    let auto = run(&["check", "tests/fixtures/cli/errors.flow"]);
    assert!(!auto.contains('\x1b'), "{auto}");
}

// ---------------------------------------------------------------- explain
cli_snapshot!(explain_full_code, ["explain", "flow::check::unknown_state"]);
cli_snapshot!(explain_bare_name, ["explain", "unbounded_cycle"]);
cli_snapshot!(explain_unknown_code, ["explain", "unknown_stat"]);
cli_snapshot!(explain_nonsense, ["explain", "banana"]);
cli_snapshot!(explain_list, ["explain", "--list"]);
cli_snapshot!(explain_without_code, ["explain"]);
cli_snapshot!(explain_help, ["explain", "--help"]);

/// The short and stage-qualified spellings print the same text as the full
/// code.
#[test]
fn explain_accepts_every_spelling() {
    let full = run(&["explain", "flow::check::unknown_state"]);
    assert_eq!(run(&["explain", "check::unknown_state"]), full);
    assert_eq!(run(&["explain", "unknown_state"]), full);
}

// -------------------------------------------------------------------- lsp
cli_snapshot!(lsp_help, ["lsp", "--help"]);

/// Messages framed as the protocol frames them on stdio.
fn framed(messages: &[&str]) -> String {
    messages
        .iter()
        .map(|m| format!("Content-Length: {}\r\n\r\n{m}", m.len()))
        .collect()
}

const INITIALIZE: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
const SHUTDOWN: &str = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
const EXIT: &str = r#"{"jsonrpc":"2.0","method":"exit"}"#;

/// A real process over stdio (as editors pass it, with `--stdio`):
/// initialized, shut down and exited as the protocol asks, status 0.
#[test]
fn lsp_session() {
    let input = framed(&[INITIALIZE, INITIALIZED, SHUTDOWN, EXIT]);
    insta::assert_snapshot!(
        "lsp_session",
        run_with_input(&["lsp", "--stdio"], Some(&input))
    );
}

/// `exit` without `shutdown`: status 1, as the protocol says.
#[test]
fn lsp_exit_without_shutdown() {
    let input = framed(&[INITIALIZE, INITIALIZED, EXIT]);
    insta::assert_snapshot!(
        "lsp_exit_without_shutdown",
        run_with_input(&["lsp"], Some(&input))
    );
}

/// Standard input closed without `shutdown` and `exit`: status 1.
#[test]
fn lsp_stdin_closed() {
    let input = framed(&[INITIALIZE, INITIALIZED]);
    insta::assert_snapshot!("lsp_stdin_closed", run_with_input(&["lsp"], Some(&input)));
}

/// A message that is not framed as the protocol asks: status 1, said.
#[test]
fn lsp_malformed_message() {
    insta::assert_snapshot!(
        "lsp_malformed_message",
        run_with_input(&["lsp"], Some("hello\n"))
    );
}

// -------------------------------------------------------------- top level
cli_snapshot!(help, ["--help"]);
cli_snapshot!(status_help, ["status", "--help"]);
cli_snapshot!(logs_help, ["logs", "--help"]);
cli_snapshot!(prune_help, ["prune", "--help"]);
cli_snapshot!(no_arguments, []);
cli_snapshot!(unknown_subcommand, ["chek", "x.flow"]);

#[test]
fn version() {
    assert_eq!(
        run(&["--version"]),
        format!(
            "status: 0\n---- stdout ----\nflow {}\n---- stderr ----\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

//! Running the `flow` binary the way the CLI snapshots show it: with the
//! environment that makes its output the same everywhere, and its exit
//! status, stdout and stderr as one text.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `flow` in `dir`, without colour, wrapping diagnostics at 100 columns.
pub fn flow(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flow"));
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("FLOW_TERM_WIDTH", "100")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `flow ARGS` in `dir` with the run store `dir/.flow/runs.db`
/// (`FLOW_STORE`) and no standard input.
pub fn flow_with_store(dir: &Path, args: &[&str]) -> Command {
    let mut command = flow(dir);
    command
        .args(args)
        .env("FLOW_STORE", dir.join(".flow/runs.db"))
        .stdin(Stdio::null());
    command
}

/// Runs the command with `stdin` as its standard input (none when `None`).
pub fn output(mut command: Command, stdin: Option<&str>) -> Output {
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().expect("the flow binary starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes())
            .expect("stdin accepts the input");
    }
    child.wait_with_output().expect("the flow binary finishes")
}

/// The exit status, stdout and stderr, as the snapshots show them.
pub fn transcript(output: &Output) -> String {
    format!(
        "status: {}\n---- stdout ----\n{}---- stderr ----\n{}",
        output
            .status
            .code()
            .map_or("killed by a signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    )
}

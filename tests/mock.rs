//! `flow run --mock` with sequences of outcomes, and the trace lines of
//! retries, refusals, hook failures and cancelled branches, as a user sees
//! them: exit status, stdout and stderr, snapshotted. The fixtures are in
//! `tests/fixtures/mock/`, and the mock files are given relative to it.

use std::process::{Command, Stdio};

const DIR: &str = "tests/fixtures/mock";

/// `flow run FILE args...` in the fixtures' directory; the exit status,
/// stdout and stderr as one text, with the run id redacted.
fn run(file: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_flow"))
        .current_dir(format!("{}/{DIR}", env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .env("FLOW_TERM_WIDTH", "100")
        .env("FLOW_TRACE_DURATIONS", "0")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .arg("run")
        .arg(file)
        .arg("--no-store")
        .args(args)
        .output()
        .expect("the flow binary runs");
    format!(
        "status: {}\n---- stdout ----\n{}---- stderr ----\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        redact_run_id(&String::from_utf8_lossy(&output.stderr))
    )
}

fn redact_run_id(text: &str) -> String {
    const MARK: &str = "(run ";
    let Some(at) = text.find(MARK) else {
        return text.to_owned();
    };
    let start = at + MARK.len();
    let id = &text[start..start + 16];
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "run id `{id}`");
    format!("{}[id]{}", &text[..start], &text[start + 16..])
}

macro_rules! snapshot {
    ($name:ident, $file:expr, $args:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), run($file, &$args));
        }
    };
}

// The reviewer rejects the first draft and approves the second.
snapshot!(
    mock_sequence_review_loop,
    "review.flow",
    [
        "--mock",
        "Reviewer=@reject.json",
        "--mock",
        "Reviewer=@approve.json"
    ]
);

// A transient failure, retried after the fixed backoff, then an approval.
snapshot!(
    mock_sequence_retry,
    "review.flow",
    [
        "--mock",
        "Reviewer=fail:transient:the reviewer is busy",
        "--mock",
        "Reviewer=@approve.json"
    ]
);

// A `worker` failure is not retried and takes the failure route.
snapshot!(
    mock_failure_route,
    "review.flow",
    ["--mock", "Reviewer=fail:worker:no reviewer today"]
);

// The last outcome repeats: rejected every time, `write` is refused its
// fourth visit.
snapshot!(
    mock_last_outcome_repeats_until_max_visits,
    "review.flow",
    ["--mock", "Reviewer=@reject.json"]
);

snapshot!(
    mock_unknown_class,
    "review.flow",
    ["--mock", "Reviewer=fail:flaky:sometimes"]
);

snapshot!(
    mock_neither_file_nor_failure,
    "review.flow",
    ["--mock", "Reviewer={\"approved\": true}"]
);

snapshot!(
    mock_human_needs_nobody,
    "human.flow",
    ["--mock", "Approver=@approve.json"]
);

snapshot!(human_unmocked_is_refused, "human.flow", []);

snapshot!(
    trace_names_cancelled_branches,
    "cancel.flow",
    ["--workflow", "fan"]
);

snapshot!(
    trace_names_the_failing_hook,
    "cancel.flow",
    ["--workflow", "hooked"]
);

/// The events of a mocked retry, as `--events ndjson` writes them: the
/// `retry_scheduled` event carries the wait, the attempt to come and the
/// failure that caused it.
#[test]
fn mock_retry_events() {
    let output = Command::new(env!("CARGO_BIN_EXE_flow"))
        .current_dir(format!("{}/{DIR}", env!("CARGO_MANIFEST_DIR")))
        .stdin(Stdio::null())
        .args(["run", "review.flow", "--no-store", "--events", "ndjson"])
        .args(["--mock", "Reviewer=fail:transient:busy"])
        .output()
        .expect("the flow binary runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&output.stderr).lines().count(), 1);
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let retries: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "retry_scheduled")
        .map(|e| {
            (
                e["step"].clone(),
                e["attempt"].clone(),
                e["max_attempts"].clone(),
                e["delay_ms"].clone(),
                e["class"].clone(),
                e["message"].clone(),
            )
        })
        .collect();
    assert_eq!(
        retries,
        vec![(
            "review".into(),
            2.into(),
            2.into(),
            50.into(),
            "transient".into(),
            "busy".into()
        )]
    );
}

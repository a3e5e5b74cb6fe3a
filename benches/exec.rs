//! The `exec` executor's overhead: a workflow of 20 sequential steps, each
//! running `true`, against spawning `true` 20 times directly.
//!
//! Three measurements of the same 20 processes:
//! - `std_spawn`: `std::process::Command::new("true").status()` in a loop,
//!   the least a program can do to run them;
//! - `tokio_spawn`: the same with `tokio::process`, which the engine uses;
//! - `tokio_spawn_piped`: the same with stdin, stdout and stderr piped and
//!   a process group of its own, as the executor starts programs, with `{}`
//!   written to stdin and both outputs read to their end;
//! - `workflow`: the engine running the workflow, with everything a step
//!   does (input on stdin, stdout and stderr read, a process group, output
//!   validated, events built, transitions taken).
//!
//! Run with `cargo bench --bench exec`. The target is `workflow` within
//! 1.2× of `std_spawn`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use flow::ir::{Program, WorkflowId};
use flow::runtime::engine::{self, NoSink, RunOptions, RunOutcome};
use serde_json::json;

/// Steps per run, and processes per iteration of every measurement.
const STEPS: usize = 20;

/// `STEPS` states `s0 -> s1 -> … -> done`, each running `true`.
fn source() -> String {
    let mut source = String::from(
        "worker True() -> string {\n  exec { command: [\"true\"] }\n}\n\nworkflow trues() -> bool {\n",
    );
    for i in 0..STEPS {
        let next = if i + 1 == STEPS {
            "done".to_string()
        } else {
            format!("s{}", i + 1)
        };
        source.push_str(&format!(
            "  step s{i} = True() {{\n    on_success -> {next}\n  }}\n"
        ));
    }
    source.push_str("  succeed done = true\n}\n");
    source
}

fn program() -> Program {
    let parsed = flow::syntax::parse(&source());
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    match flow::check::check_program(&parsed.file) {
        (Some(program), _) => program,
        (None, problems) => panic!("the benchmark's workflow does not check: {problems:#?}"),
    }
}

fn options(env: &Arc<std::collections::HashMap<String, String>>) -> RunOptions {
    RunOptions {
        run_id: Some("bench".into()),
        seed: Some(1),
        env: env.clone(),
        ..RunOptions::default()
    }
}

fn exec_overhead(c: &mut Criterion) {
    let program = program();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => panic!("no tokio runtime: {e}"),
    };
    let env = Arc::new(std::collections::HashMap::new());
    let run = || {
        runtime.block_on(engine::run(
            &program,
            WorkflowId(0),
            json!({}),
            options(&env),
            &NoSink,
        ))
    };
    // Refuse to measure a run that does not do what is described above.
    let finished = run().unwrap_or_else(|e| panic!("the run did not start: {e}"));
    assert_eq!(
        finished.outcome,
        RunOutcome::Succeeded {
            output: json!(true)
        }
    );
    assert_eq!(finished.state.steps, STEPS as u64);

    let mut group = c.benchmark_group("exec");
    group.throughput(Throughput::Elements(STEPS as u64));
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    group.sample_size(50);
    group.bench_function("std_spawn", |b| {
        b.iter(|| {
            for _ in 0..STEPS {
                let status = std::process::Command::new("true").status();
                assert!(matches!(status, Ok(s) if s.success()));
            }
        })
    });
    group.bench_function("tokio_spawn", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for _ in 0..STEPS {
                    let status = tokio::process::Command::new("true").status().await;
                    assert!(matches!(status, Ok(s) if s.success()));
                }
            })
        })
    });
    group.bench_function("tokio_spawn_piped", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for _ in 0..STEPS {
                    assert!(piped_true().await);
                }
            })
        })
    });
    group.bench_function("workflow", |b| b.iter(run));
    group.finish();
}

/// Runs `true` the way the executor does, without the executor.
async fn piped_true() -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut child) = tokio::process::Command::new("true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
    else {
        return false;
    };
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return false;
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let (_, read_out, read_err, status) = tokio::join!(
        async move {
            let _ = stdin.write_all(b"{}").await;
        },
        stdout.read_to_end(&mut out),
        stderr.read_to_end(&mut err),
        child.wait(),
    );
    read_out.is_ok() && read_err.is_ok() && matches!(status, Ok(s) if s.success())
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    exec_overhead(&mut criterion);
    criterion.final_summary();
}

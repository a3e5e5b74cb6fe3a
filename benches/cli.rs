//! Wall time of the `flow` binary on the CLI targets:
//!
//! - a generated file of 1,000 lines, which checks clean, in under 20 ms;
//! - a generated 10 MB file with a syntax error near its end, reported
//!   promptly and at the right line;
//! - the generated file of 100,000 states (46 MB, the largest of
//!   `benches/frontend.rs`), checked end to end at 18 MB/s or more.
//!
//! The same 10 MB file without the error is timed too, to show what the
//! error costs over a clean check.
//!
//! `cargo bench --bench cli` writes the files to a temporary directory and
//! times `flow check FILE` with `hyperfine` when it is installed, or else
//! with a loop of runs; it also times parse + check in process, to show what
//! the process start and the rendering add. Without `--bench` (as under
//! `cargo test --all-targets`, in a debug build) the large file is 256 KB,
//! the "100,000-state" file has 200 states, and every command runs once, as
//! a smoke test.

#[path = "gen/mod.rs"]
mod generator;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const SEED: u64 = 1;
const TEN_MB: usize = 10 * 1024 * 1024;
/// The "large" file of the smoke test.
const SMOKE_BYTES: usize = 256 * 1024;
/// The states of the end-to-end throughput file, and of its smoke test.
const STATES: usize = 100_000;
const SMOKE_STATES: usize = 200;

/// The `flow` binary cargo built for this benchmark (the bench profile,
/// which is the release profile).
const FLOW: &str = env!("CARGO_BIN_EXE_flow");

fn main() -> ExitCode {
    let full = std::env::args().any(|arg| arg == "--bench");
    match run(full) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(full: bool) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("flow-cli-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = measure(&dir, full);
    // Best effort: a leftover directory in the temporary directory is harmless.
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(dir: &Path, full: bool) -> Result<(), String> {
    let small = generator::generate_lines(1_000, SEED);
    let small_path = write(dir, "lines_1000.flow", &small.source)?;
    let large = generator::generate_bytes(if full { TEN_MB } else { SMOKE_BYTES }, SEED);
    let (broken, error_line) = generator::break_near_end(&large.source)
        .ok_or("the generated large file has no step to break")?;
    let broken_path = write(dir, "large_syntax_error.flow", &broken)?;
    let clean_path = write(dir, "large_clean.flow", &large.source)?;
    let states = if full { STATES } else { SMOKE_STATES };
    let huge = generator::generate(states, SEED);
    let huge_path = write(dir, &format!("states_{states}.flow"), &huge.source)?;

    println!("flow binary: {FLOW}");
    println!(
        "{}: {} lines, {} bytes, {} states",
        small_path.display(),
        small.lines(),
        small.source.len(),
        small.states
    );
    println!(
        "{}: {} lines, {} bytes, syntax error expected at line {error_line}",
        broken_path.display(),
        broken.lines().count(),
        broken.len()
    );

    println!(
        "{}: {} lines, {} bytes, {} states",
        huge_path.display(),
        huge.lines(),
        huge.source.len(),
        huge.states
    );

    // What the user sees must be right before its speed matters.
    for path in [&small_path, &clean_path, &huge_path] {
        let status = run_once(path)?;
        if status != Some(0) {
            return Err(format!(
                "`flow check {}` exits with {status:?}; the generated files should check clean",
                path.display()
            ));
        }
    }
    println!("`flow check` finds nothing in the generated files, as expected");
    let reported = reported_line(&broken_path)?;
    if reported != Some(error_line) {
        return Err(format!(
            "`flow check --format json` reported the syntax error at line {reported:?}, expected {error_line}"
        ));
    }
    println!("the large file's syntax error is reported at line {error_line}, as expected");

    println!("\nin process (parse + check, best of the runs):");
    let runs = if full { 20 } else { 1 };
    in_process("1,000-line file", &small.source, runs);
    in_process("large file with a syntax error", &broken, runs.min(5));
    in_process(
        "the same large file without the error",
        &large.source,
        runs.min(5),
    );
    in_process(
        &format!("the {states}-state file"),
        &huge.source,
        runs.min(3),
    );

    println!("\n`flow check FILE` wall time:");
    let files = [&small_path, &broken_path, &clean_path];
    if !full {
        for path in files.into_iter().chain([&huge_path]) {
            let start = Instant::now();
            run_once(path)?;
            println!(
                "  {}: {:.1} ms (one run)",
                path.display(),
                millis(start.elapsed())
            );
        }
        return Ok(());
    }
    if hyperfine_available() {
        hyperfine(&files)?;
        println!("\n`flow check` of the {states}-state file, end to end:");
        throughput_hyperfine(&huge_path, huge.source.len(), dir)
    } else {
        println!("  (hyperfine is not installed: timing a loop of runs instead)");
        for path in files {
            looped(path, 50)?;
        }
        println!("\n`flow check` of the {states}-state file, end to end:");
        let times = looped(&huge_path, 5)?;
        print_throughput(huge.source.len(), &times);
        Ok(())
    }
}

/// Times `flow check FILE` on the large file with hyperfine (fewer runs: one
/// takes seconds) and prints its throughput from hyperfine's own times.
fn throughput_hyperfine(path: &Path, bytes: usize, dir: &Path) -> Result<(), String> {
    let export = dir.join("hyperfine.json");
    let status = Command::new("hyperfine")
        .args(["--shell=none", "--warmup", "1", "--min-runs", "10"])
        .arg("--export-json")
        .arg(&export)
        .arg(format!("{FLOW} check {}", path.display()))
        .status()
        .map_err(|e| format!("cannot run hyperfine: {e}"))?;
    if !status.success() {
        return Err(format!("hyperfine failed with {status}"));
    }
    let text = std::fs::read_to_string(&export)
        .map_err(|e| format!("cannot read {}: {e}", export.display()))?;
    let report: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("hyperfine's export is not JSON ({e})"))?;
    let times: Vec<Duration> = report["results"][0]["times"]
        .as_array()
        .ok_or("hyperfine's export has no times")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .map(Duration::from_secs_f64)
        .collect();
    print_throughput(bytes, &times);
    Ok(())
}

/// The mean, median and best throughput of a set of runs, in MB/s (10^6
/// bytes), as the frontend benchmark counts them.
fn print_throughput(bytes: usize, times: &[Duration]) {
    if times.is_empty() {
        return;
    }
    let mut sorted = times.to_vec();
    sorted.sort();
    let mean = sorted.iter().sum::<Duration>() / sorted.len() as u32;
    let rate = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!(
        "  {} runs: mean {:.1} MB/s ({:.2} s), median {:.1} MB/s, best {:.1} MB/s",
        sorted.len(),
        rate(mean),
        mean.as_secs_f64(),
        rate(sorted[sorted.len() / 2]),
        rate(sorted[0])
    );
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Runs `flow check FILE` once, discarding its output, and returns its
/// exit code.
fn run_once(path: &Path) -> Result<Option<i32>, String> {
    let status = Command::new(FLOW)
        .arg("check")
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {FLOW}: {e}"))?;
    Ok(status.code())
}

/// The line of the first label of the first diagnostic that
/// `flow check --format json` prints for `path`.
fn reported_line(path: &Path) -> Result<Option<usize>, String> {
    let output = Command::new(FLOW)
        .args(["check", "--format", "json"])
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {FLOW}: {e}"))?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "`flow check --format json` printed something that is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
                .chars()
                .take(300)
                .collect::<String>()
        )
    })?;
    Ok(report["diagnostics"][0]["labels"][0]["line"]
        .as_u64()
        .map(|line| line as usize))
}

fn in_process(what: &str, source: &str, runs: usize) {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let parsed = flow::syntax::parse(std::hint::black_box(source));
        let problems = if parsed.errors.is_empty() {
            flow::check::check(&parsed.file)
        } else {
            Vec::new()
        };
        std::hint::black_box((parsed, problems));
        best = best.min(start.elapsed());
    }
    let mb_per_s = source.len() as f64 / 1e6 / best.as_secs_f64();
    println!("  {what}: {:.2} ms, {mb_per_s:.1} MB/s", millis(best));
}

fn hyperfine_available() -> bool {
    Command::new("hyperfine")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Times every file with hyperfine, without a shell in between, ignoring
/// the exit status (the broken file exits with 1 by design).
fn hyperfine(files: &[&PathBuf]) -> Result<(), String> {
    let mut command = Command::new("hyperfine");
    command.args([
        "--shell=none",
        "--ignore-failure",
        "--warmup",
        "5",
        "--min-runs",
        "30",
    ]);
    for path in files {
        command.arg(format!("{FLOW} check {}", path.display()));
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run hyperfine: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("hyperfine failed with {status}"))
    }
}

/// Times `runs` runs of `flow check FILE` after a few to warm the caches,
/// and returns their times.
fn looped(path: &Path, runs: usize) -> Result<Vec<Duration>, String> {
    for _ in 0..(runs / 10).max(1) {
        run_once(path)?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        run_once(path)?;
        times.push(start.elapsed());
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / runs as u32;
    println!(
        "  {}: mean {:.1} ms, median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs)",
        path.display(),
        millis(mean),
        millis(times[runs / 2]),
        millis(times[0]),
        millis(times[runs - 1])
    );
    Ok(times)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

//! The kill test of the design (section 6): a workflow whose programs
//! append their idempotency keys to a file, with a `parallel` state and a
//! `map`, is run with a store and killed with SIGKILL at random instants
//! (some during journal writes), resumed each time, until it finishes.
//! Asserted after every kill: the run is in the store and not lost or
//! ended wrongly; at the end: the output is right, every step visit's side
//! effect is there, and a key appears more than once only for a call that
//! was under way at a kill.

mod common;

use common::cli::flow_with_store as flow;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const KILLS: usize = 200;

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-kill-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn source(keys: &Path) -> String {
    let keys = keys.display();
    format!(
        r#"
worker Mark(n: int) -> int {{
  exec {{ command: ["sh", "-c", "echo \"$FLOW_IDEMPOTENCY_KEY\" >> {keys}; sleep 0.01; echo \"$1\"", "mark", "${{n}}"] }}
}}

workflow killed() -> int {{
  step first = Mark(n: 1) {{
    on_success -> fan
  }}
  parallel fan {{
    branch a = Mark(n: 2)
    branch b = Mark(n: 3)
    branch c = Mark(n: 4)
    on_success -> each
  }}
  map each = Mark(n: item) for item in [5, 6, 7, 8, 9, 10] {{
    max_concurrency: 2
    on_success -> last
  }}
  step last = Mark(n: first + fan.a + fan.b + fan.c + (each[0] ?? 0) + (each[5] ?? 0)) {{
    on_success -> done
  }}
  succeed done = last
}}
"#
    )
}

/// A small xorshift: the test's own randomness, seeded from the clock and
/// printed, so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The runs of the store as JSON (empty when there is no store yet).
fn runs(dir: &Path) -> Vec<serde_json::Value> {
    if !dir.join(".flow/runs.db").exists() {
        return Vec::new();
    }
    let out = flow(dir, &["runs", "--format", "json", "--limit", "100000"])
        .output()
        .unwrap_or_else(|e| panic!("flow runs: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
        .unwrap_or_else(|e| panic!("flow runs --format json: {e}"))
}

/// Drives one new run (one not in `known`) to its end through kills; the
/// number of kills and the run's id. A run found `succeeded` after a kill
/// (the kill came after its end was committed) is finished: its output is
/// in the store.
fn one_run(dir: &Path, rng: &mut Rng, kills_wanted: usize, known: &[String]) -> (usize, String) {
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert!(
            Instant::now() < deadline,
            "the run did not finish in 5 minutes"
        );
        let listed = runs(dir);
        let new: Vec<_> = listed
            .iter()
            .filter(|r| !known.iter().any(|k| r["id"] == k.as_str()))
            .collect();
        assert!(new.len() <= 1, "one new run, not: {new:?}");
        let mut command = match new.first() {
            None => flow(dir, &["run", "killed.flow"]),
            Some(run) if run["status"] == "succeeded" => {
                assert_eq!(run["outcome_json"], "25", "{run}");
                return (kills, run["id"].as_str().unwrap_or_default().to_owned());
            }
            Some(run) => {
                assert_eq!(run["status"], "running", "after {kills} kills: {run}");
                flow(dir, &["resume", run["id"].as_str().unwrap_or_default()])
            }
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("flow: {e}"));
        if kills < kills_wanted {
            std::thread::sleep(Duration::from_millis(rng.below(40)));
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
                kills += 1;
                continue;
            }
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("flow: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "after {kills} kills: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "25",
            "{stderr}"
        );
    }
}

#[test]
fn runs_killed_200_times_finish_with_every_effect_once_or_in_flight() {
    let dir = tempdir("random");
    let keys = dir.join("keys");
    std::fs::write(dir.join("killed.flow"), source(&keys)).unwrap_or_else(|e| panic!("{e}"));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("kill test seed: {seed}");
    let mut rng = Rng(seed);
    let mut kills = 0;
    let mut finished = Vec::new();
    while kills < KILLS {
        let known: Vec<String> = finished
            .iter()
            .map(|(_, id): &(usize, String)| id.clone())
            .collect();
        let (n, id) = one_run(&dir, &mut rng, KILLS - kills, &known);
        kills += n;
        finished.push((n, id));
    }
    let listed = runs(&dir);
    assert_eq!(listed.len(), finished.len(), "{listed:?}");
    assert!(
        listed.iter().all(|r| r["status"] == "succeeded"),
        "{listed:?}"
    );

    let text = std::fs::read_to_string(&keys).unwrap_or_default();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for line in text.lines() {
        *seen.entry(line).or_default() += 1;
    }
    let mut expected = 0;
    for (n, id) in &finished {
        let mut keys: Vec<String> = ["first", "fan.a", "fan.b", "fan.c", "last"]
            .iter()
            .map(|s| format!("{id}:{s}:1"))
            .collect();
        keys.extend((0..6).map(|i| format!("{id}:each[{i}]:1")));
        for key in &keys {
            assert!(
                seen.contains_key(key.as_str()),
                "no effect of {key}: {seen:?}"
            );
        }
        // A call runs again only when it was under way at a kill, and at
        // most three run at once (the parallel state's branches).
        let repeats: usize = keys
            .iter()
            .map(|k| seen.get(k.as_str()).map_or(0, |c| c - 1))
            .sum();
        assert!(
            repeats <= 3 * n,
            "run {id}: {repeats} repeats for {n} kills"
        );
        expected += keys.len();
    }
    assert_eq!(seen.len(), expected, "unexpected keys: {seen:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

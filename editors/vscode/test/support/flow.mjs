// Runs the project's `flow` binary: the one named by FLOW_BIN, or
// `cargo run --bin flow` in the repository (CI has built it by then).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repositoryDir } from './tools.mjs';

/** Runs `flow` with `args`; returns its exit status and output. */
export function flow(args) {
  const [command, prefix] = process.env.FLOW_BIN
    ? [process.env.FLOW_BIN, []]
    : ['cargo', ['run', '--quiet', '--bin', 'flow', '--']];
  const result = spawnSync(command, [...prefix, ...args], {
    cwd: repositoryDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20 * 60_000,
  });
  if (result.error) {
    throw new Error(`could not run ${command} (set FLOW_BIN to a built flow binary): ${result.error.message}`);
  }
  return result;
}

/** `flow check --format json` over `files`: the parsed report. */
export function check(files) {
  const result = flow(['check', '--color', 'never', '--format', 'json', ...files]);
  assert.ok([0, 1].includes(result.status), `flow check failed to run (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

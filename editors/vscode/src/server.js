// Finding the `flow` binary and saying, in words, why it cannot serve: the
// part of the extension that needs no editor, so that the tests can run it
// with node alone.

'use strict';

const { execFile } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

/** How long `flow lsp --help` may take before the binary counts as broken. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * The command to run for the setting `flow.path` (`configured`): `~` is the
 * home directory, a relative path with a directory in it (`target/debug/flow`)
 * is relative to the first workspace folder, a bare name (`flow`) is looked
 * up on PATH when it runs. Returns `{ command, tried }`: `tried` says in
 * words where it was looked for.
 */
function resolveCommand(configured, workspaceFolder) {
  let value = typeof configured === 'string' ? configured.trim() : '';
  if (value === '') value = 'flow';
  if (value === '~' || value.startsWith('~/') || value.startsWith('~\\')) {
    value = path.join(os.homedir(), value.slice(1));
  }
  const hasDirectory = value.includes('/') || value.includes('\\');
  if (!hasDirectory) {
    return { command: value, tried: `"${value}" (looked up on PATH)` };
  }
  const command = path.isAbsolute(value) || !workspaceFolder ? value : path.resolve(workspaceFolder, value);
  return { command, tried: `"${command}"` };
}

const HOW_TO_SET = 'Install flow (see the project\'s README), or set "flow.path" in the settings to the full path of the flow binary.';

/**
 * The message for a binary that cannot start: `tried` as from
 * `resolveCommand`, `error` the error of the attempt (a Node.js error with a
 * `code`, or `{ status, stderr }` of a run that failed).
 */
function problemMessage(tried, error) {
  const start = `flow: the language server did not start: ${tried}`;
  if (error && error.code === 'ENOENT') {
    return `${start} was not found. ${HOW_TO_SET}`;
  }
  if (error && (error.code === 'EACCES' || error.code === 'EPERM')) {
    return `${start} is not executable (${error.code}). Make it executable, or set "flow.path" in the settings to the flow binary.`;
  }
  if (error && error.timedOut) {
    return `${start} did not answer \`lsp --help\` within ${PROBE_TIMEOUT_MS / 1000} s. Set "flow.path" in the settings to a working flow binary.`;
  }
  if (error && typeof error.status === 'number') {
    const said = firstLine(error.stderr);
    return `${start} has no \`lsp\` command (\`lsp --help\` exited with status ${error.status}${said ? `: ${said}` : ''}); it is an older flow. Update flow, or set "flow.path" in the settings to a newer flow binary.`;
  }
  const reason = (error && error.message ? firstLine(error.message) : String(error)).replace(/[.\s]+$/, '');
  return `${start} failed: ${reason}. See the "flow" output for the server's messages; set "flow.path" in the settings to use another flow binary.`;
}

function firstLine(text) {
  return String(text ?? '').split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/**
 * Runs `command lsp --help`: resolves to `null` when the binary has the
 * language server, or to the error to give to `problemMessage`.
 */
function probe(command, env = process.env) {
  return new Promise((resolve) => {
    execFile(command, ['lsp', '--help'], { env, timeout: PROBE_TIMEOUT_MS, windowsHide: true }, (error, _stdout, stderr) => {
      if (!error) {
        resolve(null);
      } else if (error.killed) {
        resolve({ timedOut: true });
      } else if (typeof error.code === 'number') {
        resolve({ status: error.code, stderr });
      } else {
        resolve(error);
      }
    });
  });
}

module.exports = { resolveCommand, problemMessage, probe, PROBE_TIMEOUT_MS };

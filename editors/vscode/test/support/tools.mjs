// Runs the command-line tools of the pinned dev dependencies with the node
// that runs the tests, from the extension's directory.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The extension's directory (editors/vscode). */
export const extensionDir = fileURLToPath(new URL('../..', import.meta.url));

/** The repository's root. */
export const repositoryDir = join(extensionDir, '..', '..');

/** The script behind the `bin` entry `name` of the package `pkg`. */
function binScript(pkg, name) {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const relative = typeof bin === 'string' ? bin : bin?.[name];
  if (!relative) throw new Error(`${pkg} has no command ${name}`);
  return join(dirname(manifestPath), relative);
}

/**
 * Runs `name` of `pkg` with `args`; returns `{ status, output }` with stdout
 * and stderr together, as a person would read them.
 */
export function runTool(pkg, name, args, options = {}) {
  const result = spawnSync(process.execPath, [binScript(pkg, name), ...args], {
    cwd: options.cwd ?? extensionDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    timeout: options.timeout ?? 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// The extension's code (src/extension.js, and the bundle of it that the
// .vsix ships), run by node with a stand-in for the `vscode` module: it
// starts `flow lsp` from the setting `flow.path`, and when that binary is
// missing, not executable or too old it says so in one sentence that names
// the path it tried and the setting, instead of a stack trace.
//
// The `flow` binaries here are small shell scripts that answer
// `flow lsp --help` the way a real flow does (or does not); the language
// server itself is tested end to end in tests/lsp_e2e and with Neovim.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bundle } from '../scripts/bundle.mjs';
import { extensionDir } from './support/tools.mjs';

const require = createRequire(import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'flow-extension-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes an executable script `name` in `dir` with `body`; returns its path. */
function script(dir, name, body, mode = 0o755) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

const binDir = join(scratch, 'bin');
// A flow with the language server: `flow lsp --help` succeeds.
const goodFlow = script(binDir, 'flow', 'exit 0');
// A flow from before the language server: clap refuses the subcommand.
const oldFlow = script(join(scratch, 'old'), 'flow', `echo "error: unrecognized subcommand 'lsp'" >&2\necho >&2\necho "Usage: flow [OPTIONS] <COMMAND>" >&2\nexit 2`);
const notExecutable = script(join(scratch, 'noexec'), 'flow', 'exit 0', 0o644);
const emptyDir = join(scratch, 'empty');
mkdirSync(emptyDir);

const HOW_TO_SET = 'Install flow (see the project\'s README), or set "flow.path" in the settings to the full path of the flow binary.';

/** A stand-in for the `vscode` module that records what the extension does. */
function fakeVscode({ settings = {}, folder, choice } = {}) {
  const disposable = { dispose() {} };
  const fake = {
    shown: [],
    executed: [],
    output: [],
    commands_: new Map(),
    configurationListeners: [],
    settings,
    window: {
      createOutputChannel: (name) => {
        fake.outputName = name;
        return { appendLine: (line) => fake.output.push(line), show() {}, dispose() {} };
      },
      showErrorMessage: (message, ...items) => {
        fake.shown.push({ message, items });
        return Promise.resolve(choice);
      },
    },
    workspace: {
      getConfiguration: (section) => ({
        get: (key, fallback) => (`${section}.${key}` in fake.settings ? fake.settings[`${section}.${key}`] : fallback),
      }),
      workspaceFolders: folder ? [{ uri: { fsPath: folder } }] : undefined,
      onDidChangeConfiguration: (listener) => {
        fake.configurationListeners.push(listener);
        return disposable;
      },
    },
    commands: {
      registerCommand: (id, callback) => {
        fake.commands_.set(id, callback);
        return disposable;
      },
      executeCommand: (...args) => {
        fake.executed.push(args);
        return Promise.resolve();
      },
    },
  };
  return fake;
}

/** A stand-in for vscode-languageclient/node's LanguageClient. */
function fakeClientModule({ startError } = {}) {
  const clients = [];
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, started: false, stopped: false });
      clients.push(this);
    }

    async start() {
      if (startError) throw startError;
      this.started = true;
    }

    async stop() {
      this.stopped = true;
    }
  }
  return { clients, module: { LanguageClient } };
}

/**
 * Loads the module at `path` afresh with `stubs` (module name to exports) in
 * place of those modules; returns its exports.
 */
function loadWith(path, stubs) {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(join(extensionDir, 'src')) || key.startsWith(join(scratch, 'dist'))) delete require.cache[key];
  }
  const original = Module._load;
  Module._load = function load(request, ...rest) {
    if (Object.hasOwn(stubs, request)) return stubs[request];
    return original.call(this, request, ...rest);
  };
  try {
    return require(path);
  } finally {
    Module._load = original;
  }
}

/** Activates src/extension.js; returns the fakes to look at. */
async function activate(options = {}, clientOptions = {}) {
  const vscode = fakeVscode(options);
  const client = fakeClientModule(clientOptions);
  const extension = loadWith(join(extensionDir, 'src', 'extension.js'), {
    vscode,
    'vscode-languageclient/node': client.module,
  });
  const context = { subscriptions: [] };
  await extension.activate(context);
  // Let the `then` of an error message's button run.
  await new Promise((resolve) => setImmediate(resolve));
  return { vscode, clients: client.clients, extension, context };
}

/** Runs `body` with PATH set to `path`. */
async function withPath(path, body) {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await body();
  } finally {
    process.env.PATH = saved;
  }
}

function assertPlainMessage(message) {
  assert.doesNotMatch(message, /\n/, 'one line');
  assert.doesNotMatch(message, /\bat .*:\d+:\d+/, 'no stack trace');
}

test('the manifest runs dist/extension.js for .flow files and declares the settings', async () => {
  const manifest = JSON.parse((await import('node:fs')).readFileSync(join(extensionDir, 'package.json'), 'utf8'));
  assert.equal(manifest.main, './dist/extension.js');
  assert.deepEqual(manifest.activationEvents, ['onLanguage:flow']);
  const { properties } = manifest.contributes.configuration;
  assert.equal(properties['flow.path'].type, 'string');
  assert.equal(properties['flow.path'].default, 'flow');
  assert.deepEqual(properties['flow.trace.server'].enum, ['off', 'messages', 'verbose']);
  assert.equal(properties['flow.trace.server'].default, 'off');
  assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['flow.path']);
  assert.deepEqual(manifest.contributes.commands.map((c) => c.command), ['flow.restartServer']);
});

test('flow.path names the binary that runs `flow lsp`', async () => {
  const { vscode, clients } = await activate({ settings: { 'flow.path': goodFlow } });
  assert.deepEqual(vscode.shown, []);
  assert.equal(clients.length, 1);
  const [client] = clients;
  // The id `flow` is what makes vscode-languageclient read `flow.trace.server`.
  assert.equal(client.id, 'flow');
  assert.deepEqual(client.serverOptions, { command: goodFlow, args: ['lsp'] });
  assert.deepEqual(client.clientOptions.documentSelector, [
    { scheme: 'file', language: 'flow' },
    { scheme: 'untitled', language: 'flow' },
  ]);
  assert.ok(client.started);
  assert.equal(vscode.outputName, 'flow');
  assert.ok(vscode.output.includes(`flow: language server started: ${goodFlow} lsp`), vscode.output.join('\n'));
});

test('without flow.path, `flow` is looked up on PATH', async () => {
  const { vscode, clients } = await withPath(`${emptyDir}:${binDir}`, () => activate());
  assert.deepEqual(vscode.shown, []);
  assert.deepEqual(clients.map((c) => c.serverOptions), [{ command: 'flow', args: ['lsp'] }]);
});

test('a relative flow.path is relative to the workspace folder; ~ is the home directory', async () => {
  const { clients } = await activate({ settings: { 'flow.path': 'bin/flow' }, folder: scratch });
  assert.deepEqual(clients.map((c) => c.serverOptions.command), [goodFlow]);

  const { resolveCommand } = require(join(extensionDir, 'src', 'server.js'));
  const { homedir } = await import('node:os');
  assert.equal(resolveCommand('~/.cargo/bin/flow').command, join(homedir(), '.cargo/bin/flow'));
  assert.equal(resolveCommand('  ').command, 'flow');
  assert.equal(resolveCommand(undefined).tried, '"flow" (looked up on PATH)');
});

test('a missing flow.path: one sentence naming the path and the setting, and no client', async () => {
  const missing = join(scratch, 'nowhere', 'flow');
  const { vscode, clients } = await activate({ settings: { 'flow.path': missing } });
  assert.equal(clients.length, 0);
  assert.equal(vscode.shown.length, 1);
  const [{ message, items }] = vscode.shown;
  assert.equal(message, `flow: the language server did not start: "${missing}" was not found. ${HOW_TO_SET}`);
  assertPlainMessage(message);
  assert.deepEqual(items, ['Open Settings', 'Show Output']);
  assert.ok(vscode.output.includes(message), 'the message is kept in the output too');
});

test('no flow on PATH: the message says it looked on PATH', async () => {
  const { vscode, clients } = await withPath(emptyDir, () => activate());
  assert.equal(clients.length, 0);
  assert.deepEqual(vscode.shown.map((s) => s.message), [
    `flow: the language server did not start: "flow" (looked up on PATH) was not found. ${HOW_TO_SET}`,
  ]);
});

test('the Open Settings button opens the flow.path setting', async () => {
  const { vscode } = await activate({ settings: { 'flow.path': join(scratch, 'nowhere') }, choice: 'Open Settings' });
  assert.deepEqual(vscode.executed, [['workbench.action.openSettings', 'flow.path']]);
});

test('a flow without `lsp`: the message says it is older and what to do', async () => {
  const { vscode, clients } = await activate({ settings: { 'flow.path': oldFlow } });
  assert.equal(clients.length, 0);
  const [{ message }] = vscode.shown;
  assert.equal(
    message,
    `flow: the language server did not start: "${oldFlow}" has no \`lsp\` command (\`lsp --help\` exited with status 2: error: unrecognized subcommand 'lsp'); it is an older flow. Update flow, or set "flow.path" in the settings to a newer flow binary.`,
  );
  assertPlainMessage(message);
});

test('a flow.path that is not executable', async () => {
  const { vscode, clients } = await activate({ settings: { 'flow.path': notExecutable } });
  assert.equal(clients.length, 0);
  assert.deepEqual(vscode.shown.map((s) => s.message), [
    `flow: the language server did not start: "${notExecutable}" is not executable (EACCES). Make it executable, or set "flow.path" in the settings to the flow binary.`,
  ]);
});

test('a server that fails to start: the path, the reason, and the setting', async () => {
  const error = new Error('Connection to server got closed. Server will not be restarted.\n    at LanguageClient.x (client.js:1:2)');
  const { vscode } = await activate({ settings: { 'flow.path': goodFlow } }, { startError: error });
  const [{ message }] = vscode.shown;
  assert.equal(
    message,
    `flow: the language server did not start: "${goodFlow}" (as \`${goodFlow} lsp\`) failed: Connection to server got closed. Server will not be restarted. See the "flow" output for the server's messages; set "flow.path" in the settings to use another flow binary.`,
  );
  assertPlainMessage(message);
});

test('changing flow.path restarts the server with the new binary; deactivate stops it', async () => {
  const other = script(join(scratch, 'other'), 'flow', 'exit 0');
  const { vscode, clients, extension } = await activate({ settings: { 'flow.path': goodFlow } });
  vscode.settings['flow.path'] = other;
  const unrelated = { affectsConfiguration: (s) => s === 'editor.tabSize' };
  for (const listener of vscode.configurationListeners) await listener(unrelated);
  assert.equal(clients.length, 1, 'another setting does not restart the server');
  const event = { affectsConfiguration: (s) => s === 'flow.path' };
  vscode.configurationListeners.forEach((listener) => listener(event));
  await waitFor(() => clients.length === 2 && clients[1].started);
  assert.ok(clients[0].stopped);
  assert.equal(clients[1].serverOptions.command, other);

  await vscode.commands_.get('flow.restartServer')();
  assert.equal(clients.length, 3);
  assert.ok(clients[1].stopped);
  await extension.deactivate();
  assert.ok(clients[2].stopped);
});

test('the bundle the .vsix ships loads with only `vscode` from the editor, and reports a missing binary', async () => {
  const outdir = join(scratch, 'dist');
  const packages = await bundle(outdir);
  assert.ok(packages.includes('vscode-languageclient'), packages.join(', '));
  const { readFileSync } = await import('node:fs');
  const code = readFileSync(join(outdir, 'extension.js'), 'utf8');
  const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
  const { builtinModules } = await import('node:module');
  for (const name of required) {
    assert.ok(name === 'vscode' || builtinModules.includes(name.replace(/^node:/, '')), `the bundle requires ${name}`);
  }
  const notices = readFileSync(join(outdir, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
  for (const name of packages) assert.match(notices, new RegExp(`^${name} \\d`, 'm'));

  // vscode-languageclient subclasses some of vscode's classes as it loads:
  // anything the stand-in does not define is a class.
  const vscode = fakeVscode({ settings: { 'flow.path': join(scratch, 'nowhere', 'flow') } });
  const permissive = new Proxy(vscode, { get: (target, key) => (key in target ? target[key] : class {}) });
  const extension = loadWith(join(outdir, 'extension.js'), { vscode: permissive });
  assert.equal(typeof extension.activate, 'function');
  assert.equal(typeof extension.deactivate, 'function');
  await extension.activate({ subscriptions: [] });
  assert.deepEqual(vscode.shown.map((s) => s.message), [
    `flow: the language server did not start: "${join(scratch, 'nowhere', 'flow')}" was not found. ${HOW_TO_SET}`,
  ]);
  await extension.deactivate();
});

async function waitFor(condition, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

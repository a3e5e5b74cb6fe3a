// The snippets: well formed, offered under the prefixes people type, and
// producing code that `flow check` accepts, with no error and no warning,
// when every default is accepted. Item snippets are checked in a file of
// their own (with the worker snippet's worker where they call one); state
// snippets as the first state of a workflow whose `done` and `failed`
// states they lead to. The sample in README.md is checked the same way.
// `flow check` runs as test/support/flow.mjs says.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { check } from './support/flow.mjs';
import { expandSnippet } from './support/snippets.mjs';
import { extensionDir } from './support/tools.mjs';

const snippets = JSON.parse(readFileSync(join(extensionDir, 'snippets', 'flow.json'), 'utf8'));
const prefixes = (snippet) => [snippet.prefix].flat();
const byPrefix = (prefix) => {
  const found = Object.entries(snippets).find(([, s]) => prefixes(s)[0] === prefix);
  assert.ok(found, `no snippet has the main prefix ${prefix}`);
  return expandSnippet(found[1].body);
};

const scratch = mkdtempSync(join(tmpdir(), 'flow-snippets-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('every snippet has a prefix, a body and a description', () => {
  const names = Object.keys(snippets);
  assert.ok(names.length >= 6);
  for (const [name, snippet] of Object.entries(snippets)) {
    assert.ok(prefixes(snippet).length > 0 && prefixes(snippet).every((p) => typeof p === 'string' && /^[a-z-]+$/.test(p)), `${name}: prefix`);
    assert.ok(Array.isArray(snippet.body) && snippet.body.length > 0, `${name}: body`);
    assert.equal(typeof snippet.description, 'string', `${name}: description`);
    // Indentation is a tab, which VS Code turns into the user's indentation.
    assert.ok(snippet.body.every((line) => !/^ /.test(line)), `${name}: indent with tabs`);
  }
});

test('the snippets cover worker, workflow, step, parallel, map and transformer', () => {
  const main = Object.values(snippets).map((s) => prefixes(s)[0]);
  for (const prefix of ['worker', 'workflow', 'step', 'parallel', 'map', 'transformer']) {
    assert.ok(main.includes(prefix), `no snippet for ${prefix}`);
  }
});

test('every snippet expands to text without a leftover tab stop', () => {
  for (const [name, snippet] of Object.entries(snippets)) {
    const text = expandSnippet(snippet.body);
    assert.doesNotMatch(text, /\$\d|\$\{\d/, `${name} expands to:\n${text}`);
  }
});

test('the expanded snippets pass flow check without an error or a warning', () => {
  const worker = byPrefix('worker');
  const files = {};
  for (const [name, snippet] of Object.entries(snippets)) {
    const text = expandSnippet(snippet.body);
    const [prefix] = prefixes(snippet);
    if (['step', 'parallel', 'map'].includes(prefix)) {
      const state = text.trimEnd().split('\n').map((line) => `  ${line}`).join('\n');
      files[name] = `${worker}\nworkflow harness(input: string, items: [string]) -> string {\n${state}\n\n`
        + '  succeed done = "ok"\n  fail failed = "the harness failed"\n}\n';
    } else if (prefix === 'workflow') {
      files[name] = `${worker}\n${text}`;
    } else {
      files[name] = text;
    }
  }
  const paths = Object.entries(files).map(([name, text], i) => {
    const path = join(scratch, `snippet-${i}.flow`);
    writeFileSync(path, text);
    return { name, path, text };
  });
  const report = check(paths.map((p) => p.path));
  const problems = report.diagnostics.map((d) => {
    const { name, text } = paths.find((p) => p.path === d.file) ?? { name: d.file, text: '' };
    return `${name}: ${d.severity} ${d.code}: ${d.message}\n${text}`;
  });
  assert.deepEqual(problems, []);
  assert.equal(report.errors, 0);
  assert.equal(report.warnings, 0);
});

test('the snippet check does report a broken snippet (a control)', () => {
  const path = join(scratch, 'broken.flow');
  writeFileSync(path, byPrefix('workflow'));
  const report = check([path]);
  // Without the worker snippet, `Worker` is unknown.
  assert.ok(report.diagnostics.some((d) => d.code === 'flow::check::unknown_worker'), JSON.stringify(report));
});

test('the sample in README.md passes flow check', () => {
  const readme = readFileSync(join(extensionDir, 'README.md'), 'utf8');
  const samples = [...readme.matchAll(/^```flow\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  assert.equal(samples.length, 1, 'expected one flow sample in README.md');
  const path = join(scratch, 'readme.flow');
  writeFileSync(path, samples[0]);
  assert.deepEqual(check([path]).diagnostics, []);
});

// The grammar: the committed JSON is the generated one, the annotated test
// files under test/grammar/ pass, and the snapshots under test/snap/ match.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { grammarPath, render } from '../scripts/build-grammar.mjs';
import { extensionDir, runTool } from './support/tools.mjs';

test('syntaxes/flow.tmLanguage.json is generated from scripts/grammar.mjs', () => {
  assert.equal(
    readFileSync(grammarPath, 'utf8'),
    render(),
    'the committed grammar is out of date: run `npm run build` in editors/vscode',
  );
});

test('every annotated grammar test passes', () => {
  const files = readdirSync(join(extensionDir, 'test', 'grammar')).filter((f) => f.endsWith('.flow'));
  // Guards against a glob that silently matches nothing.
  assert.ok(files.length >= 5, `expected the annotated test files, found ${files.join(', ')}`);
  const { status, output } = runTool('vscode-tmgrammar-test', 'vscode-tmgrammar-test', ['test/grammar/*.flow']);
  assert.equal(status, 0, output);
  // Each file was read and passed (the tool's own spelling).
  for (const file of files) {
    assert.ok(output.includes(`test/grammar/${file} run successfuly`), output);
  }
});

test('the grammar snapshots match', () => {
  const files = readdirSync(join(extensionDir, 'test', 'snap')).filter((f) => f.endsWith('.flow'));
  assert.ok(files.length >= 1, 'expected snapshot sources in test/snap/');
  for (const file of files) {
    assert.ok(
      readdirSync(join(extensionDir, 'test', 'snap')).includes(`${file}.snap`),
      `test/snap/${file} has no snapshot: run \`npm run snap:update\` and read the .snap file`,
    );
  }
  const { status, output } = runTool('vscode-tmgrammar-test', 'vscode-tmgrammar-snap', ['test/snap/*.flow']);
  assert.equal(status, 0, `${output}\nIf the change is intended, run \`npm run snap:update\` and read the diff.`);
});

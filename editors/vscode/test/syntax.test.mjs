// The grammar test files are flow as the parser reads it: the parser
// reports a syntax error in them exactly where the grammar is meant to
// mark one (the malformed numbers and escapes of expressions.flow, the
// mistakes of recovery.flow), so the tests check real syntax rather than an
// idea of it. Checker errors (unknown names, types) do not matter here.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { check } from './support/flow.mjs';
import { extensionDir } from './support/tools.mjs';

// The syntax errors each file must have; files not named must have none.
const EXPECTED = {
  'test/grammar/expressions.flow': ['flow::syntax::invalid_duration', 'flow::syntax::invalid_escape', 'flow::syntax::invalid_number'],
  'test/grammar/recovery.flow': ['flow::syntax::unexpected_token', 'flow::syntax::unterminated_string'],
};

test('the grammar test files have the syntax errors they mean to have, and no other', () => {
  const files = ['grammar', 'snap'].flatMap((dir) => readdirSync(join(extensionDir, 'test', dir))
    .filter((f) => f.endsWith('.flow'))
    .map((f) => `test/${dir}/${f}`));
  const report = check(files.map((f) => join(extensionDir, f)));
  const found = Object.fromEntries(files.map((f) => [f, new Set()]));
  for (const d of report.diagnostics) {
    if (!d.code.startsWith('flow::syntax::')) continue;
    const file = files.find((f) => d.file === join(extensionDir, f));
    assert.ok(file, `a diagnostic for an unexpected file: ${d.file}`);
    found[file].add(d.code);
  }
  for (const file of files) {
    assert.deepEqual([...found[file]].sort(), EXPECTED[file] ?? [], file);
  }
});

test('the snapshot sample is a correct program', () => {
  const report = check([join(extensionDir, 'test', 'snap', 'sample.flow')]);
  assert.deepEqual(report.diagnostics, []);
});

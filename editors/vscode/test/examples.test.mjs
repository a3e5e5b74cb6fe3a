// Every example of the repository highlights sensibly. These are checks of
// properties rather than snapshots, so that they keep holding (and keep
// testing) when the examples are edited or new ones are added:
//
// - no token is scoped `invalid` (the examples are correct flow);
// - every token that is not blank has a scope of its own, beyond
//   `source.flow` and the `meta.*` structure;
// - every item starts at the top level and every state directly in its
//   workflow's body: no region leaked out of the item or state before it;
// - a reserved word (outside comments and strings, and other than a field
//   or setting name) is scoped as what it is, never as a plain name;
// - every word scoped as a setting, a failure class, an executor or a
//   built-in function or type is one the language defines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exampleProblems, examples, examplesDir } from './support/examples.mjs';

test('there are examples to check', () => {
  assert.ok(examples.length >= 5, `expected the examples in ${examplesDir}, found ${examples.join(', ')}`);
});

for (const file of examples) {
  test(`examples/${file} highlights without a wrong scope`, async () => {
    assert.deepEqual(await exampleProblems(file), []);
  });
}

// Tests of the tests: each mutation below breaks one thing the grammar
// must do, and the annotated grammar tests must then fail. A mutation they
// survive means a rule that no test really checks. Some mutations must also
// make the example checks (examples.test.mjs) fail, which shows that those
// checks can fail at all.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { grammar } from '../scripts/grammar.mjs';
import { exampleProblems, examples as exampleFiles } from './support/examples.mjs';
import { runTool } from './support/tools.mjs';

const rules = (g) => g.repository;
const without = (patterns, name) => {
  const kept = patterns.filter((p) => p.include !== `#${name}`);
  assert.notEqual(kept.length, patterns.length, `the mutation expected an include of #${name}`);
  return kept;
};
const dropStateEnd = (g, name) => {
  const rule = rules(g)[name];
  assert.ok(rule.end.startsWith(String.raw`(?=[},]|`), `${name}: unexpected end ${rule.end}`);
  rule.end = rule.end.replace(String.raw`(?=[},]|`, '(?=,|');
};

const MUTATIONS = [
  {
    what: 'doc comments are ordinary comments',
    mutate: (g) => { rules(g).comments.patterns = without(rules(g).comments.patterns, 'doc-comment'); },
  },
  {
    what: 'block comments do not nest',
    mutate: (g) => { rules(g)['block-comment'].patterns = []; },
  },
  {
    what: 'a " string runs on past the end of its line',
    mutate: (g) => { rules(g)['double-string'].end = '(")'; },
  },
  {
    what: 'an interpolation in a " string runs on past the end of its line',
    mutate: (g) => { rules(g)['line-interpolation'].end = String.raw`(\})`; },
  },
  {
    what: 'interpolations hold no strings',
    mutate: (g) => { rules(g).expression.patterns = without(rules(g).expression.patterns, 'strings'); },
  },
  {
    what: 'escapes are plain text',
    mutate: (g) => { rules(g).escapes.patterns = []; },
  },
  {
    what: 'a duration swallows the letters after it',
    mutate: (g) => { rules(g).duration.match = String.raw`\b(\d+)(ms|s|m|h)`; },
  },
  {
    what: 'a duration range is two numbers',
    mutate: (g) => { rules(g).numbers.patterns = without(rules(g).numbers.patterns, 'duration-range'); },
  },
  {
    what: '?. is a plain accessor',
    mutate: (g) => { rules(g).accessors.patterns.shift(); },
  },
  {
    what: '?? is two unknown characters',
    mutate: (g) => { rules(g).operators.patterns.shift(); },
  },
  {
    what: 'built-in types are named types',
    mutate: (g) => { rules(g).type.patterns = without(rules(g).type.patterns, 'builtin-type'); },
    examples: true,
  },
  {
    what: 'literal unions are named types',
    mutate: (g) => { rules(g).type.patterns = without(rules(g).type.patterns, 'literal-union-member'); },
    examples: true,
  },
  {
    what: 'a worker call looks like a transformer call',
    mutate: (g) => { rules(g)['worker-call'].beginCaptures[1].name = 'entity.name.function.transformer.flow'; },
  },
  {
    what: 'failure classes are plain names',
    mutate: (g) => { rules(g)['on-failure'].patterns = without(rules(g)['on-failure'].patterns, 'failure-class'); },
  },
  {
    what: 'settings are unknown keys',
    mutate: (g) => {
      const { patterns } = rules(g).settings;
      const known = patterns.findIndex((p) => p.captures?.[1]?.name === 'keyword.other.setting.flow');
      assert.ok(known >= 0, 'the mutation expected the rule of known settings');
      patterns.splice(known, 1);
    },
  },
  {
    what: 'error is a plain name inside the groups of an on_failure condition',
    mutate: (g) => { rules(g)['in-failure-group'].patterns = [{ include: '#expression' }]; },
  },
  {
    what: 'a state does not end at the } of its workflow',
    mutate: (g) => { for (const s of ['step-state', 'map-state', 'parallel-state', 'succeed-state', 'fail-state']) dropStateEnd(g, s); },
    examples: true,
  },
  {
    what: 'a state body left open runs into the next state',
    mutate: (g) => { rules(g)['state-body'].end = String.raw`(\})`; },
  },
  {
    what: 'a record type left open runs into the next item',
    mutate: (g) => { rules(g)['record-type'].end = String.raw`(\})`; },
  },
  {
    what: 'an item body ends at its first }',
    mutate: (g) => {
      for (const name of ['worker-body', 'workflow-body']) {
        rules(g)[name].end = String.raw`(\})`;
        rules(g)[name].endCaptures = { 1: { name: 'punctuation.section.block.end.flow' } };
      }
    },
  },
  {
    what: 'a stray } ends the item it is in',
    mutate: (g) => {
      rules(g)['workflow-body'].end = String.raw`(\})`;
    },
  },
];

const scratch = mkdtempSync(join(tmpdir(), 'flow-grammar-mutations-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes the mutated grammar and a configuration that names it. */
function writeMutant(index, mutate) {
  const g = structuredClone(grammar);
  mutate(g);
  const dir = join(scratch, String(index));
  const grammarFile = join(dir, 'flow.tmLanguage.json');
  mkdirSync(dir, { recursive: true });
  writeFileSync(grammarFile, JSON.stringify(g));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    contributes: {
      languages: [{ id: 'flow', extensions: ['.flow'] }],
      grammars: [{ language: 'flow', scopeName: 'source.flow', path: './flow.tmLanguage.json' }],
    },
  }));
  return { grammarFile, config: join(dir, 'package.json') };
}

test('the unmutated grammar passes the annotated tests through the same harness', () => {
  const { config } = writeMutant('original', () => {});
  const { status, output } = runTool('vscode-tmgrammar-test', 'vscode-tmgrammar-test', ['--config', config, 'test/grammar/*.flow']);
  assert.equal(status, 0, output);
});

for (const [index, { what, mutate, examples }] of MUTATIONS.entries()) {
  test(`the grammar tests catch a grammar where ${what}`, async () => {
    const { grammarFile, config } = writeMutant(index, mutate);
    const { status, output } = runTool('vscode-tmgrammar-test', 'vscode-tmgrammar-test', ['--config', config, 'test/grammar/*.flow']);
    assert.notEqual(status, 0, `the annotated tests passed with a grammar where ${what}:\n${output}`);
    assert.match(output, /failed/, output);

    if (examples) {
      const problems = [];
      for (const file of exampleFiles) problems.push(...await exampleProblems(file, grammarFile));
      assert.ok(problems.length > 0, `the example checks passed with a grammar where ${what}`);
    }
  });
}

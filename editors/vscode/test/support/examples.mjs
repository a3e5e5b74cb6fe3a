// The checks that examples.test.mjs makes on every example; the mutation
// tests run them with broken grammars.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultGrammarPath, tokenize } from './tokenize.mjs';
import { repositoryDir } from './tools.mjs';

const examplesDir = join(repositoryDir, 'examples');

/** The examples: examples/*.flow of the repository. */
export const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.flow')).sort();
export { examplesDir };

const ITEMS = ['type', 'worker', 'transformer', 'workflow'];
const STATES = ['step', 'parallel', 'map', 'succeed', 'fail'];
// Reserved words and the scopes they may have where they are not a name.
const RESERVED = {
  import: /^keyword\.control\.import/,
  type: /^storage\.type\.type/,
  worker: /^(storage\.type\.worker|support\.constant\.failure-class)/,
  transformer: /^storage\.type\.transformer/,
  workflow: /^storage\.type\.workflow/,
  step: /^keyword\.other\.state\.step/,
  parallel: /^keyword\.other\.state\.parallel/,
  branch: /^keyword\.other\.state\.branch/,
  map: /^keyword\.other\.state\.map/,
  for: /^keyword\.other\.state\.for/,
  in: /^keyword\.other\.state\.in/,
  succeed: /^keyword\.other\.state\.succeed/,
  fail: /^keyword\.other\.state\.fail/,
  start: /^keyword\.other\.setting/,
  on_success: /^keyword\.control\.transition\.on-success/,
  on_failure: /^keyword\.control\.transition\.on-failure/,
  when: /^keyword\.control\.transition\.when/,
  true: /^constant\.language\.boolean\.true/,
  false: /^constant\.language\.boolean\.false/,
  null: /^constant\.language\.null/,
  string: /^support\.(type|function)\.builtin/,
  number: /^support\.(type|function)\.builtin/,
  int: /^support\.type\.builtin/,
  bool: /^support\.type\.builtin/,
  json: /^support\.type\.builtin/,
};
// Words that only the language defines, by the scope that claims them.
const DEFINED = {
  'keyword.other.setting.flow': [
    'timeout', 'retries', 'backoff', 'retry_on', 'concurrency', 'before', 'after',
    'max_visits', 'max_concurrency', 'start', 'max_steps', 'command', 'env', 'cwd',
    'url', 'method', 'headers', 'model', 'prompt', 'system', 'base_url', 'api_key',
    'temperature', 'name',
  ],
  'support.constant.failure-class.flow': ['timeout', 'transient', 'worker', 'output', 'limit'],
  'support.type.executor.flow': ['exec', 'http', 'llm', 'human', 'builtin'],
  'support.function.builtin.flow': [
    'len', 'lower', 'upper', 'trim', 'contains', 'join', 'split', 'keys', 'to_json',
    'parse_json', 'string', 'number', 'env',
  ],
  'support.type.builtin.flow': ['string', 'number', 'int', 'bool', 'json'],
};

const own = (scopes) => scopes.filter((s) => s !== 'source.flow' && !s.startsWith('meta.'));
const innermost = (scopes) => own(scopes).at(-1);
const where = (file, line, token) => `${file}:${line}: ${JSON.stringify(token.text)} is scoped ${token.scopes.join(' ')}`;

/** The problems of examples/`file` with the grammar at `grammarPath`. */
export async function exampleProblems(file, grammarPath = defaultGrammarPath) {
  const problems = [];
  const check = (ok, message) => { if (!ok) problems.push(message); };
  const lines = await tokenize(readFileSync(join(examplesDir, file), 'utf8'), grammarPath);
  let items = 0;
  let states = 0;
  for (const { line, tokens } of lines) {
    for (const [i, token] of tokens.entries()) {
      if (!token.text.trim()) continue;
      const scopes = own(token.scopes);
      check(scopes.length > 0, `${where(file, line, token)}: no scope of its own`);
      check(!scopes.some((s) => s.startsWith('invalid')), `${where(file, line, token)}: invalid`);

      const inert = scopes.some((s) => s.startsWith('comment') || s.startsWith('string'));
      const next = tokens.slice(i + 1).find((t) => t.text.trim())?.text ?? '';
      const previous = tokens.slice(0, i).reverse().find((t) => t.text.trim())?.text ?? '';
      const isKey = next.startsWith(':') || next.startsWith('?:');
      const isMember = previous === '.' || previous === '?.';
      const pattern = RESERVED[token.text];
      if (pattern && !inert && !isKey && !isMember) {
        check(pattern.test(innermost(token.scopes) ?? ''), `${where(file, line, token)}: a reserved word`);
      }
      for (const [scope, words] of Object.entries(DEFINED)) {
        if (scopes.at(-1) === scope) {
          check(words.includes(token.text), `${where(file, line, token)}: not a word the language defines`);
        }
      }
    }

    // An item or a state that starts a line is at its proper depth.
    const first = tokens.find((t) => t.text.trim());
    if (!first) continue;
    const expected = (scopes) => check(
      JSON.stringify(first.scopes) === JSON.stringify(scopes),
      `${where(file, line, first)}: expected ${scopes.join(' ')}`,
    );
    if (ITEMS.includes(first.text) && first.start === 0) {
      items += 1;
      expected(['source.flow', `meta.item.${first.text}.flow`, `storage.type.${first.text}.flow`]);
    }
    if (STATES.includes(first.text) && !isKeyToken(tokens, first)) {
      states += 1;
      expected([
        'source.flow',
        'meta.item.workflow.flow',
        'meta.block.workflow.flow',
        `meta.state.${first.text}.flow`,
        `keyword.other.state.${first.text}.flow`,
      ]);
    }
  }
  check(items > 0, `${file}: found no item`);
  check(states > 0, `${file}: found no state`);
  return problems;
}

function isKeyToken(tokens, token) {
  const after = tokens.slice(tokens.indexOf(token) + 1).find((t) => t.text.trim());
  return after?.text.startsWith(':') ?? false;
}

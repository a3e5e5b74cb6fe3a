// package.json and language-configuration.json: what VS Code reads besides
// the grammar and the snippets.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { extensionDir, repositoryDir } from './support/tools.mjs';

const read = (...path) => JSON.parse(readFileSync(join(extensionDir, ...path), 'utf8'));
const manifest = read('package.json');
const configuration = read('language-configuration.json');

test('package.json declares the flow language, its grammar and its snippets', () => {
  const [language] = manifest.contributes.languages;
  assert.equal(language.id, 'flow');
  assert.deepEqual(language.extensions, ['.flow']);
  assert.ok(language.aliases.includes('flow'));
  const [grammar] = manifest.contributes.grammars;
  assert.equal(grammar.language, 'flow');
  assert.equal(grammar.scopeName, 'source.flow');
  assert.equal(read(grammar.path).scopeName, 'source.flow');
  const [snippets] = manifest.contributes.snippets;
  assert.equal(snippets.language, 'flow');
  for (const path of [language.configuration, grammar.path, snippets.path]) {
    assert.ok(existsSync(join(extensionDir, path)), `${path} does not exist`);
  }
});

test('package.json: code only in the bundle, no runtime dependency, no icon, no telemetry', () => {
  // The extension's code is dist/extension.js, which bundles
  // vscode-languageclient (see test/extension.test.mjs): the manifest
  // declares no runtime dependency for vsce to pack.
  assert.equal(manifest.main, './dist/extension.js');
  assert.equal(manifest.browser, undefined);
  assert.deepEqual(manifest.activationEvents, ['onLanguage:flow']);
  assert.equal(manifest.icon, undefined);
  assert.equal(manifest.dependencies, undefined, 'the extension ships no runtime dependency outside its bundle');
  assert.doesNotMatch(JSON.stringify(manifest), /telemetry/i);
});

test('package.json pins its dev dependencies exactly and matches the project licence', () => {
  for (const [name, version] of Object.entries(manifest.devDependencies)) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is not pinned: ${version}`);
  }
  const cargo = readFileSync(join(repositoryDir, 'Cargo.toml'), 'utf8');
  const licence = /^license\s*=\s*"([^"]+)"/m.exec(cargo)?.[1];
  assert.equal(manifest.license, licence);
  const lock = read('package-lock.json');
  for (const [name, version] of Object.entries(manifest.devDependencies)) {
    assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `package-lock.json disagrees on ${name}`);
  }
});

test('comments, brackets and pairs', () => {
  assert.deepEqual(configuration.comments, { lineComment: '//', blockComment: ['/*', '*/'] });
  assert.deepEqual(configuration.brackets, [['{', '}'], ['[', ']'], ['(', ')']]);
  const auto = configuration.autoClosingPairs.map((p) => [p.open, p.close]);
  for (const pair of [['{', '}'], ['[', ']'], ['(', ')'], ['"', '"']]) {
    assert.ok(auto.some(([o, c]) => o === pair[0] && c === pair[1]), `auto-closing ${pair}`);
  }
  const quote = configuration.autoClosingPairs.find((p) => p.open === '"');
  assert.deepEqual(quote.notIn, ['string', 'comment']);
  assert.deepEqual(configuration.surroundingPairs, [['{', '}'], ['[', ']'], ['(', ')'], ['"', '"']]);
});

test('indentation increases after an opening bracket and decreases at a closing one', () => {
  const increase = new RegExp(configuration.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(configuration.indentationRules.decreaseIndentPattern);
  for (const line of [
    'worker Coder(spec: Spec) -> string {',
    '  llm {',
    '  step draft = Planner(',
    '    sources: [',
    '  parallel publish { // both at once',
    'workflow w() -> { /* a record type */',
  ]) {
    assert.ok(increase.test(line), `should indent after ${JSON.stringify(line)}`);
  }
  for (const line of [
    '  exec { command: ["python3", "coder.py"] }',
    '  timeout: 30s',
    '  // a comment about {',
    '  headers: { "Authorization": "Bearer ${token}" }',
    '  }',
  ]) {
    assert.ok(!increase.test(line), `should not indent after ${JSON.stringify(line)}`);
  }
  for (const line of ['}', '  }', '  ) {', '  ]', '  } // end']) {
    assert.ok(decrease.test(line), `should outdent ${JSON.stringify(line)}`);
  }
  assert.ok(!decrease.test('  on_success -> done'));
});

test('folding markers and doc comment continuation', () => {
  assert.ok(new RegExp(configuration.folding.markers.start).test('  // region settings'));
  assert.ok(new RegExp(configuration.folding.markers.end).test('  // endregion'));
  assert.ok(!new RegExp(configuration.folding.markers.start).test('  // the region of the map'));
  const [doc] = configuration.onEnterRules;
  assert.ok(new RegExp(doc.beforeText).test('  /// A doc comment'));
  assert.equal(doc.action.appendText, '/// ');
});

test('the word pattern keeps names, durations and numbers whole', () => {
  const words = (text) => text.match(new RegExp(configuration.wordPattern, 'g'));
  assert.deepEqual(words('retry_on: [timeout, transient]'), ['retry_on', 'timeout', 'transient']);
  assert.deepEqual(words('backoff: 250ms..30s'), ['backoff', '250ms', '30s']);
  assert.deepEqual(words('x = s30 * 3.5 + 1e3'), ['x', 's30', '3.5', '1e3']);
  assert.deepEqual(words('review_code?.comments ?? []'), ['review_code', 'comments']);
});

// The token types VS Code knows without being told (its standard list).
const STANDARD_TOKEN_TYPES = new Set([
  'namespace', 'class', 'enum', 'interface', 'struct', 'typeParameter', 'type',
  'parameter', 'variable', 'property', 'enumMember', 'decorator', 'event',
  'function', 'method', 'macro', 'label', 'comment', 'string', 'keyword',
  'number', 'regexp', 'operator',
]);

test('package.json declares every token type of the server that VS Code does not know', () => {
  // The legend, as the server's source lists it.
  const source = readFileSync(join(repositoryDir, 'src/lsp/handlers/semantic_tokens.rs'), 'utf8');
  const list = source.match(/const TYPES: \[&str; \d+\] = \[([^\]]*)\]/);
  assert.ok(list, 'the legend `TYPES` was not found in semantic_tokens.rs');
  const types = [...list[1].matchAll(/"([A-Za-z]+)"/g)].map((m) => m[1]);
  assert.ok(types.length > 0);
  const declared = new Map((manifest.contributes.semanticTokenTypes ?? []).map((t) => [t.id, t]));
  for (const type of types.filter((t) => !STANDARD_TOKEN_TYPES.has(t))) {
    const entry = declared.get(type);
    assert.ok(entry, `the server's token type \`${type}\` is not declared in package.json`);
    assert.ok(STANDARD_TOKEN_TYPES.has(entry.superType), `\`${type}\` needs a standard superType`);
  }
});

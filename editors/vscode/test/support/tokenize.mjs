// Tokenizes flow source with the extension's grammar, the way VS Code does
// (vscode-textmate on the Oniguruma WebAssembly build).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const textmate = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

/** The grammar the extension ships. */
export const defaultGrammarPath = fileURLToPath(new URL('../../syntaxes/flow.tmLanguage.json', import.meta.url));

let onigLib;
const grammars = new Map();

function loadOniguruma() {
  onigLib ??= (async () => {
    const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    return {
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    };
  })();
  return onigLib;
}

function loadGrammar(grammarPath) {
  if (!grammars.has(grammarPath)) {
    const registry = new textmate.Registry({
      onigLib: loadOniguruma(),
      loadGrammar: async (scopeName) => (scopeName === 'source.flow'
        ? textmate.parseRawGrammar(readFileSync(grammarPath, 'utf8'), grammarPath)
        : null),
    });
    grammars.set(grammarPath, registry.loadGrammar('source.flow'));
  }
  return grammars.get(grammarPath);
}

/**
 * The tokens of every line: `[{ line, text, tokens: [{ text, start, scopes }] }]`,
 * with the grammar at `grammarPath` (the shipped one by default).
 */
export async function tokenize(source, grammarPath = defaultGrammarPath) {
  const grammar = await loadGrammar(grammarPath);
  let stack = textmate.INITIAL;
  return source.split(/\r?\n/).map((text, index) => {
    const result = grammar.tokenizeLine(text, stack);
    stack = result.ruleStack;
    const tokens = result.tokens
      .filter((t) => t.startIndex < text.length)
      .map((t) => ({
        text: text.slice(t.startIndex, Math.min(t.endIndex, text.length)),
        start: t.startIndex,
        scopes: t.scopes,
      }));
    return { line: index + 1, text, tokens };
  });
}

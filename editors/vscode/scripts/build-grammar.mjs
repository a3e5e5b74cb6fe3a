// Writes syntaxes/flow.tmLanguage.json from scripts/grammar.mjs.
// `node scripts/build-grammar.mjs --check` writes nothing and exits 1 when
// the committed JSON is out of date.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { grammar } from './grammar.mjs';

export const grammarPath = fileURLToPath(new URL('../syntaxes/flow.tmLanguage.json', import.meta.url));

/** The grammar as the committed file holds it. */
export function render() {
  return `${JSON.stringify(grammar, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = render();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(grammarPath, 'utf8');
    } catch {
      // A missing file is out of date like any other.
    }
    if (current !== text) {
      console.error(`${grammarPath} is out of date: run \`npm run build\` in editors/vscode`);
      process.exit(1);
    }
  } else {
    writeFileSync(grammarPath, text);
  }
}

// Prints every token of a .flow file with its scopes, for reading what the
// grammar does: `node scripts/dump-tokens.mjs FILE [FIRST_LINE [LAST_LINE]]`.

import { readFileSync } from 'node:fs';
import { tokenize } from '../test/support/tokenize.mjs';

const [file, first = '1', last = 'Infinity'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/dump-tokens.mjs FILE [FIRST_LINE [LAST_LINE]]');
  process.exit(2);
}
for (const { line, text, tokens } of await tokenize(readFileSync(file, 'utf8'))) {
  if (line < Number(first) || line > Number(last)) continue;
  console.log(`${String(line).padStart(4)} | ${text}`);
  for (const t of tokens) {
    if (!t.text.trim()) continue;
    const scopes = t.scopes.slice(1).filter((s) => !s.startsWith('meta.')).join(' ');
    console.log(`       ${JSON.stringify(t.text).padEnd(28)} ${scopes}`);
  }
}

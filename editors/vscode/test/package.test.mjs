// Packaging: `vsce package` bundles the code (its `vscode:prepublish`
// script) and builds a .vsix that holds the manifest, the bundle (with
// vscode-languageclient inside, its licences and the script it runs to end a
// server), the grammar, the language configuration, the snippets and the
// documents, the same bytes as in the repository, and nothing else (no
// node_modules, no sources, no tests, no scripts).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { extensionDir, runTool } from './support/tools.mjs';
import { readZip } from './support/zip.mjs';

const manifest = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'flow-vsix-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('vsce packages the extension into a .vsix with exactly what it needs', async () => {
  const vsix = join(scratch, `${manifest.name}-${manifest.version}.vsix`);
  const { status, output } = runTool('@vscode/vsce', 'vsce', ['package', '--no-dependencies', '--out', vsix]);
  assert.equal(status, 0, output);
  assert.ok(existsSync(vsix), `vsce did not write ${vsix}:\n${output}`);

  const files = readZip(vsix);
  assert.deepEqual([...files.keys()].sort(), [
    '[Content_Types].xml',
    'extension.vsixmanifest',
    'extension/LICENSE.txt',
    'extension/changelog.md',
    'extension/dist/THIRD-PARTY-NOTICES.txt',
    'extension/dist/extension.js',
    'extension/dist/terminateProcess.sh',
    'extension/language-configuration.json',
    'extension/package.json',
    'extension/readme.md',
    'extension/snippets/flow.json',
    'extension/syntaxes/flow.tmLanguage.json',
  ]);

  // The shipped files are the repository's, byte for byte.
  for (const [inside, outside] of [
    ['extension/syntaxes/flow.tmLanguage.json', 'syntaxes/flow.tmLanguage.json'],
    ['extension/language-configuration.json', 'language-configuration.json'],
    ['extension/snippets/flow.json', 'snippets/flow.json'],
    ['extension/readme.md', 'README.md'],
    ['extension/changelog.md', 'CHANGELOG.md'],
    ['extension/LICENSE.txt', 'LICENSE'],
    ['extension/dist/extension.js', 'dist/extension.js'],
    ['extension/dist/THIRD-PARTY-NOTICES.txt', 'dist/THIRD-PARTY-NOTICES.txt'],
  ]) {
    assert.ok(files.get(inside).equals(readFileSync(join(extensionDir, outside))), `${inside} differs from ${outside}`);
  }

  // The bundle holds the language client, and loads nothing from
  // node_modules: only `vscode` and Node.js's own modules.
  const code = files.get('extension/dist/extension.js').toString('utf8');
  assert.match(code, /vscode-languageclient|LanguageClient/);
  const { builtinModules } = await import('node:module');
  for (const [, name] of code.matchAll(/require\("([^"]+)"\)/g)) {
    assert.ok(name === 'vscode' || builtinModules.includes(name.replace(/^node:/, '')), `the bundle requires ${name}`);
  }

  const packaged = JSON.parse(files.get('extension/package.json').toString('utf8'));
  assert.deepEqual(packaged.contributes, manifest.contributes);
  assert.equal(packaged.main, './dist/extension.js');
  const vsixManifest = files.get('extension.vsixmanifest').toString('utf8');
  assert.match(vsixManifest, new RegExp(`Id="${manifest.name}"`));
  assert.match(vsixManifest, new RegExp(`Publisher="${manifest.publisher}"`));
  assert.match(vsixManifest, new RegExp(`Version="${manifest.version.replace(/\./g, '\\.')}"`));
});

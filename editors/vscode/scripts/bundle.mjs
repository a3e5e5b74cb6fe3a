// Writes dist/: extension.js is src/extension.js with vscode-languageclient
// and everything it needs in one file, so that the .vsix carries no
// node_modules; `vscode` is left out (the editor provides it). The target is
// the Node.js of the oldest VS Code the manifest accepts (1.75: Node 16).
// Beside it: terminateProcess.sh, which vscode-languageclient runs from its
// own directory to end a server that outlives `stop`, and
// THIRD-PARTY-NOTICES.txt, the licences of the bundled packages.
// `npm run bundle`; `vsce package` runs it (the `vscode:prepublish` script).

import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const extensionDir = fileURLToPath(new URL('..', import.meta.url));

/** Bundles into `outdir`; returns the names of the bundled packages. */
export async function bundle(outdir = join(extensionDir, 'dist')) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const { metafile } = await build({
    absWorkingDir: extensionDir,
    entryPoints: ['src/extension.js'],
    outfile: join(outdir, 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node16',
    external: ['vscode'],
    minify: true,
    metafile: true,
    logLevel: 'warning',
  });

  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match) packages.set(match[2], join(extensionDir, match[1]));
  }

  const notices = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([name, dir]) => {
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licence = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    if (!licence) throw new Error(`${name} has no licence file in ${dir}`);
    return `${name} ${version}\n\n${readFileSync(join(dir, licence), 'utf8').trim()}\n`;
  });
  writeFileSync(
    join(outdir, 'THIRD-PARTY-NOTICES.txt'),
    `extension.js bundles these packages, under these licences.\n\n${notices.join('\n---\n\n')}`,
  );

  const terminate = join(dirname(fileURLToPath(import.meta.resolve('vscode-languageclient/node'))), 'lib', 'node', 'terminateProcess.sh');
  if (!existsSync(terminate)) throw new Error(`vscode-languageclient has no ${terminate}`);
  copyFileSync(terminate, join(outdir, 'terminateProcess.sh'));
  chmodSync(join(outdir, 'terminateProcess.sh'), 0o755);

  return [...packages.keys()].sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle();
}

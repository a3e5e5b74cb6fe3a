// The extension's code: it starts `flow lsp` (the binary named by the
// setting `flow.path`) as the language server of `.flow` files, through
// vscode-languageclient, and says plainly what to do when it cannot.
//
// Bundled with vscode-languageclient into dist/extension.js by
// scripts/bundle.mjs (`npm run bundle`, run by `vsce package`).

'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');
const { probe, problemMessage, resolveCommand } = require('./server');

const OPEN_SETTINGS = 'Open Settings';
const SHOW_OUTPUT = 'Show Output';

/** The running client, if any; `start` and `stop` replace it. */
let client;
let output;

async function activate(context) {
  output = vscode.window.createOutputChannel('flow');
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand('flow.restartServer', () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('flow.path')) restart();
    }),
  );
  await start();
}

async function deactivate() {
  await stop();
}

async function restart() {
  await stop();
  await start();
}

/**
 * Starts `flow lsp`. Returns the client, or `undefined` when the binary is
 * missing or cannot serve (after showing why).
 */
async function start() {
  const configured = vscode.workspace.getConfiguration('flow').get('path', 'flow');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri?.fsPath;
  const { command, tried } = resolveCommand(configured, folder);

  const problem = await probe(command);
  if (problem) {
    report(problemMessage(tried, problem));
    return undefined;
  }

  const next = new LanguageClient(
    'flow',
    'flow',
    { command, args: ['lsp'] },
    {
      documentSelector: [
        { scheme: 'file', language: 'flow' },
        { scheme: 'untitled', language: 'flow' },
      ],
      outputChannel: output,
    },
  );
  try {
    await next.start();
  } catch (error) {
    report(problemMessage(`${tried} (as \`${command} lsp\`)`, error));
    return undefined;
  }
  output.appendLine(`flow: language server started: ${command} lsp`);
  client = next;
  return client;
}

async function stop() {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop();
    } catch (error) {
      output?.appendLine(`flow: stopping the language server: ${error?.message ?? error}`);
    }
  }
}

/** Shows `message` with a button to the setting, and keeps it in the output. */
function report(message) {
  output?.appendLine(message);
  Promise.resolve(vscode.window.showErrorMessage(message, OPEN_SETTINGS, SHOW_OUTPUT)).then((choice) => {
    if (choice === OPEN_SETTINGS) {
      vscode.commands.executeCommand('workbench.action.openSettings', 'flow.path');
    } else if (choice === SHOW_OUTPUT) {
      output?.show(true);
    }
  }, () => {});
}

module.exports = { activate, deactivate, start, stop, restart };

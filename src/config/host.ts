// The language service's file access inside the editor: the disk, except that files open
// in an editor are read from their buffers, so a judge's exports update as it is typed.
import * as vscode from 'vscode';
import { nodeHost, type LanguageHost } from '../../trainer/src/language/host';

function openDocument(path: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === path && !d.isClosed);
}

export const editorHost: LanguageHost = {
  async stat(path) {
    const doc = openDocument(path);
    if (doc?.isDirty) return { kind: 'file', size: Buffer.byteLength(doc.getText()), mtimeMs: doc.version };
    return nodeHost.stat(path);
  },
  async readText(path) {
    const doc = openDocument(path);
    return doc?.isDirty ? doc.getText() : nodeHost.readText(path);
  },
  readBytes: (path, start, length) => nodeHost.readBytes(path, start, length),
  readDir: (path) => nodeHost.readDir(path),
  // Restricted Mode: user modules are lexed for their exports, never handed to esbuild.
  get transpile() {
    return vscode.workspace.isTrusted;
  },
};

export const CONFIG_LANGUAGE = 'agent-tune-config';
export const CONFIG_SELECTOR: vscode.DocumentSelector = [
  { language: CONFIG_LANGUAGE, scheme: 'file' },
  { language: CONFIG_LANGUAGE, scheme: 'untitled' },
];

export function isConfig(doc: vscode.TextDocument): boolean {
  return doc.languageId === CONFIG_LANGUAGE;
}

/** The path relative paths in a config resolve against; untitled configs use the first folder. */
export function configPath(doc: vscode.TextDocument): string {
  if (doc.uri.scheme === 'file') return doc.uri.fsPath;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return `${folder}/untitled.tune.yaml`;
}

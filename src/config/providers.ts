// Hover, completion, go to definition, code lenses and quick fixes for tune configs: each converts
// between editor positions and the language service's offsets, nothing more.
import * as vscode from 'vscode';
import { complete, type CompletionItem } from '../../trainer/src/language/completion';
import { definition } from '../../trainer/src/language/definition';
import { hover } from '../../trainer/src/language/hover';
import { codeLenses } from '../../trainer/src/language/lenses';
import { quickFixes } from '../../trainer/src/language/quickFix';
import { configPath, editorHost } from './host';

const range = (doc: vscode.TextDocument, start: number, end: number) => new vscode.Range(doc.positionAt(start), doc.positionAt(end));

export const hoverProvider: vscode.HoverProvider = {
  provideHover(doc, position) {
    const h = hover(doc.getText(), doc.offsetAt(position));
    return h && new vscode.Hover(new vscode.MarkdownString(h.contents), range(doc, h.start, h.end));
  },
};

const KINDS: Record<CompletionItem['kind'], vscode.CompletionItemKind> = {
  property: vscode.CompletionItemKind.Property,
  section: vscode.CompletionItemKind.Module,
  value: vscode.CompletionItemKind.Value,
  builtin: vscode.CompletionItemKind.Reference,
  file: vscode.CompletionItemKind.File,
  folder: vscode.CompletionItemKind.Folder,
  export: vscode.CompletionItemKind.Function,
};

export const completionProvider: vscode.CompletionItemProvider = {
  async provideCompletionItems(doc, position) {
    const items = await complete(doc.getText(), doc.offsetAt(position), { file: configPath(doc), host: editorHost });
    return items.map((i) => {
      const item = new vscode.CompletionItem(i.label, KINDS[i.kind]);
      item.insertText = i.snippet ? new vscode.SnippetString(i.insertText) : i.insertText;
      item.range = range(doc, i.start, i.end);
      item.sortText = i.sortText;
      item.detail = i.detail;
      if (i.documentation) item.documentation = new vscode.MarkdownString(i.documentation);
      // Paths are matched against what is typed, which includes the folder part.
      if (i.kind === 'file' || i.kind === 'folder') item.filterText = i.insertText;
      if (i.retrigger) item.command = { command: 'editor.action.triggerSuggest', title: 'Suggest' };
      return item;
    });
  },
};
export const completionTriggers = [':', ' ', '/', '#', '-'];

export const definitionProvider: vscode.DefinitionProvider = {
  async provideDefinition(doc, position) {
    const d = await definition(doc.getText(), doc.offsetAt(position), { file: configPath(doc), host: editorHost });
    if (!d) return undefined;
    const target = new vscode.Range(d.start.line, d.start.character, d.end.line, d.end.character);
    return [{ originSelectionRange: range(doc, d.originStart, d.originEnd), targetUri: vscode.Uri.file(d.file), targetRange: target, targetSelectionRange: target }];
  },
};

const LENS_COMMANDS = {
  run: 'agentTune.runConfig',
  debug: 'agentTune.debugConfig',
  validate: 'agentTune.validateConfig',
  openRun: 'agentTune.openLastRun',
} as const;

export const codeLensProvider: vscode.CodeLensProvider = {
  async provideCodeLenses(doc) {
    const top = new vscode.Range(0, 0, 0, 0);
    return (await codeLenses(doc.getText(), { file: configPath(doc), host: editorHost })).map(
      (l) => new vscode.CodeLens(top, { title: l.title, tooltip: l.tooltip, command: LENS_COMMANDS[l.command], arguments: l.runDir ? [vscode.Uri.file(l.runDir)] : [doc.uri] }),
    );
  },
};

export const quickFixProvider: vscode.CodeActionProvider = {
  provideCodeActions(doc, selection, context) {
    return quickFixes(doc.getText(), configPath(doc), doc.offsetAt(selection.start), doc.offsetAt(selection.end)).map((f) => {
      const action = new vscode.CodeAction(f.title, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(doc.uri, range(doc, f.start, f.end), f.newText);
      action.diagnostics = context.diagnostics.filter((d) => d.message === f.message);
      action.isPreferred = true;
      return action;
    });
  },
};

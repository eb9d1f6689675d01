// "Agent Tune: Preview Tasks" and the code lens above `tasks.train` / `tasks.test`: a table of
// the tasks a config resolves to, read a page at a time by the trainer's task preview.
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { isMap, isScalar } from 'yaml';
import { referenceCheck } from '../../trainer/src/judges/reference';
import { parseConfigDocument } from '../../trainer/src/language/locate';
import type { TasksShape } from '../../trainer/src/tasks/check';
import { TaskPreview, type PageRequest } from '../../trainer/src/tasks/preview';
import { CONFIG_SELECTOR, configPath, isConfig } from '../config/host';
import { previewHtml } from './html';

const COMMAND = 'agentTune.previewTasks';

export function registerTaskPreview(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMAND, async (uri?: vscode.Uri, which?: 'train' | 'test') => {
      const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
      if (!doc || !isConfig(doc)) {
        void vscode.window.showErrorMessage('Agent Tune: open a *.tune.yaml config to preview its tasks.');
        return;
      }
      await openPreview(doc, which);
    }),
    vscode.languages.registerCodeLensProvider(CONFIG_SELECTOR, {
      provideCodeLenses(doc) {
        return taskKeys(doc.getText()).map(
          ({ which, offset }) =>
            new vscode.CodeLens(new vscode.Range(doc.positionAt(offset), doc.positionAt(offset)), {
              title: '$(table) Preview Tasks',
              tooltip: `Show the ${which === 'train' ? 'training' : 'test'} tasks this config resolves to, with the data checks' findings`,
              command: COMMAND,
              arguments: [doc.uri, which],
            }),
        );
      },
    }),
  );
}

/** Offsets of the `train` and `test` keys under `tasks`. */
export function taskKeys(text: string): { which: 'train' | 'test'; offset: number }[] {
  const out: { which: 'train' | 'test'; offset: number }[] = [];
  try {
    const doc = parseConfigDocument(text);
    if (!isMap(doc.contents)) return out;
    const tasks = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'tasks')?.value;
    if (!isMap(tasks)) return out;
    for (const p of tasks.items) {
      if (isScalar(p.key) && (p.key.value === 'train' || p.key.value === 'test') && p.key.range) out.push({ which: p.key.value, offset: p.key.range[0] });
    }
  } catch {
    // A config that does not parse has no lenses.
  }
  return out;
}

async function openPreview(doc: vscode.TextDocument, which?: 'train' | 'test'): Promise<void> {
  const file = configPath(doc);
  const parsed = parseConfigDocument(doc.getText()).toJS() as { tasks?: TasksShape; judge?: { ref?: string; options?: Record<string, unknown> } } | null;
  if (!parsed?.tasks) {
    void vscode.window.showErrorMessage(`Agent Tune: ${basename(file)} has no tasks to preview.`);
    return;
  }
  const panel = vscode.window.createWebviewPanel('agentTune.tasks', `Tasks: ${basename(file)}`, vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: true });
  const nonce = randomBytes(16).toString('base64');
  panel.webview.html = previewHtml(panel.webview.cspSource, nonce, `Tasks: ${basename(file)}`);
  let preview: TaskPreview | undefined;
  let failed: string | undefined;
  const ready = TaskPreview.open(parsed.tasks, dirname(file), referenceCheck(parsed.judge)).then(
    (p) => (preview = p),
    (e) => (failed = (e as Error).message),
  );
  panel.webview.onDidReceiveMessage(async (m: { type: string; generation?: number } & PageRequest) => {
    await ready;
    if (m.type === 'ready') {
      const sources = preview?.sources ?? [{ key: 'tasks', name: '', files: [], error: failed }];
      const selected = which ? sources.findIndex((s) => s.key.startsWith(`tasks.${which}`)) : -1;
      void panel.webview.postMessage({ type: 'sources', sources, selected: selected >= 0 ? selected : undefined });
    } else if (m.type === 'page' && preview) {
      try {
        const page = await preview.page({ source: m.source, start: m.start, count: Math.min(m.count, 1000), search: m.search, problems: m.problems });
        void panel.webview.postMessage({ type: 'page', generation: m.generation, page });
      } catch (e) {
        void panel.webview.postMessage({ type: 'page', generation: m.generation, error: (e as Error).message });
      }
    }
  });
}

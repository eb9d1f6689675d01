// The python sandbox in the status bar: which tier model-written code gets on this machine,
// what it blocks, what was refused and why, and what would enable a stronger one. The tier
// comes from `agent-tune --json sandbox [CONFIG]`, the trainer's own probe, run for the active
// tune config. Probing runs the trainer, so a restricted workspace is not probed.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SandboxReport } from '../../trainer/src/tools/sandbox/report';
import { requireTrust } from '../trust';

export const CHECK_SANDBOX_COMMAND = 'agentTune.checkSandbox';
const isTuneFile = (p: string) => /\.tune\.ya?ml$/.test(p);

type Outcome = { report: SandboxReport } | { error: string };

/** Runs the CLI's probe; the extension host's own binary runs it, as Node. */
export function probeSandbox(cli: string, config: string | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    const args = [cli, '--json', 'sandbox', ...(config ? [config] : [])];
    const child = spawn(process.execPath, args, { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', (e) => resolve({ error: `could not start the trainer CLI: ${e.message}` }));
    child.on('close', (code) => {
      try {
        const report = JSON.parse(out.trim().split('\n').pop() ?? '') as SandboxReport;
        if (report.tier) return resolve({ report });
      } catch {
        // no report: the error is on stderr
      }
      let message = err.trim() || `the trainer CLI exited with code ${code}`;
      try {
        message = (JSON.parse(message.split('\n').pop()!) as { error: string }).error ?? message;
      } catch {
        // plain text
      }
      resolve({ error: message });
    });
  });
}

const list = (items: string[]) => items.map((i) => `- ${i}`).join('\n');

/** Text, tooltip and colour for a report: weak and `off` tiers are shown as warnings, a refusal as an error. */
export function present(outcome: Outcome, config: string | undefined): { text: string; tooltip: string; level: 'ok' | 'warning' | 'error' } {
  const source = config ? `\`${path.basename(config)}\`` : 'the default settings (`sandbox: strict`, `python3`)';
  if ('error' in outcome) {
    return { text: '$(error) Sandbox: unknown', level: 'error', tooltip: `**Python sandbox: unknown**\n\nProbing for ${source} failed:\n\n${outcome.error}` };
  }
  const r = outcome.report;
  const parts: string[] = [];
  let text: string;
  let level: 'ok' | 'warning' | 'error';
  if (r.mode === 'off') {
    text = '$(warning) Sandbox: OFF';
    level = 'error';
    parts.push(`**Python sandbox: OFF.** Model-written code runs with your permissions, network and files (\`sandbox: off\` in ${source}). Use it for trusted tests only; this machine has \`${r.available}\`.`);
  } else if (!r.accepted) {
    text = `$(error) Sandbox: refused (${r.tier})`;
    level = 'error';
    parts.push(`**Python sandbox: refused.** \`sandbox: strict\` needs a strong tier; the best here is \`${r.tier}\`, so runs that use \`builtin:python\` stop before they start.`);
  } else if (!r.strong) {
    text = `$(warning) Sandbox: ${r.tier} (WEAK)`;
    level = 'warning';
    parts.push(`**Python sandbox: ${r.tier}, WEAK.** \`sandbox: best\` accepts it knowingly.`);
  } else {
    text = `$(shield) Sandbox: ${r.tier}`;
    level = 'ok';
    parts.push(`**Python sandbox: ${r.tier}${r.landlock_abi ? ` (Landlock ABI ${r.landlock_abi})` : ''}**`);
  }
  parts.push(`For ${source} on ${r.platform}.`);
  parts.push(`Blocks:\n\n${r.blocks.length ? list(r.blocks) : '- nothing'}`);
  if (r.open.length) parts.push(`Open to model-written code:\n\n${list(r.open)}`);
  const refused = Object.entries(r.refused ?? {});
  if (refused.length) parts.push(`Stronger tiers refused here:\n\n${list(refused.map(([t, why]) => `\`${t}\`: ${why}`))}`);
  if (r.enable.length) parts.push(`To get a strong tier:\n\n${list(r.enable)}`);
  return { text, level, tooltip: parts.join('\n\n') };
}

export function registerSandboxStatus(context: vscode.ExtensionContext): void {
  const cli = context.asAbsolutePath(path.join('trainer', 'bin', 'agent-tune.js'));
  const item = vscode.window.createStatusBarItem('agentTune.sandbox', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Agent Tune Python Sandbox';
  item.command = CHECK_SANDBOX_COMMAND;
  let config: string | undefined;
  let shown: string | undefined;
  let running = 0;

  const restricted = () => {
    item.text = '$(shield) Sandbox: not checked';
    item.tooltip = new vscode.MarkdownString('**Python sandbox: not checked.** Finding the tier runs the trainer, which is off in Restricted Mode. Trust the workspace to see which tier model-written code gets here.');
    item.backgroundColor = undefined;
    item.show();
  };
  const check = async () => {
    if (!vscode.workspace.isTrusted) return restricted();
    const ticket = ++running;
    const target = config;
    item.text = '$(loading~spin) Sandbox: checking';
    item.show();
    const outcome = await probeSandbox(cli, target);
    if (ticket !== running) return;
    shown = target;
    const p = present(outcome, target);
    item.text = p.text;
    const tooltip = new vscode.MarkdownString(p.tooltip);
    tooltip.supportThemeIcons = true;
    item.tooltip = tooltip;
    item.backgroundColor = p.level === 'ok' ? undefined : new vscode.ThemeColor(p.level === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
  };
  const follow = (editor: vscode.TextEditor | undefined) => {
    const file = editor?.document.uri.scheme === 'file' ? editor.document.uri.fsPath : undefined;
    if (!file || !isTuneFile(file)) return;
    config = file;
    if (shown !== file) void check();
  };

  context.subscriptions.push(
    item,
    vscode.commands.registerCommand(CHECK_SANDBOX_COMMAND, () => {
      if (!requireTrust('Checking the python sandbox')) return;
      void check();
    }),
    vscode.window.onDidChangeActiveTextEditor(follow),
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (d.uri.fsPath === config) void check();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void check()),
  );
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && isTuneFile(active.fsPath)) config = active.fsPath;
  void check();
}

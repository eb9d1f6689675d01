import type { Command } from 'commander';
import { LineCounter, parseDocument } from 'yaml';
import { formatIssue, loadConfig } from '../config/load';
import { nodeAt, type ConfigIssue } from '../config/validate';
import { exportProblem } from './model';
import { diagnoseFile } from '../language/diagnostics';
import type { Output } from '../cli/output';

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

export function registerValidate(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check a tune config and the files it names; prints every problem as file:line:col  key.path  message')
    .argument('<config>', 'a *.tune.yaml file')
    .action(async (file: string) => {
      const o = out();
      // The editor shows the same diagnostics: both come from the config language service.
      const { issues } = await diagnoseFile(file);
      if (!issues.some((i) => i.severity === 'error')) {
        const bad = modelExportIssue(file);
        if (bad) issues.push(bad);
      }
      const errors = issues.filter((i) => i.severity === 'error');
      const warnings = issues.filter((i) => i.severity === 'warning');
      if (errors.length === 0) {
        for (const w of warnings) o.info(formatIssue(w));
        o.result({ ok: true, file, warnings }, () => `${file}: ok${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}`);
        setExit(EXIT.ok);
        return;
      }
      if (o.json) for (const i of issues) o.result(i, () => '');
      else process.stdout.write(issues.map(formatIssue).join('\n') + '\n');
      setExit(EXIT.invalid);
    });
}

/**
 * The ONNX export itself, which the editor's checks leave alone (they read only the folder's
 * small files): a graph the runtime refuses, missing weights, or no way to the LM head's input.
 */
function modelExportIssue(file: string): ConfigIssue | null {
  const { config, dir, text } = loadConfig(file);
  if (config.model.backend !== 'onnx' || !config.model.path || config.model.path.startsWith('builtin:')) return null;
  const problem = exportProblem(config.model.path, dir);
  if (!problem) return null;
  const lines = new LineCounter();
  const node = nodeAt(parseDocument(text, { lineCounter: lines }), ['model', 'path']);
  const start = node?.range?.[0] ?? 0;
  const at = lines.linePos(start);
  return { file, line: at.line, column: at.col, start, end: node?.range?.[1] ?? start, path: ['model', 'path'], message: `the model's export cannot be used: ${problem}`, severity: 'error' };
}

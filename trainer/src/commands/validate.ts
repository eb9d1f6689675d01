import { relative } from 'node:path';
import type { Command } from 'commander';
import { LineCounter, parseDocument } from 'yaml';
import { formatIssue, loadConfig } from '../config/load';
import type { ConfigIssue } from '../config/validate';
import { nodeAt } from '../config/yaml-nodes';
import { exportProblem } from './model';
import { diagnoseFile } from '../language/diagnostics';
import { nodeHost } from '../language/host';
import { referenceCheck } from '../judges/reference';
import { formatFinding } from '../tasks/lint';
import { EXIT, type Output } from './output';


export function registerValidate(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description(
      'check a tune config, the files it names and every record of its task data; prints each problem as file:line:col  key.path  message (config) or file:line:col  message (data), at most 50 data problems',
    )
    .argument('<config>', 'a *.tune.yaml file')
    .action(async (file: string) => {
      const o = out();
      let last = performance.now();
      const progress = (records: number) => {
        if (performance.now() - last < 2000) return;
        last = performance.now();
        o.info(`checked ${records} records...`);
      };
      // The editor shows the same diagnostics: both come from the config language service.
      const { issues, dataFindings = [] } = await diagnoseFile(file, nodeHost, { progress, references: referenceCheck });
      if (!issues.some((i) => i.severity === 'error')) {
        const bad = modelExportIssue(file);
        if (bad) issues.push(bad);
      }
      const errors = issues.filter((i) => i.severity === 'error');
      const warnings = issues.filter((i) => i.severity === 'warning');
      const data = new Map(dataFindings.map((d) => [d.issue, d.finding]));
      const shown = (f: string) => relative(process.cwd(), f) || f;
      // Config issues in config order, then data findings in the order the data was read.
      const lines = [...issues.filter((i) => !data.has(i)).map(formatIssue), ...dataFindings.map((d) => formatFinding(d.finding, shown))];
      if (errors.length === 0) {
        for (const w of lines) o.info(w);
        o.result({ ok: true, file, warnings }, () => `${file}: ok${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}`);
        setExit(EXIT.ok);
        return;
      }
      if (o.json) for (const i of issues) o.result(data.has(i) ? { ...i, data: data.get(i) } : i, () => '');
      else process.stdout.write(lines.join('\n') + '\n');
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

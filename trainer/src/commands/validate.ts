import type { Command } from 'commander';
import { formatIssue } from '../config/load';
import { diagnoseFile } from '../language/diagnostics';
import type { Output } from './output';

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

import type { Command } from 'commander';
import { ConfigError, formatIssue, loadConfig } from '../config/load';
import type { Output } from '../cli/output';

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

export function registerValidate(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check a tune config; prints every problem as file:line:col  key.path  message')
    .argument('<config>', 'a *.tune.yaml file')
    .action((file: string) => {
      const o = out();
      try {
        const loaded = loadConfig(file);
        for (const w of loaded.warnings) o.info(formatIssue(w));
        o.result({ ok: true, file, warnings: loaded.warnings }, () => `${file}: ok${loaded.warnings.length ? ` (${loaded.warnings.length} warning${loaded.warnings.length > 1 ? 's' : ''})` : ''}`);
        setExit(EXIT.ok);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        if (o.json) for (const i of e.issues) o.result(i, () => '');
        else process.stdout.write(e.issues.map(formatIssue).join('\n') + '\n');
        setExit(EXIT.invalid);
      }
    });
}

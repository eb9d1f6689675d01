// `agent-tune sandbox [CONFIG]`: which python sandbox tier `builtin:python` gets on this
// machine, what it blocks, why stronger tiers were refused and what would enable one. With
// a config, its `builtin:python` options (`sandbox`, `python`) apply. `--json` prints the
// report as one object; the editor's status bar reads it.
import type { Command } from 'commander';
import type { Output } from './output';
import { loadConfig } from '../config/load';
import { PYTHON_DEFAULTS, type PythonOptions } from '../tools/python';
import { checkBuiltinOptions } from '../tools/registry';
import { sandboxReport, type SandboxReport } from '../tools/sandbox/report';
import { EXIT } from './output';

function human(r: SandboxReport): string {
  const lines = [r.line];
  if (r.mode === 'off') lines.push(`available here: ${r.available}`);
  for (const [tier, why] of Object.entries(r.refused ?? {})) lines.push(`  ${tier}: not available (${why})`);
  if (r.open.length) lines.push(`open to model-written code: ${r.open.join(', ')}`);
  if (r.enable.length) lines.push(`to get a strong tier: ${r.enable.join(', ')}`);
  if (r.refusal) lines.push(r.refusal);
  return lines.join('\n');
}

export function registerSandbox(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('sandbox')
    .description("print the python sandbox tier this machine gives builtin:python, what it blocks and what would enable a stronger one; exits 1 when the setting refuses to run (strict without a strong tier)")
    .argument('[config]', 'a *.tune.yaml file whose builtin:python options apply (default: sandbox strict, python3)')
    .action((file: string | undefined) => {
      let options: Partial<PythonOptions> = {};
      if (file) {
        const tools = loadConfig(file).config.tools;
        const i = tools.findIndex((t) => t.ref === 'builtin:python' || t.ref === 'python');
        options = (tools[i]?.options ?? {}) as Partial<PythonOptions>;
        try {
          checkBuiltinOptions('python', options);
        } catch (e) {
          out().error(`${file}: ${(e as Error).message.replace('tools:', `tools[${i}]:`)}`);
          return setExit(EXIT.invalid);
        }
      }
      const report = sandboxReport(options.sandbox ?? PYTHON_DEFAULTS.sandbox, options.python ?? PYTHON_DEFAULTS.python);
      out().result(report, () => human(report));
      setExit(report.accepted ? EXIT.ok : EXIT.failed);
    });
}

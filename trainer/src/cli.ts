// `agent-tune`: the trainer's command line.
import { Command, CommanderError } from 'commander';
import { createOutput, type Output } from './commands/output';
import { EXIT } from './commands/output';
import { registerValidate } from './commands/validate';
import { registerDebug } from './commands/debug';
import { registerRejudge } from './commands/rejudge';
import { registerRun } from './commands/run';
import { registerEval } from './commands/eval';
import { registerSft } from './commands/sft';
import { registerExport } from './commands/export';
import { registerModel } from './commands/model';
import { registerVerify } from './commands/verify';
import { registerServe } from './commands/serve';
import { registerController } from './commands/controller';
import { registerAgent } from './commands/agent';
import { registerSandbox } from './commands/sandbox';
import { VERSION } from './version';
import { ConfigError } from './config/load';

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('agent-tune')
    .description('Roll out, judge and RL-tune LLM agents that solve math with tools.')
    .version(VERSION)
    .option('--json', 'machine-readable output: one JSON object a line')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const out = (): Output => createOutput(Boolean(program.opts().json));
  const setExit = (c: number) => {
    exitCode = c;
  };
  registerValidate(program, out, setExit);
  registerRun(program, out, setExit);
  registerDebug(program, out, setExit);
  registerEval(program, out, setExit);
  registerSft(program, out, setExit);
  registerExport(program, out, setExit);
  registerRejudge(program, out, setExit);
  registerModel(program, out, setExit);
  registerVerify(program, out, setExit);
  registerServe(program, out, setExit);
  registerController(program, out, setExit);
  registerAgent(program, out, setExit);
  registerSandbox(program, out, setExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    if (e instanceof ConfigError) {
      out().error(`the config has ${e.issues.filter((i) => i.severity === 'error').length} problem(s):\n${e.message}`);
      return EXIT.invalid;
    }
    out().error(e instanceof Error ? e.message : String(e));
    return EXIT.failed;
  }
  return exitCode;
}

// `agent-tune debug CONFIG`: roll out a few tasks and judge them, without training.
import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import type { Output } from './output';
import { createEnv } from '../rollout/env';
import { runRollouts } from '../rollout/runner';
import type { RolloutSpec } from '../rollout/session';
import { summarize, formatSummary } from '../rollout/summary';
import { startRun } from '../rollout/start';
import { loadTasks } from '../tasks/load';
import { EXIT, debuggerOutput } from './output';
import { runGuarded } from '../run/guard';
import { openDebugBridge } from '../debug/open';

export function registerDebug(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('debug')
    .description('roll out a few tasks and judge them, without training; what F5 runs')
    .argument('<config>', 'a *.tune.yaml file')
    .option('--tasks <n>', 'number of tasks', (v) => parsePositive(v, '--tasks'), 4)
    .option('--split <split>', 'take tasks from `train` or `test`', 'train')
    .option('--no-timeouts', 'never time out user code (set while a debugger is attached)')
    .option('--debug-bridge', 'let the debugger that spawned the trainer hold rollouts (IPC)')
    .option('--output-dir <dir>', 'create the run directory here instead of under train.output_dir')
    .action(async (file: string, opts: { tasks: number; split: string; timeouts: boolean; outputDir?: string; debugBridge?: boolean }) => {
      const o = opts.debugBridge ? debuggerOutput(out()) : out();
      const bridge = await openDebugBridge(opts.debugBridge);
      const loaded = loadConfig(file);
      const source = opts.split === 'test' ? loaded.config.tasks.test : loaded.config.tasks.train;
      if (!source) throw new Error(`--split ${opts.split}: the config has no tasks.${opts.split}`);
      const tasks = (await loadTasks(source, loaded.dir, { role: opts.split === 'test' ? 'test' : 'train', max: opts.tasks })).slice(0, opts.tasks);
      const writer = startRun(loaded, 'debug', opts.outputDir);
      o.info(`run directory: ${writer.dir}`);
      bridge?.attach(writer);
      await runGuarded(writer, async () => {
        const env = await createEnv(loaded, { writer, timeouts: opts.timeouts && !bridge, hooks: bridge?.hooks });
        try {
          const g = loaded.config.rollout.group_size;
          const specs: RolloutSpec[] = tasks.flatMap((task) =>
            Array.from({ length: g }, (_, sample) => ({ id: `s0-debug-${task.id}-${sample}`, step: 0, phase: 'debug' as const, task, groupId: `g0-${task.id}`, sample })),
          );
          const bar = o.progress(specs.length, 'rollouts');
          let done = 0;
          let reward = 0;
          let success = 0;
          const records = await runRollouts(env, specs, {
            advantages: true,
            onFinished: (r) => {
              done++;
              reward += r.reward;
              success += r.success ? 1 : 0;
              bar.update(done, { reward: reward / done, success: success / done });
            },
          });
          bar.done();
          const summary = summarize(records);
          o.result({ run_dir: writer.dir, ...summary }, () => `${formatSummary(summary)}\nrun directory: ${writer.dir}`);
        } finally {
          await env.close();
        }
      });
      setExit(EXIT.ok);
    });
}

export function parsePositive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${v}"`);
  return n;
}

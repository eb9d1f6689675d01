// `agent-tune run CONFIG`: the main job.
import type { Command } from 'commander';
import type { Output } from './output';
import { loadConfig } from '../config/load';
import { train } from '../train/loop';
import { parsePositive } from './debug';
import { EXIT, debuggerOutput } from './output';
import { openDebugBridge } from '../debug/open';

export function registerRun(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('train: roll out, judge, update the LoRA adapter, evaluate and checkpoint')
    .argument('<config>', 'a *.tune.yaml file')
    .option('--resume <run-dir>', 'continue a run from its last checkpoint')
    .option('--steps <n>', 'override train.steps', (v) => parsePositive(v, '--steps'))
    .option('--no-timeouts', 'never time out user code (set while a debugger is attached)')
    .option('--debug-bridge', 'let the debugger that spawned the trainer hold rollouts (IPC)')
    .option('--output-dir <dir>', 'create the run directory here instead of under train.output_dir')
    .action(async (file: string, opts: { resume?: string; steps?: number; timeouts: boolean; outputDir?: string; debugBridge?: boolean }) => {
      const o = opts.debugBridge ? debuggerOutput(out()) : out();
      const bridge = await openDebugBridge(opts.debugBridge);
      const loaded = loadConfig(file);
      const result = await train(loaded, {
        resume: opts.resume,
        steps: opts.steps,
        timeouts: opts.timeouts && !bridge,
        debug: bridge,
        outputDir: opts.outputDir,
        progress: (total) => o.progress(total, 'steps'),
        log: (m) => o.info(m),
      });
      const first = result.evals[0];
      const last = result.evals[result.evals.length - 1];
      o.result({ run_dir: result.runDir, steps: result.steps, evals: result.evals }, () => {
        const lines = [`trained ${result.steps} steps; run directory: ${result.runDir}`];
        if (first && last && first !== last) {
          for (const k of Object.keys(last.metrics)) lines.push(`  ${k}: ${(100 * (first.metrics[k] ?? 0)).toFixed(1)}% → ${(100 * last.metrics[k]).toFixed(1)}%`);
        }
        return lines.join('\n');
      });
      setExit(EXIT.ok);
    });
}

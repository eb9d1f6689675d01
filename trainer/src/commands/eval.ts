// `agent-tune eval CONFIG [--adapter CKPT]`: evaluation on the test tasks, as its own run.
import type { Command } from 'commander';
import type { Output } from './output';
import { loadConfig } from '../config/load';
import { OnnxChatBackend } from '../model/backend';
import { createBackend, openLocal } from '../rollout/backend';
import { createEnv } from '../rollout/env';
import { startRun } from '../rollout/start';
import { loadTasks } from '../tasks/load';
import { loadAdapter } from '../train/checkpoint';
import { evaluate } from '../train/evaluate';
import { LoraHead } from '../train/lora';
import { runGuarded } from '../run/guard';
import { openDebugBridge } from '../debug/open';
import { EXIT, debuggerOutput } from './output';

export function registerEval(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('eval')
    .description('evaluate on the test tasks: pass@k, mean@n, maj@k and greedy pass@1')
    .argument('<config>', 'a *.tune.yaml file')
    .option('--adapter <checkpoint>', 'a checkpoint folder with adapter_model.safetensors')
    .option('--no-timeouts', 'never time out user code (set while a debugger is attached)')
    .option('--debug-bridge', 'let the debugger that spawned the trainer hold rollouts (IPC)')
    .option('--output-dir <dir>', 'create the run directory here instead of under train.output_dir')
    .action(async (file: string, opts: { adapter?: string; timeouts: boolean; outputDir?: string; debugBridge?: boolean }) => {
      const o = opts.debugBridge ? debuggerOutput(out()) : out();
      const bridge = await openDebugBridge(opts.debugBridge);
      const loaded = loadConfig(file);
      const { config } = loaded;
      if (!config.tasks.test) throw new Error(`${file}: evaluation needs tasks.test`);
      const tasks = await loadTasks(config.tasks.test, loaded.dir, { role: 'test' });
      // A served model is evaluated as it is served; adapters apply to the local model.
      const backend = config.model.backend === 'openai' ? await createBackend(config, loaded.dir) : await openLocal(config, loaded.dir);
      try {
        if (opts.adapter) {
          if (!(backend instanceof OnnxChatBackend)) throw new Error('--adapter: adapters apply to the local onnx backend; serve the tuned model with `agent-tune serve MODEL --adapter CKPT` instead');
          const { vocab, hiddenSize } = backend.engine.layout;
          const a = loadAdapter(opts.adapter, { vocab, hidden: hiddenSize });
          const lora = new LoraHead(hiddenSize, vocab, a.rank, a.alpha);
          lora.copyFrom(a.A, a.B);
          backend.engine.logitHook = lora.hook;
        }
        const writer = startRun(loaded, 'eval', opts.outputDir);
        o.info(`run directory: ${writer.dir}`);
        bridge?.attach(writer);
        let metrics: Record<string, number> = {};
        await runGuarded(writer, async () => {
          const env = await createEnv(loaded, { writer, backend, timeouts: opts.timeouts && !bridge, hooks: bridge?.hooks });
          try {
            const bar = o.progress(tasks.length * (config.eval.samples + (config.eval.greedy ? 1 : 0)), 'eval');
            let done = 0;
            metrics = (await evaluate(env, tasks, 0, () => bar.update(++done))).metrics;
            bar.done();
          } finally {
            await env.close();
          }
        });
        o.result({ run_dir: writer.dir, adapter: opts.adapter ?? null, tasks: tasks.length, metrics }, () =>
          [`${tasks.length} test tasks${opts.adapter ? ` with ${opts.adapter}` : ''}`, ...Object.entries(metrics).map(([k, v]) => `  ${k}: ${(100 * v).toFixed(1)}%`), `run directory: ${writer.dir}`].join('\n'),
        );
      } finally {
        await backend.close();
      }
      setExit(EXIT.ok);
    });
}

// `agent-tune run`: select tasks, roll out groups, judge, compute advantages, update the
// adapter, log, evaluate and checkpoint — step after step, resumable from any checkpoint.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load';
import type { RunDebugger } from '../debug/bridge';
import { openLocal } from '../rollout/backend';
import { createEnv, type RolloutEnv } from '../rollout/env';
import { runRollouts } from '../rollout/runner';
import type { RolloutSpec } from '../rollout/session';
import { RUN_FILES, RUN_FORMAT_VERSION } from '../run/events';
import { runSandbox, startRun } from '../rollout/start';
import { resumedProvenance } from '../run/provenance';
import { runGuarded } from '../run/guard';
import { listRevisions } from '../run/revision';
import { foldProgress, newProgress, progressOf, type Progress as RunProgress } from '../run/progress';
import { RunWriter } from '../run/writer';
import type { Task } from '../sdk';
import { loadTasks } from '../tasks/load';
import { Adam } from './adam';
import { CheckpointError, checkpointName, latestCheckpoint, loadAdapter, loadOptimizer, loadTrainerState, saveCheckpoint, type TrainerState } from './checkpoint';
import { evaluate } from './evaluate';
import { LoraHead } from './lora';
import { stepMetrics } from './metrics';
import { createTaskSelector, successBySource } from './mix';
import { learningRate } from './objective';
import type { Selector } from './selectors';
import { policyUpdate, turnSamples } from './update';

/** A progress display (the CLI's bar, or nothing); `run` is the run's progress so far. */
export interface Progress {
  update(done: number, fields?: Record<string, string | number>, run?: RunProgress): void;
  done(): void;
}

export interface TrainOptions {
  resume?: string;
  /** Overrides `train.steps`. */
  steps?: number;
  progress?: (total: number) => Progress;
  log?: (message: string) => void;
  timeouts?: boolean;
  /** Parent folder of the new run directory; `train.output_dir` when absent. */
  outputDir?: string;
  /** A debugger holding rollouts (`--debug-bridge`). */
  debug?: RunDebugger;
}

export interface TrainResult {
  runDir: string;
  steps: number;
  evals: { step: number; metrics: Record<string, number> }[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function train(loaded: LoadedConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const { config } = loaded;
  const totalSteps = opts.steps ?? config.train.steps;
  const backend = await openLocal(config, loaded.dir);
  const engine = backend.engine;
  let writer: RunWriter | undefined;
  let env: RolloutEnv | undefined;
  try {
    const lora = new LoraHead(engine.layout.hiddenSize, engine.layout.vocab, config.algorithm.lora.rank, config.algorithm.lora.alpha, config.seed);
    engine.logitHook = lora.hook;
    const adam = new Adam([lora.A, lora.B], config.algorithm.lr);
    const tasks = await loadTasks(config.tasks.train, loaded.dir);
    const testTasks = config.tasks.test ? await loadTasks(config.tasks.test, loaded.dir, { role: 'test' }) : undefined;
    const selector = createTaskSelector(tasks, config.tasks.train, config.tasks.selector, config.seed);

    let start = 0;
    if (opts.resume) {
      const resumed = resumeRun(opts.resume, loaded, lora, adam, selector, { vocab: engine.layout.vocab, hidden: engine.layout.hiddenSize }, totalSteps);
      writer = resumed.writer;
      start = resumed.step;
      opts.log?.(`resuming ${opts.resume} from step ${start}`);
    } else {
      writer = startRun(loaded, 'train', opts.outputDir, totalSteps);
      opts.log?.(`run directory: ${writer.dir}`);
    }
    opts.debug?.attach(writer);
    const progress = { ...newProgress(), total: totalSteps };
    writer.onEvent((e) => foldProgress(progress, e));
    env = await createEnv(loaded, { writer, backend, timeouts: opts.timeouts, hooks: opts.debug?.hooks });
    const evals: TrainResult['evals'] = [];
    const state = (step: number): TrainerState => ({
      format: 1,
      step,
      seed: config.seed,
      config_sha256: sha256(loaded.text),
      model: { path: config.model.path, vocab: engine.layout.vocab, hidden: engine.layout.hiddenSize },
      lora: { rank: lora.rank, alpha: lora.alpha },
      adam_step: adam.state.step,
      selector: selector.state(),
      offsets: writer!.offsets(),
      rng: { seed: config.seed, step },
    });
    const checkpoint = (step: number) => {
      const path = join(RUN_FILES.checkpoints, checkpointName(step));
      // The event goes in before the offsets are taken, so a resume keeps it.
      writer!.emit({ type: 'checkpoint_saved', step, path });
      writer!.sync();
      saveCheckpoint(writer!.dir, lora, adam, state(step));
    };
    const runEval = async (step: number) => {
      if (!testTasks) return;
      const bar = opts.progress?.(testTasks.length * (config.eval.samples + (config.eval.greedy ? 1 : 0)));
      let done = 0;
      const r = await evaluate(env!, testTasks, step, () => bar?.update(++done, { eval: `step ${step}` }));
      bar?.done();
      evals.push({ step, metrics: r.metrics });
      opts.log?.(`eval step ${step}: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${(100 * v).toFixed(1)}%`).join('  ')}`);
    };

    await runGuarded(writer, async () => {
    if (start === 0) {
      await runEval(0);
      checkpoint(0);
    }
    const bar = opts.progress?.(totalSteps);
    bar?.update(start);
    for (let step = start + 1; step <= totalSteps; step++) {
      const t0 = performance.now();
      const chosen = selector.select(step, config.train.tasks_per_step);
      writer!.emit({ type: 'step_started', step, task_ids: chosen.map((t) => t.id) });
      const records = await runRollouts(env!, specsFor(step, chosen, config.rollout.group_size), { advantages: true });
      const rolloutSeconds = (performance.now() - t0) / 1000;
      selector.observe(new Map(chosen.map((t) => [t.id, records.filter((r) => r.task_id === t.id).map((r) => (r.success ? 1 : 0))])));
      const samples = turnSamples(records);
      const a = config.algorithm;
      adam.lr = learningRate(step, totalSteps, a.lr, a.lr_schedule, a.warmup_steps);
      const update = samples.length
        ? await policyUpdate(engine, lora, adam, samples, {
            temperature: config.model.sampling.temperature,
            clip: a.clip,
            clipHigh: a.clip_high,
            lossAgg: a.loss_agg,
            maxTokens: config.model.sampling.max_new_tokens,
            klCoef: config.algorithm.kl_coef,
            entropyCoef: config.algorithm.entropy_coef,
            epochs: config.algorithm.epochs,
            minibatch: config.algorithm.minibatch,
            maxGradNorm: config.algorithm.max_grad_norm,
            seed: config.seed,
            step,
          })
        : undefined;
      const metrics = stepMetrics(records, update, (performance.now() - t0) / 1000, rolloutSeconds);
      metrics.lr = adam.lr;
      for (const [k, v] of Object.entries(selector.stats())) metrics[`selector_${k}`] = v;
      Object.assign(metrics, successBySource(records));
      writer!.metric({ step, kind: 'train', metrics });
      bar?.update(step, { reward: metrics.reward_mean, success: metrics.success_rate }, progressOf(progress));
      const last = step === totalSteps;
      if ((config.train.eval_every > 0 && step % config.train.eval_every === 0) || last) await runEval(step);
      if ((config.train.save_every > 0 && step % config.train.save_every === 0) || last) checkpoint(step);
    }
    bar?.done();
    });
    return { runDir: writer!.dir, steps: totalSteps, evals };
  } finally {
    await env?.close();
    await backend.close();
  }
}

export function specsFor(step: number, tasks: Task[], groupSize: number): RolloutSpec[] {
  return tasks.flatMap((task, i) =>
    Array.from({ length: groupSize }, (_, sample) => ({
      id: `s${step}-train-${i}-${task.id}-${sample}`,
      step,
      phase: 'train' as const,
      task,
      groupId: `g${step}-${i}-${task.id}`,
      sample,
    })),
  );
}

/** Reopens a run at its last checkpoint; refuses when anything would not continue exactly. */
function resumeRun(
  runDir: string,
  loaded: LoadedConfig,
  lora: LoraHead,
  adam: Adam,
  selector: Selector,
  model: { vocab: number; hidden: number },
  steps: number,
): { writer: RunWriter; step: number } {
  const cfgFile = join(runDir, RUN_FILES.config);
  if (!existsSync(cfgFile)) throw new CheckpointError(`${runDir} is not a run directory: it has no ${RUN_FILES.config}`);
  const ckpt = latestCheckpoint(runDir);
  if (!ckpt) throw new CheckpointError(`${runDir} has no complete checkpoint to resume from`);
  const state = loadTrainerState(ckpt);
  if (state.config_sha256 !== sha256(loaded.text) || readFileSync(cfgFile, 'utf8') !== loaded.text) {
    throw new CheckpointError(`${loaded.file} differs from the config ${runDir} was started with (${cfgFile}); resume with the same config, or start a new run`);
  }
  // A re-judge rewrote the files, so the checkpoint's byte offsets no longer fall on line ends.
  const revisions = listRevisions(runDir);
  if (revisions.length) {
    throw new CheckpointError(`${join(runDir, RUN_FILES.rejudge)}: this run was re-judged (${revisions.map((r) => r.name).join(', ')}); undo it with \`agent-tune rejudge ${runDir} --undo\` before resuming`);
  }
  // A refused sandbox stops here, before the run is touched.
  const sandbox = runSandbox(loaded);
  const adapter = loadAdapter(ckpt, model, loaded.config.algorithm.lora.rank);
  lora.copyFrom(adapter.A, adapter.B);
  loadOptimizer(ckpt, adam, state.adam_step);
  selector.load(state.selector);
  const writer = new RunWriter(runDir);
  writer.rewind(state.offsets);
  writer.writeProvenance(resumedProvenance(runDir, loaded, sandbox));
  writer.emit({
    type: 'run_started',
    format: RUN_FORMAT_VERSION,
    run_id: runDir.split(/[\\/]/).filter(Boolean).pop()!,
    name: loaded.config.name,
    mode: 'train',
    config_file: loaded.file,
    pid: process.pid,
    steps,
    resumed_from_step: state.step,
    ...(sandbox && { sandbox }),
  });
  return { writer, step: state.step };
}

// Evaluation on the test tasks: n samples per task at the evaluation temperature, plus one
// greedy sample; pass@k, mean@n and maj@k over tasks, and a per-task file for heatmaps.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RolloutEnv } from '../rollout/env';
import { runRollouts } from '../rollout/runner';
import type { RolloutSpec } from '../rollout/session';
import type { RolloutRecord } from '../run/events';
import type { Task } from '../sdk';
import { checkpointName } from './checkpoint';
import { majorityAtK, meanAtN, passAtK } from './passk';

export interface TaskEval {
  task_id: string;
  n: number;
  correct: number;
  greedy_correct?: boolean;
  pass_at: Record<string, number>;
  answers: (string | null)[];
}

export interface EvalResult {
  metrics: Record<string, number>;
  perTask: TaskEval[];
  file: string;
}

/** The answer a sample settled on, for majority voting: the judge's normalised extraction when it gives one. */
export function answerKey(r: RolloutRecord): string | null {
  const d = r.judge?.details as { pred?: unknown; normalized?: unknown; extracted?: unknown; answer?: unknown } | undefined;
  const pred = d?.pred as { normalized?: unknown; extracted?: unknown } | string | undefined;
  const candidates = [typeof pred === 'object' && pred ? (pred.normalized ?? pred.extracted) : pred, d?.normalized, d?.extracted, d?.answer];
  for (const v of candidates) if ((typeof v === 'string' && v !== '') || typeof v === 'number') return String(v);
  const nums = (r.final_answer ?? '').replace(/(\d),(?=\d{3})/g, '$1').match(/-?\d+(?:\.\d+)?(?:\/\d+)?/g);
  return nums ? nums[nums.length - 1] : null;
}

export async function evaluate(env: RolloutEnv, tasks: Task[], step: number, onFinished?: (r: RolloutRecord) => void): Promise<EvalResult> {
  const { eval: ev, model } = env.config;
  const temperature = ev.temperature ?? model.sampling.temperature;
  const specs: RolloutSpec[] = [];
  for (const task of tasks) {
    for (let s = 0; s < ev.samples; s++) {
      specs.push({ id: `s${step}-eval-${task.id}-${s}`, step, phase: 'eval', task, groupId: `e${step}-${task.id}`, sample: s, sampling: { temperature } });
    }
    if (ev.greedy) specs.push({ id: `s${step}-eval-${task.id}-greedy`, step, phase: 'eval', task, groupId: `e${step}-${task.id}`, sample: ev.samples, sampling: { temperature: 0 } });
  }
  const records = await runRollouts(env, specs, { advantages: false, onFinished });
  const byTask = new Map<string, RolloutRecord[]>();
  records.forEach((r) => byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]));

  const perTask: TaskEval[] = [];
  const sums: Record<string, number> = {};
  const add = (k: string, v: number) => (sums[k] = (sums[k] ?? 0) + v);
  for (const task of tasks) {
    const rs = byTask.get(task.id) ?? [];
    const sampled = rs.filter((r) => !r.id.endsWith('-greedy')).sort((a, b) => a.sample - b.sample);
    const greedy = rs.find((r) => r.id.endsWith('-greedy'));
    const correct = sampled.map((r) => r.success);
    const answers = sampled.map(answerKey);
    const c = correct.filter(Boolean).length;
    const passAt: Record<string, number> = {};
    for (const k of ev.k) {
      passAt[String(k)] = passAtK(sampled.length, c, k);
      add(`pass@${k}`, passAt[String(k)]);
      add(`maj@${k}`, majorityAtK(answers, correct, k) ? 1 : 0);
    }
    add(`mean@${ev.samples}`, meanAtN(correct));
    if (greedy) add('greedy_pass@1', greedy.success ? 1 : 0);
    perTask.push({ task_id: task.id, n: sampled.length, correct: c, ...(greedy ? { greedy_correct: greedy.success } : {}), pass_at: passAt, answers });
  }
  const metrics = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, tasks.length)]));
  const rel = join('eval', `${checkpointName(step)}.jsonl`);
  mkdirSync(join(env.writer.dir, 'eval'), { recursive: true });
  writeFileSync(join(env.writer.dir, rel), perTask.map((t) => JSON.stringify(t)).join('\n') + '\n');
  env.writer.metric({ step, kind: 'eval', metrics });
  env.writer.emit({ type: 'eval_metrics', step, metrics, per_task_file: rel });
  return { metrics, perTask, file: rel };
}

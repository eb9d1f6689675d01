// A finished run whose config names a judge file beside it, and an edited judge that scores
// differently: near misses (within 6 of the reference) now count, and a right answer earns 1.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRun } from '../../fixtures/make-run';
import { RUN_FILES } from '../../../trainer/src/run/events';

export const CONFIG = `name: fixture
model:
  path: builtin:tiny-math
tasks:
  train:
    path: builtin:arith/train
workflow:
  ref: builtin:react
judge:
  ref: ./judge.ts#judge
`;

export const EDITED_JUDGE = `export function judge({ final_answer, task }) {
  const ok = final_answer !== null && Math.abs(Number(final_answer) - Number(task.reference)) <= 6;
  return { reward: ok ? 1 : 0.25, is_success: ok, parts: { answer: ok ? 1 : 0.25 } };
}
`;

/** What EDITED_JUDGE gives a rollout. */
export function editedVerdict(r: { final_answer: string | null; reference: string }): { reward: number; success: boolean } {
  const ok = r.final_answer !== null && Math.abs(Number(r.final_answer) - Number(r.reference)) <= 6;
  return { reward: ok ? 1 : 0.25, success: ok };
}

/** A judge that takes `ms` per rollout: long enough to interrupt. */
export const slowJudge = (ms: number) => `export async function judge() {
  await new Promise((r) => setTimeout(r, ${ms}));
  return { reward: 0.5, is_success: false };
}
`;

export function rejudgeRun(parent: string, opts: { live?: boolean } = {}): { dir: string; ids: string[] } {
  // makeRun names `<parent>/fixture.tune.yaml` as the config the run started from: refs resolve in `parent`.
  const f = makeRun(parent, { steps: 2, tasksPerStep: 3, groupSize: 4, turnEvents: true, live: opts.live });
  f.writer.close();
  writeFileSync(join(f.dir, RUN_FILES.config), CONFIG);
  writeFileSync(join(parent, 'fixture.tune.yaml'), CONFIG);
  writeFileSync(join(parent, 'judge.ts'), EDITED_JUDGE);
  return { dir: f.dir, ids: f.ids };
}

// Compares the newest run of each selector config in this folder: informative groups, held-out
// greedy pass@1 against training rollouts consumed, and the rollouts each needs to reach the
// final greedy pass@1 of `random` and to rise above the untrained model's.
//   node -r esbuild-register examples/selectors/compare.ts
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const runs = join(__dirname, 'runs');
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

interface Summary {
  selector: string;
  groups: number;
  /** Groups whose rollouts did not all succeed or all fail. */
  mixed: number;
  /** Groups whose rewards were not all equal (what GRPO trains on). */
  varied: number;
  /** Greedy pass@1 on the test tasks, by training rollouts consumed before the evaluation. */
  curve: [number, number][];
  picks: Record<string, number>;
}

function summarise(selector: string): Summary {
  const dir = readdirSync(runs).filter((d) => d.endsWith(`-selector-${selector}`)).sort().pop();
  if (!dir) throw new Error(`no run of ${selector}.tune.yaml under ${runs}; run it first`);
  const groups = new Map<string, { success: boolean; reward: number }[]>();
  const perStep = new Map<number, number>();
  for (const r of lines(join(runs, dir, 'rollouts.jsonl'))) {
    if (r.phase !== 'train') continue;
    const key = `${r.step}|${r.group_id}`;
    groups.set(key, [...(groups.get(key) ?? []), { success: r.success, reward: r.reward }]);
    perStep.set(r.step, (perStep.get(r.step) ?? 0) + 1);
  }
  const all = [...groups.values()];
  const consumed = (step: number) => [...perStep].filter(([s]) => s <= step).reduce((a, [, n]) => a + n, 0);
  const curve = lines(join(runs, dir, 'metrics.jsonl'))
    .filter((m) => m.kind === 'eval')
    .map((m) => [consumed(m.step), m.metrics['greedy_pass@1']] as [number, number]);
  const picks: Record<string, number> = {};
  for (const e of lines(join(runs, dir, 'events.jsonl'))) if (e.type === 'step_started') for (const id of e.task_ids) picks[id.split('-')[0]] = (picks[id.split('-')[0]] ?? 0) + 1;
  return {
    selector,
    groups: all.length,
    mixed: all.filter((g) => g.some((x) => x.success !== g[0].success)).length / all.length,
    varied: all.filter((g) => g.some((x) => x.reward !== g[0].reward)).length / all.length,
    curve,
    picks,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const random = summarise('random');
const bots = summarise('difficulty_based');
const target = random.curve[random.curve.length - 1][1];
const budget = random.curve[random.curve.length - 1][0];
const untrained = random.curve[0][1];
const first = (s: Summary, pred: (p: number) => boolean) => s.curve.find(([, p]) => pred(p))?.[0];
const share = (n: number | undefined) => (n === undefined ? 'not within the budget' : `${n} (${pct(n / budget)})`);
console.log('| selector | informative groups (success mixed) | groups with unequal rewards | tasks picked (arith / solved / hard) | greedy pass@1 at the end | rollouts to reach random\'s final greedy pass@1 | rollouts to rise above the untrained model |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const s of [random, bots]) {
  console.log(
    `| \`${s.selector}\` | ${pct(s.mixed)} | ${pct(s.varied)} | ${s.picks.arith ?? 0} / ${s.picks.solved ?? 0} / ${s.picks.hard ?? 0} | ${pct(s.curve[s.curve.length - 1][1])} | ${share(first(s, (p) => p >= target))} | ${share(first(s, (p) => p > untrained))} |`,
  );
}
console.log(`\ninformative-group ratio: ${(bots.mixed / random.mixed).toFixed(2)}×`);
console.log('\ngreedy pass@1 by training rollouts consumed:');
console.log(['rollouts', ...random.curve.map(([n]) => String(n))].join('\t'));
for (const s of [random, bots]) console.log([s.selector, ...s.curve.map(([, p]) => pct(p))].join('\t'));

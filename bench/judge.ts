// `npm run bench:judge [-- --passes N]`: verdicts per second of the rule judges, and how often
// they agree with known verdicts, on two sets:
// - the 5,276 GSM8K example solutions (../shared/datasets/gsm8k/example_model_solutions.jsonl)
//   with OpenAI's `is_correct` labels, through the same judge functions a run calls. The peer is
//   the reference grader of OpenAI's grade-school-math repository reduced to this file's `A: N`
//   form (one regex, commas removed, strings compared): what extraction, normalisation and
//   parsing cost over the bare minimum.
// - a LaTeX-heavy set: the grader's case corpus (test/unit/judges/corpus.ts), answer pairs in
//   every family docs/judges.md lists. The peer is the grader `builtin:math` used before answers
//   were parsed into trees (bench/peers/math-v1), on the same pairs.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CORPUS } from '../test/unit/judges/corpus';
import { checkMath } from '../trainer/src/judges/math';
import { builtinJudge } from '../trainer/src/judges/registry';
import type { JudgeInput } from '../trainer/src/judges/types';
import { answersEqual } from './peers/math-v1/equal';
import { extractAnswer } from './peers/math-v1/extract';

const { values: args } = parseArgs({ options: { passes: { type: 'string', default: '5' }, data: { type: 'string' } } });
const PASSES = Number(args.passes);
const FILE = args.data ?? join(resolve(__dirname, '..'), '..', 'shared', 'datasets', 'gsm8k', 'example_model_solutions.jsonl');
const MODELS = ['6b_finetuning', '6b_verification', '175b_finetuning', '175b_verification'];

interface Item {
  gold: string;
  pred: string;
  label: boolean;
}

function loadGsm8k(): Item[] {
  const items: Item[] = [];
  for (const line of readFileSync(FILE, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line);
    for (const m of MODELS) items.push({ gold: row.ground_truth, pred: row[m].solution, label: row[m].is_correct });
  }
  return items;
}

function asInput(it: Item): JudgeInput {
  return { task: { id: 't', question: '', reference: it.gold, features: {} }, final_answer: null, messages: [{ role: 'assistant', content: it.pred }], turns: [], tool_calls: [], flags: [] };
}

/** OpenAI grade-school-math's grader, for `A: N` answers. */
const ANS_RE = /A: (-?[0-9.,]+)/;
function referenceGrader(it: Item): boolean {
  const grab = (s: string) => {
    const m = ANS_RE.exec(s);
    return m ? m[1].trim().replace(/,/g, '') : '[invalid]';
  };
  const gt = grab(it.gold);
  return gt !== '[invalid]' && grab(it.pred) === gt;
}

/** The previous builtin:math: regex normalisation to mathjs syntax, then mathjs. */
function previousMath(it: Item): boolean {
  const g = extractAnswer(it.gold, { fallback: 'whole', answerLines: true });
  const p = extractAnswer(it.pred, { fallback: 'last_number' });
  return g !== null && p !== null && answersEqual(g.text, p.text).equal;
}

interface Measured {
  rate: number;
  agree: number;
  falseAccepts: number;
}

/** Median verdicts per second over the passes, after the pass that counts agreement (and warms up). */
function measure(items: Item[], judge: (it: Item) => boolean): Measured {
  let agree = 0;
  let falseAccepts = 0;
  for (const it of items) {
    const v = judge(it);
    if (v === it.label) agree++;
    else if (v) falseAccepts++;
  }
  const rates: number[] = [];
  for (let p = 0; p < PASSES; p++) {
    const t0 = performance.now();
    for (const it of items) judge(it);
    rates.push(items.length / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { rate: rates[Math.floor(rates.length / 2)], agree, falseAccepts };
}

function table(title: string, items: Item[], rows: [string, Measured][]): void {
  const peer = rows[0][1].rate;
  console.log(`\n${title}: ${items.length} pairs, median of ${PASSES} passes, node ${process.version}`);
  for (const [name, r] of rows) {
    console.log(
      `${name.padEnd(30)} ${Math.round(r.rate).toLocaleString('en-US').padStart(9)} verdicts/s  ${(r.rate / peer).toFixed(3).padStart(7)}× peer   agreement ${r.agree}/${items.length} (${((100 * r.agree) / items.length).toFixed(1)}%)   false accepts ${r.falseAccepts}`,
    );
  }
}

const gsm8k = loadGsm8k();
const gsm8kJudge = builtinJudge('builtin:gsm8k');
const mathJudge = builtinJudge('builtin:math');
table('GSM8K example solutions', gsm8k, [
  ['reference grader (peer)', measure(gsm8k, referenceGrader)],
  ['builtin:gsm8k', measure(gsm8k, (it) => gsm8kJudge(asInput(it)).is_success)],
  ['builtin:math', measure(gsm8k, (it) => mathJudge(asInput(it)).is_success)],
  ['previous builtin:math', measure(gsm8k, previousMath)],
]);

const latex: Item[] = Object.values(CORPUS).flatMap((cases) => cases.map(([gold, pred, label]) => ({ gold, pred, label })));
table('LaTeX-heavy answer pairs (test/unit/judges/corpus.ts)', latex, [
  ['previous builtin:math (peer)', measure(latex, previousMath)],
  ['builtin:math', measure(latex, (it) => checkMath(it.gold, it.pred).correct)],
]);

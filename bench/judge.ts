// `npm run bench:judge [-- --passes N]`: judged solutions per second on the 5,276 GSM8K example
// solutions (../shared/datasets/gsm8k/example_model_solutions.jsonl), for builtin:gsm8k and
// builtin:math, through the same judge functions a run calls. The peer, measured in the same
// run, is the reference grader of OpenAI's grade-school-math repository reduced to this file's
// `A: N` form: one regex, commas removed, strings compared. The ratio says what our extraction,
// normalisation and CAS cost over the bare minimum.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinJudge } from '../trainer/src/judges/registry';
import type { JudgeInput } from '../trainer/src/judges/types';

const { values: args } = parseArgs({ options: { passes: { type: 'string', default: '5' }, data: { type: 'string' } } });
const PASSES = Number(args.passes);
const FILE = args.data ?? join(resolve(__dirname, '..'), '..', 'shared', 'datasets', 'gsm8k', 'example_model_solutions.jsonl');
const MODELS = ['6b_finetuning', '6b_verification', '175b_finetuning', '175b_verification'];

interface Item {
  input: JudgeInput;
  label: boolean;
}

function load(): Item[] {
  const items: Item[] = [];
  readFileSync(FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .forEach((line, q) => {
      const row = JSON.parse(line);
      for (const m of MODELS) {
        items.push({
          label: row[m].is_correct,
          input: {
            task: { id: `${q}`, question: row.question, reference: row.ground_truth, features: {} },
            final_answer: null,
            messages: [{ role: 'assistant', content: row[m].solution }],
            turns: [],
            tool_calls: [],
            flags: [],
          },
        });
      }
    });
  return items;
}

/** OpenAI grade-school-math's grader, for `A: N` answers. */
const ANS_RE = /A: (-?[0-9.,]+)/;
function referenceGrader(input: JudgeInput): boolean {
  const grab = (s: string) => {
    const m = ANS_RE.exec(s);
    return m ? m[1].trim().replace(/,/g, '') : '[invalid]';
  };
  const gt = grab(input.task.reference);
  return gt !== '[invalid]' && grab(input.messages[0].content) === gt;
}

/** Median solutions per second over the passes, after a warm-up pass; and the agreement. */
function measure(items: Item[], judge: (input: JudgeInput) => boolean): { rate: number; agree: number } {
  let agree = 0;
  for (const it of items) if (judge(it.input) === it.label) agree++;
  const rates: number[] = [];
  for (let p = 0; p < PASSES; p++) {
    const t0 = performance.now();
    for (const it of items) judge(it.input);
    rates.push(items.length / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { rate: rates[Math.floor(rates.length / 2)], agree };
}

const items = load();
const gsm8k = builtinJudge('builtin:gsm8k');
const math = builtinJudge('builtin:math');
const rows = [
  ['reference grader (peer)', measure(items, referenceGrader)],
  ['builtin:gsm8k', measure(items, (i) => gsm8k(i).is_success)],
  ['builtin:math', measure(items, (i) => math(i).is_success)],
] as const;
const peer = rows[0][1].rate;
console.log(`${items.length} GSM8K example solutions, median of ${PASSES} passes, node ${process.version}`);
for (const [name, r] of rows) {
  console.log(
    `${name.padEnd(24)} ${Math.round(r.rate).toLocaleString('en-US').padStart(10)} solutions/s   ${(r.rate / peer).toFixed(3)}× peer   agreement with labels ${r.agree}/${items.length}`,
  );
}

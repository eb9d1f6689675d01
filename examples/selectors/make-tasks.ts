// Writes mixed.jsonl: a training set where task selection matters, shaped the way real sets
// are: builtin:arith problems the model sometimes solves, plus a share it already solves (the
// builtin:arith/train problems the untuned model answered in 8 of 8 samples at temperature 1)
// and a share it never solves (ten four-digit addends, beyond its reach: 0 of 32 samples).
// Every task carries the generator's `difficulty` (operations + digits − 1).
//   node -r esbuild-register examples/selectors/make-tasks.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from '../../trainer/src/tasks/arith';

const here = __dirname;
const ARITH = 32;
const HARD = 64;
// Measured with `agent-tune debug` on the first 344 tasks of builtin:arith/train, group_size 8.
const SOLVED = [41, 79, 97, 125, 126, 135, 138, 160, 177, 215, 230, 237, 250, 261, 262, 263, 267, 296, 307, 312, 314, 323, 331, 341, 351, 365];

const r = rng(2026);
const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const NAMES = ['Ana', 'Ben', 'Chloe', 'Dev', 'Ema', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jun', 'Kira', 'Leo'];
const ITEMS = ['marbles', 'stamps', 'apples', 'coins', 'stickers', 'books'];

const rows: { id: string; question: string; answer: string; difficulty: number; kind: string }[] = [];
const train = readFileSync(join(here, '../../trainer/tasks/arith/train.jsonl'), 'utf8').split('\n').filter(Boolean);
const task = (i: number) => JSON.parse(train[i]) as { id: string; question: string; answer: string; difficulty: number };
// Arith tasks from past the measured range, so none of them is in two shares.
for (let i = 400; i < 400 + ARITH; i++) rows.push({ ...task(i), id: `arith-${i}`, kind: 'arith' });
for (const i of SOLVED) rows.push({ ...task(i), id: `solved-${i}`, kind: 'solved' });
for (let i = 0; i < HARD; i++) {
  const name = NAMES[(i * 5) % NAMES.length];
  const item = ITEMS[(i * 7) % ITEMS.length];
  const xs = Array.from({ length: 10 }, () => int(1000, 9999));
  const steps = xs.slice(1).map((x, k) => (k % 2 ? `Then ${name} gets ${x} more.` : `${name} finds ${x} more ${item}.`));
  const total = xs.reduce((a, b) => a + b, 0);
  rows.push({
    id: `hard-${i}`,
    question: `${name} has ${xs[0]} ${item}. ${steps.join(' ')} How many ${item} does ${name} have now?`,
    answer: `#### ${total}`,
    difficulty: 9 + String(Math.max(total, ...xs)).length - 1,
    kind: 'hard',
  });
}
writeFileSync(join(here, 'mixed.jsonl'), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
console.log(`wrote ${rows.length} tasks: ${ARITH} arith, ${SOLVED.length} already solved, ${HARD} never solved`);

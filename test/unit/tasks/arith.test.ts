import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateProblem, generateProblems, toTask, SCENARIOS } from '../../../trainer/src/tasks/arith';
import { calculate } from '../../../trainer/src/tools/calculator';

const TASK_DIR = join(__dirname, '../../../trainer/tasks/arith');
const readJsonl = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('arithmetic word problems', () => {
  const problems = generateProblems(7, 400);

  it('is deterministic for a seed and differs across seeds', () => {
    assert.deepEqual(generateProblem(7, 12), generateProblem(7, 12));
    assert.notEqual(generateProblem(7, 12).question, generateProblem(8, 12).question);
  });

  it('states each problem as one expression the calculator evaluates to the answer', () => {
    for (const p of problems) {
      const r = calculate(p.expression);
      assert.ok(r.ok, p.expression);
      assert.equal(r.value, String(p.value), `${p.expression} in: ${p.question}`);
      assert.ok(Number.isInteger(p.value) && p.value > 0);
    }
  });

  it('writes GSM8K-style answers whose steps check out', () => {
    for (const p of problems) {
      const lines = p.answer.split('\n');
      assert.equal(lines.at(-1), `#### ${p.value}`);
      for (const step of lines.slice(0, -1)) {
        const [lhs, rhs] = step.split(' = ');
        const r = calculate(lhs);
        assert.ok(r.ok && r.value === rhs, `${step} in ${p.id}`);
      }
    }
  });

  it('covers 1-4 operations, every scenario, small to large numbers, with a difficulty that grows with both', () => {
    assert.deepEqual([...new Set(problems.map((p) => p.ops))].sort(), [1, 2, 3, 4]);
    assert.equal(new Set(problems.map((p) => p.scenario)).size, SCENARIOS.length);
    assert.ok(problems.some((p) => p.value < 20) && problems.some((p) => p.value > 10_000));
    for (const p of problems) assert.ok(p.difficulty >= p.ops && p.difficulty <= p.ops + 7, `${p.id}: ${p.difficulty}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(problems.filter((p) => p.ops === 4).map((p) => p.difficulty)) > mean(problems.filter((p) => p.ops === 1).map((p) => p.difficulty)));
  });

  it('never repeats a question and leaves out excluded ones', () => {
    const exclude = new Set(problems.slice(0, 100).map((p) => p.question));
    const again = generateProblems(7, 300, exclude);
    assert.equal(new Set(again.map((p) => p.question)).size, again.length);
    assert.ok(again.every((p) => !exclude.has(p.question)));
  });

  it('ships builtin:arith/train and /test as the generator makes them, with no test question in train', () => {
    const train = readJsonl(join(TASK_DIR, 'train.jsonl'));
    const test = readJsonl(join(TASK_DIR, 'test.jsonl'));
    assert.equal(test.length, 500);
    assert.equal(train.length, 20_000);
    for (const row of [...train.slice(0, 3), ...test.slice(0, 3)]) assert.deepEqual(Object.keys(row).sort(), ['answer', 'difficulty', 'id', 'question']);
    const regenerated = generateProblems(2, 50, new Set(), 'test-').map(toTask);
    assert.deepEqual(test.slice(0, 50), regenerated);
    const testQuestions = new Set(test.map((t: { question: string }) => t.question));
    assert.ok(train.every((t: { question: string }) => !testQuestions.has(t.question)));
  });
});

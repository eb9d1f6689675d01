import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkTasks } from '../../../trainer/src/tasks/check';
import { referenceCheck } from '../../../trainer/src/judges/reference';
import { formatFinding, leaksAnswer, lintSource, QuestionIndex } from '../../../trainer/src/tasks/lint';
import { openSource } from '../../../trainer/src/tasks/load';
import { tempDir, writeJsonl, writeParquet, writeText } from './fixtures';

const CLI = join(__dirname, '../../../trainer/bin/agent-tune.js');
const good = (i: number) => ({ id: `t${i}`, question: `Tom has ${i} apples and buys ${i} more. How many apples does he have?`, answer: String(2 * i), difficulty: 0.5 });
const lines = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify(good(i + 1)));

describe('task data checks', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.done());

  const lint = async (spec: Record<string, unknown>, opts: Parameters<typeof lintSource>[1] = {}) => {
    const r = await lintSource(openSource(spec, t.dir, 'train'), opts);
    return r.findings.map((f) => formatFinding(f, (file) => file.slice(t.dir.length + 1)));
  };

  it('a broken JSON line, with its line and column', async () => {
    const l = lines(25);
    l[20] = '{"id": "t21", "question": "What is 1+1?", "answer": "2",}';
    writeText(join(t.dir, 'a.jsonl'), l.join('\n') + '\n');
    const [f] = await lint({ path: 'a.jsonl' });
    assert.match(f, /^a\.jsonl:21:57 {2}broken JSON: /);
  });

  it('a missing and an empty field', async () => {
    const l = lines(8);
    l[5] = JSON.stringify({ id: 't6', question: 'What is 6+6?' });
    l[6] = JSON.stringify({ id: 't7', question: '  ', answer: '3' });
    writeText(join(t.dir, 'a.jsonl'), l.join('\n') + '\n');
    assert.deepEqual(await lint({ path: 'a.jsonl' }), ['a.jsonl:6:1  has no field "answer" for the reference answer (fields.answer; the record has id, question)', 'a.jsonl:7:12  field "question" is empty']);
  });

  it('a duplicate id, naming the first', async () => {
    const l = lines(5);
    l[3] = JSON.stringify({ ...good(4), id: 't2' });
    writeText(join(t.dir, 'a.jsonl'), l.join('\n') + '\n');
    assert.deepEqual(await lint({ path: 'a.jsonl' }), ['a.jsonl:4:2  duplicate id "t2", first at line 2 of a.jsonl; ids must be unique (fields.id)']);
  });

  it('a feature that is not a number', async () => {
    const l = lines(5);
    l[2] = JSON.stringify({ ...good(3), difficulty: 'hard' });
    writeText(join(t.dir, 'a.jsonl'), l.join('\n') + '\n');
    assert.deepEqual(await lint({ path: 'a.jsonl', fields: { features: ['difficulty'] } }), ['a.jsonl:3:102  feature "difficulty" is "hard", not a number']);
  });

  it('invalid UTF-8 is named, never replaced', async () => {
    const bytes = Buffer.from(lines(3).join('\n') + '\n');
    const at = bytes.indexOf('Tom', bytes.indexOf('\n') + 1);
    bytes[at + 1] = 0xc3; // a lead byte followed by ASCII
    writeText(join(t.dir, 'a.jsonl'), bytes);
    const [f] = await lint({ path: 'a.jsonl' });
    assert.match(f, /^a\.jsonl:2:25 {2}invalid UTF-8 \(byte 0xc3 at byte 25 of the line\)/);
  });

  it('invalid UTF-8 in a Parquet string column is named with its row and column', async () => {
    await writeParquet(join(t.dir, 'p.parquet'), { question: ['fine?', 'also fine?'], answer: ['1', '2'] });
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({ filename: join(t.dir, 'bad.parquet'), columnData: [{ name: 'question', data: [new TextEncoder().encode('ok?'), new Uint8Array([0x66, 0xff, 0x3f])], type: 'BYTE_ARRAY' }, { name: 'answer', data: ['1', '2'], type: 'STRING' }] as never });
    // A BYTE_ARRAY column is read as text, as pyarrow-written string columns are.
    assert.deepEqual(await lint({ path: 'bad.parquet' }), ['bad.parquet: row 2, column "question": field "question" is not valid UTF-8 (byte 0xff at byte 2 of the value)']);
  });

  it('a reference the judge cannot parse', async () => {
    const l = lines(4);
    l[1] = JSON.stringify({ ...good(2), answer: 'see the figure' });
    writeText(join(t.dir, 'a.jsonl'), l.join('\n') + '\n');
    const math = await lint({ path: 'a.jsonl' }, { references: referenceCheck({ ref: 'builtin:gsm8k' }) });
    assert.equal(math.length, 1);
    assert.match(math[0], /^a\.jsonl:2:89 {2}the judge builtin:gsm8k finds no answer in it: reference "see the figure"/);
    assert.deepEqual(await lint({ path: 'a.jsonl' }, { references: referenceCheck({ ref: './judge.ts#judge' }) }), [], 'a user judge is not second-guessed');
  });

  it('an answer given away in its own question', async () => {
    const l = lines(4);
    l[2] = JSON.stringify({ id: 't3', question: 'Find the sum of the roots. Answer: 204', answer: '204' });
    writeText(join(t.dir, 'a.jsonl'), l.join('\n') + '\n');
    assert.deepEqual(await lint({ path: 'a.jsonl' }), ['a.jsonl:3:12  the question gives its own answer away: the reference "204" appears in it']);
    assert.equal(leaksAnswer('There are 204 boxes; how many are left after 3 are taken?', '201'), false);
    assert.equal(leaksAnswer('Simplify \\frac{x^2-1}{x-1}, which is \\boxed{x+1}', 'x+1'), true);
  });

  it('train/test overlap, exact and near-duplicate, on the training line', async () => {
    writeJsonl(join(t.dir, 'test.jsonl'), [
      { id: 'x1', question: 'A train leaves at 3pm travelling 60 miles per hour toward a city 180 miles away. When does it arrive?', answer: '6' },
      { id: 'x2', question: 'Sara bakes 12 cookies and eats 5 of them. How many cookies are left for her friends?', answer: '7' },
    ]);
    const l = lines(6);
    l[1] = JSON.stringify({ id: 'd1', question: 'A train leaves at 3PM, travelling 60 miles per hour toward a city 180 miles away!  When does it arrive?', answer: '6' });
    l[4] = JSON.stringify({ id: 'd2', question: 'Sara bakes 12 cookies and eats 5 of them. How many cookies are left for her two friends?', answer: '7' });
    writeText(join(t.dir, 'train.jsonl'), l.join('\n') + '\n');
    const checks = await checkTasks({ train: { path: 'train.jsonl' }, test: { path: 'test.jsonl' } }, t.dir);
    const out = checks.flatMap((c) => c.result!.findings.map((f) => formatFinding(f, (file) => file.slice(t.dir.length + 1))));
    assert.deepEqual(out, [
      'train.jsonl:2:12  the same question is in tasks.test (line 1 of test.jsonl)',
      'train.jsonl:5:12  warning: a near-duplicate (82% alike) of a question in tasks.test (line 2 of test.jsonl)',
    ]);
  });

  it('stops after 50 problems', async () => {
    writeText(join(t.dir, 'a.jsonl'), Array.from({ length: 80 }, () => '{"question": "q?"}').join('\n') + '\n');
    const r = await lintSource(openSource({ path: 'a.jsonl' }, t.dir, 'train'));
    assert.equal(r.findings.length, 50);
    assert.equal(r.stoppedBy, 'findings');
    assert.equal(r.findings[49].at.line, 50);
  });

  it('indexes near duplicates by word trigrams', () => {
    const ix = new QuestionIndex('test');
    ix.add('How many positive divisors does 6! have?', 'line 1');
    assert.equal(ix.find('how many positive divisors does 6 have')?.exact, true);
    assert.equal(ix.find('How many prime factors does 6! have?'), undefined);
  });

  it('agent-tune validate exits 2 on each broken file, naming line and column', async function () {
    this.timeout(60000);
    const cases: [string, (l: string[]) => void, RegExp][] = [
      ['broken JSON on line 21', (l) => (l[20] = l[20].slice(0, -1)), /^train\.jsonl:21:\d+ {2}broken JSON/m],
      ['a duplicate id', (l) => (l[7] = JSON.stringify({ ...good(8), id: 't1' })), /^train\.jsonl:8:2 {2}duplicate id "t1"/m],
      ['a missing answer on line 6', (l) => (l[5] = JSON.stringify({ id: 't6', question: 'q?', difficulty: 1 })), /^train\.jsonl:6:1 {2}has no field "answer"/m],
      ['a non-number feature', (l) => (l[3] = JSON.stringify({ ...good(4), difficulty: 'easy' })), /^train\.jsonl:4:\d+ {2}feature "difficulty" is "easy", not a number/m],
    ];
    writeText(join(t.dir, 't.tune.yaml'), 'name: demo\ntasks:\n  train:\n    path: train.jsonl\n    fields:\n      features: [difficulty]\n');
    for (const [name, breakIt, expected] of cases) {
      const l = lines(30);
      breakIt(l);
      writeText(join(t.dir, 'train.jsonl'), l.join('\n') + '\n');
      const r = await promisify(execFile)(process.execPath, [CLI, 'validate', 't.tune.yaml'], { cwd: t.dir }).then(
        () => ({ code: 0, stdout: '' }),
        (e: { code: number; stdout: string }) => e,
      );
      assert.equal(r.code, 2, name);
      assert.match(r.stdout, expected, name);
    }
  });
});

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { TaskPreview } from '../../../trainer/src/tasks/preview';
import { tempDir, writeJsonl, writeParquet } from './fixtures';

describe('task preview', () => {
  let t: ReturnType<typeof tempDir>;
  before(async () => {
    t = tempDir();
    const n = 2500;
    await writeParquet(
      join(t.dir, 'ds/data/train-00000-of-00002.parquet'),
      { id: Array.from({ length: n }, (_, i) => `a${i}`), question: Array.from({ length: n }, (_, i) => (i === 1700 ? 'What is 6 times 7? Answer: 42' : `What is ${i} plus one?`)), answer: Array.from({ length: n }, (_, i) => (i === 1700 ? '42' : String(i + 1))) },
      { rowGroupSize: 500 },
    );
    await writeParquet(join(t.dir, 'ds/data/train-00001-of-00002.parquet'), { id: ['b0', 'b1'], question: ['Last one?', 'Really last?'], answer: ['1', '2'] });
    writeJsonl(join(t.dir, 'test.jsonl'), [{ question: 'q?', answer: '1' }, { question: 'broken' }, { question: 'r?', answer: '2' }]);
  });
  after(() => t.done());

  it('knows a Parquet source\'s size from its footers and reads any page of it', async () => {
    const p = await TaskPreview.open({ train: { path: 'ds' }, test: { path: 'test.jsonl' } }, t.dir);
    assert.deepEqual(p.sources.map((s) => [s.key, s.total]), [['tasks.test', undefined], ['tasks.train', 2502]]);
    const first = await p.page({ source: 1, start: 0, count: 3 });
    assert.deepEqual(first.rows.map((r) => [r.index, r.id, r.where]), [[0, 'a0', 'row 1 of train-00000-of-00002.parquet'], [1, 'a1', 'row 2 of train-00000-of-00002.parquet'], [2, 'a2', 'row 3 of train-00000-of-00002.parquet']]);
    assert.equal(first.next, 3);
    const across = await p.page({ source: 1, start: 2499, count: 5 });
    assert.deepEqual(across.rows.map((r) => r.id), ['a2499', 'b0', 'b1']);
    assert.equal(across.next, undefined);
  });

  it('searches and filters records with findings, going on from where it stopped', async () => {
    const p = await TaskPreview.open({ train: { path: 'ds' }, test: { path: 'test.jsonl' } }, t.dir);
    const found = await p.page({ source: 1, start: 0, count: 10, search: 'ANSWER: 42' });
    assert.deepEqual(found.rows.map((r) => [r.id, r.findings]), [['a1700', ['the question gives its own answer away']]]);
    const problems = await p.page({ source: 1, start: 0, count: 10, problems: true });
    assert.deepEqual(problems.rows.map((r) => r.id), ['a1700']);
    const test = await p.page({ source: 0, start: 0, count: 10, problems: true });
    assert.deepEqual(test.rows.map((r) => [r.where, r.findings]), [['line 2 of test.jsonl', ['has no field "answer" for the reference answer (fields.answer; the record has question) (column 1)']]]);
  });

  it('names a duplicate id with the first record that had it, across pages, and names broken records by their id', async () => {
    writeJsonl(join(t.dir, 'dup.jsonl'), [
      { id: 'x1', question: 'a?', answer: '1' },
      { id: 'x2', question: 'b?', answer: '2' },
      { id: 'x3', question: 'c?', answer: '' },
      { id: 'x1', question: 'd?', answer: '4' },
    ]);
    const p = await TaskPreview.open({ train: { path: 'dup.jsonl' } }, t.dir);
    const first = await p.page({ source: 0, start: 0, count: 2 });
    assert.deepEqual(first.rows.map((r) => r.findings), [[], []]);
    const rest = await p.page({ source: 0, start: 2, count: 10 });
    assert.deepEqual(rest.rows.map((r) => r.id), ['x3', 'x1']);
    assert.match(rest.rows[0].findings[0], /field "answer" is empty/);
    assert.deepEqual(rest.rows[1].findings, ['duplicate id "x1", first at line 1 of dup.jsonl; ids must be unique (fields.id)']);
    // Read again from the start: the first x1 is not its own duplicate.
    const again = await p.page({ source: 0, start: 0, count: 10, problems: true });
    assert.deepEqual(again.rows.map((r) => r.id), ['x3', 'x1']);
  });

  it('shows a source it cannot open with the reason', async () => {
    const p = await TaskPreview.open({ train: { path: 'missing.jsonl' } }, t.dir);
    assert.equal(p.sources[0].error, 'missing.jsonl: no such file or folder');
    assert.deepEqual((await p.page({ source: 0, start: 0, count: 5 })).rows, []);
  });
});

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { loadTasks, TaskLoadError } from '../../../trainer/src/tasks/load';
import { readRecords } from '../../../trainer/src/tasks/read';
import { downloadCommand, hubCache, parseHubRef, resolveSource } from '../../../trainer/src/tasks/sources';
import { hubSnapshotDir, tempDir, writeJsonl, writeParquet, writeSavedDataset, writeText } from './fixtures';

const qa = (prefix: string, n: number) => ({ question: Array.from({ length: n }, (_, i) => `${prefix} question ${i}?`), answer: Array.from({ length: n }, (_, i) => String(i)) });

describe('task sources', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.done());

  it('reads a JSONL file, a JSON array and GSM8K JSONL', async () => {
    writeJsonl(join(t.dir, 'a.jsonl'), [{ id: 'x', question: 'one?', answer: '1' }, { id: 'y', question: 'two?', answer: '2' }]);
    writeText(join(t.dir, 'a.json'), JSON.stringify([{ question: 'three?', answer: 3 }]));
    writeJsonl(join(t.dir, 'g.jsonl'), [{ question: 'How many?', answer: 'Twelve minus 2\n#### 1,234' }]);
    assert.deepEqual((await loadTasks({ path: 'a.jsonl' }, t.dir)).map((x) => [x.id, x.reference]), [['x', '1'], ['y', '2']]);
    assert.deepEqual((await loadTasks({ path: 'a.json' }, t.dir)).map((x) => [x.id, x.question, x.reference]), [['0', 'three?', '3']]);
    assert.equal((await loadTasks({ path: 'g.jsonl', format: 'gsm8k' }, t.dir))[0].reference, '1234');
  });

  it('reads a Parquet file across row groups, and stops at limit', async () => {
    await writeParquet(join(t.dir, 'p.parquet'), qa('p', 25), { rowGroupSize: 10 });
    const all = await loadTasks({ path: 'p.parquet' }, t.dir);
    assert.equal(all.length, 25);
    assert.equal(all[24].question, 'p question 24?');
    assert.equal((await loadTasks({ path: 'p.parquet', limit: 12 }, t.dir)).length, 12);
    const window: number[] = [];
    for await (const r of readRecords({ file: join(t.dir, 'p.parquet'), format: 'parquet' }, { start: 8, end: 13 })) if (r.kind === 'row') window.push(r.at.row!);
    assert.deepEqual(window, [9, 10, 11, 12, 13]);
  });

  it('reads a folder of parquet shards by split, train for tasks.train and test for tasks.test', async () => {
    await writeParquet(join(t.dir, 'ds/data/train-00000-of-00002.parquet'), qa('train0', 3));
    await writeParquet(join(t.dir, 'ds/data/train-00001-of-00002.parquet'), qa('train1', 2));
    await writeParquet(join(t.dir, 'ds/data/test-00000-of-00001.parquet'), qa('test', 4));
    const train = await loadTasks({ path: 'ds' }, t.dir);
    assert.deepEqual(train.map((x) => x.question.split(' ')[0]), ['train0', 'train0', 'train0', 'train1', 'train1']);
    assert.deepEqual(train.map((x) => x.id), ['0', '1', '2', '3', '4'], 'rows are numbered across shards');
    assert.equal((await loadTasks({ path: 'ds' }, t.dir, { role: 'test' })).length, 4);
    assert.equal((await loadTasks({ path: 'ds', split: 'test' }, t.dir)).length, 4);
    await assert.rejects(loadTasks({ path: 'ds', split: 'validation' }, t.dir), /has no split "validation"; its splits: (train, test|test, train)/);
  });

  it('chooses a config subfolder, and names the configs when none is chosen', async () => {
    await writeParquet(join(t.dir, 'gsm/main/train-00000-of-00001.parquet'), qa('main', 2));
    await writeParquet(join(t.dir, 'gsm/socratic/train-00000-of-00001.parquet'), qa('socratic', 3));
    assert.equal((await loadTasks({ path: 'gsm', config: 'socratic' }, t.dir)).length, 3);
    await writeParquet(join(t.dir, 'olymp/OlympiadBench/OE_TO_maths_en_COMP/OE_TO_maths_en_COMP.parquet'), qa('olymp', 2));
    assert.equal((await loadTasks({ path: 'olymp', config: 'OE_TO_maths_en_COMP' }, t.dir)).length, 2, 'a config folder one level down');
    await assert.rejects(loadTasks({ path: 'gsm' }, t.dir), /several configs; choose one with tasks\.\*\.config: main, socratic/);
    await assert.rejects(loadTasks({ path: 'gsm', config: 'nope' }, t.dir), /has no config "nope"; its configs: main, socratic/);
  });

  it('follows the configs a data set card declares', async () => {
    await writeParquet(join(t.dir, 'card/numbers/part-a.parquet'), qa('numbers', 2));
    await writeParquet(join(t.dir, 'card/words/part-a.parquet'), qa('words', 1));
    writeText(
      join(t.dir, 'card/README.md'),
      '---\nconfigs:\n- config_name: numbers\n  default: true\n  data_files:\n  - split: train\n    path: numbers/*.parquet\n- config_name: words\n  data_files:\n  - split: train\n    path: words/*.parquet\n---\n# card\n',
    );
    assert.equal((await loadTasks({ path: 'card' }, t.dir)).length, 2);
    assert.equal((await loadTasks({ path: 'card', config: 'words' }, t.dir))[0].question, 'words question 0?');
  });

  it('reads a save_to_disk Dataset and a DatasetDict with apache-arrow', async () => {
    writeSavedDataset(join(t.dir, 'saved'), qa('saved', 7), 2);
    const tasks = await loadTasks({ path: 'saved' }, t.dir);
    assert.deepEqual(tasks.map((x) => x.question), qa('saved', 7).question);
    writeSavedDataset(join(t.dir, 'dict/train'), qa('tr', 3));
    writeSavedDataset(join(t.dir, 'dict/test'), qa('te', 2));
    writeText(join(t.dir, 'dict/dataset_dict.json'), JSON.stringify({ splits: ['train', 'test'] }));
    assert.equal((await loadTasks({ path: 'dict' }, t.dir)).length, 3);
    assert.equal((await loadTasks({ path: 'dict' }, t.dir, { role: 'test' }))[1].question, 'te question 1?');
  });

  it('resolves hf:// in the hub cache under HF_HOME, HF_HUB_CACHE first, by revision and config', async () => {
    const home = join(t.dir, 'hfhome');
    const snap = hubSnapshotDir(join(home, 'hub'), 'openai/gsm8k');
    await writeParquet(join(snap, 'main/train-00000-of-00001.parquet'), { question: ['Natalia sold clips?'], answer: ['She sold 48/2 = 24\n#### 72'] });
    await writeParquet(join(snap, 'main/test-00000-of-00001.parquet'), { question: ['Janet’s ducks?'], answer: ['#### 18'] });
    const env = { HF_HOME: home };
    assert.equal(hubCache(env), join(home, 'hub'));
    assert.equal(hubCache({ HF_HOME: home, HF_HUB_CACHE: '/elsewhere' }), '/elsewhere');
    const tasks = await loadTasks({ path: 'hf://datasets/openai/gsm8k/main', format: 'gsm8k' }, t.dir, { env });
    assert.deepEqual(tasks.map((x) => x.reference), ['72']);
    assert.equal((await loadTasks({ path: 'hf://datasets/openai/gsm8k/main', format: 'gsm8k' }, t.dir, { env, role: 'test' }))[0].reference, '18');
    // A tag resolves through refs/; a commit names its snapshot directly.
    const other = hubSnapshotDir(join(home, 'hub'), 'openai/gsm8k', 'fedcba9876543210fedcba9876543210fedcba98', 'v1.0');
    await writeParquet(join(other, 'main/train-00000-of-00001.parquet'), qa('old', 2));
    assert.equal(resolveSource('hf://datasets/openai/gsm8k@v1.0/main', { env }).files[0].file, join(other, 'main/train-00000-of-00001.parquet'));
    assert.equal(resolveSource('hf://datasets/openai/gsm8k@fedcba9876543210fedcba9876543210fedcba98/main', { env }).files.length, 1);
    const viaCache = await loadTasks({ path: 'hf://datasets/openai/gsm8k/main' }, t.dir, { env: { HF_HUB_CACHE: join(home, 'hub'), HF_HOME: '/nonexistent' } });
    assert.equal(viaCache.length, 1);
  });

  it('names the exact download command when a hub data set or revision is missing', async () => {
    const env = { HF_HOME: join(t.dir, 'empty') };
    await assert.rejects(loadTasks({ path: 'hf://datasets/HuggingFaceH4/MATH-500' }, t.dir, { env }), (e: Error) => {
      assert.ok(e instanceof TaskLoadError);
      assert.match(e.message, /is not in the hub cache .*empty\/hub; download it with:\n {2}huggingface-cli download --repo-type dataset HuggingFaceH4\/MATH-500$/);
      return true;
    });
    hubSnapshotDir(join(t.dir, 'empty/hub'), 'HuggingFaceH4/MATH-500');
    await assert.rejects(loadTasks({ path: 'hf://datasets/HuggingFaceH4/MATH-500@v2' }, t.dir, { env }), /revision "v2" is not in the hub cache.*\n {2}huggingface-cli download --repo-type dataset HuggingFaceH4\/MATH-500 --revision v2/);
    // A preset without a path reads its data set from the cache.
    await assert.rejects(loadTasks({ preset: 'aime24' }, t.dir, { env }), /huggingface-cli download --repo-type dataset HuggingFaceH4\/aime_2024/);
    assert.equal(downloadCommand(parseHubRef('hf://datasets/a/b@r1/cfg')!), 'huggingface-cli download --repo-type dataset a/b --revision r1');
    assert.deepEqual(parseHubRef('hf://datasets/a/b@r1/cfg'), { repo: 'a/b', revision: 'r1', config: 'cfg' });
  });

  it('reports a JSONL line over the limit by its number instead of running out of memory', async () => {
    const file = join(t.dir, 'big.jsonl');
    writeText(file, [JSON.stringify({ question: 'a?', answer: '1' }), JSON.stringify({ question: 'x'.repeat(3 << 20), answer: '2' }), JSON.stringify({ question: 'c?', answer: '3' })].join('\n') + '\n');
    const items = [];
    for await (const r of readRecords({ file, format: 'jsonl' }, { maxLineBytes: 1 << 20 })) items.push(r);
    assert.deepEqual(items.map((r) => [r.kind, r.at.line]), [['row', 1], ['bad', 2], ['row', 3]]);
    assert.match((items[1] as { message: string }).message, /longer than the 1 MB line limit/);
    assert.equal((await loadTasks({ path: 'big.jsonl' }, t.dir)).length, 3, 'the default limit is 8 MB');
  });
});

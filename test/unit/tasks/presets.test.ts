// Each preset on a small copy of its data set in the hub's layout, with the real column names,
// read from a temporary hub cache as `tasks.*.preset` alone reads it.
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadTasks } from '../../../trainer/src/tasks/load';
import { BOXED_SUFFIX, GSM8K_SUFFIX, lastBoxed, parseLevel } from '../../../trainer/src/tasks/presets';
import { hubSnapshotDir, tempDir, writeJsonl, writeParquet, writeText, writeVerlParquet } from './fixtures';

const utf8 = (name: string, repetition_type = 'OPTIONAL') => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type });
const stringList = (name: string) => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  utf8('element'),
];

describe('task presets', () => {
  let t: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  let hub: string;
  beforeEach(() => {
    t = tempDir();
    env = { HF_HOME: join(t.dir, 'hf') };
    hub = join(t.dir, 'hf/hub');
  });
  afterEach(() => t.done());

  it('gsm8k: openai/gsm8k config main, the answer after ####, a step-by-step suffix', async () => {
    const snap = hubSnapshotDir(hub, 'openai/gsm8k');
    const q = 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?';
    await writeParquet(join(snap, 'main/train-00000-of-00001.parquet'), { question: [q, 'Weng earns $12 an hour. How much did she earn for 50 minutes?'], answer: ['Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72', 'Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\n#### 10'] });
    await writeParquet(join(snap, 'main/test-00000-of-00001.parquet'), { question: ['Janet’s ducks lay 16 eggs per day.'], answer: ['#### 18'] });
    await writeParquet(join(snap, 'socratic/train-00000-of-00001.parquet'), { question: ['s?'], answer: ['#### 1'] });
    const train = await loadTasks({ preset: 'gsm8k' }, t.dir, { env });
    assert.deepEqual(train.map((x) => [x.id, x.reference]), [['0', '72'], ['1', '10']]);
    assert.equal(train[0].question, `${q}\n\n${GSM8K_SUFFIX}`);
    assert.equal((await loadTasks({ preset: 'gsm8k' }, t.dir, { env, role: 'test' }))[0].reference, '18');
    assert.equal((await loadTasks({ preset: 'gsm8k', config: 'socratic', prompt_suffix: '' }, t.dir, { env }))[0].question, 's?');
  });

  it('math: problem, the last \\boxed{} of solution, level as a number', async () => {
    const snap = hubSnapshotDir(hub, 'DigitalLearningGmbH/MATH-lighteval');
    await writeParquet(join(snap, 'data/train-00000-of-00001.parquet'), {
      problem: ['What is $\\frac{1}{2}+\\frac{1}{4}$?', 'Find $x$ if $2x=6$.', 'How many sides has a pentagon?'],
      level: ['Level 2', 'Level 1', 'Level ?'],
      type: ['Prealgebra', 'Algebra', 'Geometry'],
      solution: ['We have $\\boxed{\\frac{1}{2}}$ and then $\\frac12+\\frac14=\\boxed{\\frac{3}{4}}$.', 'Divide: $x=\\boxed{3}$.', 'It has $\\boxed{5}$.'],
    });
    const tasks = await loadTasks({ preset: 'math' }, t.dir, { env });
    assert.deepEqual(tasks.map((x) => [x.reference, x.features.level]), [['\\frac{3}{4}', 2], ['3', 1], ['5', undefined]]);
    // The set's own "Level ?" is a warning and leaves the feature off; listing the feature makes it required.
    await assert.rejects(loadTasks({ preset: 'math', fields: { features: ['level'] } }, t.dir, { env }), /row 3: feature "level" is "Level \?", not a number/);
    assert.ok(tasks[0].question.endsWith(`\n\n${BOXED_SUFFIX}`));
  });

  it('math500: a plain answer, unique_id as the id, level', async () => {
    const snap = hubSnapshotDir(hub, 'HuggingFaceH4/MATH-500');
    writeJsonl(join(snap, 'test.jsonl'), [
      { problem: 'Convert the point $(0,3)$ to polar coordinates.', solution: '... $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$', answer: '\\left( 3, \\frac{\\pi}{2} \\right)', subject: 'Precalculus', level: 2, unique_id: 'test/precalculus/807.json' },
      { problem: 'What is $1+1$?', solution: '$\\boxed{2}$', answer: '2', subject: 'Algebra', level: 1, unique_id: 'test/algebra/1.json' },
    ]);
    const tasks = await loadTasks({ preset: 'math500' }, t.dir, { env, role: 'test' });
    assert.deepEqual(tasks.map((x) => [x.id, x.reference, x.features.level]), [['test/precalculus/807.json', '\\left( 3, \\frac{\\pi}{2} \\right)', 2], ['test/algebra/1.json', '2', 1]]);
  });

  it('aime24 and aime25: id, problem, answer from their parquet shards', async () => {
    const s24 = hubSnapshotDir(hub, 'HuggingFaceH4/aime_2024');
    await writeParquet(join(s24, 'data/train-00000-of-00001.parquet'), { id: [60, 61], problem: ['Every morning Aya goes for a 9-kilometer-long walk...', 'Let $ABC$ be a triangle...'], solution: ['...', '...'], answer: ['204', '113'], url: ['https://artofproblemsolving.com/wiki/a', 'b'], year: ['2024', '2024'] }, { int: ['id'] });
    const s25 = hubSnapshotDir(hub, 'yentinglin/aime_2025');
    await writeParquet(join(s25, 'data/train-00000-of-00001.parquet'), { id: ['I-1', 'I-2'], problem: ['Find the sum of all integer bases $b>9$...', 'On $\\triangle ABC$...'], answer: ['70', '588'], url: ['u1', 'u2'], year: ['2025', '2025'] });
    assert.deepEqual((await loadTasks({ preset: 'aime24' }, t.dir, { env, role: 'test' })).map((x) => [x.id, x.reference]), [['60', '204'], ['61', '113']]);
    assert.deepEqual((await loadTasks({ preset: 'aime25' }, t.dir, { env, role: 'test' })).map((x) => [x.id, x.reference]), [['I-1', '70'], ['I-2', '588']]);
  });

  it('olympiadbench: config OE_TO_maths_en_COMP, final_answer list without $ signs', async () => {
    const snap = hubSnapshotDir(hub, 'Hothan/OlympiadBench');
    const file = join(snap, 'OlympiadBench/OE_TO_maths_en_COMP/OE_TO_maths_en_COMP.parquet');
    mkdirSync(dirname(file), { recursive: true });
    writeText(join(snap, 'README.md'), '---\nconfigs:\n- config_name: OE_TO_maths_en_COMP\n  data_files:\n  - split: train\n    path: OlympiadBench/OE_TO_maths_en_COMP/OE_TO_maths_en_COMP.parquet\n- config_name: OE_TO_physics_en_COMP\n  data_files:\n  - split: train\n    path: OlympiadBench/OE_TO_physics_en_COMP/*.parquet\n---\n');
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'id', data: [BigInt(1606), BigInt(1607)] },
        { name: 'question', data: ['Xenia and Sergey play the following game...', 'Find all pairs $(m, n)$...'] },
        { name: 'solution', data: [['Answer: 2'], ['...']] },
        { name: 'final_answer', data: [['$2$'], ['$(1,1)$', '$(2,3)$']] },
        { name: 'difficulty', data: ['Competition', 'Competition'] },
        { name: 'subfield', data: ['Combinatorics', 'Number Theory'] },
      ] as never,
      schema: [{ name: 'root', num_children: 6 }, { name: 'id', type: 'INT64', repetition_type: 'OPTIONAL' }, utf8('question'), ...stringList('solution'), ...stringList('final_answer'), utf8('difficulty'), utf8('subfield')] as never,
    });
    const tasks = await loadTasks({ preset: 'olympiadbench' }, t.dir, { env, role: 'test' });
    assert.deepEqual(tasks.map((x) => [x.id, x.reference]), [['1606', '2'], ['1607', '(1,1), (2,3)']]);
  });

  it('deepscaler: the deepscaler.json array of problem, answer, solution', async () => {
    const snap = hubSnapshotDir(hub, 'agentica-org/DeepScaleR-Preview-Dataset');
    writeText(join(snap, 'deepscaler.json'), JSON.stringify([{ problem: 'Let $a_n=6^n+8^n$. Find the remainder of $a_{83}$ by 49.', answer: '35', solution: '...' }]));
    const [task] = await loadTasks({ preset: 'deepscaler' }, t.dir, { env });
    assert.deepEqual([task.id, task.reference], ['0', '35']);
  });

  it('guru_math: verl layout, the math shards only, pass rates as features, no added suffix', async () => {
    const snap = hubSnapshotDir(hub, 'LLM360/guru-RL-92k');
    const prompt = 'Find the value of $x$ in $3x = 12$. Please output the final answer within \\boxed{}.';
    await writeVerlParquet(join(snap, 'train/math__combined_54.4k.parquet'), [
      { data_source: 'math__combined', prompt, ground_truth: '4', index: 0, pass7b: 0.75, pass30b: 0.875 },
      { data_source: 'math__combined', prompt: 'What is 2+2?', ground_truth: '4', index: 1, pass7b: 1, pass30b: 1 },
    ]);
    await writeVerlParquet(join(snap, 'train/logic__zebra_puzzle_1.3k.parquet'), [{ data_source: 'logic', prompt: 'zebra?', ground_truth: 'x', index: 0, pass7b: 0, pass30b: 0 }]);
    const tasks = await loadTasks({ preset: 'guru_math' }, t.dir, { env });
    assert.deepEqual(
      tasks.map((x) => [x.id, x.question, x.reference, x.features]),
      [
        ['0', prompt, '4', { 'qwen2.5_7b_pass_rate': 0.75, qwen3_30b_pass_rate: 0.875 }],
        ['1', 'What is 2+2?', '4', { 'qwen2.5_7b_pass_rate': 1, qwen3_30b_pass_rate: 1 }],
      ],
    );
  });

  it('a preset maps a local copy too, and fields override its columns', async () => {
    writeJsonl(join(t.dir, 'mine.jsonl'), [{ uid: 'a', problem: 'p?', solution: 'so $\\boxed{7}$', level: 'Level 4' }]);
    const [task] = await loadTasks({ preset: 'math', path: 'mine.jsonl', fields: { id: 'uid' } }, t.dir);
    assert.deepEqual([task.id, task.reference, task.features], ['a', '7', { level: 4 }]);
  });

  it('extracts boxed answers with nested braces and reads MATH levels', () => {
    assert.equal(lastBoxed('a \\boxed{1} b \\boxed{\\frac{a}{\\sqrt{b}}} c'), '\\frac{a}{\\sqrt{b}}');
    assert.equal(lastBoxed('so \\boxed 5.'), '5.');
    assert.equal(lastBoxed('no box'), undefined);
    assert.equal(parseLevel('Level 5'), 5);
    assert.equal(parseLevel('Level ?'), undefined);
  });
});

import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MetricsRow, RolloutRecord } from '../../../trainer/src/run/events';
import { runCli, tempConfig } from '../../support/cli';
import { loadTasks } from '../../../trainer/src/tasks/load';
import { createTaskSelector, MixSelector, successBySource } from '../../../trainer/src/train/mix';
import { tempDir, writeJsonl, writeParquet } from './fixtures';

const selector = (type: string, extra: Record<string, unknown> = {}) => ({ type, target: 0.5, temperature: 0.1, prior_strength: 2, ...extra }) as never;

describe('task mixes', () => {
  let t: ReturnType<typeof tempDir>;
  const fields = { features: ['difficulty'] };
  const mix = { mix: [{ path: 'gsm.jsonl', format: 'gsm8k', name: 'gsm8k', weight: 0.7, fields }, { path: 'math.parquet', name: 'math', weight: 0.3, limit: 30, fields }] };
  before(async () => {
    t = tempDir();
    writeJsonl(join(t.dir, 'gsm.jsonl'), Array.from({ length: 40 }, (_, i) => ({ id: i, question: `How many apples does Ann have if she starts with ${i}?`, answer: `#### ${i}`, difficulty: i / 40 })));
    await writeParquet(join(t.dir, 'math.parquet'), { id: Array.from({ length: 60 }, (_, i) => i), question: Array.from({ length: 60 }, (_, i) => `Solve $x + ${i} = 0$.`), answer: Array.from({ length: 60 }, (_, i) => String(-i)), difficulty: Array.from({ length: 60 }, (_, i) => i / 60) }, { int: ['id'] });
  });
  after(() => t.done());

  it('keeps ids unique across sources and names each task\'s source', async () => {
    const tasks = await loadTasks(mix, t.dir);
    assert.equal(tasks.length, 70, 'the math source is limited to 30');
    assert.equal(new Set(tasks.map((x) => x.id)).size, 70);
    assert.deepEqual([tasks[0].id, tasks[0].source, tasks[40].id, tasks[40].source], ['gsm8k/0', 'gsm8k', 'math/0', 'math']);
    await assert.rejects(loadTasks({ mix: [{ path: 'gsm.jsonl' }, { path: 'gsm.jsonl' }] }, t.dir), /two sources are named "gsm"/);
  });

  it('draws 70/30 within 2 points over 10,000 draws', async () => {
    const tasks = await loadTasks(mix, t.dir);
    const s = createTaskSelector(tasks, mix, selector('random'), 7);
    let gsm = 0;
    let all = 0;
    for (let step = 1; step <= 1250; step++) {
      for (const task of s.select(step, 8)) {
        all++;
        if (task.source === 'gsm8k') gsm++;
      }
    }
    assert.equal(all, 10000);
    assert.ok(Math.abs(gsm / all - 0.7) < 0.02, `gsm8k share ${(gsm / all).toFixed(4)}`);
    assert.equal(s.stats()['gsm8k/drawn'], gsm);
  });

  it('runs the configured selector within each source, resumable from its state', async () => {
    const tasks = await loadTasks(mix, t.dir);
    const shuffled = createTaskSelector(tasks, mix, selector('shuffle'), 3);
    assert.ok(shuffled instanceof MixSelector);
    const seen = new Map<string, Set<string>>([['gsm8k', new Set()], ['math', new Set()]]);
    let repeats = 0;
    for (let step = 1; step <= 5; step++) {
      for (const task of shuffled.select(step, 8)) {
        const set = seen.get(task.source!)!;
        if (set.has(task.id)) repeats++;
        set.add(task.id);
      }
    }
    assert.equal(repeats, 0, 'a shuffled source gives each task once before any twice');

    const easy = createTaskSelector(tasks, mix, selector('offline_easy2hard', { feature_key: 'difficulty' }), 3);
    const first = easy.select(1, 8);
    assert.deepEqual(first.filter((x) => x.source === 'math').map((x) => x.features.difficulty), first.filter((x) => x.source === 'math').map((x) => x.features.difficulty).sort((a, b) => a - b));

    const a = createTaskSelector(tasks, mix, selector('difficulty_based', { feature_key: 'difficulty' }), 11);
    for (let step = 1; step <= 3; step++) a.observe(new Map(a.select(step, 8).map((task) => [task.id, [1, 0]])));
    const b = createTaskSelector(tasks, mix, selector('difficulty_based', { feature_key: 'difficulty' }), 11);
    b.load(JSON.parse(JSON.stringify(a.state())));
    assert.deepEqual(b.select(4, 8).map((x) => x.id), a.select(4, 8).map((x) => x.id));
  });

  it('reports success per source', () => {
    assert.deepEqual(
      successBySource([
        { source: 'gsm8k', success: true },
        { source: 'gsm8k', success: false },
        { source: 'math', success: true },
        { success: true },
      ]),
      { 'success_rate/gsm8k': 0.5, 'success_rate/math': 1 },
    );
  });

  it('a mixed run records the source on each rollout and reports success per source', async function () {
    this.timeout(240000);
    const head = readFileSync(join(__dirname, '../../../trainer/tasks/arith/test.jsonl'), 'utf8').split('\n').slice(0, 40).join('\n') + '\n';
    const config = tempConfig(
      'mix',
      [
        'name: mix',
        'model: { path: builtin:tiny-math, sampling: { max_new_tokens: 48 } }',
        'tasks:',
        '  train:',
        '    mix:',
        '      - { path: builtin:arith/train, name: arith, weight: 0.5 }',
        '      - { path: other.jsonl, format: gsm8k, name: other, weight: 0.5 }',
        'judge: { ref: builtin:gsm8k }',
        'rollout: { group_size: 2, parallel: 8, max_turns: 2 }',
        'train: { steps: 2, tasks_per_step: 6 }',
        '',
      ].join('\n'),
      { 'other.jsonl': head },
    );
    const r = await runCli(['run', config, '--output-dir', join(dirname(config), 'runs')]);
    assert.equal(r.code, 0, r.stderr);
    const runDir = join(dirname(config), 'runs', readdirSync(join(dirname(config), 'runs'))[0]);
    const rollouts = readFileSync(join(runDir, 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RolloutRecord);
    assert.ok(rollouts.every((x) => x.source && x.task_id.startsWith(`${x.source}/`)));
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
    for (const m of metrics.filter((x) => x.kind === 'train')) {
      const drawn = [...new Set(rollouts.filter((x) => x.step === m.step).map((x) => x.source!))];
      for (const s of drawn) {
        const mine = rollouts.filter((x) => x.step === m.step && x.source === s);
        assert.equal(m.metrics[`success_rate/${s}`], mine.filter((x) => x.success).length / mine.length);
      }
    }
  });
});

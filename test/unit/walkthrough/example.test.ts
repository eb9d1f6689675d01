// The walkthrough's example helpers on real files: copying the bundled math-agent example,
// finding it in a workspace, where to break in its judge, and the newest run.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRun } from '../../fixtures/make-run';
import { copyExample, judgeBodyLine, newestRun, pickExampleConfig } from '../../../src/walkthrough/example';

const bundled = join(__dirname, '..', '..', '..', 'examples', 'math-agent');

describe('walkthrough: the math-agent example', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-example-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the example, without its runs, under a name not yet taken', () => {
    const source = join(dir, 'bundle', 'math-agent');
    mkdirSync(join(source, 'runs', 'old-run'), { recursive: true });
    writeFileSync(join(source, 'math.tune.yaml'), 'name: math-agent\n');
    writeFileSync(join(source, 'judge.ts'), 'export const judge = 1;\n');
    writeFileSync(join(source, 'runs', 'old-run', 'events.jsonl'), '{}\n');
    const parent = join(dir, 'projects');
    mkdirSync(join(parent, 'math-agent'), { recursive: true });
    writeFileSync(join(parent, 'math-agent', 'mine.txt'), 'keep');

    const dest = copyExample(source, parent);
    assert.equal(dest, join(parent, 'math-agent-2'));
    assert.deepEqual(readdirSync(dest).sort(), ['judge.ts', 'math.tune.yaml']);
    assert.equal(readFileSync(join(parent, 'math-agent', 'mine.txt'), 'utf8'), 'keep');
    assert.equal(copyExample(source, parent), join(parent, 'math-agent-3'));
  });

  it('copies the bundled example as it ships', () => {
    const dest = copyExample(bundled, dir);
    for (const f of ['math.tune.yaml', 'judge.ts']) assert.equal(readFileSync(join(dest, f), 'utf8'), readFileSync(join(bundled, f), 'utf8'));
  });

  it('refuses a source that is not the example', () => {
    assert.throws(() => copyExample(join(dir, 'nothing'), dir), /missing its math\.tune\.yaml/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("picks the example's config among a workspace's", () => {
    assert.equal(pickExampleConfig(['/w/a/b/math.tune.yaml', '/w/math-agent/math.tune.yaml', '/w/math-agent/other.tune.yaml']), '/w/math-agent/math.tune.yaml');
    assert.equal(pickExampleConfig(['/w/a/b/math.tune.yaml', '/w/c/math.tune.yaml']), '/w/c/math.tune.yaml');
    assert.equal(pickExampleConfig(['/w/x.tune.yaml']), undefined);
  });

  it("breaks on the first line of the judge's body", () => {
    const source = readFileSync(join(bundled, 'judge.ts'), 'utf8');
    const line = judgeBodyLine(source, 'judge');
    assert.ok(line !== null);
    assert.match(source.split('\n')[line], /const answer = lastNumber\(/);
    assert.equal(judgeBodyLine('const x = 1;\nexport default function (i) {\n  return 1;\n}\n', 'default'), 2);
    assert.equal(judgeBodyLine('export const judgeX = 1;\nexport const other = 2;\n', 'judge'), null);
  });

  it('finds the newest run of a set of configs, in runs/ and in train.output_dir', async () => {
    const a = join(dir, 'a.tune.yaml');
    const b = join(dir, 'b', 'b.tune.yaml');
    writeFileSync(a, 'name: a\n');
    mkdirSync(join(dir, 'b'));
    writeFileSync(b, 'name: b\ntrain:\n  output_dir: ../elsewhere\n');
    assert.equal(await newestRun([a, b]), undefined);
    const older = makeRun(join(dir, 'runs'), { name: 'older', steps: 1, tasksPerStep: 1, groupSize: 2 });
    older.writer.close();
    const newer = makeRun(join(dir, 'elsewhere'), { name: 'newer', steps: 1, tasksPerStep: 1, groupSize: 2 });
    newer.writer.close();
    // Start times a minute apart, whatever the clock did between the two fixtures.
    const events = join(newer.dir, 'events.jsonl');
    const [first, ...rest] = readFileSync(events, 'utf8').split('\n');
    const started = JSON.parse(first);
    started.t = JSON.parse(readFileSync(join(older.dir, 'events.jsonl'), 'utf8').split('\n')[0]).t + 60_000;
    writeFileSync(events, [JSON.stringify(started), ...rest].join('\n'));
    assert.equal((await newestRun([a, b]))?.dir, newer.dir);
    assert.equal((await newestRun([a]))?.dir, older.dir);
  });
});

import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { definition } from '../../../trainer/src/language/definition';
import { codeLenses } from '../../../trainer/src/language/lenses';
import { cursor, makeWorkspace, type Workspace } from './fixture';

describe('language service: go to definition and code lenses', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.remove());

  const go = async (src: string) => {
    const { text, offset } = cursor(src);
    const d = await definition(text, offset, { file: ws.config });
    return d && { ...d, origin: text.slice(d.originStart, d.originEnd) };
  };

  it('a ref opens the export it names', async () => {
    const d = (await go('judge:\n  ref: ./judge.ts#ju§dge\n'))!;
    assert.equal(d.file, join(ws.dir, 'judge.ts'));
    assert.deepEqual([d.start, d.end], [{ line: 4, character: 13 }, { line: 4, character: 18 }]);
    assert.equal(d.origin, './judge.ts#judge');
  });

  it('a renamed export opens the declaration of its local', async () => {
    const d = (await go('judge:\n  ref: "./judge.ts#oth§er"\n'))!;
    assert.deepEqual(d.start, { line: 5, character: 6 });
  });

  it('a ref without # opens the default export', async () => {
    const d = (await go('judge:\n  ref: ./jud§ge.ts\n'))!;
    assert.deepEqual(d.start, { line: 7, character: 24 });
  });

  it('an export of a CommonJS module', async () => {
    const d = (await go('judge:\n  ref: ./grade.cjs#gr§ade\n'))!;
    assert.deepEqual(d.start, { line: 0, character: 15 });
  });

  it('a task path opens the file; a model path its config.json', async () => {
    assert.equal((await go('tasks:\n  train:\n    path: data/tr§ain.jsonl\n'))!.file, join(ws.dir, 'data/train.jsonl'));
    assert.equal((await go('model:\n  path: ./mo§del\n'))!.file, join(ws.dir, 'model/config.json'));
  });

  it('nothing for built-in code, missing files and plain keys', async () => {
    assert.equal(await go('judge:\n  ref: builtin:ma§th\n'), undefined);
    assert.equal(await go('judge:\n  ref: ./nope.ts#j§udge\n'), undefined);
    assert.equal(await go('na§me: demo\n'), undefined);
  });

  it('code lenses: Run, Debug, Validate, and the newest run of this config', async () => {
    const lenses = await codeLenses('name: demo\ntasks:\n  train:\n    path: builtin:arith/train\n', { file: ws.config });
    assert.deepEqual(lenses.map((l) => l.command), ['run', 'debug', 'validate', 'openRun']);
    assert.equal(lenses[3].runDir, join(ws.dir, 'runs', '20250102-090000-demo-2'));
  });

  it('code lenses follow train.output_dir, and leave out Open last run when there is none', async () => {
    mkdirSync(join(ws.dir, 'elsewhere', '20260101-000000-demo'), { recursive: true });
    try {
      const lenses = await codeLenses('name: demo\ntrain:\n  output_dir: elsewhere\n', { file: ws.config });
      assert.equal(lenses[3].runDir, join(ws.dir, 'elsewhere', '20260101-000000-demo'));
      const none = await codeLenses('name: fresh\n', { file: ws.config });
      assert.deepEqual(none.map((l) => l.command), ['run', 'debug', 'validate']);
    } finally {
      rmSync(join(ws.dir, 'elsewhere'), { recursive: true, force: true });
    }
  });
});

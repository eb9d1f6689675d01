import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { formatIssue } from '../../../trainer/src/config/load';
import { keyPathString, type ConfigIssue } from '../../../trainer/src/config/validate';
import { diagnose } from '../../../trainer/src/language/diagnostics';
import type { LanguageHost } from '../../../trainer/src/language/host';
import { nodeHost } from '../../../trainer/src/language/host';
import { base, makeWorkspace, type Workspace } from './fixture';

describe('language service: diagnostics', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.remove());

  const run = async (text: string, host: LanguageHost = nodeHost) => (await diagnose(text, { file: ws.config, display: 'demo.tune.yaml', host })).issues;
  /** The single issue, with what it underlines. */
  const one = async (text: string) => {
    const issues = await run(text);
    assert.equal(issues.length, 1, issues.map(formatIssue).join('\n'));
    const i = issues[0];
    return { ...i, key: keyPathString(i.path), covers: text.slice(i.start, i.end) };
  };
  const where = (i: ConfigIssue) => [i.line, i.column, keyPathString(i.path)];

  it('a config whose files all exist and parse has no issues', async () => {
    const text = [
      'name: demo',
      'model:',
      '  path: ./model',
      'tasks:',
      '  train:',
      '    path: data/train.jsonl',
      '    fields: { id: id, features: [difficulty] }',
      '  test:',
      '    path: data/tasks.json',
      'workflow:',
      '  ref: ./workflow.mjs#workflow',
      'tools:',
      '  - ref: builtin:calculator',
      '  - ref: ./tools.ts#lookup',
      'judge:',
      '  ref: ./judge.ts#judge',
      '',
    ].join('\n');
    assert.deepEqual(await run(text), []);
  });

  it('a judge file that does not exist is underlined on the ref', async () => {
    const i = await one(base + 'judge:\n  ref: ./missing.ts#judge\n');
    assert.deepEqual(where(i), [6, 8, 'judge.ref']);
    assert.equal(i.covers, './missing.ts#judge');
    assert.match(i.message, /^cannot find \.\/missing\.ts: no file at .*missing\.ts$/);
  });

  it('a missing export is underlined after the #, with a suggestion and the exports', async () => {
    const i = await one(base + 'judge:\n  ref: ./judge.ts#judg\n');
    assert.deepEqual(where(i), [6, 19, 'judge.ref']);
    assert.equal(i.covers, 'judg');
    assert.equal(i.message, './judge.ts has no export "judg" (did you mean "judge"?); its exports: judge, other, default');
  });

  it('the export part of a quoted ref is placed inside the quotes', async () => {
    const i = await one(base + 'tools:\n  - ref: "./tools.ts#lookp"\n');
    assert.deepEqual(where(i), [6, 22, 'tools[0].ref']);
    assert.equal(i.covers, 'lookp');
  });

  it('a type-only export cannot be loaded', async () => {
    const i = await one(base + 'judge:\n  ref: ./judge.ts#Score\n');
    assert.equal(i.covers, 'Score');
    assert.match(i.message, /"Score" is a type in \.\/judge\.ts, not a value/);
  });

  it('a module with a syntax error names the line and column inside it', async () => {
    const i = await one(base + 'judge:\n  ref: ./broken.ts#x\n');
    assert.equal(i.covers, './broken.ts#x');
    assert.match(i.message, /^\.\/broken\.ts does not parse: .+ \(\.\/broken\.ts:1:19\)$/);
  });

  it('with transpiling forbidden (an untrusted workspace) a syntax error comes from the lexer, not esbuild', async () => {
    const text = base + 'judge:\n  ref: ./broken.ts#x\n';
    const lexOnly: LanguageHost = { ...nodeHost, transpile: false };
    const [restricted] = await run(text, lexOnly);
    assert.match(restricted.message, /^\.\/broken\.ts does not parse: syntax error \(the module is only lexed while the workspace is untrusted; trust it for the full message\) \(\.\/broken\.ts:1:\d+\)$/);
    // Trusting the workspace later gives esbuild's message, not the cached lexer one.
    const [trusted] = await run(text);
    assert.doesNotMatch(trusted.message, /only lexed/);
    // Exports of well-formed modules are still listed and checked.
    const i = (await run(base + 'judge:\n  ref: ./judge.ts#judg\n', lexOnly))[0];
    assert.equal(i.message, './judge.ts has no export "judg" (did you mean "judge"?); its exports: judge, other, default');
  });

  it('a ref without # needs a default export', async () => {
    assert.deepEqual(await run(base + 'judge:\n  ref: ./judge.ts\n'), []);
    const i = await one(base + 'tools:\n  - ref: ./tools.ts\n');
    assert.match(i.message, /\.\/tools\.ts has no default export; name one with \.\/tools\.ts#name; its exports: lookup, search/);
  });

  it('exports re-exported with export * are not reported missing', async () => {
    assert.deepEqual(await run(base + 'tools:\n  - ref: ./reexport.ts#anything\n'), []);
  });

  it('CommonJS exports are found', async () => {
    assert.deepEqual(await run(base + 'judge:\n  ref: ./grade.cjs#grade\n'), []);
    const i = await one(base + 'judge:\n  ref: ./grade.cjs#grad\n');
    assert.match(i.message, /did you mean "grade"\?/);
  });

  it('a ref to a file that is not code is refused', async () => {
    const i = await one(base + 'workflow:\n  ref: ./data/notes.txt#x\n');
    assert.match(i.message, /names a TypeScript or JavaScript module/);
  });

  it('an unknown built-in gets the closest name and the list', async () => {
    const i = await one(base + 'tools:\n  - ref: builtin:calculater\n');
    assert.deepEqual(where(i), [6, 10, 'tools[0].ref']);
    assert.equal(i.message, 'unknown built-in tool "builtin:calculater" (did you mean builtin:calculator?); built-in tools: builtin:calculator, builtin:python');
  });

  it('a built-in of another kind is named as such', async () => {
    const i = await one(base + 'judge:\n  ref: builtin:calculator\n');
    assert.equal(i.message, 'builtin:calculator is a built-in tool, not a judge; built-in judges: builtin:math, builtin:gsm8k, builtin:exact_match, builtin:llm_judge');
  });

  it('built-in task sets and models are checked by name', async () => {
    const i = await one('name: demo\ntasks:\n  train:\n    path: builtin:arith/tran\n');
    assert.deepEqual(where(i), [4, 11, 'tasks.train.path']);
    assert.match(i.message, /did you mean builtin:arith\/train\?/);
    const m = await one(base + 'model:\n  path: builtin:tiny\n');
    assert.match(m.message, /unknown built-in model "builtin:tiny"; built-in models: builtin:tiny-math/);
  });

  it('a missing task file', async () => {
    const i = await one('name: demo\ntasks:\n  train:\n    path: data/nope.jsonl\n');
    assert.deepEqual(where(i), [4, 11, 'tasks.train.path']);
    assert.equal(i.message, 'data/nope.jsonl: no such file or folder');
  });

  it('a task file whose second line is not JSON', async () => {
    const i = await one('name: demo\ntasks:\n  train:\n    path: data/bad.jsonl\n');
    assert.deepEqual(where(i), [4, 11, 'tasks.train.path']);
    assert.match(i.message, /^bad\.jsonl:2:14 {2}broken JSON: /);
  });

  it('a field the records lack is underlined where it is named', async () => {
    const text = 'name: demo\ntasks:\n  train:\n    path: data/other.jsonl\n    fields:\n      question: problem\n      answer: answer\n';
    const i = await one(text);
    assert.deepEqual(where(i), [7, 15, 'tasks.train.fields.answer']);
    assert.equal(i.message, 'other.jsonl:1:1  has no field "answer" for the reference answer (fields.answer; the record has problem, solution)');
  });

  it('default field names that the records lack are reported on the path', async () => {
    const issues = await run('name: demo\ntasks:\n  train:\n    path: data/other.jsonl\n');
    assert.deepEqual(issues.map((i) => [keyPathString(i.path), i.message.split(' (')[0]]), [
      ['tasks.train.path', 'other.jsonl:1:1  has no field "answer" for the reference answer'],
      ['tasks.train.path', 'other.jsonl:1:1  has no field "question" for the question'],
    ]);
  });

  it('a large JSONL file is checked to its end', async function () {
    this.timeout(60000);
    const issues = await run('name: demo\ntasks:\n  train:\n    path: data/big.jsonl\n');
    assert.equal(issues.length, 1);
    assert.match(issues[0].message, /^big\.jsonl:\d{6}:\d+ {2}broken JSON/);
  });

  it('within a time budget, the editor gets what was found so far and a pending check; the result is cached by modification time', async function () {
    this.timeout(60000);
    const text = 'name: demo\ntasks:\n  train:\n    path: data/big.json\n';
    const first = await diagnose(text, { file: ws.config, display: 'demo.tune.yaml', data: { waitMs: 0, budgetMs: 60000 } });
    assert.deepEqual(first.issues, []);
    assert.ok(first.pending, 'the check runs on');
    await first.pending;
    const t0 = performance.now();
    const again = await diagnose(text, { file: ws.config, display: 'demo.tune.yaml', data: { waitMs: 0, budgetMs: 60000 } });
    assert.equal(again.pending, undefined, 'answered from the cache');
    assert.deepEqual(again.issues, []);
    assert.ok(performance.now() - t0 < 5000);
    const budgeted = await diagnose(text, { file: ws.config, display: 'demo.tune.yaml', data: { budgetMs: 0 } });
    assert.equal(budgeted.issues.length, 1);
    assert.match(budgeted.issues[0].message, /^checked the first \d+ records within the editor's time budget/);
    assert.equal(budgeted.issues[0].severity, 'warning');
  });

  it('an empty task file has no tasks', async () => {
    const i = await one('name: demo\ntasks:\n  train:\n    path: data/empty.jsonl\n');
    assert.match(i.message, /^empty\.jsonl:1:1 {2}holds no tasks/);
  });

  it('GSM8K answers without #### are an error on the record', async () => {
    const i = await one('name: demo\ntasks:\n  train:\n    path: data/gsm.jsonl\n    format: gsm8k\n');
    assert.equal(i.severity, 'error');
    assert.equal(i.message, 'gsm.jsonl:1:22  field "answer" has no "####" before the final answer');
  });

  it('Parquet files are read through, and a file that is not one is named', async () => {
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({ filename: join(ws.dir, 'data/ok.parquet'), columnData: [{ name: 'question', data: ['5+5?'], type: 'STRING' }, { name: 'answer', data: ['10'], type: 'STRING' }] });
    assert.deepEqual(await run('name: demo\ntasks:\n  train:\n    path: data/ok.parquet\n'), []);
    const i = await one('name: demo\ntasks:\n  train:\n    path: data/fake.parquet\n');
    assert.match(i.message, /is not a readable Parquet file/);
  });

  it('an extension that tells no format asks for one', async () => {
    const i = await one('name: demo\ntasks:\n  train:\n    path: data/notes.txt\n');
    assert.match(i.message, /^data\/notes\.txt: cannot tell the format from "\.txt"; set tasks\.\*\.format/);
  });

  it('a model folder lacking runtime files lists them', async () => {
    const i = await one(base + 'model:\n  path: ./model-partial\n');
    assert.deepEqual(where(i), [6, 9, 'model.path']);
    assert.equal(i.message, 'the model folder ./model-partial lacks tokenizer.json, tokenizer_config.json, onnx/model.onnx; the ONNX runtime needs config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx');
  });

  it('a model without a chat template is a warning', async () => {
    const i = await one(base + 'model:\n  path: ./model-notemplate\n');
    assert.equal(i.severity, 'warning');
    assert.match(i.message, /no chat template/);
  });

  it('the model path is not checked for the openai backend', async () => {
    const text = base + 'model:\n  backend: openai\n  path: ./nowhere\n  openai: { base_url: "http://127.0.0.1:8000/v1", model: m }\n';
    assert.deepEqual(await run(text), []);
  });

  it('warnings for a learning rate and a temperature out of range', async () => {
    const issues = await run(base + 'algorithm:\n  lr: 0.5\nmodel:\n  sampling:\n    temperature: 3\n');
    assert.deepEqual(issues.map((i) => [where(i), i.severity]), [
      [[6, 7, 'algorithm.lr'], 'warning'],
      [[9, 18, 'model.sampling.temperature'], 'warning'],
    ]);
  });

  it('cross-key rules still run beside schema errors elsewhere, but not on rejected values', async () => {
    const issues = await run(base + 'algorithm:\n  lr: 0.5\n  type: grop\nrollout:\n  group_size: 1\n');
    assert.deepEqual(issues.map((i) => [where(i), i.severity]), [
      [[6, 7, 'algorithm.lr'], 'warning'],
      [[7, 9, 'algorithm.type'], 'error'],
      [[9, 15, 'rollout.group_size'], 'error'],
    ]);
    assert.match(issues[2].message, /^GRPO compares samples within a group/);
    const typed = await run(base + 'eval:\n  samples: many\n  k: [1, 4]\n');
    assert.deepEqual(typed.map(where), [[6, 12, 'eval.samples']]);
  });

  it('schema errors and file errors are reported together', async () => {
    const issues = await run(base + 'judge:\n  ref: ./nope.ts#j\nseed: -1\n');
    assert.deepEqual(issues.map(where), [
      [6, 8, 'judge.ref'],
      [7, 7, 'seed'],
    ]);
  });

  it('the files read are returned, so the editor can watch them', async () => {
    const d = await diagnose(base + 'judge:\n  ref: ./judge.ts#judge\ntools:\n  - ref: ./tools.ts#lookup\n', { file: ws.config });
    assert.deepEqual(d.dependencies.sort(), [join(ws.dir, 'judge.ts'), join(ws.dir, 'tools.ts')]);
  });

  it('positions with Windows line endings', async () => {
    const issues = await run(base.replace(/\n/g, '\r\n') + 'judge:\r\n  ref: ./judge.ts#nope\r\nseed: x\r\n');
    assert.deepEqual(issues.map(where), [
      [6, 19, 'judge.ref'],
      [7, 7, 'seed'],
    ]);
  });

  it('the CLI form of a file issue', async () => {
    const [i] = await run(base + 'judge:\n  ref: ./judge.ts#nope\n');
    assert.match(formatIssue(i), /^demo\.tune\.yaml:6:19  judge\.ref  \.\/judge\.ts has no export "nope"/);
  });
});

import { strict as assert } from 'node:assert';
import { complete, type CompletionItem } from '../../../trainer/src/language/completion';
import { cursor, makeWorkspace, type Workspace } from './fixture';

describe('language service: completion', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.remove());

  const items = async (src: string): Promise<(CompletionItem & { replaces: string })[]> => {
    const { text, offset } = cursor(src);
    return (await complete(text, offset, { file: ws.config })).map((i) => ({ ...i, replaces: text.slice(i.start, i.end) }));
  };
  const labels = async (src: string) => (await items(src)).map((i) => i.label);
  const sorted = async (src: string) => (await items(src)).sort((a, b) => a.sortText.localeCompare(b.sortText)).map((i) => i.label);

  it('top-level keys in an empty file, required ones first', async () => {
    assert.deepEqual((await sorted('§')).slice(0, 3), ['name', 'tasks', 'description']);
    assert.equal((await labels('§')).length, 13);
  });

  it('keys already present are left out', async () => {
    assert.deepEqual(await labels('name: demo\nmodel:\n  sampling:\n    temperature: 1\n    §\n    top_k: 5\n'), ['top_p', 'max_new_tokens', 'stop', 'seed']);
  });

  it('a partly typed key is replaced whole', async () => {
    const list = await items('model:\n  samp§ling: {}\n');
    const sampling = list.find((i) => i.label === 'sampling')!;
    assert.equal(sampling.replaces, 'sampling');
  });

  it('keys of a list item, after its first line', async () => {
    assert.deepEqual(await labels('tools:\n  - ref: builtin:python\n    §\n'), ['timeout_s', 'options']);
  });

  it('a new list item starts with its required key', async () => {
    const list = await items('tools:\n  - ref: builtin:python\n  - §\n');
    assert.deepEqual(list.map((i) => i.label), ['ref', 'timeout_s', 'options']);
    assert.equal(list[0].insertText, 'ref: ${1|builtin:calculator,builtin:python|}');
  });

  it('a list written at the same indentation as its key', async () => {
    assert.deepEqual(await labels('tools:\n- ref: builtin:python\n  §\n'), ['timeout_s', 'options']);
  });

  it('sections are snippets that open the section, with required keys filled in where there are any', async () => {
    const list = await items('name: demo\n§');
    const tasks = list.find((i) => i.label === 'tasks')!;
    assert.equal(tasks.kind, 'section');
    // A task source is a path, a preset or a mix: none is required alone, so the cursor waits in
    // `train:`, where completion offers all three.
    assert.equal(tasks.insertText, 'tasks:\n\ttrain:\n\t\t$0');
    const inTrain = (await items('tasks:\n  train:\n    §\n')).map((i) => i.label);
    for (const key of ['path', 'preset', 'mix']) assert.ok(inTrain.includes(key), `${key} is offered in tasks.train: ${inTrain.join(', ')}`);
    const model = list.find((i) => i.label === 'model')!;
    assert.equal(model.insertText, 'model:\n\t$0');
    assert.equal(model.retrigger, true);
    const tools = list.find((i) => i.label === 'tools')!;
    assert.equal(tools.insertText, 'tools:\n\t- ref: ${1|builtin:calculator,builtin:python|}');
  });

  it('scalar keys are snippets with the default or an example', async () => {
    const list = await items('algorithm:\n  §\n');
    const by = (l: string) => list.find((i) => i.label === l)!.insertText;
    assert.equal(by('type'), 'type: ${1|grpo,rloo|}');
    assert.equal(by('lr'), 'lr: ${1:0.001}');
    assert.equal(by('scale_by_std'), 'scale_by_std: ${1|true,false|}');
    assert.equal(by('group_by_role'), 'group_by_role: ${1|false,true|}');
    assert.equal(by('lora'), 'lora:\n\t$0');
  });

  it('key items carry the schema documentation', async () => {
    const rank = (await items('algorithm:\n  lora:\n    §\n')).find((i) => i.label === 'rank')!;
    assert.equal(rank.detail, 'integer ≥ 1');
    assert.match(rank.documentation!, /^\*\*algorithm\.lora\.rank\*\* · `integer ≥ 1`\n\nRank r of the adapter\./);
  });

  it('enum values with their descriptions', async () => {
    const list = await items('tasks:\n  selector:\n    type: §\n');
    assert.deepEqual(list.map((i) => i.label), ['sequential', 'shuffle', 'random', 'offline_easy2hard', 'difficulty_based']);
    assert.equal(list[1].detail, 'default');
    assert.equal(list[0].documentation, 'In file order, wrapping around.');
  });

  it('a partly typed value is replaced up to the end of the word', async () => {
    const list = await items('algorithm:\n  type: gr§po  # the default\n');
    assert.deepEqual(list.map((i) => [i.label, i.replaces]), [
      ['grpo', 'grpo'],
      ['rloo', 'grpo'],
    ]);
  });

  it('booleans', async () => {
    assert.deepEqual(await labels('eval:\n  greedy: §\n'), ['true', 'false']);
  });

  it('defaults and examples for free values', async () => {
    const list = await items('algorithm:\n  lr: §\n');
    assert.deepEqual(list.map((i) => [i.label, i.detail]), [
      ['0.001', 'default'],
      ['0.0002', 'example'],
    ]);
  });

  it('values in a flow mapping and flow keys', async () => {
    assert.deepEqual(await labels('algorithm:\n  lora: { rank: §'), ['8', '16']);
    assert.deepEqual(await labels('algorithm:\n  lora: { rank: 8, § }\n'), ['alpha']);
  });

  it('built-in refs of the right kind for a judge', async () => {
    const list = await items('judge:\n  ref: builtin:§\n');
    assert.deepEqual(list.map((i) => i.label), ['builtin:math', 'builtin:gsm8k', 'builtin:exact_match', 'builtin:llm_judge']);
    assert.equal(list[0].replaces, 'builtin:');
    assert.match(list[1].documentation!, /^GSM8K grading/);
  });

  it('built-in task sets and models', async () => {
    assert.deepEqual(await labels('tasks:\n  train:\n    path: builtin:§\n'), ['builtin:arith/train', 'builtin:arith/test']);
    assert.deepEqual(await labels('model:\n  path: builtin:§\n'), ['builtin:tiny-math']);
  });

  it('modules and folders for a code ref; a module is followed by #', async () => {
    const list = await items('judge:\n  ref: §\n');
    const files = list.filter((i) => i.kind !== 'builtin');
    assert.deepEqual(files.map((i) => i.insertText).sort(), [
      './broken.ts#',
      './data/',
      './grade.cjs#',
      './judge.ts#',
      './linked/',
      './model-notemplate/',
      './model-partial/',
      './model/',
      './reexport.ts#',
      './runs/',
      './tools.ts#',
      './workflow.mjs#',
    ]);
    assert.ok(files.every((i) => i.retrigger));
  });

  it('paths inside a folder', async () => {
    const data = (await items('tasks:\n  train:\n    path: data/§\n')).filter((i) => i.kind !== 'builtin');
    assert.deepEqual(data.map((i) => i.insertText).sort(), [
      'data/bad.jsonl',
      'data/big.json',
      'data/big.jsonl',
      'data/empty.jsonl',
      'data/fake.parquet',
      'data/gsm.jsonl',
      'data/nested/',
      'data/ok.parquet',
      'data/other.jsonl',
      'data/tasks.json',
      'data/train.jsonl',
    ]);
  });

  it('model paths offer folders only', async () => {
    const list = (await items('model:\n  path: ./§\n')).filter((i) => i.kind !== 'builtin');
    assert.deepEqual(list.map((i) => i.label), ['data/', 'linked/', 'model/', 'model-notemplate/', 'model-partial/', 'runs/']);
  });

  it('the exports of a module after #, values only', async () => {
    const list = await items('judge:\n  ref: ./judge.ts#§\n');
    assert.deepEqual(list.map((i) => [i.label, i.replaces]), [
      ['judge', ''],
      ['other', ''],
      ['default', ''],
    ]);
    assert.match(list[0].detail!, /^export const judge = /);
  });

  it('exports in a quoted ref, replacing the typed part', async () => {
    const list = await items('tools:\n  - ref: "./tools.ts#lo§"\n');
    assert.deepEqual(list.map((i) => [i.label, i.replaces]), [
      ['lookup', 'lo'],
      ['search', 'lo'],
    ]);
  });

  it('a new item of a list of strings is a value, not a key', async () => {
    assert.deepEqual(await labels('model:\n  sampling:\n    stop:\n      - §\n'), []);
    assert.deepEqual(await labels('tools:\n  - §'), ['ref', 'timeout_s', 'options']);
  });

  it('nothing inside comments and block scalars', async () => {
    assert.deepEqual(await labels('# na§\nname: demo\n'), []);
    assert.deepEqual(await labels('workflow:\n  system_prompt: |\n    You are §\n  ref: builtin:react\n'), []);
    assert.deepEqual(await labels('name: demo  # a comm§\n'), []);
  });

  it('keys after a block scalar belong to its parent mapping', async () => {
    assert.deepEqual(await labels('workflow:\n  system_prompt: |\n    line one\n    line two\n  §\n'), ['ref', 'options', 'isolation']);
  });

  it('Windows line endings', async () => {
    assert.deepEqual(await labels('model:\r\n  sampling:\r\n    temperature: 1\r\n    §\r\n'), ['top_p', 'top_k', 'max_new_tokens', 'stop', 'seed']);
    assert.deepEqual((await items('algorithm:\r\n  type: r§\r\n')).map((i) => i.replaces), ['r', 'r']);
  });

  it('keys for a misspelt parent are empty', async () => {
    assert.deepEqual(await labels('modle:\n  §\n'), []);
  });
});

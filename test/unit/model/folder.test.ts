import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ModelFolderError, openModelFolder, resolveModelRef, trainerRoot } from '../../../trainer/src/model/folder';
import { writeOnnx, type Model, type ValueInfo } from '../../../trainer/src/model/onnx-graph';
import { ModelSession } from '../../../trainer/src/model/session';
import { copyTiny, editGraph, removeDir, THREADS, TINY, TINY_DIR, toExternalData } from './fixtures';

/** Opens a folder the way the runtime does and returns the one error it gives. */
async function openError(dir: string, requireHidden = true): Promise<ModelFolderError> {
  try {
    const session = await ModelSession.open(openModelFolder(dir), { threads: THREADS, requireHidden });
    await session.release();
  } catch (e) {
    assert.ok(e instanceof ModelFolderError, `a ModelFolderError, got ${e}`);
    return e;
  }
  assert.fail(`${dir} opened without an error`);
}

function renameTensor(m: Model, from: string, to: string): void {
  for (const n of m.graph.node) {
    n.input = n.input.map((x) => (x === from ? to : x));
    n.output = n.output.map((x) => (x === from ? to : x));
  }
  for (const v of [...m.graph.input, ...m.graph.output]) if (v.name === from) v.name = to;
}

describe('model folders: resolution and one clear error per problem', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => {
    dir = copyTiny();
  });
  afterEach(() => removeDir(dir));

  it('resolves builtin:tiny-math from the sources and from a trainer/dist bundle', async () => {
    const root = trainerRoot();
    assert.equal(TINY_DIR, join(root, 'models', 'tiny-math'));
    assert.ok(existsSync(join(TINY_DIR, 'onnx', 'model.onnx')));
    assert.equal(trainerRoot(join(root, 'dist')), root);
    // A real bundle in trainer/dist resolves the same folder.
    const bundle = join(root, 'dist', `.builtin-test-${process.pid}.js`);
    await esbuild.build({
      stdin: { contents: `import { resolveModelRef } from './src/model/folder'; console.log(resolveModelRef('builtin:tiny-math'));`, resolveDir: root, loader: 'ts' },
      bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent',
    });
    try {
      assert.equal(execFileSync(process.execPath, [bundle], { encoding: 'utf8' }).trim(), TINY_DIR);
    } finally {
      rmSync(bundle, { force: true });
    }
    assert.throws(() => resolveModelRef('builtin:nope'), /unknown built-in model `builtin:nope`; built-in models: builtin:tiny-math/);
  });

  it('names a missing folder and each missing file', () => {
    assert.throws(() => openModelFolder(join(dir, 'nope')), /nope: no such folder \(expected a model folder in Hugging Face layout/);
    for (const [file, expected] of [
      ['config.json', /config\.json: missing \(expected the model config/],
      ['tokenizer.json', /tokenizer\.json: missing \(expected the tokenizer in Hugging Face tokenizers JSON format\)/],
      ['tokenizer_config.json', /tokenizer_config\.json: missing \(expected the tokenizer config, with a chat_template\)/],
      ['onnx/model.onnx', /onnx\/model\.onnx: missing \(expected the ONNX export of the causal LM, with past key values\)/],
    ] as const) {
      const copy = copyTiny();
      try {
        rmSync(join(copy, file));
        assert.throws(() => openModelFolder(copy), (e: Error) => e instanceof ModelFolderError && expected.test(e.message) && e.file === join(copy, file));
      } finally {
        removeDir(copy);
      }
    }
  });

  it('names the line of broken JSON and a missing chat template', () => {
    writeFileSync(join(dir, 'config.json'), '{\n  "hidden_size": 64,\n  oops\n}\n');
    assert.throws(() => openModelFolder(dir), /config\.json:3:3: invalid JSON \(expected the model config/);
    const d2 = copyTiny();
    try {
      const cfg = JSON.parse(readFileSync(join(d2, 'tokenizer_config.json'), 'utf8'));
      delete cfg.chat_template;
      writeFileSync(join(d2, 'tokenizer_config.json'), JSON.stringify(cfg));
      assert.throws(() => openModelFolder(d2), /tokenizer_config\.json: no chat_template \(expected a Jinja chat template string\)/);
    } finally {
      removeDir(d2);
    }
  });

  it('rejects an ONNX file that is not a causal LM', async () => {
    const vi = (name: string): ValueInfo => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } });
    writeOnnx(join(dir, 'onnx', 'model.onnx'), {
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
      graph: { node: [{ opType: 'Add', input: ['a', 'b'], output: ['c'], attribute: [] }], input: [vi('a'), vi('b')], output: [vi('c')], valueInfo: [], initializer: [] },
    });
    const e = await openError(dir);
    assert.equal(e.file, join(dir, 'onnx', 'model.onnx'));
    assert.match(e.message, /not a causal language model: expected inputs input_ids, attention_mask, position_ids, past_key_values\.N\.key\|value and outputs logits, present\.N\.key\|value; found inputs a, b and outputs c/);
  });

  it('rejects unexpected input and output names', async () => {
    editGraph(dir, (m) => renameTensor(m, 'present.1.value', 'present_1_value'));
    assert.match((await openError(dir)).message, /onnx\/model\.onnx: unexpected input\/output names: expected past_key_values\.N\.key\|value inputs and present\.N\.key\|value outputs for N = 0\.\.\d+; missing present\.1\.value/);
    const d2 = copyTiny();
    try {
      editGraph(d2, (m) => renameTensor(m, 'input_ids', 'tokens'));
      assert.match((await openError(d2)).message, /not a causal language model: .*found inputs tokens, attention_mask/);
    } finally {
      removeDir(d2);
    }
  });

  it('says how to add a missing last_hidden_state', async () => {
    editGraph(dir, (m) => {
      m.graph.output = m.graph.output.filter((o) => o.name !== 'last_hidden_state');
    });
    const e = await openError(dir);
    assert.match(e.message, /no last_hidden_state output \(expected the LM head's input, which the LoRA adapter needs\); add it with `agent-tune model prepare /);
  });

  it('names a truncated model file', async () => {
    const file = join(dir, 'onnx', 'model.onnx');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const e = await openError(dir);
    assert.equal(e.file, file);
    assert.match(e.message, /model\.onnx: truncated or corrupt: the ONNX protobuf ends unexpectedly/);
  });

  it('names truncated external weights and the tensor that needs them', async () => {
    const data = toExternalData(dir);
    truncateSync(data, statSync(data).size - 100);
    const e = await openError(dir);
    assert.equal(e.file, data);
    assert.match(e.message, /model\.onnx_data: truncated: tensor .+ needs bytes up to \d+ but the file has \d+/);
  });

  it('rejects a tokenizer with more ids than the model has logits', async () => {
    const file = join(dir, 'tokenizer.json');
    const tok = JSON.parse(readFileSync(file, 'utf8'));
    const vocab = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).vocab_size as number;
    tok.added_tokens.push({ id: vocab + 7, content: '<|extra|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    writeFileSync(file, JSON.stringify(tok));
    const e = await openError(dir);
    assert.equal(e.file, file);
    assert.equal(e.detail, `tokenizer has ${vocab + 8} token ids but the model's logits have ${vocab} (expected the tokenizer of this model, with at most ${vocab} ids)`);
  });

  it('opens the tiny model itself without complaint', async () => {
    const session = await ModelSession.open(openModelFolder(TINY), { threads: THREADS });
    assert.ok(session.layout.hidden);
    assert.ok(session.layout.layers > 0);
    await session.release();
  });
});

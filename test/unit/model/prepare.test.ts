import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, truncateSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createOutput } from '../../../trainer/src/commands/output';
import { registerModel, type ModelInfo } from '../../../trainer/src/commands/model';
import { defaultLanes, Engine, SMALL_MODEL_BYTES } from '../../../trainer/src/model/engine';
import { openModelFolder, weightBytes } from '../../../trainer/src/model/folder';
import { findHeadInput, removeOutput } from '../../../trainer/src/model/onnx-graph';
import { chatPrompts, copyTiny, editGraph, removeDir, THREADS, TINY, toExternalData } from './fixtures';

/** Runs `agent-tune model ...` in-process; returns the exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(s), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const program = new Command('agent-tune').option('--json').exitOverride();
  let code = 0;
  registerModel(program, () => createOutput(Boolean(program.opts().json), sink((s) => (stdout += s)), sink((s) => (stderr += s))), (c) => (code = c));
  await program.parseAsync(args, { from: 'user' });
  return { code, stdout, stderr };
}

async function outputsOf(dir: string, seqs: number[][]) {
  const engine = await Engine.open(openModelFolder(dir), { threads: THREADS, thread: 'main' });
  try {
    return await engine.forward(seqs);
  } finally {
    await engine.close();
  }
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('agent-tune model prepare and model info', function () {
  this.timeout(60000);
  const seqs = chatPrompts(3);
  let reference: Awaited<ReturnType<typeof outputsOf>>;
  before(async () => {
    reference = await outputsOf(openModelFolder(TINY).dir, seqs);
  });

  for (const variant of ['the output removed', 'the output removed and its tensor renamed'] as const) {
    it(`restores last_hidden_state with equal outputs (${variant}; weights in external data untouched)`, async () => {
      const dir = copyTiny();
      try {
        const data = toExternalData(dir);
        editGraph(dir, (m) => {
          const head = findHeadInput(m).tensor;
          assert.ok(removeOutput(m, 'last_hidden_state'));
          if (variant.includes('renamed')) {
            for (const n of m.graph.node) {
              n.input = n.input.map((x) => (x === head ? 'final_norm_out' : x));
              n.output = n.output.map((x) => (x === head ? 'final_norm_out' : x));
            }
          }
        });
        const before = sha(data);
        const info0 = await cli(['model', 'info', dir, '--json']);
        assert.equal((JSON.parse(info0.stdout) as ModelInfo).last_hidden_state, false);

        const r = await cli(['model', 'prepare', dir]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /onnx\/model\.onnx: added output last_hidden_state/);
        assert.equal(sha(data), before, 'external data is not rewritten');
        const again = await cli(['model', 'prepare', dir, '--json']);
        assert.equal(JSON.parse(again.stdout).added, false);

        const restored = await outputsOf(dir, seqs);
        restored.forEach((o, i) => {
          assert.deepEqual(o.hidden, reference[i].hidden, `sequence ${i}: last_hidden_state`);
          assert.deepEqual(o.logits, reference[i].logits, `sequence ${i}: logits`);
        });
      } finally {
        removeDir(dir);
      }
    });
  }

  it('counts weights in external data, and decodes a model of 32 MiB or more on one lane', async () => {
    const dir = copyTiny();
    try {
      const inline = weightBytes(openModelFolder(TINY));
      toExternalData(dir);
      const folder = openModelFolder(dir);
      assert.ok(statSync(folder.onnxFile).size < inline / 10, 'the graph file holds no weights');
      assert.ok(Math.abs(weightBytes(folder) - inline) < inline * 0.01, `${weightBytes(folder)} bytes in graph and data, ${inline} inline`);
      assert.equal(defaultLanes(folder, 2), 2);
      truncateSync(join(dir, 'onnx', 'model.onnx_data'), SMALL_MODEL_BYTES);
      assert.equal(defaultLanes(folder, 2), 1);
    } finally {
      removeDir(dir);
    }
  });

  it('model info prints architecture, parameters, vocabulary, inputs and outputs', async () => {
    const cfg = JSON.parse(readFileSync(join(openModelFolder(TINY).dir, 'config.json'), 'utf8'));
    const json = await cli(['model', 'info', TINY, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout) as ModelInfo;
    assert.equal(info.architecture, cfg.architectures[0]);
    assert.equal(info.layers, cfg.num_hidden_layers);
    assert.equal(info.hidden_size, cfg.hidden_size);
    assert.equal(info.vocabulary.logits, cfg.vocab_size);
    assert.ok(info.last_hidden_state);
    // A Llama's weights, counted from its config: embeddings, attention, MLP, norms, LM head.
    const H = cfg.hidden_size;
    const hd = cfg.head_dim ?? H / cfg.num_attention_heads;
    const perLayer = H * hd * (2 * cfg.num_attention_heads + 2 * cfg.num_key_value_heads) + 3 * H * cfg.intermediate_size + 2 * H;
    const expected = cfg.vocab_size * H * (cfg.tie_word_embeddings ? 1 : 2) + cfg.num_hidden_layers * perLayer + H;
    assert.ok(Math.abs(info.parameters - expected) / expected < 0.01, `${info.parameters} parameters, config says ${expected}`);
    // float32 weights, 4 bytes each, and a graph far smaller than them.
    assert.ok(info.weight_bytes > 4 * expected && info.weight_bytes < 4 * expected * 1.2, `${info.weight_bytes} bytes`);
    assert.equal(info.default_lanes, Math.min(4, availableParallelism()), 'a small model decodes on a lane per core');
    assert.deepEqual(info.inputs.map((i) => i.name).slice(0, 3), ['input_ids', 'attention_mask', 'position_ids']);
    assert.ok(info.outputs.some((o) => o.name === 'present.0.key'));

    const human = await cli(['model', 'info', TINY]);
    assert.match(human.stdout, new RegExp(`architecture +${cfg.architectures[0]} \\(llama\\): ${cfg.num_hidden_layers} layers, hidden ${H}`));
    assert.match(human.stdout, /past_key_values\.\{0\.\.\d+\}\.key +float32 \[/);
    assert.match(human.stdout, /last_hidden_state +float32 \[/);

    const missing = await cli(['model', 'info', '/nonexistent/model']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /agent-tune: \/nonexistent\/model: no such folder/);
  });
});

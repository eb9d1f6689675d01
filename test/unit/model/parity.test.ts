import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

// builtin:tiny-math under ONNX Runtime against the PyTorch outputs recorded when it was exported
// (scripts/model/export.py): a left-padded batch prefilled from an empty cache, then one decode step
// on the cache that prefill returned.
const ROOT = join(__dirname, '../../..');
const MODEL_DIR = join(ROOT, 'trainer/models/tiny-math');
const TOLERANCE = 1e-4;

interface Step {
  input_ids: number[][];
  attention_mask: number[][];
  position_ids: number[][];
  logits_shape: number[];
  logits: string;
  last_hidden_state_shape: number[];
  last_hidden_state: string;
}

const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/tiny-math/parity.json'), 'utf8')) as { prefill: Step; decode: Step };
const config = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));

function floats(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
}

/** Largest |a - b| over the positions a mask keeps (rows of `width` values). */
function maxDiff(actual: Float32Array, expected: Float32Array, width: number, keep: (row: number) => boolean): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!keep(Math.floor(i / width))) continue;
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  return worst;
}

describe('builtin:tiny-math ONNX parity with PyTorch', () => {
  let session: ort.InferenceSession;
  before(async () => {
    session = await ort.InferenceSession.create(join(MODEL_DIR, 'onnx/model.onnx'), { intraOpNumThreads: 1 });
  });

  function feeds(step: Step, past: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
    return { input_ids: int64(step.input_ids), attention_mask: int64(step.attention_mask), position_ids: int64(step.position_ids), ...past };
  }

  it('has the decoder interface: inputs, outputs and config agree', () => {
    const n = config.num_hidden_layers;
    const kv = Array.from({ length: n }, (_, i) => [`.${i}.key`, `.${i}.value`]).flat();
    assert.deepEqual([...session.inputNames].sort(), ['input_ids', 'attention_mask', 'position_ids', ...kv.map((s) => `past_key_values${s}`)].sort());
    assert.deepEqual([...session.outputNames].sort(), ['logits', 'last_hidden_state', ...kv.map((s) => `present${s}`)].sort());
  });

  it('matches PyTorch on a left-padded prefill from an empty cache, then on a decode step', async () => {
    const { num_hidden_layers: n, num_key_value_heads: kvHeads, head_dim: headDim, vocab_size: vocab, hidden_size: hidden } = config;
    const empty: Record<string, ort.Tensor> = {};
    for (let i = 0; i < n; i++) {
      for (const kind of ['key', 'value']) empty[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [2, kvHeads, 0, headDim]);
    }
    const pre = fixture.prefill;
    const out = await session.run(feeds(pre, empty));
    assert.deepEqual(out.logits.dims, pre.logits_shape);
    assert.deepEqual(out.last_hidden_state.dims, [...pre.logits_shape.slice(0, 2), hidden]);
    // Padding positions attend to nothing real; only real tokens must agree.
    const seq = pre.input_ids[0].length;
    const real = (row: number) => pre.attention_mask[Math.floor(row / seq)][row % seq] === 1;
    assert.ok(maxDiff(out.logits.data as Float32Array, floats(pre.logits), vocab, real) < TOLERANCE, 'prefill logits');
    assert.ok(maxDiff(out.last_hidden_state.data as Float32Array, floats(pre.last_hidden_state), hidden, real) < TOLERANCE, 'prefill last_hidden_state');

    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < n; i++) {
      for (const kind of ['key', 'value']) {
        const present = out[`present.${i}.${kind}`];
        assert.deepEqual(present.dims, [2, kvHeads, seq, headDim]);
        past[`past_key_values.${i}.${kind}`] = present;
      }
    }
    const dec = fixture.decode;
    const next = await session.run(feeds(dec, past));
    assert.deepEqual(next.logits.dims, dec.logits_shape);
    assert.deepEqual(next[`present.0.key`].dims, [2, kvHeads, seq + 1, headDim]);
    const all = () => true;
    assert.ok(maxDiff(next.logits.data as Float32Array, floats(dec.logits), vocab, all) < TOLERANCE, 'decode logits');
    assert.ok(maxDiff(next.last_hidden_state.data as Float32Array, floats(dec.last_hidden_state), hidden, all) < TOLERANCE, 'decode last_hidden_state');
  });
});

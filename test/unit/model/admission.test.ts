import { strict as assert } from 'node:assert';
import { admitCount, kvTokenBytes, reservedBytes, type Bounds } from '../../../trainer/src/model/admission';
import type { ModelLayout } from '../../../trainer/src/model/folder';

// Qwen3-0.6B's cache: 28 layers, 8 key/value heads of 128, float32.
const layout = { layers: 28, kvHeads: 8, headDim: 128, kvType: 'float32', vocab: 151936, hiddenSize: 1024 } as ModelLayout;
const seq = (prompt: number, maxNewTokens: number) => ({ prompt: { length: prompt }, opts: { maxNewTokens } });
const open: Bounds = { logitFloats: Infinity, prefillFloats: Infinity, kvCacheBytes: Infinity, maxPositions: 40960 };

describe('admission: what one prefill takes from the waiting prompts', () => {
  it('counts 224 KiB a token at Qwen3-0.6B, and pads a batch to its longest reservation', () => {
    assert.equal(kvTokenBytes(layout), 224 * 1024);
    assert.equal(kvTokenBytes({ ...layout, kvType: 'float16' }), 112 * 1024);
    assert.equal(reservedBytes(layout, [seq(254, 256), seq(10, 20)], 40960), 2 * 510 * 224 * 1024);
    assert.equal(reservedBytes(layout, [seq(254, 100000)], 1000), 1000 * 224 * 1024, 'no more than the model\'s positions');
  });

  it('stops at the KV cache bound, counting what runs in this lane and in others', () => {
    const waiting = Array.from({ length: 16 }, () => seq(254, 256));
    const bounds = { ...open, kvCacheBytes: 2 ** 30 };
    assert.equal(admitCount(layout, bounds, waiting, [], 0, 16), 9);
    assert.equal(admitCount(layout, bounds, waiting, waiting.slice(0, 4), 0, 16), 5);
    assert.equal(admitCount(layout, bounds, waiting, [], 4 * 510 * 224 * 1024, 16), 5);
    assert.equal(admitCount(layout, bounds, waiting, [], 0, 3), 3, 'room comes first');
  });

  it('prefills at most prefillFloats prompt tokens × hidden size at once, and the logits bound', () => {
    const waiting = Array.from({ length: 8 }, () => seq(254, 256));
    assert.equal(admitCount(layout, { ...open, prefillFloats: 2 ** 19 }, waiting, [], 0, 16), 2);
    assert.equal(admitCount(layout, { ...open, logitFloats: 3 * 151936 }, waiting, [], 0, 16), 3);
  });

  it('runs one sequence past every bound when nothing else runs, and none while something does', () => {
    const huge = [seq(4000, 4000)];
    const tight: Bounds = { logitFloats: 1, prefillFloats: 1, kvCacheBytes: 1, maxPositions: 40960 };
    assert.equal(admitCount(layout, tight, huge, [], 0, 16), 1);
    assert.equal(admitCount(layout, tight, huge, [seq(10, 10)], 0, 16), 0);
    assert.equal(admitCount(layout, tight, huge, [], 1, 16), 0);
  });
});

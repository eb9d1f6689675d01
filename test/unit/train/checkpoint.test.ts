import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam } from '../../../trainer/src/train/adam';
import { CheckpointError, latestCheckpoint, loadAdapter, loadOptimizer, loadTrainerState, LORA_A, LORA_B, saveCheckpoint, type TrainerState } from '../../../trainer/src/train/checkpoint';
import { LoraHead } from '../../../trainer/src/train/lora';
import { readSafetensors, readSafetensorsHeader } from '../../../trainer/src/train/safetensors';

describe('checkpoints', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'agent-tune-ckpt-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function state(step: number, lora: LoraHead): TrainerState {
    return {
      format: 1, step, seed: 3, config_sha256: 'abc', model: { path: 'builtin:tiny-math', vocab: lora.vocab, hidden: lora.hidden },
      lora: { rank: lora.rank, alpha: lora.alpha }, adam_step: 2, selector: { type: 'shuffle', cursor: 16 },
      offsets: { events: 10, rollouts: 20, metrics: 30, seq: 4 }, rng: { seed: 3, step },
    };
  }

  function trained(): { lora: LoraHead; adam: Adam } {
    const lora = new LoraHead(6, 11, 2, 4, 9);
    lora.B.forEach((_, i) => (lora.B[i] = Math.sin(i)));
    const adam = new Adam([lora.A, lora.B], 0.01);
    adam.step([Float64Array.from(lora.A, (x) => x * 0.1), Float64Array.from(lora.B, (x) => x * 0.3)]);
    adam.step([Float64Array.from(lora.A, (x) => x * 0.2), Float64Array.from(lora.B, (x) => -x)]);
    return { lora, adam };
  }

  it('writes the adapter in PEFT layout: tensor names, dtypes, shapes and adapter_config fields', () => {
    const { lora, adam } = trained();
    const path = saveCheckpoint(dir, lora, adam, state(5, lora));
    assert.equal(path, join(dir, 'checkpoints', 'step-000005'));
    const buf = readFileSync(join(path, 'adapter_model.safetensors'));
    const { header, metadata } = readSafetensorsHeader(buf, 'x');
    assert.deepEqual(Object.keys(header).sort(), [LORA_A, LORA_B]);
    assert.deepEqual(header[LORA_A].shape, [2, 6]);
    assert.deepEqual(header[LORA_B].shape, [11, 2]);
    assert.equal(header[LORA_A].dtype, 'F32');
    assert.equal(metadata.format, 'pt');
    assert.equal(Number(buf.readBigUInt64LE(0)) % 8, 0, 'data stays 8-byte aligned');
    const cfg = JSON.parse(readFileSync(join(path, 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.peft_type, 'LORA');
    assert.equal(cfg.task_type, 'CAUSAL_LM');
    assert.equal(cfg.r, 2);
    assert.equal(cfg.lora_alpha, 4);
    assert.deepEqual(cfg.target_modules, ['lm_head']);
    assert.equal(cfg.base_model_name_or_path, 'builtin:tiny-math');
  });

  it('round-trips adapter, optimizer moments and state exactly', () => {
    const { lora, adam } = trained();
    const path = saveCheckpoint(dir, lora, adam, state(5, lora));
    const back = loadAdapter(path, { vocab: 11, hidden: 6 }, 2);
    assert.deepEqual(Array.from(back.A), Array.from(lora.A));
    assert.deepEqual(Array.from(back.B), Array.from(lora.B));
    const fresh = new LoraHead(6, 11, 2, 4, 1);
    const adam2 = new Adam([fresh.A, fresh.B], 0.01);
    loadOptimizer(path, adam2, 2);
    assert.deepEqual(Array.from(adam2.state.m[1]), Array.from(adam.state.m[1]));
    assert.deepEqual(Array.from(adam2.state.v[0]), Array.from(adam.state.v[0]));
    assert.deepEqual(loadTrainerState(path), state(5, lora));
  });

  it('finds the newest complete checkpoint and ignores an unfinished one', () => {
    const { lora, adam } = trained();
    saveCheckpoint(dir, lora, adam, state(0, lora));
    saveCheckpoint(dir, lora, adam, state(10, lora));
    mkdirSync(join(dir, 'checkpoints', 'step-000020.tmp'));
    mkdirSync(join(dir, 'checkpoints', 'step-000030'));
    assert.equal(latestCheckpoint(dir), join(dir, 'checkpoints', 'step-000010'));
  });

  it('refuses a checkpoint from another model or rank with a clear message', () => {
    const { lora, adam } = trained();
    const path = saveCheckpoint(dir, lora, adam, state(1, lora));
    assert.throws(() => loadAdapter(path, { vocab: 12, hidden: 6 }), (e: Error) => e instanceof CheckpointError && /vocabulary 11; this model has hidden size 6 and vocabulary 12/.test(e.message));
    assert.throws(() => loadAdapter(path, { vocab: 11, hidden: 6 }, 8), /has rank 2, the config's algorithm.lora.rank is 8/);
  });

  it('refuses corrupt and truncated safetensors files without touching them', () => {
    const { lora, adam } = trained();
    const path = saveCheckpoint(dir, lora, adam, state(1, lora));
    const file = join(path, 'adapter_model.safetensors');
    const good = readFileSync(file);
    writeFileSync(file, good.subarray(0, good.length - 10));
    assert.throws(() => loadAdapter(path, { vocab: 11, hidden: 6 }), /outside the file's data \(truncated\?\)/);
    const garbage = Buffer.from(good);
    garbage.write('{{{{', 8);
    writeFileSync(file, garbage);
    assert.throws(() => readSafetensors(file), /header is not valid JSON/);
    writeFileSync(file, Buffer.from([1, 2, 3]));
    assert.throws(() => readSafetensors(file), /too short/);
    assert.equal(readFileSync(file).length, 3, 'the file is left as it was');
    assert.ok(existsSync(join(path, 'trainer_state.json')));
  });
});

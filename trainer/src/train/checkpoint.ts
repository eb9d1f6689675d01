// Checkpoints: the adapter in PEFT's LoRA layout (loadable by PEFT and vLLM), the optimizer's
// moments, and the trainer state that makes `--resume` continue exactly. A checkpoint is
// written into a temporary folder and renamed into place, so a crash never leaves a half one.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_NAME, RUN_FILES, checkpointName } from '../run/constants';
import type { RunOffsets } from '../run/writer';
import type { Adam } from './adam';
import { ADAPTER_FILES, CheckpointError, writeAdapter } from '../model/adapter';
import type { LoraHead } from '../model/lora';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import type { SelectorState } from './selectors';

export const FILES = { ...ADAPTER_FILES, optimizer: 'optimizer.safetensors', state: 'trainer_state.json' } as const;

export interface TrainerState {
  format: 1;
  step: number;
  seed: number;
  config_sha256: string;
  model: { path: string; vocab: number; hidden: number };
  lora: { rank: number; alpha: number };
  adam_step: number;
  selector: SelectorState;
  /** Byte offsets of the run's JSONL files when this checkpoint was taken. */
  offsets: RunOffsets;
  /** Every random draw derives from (seed, step), so this is the generator's whole state. */
  rng: { seed: number; step: number };
}

export { checkpointName };
export { CheckpointError, LORA_A, LORA_B, adapterConfig, loadAdapter, writeAdapter, type LoadedAdapter } from '../model/adapter';

function writeDurable(file: string, data: string | Buffer): void {
  writeFileSync(file, data);
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function saveCheckpoint(runDir: string, lora: LoraHead, adam: Adam, state: TrainerState): string {
  const root = join(runDir, RUN_FILES.checkpoints);
  const final = join(root, checkpointName(state.step));
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  writeAdapter(tmp, lora, state.model.path);
  const moments: Record<string, { shape: number[]; data: Float64Array }> = {};
  adam.state.m.forEach((m, i) => (moments[`m.${i}`] = { shape: [m.length], data: m }));
  adam.state.v.forEach((v, i) => (moments[`v.${i}`] = { shape: [v.length], data: v }));
  writeSafetensors(join(tmp, FILES.optimizer), moments);
  writeDurable(join(tmp, FILES.state), JSON.stringify(state, null, 2) + '\n');
  for (const f of [FILES.adapter, FILES.adapterConfig, FILES.optimizer]) {
    const fd = openSync(join(tmp, f), 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  return final;
}

/** The newest complete checkpoint of a run; unfinished `.tmp` folders are ignored. */
export function latestCheckpoint(runDir: string): string | undefined {
  const root = join(runDir, RUN_FILES.checkpoints);
  if (!existsSync(root)) return undefined;
  const names = readdirSync(root)
    .filter((n) => CHECKPOINT_NAME.test(n) && existsSync(join(root, n, FILES.state)))
    .sort();
  return names.length ? join(root, names[names.length - 1]) : undefined;
}

export function loadTrainerState(dir: string): TrainerState {
  const file = join(dir, FILES.state);
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as TrainerState;
    if (s.format !== 1 || typeof s.step !== 'number' || !s.offsets) throw new Error('missing fields');
    return s;
  } catch (e) {
    throw new CheckpointError(`${file}: not a trainer state (${(e as Error).message})`);
  }
}

export function loadOptimizer(dir: string, adam: Adam, adamStep: number): void {
  const file = join(dir, FILES.optimizer);
  const { tensors } = readSafetensors(file);
  adam.state.m.forEach((m, i) => {
    const t = tensors[`m.${i}`];
    const u = tensors[`v.${i}`];
    if (!t || !u || t.data.length !== m.length || u.data.length !== m.length) throw new CheckpointError(`${file}: optimizer moments do not match the adapter`);
    m.set(t.data);
    adam.state.v[i].set(u.data);
  });
  adam.state.step = adamStep;
}

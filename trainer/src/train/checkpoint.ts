// Checkpoints: the adapter in PEFT's LoRA layout (loadable by PEFT and vLLM), the optimizer's
// moments, and the trainer state that makes `--resume` continue exactly. A checkpoint is
// written into a temporary folder and renamed into place, so a crash never leaves a half one.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_NAME, RUN_FILES, checkpointName } from '../run/constants';
import type { RunOffsets } from '../run/writer';
import type { Adam } from './adam';
import type { LoraHead } from './lora';
import { readSafetensors, writeSafetensors } from './safetensors';
import type { SelectorState } from './selectors';

export const LORA_A = 'base_model.model.lm_head.lora_A.weight';
export const LORA_B = 'base_model.model.lm_head.lora_B.weight';
export const FILES = { adapter: 'adapter_model.safetensors', adapterConfig: 'adapter_config.json', optimizer: 'optimizer.safetensors', state: 'trainer_state.json' } as const;

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

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export { checkpointName };

function writeDurable(file: string, data: string | Buffer): void {
  writeFileSync(file, data);
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function adapterConfig(lora: { rank: number; alpha: number }, baseModel: string): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: lora.rank,
    lora_alpha: lora.alpha,
    lora_dropout: 0,
    target_modules: ['lm_head'],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_rslora: false,
    use_dora: false,
    revision: null,
  };
}

export function writeAdapter(dir: string, lora: LoraHead, baseModel: string): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, FILES.adapter), { [LORA_A]: { shape: [lora.rank, lora.hidden], data: lora.A }, [LORA_B]: { shape: [lora.vocab, lora.rank], data: lora.B } }, { format: 'pt' });
  writeFileSync(join(dir, FILES.adapterConfig), JSON.stringify(adapterConfig(lora, baseModel), null, 2) + '\n');
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

export interface LoadedAdapter {
  A: Float32Array;
  B: Float32Array;
  rank: number;
  alpha: number;
}

/** Loads an adapter and checks it fits the model (and the configured rank, when given). */
export function loadAdapter(dir: string, model: { vocab: number; hidden: number }, rank?: number): LoadedAdapter {
  const file = join(dir, FILES.adapter);
  const cfgFile = join(dir, FILES.adapterConfig);
  if (!existsSync(file)) throw new CheckpointError(`${dir}: no ${FILES.adapter}; is this a checkpoint folder?`);
  if (!existsSync(cfgFile)) throw new CheckpointError(`${dir}: no ${FILES.adapterConfig}`);
  let cfg: { r?: number; lora_alpha?: number; target_modules?: string[] };
  try {
    cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`${cfgFile}: not valid JSON (${(e as Error).message})`);
  }
  if (!cfg.target_modules?.includes('lm_head')) throw new CheckpointError(`${cfgFile}: target_modules must include "lm_head"; this adapter targets ${JSON.stringify(cfg.target_modules)}`);
  const { tensors } = readSafetensors(file);
  const A = tensors[LORA_A];
  const B = tensors[LORA_B];
  if (!A || !B) throw new CheckpointError(`${file}: expected tensors ${LORA_A} and ${LORA_B}, found ${Object.keys(tensors).join(', ') || 'none'}`);
  const r = A.shape[0];
  if (A.shape.length !== 2 || B.shape.length !== 2 || B.shape[1] !== r || cfg.r !== r) {
    throw new CheckpointError(`${file}: inconsistent LoRA shapes A ${JSON.stringify(A.shape)}, B ${JSON.stringify(B.shape)} for r = ${cfg.r}`);
  }
  if (A.shape[1] !== model.hidden || B.shape[0] !== model.vocab) {
    throw new CheckpointError(
      `${dir}: the adapter is for a model with hidden size ${A.shape[1]} and vocabulary ${B.shape[0]}; this model has hidden size ${model.hidden} and vocabulary ${model.vocab}`,
    );
  }
  if (rank !== undefined && r !== rank) throw new CheckpointError(`${dir}: the adapter has rank ${r}, the config's algorithm.lora.rank is ${rank}`);
  if (!(A.data instanceof Float32Array) || !(B.data instanceof Float32Array)) throw new CheckpointError(`${file}: adapter tensors must be F32`);
  return { A: A.data, B: B.data, rank: r, alpha: cfg.lora_alpha ?? r };
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

// A LoRA adapter on the LM head in PEFT's layout (adapter_model.safetensors and
// adapter_config.json, loadable by PEFT and vLLM): written by training checkpoints and
// `export`, read by `--resume`, `eval --adapter`, `serve --adapter` and the LLM judge.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoraHead } from './lora';
import { readSafetensors, writeSafetensors } from './safetensors';

export const LORA_A = 'base_model.model.lm_head.lora_A.weight';
export const LORA_B = 'base_model.model.lm_head.lora_B.weight';
export const ADAPTER_FILES = { adapter: 'adapter_model.safetensors', adapterConfig: 'adapter_config.json' } as const;
const FILES = ADAPTER_FILES;

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
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


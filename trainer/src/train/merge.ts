// `agent-tune export CKPT --merged OUT`: a model folder whose LM head weight is
//   W' = W + (alpha / r) · B · A
// so any runtime that loads the base model loads the tuned one, no adapter support needed.
// The merged weight is a new initializer wired into the head's MatMul/Gemm; with tied
// embeddings the embedding table itself is left as it was.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { openModelFolder } from '../model/folder';
import { ExternalData, EXTERNAL, tensorBytes, type RawTensor } from '../model/external-data';
import { findHeadInput, num, readOnnx, writeOnnx, type Model } from '../model/onnx-graph';
import { loadAdapter, loadTrainerState } from './checkpoint';

const FLOAT = 1;

/** The float32 values of an initializer, wherever the file keeps them. */
function tensorValues(t: RawTensor, modelFile: string): Float32Array {
  if (t.dataType !== FLOAT) throw new Error(`${modelFile}: the LM head weight ${t.name} is not float32; merging needs a float32 head`);
  const bytes = tensorBytes(t, dirname(modelFile));
  if (bytes.length === 0) throw new Error(`${modelFile}: the LM head weight ${t.name} holds no data`);
  const size = t.dims.reduce((a: number, d) => a * num(d), 1);
  if (bytes.length !== size * 4) throw new Error(`${modelFile}: the LM head weight ${t.name} has ${bytes.length} bytes, not the ${size * 4} of its shape`);
  return new Float32Array(Uint8Array.from(bytes).buffer);
}

export interface MergeResult {
  outDir: string;
  hidden: number;
  vocab: number;
  rank: number;
}

export function mergeAdapter(checkpoint: string, outDir: string, modelRef?: string, cwd?: string): MergeResult {
  const state = existsSync(join(checkpoint, 'trainer_state.json')) ? loadTrainerState(checkpoint) : undefined;
  const ref = modelRef ?? state?.model.path;
  if (!ref) throw new Error(`${checkpoint}: no trainer_state.json names the base model; pass --model`);
  const folder = openModelFolder(ref, cwd);
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new Error(`${outDir} exists and is not empty; choose a new folder`);
  const model: Model = readOnnx(folder.onnxFile);
  const found = findHeadInput(model);
  const head = found.head;
  const inits = new Map(model.graph.initializer.map((t) => [t.name, t as RawTensor]));
  const wIndex = head.input[0] === found.tensor ? 1 : 0;
  const wName = head.input[wIndex];

  // Layout of the head weight: [hidden, vocab] for MatMul(h, W); [vocab, hidden] for Gemm
  // with transB and for a Transpose of a tied embedding.
  let base: Float32Array;
  let vocabMajor: boolean;
  let dims: number[];
  let source: RawTensor;
  const transB = head.opType === 'Gemm' && num(head.attribute.find((a) => a.name === 'transB')?.i) === 1;
  const direct = inits.get(wName);
  if (direct) {
    source = direct;
    base = tensorValues(direct, folder.onnxFile);
    dims = direct.dims.map(num);
    vocabMajor = transB;
  } else {
    const transpose = model.graph.node.find((n) => n.output.includes(wName) && n.opType === 'Transpose');
    const emb = transpose && inits.get(transpose.input[0]);
    if (!emb) throw new Error(`${folder.onnxFile}: cannot find the LM head weight ${wName}`);
    source = emb;
    base = tensorValues(emb, folder.onnxFile);
    dims = emb.dims.map(num);
    vocabMajor = true;
  }
  const [vocab, hidden] = vocabMajor ? dims : [dims[1], dims[0]];
  const adapter = loadAdapter(checkpoint, { vocab, hidden });
  const s = adapter.alpha / adapter.rank;
  const merged = new Float32Array(vocab * hidden);
  for (let i = 0; i < vocab; i++) {
    for (let j = 0; j < hidden; j++) {
      let delta = 0;
      for (let k = 0; k < adapter.rank; k++) delta += adapter.B[i * adapter.rank + k] * adapter.A[k * hidden + j];
      const at = vocabMajor ? i * hidden + j : j * vocab + i;
      merged[at] = base[at] + s * delta;
    }
  }
  const name = `${wName}.lora_merged`;
  const tensor: RawTensor = {
    name,
    dims: vocabMajor ? [vocab, hidden] : [hidden, vocab],
    dataType: FLOAT,
    externalData: [],
  };
  model.graph.initializer.push(tensor);
  wireMergedWeight(model, head, wIndex, name);
  // The old head weight goes when nothing else reads it (a tied embedding still does).
  if (!model.graph.node.some((n) => n.input.includes(wName))) model.graph.initializer = model.graph.initializer.filter((t) => t.name !== wName);

  mkdirSync(outDir, { recursive: true });
  copyTree(folder.dir, outDir, new Set([folder.onnxFile]));
  const outOnnx = join(outDir, relative(folder.dir, folder.onnxFile));
  mkdirSync(dirname(outOnnx), { recursive: true });
  // The merged weight goes where the head weight was: after the others in the copied data
  // file, or inline in a model that keeps its weights inline.
  const bytes = new Uint8Array(merged.buffer);
  const location = source.dataLocation === EXTERNAL ? source.externalData.find((e) => e.key === 'location')?.value : undefined;
  if (location) {
    const data = new ExternalData(dirname(outOnnx), location, false);
    try {
      data.put(tensor, bytes);
    } finally {
      data.close();
    }
  } else {
    tensor.rawData = bytes;
  }
  writeOnnx(outOnnx, model);
  return { outDir, hidden, vocab, rank: adapter.rank };
}

/**
 * Points the head at the merged weight. For a tied head (MatMul(h, Transpose(E))) the merged
 * [vocab, hidden] weight goes through a Transpose of its own; the embedding keeps E.
 */
function wireMergedWeight(model: Model, head: Model['graph']['node'][number], wIndex: number, merged: string): void {
  const producer = model.graph.node.find((n) => n.output.includes(head.input[wIndex]));
  if (!producer || producer.opType !== 'Transpose') {
    head.input[wIndex] = merged;
    return;
  }
  const out = `${merged}.transposed`;
  model.graph.node.splice(model.graph.node.indexOf(head), 0, { input: [merged], output: [out], name: `${merged}/Transpose`, opType: 'Transpose', attribute: producer.attribute });
  head.input[wIndex] = out;
}

function copyTree(from: string, to: string, skip: Set<string>): void {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    if (skip.has(src)) continue;
    if (statSync(src).isDirectory()) {
      mkdirSync(dst, { recursive: true });
      copyTree(src, dst, skip);
    } else {
      copyFileSync(src, dst);
    }
  }
}

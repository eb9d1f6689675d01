// Reads and edits ONNX model protobufs: inspection for `model info`, diagnosis of files the
// runtime refuses, and exposing the LM head's input as `last_hidden_state`.
//
// Route: protobufjs (the maintained Protocol Buffers runtime for JavaScript, also what
// onnxruntime-web uses) with the official onnx.proto of ONNX 1.23, compiled once to the
// JSON descriptor onnx-proto.json by protobufjs itself:
//   node -e "console.log(JSON.stringify(require('protobufjs').loadSync('onnx.proto').toJSON()))"
// The JSON form bundles with esbuild and needs only protobufjs/light (no .proto parser) at
// run time. The npm package onnx-proto ships an older schema on protobufjs 6, which would
// drop fields of newer IR versions on a rewrite. A current schema round-trips a model byte
// for byte, and weights in external data are never read or written.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Root, type Type } from 'protobufjs/light';
import descriptor from './onnx-proto.json';

const root = Root.fromJSON(descriptor);
const ModelProto: Type = root.lookupType('onnx.ModelProto');

/** A protobuf int64 as decoded: a number, or a long.js Long for large values. */
type Int64 = number | { toNumber(): number };

export interface Dim {
  dimValue?: Int64;
  dimParam?: string;
}
export interface ValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim: Dim[] } } };
}
export interface Node {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute: { name: string; i?: Int64 }[];
}
export interface Tensor {
  name: string;
  dims: Int64[];
  dataType: number;
  dataLocation?: number;
  externalData: { key: string; value: string }[];
}
export interface Graph {
  node: Node[];
  input: ValueInfo[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
  initializer: Tensor[];
}
export interface Model {
  irVersion?: Int64;
  producerName?: string;
  producerVersion?: string;
  opsetImport: { domain?: string; version: Int64 }[];
  graph: Graph;
}

/** The ONNX TensorProto.DataType codes we name; the rest print as numbers. */
const ELEM_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};
const FLOAT = 1;
const EXTERNAL = 1;

export class OnnxFileError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'OnnxFileError';
  }
}

export function num(v: Int64 | undefined): number {
  return v == null ? 0 : typeof v === 'number' ? v : v.toNumber();
}

export function elemTypeName(code: number | undefined): string {
  return code == null ? 'unknown' : ELEM_TYPES[code] ?? `type ${code}`;
}

/** Decodes a model file; a file that is not a whole ONNX protobuf gets one clear error. */
export function readOnnx(file: string): Model {
  if (!existsSync(file)) throw new OnnxFileError(file, 'no such file (expected an ONNX model)');
  const bytes = readFileSync(file);
  let model: Model;
  try {
    model = ModelProto.decode(bytes) as unknown as Model;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const truncated = /index out of range|invalid wire type/i.test(why);
    throw new OnnxFileError(file, truncated
      ? `truncated or corrupt: the ONNX protobuf ends unexpectedly (${bytes.length} bytes read; ${why})`
      : `not an ONNX model: ${why}`);
  }
  if (!model.graph || (model.graph.node.length === 0 && model.graph.output.length === 0)) {
    throw new OnnxFileError(file, 'not an ONNX model: it holds no graph');
  }
  return model;
}

export function encodeOnnx(model: Model): Uint8Array {
  return ModelProto.encode(model as never).finish();
}

/** A temporary file beside `file`, so that external data resolves the same and rename is atomic. */
export function tempBeside(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
}

/** Writes a model atomically: a crash mid-write leaves the old file in place. */
export function writeOnnx(file: string, model: Model): void {
  const tmp = tempBeside(file);
  writeFileSync(tmp, encodeOnnx(model));
  renameSync(tmp, file);
}

export interface IoInfo {
  name: string;
  type: string;
  shape: (number | string)[];
}

function ioInfo(v: ValueInfo): IoInfo {
  const t = v.type?.tensorType;
  return {
    name: v.name,
    type: elemTypeName(t?.elemType),
    shape: (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? num(d.dimValue) : '?')),
  };
}

export function graphInputs(model: Model): IoInfo[] {
  const inits = new Set(model.graph.initializer.map((t) => t.name));
  return model.graph.input.filter((v) => !inits.has(v.name)).map(ioInfo);
}

export function graphOutputs(model: Model): IoInfo[] {
  return model.graph.output.map(ioInfo);
}

/**
 * How the export stores its matrix weights: `q4` (MatMulNBits, 4-bit blocks), `int8`
 * (MatMulInteger or QLinearMatMul, onnxruntime's dynamic and static quantization), `float16`,
 * or `none` (float32).
 */
export function quantization(model: Model): 'q4' | 'int8' | 'float16' | 'none' {
  const ops = new Set(model.graph.node.map((n) => n.opType));
  if (ops.has('MatMulNBits')) return 'q4';
  if (ops.has('MatMulInteger') || ops.has('QLinearMatMul') || ops.has('DynamicQuantizeMatMul')) return 'int8';
  if (model.graph.initializer.some((t) => t.dataType === 10 && t.dims.length === 2)) return 'float16';
  return 'none';
}

/** Elements in floating-point initializers: the model's weights. */
export function countParameters(model: Model): number {
  let n = 0;
  for (const t of model.graph.initializer) {
    if (![1, 10, 11, 16].includes(t.dataType)) continue;
    n += t.dims.reduce((a: number, d) => a * num(d), 1);
  }
  return n;
}

/**
 * Checks that every external-data tensor lies inside its file, so that a truncated or missing
 * weights file is named with the tensor that needed it.
 */
export function externalDataProblem(model: Model, modelFile: string): { file: string; detail: string } | null {
  const dir = dirname(modelFile);
  const sizes = new Map<string, number>();
  for (const t of model.graph.initializer) {
    if (t.dataLocation !== EXTERNAL) continue;
    const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
    const file = join(dir, kv.location ?? '');
    if (!sizes.has(file)) sizes.set(file, existsSync(file) ? statSync(file).size : -1);
    const size = sizes.get(file)!;
    if (size < 0) return { file, detail: `missing (expected the external data of ${modelFile}, tensor ${t.name})` };
    const end = Number(kv.offset ?? 0) + Number(kv.length ?? 0);
    if (end > size) return { file, detail: `truncated: tensor ${t.name} needs bytes up to ${end} but the file has ${size}` };
  }
  return null;
}

// Nodes that pass the LM head's output through unchanged in meaning: a cast to float32, a bias.
const PASS_THROUGH = new Set(['Cast', 'Identity', 'Add']);

/**
 * The LM head's input: walk back from the node that produces `logits` through casts and a
 * bias to the MatMul/Gemm, and take its activation operand (the one that is not a weight).
 */
export function findHeadInput(model: Model, logits = 'logits'): { tensor: string; head: Node; weight?: Tensor } {
  const g = model.graph;
  const producer = new Map<string, Node>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const isConst = (name: string) => inits.has(name) || producer.get(name)?.opType === 'Constant';
  let node = producer.get(logits);
  if (!node) throw new Error(`no node produces the output \`${logits}\``);
  for (let hops = 0; node && PASS_THROUGH.has(node.opType) && hops < 4; hops++) {
    const data: string | undefined = node.input.find((i) => i && !isConst(i));
    node = data ? producer.get(data) : undefined;
  }
  // A 4-bit head (com.microsoft MatMulNBits) takes the activations first, its packed weight second.
  if (node?.opType === 'MatMulNBits') return { tensor: node.input[0], head: node };
  if (!node || (node.opType !== 'MatMul' && node.opType !== 'Gemm')) {
    const what = node ? (node.opType === 'Mul' || node.opType === 'MatMulInteger' ? `${node.opType} (an int8-quantized head, whose input cannot be told from its scales)` : node.opType) : 'a graph input';
    throw new Error(`\`${logits}\` is not produced by a MatMul, Gemm or MatMulNBits (an LM head); found ${what}`);
  }
  const [a, b] = node.input;
  // The weight is the constant operand, or the transposed embedding when weights are tied.
  const aIsWeight = isConst(a) || producer.get(a)?.opType === 'Transpose';
  const tensor = aIsWeight ? b : a;
  const weightName = aIsWeight ? a : b;
  return { tensor, head: node, weight: inits.get(weightName) };
}

/** The hidden size at the LM head: its weight's shape, a recorded shape, or the caller's hint. */
function headHiddenSize(model: Model, found: ReturnType<typeof findHeadInput>, hint?: number): number | undefined {
  const vi = [...model.graph.valueInfo, ...model.graph.output].find((v) => v.name === found.tensor);
  const dims = vi?.type?.tensorType?.shape?.dim;
  if (dims && dims.length && dims[dims.length - 1].dimValue != null) return num(dims[dims.length - 1].dimValue);
  const w = found.weight;
  if (w && w.dims.length === 2) {
    const transB = found.head.opType === 'Gemm' && num(found.head.attribute.find((x) => x.name === 'transB')?.i) === 1;
    const inFirst = found.head.input[0] === found.tensor;
    // MatMul(x, W): W is [hidden, vocab]; MatMul(W, x) does not occur in LM heads.
    if (inFirst) return num(w.dims[transB ? 1 : 0]);
  }
  return hint;
}

/**
 * Adds a `last_hidden_state` graph output holding the LM head's input, typed float32 with the
 * batch and sequence dims of `logits`. Returns false if the model already has it.
 */
export function exposeHiddenState(model: Model, opts: { hiddenSize?: number; name?: string } = {}): boolean {
  const name = opts.name ?? 'last_hidden_state';
  const g = model.graph;
  if (g.output.some((o) => o.name === name)) return false;
  const logitsOut = g.output.find((o) => o.name === 'logits');
  if (!logitsOut) throw new Error('the graph has no `logits` output');
  const found = findHeadInput(model);
  const hidden = headHiddenSize(model, found, opts.hiddenSize);
  const logitsDims = logitsOut.type?.tensorType?.shape?.dim ?? [];
  const dims: Dim[] = [logitsDims[0] ?? { dimParam: 'batch_size' }, logitsDims[1] ?? { dimParam: 'sequence_length' }];
  dims.push(hidden ? { dimValue: hidden } : { dimParam: 'hidden_size' });

  const known = [...g.valueInfo, ...g.input, ...g.output].find((v) => v.name === found.tensor);
  const srcType = known?.type?.tensorType?.elemType ?? FLOAT;
  let source = found.tensor;
  if (source !== name) {
    if (g.node.some((n) => n.output.includes(name)) || g.input.some((i) => i.name === name)) {
      throw new Error(`a tensor named \`${name}\` already exists and is not the LM head's input`);
    }
    // A new node names the tensor; a cast when the head runs in reduced precision.
    const cast = srcType !== FLOAT;
    // Right after the tensor's producer, keeping the node list in topological order.
    const at = g.node.findIndex((n) => n.output.includes(source)) + 1;
    g.node.splice(at, 0, {
      input: [source], output: [name], name: `expose_${name}`, opType: cast ? 'Cast' : 'Identity',
      domain: '', attribute: cast ? [{ name: 'to', i: FLOAT, type: 2 } as never] : [],
    });
    source = name;
  } else if (srcType !== FLOAT) {
    throw new Error(`\`${name}\` is ${elemTypeName(srcType)}; the runtime needs float32`);
  }
  g.output.push({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims } } } });
  return true;
}

/** Removes a graph output (the tensor stays inside the graph). Returns whether it was there. */
export function removeOutput(model: Model, name: string): boolean {
  const i = model.graph.output.findIndex((o) => o.name === name);
  if (i < 0) return false;
  model.graph.output.splice(i, 1);
  return true;
}

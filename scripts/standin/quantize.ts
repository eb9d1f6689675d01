// Weight-only quantized variants of an ONNX decoder, in the two forms ONNX exports of real
// models ship (transformers.js `model_quantized.onnx` and `model_q4.onnx`):
//   int8: DynamicQuantizeLinear on the activations and MatMulInteger against int8 weights with
//         one symmetric scale per tensor, as onnxruntime's dynamic quantization writes it;
//   q4:   com.microsoft MatMulNBits, 4-bit weights in blocks of 32 along K with a float scale
//         each (symmetric, zero point 8).
// Every MatMul whose right operand is a float32 [K, N] initializer is rewritten; the embedding
// Gather and the norms stay float32. Weights are written to onnx/model.onnx_data.
import { dirname } from 'node:path';
import { ExternalData, tensorBytes, type RawTensor } from '../../trainer/src/model/external-data';
import { num, readOnnx, writeOnnx, type Model, type Node } from '../../trainer/src/model/onnx-graph';

export type QuantKind = 'int8' | 'q4';

const FLOAT = 1, UINT8 = 2, INT8 = 3, INT_ATTR = 2, BLOCK = 32;

function floats(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

const intAttr = (name: string, i: number) => ({ name, i, type: INT_ATTR }) as never;

function q4(w: Float32Array, K: number, N: number): { packed: Uint8Array; scales: Float32Array } {
  const blocks = Math.ceil(K / BLOCK);
  const packed = new Uint8Array(N * blocks * (BLOCK / 2));
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      for (let k = b * BLOCK; k < Math.min(K, (b + 1) * BLOCK); k++) amax = Math.max(amax, Math.abs(w[k * N + n]));
      const scale = amax / 7 || 1;
      scales[n * blocks + b] = scale;
      const base = (n * blocks + b) * (BLOCK / 2);
      for (let j = 0; j < BLOCK; j++) {
        const k = b * BLOCK + j;
        const q = k < K ? Math.max(0, Math.min(15, Math.round(w[k * N + n] / scale) + 8)) : 8;
        packed[base + (j >> 1)] |= j & 1 ? q << 4 : q;
      }
    }
  }
  return { packed, scales };
}

/**
 * Moves every weight of `src` into one `model.onnx_data` beside `dest`, the layout Optimum
 * writes (PyTorch's exporter writes a file per tensor once a model passes 2 GB).
 */
export function packWeights(src: string, dest: string): void {
  const model = readOnnx(src) as Model & { graph: { initializer: RawTensor[] } };
  const data = new ExternalData(dirname(dest), 'model.onnx_data', true);
  try {
    for (const t of model.graph.initializer) {
      const bytes = tensorBytes(t, dirname(src));
      if (bytes.length >= 1024) data.put(t, bytes);
    }
  } finally {
    data.close();
  }
  writeOnnx(dest, model);
}

/** Rewrites `src` (an ONNX decoder) as a quantized model at `dest`; returns the MatMuls rewritten. */
export function quantizeModel(src: string, dest: string, kind: QuantKind): number {
  const model = readOnnx(src) as Model & { graph: { initializer: RawTensor[] } };
  const srcDir = dirname(src);
  const inits = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const data = new ExternalData(dirname(dest), 'model.onnx_data', true);
  const nodes: Node[] = [];
  const replaced = new Set<string>();
  const added: RawTensor[] = [];
  let count = 0;
  try {
    for (const node of model.graph.node) {
      const w = node.opType === 'MatMul' && !node.domain ? inits.get(node.input[1]) : undefined;
      if (!w || w.dataType !== FLOAT || w.dims.length !== 2 || num(w.dims[0]) < BLOCK) {
        nodes.push(node);
        continue;
      }
      const [K, N] = [num(w.dims[0]), num(w.dims[1])];
      const values = floats(tensorBytes(w, srcDir));
      const name = node.name || `${node.output[0]}_matmul`;
      replaced.add(w.name);
      count++;
      if (kind === 'q4') {
        const { packed, scales } = q4(values, K, N);
        const qb: RawTensor = { name: `${w.name}_q4`, dims: [N, Math.ceil(K / BLOCK), BLOCK / 2], dataType: UINT8, externalData: [] };
        const sc: RawTensor = { name: `${w.name}_scales`, dims: [N * Math.ceil(K / BLOCK)], dataType: FLOAT, externalData: [] };
        data.put(qb, packed);
        data.put(sc, new Uint8Array(scales.buffer));
        added.push(qb, sc);
        nodes.push({
          name: `${name}_q4`, opType: 'MatMulNBits', domain: 'com.microsoft',
          input: [node.input[0], qb.name, sc.name], output: node.output,
          attribute: [intAttr('K', K), intAttr('N', N), intAttr('bits', 4), intAttr('block_size', BLOCK)],
        });
      } else {
        let amax = 0;
        for (const v of values) amax = Math.max(amax, Math.abs(v));
        const scale = amax / 127 || 1;
        const q = new Int8Array(values.length);
        for (let i = 0; i < values.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
        const qw: RawTensor = { name: `${w.name}_int8`, dims: [K, N], dataType: INT8, externalData: [] };
        const zp: RawTensor = { name: `${w.name}_zero`, dims: [], dataType: INT8, externalData: [], rawData: new Uint8Array([0]) };
        const ws: RawTensor = { name: `${w.name}_scale`, dims: [], dataType: FLOAT, externalData: [], rawData: new Uint8Array(Float32Array.of(scale).buffer) };
        data.put(qw, new Uint8Array(q.buffer));
        added.push(qw, zp, ws);
        const o = node.output[0];
        nodes.push(
          { name: `${name}_qa`, opType: 'DynamicQuantizeLinear', domain: '', input: [node.input[0]], output: [`${o}_qa`, `${o}_qa_scale`, `${o}_qa_zero`], attribute: [] },
          { name: `${name}_int`, opType: 'MatMulInteger', domain: '', input: [`${o}_qa`, qw.name, `${o}_qa_zero`, zp.name], output: [`${o}_i32`], attribute: [] },
          { name: `${name}_cast`, opType: 'Cast', domain: '', input: [`${o}_i32`], output: [`${o}_f32`], attribute: [intAttr('to', FLOAT)] },
          { name: `${name}_scale`, opType: 'Mul', domain: '', input: [`${o}_qa_scale`, ws.name], output: [`${o}_s`], attribute: [] },
          { name: `${name}_out`, opType: 'Mul', domain: '', input: [`${o}_f32`, `${o}_s`], output: [o], attribute: [] },
        );
      }
    }
    // What no MatMul needs any more goes; the rest moves to the new data file.
    const stillUsed = new Set(nodes.flatMap((n) => n.input));
    const kept = model.graph.initializer.filter((t) => !replaced.has(t.name) || stillUsed.has(t.name));
    for (const t of kept) {
      const bytes = tensorBytes(t, srcDir);
      if (bytes.length >= 1024) data.put(t, bytes);
    }
    model.graph.initializer = [...kept, ...added];
    model.graph.node = nodes;
    if (kind === 'q4' && !model.opsetImport.some((o) => o.domain === 'com.microsoft')) model.opsetImport.push({ domain: 'com.microsoft', version: 1 });
  } finally {
    data.close();
  }
  writeOnnx(dest, model);
  return count;
}

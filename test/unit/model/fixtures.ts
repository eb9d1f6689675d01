// Shared by the model runtime tests: the embedded tiny model, copies of it to break or
// rewrite, and prompts of varied lengths.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatTemplate } from '../../../trainer/src/model/chat';
import { openModelFolder, resolveModelRef } from '../../../trainer/src/model/folder';
import { Tokenizer } from '../../../trainer/src/model/tokenizer';
import { readOnnx, writeOnnx, type Model } from '../../../trainer/src/model/onnx-graph';

export const TINY = 'builtin:tiny-math';

/**
 * onnxruntime threads for the runtime tests: AGENT_TUNE_THREADS when set (the engine's own
 * default too), else 1. `npm test` runs these tests again at 4, to cover a second kernel split.
 */
export const THREADS = Number(process.env.AGENT_TUNE_THREADS) || 1;
export const TINY_DIR = resolveModelRef(TINY);

/** A temporary copy of the tiny model; remove it with `rmSync(dir, { recursive: true })`. */
export function copyTiny(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-model-'));
  cpSync(TINY_DIR, dir, { recursive: true });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Edits a copy's onnx/model.onnx through the graph code. */
export function editGraph(dir: string, edit: (m: Model) => void): void {
  const file = join(dir, 'onnx', 'model.onnx');
  const m = readOnnx(file);
  edit(m);
  writeOnnx(file, m);
}

/**
 * Moves every weight of a copy into onnx/model.onnx_data, as exports of large models store
 * them. Returns the data file's path.
 */
export function toExternalData(dir: string): string {
  const file = join(dir, 'onnx', 'model.onnx');
  const dataFile = join(dir, 'onnx', 'model.onnx_data');
  const m = readOnnx(file) as Model & { graph: { initializer: (Model['graph']['initializer'][number] & { rawData?: Uint8Array })[] } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of m.graph.initializer) {
    if (!t.rawData || t.rawData.length < 64) continue;
    const pad = (64 - (offset % 64)) % 64;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(t.rawData);
    t.externalData = [
      { key: 'location', value: 'model.onnx_data' },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(t.rawData.length) },
    ];
    t.dataLocation = 1;
    offset += t.rawData.length;
    delete t.rawData;
  }
  writeFileSync(dataFile, Buffer.concat(chunks));
  writeOnnx(file, m);
  return dataFile;
}

/** Chat-free prompts of varied lengths: token ids from the tokenizer's range. */
export function prompts(n: number, vocab: number, seed = 1): number[][] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: n }, (_, i) => Array.from({ length: 3 + ((i * 7) % 13) }, () => next() % vocab));
}

/** log_softmax(row / t) in float64. */
export function logSoftmax(row: Float32Array, t = 1): Float64Array {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v / t);
  let s = 0;
  for (const v of row) s += Math.exp(v / t - m);
  const lse = m + Math.log(s);
  return Float64Array.from(row, (v) => v / t - lse);
}

/** Short arithmetic questions shared by the runtime and serving tests. */
export const QUESTIONS = [
  'What is 7 + 5?',
  'A farmer has 128 sheep and buys 45 more. How many sheep does he have now?',
  'Compute 9 * 8.',
  'Tom had 3021 marbles and gave away 1187. How many are left?',
  'A box holds 12 eggs. How many eggs are in 15 boxes?',
  'What is 100 - 37?',
  'Sara reads 24 pages a day for 6 days, then 13 more pages. How many pages did she read?',
  'Divide 144 by 12.',
];

/** Token ids of chat prompts in the model's own template, ready for an assistant turn. */
export function chatPrompts(n: number): number[][] {
  const tok = Tokenizer.fromDir(TINY_DIR);
  const folder = openModelFolder(TINY);
  const tpl = ChatTemplate.fromConfig(folder.tokenizerConfig);
  return Array.from({ length: n }, (_, i) => {
    const q = QUESTIONS[i % QUESTIONS.length] + (i >= QUESTIONS.length ? ` (${i})` : '');
    return tok.encode(tpl.render([{ role: 'user', content: q }], { addGenerationPrompt: true }));
  });
}

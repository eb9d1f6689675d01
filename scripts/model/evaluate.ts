// Measures builtin:tiny-math on builtin:arith/test as the ReAct workflow runs it: the model's own
// chat template and tokenizer, the real calculator, ONNX Runtime. Greedy and at temperature 1.
// Usage: evaluate.ts MODEL_DIR TASKS_JSONL OUT_JSON [LIMIT]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '../../trainer/src/model/tokenizer';
import { ChatTemplate } from '../../trainer/src/model/chat';
import { calculate } from '../../trainer/src/tools/calculator';
import { rng, type ArithTask } from '../../trainer/src/tasks/arith';
import type { Message, ToolCall } from '../../trainer/src/run/events';
import { TOOLS, prompt } from './transcripts';

const MAX_TURNS = 3;
const MAX_NEW_TOKENS = 96;
const TOOL_CALL = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g;
const ANSWER = /The answer is\s*(-?[\d,]*\.?\d+(?:\/\d+)?)/;

interface Model {
  session: ort.InferenceSession;
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/** Greedy or seeded sampling of one assistant turn, continuing from the cache of earlier turns. */
class Conversation {
  private ids: number[] = [];
  private past: Record<string, ort.Tensor> = {};

  constructor(
    private readonly m: Model,
    private readonly stop: Set<number>,
  ) {
    this.reset();
  }

  private reset(): void {
    this.ids = [];
    for (let i = 0; i < this.m.layers; i++) {
      for (const kind of ['key', 'value']) this.past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, this.m.kvHeads, 0, this.m.headDim]);
    }
  }

  private async forward(newIds: number[]): Promise<Float32Array> {
    const total = this.ids.length + newIds.length;
    const out = await this.m.session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(newIds.map(BigInt)), [1, newIds.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(newIds.map((_, i) => BigInt(this.ids.length + i))), [1, newIds.length]),
      ...this.past,
    });
    for (let i = 0; i < this.m.layers; i++) {
      for (const kind of ['key', 'value']) this.past[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`];
    }
    this.ids.push(...newIds);
    const logits = out.logits.data as Float32Array;
    return logits.subarray(logits.length - this.m.vocab);
  }

  /** Continues to `promptIds` (reusing the cache where the tokens agree) and samples until a stop token. */
  async generate(promptIds: number[], temperature: number, random: () => number, first?: number): Promise<number[]> {
    let shared = 0;
    while (shared < this.ids.length && shared < promptIds.length && this.ids[shared] === promptIds[shared]) shared++;
    if (shared < this.ids.length) this.reset();
    let logits = await this.forward(promptIds.slice(this.ids.length));
    const out: number[] = [];
    for (let n = 0; n < MAX_NEW_TOKENS; n++) {
      const next = n === 0 && first !== undefined ? first : temperature === 0 ? argmax(logits) : sample(logits, temperature, random);
      out.push(next);
      if (this.stop.has(next)) break;
      logits = await this.forward([next]);
    }
    return out;
  }
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

function sample(x: Float32Array, temperature: number, random: () => number): number {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  const p = Array.from(x, (v) => Math.exp((v - max) / temperature));
  let u = random() * p.reduce((a, b) => a + b, 0);
  for (let i = 0; i < p.length; i++) if ((u -= p[i]) <= 0) return i;
  return p.length - 1;
}

function parseCalls(text: string): ToolCall[] | undefined {
  const calls: ToolCall[] = [];
  for (const m of text.matchAll(TOOL_CALL)) {
    try {
      const v = JSON.parse(m[1]);
      if (typeof v?.name !== 'string' || typeof v?.arguments !== 'object' || v.arguments === null) return undefined;
      calls.push({ id: `call_${calls.length}`, name: v.name, arguments: v.arguments });
    } catch {
      return undefined;
    }
  }
  return calls;
}

interface Episode {
  id: string;
  difficulty: number;
  success: boolean;
  tool_calls: number;
  format_error: boolean;
  answer: string | null;
  expected: string;
  transcript: string;
}

/** `forceTool`: the first turn starts with `<tool_call>`, to measure what always calling the calculator would give. */
async function episode(task: ArithTask, chat: ChatTemplate, tok: Tokenizer, conv: Conversation, temperature: number, random: () => number, forceTool: boolean): Promise<Episode> {
  const messages: Message[] = prompt(task.question);
  const expected = task.answer.split('####').pop()!.trim();
  let toolCalls = 0;
  let formatError = false;
  let answer: string | null = null;
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const ids = tok.encode(chat.render(messages, { tools: TOOLS, addGenerationPrompt: true }));
    const first = forceTool && turn === 0 ? tok.tokenId('<tool_call>') : undefined;
    const text = tok.decode(await conv.generate(ids, temperature, random, first), { skipSpecial: true });
    const calls = parseCalls(text);
    if (calls === undefined) formatError = true;
    messages.push({ role: 'assistant', content: text, ...(calls && calls.length > 0 ? { tool_calls: calls } : {}) });
    if (!calls || calls.length === 0) {
      answer = ANSWER.exec(text)?.[1]?.replace(/,/g, '') ?? null;
      break;
    }
    for (const call of calls) {
      toolCalls++;
      const r = call.name === 'calculator' ? calculate(String(call.arguments.expression ?? '')) : { ok: false as const, error: `unknown tool ${call.name}` };
      messages.push({ role: 'tool', content: r.ok ? r.value : `Error: ${r.error}`, tool_call_id: call.id, name: call.name });
    }
  }
  return {
    id: task.id,
    difficulty: task.difficulty,
    success: answer === expected,
    tool_calls: toolCalls,
    format_error: formatError,
    answer,
    expected,
    transcript: chat.render(messages, { tools: [] }).split('<|im_start|>user\n').slice(1).join('<|im_start|>user\n'),
  };
}

function summary(eps: Episode[]) {
  const rate = (xs: Episode[], f: (e: Episode) => boolean) => (xs.length === 0 ? null : Number((xs.filter(f).length / xs.length).toFixed(4)));
  const withTool = eps.filter((e) => e.tool_calls > 0);
  const direct = eps.filter((e) => e.tool_calls === 0);
  return {
    episodes: eps.length,
    success: rate(eps, (e) => e.success),
    tool_call_rate: rate(eps, (e) => e.tool_calls > 0),
    success_with_tool: rate(withTool, (e) => e.success),
    success_direct: rate(direct, (e) => e.success),
    format_errors: rate(eps, (e) => e.format_error),
  };
}

async function main(): Promise<void> {
  const [modelDir, tasksFile, outFile, limit] = process.argv.slice(2);
  if (!modelDir || !tasksFile || !outFile) {
    console.error('usage: evaluate.ts MODEL_DIR TASKS_JSONL OUT_JSON [LIMIT]');
    process.exit(2);
  }
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  const tok = Tokenizer.fromDir(modelDir);
  const chat = ChatTemplate.fromConfig(JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'), 'utf8')));
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx/model.onnx'), { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const m: Model = { session, layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocab: config.vocab_size };
  let tasks = readFileSync(tasksFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ArithTask);
  if (limit) tasks = tasks.slice(0, Number(limit));
  const stop = new Set(tok.eosIds);
  const results: Record<string, unknown> = {};
  const started = Date.now();
  const modes = [['greedy', 0, false], ['temperature_1', 1, false], ['greedy_always_tool', 0, true]] as const;
  for (const [name, temperature, forceTool] of modes) {
    const conv = new Conversation(m, stop);
    const random = rng(20240601);
    const eps: Episode[] = [];
    for (const t of tasks) eps.push(await episode(t, chat, tok, conv, temperature, random, forceTool));
    const byDifficulty: Record<string, unknown> = {};
    for (const d of [...new Set(eps.map((e) => e.difficulty))].sort((a, b) => a - b)) byDifficulty[d] = summary(eps.filter((e) => e.difficulty === d));
    results[name] = { ...summary(eps), by_difficulty: byDifficulty, examples: eps.slice(0, 8).map((e) => e.transcript) };
    console.log(`${name}: ${JSON.stringify(summary(eps))}`);
  }
  results.seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

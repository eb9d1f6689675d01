// Data steps of `npm run build:model`:
//   tasks  TASK_DIR            builtin:arith/train and /test as JSONL
//   corpus BUILD_DIR           rendered training transcripts as text (the tokenizer's corpus)
//   encode BUILD_DIR MODEL_DIR token ids and assistant-only loss spans, with the trained tokenizer
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateProblems, toTask, type ArithProblem } from '../../trainer/src/tasks/arith';
import { ChatTemplate } from '../../trainer/src/model/chat';
import { Tokenizer } from '../../trainer/src/model/tokenizer';
import type { Message } from '../../trainer/src/run/events';
import { TOOLS, transcript } from './transcripts';

export const SEEDS = { test: 2, train: 1, sft: 3 };
export const COUNTS = { test: 500, train: 20_000, sft: 36_000 };

export function testProblems(): ArithProblem[] {
  return generateProblems(SEEDS.test, COUNTS.test, new Set(), 'test-');
}

function sftProblems(): ArithProblem[] {
  const exclude = new Set(testProblems().map((p) => p.question));
  return generateProblems(SEEDS.sft, COUNTS.sft, exclude, 'sft-');
}

export function template(): ChatTemplate {
  return new ChatTemplate(readFileSync(join(__dirname, 'chat_template.jinja'), 'utf8'));
}

function writeJsonl(file: string, rows: unknown[]): void {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function tasks(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const test = testProblems();
  const train = generateProblems(SEEDS.train, COUNTS.train, new Set(test.map((p) => p.question)), 'train-');
  writeJsonl(join(dir, 'train.jsonl'), train.map(toTask));
  writeJsonl(join(dir, 'test.jsonl'), test.map(toTask));
  console.log(`tasks: ${train.length} train, ${test.length} test in ${dir}`);
}

function corpus(buildDir: string): void {
  mkdirSync(buildDir, { recursive: true });
  const chat = template();
  const texts = sftProblems().map((p) => chat.render(transcript(p, SEEDS.sft), { tools: TOOLS }));
  writeJsonl(join(buildDir, 'corpus.jsonl'), texts);
  console.log(`corpus: ${texts.length} transcripts`);
}

/**
 * Token ids of a transcript and the [start, end) spans the loss is taken on: every assistant
 * turn's text and its closing `<|im_end|>`. Each rendered turn begins with an added token
 * (`<|im_start|>`), where the tokenizer always splits, so turns are encoded one at a time and
 * joined; `check` confirms that against encoding the whole text.
 */
function encodeTranscript(chat: ChatTemplate, tok: Tokenizer, messages: Message[], check: boolean): { ids: number[]; spans: [number, number][] } {
  const ids: number[] = [];
  const spans: [number, number][] = [];
  let done = '';
  const append = (text: string): void => {
    if (!text.startsWith(done)) throw new Error('chat template output is not incremental');
    ids.push(...tok.encode(text.slice(done.length)));
    done = text;
  };
  const imEnd = tok.tokenId('<|im_end|>');
  for (let k = 2; k < messages.length; k++) {
    if (messages[k].role === 'assistant') {
      append(chat.render(messages.slice(0, k), { tools: TOOLS, addGenerationPrompt: true }));
      const start = ids.length;
      append(chat.render(messages.slice(0, k + 1), { tools: TOOLS }));
      const end = ids.lastIndexOf(imEnd!) + 1;
      if (end <= start) throw new Error('assistant turn without <|im_end|>');
      spans.push([start, end]);
    }
  }
  append(chat.render(messages, { tools: TOOLS }));
  if (check) {
    const whole = tok.encode(done);
    if (whole.length !== ids.length || whole.some((id, i) => id !== ids[i])) throw new Error('turn-by-turn encoding differs from whole-text encoding');
  }
  return { ids, spans };
}

function encode(buildDir: string, modelDir: string): void {
  const chat = template();
  const tok = Tokenizer.fromDir(modelDir);
  const rows = sftProblems().map((p, i) => encodeTranscript(chat, tok, transcript(p, SEEDS.sft), i % 50 === 0));
  writeJsonl(join(buildDir, 'sft.jsonl'), rows);
  writeFileSync(join(buildDir, 'vocab_size'), String(tok.vocabSize));
  // Two prompts of different lengths for the ONNX parity fixture (the shorter one is left-padded).
  const parity = [tok.encode('<|im_start|>assistant\nThe answer is 19.<|im_end|>'), tok.encode('<|im_start|>user\nWhat is 3 * 4?')];
  writeFileSync(join(buildDir, 'parity_tokens.json'), JSON.stringify(parity));
  const lengths = rows.map((r) => r.ids.length);
  const target = rows.reduce((n, r) => n + r.spans.reduce((m, [a, b]) => m + b - a, 0), 0);
  console.log(`encode: ${rows.length} transcripts, ${Math.min(...lengths)}-${Math.max(...lengths)} tokens, ${target} target tokens`);
}

if (require.main === module) {
  const [cmd, a, b] = process.argv.slice(2);
  if (cmd === 'tasks' && a) tasks(a);
  else if (cmd === 'corpus' && a) corpus(a);
  else if (cmd === 'encode' && a && b) encode(a, b);
  else {
    console.error('usage: data.ts tasks TASK_DIR | corpus BUILD_DIR | encode BUILD_DIR MODEL_DIR');
    process.exit(2);
  }
}

// A small workspace on disk for the language-service tests: modules, task files, model
// folders and run directories, all real files read through the real Node host.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Workspace {
  dir: string;
  /** The config's path: relative refs resolve against `dir`. */
  config: string;
  remove(): void;
}

const files: Record<string, string> = {
  'judge.ts': [
    "import type { JudgeInput } from 'agent-tune';",
    'export interface Verdict { ok: boolean }',
    'export type Score = number;',
    'function helper<T>(x: T): T { return x; }',
    "export const judge = { name: 'j', score: (input: JudgeInput): Score => (helper(input.answer) === '1' ? 1 : 0) };",
    'const renamed = 3;',
    'export { renamed as other };',
    'export default function main(): void {}',
    '',
  ].join('\n'),
  'tools.ts': 'export const lookup = { name: "lookup" };\nexport const search = 2;\n',
  'reexport.ts': "export * from './tools';\n",
  'broken.ts': 'export const x = {;\n',
  'grade.cjs': 'module.exports.grade = function grade() {};\nexports.helper = 1;\n',
  'workflow.mjs': 'export async function workflow(ctx) { return ctx; }\n',
  'data/train.jsonl': '{"id": "a", "question": "1+1?", "answer": "2", "difficulty": 0.2}\n{"id": "b", "question": "2+2?", "answer": "4", "difficulty": 0.5}\n',
  'data/bad.jsonl': '{"question": "1+1?", "answer": "2"}\n{"question": oops}\n',
  'data/other.jsonl': '{"problem": "1+1?", "solution": "2"}\n',
  'data/gsm.jsonl': '{"question": "1+1?", "answer": "It is 2."}\n',
  'data/tasks.json': '[{"question": "3+3?", "answer": "6"}]\n',
  'data/empty.jsonl': '',
  'data/fake.parquet': 'hello, not parquet',
  'data/ok.parquet': 'PAR1\u0000\u0000\u0000\u0000PAR1',
  'data/notes.txt': 'question: 1+1\n',
  'model/config.json': '{"model_type": "qwen2", "vocab_size": 10}',
  'model/tokenizer.json': '{}',
  'model/tokenizer_config.json': '{"chat_template": "{{ messages }}"}',
  'model/onnx/model.onnx': 'onnx',
  'model-partial/config.json': '{"model_type": "qwen2"}',
  'model-notemplate/config.json': '{}',
  'model-notemplate/tokenizer.json': '{}',
  'model-notemplate/tokenizer_config.json': '{}',
  'model-notemplate/onnx/model.onnx': 'onnx',
  'runs/20250101-120000-demo/events.jsonl': '',
  'runs/20250102-090000-demo/events.jsonl': '',
  'runs/20250102-090000-demo-2/events.jsonl': '',
  'runs/20250103-000000-other/events.jsonl': '',
  '.hidden.ts': 'export const secret = 1;\n',
  'types.d.ts': 'export declare const t: number;\n',
};

export function makeWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-lang-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  // A large task file whose tail is not JSON: the checks read to the end.
  const record = '{"question": "What is 12 * 34?", "answer": "408"}\n';
  writeFileSync(join(dir, 'data/big.jsonl'), record.repeat(Math.ceil((8 * 1024 * 1024) / record.length)) + 'this tail is not json\n');
  // A large JSON array.
  writeFileSync(join(dir, 'data/big.json'), '[' + Array.from({ length: 60000 }, (_, i) => `{"question": "q${i}", "answer": "${i}"}`).join(',\n') + ']');
  mkdirSync(join(dir, 'data/nested'), { recursive: true });
  // Links count as what they point to; a dangling link is left out of completions.
  symlinkSync(join(dir, 'data'), join(dir, 'linked'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.ts'));
  return { dir, config: join(dir, 'demo.tune.yaml'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Text with `§` marking the cursor: the text without it, and the cursor's offset. */
export function cursor(src: string): { text: string; offset: number } {
  const offset = src.indexOf('§');
  if (offset < 0) throw new Error('no § cursor mark in the text');
  return { text: src.slice(0, offset) + src.slice(offset + 1), offset };
}

export const base = 'name: demo\ntasks:\n  train:\n    path: builtin:arith/train\n';

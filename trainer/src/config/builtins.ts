// The built-in models, task sets, workflows, tools and judges that `builtin:` refs name.
// The config checks, the editor's completions and the runtime's resolution all read this
// list, so a name is valid in a config exactly when the trainer can load it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type BuiltinKind = 'model' | 'tasks' | 'workflow' | 'tool' | 'judge';

export interface Builtin {
  kind: BuiltinKind;
  name: string;
  description: string;
  /** Files shipped with the trainer package, relative to its root (models and task sets). */
  asset?: string;
}

export const BUILTINS: readonly Builtin[] = [
  { kind: 'model', name: 'tiny-math', asset: 'models/tiny-math', description: 'The embedded tiny causal LM, trained to answer arithmetic questions with tool calls. Runs on a laptop CPU.' },
  { kind: 'tasks', name: 'arith/train', asset: 'tasks/arith/train.jsonl', description: 'Generated arithmetic word problems for training, with a `difficulty` feature.' },
  { kind: 'tasks', name: 'arith/test', asset: 'tasks/arith/test.jsonl', description: 'Held-out arithmetic word problems for evaluation, with a `difficulty` feature.' },
  { kind: 'workflow', name: 'react', description: 'ReAct loop: system prompt and tools, then alternate model turns and tool calls until a final answer or `rollout.max_turns`.' },
  { kind: 'tool', name: 'calculator', description: 'Exact arithmetic on big integers and rationals (+ − × ÷ ^, parentheses, percent), parsed, never evaluated as code.' },
  { kind: 'tool', name: 'python', description: '`execute_python_code`: runs python3 in a fresh temporary folder with time, memory, process and output limits.' },
  { kind: 'judge', name: 'math', description: 'Extracts the final answer (boxed, `####`, last number) and compares it numerically or symbolically with the reference.' },
  { kind: 'judge', name: 'gsm8k', description: 'GSM8K grading: the number after `####` in the reference against the last number of the answer.' },
  { kind: 'judge', name: 'exact_match', description: 'The final answer equals the reference after trimming whitespace.' },
  { kind: 'judge', name: 'llm_judge', description: 'A model grades the final answer against the reference with a rubric prompt from `judge.options`.' },
];

/** Human words for a kind, as used in messages. */
export const BUILTIN_KIND_WORDS: Record<BuiltinKind, string> = {
  model: 'model',
  tasks: 'task set',
  workflow: 'workflow',
  tool: 'tool',
  judge: 'judge',
};

export const BUILTIN_PREFIX = 'builtin:';

export function builtinsOf(kind: BuiltinKind): Builtin[] {
  return BUILTINS.filter((b) => b.kind === kind);
}

/** The built-in named by `builtin:<name>` for `kind`, or undefined. */
export function findBuiltin(kind: BuiltinKind, ref: string): Builtin | undefined {
  const name = ref.startsWith(BUILTIN_PREFIX) ? ref.slice(BUILTIN_PREFIX.length) : ref;
  return BUILTINS.find((b) => b.kind === kind && b.name === name);
}

let root: string | undefined;
/**
 * The trainer package's root folder, which holds `models/` and `tasks/`. Found by walking up
 * from this module, so it works from the TypeScript sources, the trainer's bundle and the
 * extension's bundle (whose folder sits beside `trainer/`).
 */
export function trainerRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    for (const candidate of [dir, join(dir, 'trainer')]) {
      const pkg = join(candidate, 'package.json');
      if (existsSync(pkg)) {
        try {
          if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'agent-tune') return (root = candidate);
        } catch {
          // an unreadable package.json is not ours; keep walking up
        }
      }
    }
    if (dirname(dir) === dir) return (root = join(__dirname, '..', '..'));
  }
}

/** Absolute path of a built-in's shipped files, or undefined for code built-ins. */
export function builtinAssetPath(b: Builtin): string | undefined {
  return b.asset ? join(trainerRoot(), b.asset) : undefined;
}

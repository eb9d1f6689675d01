// The built-in judges that `builtin:` refs in `judge.ref` name.
import { checkExactMatch, exactMatchJudge } from './exact_match';
import { checkGsm8k, gsm8kJudge } from './gsm8k';
import { llmJudge, type JudgeContext } from './llm';
import { checkMath, mathJudge } from './math';
import type { JudgeInput, JudgeResult, Verdict } from './types';

/** A rule judge answers at once; a model-graded one (`llm_judge`) asynchronously. */
export type JudgeFunction = (input: JudgeInput) => JudgeResult | Promise<JudgeResult>;
export type RuleJudgeFunction = (input: JudgeInput) => JudgeResult;
type RuleJudgeName = 'math' | 'gsm8k' | 'exact_match';
/** A built-in judge's comparison of one reference with one answer text (`agent-tune verify`). */
export type Checker = (gold: string, pred: string | null, options?: Record<string, unknown>) => Verdict;

const JUDGES: Record<string, { judge: (options: Record<string, unknown>, context: JudgeContext) => JudgeFunction; check?: Checker }> = {
  math: { judge: (o) => mathJudge(o), check: (g, p, o) => checkMath(g, p, o) },
  gsm8k: { judge: (o) => gsm8kJudge(o), check: (g, p, o) => checkGsm8k(g, p, o) },
  exact_match: { judge: (o) => exactMatchJudge(o), check: (g, p, o) => checkExactMatch(g, p, o) },
  llm_judge: { judge: (o, c) => llmJudge(o, c) },
};

export const BUILTIN_JUDGES = Object.keys(JUDGES);

function entry(name: string) {
  const bare = name.replace(/^builtin:/, '');
  const e = JUDGES[bare];
  if (!e) throw new Error(`unknown built-in judge "builtin:${bare}"; known: ${BUILTIN_JUDGES.map((n) => `builtin:${n}`).join(', ')}`);
  return e;
}

/** The judge named `builtin:<name>`, with `judge.options`; `context.dir` is the config's folder. */
export function builtinJudge(name: RuleJudgeName | `builtin:${RuleJudgeName}`, options?: Record<string, unknown>, context?: JudgeContext): RuleJudgeFunction;
export function builtinJudge(name: string, options?: Record<string, unknown>, context?: JudgeContext): JudgeFunction;
export function builtinJudge(name: string, options: Record<string, unknown> = {}, context: JudgeContext = {}): JudgeFunction {
  return entry(name).judge(options, context);
}

/** The comparison behind a built-in judge. */
export function builtinChecker(name: string): Checker {
  const { check } = entry(name);
  if (!check) throw new Error(`builtin:${name.replace(/^builtin:/, '')} grades with a model and has no rule to check a single answer with`);
  return check;
}

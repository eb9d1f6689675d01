// `builtin:exact_match`: the final answer equals the reference as text. The answer is taken
// from \boxed{}, `####` or "the answer is" when present, else the whole final answer; both
// sides are trimmed with runs of whitespace collapsed. Options: `case_sensitive` (default
// false), `extract` (default true; false compares the whole final answer).
import { answerText } from './answer';
import { verdictResult } from './math';
import { extractAnswer } from './math/extract';
import type { JudgeInput, JudgeResult, Verdict } from './types';

export interface ExactMatchOptions {
  case_sensitive?: boolean;
  extract?: boolean;
}

export function checkExactMatch(gold: string, pred: string | null, options: ExactMatchOptions = {}): Verdict {
  const extract = options.extract ?? true;
  const clean = (s: string) => {
    const t = s.trim().replace(/\s+/g, ' ');
    return options.case_sensitive ? t : t.toLowerCase();
  };
  const g = extract ? extractAnswer(gold, { fallback: 'whole' }) : { text: gold, method: 'whole' as const };
  const p = pred === null ? null : extract ? extractAnswer(pred, { fallback: 'whole' }) : { text: pred, method: 'whole' as const };
  const gn = g ? clean(g.text) : null;
  const pn = p ? clean(p.text) : null;
  return {
    correct: gn !== null && pn !== null && gn === pn,
    method: pn === null ? 'no_answer' : 'exact',
    gold: { extracted: g?.text ?? null, normalized: gn, from: g?.method ?? null },
    pred: { extracted: p?.text ?? null, normalized: pn, from: p?.method ?? null },
  };
}

export function exactMatchJudge(options: ExactMatchOptions = {}): (input: JudgeInput) => JudgeResult {
  return (input) => verdictResult(checkExactMatch(input.task.reference, answerText(input), { ...options, ...(input.options as ExactMatchOptions) }));
}

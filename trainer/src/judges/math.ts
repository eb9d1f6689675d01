// `builtin:math`: extracts the final answer (last \boxed{}, ####, "the answer is", the last
// number) and compares it with the reference numerically, symbolically, or as an interval,
// tuple or set. Options: `tolerance` (relative, default 1e-6), `round_match` (default true).
import { answerText } from './answer';
import { answersEqual, type EqualOptions } from './math/equal';
import { extractAnswer } from './math/extract';
import type { JudgeInput, JudgeResult, Verdict } from './types';

export interface MathJudgeOptions {
  tolerance?: number;
  round_match?: boolean;
}

function equalOptions(o: MathJudgeOptions): EqualOptions {
  return { tolerance: o.tolerance, roundMatch: o.round_match };
}

type Extracted = ReturnType<typeof extractAnswer>;

/** The verdict when the reference or the answer has nothing to compare. */
export function unanswered(g: Extracted, p: Extracted): Verdict {
  return {
    correct: false,
    method: g ? 'no_answer' : 'no_reference',
    gold: { extracted: g?.text ?? null, normalized: null, from: g?.method ?? null },
    pred: { extracted: p?.text ?? null, normalized: null, from: p?.method ?? null },
  };
}

/** One reference against one answer text. */
export function checkMath(gold: string, pred: string | null, options: MathJudgeOptions = {}): Verdict {
  const g = extractAnswer(gold, { fallback: 'whole', answerLines: true });
  const p = extractAnswer(pred, { fallback: 'last_number' });
  if (!g || !p) return unanswered(g, p);
  const r = answersEqual(g.text, p.text, equalOptions(options));
  return {
    correct: r.equal,
    method: r.method,
    gold: { extracted: g.text, normalized: r.gold.text + (r.gold.percent ? '%' : ''), from: g.method },
    pred: { extracted: p.text, normalized: r.pred.text + (r.pred.percent ? '%' : ''), from: p.method },
  };
}

export function verdictResult(v: Verdict): JudgeResult {
  const answer = v.correct ? 1 : 0;
  return { reward: answer, is_success: v.correct, parts: { answer }, details: v };
}

export function mathJudge(options: MathJudgeOptions = {}): (input: JudgeInput) => JudgeResult {
  return (input) => verdictResult(checkMath(input.task.reference, answerText(input), { ...options, ...(input.options as MathJudgeOptions) }));
}

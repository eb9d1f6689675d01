// `builtin:gsm8k`: GSM8K grading. The reference's answer follows `####` (train/test files) or
// `A:` (OpenAI's example solutions); the model's is found by `####`, `A:`, \boxed{}, "the
// answer is", or else its last number. Both are compared as numbers after removing thousands
// separators, currency and units; integers must match exactly.
import { answerText } from './answer';
import { unanswered, verdictResult } from './math';
import { extractAnswer } from './math/extract';
import { normalizeAnswer, plainNumber } from './math/normalize';
import type { JudgeInput, JudgeResult, Verdict } from './types';

export interface Gsm8kJudgeOptions {
  /** Relative tolerance for non-integer answers. */
  tolerance?: number;
}

function numeric(text: string): { normalized: string; value: number | null } {
  const n = normalizeAnswer(text);
  return { normalized: n.text, value: plainNumber(n.text) };
}

export function checkGsm8k(gold: string, pred: string | null, options: Gsm8kJudgeOptions = {}): Verdict {
  const tol = options.tolerance ?? 1e-9;
  const g = extractAnswer(gold, { fallback: 'whole', answerLines: true });
  const p = extractAnswer(pred, { fallback: 'last_number', answerLines: true });
  if (!g || !p) return unanswered(g, p);
  const gn = numeric(g.text);
  const pn = numeric(p.text);
  let correct: boolean;
  let method: string;
  if (gn.value !== null && pn.value !== null) {
    const [a, b] = [gn.value, pn.value];
    correct = Number.isInteger(a) && Number.isInteger(b) ? a === b : Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
    method = 'number';
  } else {
    correct = gn.normalized.replace(/\s+/g, '').toLowerCase() === pn.normalized.replace(/\s+/g, '').toLowerCase();
    method = 'text';
  }
  return {
    correct,
    method,
    gold: { extracted: g.text, normalized: gn.normalized, from: g.method },
    pred: { extracted: p.text, normalized: pn.normalized, from: p.method },
  };
}

export function gsm8kJudge(options: Gsm8kJudgeOptions = {}): (input: JudgeInput) => JudgeResult {
  return (input) => verdictResult(checkGsm8k(input.task.reference, answerText(input), { ...options, ...(input.options as Gsm8kJudgeOptions) }));
}

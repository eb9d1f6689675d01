// The scalar reward from a judge's verdict and what happened during the rollout, weighted by
// the config's `reward` section. Every part is recorded, weighted or not, so `rejudge` and the
// charts can show what a different weighting would have given.
import type { TuneConfig } from '../config/types';
import { answersEqual } from './math/equal';
import { extractAnswer } from './math/extract';
import type { JudgeInput, JudgeResult } from './types';

export type RewardWeights = TuneConfig['reward'];

export interface ShapedReward {
  reward: number;
  parts: Record<string, number>;
}

/** What shaping reads from a rollout. */
export type ShapingInput = Pick<JudgeInput, 'turns' | 'tool_calls' | 'flags'> & { task: Pick<JudgeInput['task'], 'reference'> };

const DEFAULT_WEIGHTS: Required<RewardWeights> = { answer: 1, format: 0, tool_error: 0, truncation: 0, partial_credit: 0 };

/** Whether some tool call returned the reference answer (for partial credit). */
export function toolResultMatchesReference(input: ShapingInput): boolean {
  const gold = extractAnswer(input.task.reference, { fallback: 'whole', answerLines: true });
  if (!gold) return false;
  return (input.tool_calls ?? []).some((c) => {
    if (c.error || typeof c.result !== 'string' || c.result.startsWith('Error')) return false;
    const got = extractAnswer(c.result, { fallback: 'last_number' });
    return got !== null && answersEqual(gold.text, got.text).equal;
  });
}

/**
 * parts:
 * - `answer`: the judge's reward (1 or 0 for the built-in judges);
 * - `format`: −1 for each turn with a malformed tool call;
 * - `tool_error`: −1 for each failed tool call;
 * - `truncation`: −1 when a turn hit `max_new_tokens`;
 * - `partial_credit`: 1 when the answer is wrong but a tool result equals the reference.
 * The judge's own parts are kept as well, unless they share a name with these.
 */
export function shapeReward(judged: JudgeResult, input: ShapingInput, weights: Partial<RewardWeights> = {}): ShapedReward {
  const w = { ...DEFAULT_WEIGHTS, ...weights };
  const turns = input.turns ?? [];
  const flags = input.flags ?? [];
  const formatErrors = turns.filter((t) => t.flags?.includes('format_error')).length || (turns.length === 0 && flags.includes('format_error') ? 1 : 0);
  const toolErrors = (input.tool_calls ?? []).filter((c) => c.error).length;
  const truncated = turns.some((t) => t.flags?.includes('truncated')) || flags.includes('truncated');
  const partial = !judged.is_success && w.partial_credit !== 0 && toolResultMatchesReference(input) ? 1 : 0;
  const shaping = {
    answer: judged.reward,
    format: formatErrors ? -formatErrors : 0,
    tool_error: toolErrors ? -toolErrors : 0,
    truncation: truncated ? -1 : 0,
    partial_credit: partial,
  };
  const reward =
    w.answer * shaping.answer + w.format * shaping.format + w.tool_error * shaping.tool_error + w.truncation * shaping.truncation + w.partial_credit * shaping.partial_credit;
  return { reward, parts: { ...(judged.parts ?? {}), ...shaping } };
}

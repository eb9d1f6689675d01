// The scalar reward from a judge's verdict and what happened during the rollout, weighted by
// the config's `reward` section. Every part is recorded, weighted or not, so `rejudge` and the
// charts can show what a different weighting would have given.
import type { TuneConfig } from '../config/types';
import { checkMath } from './math';
import type { JudgeInput, JudgeResult } from './types';

export type RewardWeights = TuneConfig['reward'];

export interface ShapedReward {
  reward: number;
  parts: Record<string, number>;
}

/** What shaping reads from a rollout. */
export type ShapingInput = Pick<JudgeInput, 'turns' | 'tool_calls' | 'flags'> & { task: Pick<JudgeInput['task'], 'reference'> };

const DEFAULT_WEIGHTS: Required<RewardWeights> = { answer: 1, format: 0, tool_error: 0, truncation: 0, partial_credit: 0 };

/** Whether some tool call that did not fail returned the reference answer (for partial credit). */
export function toolResultMatchesReference(input: ShapingInput): boolean {
  return (input.tool_calls ?? []).some((c) => c.error !== true && typeof c.result === 'string' && checkMath(input.task.reference, c.result, { budget_s: 0.5 }).correct);
}

/**
 * Failed tool calls, from each call's `error`. Calls recorded without it (runs from before it
 * was kept) fall back to the rollout's `tool_error` flag: one failure when it is raised.
 */
export function countToolErrors(input: ShapingInput): number {
  const calls = input.tool_calls ?? [];
  const known = calls.filter((c) => typeof c.error === 'boolean');
  const failed = known.filter((c) => c.error).length;
  if (known.length < calls.filter((c) => c.result !== undefined).length && failed === 0 && (input.flags ?? []).includes('tool_error')) return 1;
  return failed;
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
  const toolErrors = countToolErrors(input);
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

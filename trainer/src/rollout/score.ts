// Judging one rollout and shaping its reward: shared by rollouts as they finish and by
// `rejudge` on stored rollouts.
import type { TuneConfig } from '../config/types';
import { shapeReward } from '../judges/reward';
import type { JudgeInput, JudgeResult } from '../judges/types';
import type { Message, RolloutRecord } from '../run/events';

export interface Scored {
  reward: number;
  parts: Record<string, number>;
  success: boolean;
  judge?: RolloutRecord['judge'];
  /** The judge failed: its message and stack, also in `judge`. */
  error?: { message: string; stack?: string };
}

export async function score(judge: (input: JudgeInput) => Promise<JudgeResult>, config: TuneConfig, input: JudgeInput): Promise<Scored> {
  let judged: JudgeResult;
  try {
    judged = await judge(input);
    if (!judged || typeof judged.reward !== 'number' || !Number.isFinite(judged.reward)) {
      throw new Error(`the judge must return { reward: number, is_success: boolean }, got ${JSON.stringify(judged)?.slice(0, 200)}`);
    }
  } catch (e) {
    const err = e as Error & { userStack?: string };
    const stack = err.userStack ?? err.stack;
    return {
      reward: config.judge.error_reward,
      parts: {},
      success: false,
      judge: { error: err.message, ...(stack ? { stack } : {}) },
      error: { message: err.message, ...(stack ? { stack } : {}) },
    };
  }
  const shaped = shapeReward(judged, input, config.reward);
  return {
    reward: shaped.reward,
    parts: shaped.parts,
    success: Boolean(judged.is_success),
    ...(judged.details === undefined ? {} : { judge: { details: judged.details } }),
  };
}

/**
 * Every tool call of a conversation with the result that answered it, and whether the tool
 * reported a failure: the tool message's own `error`, absent in runs recorded before it was kept.
 */
export function toolCallsWithResults(messages: Message[]): JudgeInput['tool_calls'] {
  const results = new Map(messages.filter((m) => m.role === 'tool' && m.tool_call_id).map((m) => [m.tool_call_id!, m]));
  return messages.flatMap((m) =>
    (m.tool_calls ?? []).map((c) => {
      const result = results.get(c.id);
      if (!result) return { ...c };
      return { ...c, result: result.content, ...(typeof result.error === 'boolean' ? { error: result.error } : {}) };
    }),
  );
}

/** Whether a stored conversation predates the tool's error boolean on tool messages. */
export function lacksToolErrors(messages: Message[]): boolean {
  return messages.some((m) => m.role === 'tool' && m.tool_call_id !== undefined && typeof m.error !== 'boolean');
}

/** The judge's input for a stored rollout, as it was when the rollout finished. */
export function judgeInputOf(r: RolloutRecord, features: Record<string, number> = {}): JudgeInput {
  return {
    task: { id: r.task_id, question: r.question, reference: r.reference, features },
    final_answer: r.final_answer,
    messages: r.messages,
    turns: r.turns,
    tool_calls: toolCallsWithResults(r.messages),
    flags: r.flags.filter((f) => f !== 'judge_error'),
  };
}

// What a judge receives and returns. Built-in and user judges share these shapes.
import type { Flag, Message, ToolCall, TurnRecord } from '../run/events';

export interface JudgeTask {
  id: string;
  question: string;
  /** The reference answer, as the data set gives it (`#### 72`, `\boxed{3/4}`, `72`). */
  reference: string;
  /** Numeric features kept from the data set (config `tasks.*.fields.features`). */
  features: Record<string, number>;
  /** Anything else the task source carried. */
  metadata?: Record<string, unknown>;
}

export interface JudgeInput {
  task: JudgeTask;
  /** The workflow's final answer, or the last assistant message's text; null when there is none. */
  final_answer: string | null;
  messages: Message[];
  turns: TurnRecord[];
  /**
   * Every tool call of the rollout, in order, with the content of the result that answered it
   * and `error`, the tool's own report that the call failed (absent in runs recorded before it
   * was kept; the rollout's `tool_error` flag then stands in).
   */
  tool_calls: (ToolCall & { result?: string; error?: boolean })[];
  /** Flags raised during the rollout (`format_error`, `tool_error`, `truncated`, ...). */
  flags: Flag[];
  /** `judge.options` of the config. */
  options?: Record<string, unknown>;
}

export interface JudgeResult {
  /** The scalar reward. */
  reward: number;
  is_success: boolean;
  /** Named components of the reward (`answer`, `format`, ...), for charts and rejudging. */
  parts?: Record<string, number>;
  /** Free-form explanation: the extracted and normalised answers, the rule that decided. */
  details?: unknown;
}

/** How a built-in judge compared one answer with its reference; `details` of its result. */
export interface Verdict {
  correct: boolean;
  /** The grader could not settle the comparison safely; `correct` is then false. */
  undecided?: boolean;
  /**
   * The comparison that decided: `string`, `numeric`, `symbolic`, `sampling`, `set`, `matrix`,
   * `relation`, `interval`, `text`, `time`, `undecided`, or `no_answer` / `no_reference`.
   */
  method: string;
  /** Why it decided so, in words. */
  why?: string;
  /** The clean-up steps that changed each side before parsing. */
  steps?: { gold: string[]; pred: string[] };
  gold: { extracted: string | null; normalized: string | null; from: string | null };
  pred: { extracted: string | null; normalized: string | null; from: string | null };
}

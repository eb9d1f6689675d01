// The run-directory format: the one definition of what `events.jsonl` and `metrics.jsonl`
// hold, and the types of `rollouts.jsonl`, derived from its JSON Schema (schema.ts).
// docs/run-format.md describes the same shapes for readers.

import type { FromSchema } from 'json-schema-to-ts';
import type { Flag, Phase } from './constants';
import type { messageSchema, rolloutSchema, samplingSchema, toolCallSchema, turnSchema } from './schema';
export { FLAGS, RUN_FILES, RUN_FORMAT_VERSION, type Flag, type Phase } from './constants';

/** A chat message, as `messages` of a rollout holds it. */
export type Message = FromSchema<typeof messageSchema>;
export type Role = Message['role'];
export type ToolCall = FromSchema<typeof toolCallSchema>;
/** The sampling parameters a turn was generated with. */
export type TurnSampling = FromSchema<typeof samplingSchema>;

/**
 * A turn in the trainer's memory: as rollouts.jsonl holds it, plus the prompt's token ids,
 * which the update needs and the writer drops.
 */
export type TurnRecord = FromSchema<typeof turnSchema> & { prompt_ids?: number[] };

/** One line of rollouts.jsonl. */
export type RolloutLine = FromSchema<typeof rolloutSchema>;
/** A rollout in the trainer's memory: a rollouts.jsonl line whose turns may carry their prompt ids. */
export type RolloutRecord = Omit<RolloutLine, 'turns'> & { turns: TurnRecord[] };

/** The advantage a turn is trained with: its role's (multi-agent `group_by_role`), else the rollout's. */
export function turnAdvantage(r: { advantage?: number | null; role_advantages?: Record<string, number> }, role: string): number | null {
  return r.role_advantages?.[role] ?? r.advantage ?? null;
}

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

export interface Thinking {
  /** The text inside the block, trimmed; null when the message has none. */
  thinking: string | null;
  /** The message up to the end of the block, as written ('' when none). */
  head: string;
  /** The rest: what the model says and does. */
  rest: string;
}

/**
 * A message's leading thinking block (Qwen3), kept in an assistant message's `content` as
 * written. It closes at the first `</think>`; the opening tag may have been in the prompt
 * (templates that open the block for the model). A block that never closes (cut off at
 * max_new_tokens) holds the whole message. Here so the viewer reads it as the trainer does.
 */
export function splitThinking(text: string): Thinking {
  const lead = text.search(/\S/);
  const opens = lead !== -1 && text.startsWith(THINK_OPEN, lead);
  const close = text.indexOf(THINK_CLOSE);
  if (close !== -1 && (opens || !text.slice(0, close).includes(THINK_OPEN))) {
    const from = opens ? lead + THINK_OPEN.length : 0;
    return { thinking: text.slice(from, close).trim(), head: text.slice(0, close + THINK_CLOSE.length), rest: text.slice(close + THINK_CLOSE.length) };
  }
  if (opens) return { thinking: text.slice(lead + THINK_OPEN.length).trim(), head: text, rest: '' };
  return { thinking: null, head: '', rest: text };
}

interface Base<T extends string> {
  type: T;
  /** Sequence number within the run, from 0. */
  seq: number;
  /** Wall-clock time, ms since the epoch. */
  t: number;
}

export type RunEvent =
  /** `steps`: training runs, the step they train to. */
  | (Base<'run_started'> & { format: number; run_id: string; name: string; mode: Phase; config_file: string; pid: number; steps?: number; resumed_from_step?: number; sandbox?: SandboxRecord })
  | (Base<'step_started'> & { step: number; task_ids: string[] })
  | (Base<'rollout_started'> & { rollout_id: string; step: number; phase: Phase; task_id: string; group_id: string; sample: number; question: string; reference?: string; source?: string })
  | (Base<'turn'> & TurnEvent)
  | (Base<'rollout_finished'> & {
      rollout_id: string;
      step: number;
      phase: Phase;
      task_id: string;
      group_id: string;
      sample: number;
      reward: number;
      parts: Record<string, number>;
      success: boolean;
      flags: Flag[];
      turns: number;
      tool_calls: number;
      tokens: { prompt: number; completion: number };
      duration_ms: number;
      /** The answer the judge received (absent in runs written before it was recorded). */
      final_answer?: string | null;
    })
  | (Base<'judge_error'> & { rollout_id: string; message: string; stack?: string })
  | (Base<'workflow_error'> & { rollout_id: string; message: string; stack?: string })
  | (Base<'custom'> & { rollout_id: string; name: string; data: unknown })
  /** Written by runs of before metrics.jsonl held the training metrics alone; readers still accept it. */
  | (Base<'step_metrics'> & { step: number; metrics: Record<string, number> })
  | (Base<'eval_metrics'> & { step: number; metrics: Record<string, number>; per_task_file: string })
  | (Base<'checkpoint_saved'> & { step: number; path: string })
  | (Base<'log'> & { level: 'debug' | 'info' | 'warn' | 'error'; message: string })
  | (Base<'run_finished'> & { duration_ms: number })
  | (Base<'run_failed'> & { message: string; stack?: string })
  /** The user stopped the run (SIGINT, SIGTERM, the debugger's Stop); rollouts not finished by then never will be. */
  | (Base<'run_stopped'> & { signal: string; duration_ms: number });

/** The three moments of an agent turn, streamed as they happen. */
export type TurnEvent =
  | { rollout_id: string; turn: number; role: string; kind: 'model'; message: Message; completion_tokens: number; flags: Flag[]; format_error?: string; duration_ms: number }
  | { rollout_id: string; turn: number; role: string; kind: 'tool_call'; call: ToolCall }
  | { rollout_id: string; turn: number; role: string; kind: 'tool_result'; call_id: string; name: string; content: string; error: boolean; duration_ms: number };

export type EventType = RunEvent['type'];
export type EventOf<T extends EventType> = Extract<RunEvent, { type: T }>;
/** What a producer supplies; the writer stamps `seq` and `t`. */
export type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq' | 't'> : never) : never;

export interface MetricsRow {
  step: number;
  kind: 'train' | 'eval';
  t: number;
  metrics: Record<string, number>;
}

/** The python sandbox a run's `builtin:python` got on this machine (docs/tools.md). */
export interface SandboxRecord {
  tier: string;
  /** The `sandbox` option: strict, best or off. */
  mode: string;
  /** What the tier keeps from model-written code. */
  blocks: string[];
  landlock_abi?: number;
  /** Why each stronger tier did not work here. */
  refused?: Record<string, string>;
}

export interface Provenance {
  /** Present when the config uses `builtin:python`. */
  sandbox?: SandboxRecord;
  format: number;
  created: string;
  trainer_version: string;
  node: string;
  platform: string;
  config_sha256: string;
  git: { commit: string | null; dirty_files: string[]; diff_sha256: string | null } | null;
  /** sha256 of each file the run's behaviour depends on: config, workflow, judge, tools. */
  files: Record<string, string>;
}

// What the trainer's debug bridge and the `agent-tune` debug adapter say to each other over
// the Node IPC channel. The trainer holds the rollouts and decides where they stop; the
// adapter turns this into the Debug Adapter Protocol.
import type { Flag, Message, Phase, ToolCall } from '../run/events';
import type { Value } from './expr';

/** A function breakpoint as the editor sets it: `judge`, `tool:python`, `format_error`, or a condition. */
export interface BreakpointSpec {
  id: number;
  name: string;
  condition?: string;
  hitCondition?: string;
}

export interface BreakpointStatus {
  id: number;
  verified: boolean;
  message?: string;
}

/** The agent-level places where a rollout can be held. */
export type Position =
  /** Before the model samples turn `turn`. */
  | { at: 'turn'; turn: number }
  /** Turn `turn` has been sampled; its tool calls have not run. */
  | { at: 'sampled'; turn: number }
  | { at: 'tool'; turn: number; call: ToolCall }
  | { at: 'tool_result'; turn: number; call: ToolCall; content: string; error: boolean }
  /** The workflow has returned (or failed); the judge has not run. */
  | { at: 'judge' }
  | { at: 'judged' };

export interface ToolView {
  call: ToolCall;
  content?: string;
  error?: boolean;
  duration_ms?: number;
}

export interface TurnView {
  index: number;
  role: string;
  /** The messages the model was given for this turn. */
  prompt: Message[];
  /** What the model wrote (content and parsed tool calls). */
  message: Message;
  flags: Flag[];
  format_error?: string;
  completion_tokens: number;
  duration_ms: number;
  tools: ToolView[];
}

export interface RolloutView {
  threadId: number;
  id: string;
  step: number;
  phase: Phase;
  task_id: string;
  group_id: string;
  sample: number;
  question: string;
  reference: string | null;
  /** Where the rollout is, or was last seen; null before its first turn. */
  position: Position | null;
  /** Held by the debugger at `position`. */
  held: boolean;
  turns: TurnView[];
  /** The conversation as far as the trainer has seen it. */
  messages: Message[];
  flags: Flag[];
  tool_calls: number;
  error?: { source: 'workflow' | 'judge'; message: string; stack?: string };
  /** At a `turn` stop: the messages the model is about to be given. */
  next_prompt?: Message[];
  /** What the judge receives, from the `judge` stop on: the answer the workflow gave, or the last assistant text. */
  judge_input?: { final_answer: string | null; task: { id: string; question: string; reference: string; features?: Record<string, number> } };
  judged?: { reward: number; parts: Record<string, number>; success: boolean; final_answer: string | null };
  custom: { name: string; data: unknown }[];
}

export type StopReason = 'entry' | 'pause' | 'step' | 'breakpoint' | 'exception';

export interface Requests {
  /** Sets breakpoints and the exception filter; the first one lets the trainer start. */
  configure: { args: { breakpoints: BreakpointSpec[]; userErrors: boolean; stopOnEntry?: boolean }; body: { breakpoints: BreakpointStatus[] } };
  pause: { args: Record<string, never>; body: Record<string, never> };
  continue: { args: Record<string, never>; body: Record<string, never> };
  /** The rollout advances one turn, the others stay where they are. */
  next: { args: { threadId: number }; body: Record<string, never> };
  threads: { args: Record<string, never>; body: { threads: { id: number; name: string }[] } };
  rollout: { args: { threadId: number }; body: RolloutView };
  evaluate: { args: { threadId?: number; expression: string }; body: { value: Value } };
}

export type Command = keyof Requests;

export interface Events {
  /** The bridge is listening; the adapter answers with `configure`. */
  ready: { pid: number };
  run: { runDir: string };
  thread: { reason: 'started' | 'exited'; threadId: number; name: string };
  stopped: { reason: StopReason; threadId: number; description: string; text?: string; hitBreakpointIds?: number[]; focus: boolean };
  /** A breakpoint condition failed to evaluate; shown once per breakpoint. */
  warning: { message: string };
}

export type ToTrainer = { [C in Command]: { kind: 'request'; seq: number; command: C; args: Requests[C]['args'] } }[Command];

export type FromTrainer =
  | { kind: 'response'; seq: number; ok: true; body: unknown }
  | { kind: 'response'; seq: number; ok: false; message: string }
  | { [E in keyof Events]: { kind: 'event'; event: E; body: Events[E] } }[keyof Events];

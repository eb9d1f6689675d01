// Messages between the trainer and the worker threads that run user code.
import type { CodeRef } from '../config/load';
import type { JudgeInput } from '../judges/types';
import type { Message, ToolCall } from '../run/events';
import type { ChatOptions, Task, WorkflowResult } from '../sdk';
import type { ToolSchema } from '../model/types';

export type UserKind = 'workflow' | 'judge' | 'tool';

export interface SerializedError {
  message: string;
  stack?: string;
  /** `file:line:col` of the user's code, when known. */
  location?: string;
}

export interface RolloutInit {
  task: Task;
  rolloutId: string;
  sample: number;
  systemPrompt: string | undefined;
  tools: ToolSchema[];
  maxTurns: number;
  options: Record<string, unknown>;
  formatErrorMessage: string;
}

export type ToWorker =
  | { type: 'inspect'; job: number; ref: CodeRef; kind: UserKind }
  | { type: 'workflow'; job: number; ref: CodeRef; init: RolloutInit }
  | { type: 'judge'; job: number; ref: CodeRef; input: JudgeInput }
  | { type: 'tool'; job: number; ref: CodeRef; args: Record<string, unknown>; timeoutMs: number }
  | { type: 'reply'; job: number; call: number; value?: unknown; error?: SerializedError }
  | { type: 'cancel'; job: number }
  /** Loads modules into a fresh worker before jobs arrive, so no job pays for it. */
  | { type: 'preload'; refs: CodeRef[] };

export type FromWorker =
  /** The worker has begun the job: its deadline runs from now. */
  | { type: 'started'; job: number }
  | { type: 'done'; job: number; value?: unknown; error?: SerializedError }
  | { type: 'chat'; job: number; call: number; messages: Message[]; options: ChatOptions }
  | { type: 'callTool'; job: number; call: number; toolCall: ToolCall; role?: string }
  | { type: 'emit'; job: number; name: string; data: unknown };

/** What `inspect` answers: enough to describe the export without running it again. */
export interface ExportInfo {
  kind: UserKind;
  name: string;
  /** Tools: the schema shown to the model. */
  schema?: ToolSchema;
}

export type WorkflowOutput = WorkflowResult;

/** SharedArrayBuffer slots the worker keeps current, read by the trainer's stall monitor. */
export const SLOT = { heartbeat: 0, job: 1 } as const;

/** Where user code runs: a worker thread of the trainer, or a child process of its own. */
export type Isolation = 'thread' | 'process';

/** What the child process of `isolation: process` (relay.ts) reads from argv[2]. */
export interface RelayConfig {
  sdkPath: string;
  memoryMb: number;
  /** Pids user code may not signal: the trainer's. */
  protect: number[];
}

/** From the relay besides the worker's own messages: its slots every 50 ms, or why the worker died. */
export type RelayMessage = { type: 'relay'; beat: number; job: number } | { type: 'relay'; error: string };

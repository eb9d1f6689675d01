// What users import from 'agent-tune' in their workflows, judges and tools.
import type { Flag, Message, ToolCall, TurnRecord } from './run/events';
import type { SamplingParams, ToolSchema } from './model/types';
import type { JudgeInput, JudgeResult } from './judges/types';

export type { Message, ToolCall, Flag, TurnRecord, ToolSchema, SamplingParams, JudgeInput, JudgeResult };
import type { Task } from './tasks/types';
export type { Task };
export { defineTool, type Tool, type ToolDefinition, type ToolOutput, type ToolRunOptions } from './tools/tool';

/** The assistant message of one turn, with what the trainer noticed about it. */
export interface AssistantTurn extends Message {
  role: 'assistant';
  tool_calls: ToolCall[];
  /** Set when a tool call could not be parsed; the call was not run. */
  format_error?: string;
  /** The turn hit `max_new_tokens`. */
  truncated: boolean;
}

export interface ChatOptions {
  /** Tools offered in this turn: `true` (the default) offers the config's tools, `false` none. */
  tools?: ToolSchema[] | boolean;
  /** Agent role recorded on the turn; advantages can be grouped per role. */
  role?: string;
  /** Overrides of the config's sampling parameters for this turn. */
  sampling?: Partial<Omit<SamplingParams, 'seed'>>;
}

export interface RolloutContext {
  readonly task: Task;
  readonly rolloutId: string;
  /** This rollout's index within its group. */
  readonly sample: number;
  readonly systemPrompt: string | undefined;
  /** The tools of the config, as the model sees them. */
  readonly tools: ToolSchema[];
  readonly maxTurns: number;
  /** `workflow.options` of the config. */
  readonly options: Record<string, unknown>;
  /** One assistant turn from the policy. Throws `TurnLimitError` past `maxTurns`. */
  chat(messages: Message[], options?: ChatOptions): Promise<AssistantTurn>;
  /** Runs a tool call and returns the `tool` message answering it. */
  callTool(call: ToolCall, options?: { role?: string }): Promise<Message>;
  /** The message answering a malformed tool call (config `rollout.format_error_message`). */
  formatErrorMessage(error: string): Message;
  /** A custom event in the run's event stream, shown in the viewer. */
  emit(name: string, data?: unknown): void;
  /** Turns taken so far. */
  readonly turns: number;
}

export interface WorkflowResult {
  /** The whole conversation. */
  messages: Message[];
  /** The final answer text; the judge extracts it from the last assistant message when absent. */
  final_answer?: string | null;
}

export type WorkflowFn = (ctx: RolloutContext) => Promise<WorkflowResult>;
export type JudgeFn = (input: JudgeInput) => JudgeResult | Promise<JudgeResult>;

export interface Workflow {
  readonly kind: 'agent-tune.workflow';
  readonly name: string;
  run: WorkflowFn;
}

export interface Judge {
  readonly kind: 'agent-tune.judge';
  readonly name: string;
  judge: JudgeFn;
}

export class TurnLimitError extends Error {
  constructor(limit: number) {
    super(`the rollout reached max_turns = ${limit}`);
    this.name = 'TurnLimitError';
  }
}

export function defineWorkflow(run: WorkflowFn, options: { name?: string } = {}): Workflow {
  if (typeof run !== 'function') throw new TypeError('defineWorkflow: expected an async function (ctx) => ({ messages })');
  return { kind: 'agent-tune.workflow', name: options.name ?? (run.name || 'workflow'), run };
}

export function defineJudge(judge: JudgeFn, options: { name?: string } = {}): Judge {
  if (typeof judge !== 'function') throw new TypeError('defineJudge: expected a function (input) => ({ reward, is_success })');
  return { kind: 'agent-tune.judge', name: options.name ?? (judge.name || 'judge'), judge };
}

/** A module export used as a workflow: a `defineWorkflow` result or a plain function. */
export function asWorkflow(value: unknown): Workflow | undefined {
  const v = value as Workflow;
  if (v && typeof v === 'object' && v.kind === 'agent-tune.workflow' && typeof v.run === 'function') return v;
  if (typeof value === 'function') return defineWorkflow(value as WorkflowFn);
  return undefined;
}

export function asJudge(value: unknown): Judge | undefined {
  const v = value as Judge;
  if (v && typeof v === 'object' && v.kind === 'agent-tune.judge' && typeof v.judge === 'function') return v;
  if (typeof value === 'function') return defineJudge(value as JudgeFn);
  return undefined;
}

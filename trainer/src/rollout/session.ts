// One rollout in the trainer: the context its workflow talks to, and the record of every
// turn, tool call and timing that ends up in rollouts.jsonl.
import { dropThinking, parseToolCalls } from '../agent/toolcalls';
import type { ChatBackend, SamplingParams, ToolSchema } from '../model/types';
import type { Flag, Message, Phase, ToolCall, TurnRecord } from '../run/events';
import type { AssistantTurn, ChatOptions, RolloutContext, Task, WorkflowResult } from '../sdk';
import type { TuneConfig } from '../config/types';
import type { JudgeInput, JudgeResult } from '../judges/types';
import type { RunWriter } from '../run/writer';
import type { ToolOutput } from '../tools/tool';
import type { UserCodeHost } from '../user/host';
import { rolloutContext } from '../user/context';
import type { RolloutInit } from '../user/protocol';
import type { Scored } from './score';

export interface ToolEntry {
  schema: ToolSchema;
  timeoutMs: number;
  run(args: Record<string, unknown>, timeoutMs: number): Promise<ToolOutput>;
}

/** Where a debugger (or any observer) can hold a rollout. */
export interface RolloutHooks {
  /** `prompt` is exactly what the model is about to be given. */
  beforeTurn?(session: RolloutSession, turn: number, prompt: Message[]): Promise<void> | void;
  afterTurn?(session: RolloutSession, turn: number, message: AssistantTurn): Promise<void> | void;
  beforeTool?(session: RolloutSession, call: ToolCall): Promise<void> | void;
  afterTool?(session: RolloutSession, call: ToolCall, result: Message): Promise<void> | void;
  /** `input` is exactly what the judge will receive. */
  beforeJudge?(session: RolloutSession, input: JudgeInput): Promise<void> | void;
  afterJudge?(session: RolloutSession, result: Scored): Promise<void> | void;
}

export interface RolloutEnv {
  config: TuneConfig;
  /** The config's folder: refs and paths resolve against it. */
  dir: string;
  configFile: string;
  backend: ChatBackend;
  writer: RunWriter;
  tools: ToolEntry[];
  runWorkflow(session: RolloutSession): Promise<WorkflowResult>;
  judge(input: JudgeInput): Promise<JudgeResult>;
  /** The judge reference, for records and rejudging. */
  judgeRef: string;
  hooks: RolloutHooks;
  /** A sampling seed for each turn of each rollout, stable across runs with the same seed. */
  seedFor(rolloutId: string, turn: number): number;
  host?: UserCodeHost;
  timeouts: boolean;
  close(): Promise<void>;
}


export interface RolloutSpec {
  id: string;
  step: number;
  phase: Phase;
  task: Task;
  groupId: string;
  sample: number;
  /** Sampling overrides for this rollout (evaluation uses its own temperature). */
  sampling?: Partial<SamplingParams>;
}

export interface ToolResultRecord {
  name: string;
  content: string;
  error: boolean;
}

/** Runs already told that their workflow samples with its own parameters. */
const warned = new WeakSet<RolloutEnv>();

/**
 * A training workflow that sets its own temperature, top-p or top-k trains a policy other
 * than `model.sampling` describes: the update follows each turn's record, and the run says
 * so once.
 */
function warnOverride(env: RolloutEnv, base: Omit<SamplingParams, 'seed'>, used: SamplingParams): void {
  if (warned.has(env)) return;
  const keys = (['temperature', 'top_p', 'top_k'] as const).filter((k) => used[k] !== base[k]);
  if (!keys.length) return;
  warned.add(env);
  const what = keys.map((k) => `${k} ${used[k]} (model.sampling: ${base[k]})`).join(', ');
  env.writer.emit({
    type: 'log',
    level: 'warn',
    message: `the workflow samples with its own ${what}; each turn records its parameters and the update trains at the temperature each turn was sampled at`,
  });
}

export class RolloutSession {
  turns: TurnRecord[] = [];
  flags = new Set<Flag>();
  toolResults: ToolResultRecord[] = [];
  toolCalls = 0;
  modelMs = 0;
  toolMs = 0;
  readonly started = Date.now();
  readonly abort = new AbortController();
  /** The conversation as far as the trainer saw it, for rollouts whose workflow failed. */
  private log: Message[] = [];

  constructor(readonly env: RolloutEnv, readonly spec: RolloutSpec) {}

  /** The worker running this rollout was replaced: what it did is discarded. */
  reset(): void {
    this.turns = [];
    this.flags.clear();
    this.toolResults = [];
    this.toolCalls = 0;
    this.log = [];
  }

  transcript(): Message[] {
    return [...this.log];
  }

  get toolSchemas(): ToolSchema[] {
    return this.env.tools.map((t) => t.schema);
  }

  /** What a workflow's context is built from, on either side of the user-code worker boundary. */
  init(): RolloutInit {
    const { config } = this.env;
    return {
      task: this.spec.task,
      rolloutId: this.spec.id,
      sample: this.spec.sample,
      systemPrompt: config.workflow.system_prompt,
      tools: this.toolSchemas,
      maxTurns: config.rollout.max_turns,
      options: config.workflow.options as Record<string, unknown>,
      formatErrorMessage: config.rollout.format_error_message,
    };
  }

  /** The context given to built-in workflows; user workflows get the same one in the worker. */
  context(): RolloutContext {
    return rolloutContext(this.init(), {
      turns: () => this.turns.length,
      chat: (messages, options) => this.chat(messages, options),
      callTool: (call, role) => this.callTool(call, role),
      emit: (name, data) => this.emit(name, data),
    });
  }

  emit(name: string, data: unknown): void {
    this.env.writer.emit({ type: 'custom', rollout_id: this.spec.id, name, data: data ?? null });
  }

  async chat(messages: Message[], options: ChatOptions = {}): Promise<AssistantTurn> {
    const { config, backend, hooks } = this.env;
    const index = this.turns.length;
    const role = options.role ?? 'agent';
    const prompt = config.rollout.thinking === 'drop' ? messages.map((m) => (m.role === 'assistant' && m.content ? { ...m, content: dropThinking(m.content) } : m)) : messages;
    await hooks.beforeTurn?.(this, index, prompt);
    if (this.abort.signal.aborted) throw new Error('the rollout was cancelled');
    const base = config.model.sampling;
    const sampling: SamplingParams = {
      temperature: base.temperature,
      top_p: base.top_p,
      top_k: base.top_k,
      max_new_tokens: base.max_new_tokens,
      stop: [...base.stop],
      ...this.spec.sampling,
      ...options.sampling,
      seed: this.env.seedFor(this.spec.id, index),
    };
    if (this.spec.phase === 'train') warnOverride(this.env, base, sampling);
    const tools = options.tools === false ? [] : Array.isArray(options.tools) ? options.tools : this.toolSchemas;
    const result = await backend.chat({ messages: prompt, tools, sampling, signal: this.abort.signal });
    // Whole milliseconds, as tool and judge times are: a timer's fractions are noise to a reader.
    const ms = Math.round(result.duration_ms);
    this.modelMs += ms;

    const parsed = parseToolCalls(result.text, { turn: index });
    const flags: Flag[] = [];
    if (result.finish_reason === 'length') flags.push('truncated');
    const formatError = parsed.errors.length ? parsed.errors.join('; ') : undefined;
    if (formatError) flags.push('format_error');
    for (const f of flags) this.flags.add(f);
    const turn: AssistantTurn = {
      role: 'assistant',
      // A malformed call keeps the raw text, so the model sees what it wrote.
      content: formatError ? result.text : parsed.content,
      tool_calls: parsed.calls,
      truncated: result.finish_reason === 'length',
      ...(formatError ? { format_error: formatError } : {}),
    };
    this.turns.push({
      index,
      role,
      message_index: -1,
      prompt_tokens: result.prompt_tokens,
      completion_tokens: result.completion_tokens,
      ...(result.tokens ? { tokens: result.tokens } : {}),
      ...(result.token_ids ? { token_ids: result.token_ids } : {}),
      ...(result.logprobs ? { logprobs: result.logprobs } : {}),
      ...(result.prompt_ids ? { prompt_ids: result.prompt_ids } : {}),
      sampling: { temperature: sampling.temperature, top_p: sampling.top_p, top_k: sampling.top_k },
      flags,
      ...(formatError ? { format_error: formatError } : {}),
      duration_ms: ms,
    } as TurnRecord);
    this.env.writer.emit({
      type: 'turn',
      rollout_id: this.spec.id,
      turn: index,
      role,
      kind: 'model',
      message: { role: 'assistant', content: turn.content, ...(turn.tool_calls.length ? { tool_calls: turn.tool_calls } : {}) },
      completion_tokens: result.completion_tokens,
      flags,
      ...(formatError ? { format_error: formatError } : {}),
      duration_ms: ms,
    });
    this.log = [...messages, { role: 'assistant', content: turn.content, ...(turn.tool_calls.length ? { tool_calls: turn.tool_calls } : {}) }];
    await hooks.afterTurn?.(this, index, turn);
    return turn;
  }

  async callTool(call: ToolCall, role = 'agent'): Promise<Message> {
    const { writer, hooks, config } = this.env;
    const turn = Math.max(0, this.turns.length - 1);
    this.toolCalls++;
    writer.emit({ type: 'turn', rollout_id: this.spec.id, turn, role, kind: 'tool_call', call });
    await hooks.beforeTool?.(this, call);
    const started = Date.now();
    const tool = this.env.tools.find((t) => t.schema.function.name === call.name);
    let content: string;
    let error: boolean;
    if (!tool) {
      content = `Error: there is no tool named "${call.name}"; available: ${this.env.tools.map((t) => t.schema.function.name).join(', ') || 'none'}`;
      error = true;
    } else {
      const out = await tool.run(call.arguments, tool.timeoutMs ?? config.rollout.turn_timeout_s * 1000);
      content = out.content;
      error = out.error;
    }
    const duration = Date.now() - started;
    this.toolMs += duration;
    if (error) this.flags.add('tool_error');
    this.toolResults.push({ name: call.name, content, error });
    writer.emit({ type: 'turn', rollout_id: this.spec.id, turn, role, kind: 'tool_result', call_id: call.id, name: call.name, content, error, duration_ms: duration });
    if (error && this.turns[turn]) this.turns[turn].tool_errors = (this.turns[turn].tool_errors ?? 0) + 1;
    const message: Message = { role: 'tool', content, tool_call_id: call.id, name: call.name, error };
    this.log.push(message);
    await hooks.afterTool?.(this, call, message);
    return message;
  }
}

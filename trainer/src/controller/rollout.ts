// One gateway rollout run by our own runtime: the config's workflow, tools and judge, with
// the model backend pointed at the rollout's proxy URL. What the rollout did goes back to
// the gateway as events (tool calls, the workflow's own events, the judge's details and
// flags, then exactly one reward), and into the local run directory as a rollout row.
import type { RolloutEnv } from '../rollout/env';
import { runOne } from '../rollout/runner';
import type { RolloutSpec } from '../rollout/session';
import type { RolloutRecord, RunEvent } from '../run/events';
import type { RunWriter } from '../run/writer';
import type { GatewayClient } from './gateway';
import { taskFromInput } from './input';
import { ProxyChatBackend } from './proxy';

export interface GatewayRollout {
  rolloutId: string;
  attemptId: string;
  input: unknown;
  isTrain: boolean;
  /** AGL_OPENAI_BASE_URL of this attempt. */
  openaiUrl: string;
  /** Where events go: ids (the store API) or AGL_EVENT_URL. */
  events: { rolloutId: string; attemptId: string } | { url: string; rolloutId: string };
  /** The gateway's config.timeout_seconds. */
  timeoutS: number;
  /** The training step the rollout is written under until the gateway says otherwise. */
  step: number;
  /** Called once the workflow and the judge are done, before the results go out. */
  judged?: () => void;
}

export interface Outcome {
  state: 'succeeded' | 'failed';
  error?: string;
  record?: RolloutRecord;
  rewardPosted: boolean;
  /** Model calls that met a paused gateway (a weight sync). */
  pauses: number;
}

export interface RunContext {
  env: RolloutEnv;
  gateway: GatewayClient;
  router: EventRouter;
  key?: string;
  keyEnv?: string;
  log(message: string): void;
  pausePollMs?: number;
}

/** Most custom events posted for one rollout, and the longest text kept in one. */
const MAX_EVENTS = 256;
const MAX_TEXT = 4000;

/** Routes the run writer's events to the rollout they belong to, with one listener for all. */
export class EventRouter {
  private readonly sinks = new Map<string, (e: RunEvent) => void>();
  constructor(writer: RunWriter) {
    writer.onEvent((e) => {
      const id = (e as { rollout_id?: string }).rollout_id;
      if (id !== undefined) this.sinks.get(id)?.(e);
    });
  }
  open(rolloutId: string, sink: (e: RunEvent) => void): () => void {
    this.sinks.set(rolloutId, sink);
    return () => this.sinks.delete(rolloutId);
  }
}

export async function runGatewayRollout(ctx: RunContext, g: GatewayRollout): Promise<Outcome> {
  const { env } = ctx;
  let task;
  try {
    task = taskFromInput(g.input, env.config, g.isTrain);
  } catch (e) {
    return { state: 'failed', error: (e as Error).message, rewardPosted: false, pauses: 0 };
  }
  const backend = new ProxyChatBackend({
    baseUrl: g.openaiUrl,
    model: env.config.model.openai?.model ?? env.config.name,
    ...(ctx.key ? { key: ctx.key } : {}),
    ...(ctx.keyEnv ? { keyEnv: ctx.keyEnv } : {}),
    ...(ctx.pausePollMs !== undefined ? { pausePollMs: ctx.pausePollMs } : {}),
    onRewrite: (why) => ctx.log(`rollout ${g.rolloutId}: the workflow rewrote its history, so the gateway cannot merge its turns into one sequence: ${why}`),
  });
  // Events go out as they happen, one after another, while the rollout goes on.
  let posted = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const post = (type: string, data: Record<string, unknown>) => {
    if (posted++ >= MAX_EVENTS) return;
    queue = queue.then(() => ctx.gateway.postEvent(g.events, type, data).catch((e: Error) => ctx.log(`rollout ${g.rolloutId}: event ${type} not posted: ${e.message}`)));
  };
  // A tool call goes out with its result, as one event.
  const calls = new Map<string, Record<string, unknown>>();
  const close = ctx.router.open(g.rolloutId, (e) => {
    if (e.type === 'custom') post('agent_tune.custom', { name: e.name, data: clip(e.data) });
    else if (e.type === 'turn' && e.kind === 'tool_call') calls.set(e.call.id, { turn: e.turn, role: e.role, id: e.call.id, name: e.call.name, arguments: clip(e.call.arguments) });
    else if (e.type === 'turn' && e.kind === 'tool_result') {
      const call = calls.get(e.call_id) ?? { turn: e.turn, role: e.role, id: e.call_id, name: e.name };
      calls.delete(e.call_id);
      post('agent_tune.tool_call', { ...call, content: short(e.content, MAX_TEXT), error: e.error, duration_ms: e.duration_ms });
    }
  });
  const spec: RolloutSpec = { id: g.rolloutId, step: g.step, phase: g.isTrain ? 'train' : 'eval', task, groupId: task.id, sample: 0 };
  // The workflow sees this rollout's backend; everything else is shared.
  const view: RolloutEnv = Object.create(env, { backend: { value: backend } });
  let timedOut = false;
  // Under a debugger (timeouts off) a rollout held at a breakpoint is not a hung one.
  const timer = env.timeouts
    ? setTimeout(() => {
        timedOut = true;
        void backend.close();
      }, g.timeoutS * 1000)
    : undefined;
  let record: RolloutRecord;
  try {
    record = await runOne(view, spec);
  } finally {
    clearTimeout(timer);
    close();
    await backend.close();
    g.judged?.();
  }
  if (timedOut && !record.flags.includes('timeout')) record.flags.push('timeout');
  if (backend.history.broken) post('agent_tune.history_rewrite', { message: backend.history.broken });
  post('agent_tune.judge', { reward: record.reward, success: record.success, parts: record.parts, flags: record.flags, ...(record.judge ? { judge: clip(record.judge) } : {}) });
  await queue;
  const reward = rewardOf(record, timedOut ? g.timeoutS : undefined);
  const rewardPosted = await ctx.gateway.postEvent(g.events, 'reward', { ...reward }, { once: true });
  const error = failure(record, timedOut ? g.timeoutS : undefined);
  return { state: error ? 'failed' : 'succeeded', ...(error ? { error } : {}), record, rewardPosted, pauses: backend.pauses };
}

/** The reward event: schemas.py RewardData. */
export function rewardOf(r: RolloutRecord, timeoutS?: number): { value: number; reason: string; message: string; source: string } {
  const reason =
    timeoutS !== undefined || r.flags.includes('timeout') ? 'timeout' : r.flags.includes('workflow_error') ? 'workflow_error' : r.flags.includes('judge_error') ? 'judge_error' : r.success ? 'correct' : 'incorrect';
  const parts = Object.entries(r.parts)
    .map(([k, v]) => `${k} ${round(v)}`)
    .join(', ');
  const answer = r.final_answer === null ? 'no final answer' : `answer ${JSON.stringify(short(r.final_answer, 200))}`;
  const message = r.error ? `${r.error.source} error: ${short(r.error.message, 500)}` : `${answer}, reference ${JSON.stringify(short(r.reference, 200))}${parts ? `; ${parts}` : ''}`;
  return { value: r.reward, reason, message, source: 'agent' };
}

/** Why the rollout failed, for the gateway's error_message; undefined when it succeeded. */
export function failure(r: RolloutRecord, timeoutS?: number): string | undefined {
  if (timeoutS !== undefined) return `the rollout timed out after ${timeoutS}s (config.timeout_seconds)`;
  if (!r.error) return r.flags.includes('timeout') ? 'the rollout timed out' : undefined;
  const what = r.flags.includes('timeout') ? 'timed out' : `${r.error.source} error`;
  return `${what}: ${short(r.error.message, 1000)}`;
}

/** A value small enough for an event: long JSON is cut and kept as text. */
function clip(v: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    return String(v);
  }
  if (text === undefined) return null;
  return text.length <= MAX_TEXT ? v : { truncated: true, json: text.slice(0, MAX_TEXT) };
}

function short(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

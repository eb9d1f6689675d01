// The one fold from run events to state: a rollout as its events describe it before its line
// reaches rollouts.jsonl, and a run's identity and status. The debugger's bridge, the run
// viewer's host, the runs list and `rejudge` all read events through these functions.
import type { EventOf, Flag, Message, Phase, RunEvent, ToolCall } from './events';

export interface ToolState {
  call: ToolCall;
  content?: string;
  error?: boolean;
  duration_ms?: number;
}

/** One sampled turn and the tool calls it made. */
export interface TurnState {
  index: number;
  role: string;
  message: Message;
  flags: Flag[];
  format_error?: string;
  completion_tokens: number;
  duration_ms: number;
  tools: ToolState[];
}

/** A rollout folded from its events: `rollout_started`, `turn`s, errors, `custom`, `rollout_finished`. */
export interface RolloutState {
  id: string;
  step: number;
  phase: Phase;
  task_id: string;
  group_id: string;
  sample: number;
  question: string;
  /** The task's reference answer (absent in runs written before it was recorded). */
  reference?: string;
  /** The task source, when `tasks.train.mix` names several. */
  source?: string;
  turns: TurnState[];
  /** The conversation so far: the question, then each turn's message and tool results. */
  messages: Message[];
  tool_calls: number;
  completion_tokens: number;
  /** Flags of the turns, then those `rollout_finished` reports. */
  flags: Flag[];
  custom: { name: string; data: unknown }[];
  error?: { source: 'workflow' | 'judge'; message: string; stack?: string };
  /** Set by `rollout_finished`. */
  finished?: Omit<EventOf<'rollout_finished'>, 'type' | 'seq' | 't' | 'rollout_id'>;
  /** Set when the run ended before this rollout finished: it never will. */
  cut_off?: RunEnd['status'];
}

/** Applies one event to the rollouts it is about; returns the rollout it changed, if any. */
export function foldRollout(rollouts: Map<string, RolloutState>, e: RunEvent): RolloutState | undefined {
  if (e.type === 'rollout_started') {
    const r: RolloutState = {
      id: e.rollout_id,
      step: e.step,
      phase: e.phase,
      task_id: e.task_id,
      group_id: e.group_id,
      sample: e.sample,
      question: e.question,
      ...(e.reference !== undefined ? { reference: e.reference } : {}),
      ...(e.source ? { source: e.source } : {}),
      turns: [],
      messages: [{ role: 'user', content: e.question }],
      tool_calls: 0,
      completion_tokens: 0,
      flags: [],
      custom: [],
    };
    rollouts.set(r.id, r);
    return r;
  }
  if (!('rollout_id' in e)) return undefined;
  const r = rollouts.get(e.rollout_id);
  if (!r) return undefined;
  switch (e.type) {
    case 'turn':
      if (e.kind === 'model') {
        // A worker that was replaced starts its rollout over: a turn index seen before resets the turns after it.
        if (r.turns.length > e.turn) r.turns.length = e.turn;
        r.turns[e.turn] = {
          index: e.turn,
          role: e.role,
          message: e.message,
          flags: e.flags ?? [],
          ...(e.format_error ? { format_error: e.format_error } : {}),
          completion_tokens: e.completion_tokens ?? 0,
          duration_ms: e.duration_ms,
          tools: [],
        };
        r.completion_tokens += e.completion_tokens ?? 0;
        addFlags(r.flags, e.flags);
        r.messages.push({ ...e.message });
      } else if (e.kind === 'tool_call') {
        r.tool_calls++;
        r.turns[e.turn]?.tools.push({ call: e.call });
        const last = lastAssistant(r.messages);
        if (last && !last.tool_calls?.some((c) => c.id === e.call.id)) last.tool_calls = [...(last.tool_calls ?? []), e.call];
      } else {
        const tool = r.turns[e.turn]?.tools.find((x) => x.call.id === e.call_id && x.content === undefined);
        if (tool) Object.assign(tool, { content: e.content, error: e.error, duration_ms: e.duration_ms });
        if (e.error) addFlags(r.flags, ['tool_error']);
        r.messages.push({ role: 'tool', content: e.content, tool_call_id: e.call_id, name: e.name });
      }
      return r;
    case 'workflow_error':
      r.error = { source: 'workflow', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
      return r;
    case 'judge_error':
      r.error ??= { source: 'judge', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
      return r;
    case 'custom':
      r.custom.push({ name: e.name, data: e.data });
      return r;
    case 'rollout_finished': {
      const { type: _t, seq: _s, t: _at, rollout_id: _id, ...finished } = e;
      r.finished = finished;
      addFlags(r.flags, e.flags);
      return r;
    }
  }
  return undefined;
}

function addFlags(into: Flag[], flags: readonly Flag[] | undefined): void {
  for (const f of flags ?? []) if (!into.includes(f)) into.push(f);
}

function lastAssistant(messages: Message[]): Message | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'assistant') return messages[i];
  return undefined;
}

export type RunStatus = 'running' | 'finished' | 'failed' | 'stopped';

/** What the events say about the run as a whole. */
export interface RunState {
  name?: string;
  mode?: EventOf<'run_started'>['mode'];
  format?: number;
  config_file?: string;
  pid?: number;
  /** Time of the (last) `run_started`. */
  started?: number;
  resumed_from_step?: number;
  /** How the run ended, as far as the events say; `running` until it ends. */
  ended?: RunEnd;
}

export interface RunEnd {
  status: 'finished' | 'failed' | 'stopped';
  message?: string;
  t: number;
}

/** Runs written before `run_stopped` recorded a user's stop as this `run_failed` message. */
const LEGACY_STOP = /^interrupted by (SIGINT|SIGTERM)$/;

/** How an event ends the run, if it does: the one reading of run_finished, run_failed and run_stopped. */
export function runEnd(e: RunEvent): RunEnd | undefined {
  switch (e.type) {
    case 'run_finished':
      return { status: 'finished', t: e.t };
    case 'run_stopped':
      return { status: 'stopped', message: `stopped by the user (${e.signal})`, t: e.t };
    case 'run_failed': {
      const legacy = LEGACY_STOP.exec(e.message);
      return legacy ? { status: 'stopped', message: `stopped by the user (${legacy[1]})`, t: e.t } : { status: 'failed', message: e.message, t: e.t };
    }
  }
  return undefined;
}

/** The run ended: its unfinished rollouts are cut off. Returns those it closed. */
export function closeRollouts(rollouts: Map<string, RolloutState>, e: RunEvent): RolloutState[] {
  const end = runEnd(e);
  if (!end) return [];
  const closed: RolloutState[] = [];
  for (const r of rollouts.values()) {
    if (r.finished || r.cut_off) continue;
    r.cut_off = end.status;
    closed.push(r);
  }
  return closed;
}

/** Applies one event to the run's state; returns true when the event was about the run. */
export function foldRun(run: RunState, e: RunEvent): boolean {
  if (e.type === 'run_started') {
    Object.assign(run, { name: e.name, mode: e.mode, format: e.format, config_file: e.config_file, pid: e.pid, started: e.t, resumed_from_step: e.resumed_from_step });
    // A resumed run is running again.
    run.ended = undefined;
    return true;
  }
  const end = runEnd(e);
  if (end) run.ended = end;
  return end !== undefined;
}

/**
 * The run's status: how it ended, else `running` while the process that wrote it lives (or
 * when no pid is known), `stopped` when it is gone without saying so (killed, crashed).
 */
export function runStatus(run: RunState, alive: (pid: number) => boolean = processAlive): RunStatus {
  if (run.ended) return run.ended.status;
  if (run.pid && !alive(run.pid)) return 'stopped';
  return 'running';
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

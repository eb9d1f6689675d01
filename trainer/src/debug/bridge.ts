// `--debug-bridge`: the trainer side of the `agent-tune` debugger. It sees every rollout
// through the run's events and the rollout hooks, and holds rollouts at agent-level places
// (before a turn, after it is sampled, around tool calls, around the judge) when the debugger
// pauses, steps or hits a function breakpoint. Held rollouts only wait on a promise: the
// event loop keeps running, so the other rollouts, the debugger's questions and the Node
// debugger attached to the same process all carry on.
import inspector from 'node:inspector';
import type { RolloutHooks } from '../rollout/env';
import type { JudgeInput } from '../judges/types';
import type { Scored } from '../rollout/score';
import type { RolloutSession } from '../rollout/session';
import type { Flag, Message, RunEvent, ToolCall } from '../run/events';
import { foldRollout, type RolloutState } from '../run/fold';
import type { RunWriter } from '../run/writer';
import type { AssistantTurn } from '../sdk';
import { atPlace, heldPastMessage, holds, parseBreakpoint, type Breakpoint } from './breakpoints';
import { parseExpression, type Value } from './expr';
import type { BreakpointSpec, Command, Events, FromTrainer, Position, Requests, RolloutView, StopReason, ToTrainer, TurnView } from './protocol';
import { describePosition, reachedStep, stopDescription, threadName } from './position';
import { SCOPE_NAMES, scopeOf } from './scope';

export { describePosition, reachedStep, threadName };

/** What the commands hand to the rollout runtime and the run writer. */
export interface RunDebugger {
  hooks: RolloutHooks;
  attach(writer: RunWriter): void;
}

export interface Channel {
  send(message: FromTrainer): void;
  onMessage(listener: (message: ToTrainer) => void): void;
  onClose(listener: () => void): void;
  /** Whether the channel alone keeps the process alive. */
  ref(on: boolean): void;
}

interface Tracked {
  view: RolloutView;
  session?: RolloutSession;
  release?: () => void;
  /** Stepping: runs through the places until the next turn (or the judge) begins. */
  step?: { from: Position };
  /** Expression breakpoints that held at the previous place, so they stop once per change. */
  wasTrue: Set<number>;
}

const WORKFLOW_FLAGS: readonly Flag[] = ['workflow_error', 'timeout', 'max_turns'];

export class DebugBridge implements RunDebugger {
  private rollouts = new Map<string, Tracked>();
  /** Every rollout's events, folded: the view's turns, tool calls and custom events. */
  private folded = new Map<string, RolloutState>();
  private byThread = new Map<number, Tracked>();
  private nextThread = 1;
  private breakpoints: Breakpoint[] = [];
  private userErrors = false;
  private paused = false;
  /** A stop has been reported since the last continue; later holds keep the focus where it is. */
  private announced = false;
  private pauseReason: StopReason = 'pause';
  private configured!: () => void;
  private heldCount = 0;
  readonly ready: Promise<void>;
  readonly hooks: RolloutHooks;

  constructor(private channel: Channel) {
    this.ready = new Promise((resolve) => (this.configured = resolve));
    channel.onMessage((m) => this.onRequest(m));
    this.hooks = {
      beforeTurn: (s, turn, prompt) => this.beforeTurn(s, turn, prompt),
      afterTurn: (s, turn, message) => this.afterTurn(s, turn, message),
      beforeTool: (s, call) => this.place(s, { at: 'tool', turn: this.turnOf(s), call }, []),
      afterTool: (s, call, result) => this.afterTool(s, call, result),
      beforeJudge: (s, input) => this.beforeJudge(s, input),
      afterJudge: (s, scored) => this.afterJudge(s, scored),
    };
    channel.ref(true);
    this.emit('ready', { pid: process.pid });
  }

  /** Over the IPC channel of a trainer spawned with an 'ipc' stdio; waits for the first `configure`. */
  static async overIpc(): Promise<DebugBridge> {
    if (!process.send) throw new Error('--debug-bridge needs the IPC channel of a debugger that spawned the trainer');
    const channel = ipcChannel();
    // The debugger went away: stop as on SIGTERM (the run records the interruption). Held
    // rollouts wait on promises only, so a timer keeps the process up until the signal lands.
    channel.onClose(() => {
      setTimeout(() => process.exit(130), 5000);
      process.kill(process.pid, 'SIGTERM');
    });
    // Node waits for an attached inspector to disconnect before a natural exit; detach it.
    process.once('beforeExit', () => {
      if (inspector.url()) inspector.close();
    });
    const bridge = new DebugBridge(channel);
    await bridge.ready;
    return bridge;
  }

  attach(writer: RunWriter): void {
    writer.onEvent((e) => this.onEvent(e));
    this.emit('run', { runDir: writer.dir });
  }

  private emit<E extends keyof Events>(event: E, body: Events[E]): void {
    this.channel.send({ kind: 'event', event, body } as FromTrainer);
  }

  // ---- what the run reports -------------------------------------------------------------

  private onEvent(e: RunEvent): void {
    const r = foldRollout(this.folded, e);
    if (!r) return;
    if (e.type === 'rollout_started') {
      const threadId = this.nextThread++;
      const view: RolloutView = {
        threadId,
        id: r.id,
        step: r.step,
        phase: r.phase,
        task_id: r.task_id,
        group_id: r.group_id,
        sample: r.sample,
        question: r.question,
        reference: null,
        position: null,
        held: false,
        // The fold's own arrays: the view sees every turn and custom event as it is folded.
        turns: r.turns as TurnView[],
        messages: [],
        flags: [],
        tool_calls: 0,
        custom: r.custom,
      };
      const t: Tracked = { view, wasTrue: new Set() };
      this.rollouts.set(r.id, t);
      this.byThread.set(threadId, t);
      this.emit('thread', { reason: 'started', threadId, name: threadName(view) });
      return;
    }
    const t = this.rollouts.get(r.id);
    if (!t) return;
    const v = t.view;
    if (e.type === 'turn' && e.kind === 'model') (r.turns[e.turn] as TurnView).prompt ??= [];
    v.tool_calls = r.tool_calls;
    if (r.error?.source === 'workflow') v.error = r.error;
    if (e.type === 'rollout_finished') {
      this.folded.delete(r.id);
      this.finished(t);
    }
  }

  private finished(t: Tracked): void {
    this.rollouts.delete(t.view.id);
    this.byThread.delete(t.view.threadId);
    this.emit('thread', { reason: 'exited', threadId: t.view.threadId, name: threadName(t.view) });
    if (t.step && this.paused) {
      // The stepped rollout is done: the stop moves to another held rollout, or to the next that holds.
      const other = [...this.byThread.values()].find((x) => x.release);
      if (other) this.stopped(other, 'step', true);
      else this.announced = false;
      this.pauseReason = 'step';
    }
  }

  // ---- the hooks ------------------------------------------------------------------------

  private track(s: RolloutSession): Tracked | undefined {
    const t = this.rollouts.get(s.spec.id);
    if (!t) return undefined;
    t.session = s;
    t.view.reference = s.spec.task.reference;
    t.view.flags = [...s.flags];
    t.view.messages = s.transcript();
    return t;
  }

  private turnOf(s: RolloutSession): number {
    return Math.max(0, s.turns.length - 1);
  }

  private beforeTurn(s: RolloutSession, turn: number, prompt: Message[]): Promise<void> {
    const t = this.rollouts.get(s.spec.id);
    // The worker running the rollout was replaced and it starts over.
    if (t && t.view.turns.length > turn) t.view.turns.length = turn;
    if (t) t.view.next_prompt = prompt.map((m) => ({ ...m }));
    return this.place(s, { at: 'turn', turn }, []);
  }

  private afterTurn(s: RolloutSession, turn: number, message: AssistantTurn): Promise<void> {
    const t = this.rollouts.get(s.spec.id);
    const view = t?.view.turns[turn];
    if (view) view.prompt = t!.view.next_prompt ?? s.transcript().slice(0, -1);
    if (t) delete t.view.next_prompt;
    const fresh: Flag[] = [];
    if (message.format_error) fresh.push('format_error');
    if (message.truncated) fresh.push('truncated');
    return this.place(s, { at: 'sampled', turn }, fresh);
  }

  private afterTool(s: RolloutSession, call: ToolCall, result: Message): Promise<void> {
    const error = s.toolResults[s.toolResults.length - 1]?.error ?? false;
    return this.place(s, { at: 'tool_result', turn: this.turnOf(s), call, content: result.content, error }, error ? ['tool_error'] : []);
  }

  private beforeJudge(s: RolloutSession, input: JudgeInput): Promise<void> {
    const t = this.rollouts.get(s.spec.id);
    if (t) t.view.judge_input = { final_answer: input.final_answer, task: { ...input.task } };
    return this.place(s, { at: 'judge' }, WORKFLOW_FLAGS.filter((f) => s.flags.has(f)));
  }

  private afterJudge(s: RolloutSession, scored: Scored): Promise<void> {
    const t = this.rollouts.get(s.spec.id);
    if (!t) return Promise.resolve();
    t.view.judged = { reward: scored.reward, parts: scored.parts, success: scored.success, final_answer: t.view.judge_input?.final_answer ?? null };
    if (scored.error) t.view.error ??= { source: 'judge', message: scored.error.message, ...(scored.error.stack ? { stack: scored.error.stack } : {}) };
    return this.place(s, { at: 'judged' }, scored.error ? ['judge_error'] : []);
  }

  /** Decides whether the rollout stops here, and holds it until the debugger lets it go. */
  private async place(s: RolloutSession, position: Position, fresh: Flag[]): Promise<void> {
    const t = this.track(s);
    if (!t) return;
    t.view.position = position;
    for (const f of fresh) if (!t.view.flags.includes(f)) t.view.flags.push(f);

    const stop = this.stopHere(t, position, fresh);
    if (stop) {
      // The focus goes to the first stop after running, and to the rollout being stepped.
      const focus = !this.announced || t.step !== undefined;
      t.step = undefined;
      this.paused = true;
      this.stopped(t, stop.reason, focus, stop.text, stop.hits);
    } else if (t.step || !this.paused) {
      return;
    } else {
      this.stopped(t, this.pauseReason, !this.announced);
    }
    await this.hold(t);
  }

  private stopHere(t: Tracked, position: Position, fresh: Flag[]): { reason: StopReason; text?: string; hits?: number[] } | undefined {
    const scope = scopeOf(t.view, position);
    if (this.userErrors && t.view.error) {
      if ((position.at === 'judge' && t.view.error.source === 'workflow') || (position.at === 'judged' && t.view.error.source === 'judge')) {
        return { reason: 'exception', text: t.view.error.message };
      }
    }
    const hits: number[] = [];
    for (const bp of this.breakpoints) {
      let here: boolean;
      if (bp.where.kind === 'expression') {
        const r = holds(bp.where.expression, scope);
        this.warn(bp, r.error);
        here = r.value && !t.wasTrue.has(bp.spec.id);
        if (r.value) t.wasTrue.add(bp.spec.id);
        else t.wasTrue.delete(bp.spec.id);
      } else {
        here = atPlace(bp.where, position, fresh);
      }
      if (!here) continue;
      if (bp.condition) {
        const r = holds(bp.condition, scope);
        this.warn(bp, r.error);
        if (!r.value) continue;
      }
      bp.hits++;
      if (bp.hit && !bp.hit(bp.hits)) continue;
      hits.push(bp.spec.id);
    }
    if (hits.length) return { reason: 'breakpoint', hits };
    if (t.step && reachedStep(t.step.from, position)) return { reason: 'step' };
    return undefined;
  }

  private warn(bp: Breakpoint, error: string | undefined): void {
    if (!error || bp.warned) return;
    bp.warned = true;
    this.emit('warning', { message: `breakpoint "${bp.spec.name}"${bp.spec.condition ? ` if ${bp.spec.condition}` : ''}: ${error}` });
  }

  private stopped(t: Tracked, reason: StopReason, focus: boolean, text?: string, hits?: number[]): void {
    this.announced = true;
    const p = t.view.position;
    const names = reason === 'breakpoint' ? hits?.map((id) => this.breakpoints.find((b) => b.spec.id === id)?.spec.name ?? `#${id}`) : undefined;
    const description = stopDescription(reason, p, names);
    this.emit('stopped', { reason, threadId: t.view.threadId, description, ...(text ? { text } : {}), ...(hits ? { hitBreakpointIds: hits } : {}), focus });
  }

  /** While a rollout is held, only the debugger can let it go, so the channel keeps the process alive. */
  private hold(t: Tracked): Promise<void> {
    t.view.held = true;
    if (this.heldCount++ === 0) this.channel.ref(true);
    return new Promise<void>((resolve) => {
      t.release = () => {
        t.release = undefined;
        t.view.held = false;
        if (--this.heldCount === 0) this.channel.ref(false);
        resolve();
      };
    });
  }

  // ---- the debugger's requests ----------------------------------------------------------

  private onRequest(m: ToTrainer): void {
    try {
      const body = this.handle(m);
      this.channel.send({ kind: 'response', seq: m.seq, ok: true, body });
    } catch (e) {
      this.channel.send({ kind: 'response', seq: m.seq, ok: false, message: (e as Error).message });
    }
  }

  private handle(m: ToTrainer): Requests[Command]['body'] {
    switch (m.command) {
      case 'configure': {
        const parsed = m.args.breakpoints.map((spec: BreakpointSpec) => parseBreakpoint(spec));
        // Hit counts survive re-setting the same breakpoint.
        const old = new Map(this.breakpoints.map((b) => [b.spec.id, b]));
        this.breakpoints = parsed.flatMap((p) => (p.breakpoint ? [{ ...p.breakpoint, hits: old.get(p.breakpoint.spec.id)?.hits ?? 0 }] : []));
        this.userErrors = m.args.userErrors;
        if (m.args.stopOnEntry) {
          this.paused = true;
          this.announced = false;
          this.pauseReason = 'entry';
        }
        if (this.heldCount === 0) this.channel.ref(false);
        this.configured();
        const held = [...this.byThread.values()].flatMap((t) => (t.view.held && t.view.position ? [t.view.position] : []));
        const statuses = parsed.map((p) => {
          const message = p.breakpoint && !old.has(p.status.id) ? heldPastMessage(p.breakpoint, held) : undefined;
          if (message) this.emit('warning', { message });
          return message ? { ...p.status, message } : p.status;
        });
        return { breakpoints: statuses };
      }
      case 'pause':
        if (!this.paused) {
          this.paused = true;
          this.announced = false;
          this.pauseReason = 'pause';
        }
        return {};
      case 'continue':
        this.paused = false;
        this.announced = false;
        for (const t of this.byThread.values()) {
          t.step = undefined;
          t.release?.();
        }
        return {};
      case 'next': {
        const t = this.byThread.get(m.args.threadId);
        if (!t) throw new Error(`rollout thread ${m.args.threadId} has finished`);
        if (!t.release || !t.view.position) throw new Error(`${t.view.id} is running; pause it first`);
        t.step = { from: t.view.position };
        this.pauseReason = 'pause';
        t.release();
        return {};
      }
      case 'threads':
        return { threads: [...this.byThread.values()].map((t) => ({ id: t.view.threadId, name: threadName(t.view) })) };
      case 'rollout': {
        const t = this.byThread.get(m.args.threadId);
        if (!t) throw new Error(`rollout thread ${m.args.threadId} has finished`);
        if (t.session) {
          t.view.messages = t.session.transcript();
          t.view.flags = [...new Set([...t.view.flags, ...t.session.flags])];
        }
        return t.view;
      }
      case 'evaluate': {
        const t = m.args.threadId !== undefined ? this.byThread.get(m.args.threadId) : undefined;
        if (!t) throw new Error('select a rollout (a thread in the Call Stack view) to evaluate in');
        const expression = parseExpression(m.args.expression, SCOPE_NAMES);
        return { value: expression.evaluate(scopeOf(t.view)) as Value };
      }
    }
  }
}

/** The IPC channel to the process that spawned this one. */
function ipcChannel(): Channel {
  const onClose: (() => void)[] = [];
  process.on('disconnect', () => onClose.forEach((f) => f()));
  return {
    send: (m) => {
      if (process.connected) process.send!(m);
    },
    onMessage: (listener) => process.on('message', (m) => listener(m as ToTrainer)),
    onClose: (listener) => onClose.push(listener),
    ref: (on) => (on ? process.channel?.ref() : process.channel?.unref()),
  };
}

// The debug adapter's view of one rollout: its stack (the judge, then its turns, newest first),
// the transcript document behind each frame, and the scopes of a frame's variables.
import { Scope, Source, StackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { describePosition } from '../../trainer/src/debug/position';
import type { RolloutView } from '../../trainer/src/debug/protocol';
import { DEBUG_TYPE } from '../../trainer/src/run/constants';
import { judgeTranscript, turnTranscript } from './transcript';
import type { VariableStore } from './variables';

export interface FrameRef {
  threadId: number;
  kind: 'turn' | 'judge';
  turn: number;
}

export class Frames {
  private refs = new Map<number, FrameRef>();
  private nextFrame = 1;
  /** Transcript documents by rollout, frame kind and turn; they outlive the frames. */
  private sources = new Map<string, number>();
  private texts = new Map<number, string>();

  /** The frames of a rollout: the judge when it is there, then the turns, newest first. */
  stack(v: RolloutView, threadId: number): DebugProtocol.StackFrame[] {
    const p = v.position;
    const refs: FrameRef[] = [];
    if (p?.at === 'judge' || p?.at === 'judged') refs.push({ threadId, kind: 'judge', turn: -1 });
    const current = p && 'turn' in p ? p.turn : v.turns.length - 1;
    for (let k = Math.max(current, v.turns.length - 1); k >= 0; k--) refs.push({ threadId, kind: 'turn', turn: k });
    return refs.map((ref, i) => this.frame(v, ref, i === 0));
  }

  get(frameId: number): FrameRef | undefined {
    return this.refs.get(frameId);
  }

  text(sourceRef: number): string | undefined {
    return this.texts.get(sourceRef);
  }

  scopes(v: RolloutView, ref: FrameRef, store: VariableStore): DebugProtocol.Scope[] {
    const scopes: DebugProtocol.Scope[] = [];
    const p = v.position;
    const top = ref.kind === 'judge' || (p && 'turn' in p && p.turn === ref.turn);
    if (top && p && (p.at === 'tool' || p.at === 'tool_result')) scopes.push(new Scope('Tool call', store.scope(toolEntries(p)), false));
    if (ref.kind === 'judge') {
      scopes.push(new Scope('Judge', store.scope(judgeEntries(v)), false));
      scopes.push(new Scope('Conversation', store.scope(v.messages.map((m, i) => [`${i} ${m.role}`, m])), false));
    } else {
      const turn = v.turns[ref.turn];
      if (turn) scopes.push(new Scope(`Turn ${ref.turn}`, store.scope(turnEntries(turn)), false));
      const prompt = turn ? turn.prompt : (v.next_prompt ?? v.messages);
      scopes.push(new Scope('Messages', store.scope(prompt.map((m, i) => [`${i} ${m.role}`, m])), false));
    }
    scopes.push(new Scope('Rollout', store.scope(rolloutEntries(v)), true));
    return scopes;
  }

  /** Frame ids are valid while the rollouts stand still. */
  clear(): void {
    this.refs.clear();
  }

  clearDocuments(): void {
    this.sources.clear();
    this.texts.clear();
  }

  private frame(v: RolloutView, ref: FrameRef, top: boolean): DebugProtocol.StackFrame {
    const id = this.nextFrame++;
    this.refs.set(id, ref);
    const doc = ref.kind === 'judge' ? judgeTranscript(v) : turnTranscript(v, ref.turn);
    const key = `${v.id}:${ref.kind}:${ref.turn}`;
    let sourceRef = this.sources.get(key);
    if (sourceRef === undefined) this.sources.set(key, (sourceRef = this.sources.size + 1));
    this.texts.set(sourceRef, doc.text);
    const source = new Source(`${v.task_id} #${v.sample} · ${ref.kind === 'judge' ? 'judge' : `turn ${ref.turn}`}`, undefined, sourceRef, 'transcript', DEBUG_TYPE);
    let name: string;
    if (ref.kind === 'judge') {
      name = v.judged ? `reward ${v.judged.reward}${v.judged.success ? ' ✓' : ''}` : 'judge';
    } else {
      const turn = v.turns[ref.turn];
      const tools = turn?.tools.map((t) => t.call.name) ?? [];
      name = turn ? `turn ${ref.turn} · ${turn.role}${tools.length ? ` → ${tools.join(', ')}` : ''}${turn.flags.length ? ` [${turn.flags.join(', ')}]` : ''}` : `turn ${ref.turn} · next`;
      if (top && v.position && v.position.at !== 'turn' && v.position.at !== 'sampled') name += ` @ ${describePosition(v.position)}`;
    }
    return new StackFrame(id, name, source, doc.line, 1);
  }
}

function toolEntries(p: { call: { name: string; id: string; arguments: Record<string, unknown> }; content?: string; error?: boolean }): [string, unknown][] {
  return [
    ['name', p.call.name],
    ['id', p.call.id],
    ['arguments', p.call.arguments],
    ...(p.content !== undefined ? ([['result', p.content], ['error', p.error ?? false]] as [string, unknown][]) : []),
  ];
}

function turnEntries(t: RolloutView['turns'][number]): [string, unknown][] {
  return [
    ['index', t.index],
    ['role', t.role],
    ['content', t.message.content],
    ['tool calls', t.tools.map((x) => ({ name: x.call.name, id: x.call.id, arguments: x.call.arguments, result: x.content, error: x.error, duration_ms: x.duration_ms }))],
    ['flags', t.flags],
    ...(t.format_error ? ([['format_error', t.format_error]] as [string, unknown][]) : []),
    ['completion_tokens', t.completion_tokens],
    ['duration_ms', t.duration_ms],
  ];
}

function judgeEntries(v: RolloutView): [string, unknown][] {
  const entries: [string, unknown][] = [];
  if (v.judged) entries.push(['reward', v.judged.reward], ['success', v.judged.success], ['parts', v.judged.parts], ['final_answer', v.judged.final_answer]);
  else entries.push(['reward', 'not judged yet']);
  // The judge's inputs, readable at the judge stop before it runs.
  if (v.judge_input && !v.judged) entries.push(['final_answer', v.judge_input.final_answer], ['task', v.judge_input.task]);
  if (v.error) entries.push(['error', v.error]);
  entries.push(['flags', v.flags]);
  return entries;
}

function rolloutEntries(v: RolloutView): [string, unknown][] {
  return [
    ['id', v.id],
    ['task_id', v.task_id],
    ['question', v.question],
    ['reference', v.reference],
    ['sample', v.sample],
    ['step', v.step],
    ['phase', v.phase],
    ['at', v.position ? describePosition(v.position) : 'starting'],
    ['turns', v.turns.length],
    ['tool_calls', v.tool_calls],
    ['flags', v.flags],
    ...(v.judged ? ([['reward', v.judged.reward], ['parts', v.judged.parts], ['success', v.judged.success]] as [string, unknown][]) : []),
    ...(v.error ? ([['error', v.error]] as [string, unknown][]) : []),
    ...(v.custom.length ? ([['events', v.custom]] as [string, unknown][]) : []),
  ];
}

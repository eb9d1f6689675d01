// Rollouts that are running or finished but not yet in rollouts.jsonl: their table rows and
// transcripts, from the run's events through the trainer's one fold (trainer/src/run/fold).
import { readJsonl } from '../../trainer/src/run/reader';
import type { RunEvent } from '../../trainer/src/run/events';
import { closeRollouts, foldRollout, type RolloutState } from '../../trainer/src/run/fold';
import { flagBits, type RowSummary, type TranscriptRecord } from './protocol';

export class LiveRollouts {
  private folded = new Map<string, RolloutState>();
  /** Byte offset of each live rollout's `rollout_started` in events.jsonl. */
  private started = new Map<string, number>();

  /** `complete` tells whether a rollout's line has been read already (its events are then old news). */
  constructor(private readonly complete: (id: string) => boolean) {}

  /** Folds one event; returns the rows of the rollouts it changed (all unfinished ones when the run ends). */
  apply(e: RunEvent, offset: number): RowSummary[] {
    if (e.type === 'rollout_started' && this.complete(e.rollout_id)) return [];
    const closed = closeRollouts(this.folded, e);
    if (closed.length) return closed.map(rowOf);
    const r = foldRollout(this.folded, e);
    if (!r) return [];
    if (e.type === 'rollout_started') this.started.set(r.id, offset);
    return [rowOf(r)];
  }

  /** The rollout was cut off by the end of the run: its transcript will not grow. */
  cutOff(id: string): boolean {
    return Boolean(this.folded.get(id)?.cut_off);
  }

  /** Its rollouts.jsonl line has been read: the line is the rollout from now on. */
  done(id: string): void {
    this.folded.delete(id);
    this.started.delete(id);
  }

  has(id: string): boolean {
    return this.folded.has(id);
  }

  clear(): void {
    this.folded.clear();
    this.started.clear();
  }

  /** The full transcript of a live rollout, folded again from its events (the first read skips turns). */
  async transcript(eventsFile: string, id: string): Promise<TranscriptRecord> {
    const one = new Map<string, RolloutState>();
    const needle = JSON.stringify(id);
    for await (const batch of readJsonl<RunEvent>(eventsFile, { from: this.started.get(id) ?? 0, accept: (t) => t.includes(needle) })) {
      for (const { value: e } of batch) if (e && (e as { rollout_id?: string }).rollout_id === id) foldRollout(one, e);
    }
    const r = one.get(id);
    if (r) r.cut_off = this.folded.get(id)?.cut_off;
    return r ? transcriptOf(r) : { id, messages: [] };
  }
}

export function rowOf(r: RolloutState): RowSummary {
  const f = r.finished;
  return {
    id: r.id,
    step: r.step,
    phase: r.phase,
    task: r.task_id,
    group: r.group_id,
    sample: r.sample,
    reward: f ? f.reward : null,
    success: f ? f.success : null,
    adv: null,
    turns: f ? f.turns : r.turns.length,
    tools: f ? f.tool_calls : r.tool_calls,
    tokens: f ? (f.tokens?.completion ?? 0) : r.completion_tokens,
    flags: flagBits(r.flags),
    dur: f ? f.duration_ms : null,
    state: f ? 'finished' : r.cut_off ? 'stopped' : 'running',
    ...(r.source ? { source: r.source } : {}),
  };
}

export function transcriptOf(r: RolloutState): TranscriptRecord {
  const f = r.finished;
  return {
    id: r.id,
    messages: r.messages,
    step: r.step,
    phase: r.phase,
    task_id: r.task_id,
    group_id: r.group_id,
    sample: r.sample,
    question: r.question,
    ...(r.reference !== undefined ? { reference: r.reference } : {}),
    ...(f && f.final_answer !== undefined ? { final_answer: f.final_answer } : {}),
    flags: r.flags,
    tool_calls: r.tool_calls,
    ...(r.cut_off ? { cut_off: r.cut_off } : {}),
    ...(f ? { reward: f.reward, parts: f.parts, success: f.success, tokens: f.tokens, timings: { started: 0, duration_ms: f.duration_ms, model_ms: 0, tool_ms: 0, judge_ms: 0 } } : {}),
    ...(r.error?.source === 'judge' ? { judge: { error: r.error.message, stack: r.error.stack } } : {}),
    ...(r.error?.source === 'workflow' ? { error: { message: r.error.message, stack: r.error.stack, source: 'workflow' as const } } : {}),
  };
}

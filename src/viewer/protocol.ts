// The messages between the run viewer's host side (src/viewer) and its webview (media/).
// Both sides import this file; it holds types and pure helpers only, no Node or DOM APIs.
import { FLAGS, type Flag, type Phase, type RolloutRecord } from '../../trainer/src/run/events';
import type { RejudgeSummary } from '../../trainer/src/run/rejudgeDiff';
import type { RunEnd } from '../../trainer/src/run/fold';

/**
 * running: only `rollout_started` seen; finished: `rollout_finished` seen; stopped: the run
 * ended before the rollout finished; complete: its rollouts.jsonl line read.
 */
export type RowState = 'running' | 'finished' | 'stopped' | 'complete';

/** One rollout as the table shows it. The webview keeps only these; transcripts are fetched on demand. */
export interface RowSummary {
  id: string;
  step: number;
  phase: Phase;
  task: string;
  group: string;
  sample: number;
  reward: number | null;
  success: boolean | null;
  adv: number | null;
  turns: number;
  tools: number;
  /** Completion (sampled) tokens. */
  tokens: number;
  /** Bit i set when FLAGS[i] is present. */
  flags: number;
  /** Milliseconds, null while running. */
  dur: number | null;
  state: RowState;
  /** The task source, when `tasks.train.mix` names several. */
  source?: string;
}

export type RunStatus = 'loading' | 'running' | 'finished' | 'failed' | 'stopped' | 'unknown';

export interface RunInfo {
  dir: string;
  name: string;
  mode?: string;
  status: RunStatus;
  message?: string;
  format?: number;
  started?: number;
  /** Step n/N, time per step, time left and the last eval (trainer/src/run/progress.ts). */
  progress?: string;
  /** Shown in the header when the panel shows an imported file. */
  importedFrom?: string;
}

export interface StepMetrics {
  step: number;
  metrics: Record<string, number>;
}

export interface MetricSeries {
  name: string;
  train: StepMetrics[];
  eval: StepMetrics[];
}

export interface EvalTaskRow {
  task_id: string;
  n: number;
  correct: number;
}

export interface Problem {
  file: string;
  line?: number;
  message: string;
}

export interface LogEntry {
  t: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  rollout?: string;
}

/** A rollout as the transcript view receives it: complete, or assembled from live events. */
export type TranscriptRecord = Partial<RolloutRecord> & Pick<RolloutRecord, 'id' | 'messages'> & { cut_off?: RunEnd['status'] };

export type HostMessage =
  | { type: 'reset'; run: RunInfo }
  | { type: 'run'; run: RunInfo }
  | { type: 'rows'; rows: RowSummary[] }
  | { type: 'loaded'; rows: number; ms: number }
  | { type: 'metrics'; series: MetricSeries }
  | { type: 'compare'; series: MetricSeries | null }
  | { type: 'eval'; step: number; tasks: EvalTaskRow[] }
  | { type: 'problems'; problems: Problem[] }
  | { type: 'logs'; entries: LogEntry[] }
  | { type: 'transcript'; id: string; record?: TranscriptRecord; live: boolean; error?: string }
  | { type: 'search'; query: string; ids: string[]; done: boolean; error?: string }
  | { type: 'action'; action: 'rejudge' | 'judgeSource' | 'compare'; state: 'running' | 'done' | 'failed'; message: string }
  /** A re-judge was written and the rows re-read: what changed, in words and by rollout. */
  | { type: 'rejudged'; text: string; summary: RejudgeSummary };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'open'; id: string }
  | { type: 'search'; query: string }
  | { type: 'judgeSource' }
  /** Re-judge these rollouts, or the whole run without `ids`. */
  | { type: 'rejudge'; ids?: string[] }
  | { type: 'compare' }
  | { type: 'clearCompare' }
  /** After each redraw of the table: what the webview shows (tests and benchmarks wait on it). */
  | { type: 'rendered'; rows: number; shown: number; ids: string[] };

const ROW_KEYS = ['id', 'step', 'phase', 'task', 'group', 'sample', 'reward', 'success', 'adv', 'turns', 'tools', 'tokens', 'flags', 'dur', 'state', 'source'] as const satisfies readonly (keyof RowSummary)[];

/** Columns of strings that repeat (phase, task, group, state, source) travel as indexes into a list. */
const DICTIONARY_KEYS: ReadonlySet<string> = new Set(['phase', 'task', 'group', 'state', 'source']);

type Column = unknown[] | { values: unknown[]; index: number[] };

/** A host message as it crosses to the webview: rows travel as columns. */
export type WireMessage = Exclude<HostMessage, { type: 'rows' }> | { type: 'rows'; n: number; columns: Record<string, Column> };

/**
 * Rows cross as a few long arrays of numbers and strings, not as many small objects: the
 * webview's structured clone and JSON handle those several times faster, which is most of what
 * opening a run of 100,000 rollouts costs.
 */
export function toWire(m: HostMessage): WireMessage {
  if (m.type !== 'rows') return m;
  const columns: Record<string, Column> = {};
  for (const k of ROW_KEYS) {
    if (!DICTIONARY_KEYS.has(k)) {
      columns[k] = m.rows.map((r) => r[k] ?? null);
      continue;
    }
    const at = new Map<unknown, number>();
    const values: unknown[] = [];
    const index = m.rows.map((r) => {
      const v = r[k] ?? null;
      let i = at.get(v);
      if (i === undefined) at.set(v, (i = values.push(v) - 1));
      return i;
    });
    columns[k] = { values, index };
  }
  return { type: 'rows', n: m.rows.length, columns };
}

export function fromWire(m: WireMessage): HostMessage {
  if (m.type !== 'rows') return m;
  const rows: RowSummary[] = new Array(m.n);
  const c = m.columns;
  const at = (col: Column | undefined, i: number) => (col === undefined ? undefined : Array.isArray(col) ? col[i] : col.values[col.index[i]]);
  for (let i = 0; i < m.n; i++) {
    const row = {} as Record<string, unknown>;
    for (const k of ROW_KEYS) {
      const v = at(c[k], i);
      if (k !== 'source' || v !== null) row[k] = v;
    }
    rows[i] = row as unknown as RowSummary;
  }
  return { type: 'rows', rows };
}

export function flagBits(flags: readonly string[] | undefined): number {
  let bits = 0;
  for (const f of flags ?? []) {
    const i = FLAGS.indexOf(f as Flag);
    if (i >= 0) bits |= 1 << i;
  }
  return bits;
}

export function flagNames(bits: number): Flag[] {
  return FLAGS.filter((_, i) => bits & (1 << i));
}

export function summaryOf(r: RolloutRecord): RowSummary {
  return {
    id: r.id,
    step: r.step,
    phase: r.phase,
    task: r.task_id,
    group: r.group_id,
    sample: r.sample,
    reward: r.reward,
    success: r.success,
    adv: r.advantage ?? null,
    turns: r.turns?.length ?? 0,
    tools: r.tool_calls ?? 0,
    tokens: r.tokens?.completion ?? 0,
    flags: flagBits(r.flags),
    dur: r.timings?.duration_ms ?? null,
    state: 'complete',
    ...(r.source ? { source: r.source } : {}),
  };
}

/** A later state never gives way to an earlier one (a tail may deliver events after the rollout line). */
export function newer(a: RowState, b: RowState): boolean {
  const rank = { running: 0, finished: 1, stopped: 1, complete: 2 } as const;
  return rank[b] >= rank[a];
}

/** The webview's restorable state (vscode.setState). */
export interface ViewState {
  /** The run shown, so a panel restored after a reload knows what to read. */
  dir?: string;
  importedFrom?: string;
  tab: 'rollouts' | 'metrics' | 'eval' | 'log';
  sort: { key: SortKey; dir: 1 | -1 };
  group: GroupBy;
  filter: Filter;
  collapsed: string[];
  selected: string | null;
  scrollTop: number;
  tokenMode: 'logprob' | 'advantage';
  transcriptMode: 'messages' | 'tokens';
}

/** How the table nests its rows: by step then task group, by task source, or not at all. */
export type GroupBy = 'step' | 'source' | 'none';

export type SortKey = 'step' | 'task' | 'sample' | 'reward' | 'success' | 'adv' | 'turns' | 'tools' | 'tokens' | 'flags' | 'dur';

export interface Filter {
  failedOnly: boolean;
  /** Bits of flags a row must have at least one of; 0 = no flag filter. */
  flags: number;
  rewardMin: number | null;
  rewardMax: number | null;
  stepMin: number | null;
  stepMax: number | null;
  phase: Phase | 'all';
  /** Text searched inside transcripts by the host. */
  text: string;
}

export const emptyFilter = (): Filter => ({
  failedOnly: false,
  flags: 0,
  rewardMin: null,
  rewardMax: null,
  stepMin: null,
  stepMax: null,
  phase: 'all',
  text: '',
});

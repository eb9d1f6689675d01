// The viewer's data pipeline: reads a run directory, then follows its files, and posts
// batched updates to the webview. It holds an index (rollout id -> byte range) and row
// summaries, never transcripts; a transcript is read from its line when it is opened.
// Events are folded by the trainer's one fold (liveRows.ts, trainer/src/run/fold.ts).
// No vscode import: the UI tests and the benchmark drive this same class.
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { JsonlRecord, Tail } from '../../trainer/src/run/reader';
import { RUN_FILES, RUN_FORMAT_VERSION, type MetricsRow, type RunEvent } from '../../trainer/src/run/events';
import { foldRun, runStatus, type RunState } from '../../trainer/src/run/fold';
import { foldProgress, newProgress, progressOf, progressText } from '../../trainer/src/run/progress';
import { StepAggregator, mergeSteps } from './aggregate';
import { LiveRollouts } from './liveRows';
import { logEntryOf } from './logEntry';
import { newer, type HostMessage, type LogEntry, type MetricSeries, type Problem, type RowSummary, type RunInfo, type WebviewMessage } from './protocol';
import { evalFiles, lineAt, readEvalFile, runLabel } from './runFiles';
import { checkIsRun, followRun, readEvents, readMetrics, readRollouts, type RunSink } from './runRead';
import { SearchRequests } from './search';
import { OpenTranscript, type RolloutIndex } from './transcripts';
import { checkRollout } from './validate';

export interface RunSourceOptions {
  /** Delay before posting a batch of row updates; keeps messages few while staying live. */
  batchMs?: number;
  /** Fallback poll interval of the tails (fs.watch delivers most changes at once). */
  pollMs?: number;
  /** Shown in the header for imported runs. */
  importedFrom?: string;
}

const MAX_PROBLEMS = 50;

export class RunSource {
  private tails: Tail[] = [];
  private index: RolloutIndex = new Map();
  private rows = new Map<string, RowSummary>();
  /** Rollouts seen started but not yet in rollouts.jsonl. */
  private live = new LiveRollouts((id) => this.index.has(id));
  private runState: RunState = {};
  private progress = newProgress();
  private pending = new Map<string, RowSummary>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushedOnce = false;
  private lastFlush = 0;
  private agg = new StepAggregator();
  private logged = { train: new Map<number, Record<string, number>>(), eval: new Map<number, Record<string, number>>() };
  private metricsTimer: NodeJS.Timeout | undefined;
  private problems: Problem[] = [];
  private run: RunInfo;
  private transcript: OpenTranscript;
  private searches: SearchRequests;
  private generation = 0;
  private evalSteps = new Set<number>();
  private disposed = false;
  private readonly sink: RunSink = {
    rollout: (rec) => this.addRollout(rec),
    event: (e, offset, logs) => this.applyEvent(e, offset, logs),
    metrics: (row) => this.applyMetrics(row),
    logs: (entries) => this.post({ type: 'logs', entries }),
    problem: (p) => this.problem(p),
  };

  constructor(
    readonly dir: string,
    private readonly post: (m: HostMessage) => void,
    private readonly opts: RunSourceOptions = {},
  ) {
    this.run = { dir, name: basename(dir), status: 'loading', importedFrom: opts.importedFrom };
    this.transcript = new OpenTranscript(dir, this.index, this.live, post);
    this.searches = new SearchRequests(this.file(RUN_FILES.rollouts), post);
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  /** (Re)builds everything from the files, then follows them. Called on each `ready`. */
  async start(): Promise<void> {
    this.stop();
    const gen = ++this.generation;
    const current = () => gen === this.generation;
    this.resetState();
    const t0 = Date.now();
    this.post({ type: 'reset', run: { ...this.run } });

    await checkIsRun(this.dir, this.sink);
    // The first rows go out at once (first paint); later ones in a few large batches.
    const early = () => {
      if (this.pending.size && (!this.flushedOnce || Date.now() - this.lastFlush > 150)) this.flush();
    };
    const rollouts = await readRollouts(this.dir, this.sink, current, early, () => this.index.size > 0);
    if (!current()) return;
    this.flush();
    const events = await readEvents(this.dir, this.sink, current);
    if (!current()) return;
    const metrics = await readMetrics(this.dir, this.sink, current);
    if (!current()) return;
    for (const { step, rel } of await evalFiles(this.dir)) await this.readEvalFile(step, rel);
    if (!current()) return;
    if (this.run.status === 'loading') this.run.status = this.runState.started ? runStatus(this.runState) : 'unknown';
    this.run.progress = this.progressLine();
    // A live run may be between writing a line and its newline; a run that stopped never will.
    const size = await stat(this.file(RUN_FILES.rollouts)).then((s) => s.size, () => 0);
    if (size > rollouts && this.run.status !== 'running') {
      this.problem({ file: RUN_FILES.rollouts, message: `the last line is incomplete (${size - rollouts} bytes, cut off when the run stopped); it is not shown` });
    }
    this.flush();
    this.post({ type: 'run', run: { ...this.run } });
    this.postMetrics();
    this.post({ type: 'loaded', rows: this.rows.size, ms: Date.now() - t0 });
    if (this.disposed) return;
    // A file cut back and written again (a resume, a re-judge) invalidates what was read: rebuild.
    const onRewind = () => {
      if (current()) void this.start();
    };
    this.tails.push(...followRun(this.dir, { rollouts, events, metrics }, this.sink, current, { pollMs: this.opts.pollMs ?? 250, onRewind }));
  }

  private resetState(): void {
    this.index.clear();
    this.rows.clear();
    this.live.clear();
    this.pending.clear();
    this.agg = new StepAggregator();
    this.logged.train.clear();
    this.logged.eval.clear();
    this.problems = [];
    this.runState = {};
    this.progress = newProgress();
    this.evalSteps.clear();
    this.run = { dir: this.dir, name: basename(this.dir), status: 'loading', importedFrom: this.opts.importedFrom };
  }

  // ---- folding what was read -----------------------------------------------------------

  /** Indexes one line; returns a promise only when it has problems to report. */
  private addRollout(rec: JsonlRecord<unknown>): Promise<void> | undefined {
    const { row, problems } = checkRollout(rec.value);
    const reported = problems.length && this.problems.length < MAX_PROBLEMS ? this.reportAt(rec.offset, problems, row !== null) : undefined;
    if (!row) return reported;
    this.index.set(row.id, { offset: rec.offset, end: rec.end });
    this.live.done(row.id);
    this.upsert(row);
    this.transcript.lineRead(row.id);
    return reported;
  }

  private async reportAt(offset: number, problems: string[], kept: boolean): Promise<void> {
    const line = await lineAt(this.file(RUN_FILES.rollouts), offset);
    for (const message of problems) this.problem({ file: RUN_FILES.rollouts, line, message: kept ? message : `${message}; line skipped` });
  }

  private async readEvalFile(step: number, rel: string): Promise<void> {
    const { tasks, problems } = await readEvalFile(this.dir, rel);
    for (const p of problems) this.problem(p);
    this.evalSteps.add(step);
    this.post({ type: 'eval', step, tasks });
  }

  private applyEvent(e: RunEvent, offset: number, logs: LogEntry[]): void {
    if (!e || typeof e !== 'object' || typeof e.type !== 'string') return;
    const progressed = foldProgress(this.progress, e) && e.type !== 'rollout_finished';
    if (foldRun(this.runState, e) || progressed) this.runChanged(e);
    for (const row of this.live.apply(e, offset)) {
      this.upsert(row);
      this.transcript.liveChanged(row.id);
    }
    const log = logEntryOf(e);
    if (log) logs.push(log);
    if (e.type === 'step_metrics') this.applyMetrics({ step: e.step, kind: 'train', t: e.t, metrics: e.metrics });
    else if (e.type === 'eval_metrics') {
      this.applyMetrics({ step: e.step, kind: 'eval', t: e.t, metrics: e.metrics });
      if (this.run.status !== 'loading' && e.per_task_file) void this.readEvalFile(e.step, e.per_task_file);
    }
  }

  /** The run started, resumed, finished or failed: the header follows, once the first read is done. */
  private runChanged(e: RunEvent): void {
    const s = this.runState;
    if (e.type === 'run_started' && e.format > RUN_FORMAT_VERSION) {
      this.problem({ file: RUN_FILES.events, message: `this run uses format ${e.format}; this viewer reads format ${RUN_FORMAT_VERSION} and shows what it recognises` });
    }
    const loading = this.run.status === 'loading';
    this.run = {
      ...this.run,
      name: s.name || this.run.name,
      mode: s.mode,
      format: s.format,
      started: s.started,
      message: s.ended?.message,
      progress: this.progressLine(),
      status: loading ? 'loading' : (s.ended?.status ?? 'running'),
    };
    if (!loading) this.post({ type: 'run', run: { ...this.run } });
  }

  private progressLine(): string | undefined {
    return progressText(progressOf(this.progress), { live: !this.runState.ended }) || undefined;
  }

  private applyMetrics(row: MetricsRow): void {
    if (!row || typeof row.step !== 'number' || !row.metrics || typeof row.metrics !== 'object') return;
    const target = row.kind === 'eval' ? this.logged.eval : this.logged.train;
    target.set(row.step, { ...(target.get(row.step) ?? {}), ...row.metrics });
    this.scheduleMetrics();
  }

  // ---- posting -------------------------------------------------------------------------

  private upsert(row: RowSummary): void {
    const prev = this.rows.get(row.id);
    if (prev && !newer(prev.state, row.state)) return;
    this.rows.set(row.id, row);
    this.agg.add(row);
    this.pending.set(row.id, row);
    if (row.reward !== null) this.scheduleMetrics();
    if (!this.flushTimer && this.run.status !== 'loading') this.flushTimer = setTimeout(() => this.flush(), this.opts.batchMs ?? 16);
    else if (!this.flushTimer && this.pending.size >= 20000) this.flush();
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.pending.size) return;
    this.flushedOnce = true;
    this.lastFlush = Date.now();
    this.post({ type: 'rows', rows: [...this.pending.values()] });
    this.pending.clear();
  }

  private scheduleMetrics(): void {
    if (this.run.status === 'loading' || this.metricsTimer) return;
    this.metricsTimer = setTimeout(() => {
      this.metricsTimer = undefined;
      this.postMetrics();
    }, 200);
  }

  private postMetrics(): void {
    this.post({ type: 'metrics', series: this.series() });
  }

  series(): MetricSeries {
    return { name: runLabel(this.run.name, this.dir), train: mergeSteps(this.logged.train, this.agg.result()), eval: mergeSteps(this.logged.eval, []) };
  }

  private problem(p: Problem): void {
    if (this.problems.length >= MAX_PROBLEMS) return;
    this.problems.push(p);
    if (this.problems.length === MAX_PROBLEMS) this.problems.push({ file: p.file, message: `more than ${MAX_PROBLEMS} problems; the rest are not listed` });
    this.post({ type: 'problems', problems: [...this.problems] });
  }

  // ---- requests from the webview -------------------------------------------------------

  async handle(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        await this.start();
        break;
      case 'open':
        await this.transcript.open(msg.id);
        break;
      case 'search':
        await this.searches.run(msg.query);
        break;
    }
  }

  private stop(): void {
    for (const t of this.tails) t.close();
    this.tails = [];
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.metricsTimer) clearTimeout(this.metricsTimer);
    this.flushTimer = this.metricsTimer = undefined;
    this.transcript.stop();
    this.flushedOnce = false;
  }

  /** The row the table was last sent for `id`. */
  row(id: string): RowSummary | undefined {
    return this.rows.get(id);
  }

  /** Resolves when the tails have finished the reads started so far (tests and benchmarks). */
  async idle(): Promise<void> {
    await Promise.all(this.tails.map((t) => t.idle()));
  }

  dispose(): void {
    this.disposed = true;
    this.generation++;
    this.searches.close();
    this.stop();
  }
}

// The viewer's data pipeline: reads a run directory, then follows its files, and posts
// batched updates to the webview. It holds an index (rollout id -> byte range) and row
// summaries, never transcripts; a transcript is read from its line when it is opened.
// Events are folded by the trainer's one fold (liveRows.ts, trainer/src/run/fold.ts).
// No vscode import: the UI tests and the benchmark drive this same class.
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readAll, readJsonl, tailJsonl, type JsonlProblem, type JsonlRecord, type Tail } from '../../trainer/src/run/reader';
import { RUN_FILES, RUN_FORMAT_VERSION, type MetricsRow, type RolloutRecord, type RunEvent } from '../../trainer/src/run/events';
import { foldRun, runEnd, runStatus, type RunState } from '../../trainer/src/run/fold';
import { foldProgress, newProgress, progressOf, progressText } from '../../trainer/src/run/progress';
import { StepAggregator, mergeSteps } from './aggregate';
import { LiveRollouts } from './liveRows';
import { newer, type HostMessage, type LogEntry, type MetricSeries, type Problem, type RowSummary, type RunInfo, type WebviewMessage } from './protocol';
import { evalFiles, lineAt, readEvalFile, readRange, runLabel } from './runFiles';
import { checkRollout } from './validate';
import { searchRollouts } from './search';
import { detectFormat } from '../../trainer/src/run/convert/detect';

export interface RunSourceOptions {
  /** Delay before posting a batch of row updates; keeps messages few while staying live. */
  batchMs?: number;
  /** Fallback poll interval of the tails (fs.watch delivers most changes at once). */
  pollMs?: number;
  /** Shown in the header for imported runs. */
  importedFrom?: string;
}

const MAX_PROBLEMS = 50;
/** `{"type":"turn"` opens every turn event the writer produces; skipped on the first read. */
const isTurn = (text: string) => text.startsWith('{"type":"turn"');

export class RunSource {
  private tails: Tail[] = [];
  private index = new Map<string, { offset: number; end: number }>();
  private rows = new Map<string, RowSummary>();
  /** Rollouts seen started but not yet in rollouts.jsonl. */
  private live = new LiveRollouts((id) => this.index.has(id));
  private runState: RunState = {};
  private progress = newProgress();
  private pending = new Map<string, RowSummary>();
  private flushTimer: NodeJS.Timeout | undefined;
  private agg = new StepAggregator();
  private logged = { train: new Map<number, Record<string, number>>(), eval: new Map<number, Record<string, number>>() };
  private metricsTimer: NodeJS.Timeout | undefined;
  private problems: Problem[] = [];
  private run: RunInfo;
  private openId: string | null = null;
  private searchGen = 0;
  private generation = 0;
  private evalSteps = new Set<number>();
  private disposed = false;

  constructor(
    readonly dir: string,
    private readonly post: (m: HostMessage) => void,
    private readonly opts: RunSourceOptions = {},
  ) {
    this.run = { dir, name: basename(dir), status: 'loading', importedFrom: opts.importedFrom };
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  /** (Re)builds everything from the files, then follows them. Called on each `ready`. */
  async start(): Promise<void> {
    this.stop();
    const gen = ++this.generation;
    this.resetState();
    const t0 = Date.now();
    this.post({ type: 'reset', run: { ...this.run } });

    const present = await Promise.all([RUN_FILES.events, RUN_FILES.rollouts].map((f) => stat(this.file(f)).then(() => true, () => false)));
    if (!present.some(Boolean)) {
      const foreign = await detectFormat(this.dir).catch(() => null);
      this.problem({
        file: this.dir,
        message: foreign
          ? `This folder is not an Agent Tune run; it looks like ${foreign.label}. Use "Agent Tune: Open Run…" on it to import it.`
          : `This folder is not an Agent Tune run: it has neither ${RUN_FILES.events} nor ${RUN_FILES.rollouts}.`,
      });
    }

    const rolloutsNext = await this.readRollouts(gen);
    if (gen !== this.generation) return;
    this.flush();
    const eventsNext = await this.readEvents(gen);
    if (gen !== this.generation) return;
    const metricsNext = await this.readMetrics(gen);
    if (gen !== this.generation) return;
    await this.readEvalDir();
    if (gen !== this.generation) return;
    if (this.run.status === 'loading') this.run.status = this.runState.started ? runStatus(this.runState) : 'unknown';
    this.run.progress = this.progressLine();
    // A live run may be between writing a line and its newline; a run that stopped never will.
    const size = await stat(this.file(RUN_FILES.rollouts)).then((s) => s.size, () => 0);
    if (size > rolloutsNext && this.run.status !== 'running') {
      this.problem({ file: RUN_FILES.rollouts, message: `the last line is incomplete (${size - rolloutsNext} bytes, cut off when the run stopped); it is not shown` });
    }
    this.flush();
    this.post({ type: 'run', run: { ...this.run } });
    this.postMetrics();
    this.post({ type: 'loaded', rows: this.rows.size, ms: Date.now() - t0 });
    this.follow(rolloutsNext, eventsNext, metricsNext);
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

  // ---- reading -------------------------------------------------------------------------

  private async readRollouts(gen: number): Promise<number> {
    const file = this.file(RUN_FILES.rollouts);
    const problems: JsonlProblem[] = [];
    const it = readJsonl<unknown>(file, { chunkSize: 1 << 18 }, problems);
    let parsed = 0;
    let first: unknown;
    let next = 0;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        next = r.value;
        break;
      }
      if (gen !== this.generation) return 0;
      for (const rec of r.value) {
        if (parsed++ === 0) first = rec.value;
        const reported = this.addRollout(rec);
        if (reported) await reported;
      }
      // The first rows go out at once (first paint); later ones in a few large batches.
      if (this.pending.size && (!this.flushedOnce || Date.now() - this.lastFlush > 150)) this.flush();
    }
    for (const p of problems) this.problem({ file: RUN_FILES.rollouts, line: p.line, message: p.message });
    if (parsed > 0 && this.index.size === 0) await this.explainForeign(first);
    return next;
  }

  private flushedOnce = false;
  private lastFlush = 0;

  /** Indexes one line; returns a promise only when it has problems to report. */
  private addRollout(rec: JsonlRecord<unknown>): Promise<void> | undefined {
    const { row, problems } = checkRollout(rec.value);
    const reported = problems.length && this.problems.length < MAX_PROBLEMS ? this.reportAt(rec.offset, problems, row !== null) : undefined;
    if (!row) return reported;
    this.index.set(row.id, { offset: rec.offset, end: rec.end });
    this.live.done(row.id);
    this.upsert(row);
    if (this.openId === row.id) void this.sendTranscript(row.id);
    return reported;
  }

  private async reportAt(offset: number, problems: string[], kept: boolean): Promise<void> {
    const line = await lineAt(this.file(RUN_FILES.rollouts), offset);
    for (const message of problems) this.problem({ file: RUN_FILES.rollouts, line, message: kept ? message : `${message}; line skipped` });
  }

  private async explainForeign(first: unknown): Promise<void> {
    const keys = first && typeof first === 'object' ? Object.keys(first).slice(0, 8).join(', ') : typeof first;
    const foreign = await detectFormat(this.file(RUN_FILES.rollouts)).catch(() => null);
    this.problem({
      file: RUN_FILES.rollouts,
      message:
        `no line of this file is an Agent Tune rollout (the first has ${keys})` +
        (foreign ? `; it looks like ${foreign.label}: use "Agent Tune: Open Run…" on it to import it` : ''),
    });
  }

  private async readEvents(gen: number): Promise<number> {
    const problems: JsonlProblem[] = [];
    const it = readJsonl<RunEvent>(this.file(RUN_FILES.events), { chunkSize: 1 << 18, accept: (t) => !isTurn(t) }, problems);
    const logs: LogEntry[] = [];
    let next = 0;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        next = r.value;
        break;
      }
      if (gen !== this.generation) return 0;
      for (const rec of r.value) this.applyEvent(rec.value, rec.offset, logs);
    }
    for (const p of problems) this.problem({ file: RUN_FILES.events, line: p.line, message: p.message });
    if (logs.length) this.post({ type: 'logs', entries: logs });
    return next;
  }

  private async readMetrics(gen: number): Promise<number> {
    const { records, next, problems } = await readAll<MetricsRow>(this.file(RUN_FILES.metrics));
    if (gen !== this.generation) return 0;
    for (const r of records) this.applyMetrics(r.value);
    for (const p of problems) this.problem({ file: RUN_FILES.metrics, line: p.line, message: p.message });
    return next;
  }

  private async readEvalDir(): Promise<void> {
    for (const { step, rel } of await evalFiles(this.dir)) await this.readEvalFile(step, rel);
  }

  private async readEvalFile(step: number, rel: string): Promise<void> {
    const { tasks, problems } = await readEvalFile(this.dir, rel);
    for (const p of problems) this.problem(p);
    this.evalSteps.add(step);
    this.post({ type: 'eval', step, tasks });
  }

  // ---- following -----------------------------------------------------------------------

  private follow(rolloutsFrom: number, eventsFrom: number, metricsFrom: number): void {
    if (this.disposed) return;
    const pollMs = this.opts.pollMs ?? 250;
    const gen = this.generation;
    // A file cut back and written again (a resume, a re-judge) invalidates what was read: rebuild.
    const onRewind = () => {
      if (gen === this.generation) void this.start();
    };
    this.tails.push(
      tailJsonl<unknown>(
        this.file(RUN_FILES.rollouts),
        (recs) => {
          if (gen !== this.generation) return;
          for (const rec of recs) void this.addRollout(rec);
        },
        { from: rolloutsFrom, pollMs, onRewind, onProblem: (p) => this.problem({ file: RUN_FILES.rollouts, message: p.message }) },
      ),
      tailJsonl<RunEvent>(
        this.file(RUN_FILES.events),
        (recs) => {
          if (gen !== this.generation) return;
          const logs: LogEntry[] = [];
          for (const rec of recs) this.applyEvent(rec.value, rec.offset, logs);
          if (logs.length) this.post({ type: 'logs', entries: logs });
        },
        { from: eventsFrom, pollMs, onRewind, onProblem: (p) => this.problem({ file: RUN_FILES.events, message: p.message }) },
      ),
      tailJsonl<MetricsRow>(
        this.file(RUN_FILES.metrics),
        (recs) => {
          if (gen !== this.generation) return;
          for (const rec of recs) this.applyMetrics(rec.value);
        },
        { from: metricsFrom, pollMs, onRewind },
      ),
    );
  }

  private applyEvent(e: RunEvent, offset: number, logs: LogEntry[]): void {
    if (!e || typeof e !== 'object' || typeof e.type !== 'string') return;
    const progressed = foldProgress(this.progress, e) && e.type !== 'rollout_finished';
    if (foldRun(this.runState, e) || progressed) this.runChanged(e);
    for (const row of this.live.apply(e, offset)) {
      this.upsert(row);
      if (this.openId === row.id) this.scheduleLiveTranscript();
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
        this.openId = msg.id;
        await this.sendTranscript(msg.id);
        break;
      case 'search':
        await this.search(msg.query);
        break;
    }
  }

  private async sendTranscript(id: string): Promise<void> {
    const at = this.index.get(id);
    try {
      if (at) {
        const record = JSON.parse(await readRange(this.file(RUN_FILES.rollouts), at.offset, at.end)) as RolloutRecord;
        if (this.openId === id) this.post({ type: 'transcript', id, record, live: false });
      } else if (this.live.has(id)) {
        const record = await this.live.transcript(this.file(RUN_FILES.events), id);
        if (this.openId === id) this.post({ type: 'transcript', id, record, live: !this.live.cutOff(id) });
      } else {
        this.post({ type: 'transcript', id, live: false, error: `rollout ${id} is not in this run` });
      }
    } catch (e) {
      this.post({ type: 'transcript', id, live: false, error: `could not read rollout ${id}: ${(e as Error).message}` });
    }
  }

  private liveTimer: NodeJS.Timeout | undefined;
  private scheduleLiveTranscript(): void {
    if (this.liveTimer) return;
    this.liveTimer = setTimeout(() => {
      this.liveTimer = undefined;
      if (this.openId && !this.index.has(this.openId)) void this.sendTranscript(this.openId);
    }, 50);
  }

  private async search(query: string): Promise<void> {
    const gen = ++this.searchGen;
    const q = query.trim();
    if (!q) return void this.post({ type: 'search', query, ids: [], done: true });
    try {
      await searchRollouts(
        this.file(RUN_FILES.rollouts),
        q,
        (ids) => this.post({ type: 'search', query, ids, done: false }),
        () => gen !== this.searchGen || this.disposed,
      );
      if (gen === this.searchGen) this.post({ type: 'search', query, ids: [], done: true });
    } catch (e) {
      this.post({ type: 'search', query, ids: [], done: true, error: (e as Error).message });
    }
  }

  private stop(): void {
    for (const t of this.tails) t.close();
    this.tails = [];
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.metricsTimer) clearTimeout(this.metricsTimer);
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.flushTimer = this.metricsTimer = this.liveTimer = undefined;
    this.flushedOnce = false;
  }

  /** Resolves when the tails have finished the reads started so far (tests and benchmarks). */
  /** The row the table was last sent for `id`. */
  row(id: string): RowSummary | undefined {
    return this.rows.get(id);
  }

  async idle(): Promise<void> {
    await Promise.all(this.tails.map((t) => t.idle()));
  }

  dispose(): void {
    this.disposed = true;
    this.generation++;
    this.searchGen++;
    this.stop();
  }
}

/** What the Log tab shows of an event, if anything. */
function logEntryOf(e: RunEvent): LogEntry | undefined {
  switch (e.type) {
    case 'judge_error':
    case 'workflow_error':
      return { t: e.t, level: 'error', message: `${e.type === 'judge_error' ? 'judge' : 'workflow'} error: ${e.message}`, rollout: e.rollout_id };
    case 'log':
      return e.level === 'debug' ? undefined : { t: e.t, level: e.level, message: e.message };
    case 'checkpoint_saved':
      return { t: e.t, level: 'info', message: `checkpoint saved at step ${e.step}: ${e.path}` };
  }
  const end = runEnd(e);
  if (end?.status === 'failed') return { t: e.t, level: 'error', message: `run failed: ${end.message}` };
  if (end?.status === 'stopped') return { t: e.t, level: 'info', message: `run ${end.message}` };
  return undefined;
}

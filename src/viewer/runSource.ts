// The viewer's data pipeline: reads a run directory, then follows its files, and posts
// batched updates to the webview. It holds an index (rollout id -> byte range) and row
// summaries, never transcripts; a transcript is read from its line when it is opened.
// No vscode import: the UI tests and the benchmark drive this same class.
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readAll, readJsonl, tailJsonl, type JsonlProblem, type JsonlRecord, type Tail } from '../../trainer/src/run/reader';
import { RUN_FILES, RUN_FORMAT_VERSION, type MetricsRow, type RolloutRecord, type RunEvent, type EventOf, type Message } from '../../trainer/src/run/events';
import { StepAggregator, mergeSteps } from './aggregate';
import { flagBits, newer, type EvalTaskRow, type HostMessage, type LogEntry, type MetricSeries, type Problem, type RowSummary, type RunInfo, type TranscriptRecord, type WebviewMessage } from './protocol';
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
  /** Rollouts seen started but not yet in rollouts.jsonl: the events offset of `rollout_started`. */
  private live = new Map<string, number>();
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
    if (this.run.status === 'loading') this.run.status = this.run.started ? await this.liveness() : 'unknown';
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
    this.live.delete(row.id);
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
    const names = await readdir(this.file(RUN_FILES.eval)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const m = /^step-(\d+)\.jsonl$/.exec(name);
      if (m) await this.readEvalFile(Number(m[1]), join(RUN_FILES.eval, name));
    }
  }

  private async readEvalFile(step: number, rel: string): Promise<void> {
    const { records, problems } = await readAll<EvalTaskRow>(this.file(rel));
    const tasks: EvalTaskRow[] = [];
    for (const { value: v } of records) {
      if (v && typeof v.task_id === 'string' && typeof v.n === 'number' && typeof v.correct === 'number') tasks.push({ task_id: v.task_id, n: v.n, correct: v.correct });
      else this.problem({ file: rel, message: 'a line lacks `task_id`, `n` or `correct`; skipped' });
    }
    for (const p of problems) this.problem({ file: rel, line: p.line, message: p.message });
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
    switch (e.type) {
      case 'run_started':
        this.run = { ...this.run, name: e.name || this.run.name, mode: e.mode, format: e.format, started: e.t, status: this.run.status === 'loading' ? 'loading' : 'running' };
        this.pid = e.pid;
        if (e.format > RUN_FORMAT_VERSION) {
          this.problem({ file: RUN_FILES.events, message: `this run uses format ${e.format}; this viewer reads format ${RUN_FORMAT_VERSION} and shows what it recognises` });
        }
        if (this.run.status !== 'loading') this.post({ type: 'run', run: { ...this.run } });
        break;
      case 'rollout_started':
        if (this.index.has(e.rollout_id) || this.rows.has(e.rollout_id)) break;
        this.live.set(e.rollout_id, offset);
        this.upsert({
          id: e.rollout_id, step: e.step, phase: e.phase, task: e.task_id, group: e.group_id, sample: e.sample,
          reward: null, success: null, adv: null, turns: 0, tools: 0, tokens: 0, flags: 0, dur: null, state: 'running',
        });
        break;
      case 'turn': {
        const row = this.rows.get(e.rollout_id);
        if (!row || row.state !== 'running') break;
        const next = { ...row };
        if (e.kind === 'model') {
          next.turns++;
          next.tokens += e.completion_tokens ?? 0;
          next.flags |= flagBits(e.flags);
        } else if (e.kind === 'tool_call') next.tools++;
        this.upsert(next);
        if (this.openId === e.rollout_id) this.scheduleLiveTranscript();
        break;
      }
      case 'rollout_finished': {
        const row = this.rows.get(e.rollout_id);
        if (row && row.state === 'complete') break;
        this.upsert({
          id: e.rollout_id, step: e.step, phase: e.phase, task: e.task_id, group: e.group_id, sample: e.sample,
          reward: e.reward, success: e.success, adv: null, turns: e.turns, tools: e.tool_calls, tokens: e.tokens?.completion ?? 0,
          flags: flagBits(e.flags), dur: e.duration_ms, state: 'finished',
        });
        if (this.openId === e.rollout_id) this.scheduleLiveTranscript();
        break;
      }
      case 'judge_error':
      case 'workflow_error':
        logs.push({ t: e.t, level: 'error', message: `${e.type === 'judge_error' ? 'judge' : 'workflow'} error: ${e.message}`, rollout: e.rollout_id });
        break;
      case 'log':
        if (e.level !== 'debug') logs.push({ t: e.t, level: e.level, message: e.message });
        break;
      case 'checkpoint_saved':
        logs.push({ t: e.t, level: 'info', message: `checkpoint saved at step ${e.step}: ${e.path}` });
        break;
      case 'step_metrics':
        this.applyMetrics({ step: e.step, kind: 'train', t: e.t, metrics: e.metrics });
        break;
      case 'eval_metrics':
        this.applyMetrics({ step: e.step, kind: 'eval', t: e.t, metrics: e.metrics });
        if (this.run.status !== 'loading' && e.per_task_file) void this.readEvalFile(e.step, e.per_task_file);
        break;
      case 'run_finished':
        this.setStatus('finished', undefined, logs, e.t);
        break;
      case 'run_failed':
        this.setStatus('failed', e.message, logs, e.t);
        break;
    }
  }

  private pid: number | undefined;

  private setStatus(status: RunInfo['status'], message: string | undefined, logs: LogEntry[], t: number): void {
    const loading = this.run.status === 'loading';
    this.run = { ...this.run, status: loading ? 'loading' : status, message };
    this.finalStatus = status;
    if (message) logs.push({ t, level: 'error', message: `run failed: ${message}` });
    if (!loading) this.post({ type: 'run', run: { ...this.run } });
  }

  private finalStatus: RunInfo['status'] | undefined;

  /** After the first read: finished/failed from the events, else running if the trainer lives. */
  private async liveness(): Promise<RunInfo['status']> {
    if (this.finalStatus) return this.finalStatus;
    if (this.pid) {
      try {
        process.kill(this.pid, 0);
        return 'running';
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EPERM') return 'running';
        return 'stopped';
      }
    }
    return 'running';
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
    return { name: this.run.name, train: mergeSteps(this.logged.train, this.agg.result()), eval: mergeSteps(this.logged.eval, []) };
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
      } else if (this.live.has(id) || this.rows.has(id)) {
        const record = await this.assembleLive(id);
        if (this.openId === id) this.post({ type: 'transcript', id, record, live: true });
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

  /** A rollout not yet in rollouts.jsonl, rebuilt from its events. */
  private async assembleLive(id: string): Promise<TranscriptRecord> {
    const from = this.live.get(id) ?? 0;
    const messages: Message[] = [];
    const record: TranscriptRecord = { id, messages };
    for await (const batch of readJsonl<RunEvent>(this.file(RUN_FILES.events), { from, accept: (t) => t.includes(JSON.stringify(id)) })) {
      for (const { value: e } of batch) {
        if (!e || (e as { rollout_id?: string }).rollout_id !== id) continue;
        if (e.type === 'rollout_started') {
          Object.assign(record, { step: e.step, phase: e.phase, task_id: e.task_id, group_id: e.group_id, sample: e.sample, question: e.question });
          messages.push({ role: 'user', content: e.question });
        } else if (e.type === 'turn') {
          addTurn(messages, e);
        } else if (e.type === 'rollout_finished') {
          Object.assign(record, { reward: e.reward, parts: e.parts, success: e.success, flags: e.flags, tool_calls: e.tool_calls, tokens: e.tokens });
          record.timings = { started: 0, duration_ms: e.duration_ms, model_ms: 0, tool_ms: 0, judge_ms: 0 };
        } else if (e.type === 'judge_error') {
          record.judge = { error: e.message, stack: e.stack };
        } else if (e.type === 'workflow_error') {
          record.error = { message: e.message, stack: e.stack, source: 'workflow' };
        }
      }
    }
    return record;
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

  /** Metrics of this run for another panel's comparison overlay: read once, not followed. */
  static async loadSeries(dir: string): Promise<MetricSeries> {
    const posts: HostMessage[] = [];
    const src = new RunSource(dir, (m) => posts.push(m));
    const gen = src.generation;
    await src.readRollouts(gen);
    await src.readEvents(gen);
    await src.readMetrics(gen);
    return src.series();
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

function addTurn(messages: Message[], e: EventOf<'turn'>): void {
  if (e.kind === 'model') messages.push({ ...e.message });
  else if (e.kind === 'tool_call') {
    const last = [...messages].reverse().find((m) => m.role === 'assistant');
    if (last && !last.tool_calls?.some((c) => c.id === e.call.id)) last.tool_calls = [...(last.tool_calls ?? []), e.call];
  } else messages.push({ role: 'tool', content: e.content, tool_call_id: e.call_id, name: e.name });
}

export async function readRange(file: string, start: number, end: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    await fh.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** 1-based line number of the line starting at `offset` (counted only when a problem is reported). */
export async function lineAt(file: string, offset: number): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let line = 1;
    for (let pos = 0; pos < offset; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, offset - pos), pos);
      if (!bytesRead) break;
      for (let i = 0; i < bytesRead; i++) if (buf[i] === 0x0a) line++;
      pos += bytesRead;
    }
    return line;
  } finally {
    await fh.close();
  }
}

// Reading a run directory's files for the viewer: the first full read of each file, then
// tails that follow them. What a line means is the sink's business (runSource.ts).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readAll, readJsonl, tailJsonl, type JsonlProblem, type JsonlRecord, type Tail } from '../../trainer/src/run/reader';
import { RUN_FILES, type MetricsRow, type RunEvent } from '../../trainer/src/run/events';
import { detectFormat } from '../../trainer/src/run/convert/detect';
import type { LogEntry, Problem } from './protocol';

/** What the reads hand each line to. */
export interface RunSink {
  /** Indexes one rollouts.jsonl line; returns a promise only when it has problems to report. */
  rollout(rec: JsonlRecord<unknown>): Promise<void> | undefined;
  /** Folds one event; a Log-tab entry it makes goes into `logs`. */
  event(e: RunEvent, offset: number, logs: LogEntry[]): void;
  metrics(row: MetricsRow): void;
  logs(entries: LogEntry[]): void;
  problem(p: Problem): void;
}

/** `{"type":"turn"` opens every turn event the writer produces; skipped on the first read. */
const isTurn = (text: string) => text.startsWith('{"type":"turn"');

/** Reports a folder that holds neither run file, naming the format it looks like if any. */
export async function checkIsRun(dir: string, sink: RunSink): Promise<void> {
  const present = await Promise.all([RUN_FILES.events, RUN_FILES.rollouts].map((f) => stat(join(dir, f)).then(() => true, () => false)));
  if (present.some(Boolean)) return;
  const foreign = await detectFormat(dir).catch(() => null);
  sink.problem({
    file: dir,
    message: foreign
      ? `This folder is not an Agent Tune run; it looks like ${foreign.label}. Use "Agent Tune: Open Run…" on it to import it.`
      : `This folder is not an Agent Tune run: it has neither ${RUN_FILES.events} nor ${RUN_FILES.rollouts}.`,
  });
}

/** Hands each chunk of a read to `each`; the offset to follow from, or null once `current()` turned false. */
async function eachChunk<T>(it: AsyncGenerator<T[], number>, current: () => boolean, each: (chunk: T[]) => Promise<void> | void): Promise<number | null> {
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
    if (!current()) return null;
    await each(r.value);
  }
}

/**
 * Reads rollouts.jsonl; `batch` runs after each chunk. Returns the offset to follow from, or 0
 * when `current()` turned false. `indexed()` tells whether any line was a rollout.
 */
export async function readRollouts(dir: string, sink: RunSink, current: () => boolean, batch: () => void, indexed: () => boolean): Promise<number> {
  const file = join(dir, RUN_FILES.rollouts);
  const problems: JsonlProblem[] = [];
  const it = readJsonl<unknown>(file, { chunkSize: 1 << 18 }, problems);
  let parsed = 0;
  let first: unknown;
  const next = await eachChunk(it, current, async (chunk) => {
    for (const rec of chunk) {
      if (parsed++ === 0) first = rec.value;
      const reported = sink.rollout(rec);
      if (reported) await reported;
    }
    batch();
  });
  if (next === null) return 0;
  for (const p of problems) sink.problem({ file: RUN_FILES.rollouts, line: p.line, message: p.message });
  if (parsed > 0 && !indexed()) await explainForeign(file, first, sink);
  return next;
}

async function explainForeign(file: string, first: unknown, sink: RunSink): Promise<void> {
  const keys = first && typeof first === 'object' ? Object.keys(first).slice(0, 8).join(', ') : typeof first;
  const foreign = await detectFormat(file).catch(() => null);
  sink.problem({
    file: RUN_FILES.rollouts,
    message:
      `no line of this file is an Agent Tune rollout (the first has ${keys})` +
      (foreign ? `; it looks like ${foreign.label}: use "Agent Tune: Open Run…" on it to import it` : ''),
  });
}

/** Reads events.jsonl without its turn events (live transcripts read those when opened). */
export async function readEvents(dir: string, sink: RunSink, current: () => boolean): Promise<number> {
  const problems: JsonlProblem[] = [];
  const it = readJsonl<RunEvent>(join(dir, RUN_FILES.events), { chunkSize: 1 << 18, accept: (t) => !isTurn(t) }, problems);
  const logs: LogEntry[] = [];
  const next = await eachChunk(it, current, (chunk) => {
    for (const rec of chunk) sink.event(rec.value, rec.offset, logs);
  });
  if (next === null) return 0;
  for (const p of problems) sink.problem({ file: RUN_FILES.events, line: p.line, message: p.message });
  if (logs.length) sink.logs(logs);
  return next;
}

export async function readMetrics(dir: string, sink: RunSink, current: () => boolean): Promise<number> {
  const { records, next, problems } = await readAll<MetricsRow>(join(dir, RUN_FILES.metrics));
  if (!current()) return 0;
  for (const r of records) sink.metrics(r.value);
  for (const p of problems) sink.problem({ file: RUN_FILES.metrics, line: p.line, message: p.message });
  return next;
}

/** Where the first read of each file ended. */
export interface ReadEnds {
  rollouts: number;
  events: number;
  metrics: number;
}

/** Follows the three files from where the first read ended; `onRewind` when one is cut back. */
export function followRun(dir: string, from: ReadEnds, sink: RunSink, current: () => boolean, opts: { pollMs: number; onRewind: () => void }): Tail[] {
  const { pollMs, onRewind } = opts;
  return [
    tailJsonl<unknown>(
      join(dir, RUN_FILES.rollouts),
      (recs) => {
        if (!current()) return;
        for (const rec of recs) void sink.rollout(rec);
      },
      { from: from.rollouts, pollMs, onRewind, onProblem: (p) => sink.problem({ file: RUN_FILES.rollouts, message: p.message }) },
    ),
    tailJsonl<RunEvent>(
      join(dir, RUN_FILES.events),
      (recs) => {
        if (!current()) return;
        const logs: LogEntry[] = [];
        for (const rec of recs) sink.event(rec.value, rec.offset, logs);
        if (logs.length) sink.logs(logs);
      },
      { from: from.events, pollMs, onRewind, onProblem: (p) => sink.problem({ file: RUN_FILES.events, message: p.message }) },
    ),
    tailJsonl<MetricsRow>(
      join(dir, RUN_FILES.metrics),
      (recs) => {
        if (!current()) return;
        for (const rec of recs) sink.metrics(rec.value);
      },
      { from: from.metrics, pollMs, onRewind },
    ),
  ];
}

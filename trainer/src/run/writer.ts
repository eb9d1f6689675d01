// Appends a run's JSONL files. Each record is written with one write(2) call, so a reader
// sees whole lines or a torn last line, never interleaved ones; `sync` makes them durable
// (called at checkpoints).
import { closeSync, fsyncSync, mkdirSync, openSync, writeFileSync, writeSync, existsSync, ftruncateSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeFsError } from './fs-errors';
import { plainData, safeStringify, USER_DATA_MAX_BYTES } from './safe-json';
import { RUN_FILES, type EventInput, type MetricsRow, type Provenance, type RolloutLine, type RolloutRecord, type RunEvent } from './events';

export class JsonlAppender {
  private fd: number;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'a');
    } catch (e) {
      throw describeFsError(e, path, 'the run file');
    }
  }
  /** Appends one line of JSON text. */
  appendText(text: string): void {
    try {
      // One write(2) in the normal case; a short write (a disk filling up) is continued, so
      // the next one fails with the cause instead of the line being cut silently.
      const buf = Buffer.from(text + '\n');
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
    } catch (e) {
      throw describeFsError(e, this.path, 'the run file', `free some space, then continue the run with --resume ${dirname(this.path)}`);
    }
  }
  append(value: unknown): void {
    this.appendText(safeStringify(value));
  }
  /** Current length in bytes: the offset a checkpoint records. */
  size(): number {
    return fstatSync(this.fd).size;
  }
  /** Drops everything after `offset`; used when resuming from a checkpoint. */
  truncate(offset: number): void {
    ftruncateSync(this.fd, offset);
  }
  sync(): void {
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

export interface RunOffsets {
  events: number;
  rollouts: number;
  metrics: number;
  seq: number;
}

export class RunWriter {
  readonly events: JsonlAppender;
  readonly rollouts: JsonlAppender;
  readonly metrics: JsonlAppender;
  private seq = 0;
  private listeners = new Set<(e: RunEvent) => void>();
  /** Most JSON a judge's `details` and a workflow's events may add to one rollout. */
  userDataMaxBytes = USER_DATA_MAX_BYTES;
  /** Bytes of workflow events each unfinished rollout has written. */
  private userData = new Map<string, number>();

  constructor(readonly dir: string) {
    try {
      mkdirSync(join(dir, RUN_FILES.checkpoints), { recursive: true });
    } catch (e) {
      throw describeFsError(e, dir, 'the run folder');
    }
    this.events = new JsonlAppender(join(dir, RUN_FILES.events));
    this.rollouts = new JsonlAppender(join(dir, RUN_FILES.rollouts));
    this.metrics = new JsonlAppender(join(dir, RUN_FILES.metrics));
  }

  /** Creates `<parent>/<time>-<name>/`, never reusing an existing folder. */
  static create(parent: string, name: string, now = new Date()): RunWriter {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    let dir = join(parent, `${stamp}-${name}`);
    for (let i = 2; existsSync(dir); i++) dir = join(parent, `${stamp}-${name}-${i}`);
    return new RunWriter(dir);
  }

  emit(e: EventInput): RunEvent {
    let event = { ...e, seq: this.seq++, t: Date.now() } as RunEvent;
    if (event.type === 'custom') event = { ...event, data: this.capUserData(event.rollout_id, event.data) };
    let text: string;
    try {
      text = JSON.stringify(event);
    } catch {
      // Listeners (the debug bridge, the viewer) get the same safe copy the file does.
      event = plainData(event, this.userDataMaxBytes * 4).value as RunEvent;
      text = JSON.stringify(event);
    }
    this.events.appendText(text);
    for (const l of this.listeners) l(event);
    return event;
  }

  /** Observers in the same process (the debug bridge, the progress bar). */
  onEvent(listener: (e: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  rollout(r: RolloutRecord): void {
    this.userData.delete(r.id);
    const judge = r.judge && r.judge.details !== undefined ? { ...r.judge, details: plainData(r.judge.details, this.userDataMaxBytes).value } : r.judge;
    // Prompt ids are for the update only; the messages already say what the prompt was.
    const line: RolloutLine = { ...r, ...(judge && { judge }), turns: r.turns.map(({ prompt_ids: _ids, ...t }) => t) };
    this.rollouts.append(line);
  }

  /** A workflow event's data within what is left of its rollout's budget; a marker once it is spent. */
  private capUserData(rolloutId: string, data: unknown): unknown {
    const used = this.userData.get(rolloutId) ?? 0;
    const left = this.userDataMaxBytes - used;
    if (left <= 0) return { $truncated: true, reason: `this rollout's workflow events passed ${this.userDataMaxBytes} bytes; later ones are dropped` };
    const p = plainData(data, left);
    this.userData.set(rolloutId, used + p.bytes);
    return p.value;
  }

  metric(row: Omit<MetricsRow, 't'>): void {
    this.metrics.append({ ...row, t: Date.now() });
  }

  writeConfig(text: string): void {
    this.writeFile(RUN_FILES.config, text);
  }

  writeProvenance(p: Provenance): void {
    this.writeFile(RUN_FILES.provenance, JSON.stringify(p, null, 2) + '\n');
  }

  private writeFile(name: string, text: string): void {
    try {
      writeFileSync(join(this.dir, name), text);
    } catch (e) {
      throw describeFsError(e, join(this.dir, name), name);
    }
  }

  offsets(): RunOffsets {
    return { events: this.events.size(), rollouts: this.rollouts.size(), metrics: this.metrics.size(), seq: this.seq };
  }

  /** Rewinds all files to a checkpoint's offsets, so resumed work is not written twice. */
  rewind(o: RunOffsets): void {
    this.events.truncate(o.events);
    this.rollouts.truncate(o.rollouts);
    this.metrics.truncate(o.metrics);
    this.seq = o.seq;
  }

  sync(): void {
    this.events.sync();
    this.rollouts.sync();
    this.metrics.sync();
  }

  close(): void {
    this.events.close();
    this.rollouts.close();
    this.metrics.close();
  }
}

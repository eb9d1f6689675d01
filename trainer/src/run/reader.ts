// Streams JSONL from a byte offset in bounded memory. A last line without its newline is
// still being written: it is left for the next read, and `next` points at its start.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

export interface JsonlRecord<T = unknown> {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's newline: where the next read resumes. */
  end: number;
  value: T;
}

export interface JsonlProblem {
  offset: number;
  /** 1-based line number counted from the offset reading started at. */
  line: number;
  message: string;
}

export interface ReadOptions {
  from?: number;
  /** Stop after this many bytes have been consumed (whole lines only). */
  maxBytes?: number;
  chunkSize?: number;
  /** Lines for which this returns false are skipped unparsed (a cheap pre-filter on the raw text). */
  accept?: (text: string) => boolean;
}

const NL = 0x0a;

/**
 * Yields batches of parsed lines. Memory stays within one chunk plus the longest line.
 * `problems` collects lines that are not JSON; they are skipped, never fatal.
 */
export async function* readJsonl<T = unknown>(
  file: string,
  opts: ReadOptions = {},
  problems: JsonlProblem[] = [],
): AsyncGenerator<JsonlRecord<T>[], number> {
  const from = opts.from ?? 0;
  const chunkSize = opts.chunkSize ?? 1 << 16;
  const limit = opts.maxBytes ?? Infinity;
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return from;
    throw e;
  }
  let pos = from; // file offset of carry[0]
  let carry = Buffer.alloc(0);
  let line = 0;
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    for (;;) {
      if (pos - from >= limit) break;
      const { bytesRead } = await fh.read(buf, 0, chunkSize, pos + carry.length);
      if (bytesRead === 0) break;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
      const batch: JsonlRecord<T>[] = [];
      let start = 0;
      for (let nl = data.indexOf(NL, start); nl >= 0; nl = data.indexOf(NL, start)) {
        if (pos + nl + 1 - from > limit) break;
        line++;
        const text = data.toString('utf8', start, nl).trim();
        if (text && (!opts.accept || opts.accept(text))) {
          try {
            batch.push({ offset: pos + start, end: pos + nl + 1, value: JSON.parse(text) as T });
          } catch (e) {
            problems.push({ offset: pos + start, line, message: `line ${line} is not valid JSON: ${(e as Error).message}` });
          }
        }
        start = nl + 1;
      }
      carry = data.subarray(start);
      pos += start;
      if (batch.length) yield batch;
      if (start === 0 && pos - from + carry.length >= limit) break;
    }
  } finally {
    await fh.close();
  }
  return pos;
}

/** Reads every complete line from `from`; returns the records and the offset to resume at. */
export async function readAll<T = unknown>(file: string, from = 0): Promise<{ records: JsonlRecord<T>[]; next: number; problems: JsonlProblem[] }> {
  const records: JsonlRecord<T>[] = [];
  const problems: JsonlProblem[] = [];
  const it = readJsonl<T>(file, { from }, problems);
  for (;;) {
    const r = await it.next();
    if (r.done) return { records, next: r.value, problems };
    for (const rec of r.value) records.push(rec);
  }
}

export interface Tail {
  close(): void;
  /** Resolves once the reads started so far have finished. */
  idle(): Promise<void>;
}

/**
 * Follows a growing JSONL file: delivers complete lines as they are appended, from `from`.
 * fs.watch gives low latency; a poll covers file systems where it misses changes.
 * A file that was cut back and written again (a resume rewinds the run's files to a
 * checkpoint) is noticed even when it has grown past the old end: the bytes just before the
 * resume offset are kept and compared, and so is the file's inode (a file renamed over it). Then `onRewind` is called and the tail stops; without
 * it, reading starts over from the beginning.
 */
export function tailJsonl<T = unknown>(
  file: string,
  onBatch: (records: JsonlRecord<T>[], next: number) => void,
  opts: { from?: number; pollMs?: number; onProblem?: (p: JsonlProblem) => void; onRewind?: () => void } = {},
): Tail {
  let next = opts.from ?? 0;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let busy = false;
  let watcher: FSWatcher | undefined;
  let mark: Buffer | undefined;

  /** The last bytes before `at`: what must still be there when the file has only grown. */
  const markAt = async (at: number): Promise<Buffer | undefined> => {
    const len = Math.min(at, MARK_BYTES);
    if (len === 0) return Buffer.alloc(0);
    const fh = await open(file, 'r').catch(() => undefined);
    if (!fh) return undefined;
    try {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, at - len);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  };
  let ino: number | undefined;
  const rewound = async (): Promise<boolean> => {
    const st = await stat(file).catch(() => undefined);
    if (!st) return false;
    // A file renamed over this one (`rejudge --write`, `--undo`) is another file, whatever its size.
    const replaced = ino !== undefined && st.ino !== ino && next > 0;
    ino = st.ino;
    if (replaced) return true;
    const size = st.size;
    if (size < next) return true;
    if (next === 0) return false;
    mark ??= await markAt(next);
    const now = await markAt(next);
    return !!mark && !!now && !mark.equals(now);
  };

  const pump = async () => {
    const problems: JsonlProblem[] = [];
    if (await rewound()) {
      if (opts.onRewind) {
        closed = true;
        opts.onRewind();
        return;
      }
      next = 0;
    }
    const it = readJsonl<T>(file, { from: next }, problems);
    for (;;) {
      const r = await it.next();
      if (r.done) {
        if (r.value !== next) mark = await markAt(r.value);
        next = r.value;
        break;
      }
      if (!closed) onBatch(r.value, r.value[r.value.length - 1].end);
    }
    for (const p of problems) opts.onProblem?.(p);
  };
  const kick = () => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    running = (async () => {
      do {
        again = false;
        await pump().catch(() => undefined);
      } while (again && !closed);
      busy = false;
    })();
  };
  try {
    watcher = watch(file, { persistent: false }, kick);
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // file not there yet: polling finds it
  }
  const timer = setInterval(kick, opts.pollMs ?? 250);
  timer.unref?.();
  kick();
  return {
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
    },
    idle: () => running,
  };
}

/** How many bytes before the resume offset identify the file's content (a JSONL line end). */
const MARK_BYTES = 256;

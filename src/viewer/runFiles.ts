// Reading pieces of a run's files: one line by its byte range, the line number of an offset,
// and the per-task evaluation files under eval/.
import { open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readAll } from '../../trainer/src/run/reader';
import { RUN_FILES } from '../../trainer/src/run/events';
import type { EvalTaskRow, Problem } from './protocol';

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

/** The steps that have an eval/step-N.jsonl, in order, with the file's path relative to the run. */
export async function evalFiles(dir: string): Promise<{ step: number; rel: string }[]> {
  const names = await readdir(join(dir, RUN_FILES.eval)).catch(() => [] as string[]);
  return names
    .sort()
    .flatMap((name) => {
      const m = /^step-(\d+)\.jsonl$/.exec(name);
      return m ? [{ step: Number(m[1]), rel: join(RUN_FILES.eval, name) }] : [];
    });
}

/** One evaluation's per-task rows; lines that lack a field are reported and skipped. */
export async function readEvalFile(dir: string, rel: string): Promise<{ tasks: EvalTaskRow[]; problems: Problem[] }> {
  const { records, problems } = await readAll<EvalTaskRow>(join(dir, rel));
  const tasks: EvalTaskRow[] = [];
  const out: Problem[] = [];
  for (const { value: v } of records) {
    if (v && typeof v.task_id === 'string' && typeof v.n === 'number' && typeof v.correct === 'number') tasks.push({ task_id: v.task_id, n: v.n, correct: v.correct });
    else out.push({ file: rel, message: 'a line lacks `task_id`, `n` or `correct`; skipped' });
  }
  for (const p of problems) out.push({ file: rel, line: p.line, message: p.message });
  return { tasks, problems: out };
}

/**
 * How charts name a run. Runs of one config share a name, so the folder (`<time>-<name>`, as
 * the trainer creates it) tells them apart; a folder without the name gets it in front.
 */
export function runLabel(name: string, dir: string): string {
  const folder = basename(dir);
  return !name || folder.includes(name) ? folder : `${name} (${folder})`;
}

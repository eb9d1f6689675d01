// Rewrites a finished run's rollouts.jsonl and metrics.jsonl as one change that can be undone:
// the files as they were are kept under `rejudge/<time>/`, the new ones are written beside the
// old and renamed over them. While the renames happen a journal (`rejudge/applying.json`)
// names the revision; whoever finds it (a crash, a kill) restores that revision, so the run is
// always the old one or the new one. docs/run-format.md describes the folder.
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES } from './constants';
import { processAlive } from './fold';

/** The files a revision replaces, by their name in the run directory. */
export const REVISED_FILES = [RUN_FILES.rollouts, RUN_FILES.metrics] as const;
export type RevisedFile = (typeof REVISED_FILES)[number];

/** What `rejudge/<time>/revision.json` records about the change it can undo. */
export interface RevisionInfo {
  /** The folder's name under `rejudge/`. */
  name: string;
  created: string;
  judge: string;
  /** The rollouts that were re-judged; absent for the whole run. */
  ids?: string[];
  changed: number;
}

/** The steps of a write, in order; `onStage` is called as each begins (`renaming` once per file), for progress and for tests that crash there. */
export const WRITE_STAGES = ['keeping', 'writing', 'journal', 'renaming', 'done'] as const;
export type WriteStage = (typeof WRITE_STAGES)[number];

const JOURNAL = 'applying.json';
/** Holds the pid of the process changing the run; another one waits its turn. */
const LOCK = 'lock';
const INFO = 'revision.json';
const NEW_SUFFIX = '.rejudge-new';
const PARTIAL = '.partial';

export function revisionsDir(runDir: string): string {
  return join(runDir, RUN_FILES.rejudge);
}

/** Revisions kept in a run, oldest first. */
export function listRevisions(runDir: string): RevisionInfo[] {
  const dir = revisionsDir(runDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.endsWith(PARTIAL) && existsSync(join(dir, n, INFO)))
    .sort()
    .map((n) => ({ ...(JSON.parse(readFileSync(join(dir, n, INFO), 'utf8')) as RevisionInfo), name: n }));
}

/**
 * Replaces the run's files with `next` (full texts by file name), keeping the current ones as a
 * new revision. Returns the revision's name.
 */
export function writeRevision(
  runDir: string,
  next: Partial<Record<RevisedFile, string>>,
  info: Omit<RevisionInfo, 'name' | 'created'>,
  onStage: (stage: WriteStage) => void = () => undefined,
  now = new Date(),
): string {
  return locked(runDir, () => {
    recoverLocked(runDir);
    return write(runDir, next, info, onStage, now);
  });
}

function write(runDir: string, next: Partial<Record<RevisedFile, string>>, info: Omit<RevisionInfo, 'name' | 'created'>, onStage: (stage: WriteStage) => void, now: Date): string {
  const base = revisionsDir(runDir);
  let name = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').slice(0, 19);
  for (let i = 2; existsSync(join(base, name)); i++) name = `${name.split('_')[0]}_${i}`;
  const partial = join(base, name + PARTIAL);
  const files = REVISED_FILES.filter((f) => next[f] !== undefined && existsSync(join(runDir, f)));

  onStage('keeping');
  mkdirSync(partial, { recursive: true });
  for (const f of files) copyDurably(join(runDir, f), join(partial, f));
  writeDurably(join(partial, INFO), JSON.stringify({ ...info, name, created: now.toISOString() }, null, 2) + '\n');

  onStage('writing');
  for (const f of files) writeDurably(join(runDir, f + NEW_SUFFIX), next[f]!);

  // From the journal on, a crash rolls back to the kept files; before it, the run is untouched.
  onStage('journal');
  writeJournal(base, name, files);
  renameSync(partial, join(base, name));

  for (const f of files) {
    onStage('renaming');
    renameSync(join(runDir, f + NEW_SUFFIX), join(runDir, f));
  }
  syncDir(runDir);
  rmSync(join(base, JOURNAL));
  onStage('done');
  return name;
}

/** Puts a revision's files back (the latest when `name` is absent) and removes the revision. */
export function undoRevision(runDir: string, name?: string): RevisionInfo {
  return locked(runDir, () => {
    recoverLocked(runDir);
    return undo(runDir, name);
  });
}

function undo(runDir: string, name?: string): RevisionInfo {
  const all = listRevisions(runDir);
  if (all.length === 0) throw new Error(`${revisionsDir(runDir)}: this run has no re-judge revision to undo`);
  const rev = name ? all.find((r) => r.name === name) : all[all.length - 1];
  if (!rev) throw new Error(`${revisionsDir(runDir)}: no revision "${name}"; the run has ${all.map((r) => r.name).join(', ')}`);
  const files = REVISED_FILES.filter((f) => existsSync(join(revisionsDir(runDir), rev.name, f)));
  writeJournal(revisionsDir(runDir), rev.name, files);
  recoverLocked(runDir);
  return rev;
}

/**
 * Finishes what a killed write or undo left: with a journal, the revision it names is restored
 * (a write is rolled back, an undo completed); new files not yet renamed and half-kept revisions
 * are removed. Returns the revision restored, if any.
 */
export function recoverRun(runDir: string): string | undefined {
  if (!existsSync(revisionsDir(runDir)) || holder(runDir) !== undefined) return undefined;
  return locked(runDir, () => recoverLocked(runDir));
}

function recoverLocked(runDir: string): string | undefined {
  const base = revisionsDir(runDir);
  let restored: string | undefined;
  const journal = join(base, JOURNAL);
  if (existsSync(journal)) {
    let j: { restore: string; files: RevisedFile[] };
    try {
      j = JSON.parse(readFileSync(journal, 'utf8')) as typeof j;
    } catch (e) {
      throw new Error(`${journal}: not valid JSON (${(e as Error).message}); restore the files from a folder under ${base} by hand, then delete it`);
    }
    // A write killed right after its journal still has the kept files under the partial name.
    const from = existsSync(join(base, j.restore)) ? join(base, j.restore) : join(base, j.restore + PARTIAL);
    for (const f of j.files) {
      if (!existsSync(join(from, f))) throw new Error(`${journal}: names ${f} of revision ${j.restore}, but ${join(from, f)} is missing`);
      copyDurably(join(from, f), join(runDir, f + NEW_SUFFIX));
      renameSync(join(runDir, f + NEW_SUFFIX), join(runDir, f));
    }
    syncDir(runDir);
    rmSync(from, { recursive: true, force: true });
    rmSync(journal);
    restored = j.restore;
  }
  for (const f of REVISED_FILES) rmSync(join(runDir, f + NEW_SUFFIX), { force: true });
  rmSync(join(base, JOURNAL + NEW_SUFFIX), { force: true });
  for (const n of readdirSync(base)) if (n.endsWith(PARTIAL)) rmSync(join(base, n), { recursive: true, force: true });
  return restored;
}

/** The live process other than this one that holds the run's lock, if any. */
function holder(runDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(revisionsDir(runDir), LOCK), 'utf8'));
  } catch {
    return undefined;
  }
  return pid && pid !== process.pid && processAlive(pid) ? pid : undefined;
}

/** Runs `fn` holding the run's lock; a lock left by a process that is gone is taken over. */
function locked<T>(runDir: string, fn: () => T): T {
  const base = revisionsDir(runDir);
  mkdirSync(base, { recursive: true });
  const file = join(base, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const pid = holder(runDir);
      if (pid !== undefined) throw new Error(`${file}: another re-judge (pid ${pid}) is changing this run; try again when it has ended`);
      rmSync(file, { force: true });
    }
  }
  try {
    return fn();
  } finally {
    rmSync(file, { force: true });
  }
}

function writeJournal(base: string, restore: string, files: readonly RevisedFile[]): void {
  writeDurably(join(base, JOURNAL + NEW_SUFFIX), JSON.stringify({ restore, files }) + '\n');
  renameSync(join(base, JOURNAL + NEW_SUFFIX), join(base, JOURNAL));
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function copyDurably(from: string, to: string): void {
  copyFileSync(from, to);
  const fd = openSync(to, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the renames in a folder durable (a no-op where folders cannot be opened, as on Windows). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

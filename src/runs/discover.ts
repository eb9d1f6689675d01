// Finding runs: the folders that hold them (`runs/` beside each *.tune.yaml, and its
// `train.output_dir`) and the runs inside. No vscode import, so tests can call it directly.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { RUN_FILES, type RunEvent } from '../../trainer/src/run/events';
import { foldRun, processAlive, runStatus, type RunState } from '../../trainer/src/run/fold';
import { foldProgress, newProgress, progressOf, progressText } from '../../trainer/src/run/progress';
import type { RunStatus } from '../viewer/protocol';

export interface RunEntry {
  dir: string;
  name: string;
  /** Start time: the folder's modification time when the events do not say. */
  started: number;
  status: RunStatus;
  mode?: string;
  message?: string;
  /** Running runs: step n/N, time per step and time left, from the events read. */
  progress?: string;
}

/** The folders a config's runs are written to: `runs/` beside it and its `train.output_dir`. */
export async function runRootsFor(configFile: string): Promise<string[]> {
  const base = dirname(configFile);
  const roots = [join(base, 'runs')];
  try {
    const doc = parse(await readFile(configFile, 'utf8')) as { train?: { output_dir?: unknown } } | null;
    const out = doc?.train?.output_dir;
    if (typeof out === 'string' && out.trim()) roots.push(resolve(base, out));
  } catch {
    // An unreadable or invalid config still has its default folder.
  }
  return [...new Set(roots)];
}

export async function isRunDir(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.includes(RUN_FILES.events) || names.includes(RUN_FILES.rollouts);
}

/** Runs directly under `root`, newest first. */
export async function listRuns(root: string): Promise<RunEntry[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const runs: RunEntry[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = join(root, e.name);
    if (await isRunDir(dir)) runs.push(await describeRun(dir));
  }
  return runs.sort((a, b) => b.started - a.started || b.name.localeCompare(a.name));
}

/** Reads the first and the last events of a run: name, mode and how it ended. */
export async function describeRun(dir: string): Promise<RunEntry> {
  const fallback = (await stat(dir).catch(() => null))?.mtimeMs ?? 0;
  const entry: RunEntry = { dir, name: dir.split(/[\\/]/).pop() ?? dir, started: fallback, status: 'unknown' };
  const file = join(dir, RUN_FILES.events);
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return entry;
  }
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(size, 1 << 16));
    await fh.read(head, 0, head.length, 0);
    const tailLen = Math.min(size, 1 << 16);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    const lines = tail.toString('utf8').split('\n');
    // The run's state, folded from its first event and the last ones: name, mode, how it ended.
    const run: RunState = {};
    const progress = newProgress();
    const first = parseLine(head.toString('utf8').split('\n')[0]);
    for (const e of [first, ...lines.slice(1).map(parseLine)]) {
      if (!e) continue;
      foldRun(run, e);
      foldProgress(progress, e);
    }
    if (run.started !== undefined) {
      entry.started = first?.type === 'run_started' ? first.t : run.started;
      entry.mode = run.mode;
      entry.status = runStatus(run, alive);
      // The rate needs every rollout, and only the tail was read.
      const text = progressText({ ...progressOf(progress), rolloutsPerS: undefined }, { live: entry.status === 'running' });
      if (entry.status === 'running' && text) entry.progress = text;
    } else if (run.ended) entry.status = run.ended.status;
    if (run.ended?.message) entry.message = run.ended.message;
  } finally {
    await fh.close();
  }
  return entry;
}

function parseLine(line: string | undefined): RunEvent | null {
  if (!line || !line.trim()) return null;
  try {
    return JSON.parse(line) as RunEvent;
  } catch {
    return null;
  }
}

export const alive = processAlive;

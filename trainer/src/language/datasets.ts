// The data checks (tasks/check.ts) as config diagnostics: each finding is placed on the config
// key of its source. Data sets may be gigabytes and the editor re-checks on each keystroke, so
// results are cached by the data files' modification times, a check already running is joined
// rather than restarted, and the editor waits only briefly: a check that takes longer finishes
// in the background (within a time budget) and `pending` says when to ask again.
import { basename } from 'node:path';
import type { KeyPath, Severity } from '../config/validate';
import { checkTasks, fingerprint, sourcesOf, type SourceCheck, type TasksShape } from '../tasks/check';
import { formatFinding, type Finding, type ReferenceCheck } from '../tasks/lint';
import { openSource, TaskLoadError } from '../tasks/load';

export interface DataIssue {
  /** The config key to underline. */
  key: KeyPath;
  message: string;
  severity: Severity;
  /** The finding in the data, when the issue is one. */
  finding?: Finding;
}

export interface DataCheckOptions {
  /** How long the caller waits for a check that is not cached; unlimited when unset (the CLI). */
  waitMs?: number;
  /** How long a check may run in all; unlimited when unset. */
  budgetMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Records read so far, now and then (the CLI's progress line). */
  progress?: (records: number) => void;
  /** The judges' reading of references, for the config's judge (judges/reference.ts): given by the caller. */
  references?: (judge: { ref?: string; options?: Record<string, unknown> } | undefined) => ReferenceCheck | undefined;
}

export interface DataCheck {
  issues: DataIssue[];
  /** Data files read: a change to one calls for a new check. */
  files: string[];
  /** Set while a check runs on after the wait: resolves when its result is cached. */
  pending?: Promise<void>;
}

interface Entry {
  fingerprint: string;
  run: Promise<SourceCheck[]>;
  done?: SourceCheck[];
}

const cache = new Map<string, Entry>();
/** The check running for each config folder: a newer config text stops the older one. */
const running = new Map<string, { key: string; abort: AbortController }>();
const MAX_CACHED = 16;

/** The config keys a finding about `field` belongs on: the field mapping when the user named that column. */
function keyFor(c: SourceCheck, spec: { fields?: Record<string, unknown>; preset?: string; path?: string }, finding?: Finding): KeyPath {
  const fields = spec.fields ?? {};
  if (finding?.field) {
    for (const k of ['id', 'question', 'answer'] as const) if (fields[k] === finding.field) return [...c.key, 'fields', k];
    if (Array.isArray(fields.features) && fields.features.includes(finding.field)) return [...c.key, 'fields', 'features'];
  }
  if (spec.path !== undefined) return [...c.key, 'path'];
  if (spec.preset !== undefined) return [...c.key, 'preset'];
  return c.key;
}

export async function checkTaskData(tasks: TasksShape, judge: { ref?: string; options?: Record<string, unknown> } | undefined, dir: string, opts: DataCheckOptions = {}): Promise<DataCheck> {
  let entries: ReturnType<typeof sourcesOf>;
  try {
    entries = sourcesOf(tasks);
  } catch (e) {
    return { issues: [{ key: ['tasks', 'train', 'mix'], message: (e as Error).message, severity: 'error' }], files: [] };
  }
  const issues: DataIssue[] = [];
  const opened: SourceCheck[] = [];
  for (const e of entries) {
    try {
      opened.push({ key: e.key, role: e.role, source: openSource(e.spec, dir, e.role, opts.env) });
    } catch (err) {
      if (!(err instanceof TaskLoadError)) throw err;
      const c: SourceCheck = { key: e.key, role: e.role };
      issues.push({ key: keyFor(c, e.spec), message: err.message, severity: 'error' });
    }
  }
  // Built-in task sets ship with the trainer and do not change.
  const files = opened.filter((c) => !c.source!.shown.startsWith('builtin:')).flatMap((c) => c.source!.files.map((f) => f.file));
  if (issues.length) return { issues, files };

  const key = JSON.stringify({ tasks, judge, dir, budget: opts.budgetMs ?? null });
  const print = await fingerprint(opened);
  let entry = cache.get(key);
  if (!entry || entry.fingerprint !== print) {
    const previous = running.get(dir);
    if (previous && previous.key !== key && opts.waitMs !== undefined) {
      previous.abort.abort();
      cache.delete(previous.key);
    }
    const abort = new AbortController();
    running.set(dir, { key, abort });
    const run = checkTasks(tasks, dir, { references: opts.references?.(judge), budgetMs: opts.budgetMs, env: opts.env, progress: opts.progress, signal: abort.signal });
    const fresh: Entry = { fingerprint: print, run };
    entry = fresh;
    cache.set(key, fresh);
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
    const settle = () => running.get(dir)?.abort === abort && running.delete(dir);
    run.then(
      (r) => {
        settle();
        // A stopped check is not an answer to keep.
        if (r.some((c) => c.result?.stoppedBy === 'signal')) cache.get(key) === fresh && cache.delete(key);
        else fresh.done = r;
      },
      () => (settle(), cache.get(key) === fresh && cache.delete(key)),
    );
  }
  let checks = entry.done;
  if (!checks) {
    const wait = opts.waitMs;
    const timeout = wait === undefined ? undefined : new Promise<undefined>((r) => (setTimeout(r, wait) as { unref?: () => void }).unref?.());
    checks = await (timeout ? Promise.race([entry.run, timeout]) : entry.run);
    if (!checks) return { issues: [], files, pending: entry.run.then(() => undefined, () => undefined) };
  }
  const specOf = (c: SourceCheck) => entries.find((e) => e.key.join('.') === c.key.join('.'))!.spec;
  for (const c of checks) {
    const spec = specOf(c);
    if (c.error) issues.push({ key: keyFor(c, spec), message: c.error, severity: 'error' });
    for (const f of c.result?.findings ?? []) issues.push({ key: keyFor(c, spec, f), message: formatFinding(f, basename), severity: f.severity, finding: f });
    if (c.result?.stoppedBy === 'budget') {
      issues.push({ key: keyFor(c, spec), severity: 'warning', message: `checked the first ${c.result.records} records within the editor's time budget; \`agent-tune validate\` checks them all` });
    }
  }
  return { issues, files };
}

// The data checks of a whole `tasks` config: the test split first (its questions are indexed),
// then the training source or each source of its mix, checked against them. One finding limit
// holds across all sources.
import { stat } from 'node:fs/promises';
import { lintSource, MAX_FINDINGS, QuestionIndex, type Finding, type LintOptions, type LintResult } from './lint';
import { mixEntries, openSource, TaskLoadError, type OpenedSource, type Role, type SourceSpec } from './load';

export interface TasksShape {
  train?: SourceSpec;
  test?: SourceSpec;
}

export interface SourceCheck {
  /** The config key the source is written at: `['tasks','train']`, `['tasks','train','mix',1]`. */
  key: (string | number)[];
  role: Role;
  source?: OpenedSource;
  /** The source could not be opened (missing, unknown preset, no such split). */
  error?: string;
  result?: LintResult;
}

export interface CheckOptions extends Omit<LintOptions, 'against' | 'collect' | 'maxFindings'> {
  maxFindings?: number;
}

export function sourcesOf(tasks: TasksShape): { key: (string | number)[]; role: Role; spec: SourceSpec }[] {
  const out: { key: (string | number)[]; role: Role; spec: SourceSpec }[] = [];
  if (tasks.test) out.push({ key: ['tasks', 'test'], role: 'test', spec: tasks.test });
  if (tasks.train?.mix?.length) {
    const names = mixEntries(tasks.train);
    names.forEach((spec, i) => out.push({ key: ['tasks', 'train', 'mix', i], role: 'train', spec }));
  } else if (tasks.train) out.push({ key: ['tasks', 'train'], role: 'train', spec: tasks.train });
  return out;
}

/** Opens every source of the config and checks it; sources that cannot be opened carry `error`. */
export async function checkTasks(tasks: TasksShape, configDir: string, opts: CheckOptions = {}): Promise<SourceCheck[]> {
  let left = opts.maxFindings ?? MAX_FINDINGS;
  const started = performance.now();
  const index = new QuestionIndex('tasks.test');
  const out: SourceCheck[] = [];
  let entries: ReturnType<typeof sourcesOf>;
  try {
    entries = sourcesOf(tasks);
  } catch (e) {
    return [{ key: ['tasks', 'train', 'mix'], role: 'train', error: (e as Error).message }];
  }
  for (const { key, role, spec } of entries) {
    let source: OpenedSource;
    try {
      source = openSource(spec, configDir, role, opts.env);
    } catch (e) {
      if (!(e instanceof TaskLoadError)) throw e;
      out.push({ key, role, error: e.message });
      continue;
    }
    if (left <= 0) {
      out.push({ key, role, source });
      continue;
    }
    const budgetMs = opts.budgetMs === undefined ? undefined : Math.max(0, opts.budgetMs - (performance.now() - started));
    const result = await lintSource(source, { ...opts, budgetMs, maxFindings: left, collect: role === 'test' ? index : undefined, against: role === 'train' && index.size ? index : undefined });
    left -= result.findings.length;
    out.push({ key, role, source, result });
  }
  return out;
}

/** Files and their modification times: a check's result holds while these are unchanged. */
export async function fingerprint(checks: { source?: OpenedSource }[]): Promise<string> {
  const parts: string[] = [];
  for (const c of checks) {
    for (const f of c.source?.files ?? []) {
      try {
        const s = await stat(f.file);
        parts.push(`${f.file}:${s.size}:${s.mtimeMs}`);
      } catch {
        parts.push(`${f.file}:missing`);
      }
    }
  }
  return parts.join('|');
}

export function allFindings(checks: SourceCheck[]): Finding[] {
  return checks.flatMap((c) => c.result?.findings ?? []);
}

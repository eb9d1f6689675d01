// The math-agent example the walkthrough works on: copying the bundled one into a folder of
// the user's, finding it in a workspace, the line of its judge to break on, and the newest
// run of a set of configs. No vscode import, so unit tests call it directly.
import { cpSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { listRuns, runRootsFor, type RunEntry } from '../runs/discover';

export const EXAMPLE_NAME = 'math-agent';
export const EXAMPLE_CONFIG = 'math.tune.yaml';
/** What a copy leaves out: the bundle's own runs and anything installed beside it. */
const NOT_COPIED = new Set(['runs', 'node_modules']);

/**
 * Copies the example folder `source` into `parent`, as `math-agent` or, when that name is
 * taken, `math-agent-2`, `math-agent-3`, …; returns the new folder. Never writes over a file.
 */
export function copyExample(source: string, parent: string): string {
  if (!existsSync(join(source, EXAMPLE_CONFIG))) throw new Error(`the bundled example is missing its ${EXAMPLE_CONFIG} (${source})`);
  let dest = join(parent, EXAMPLE_NAME);
  for (let n = 2; existsSync(dest); n++) dest = join(parent, `${EXAMPLE_NAME}-${n}`);
  cpSync(source, dest, {
    recursive: true,
    errorOnExist: true,
    force: false,
    filter: (from) => from === source || !NOT_COPIED.has(basename(from)),
  });
  return dest;
}

/** Of the workspace's `math.tune.yaml` files, the example's: one in a `math-agent` folder first, then the shallowest. */
export function pickExampleConfig(paths: string[]): string | undefined {
  const score = (p: string) => (basename(dirname(p)).startsWith(EXAMPLE_NAME) ? 0 : 1000) + p.split(/[\\/]/).length;
  return paths.filter((p) => basename(p) === EXAMPLE_CONFIG).sort((a, b) => score(a) - score(b) || a.localeCompare(b))[0];
}

/**
 * 0-based line of the first statement inside the judge `symbol` of a module: the line after
 * its `export`. Null when the module does not export it on a line of its own.
 */
export function judgeBodyLine(source: string, symbol: string): number | null {
  const name = symbol.replace(/[$]/g, '\\$');
  const re =
    symbol === 'default'
      ? /^\s*export\s+default\b/
      : new RegExp(`^\\s*export\\s+(?:async\\s+)?(?:function\\*?|const|let|var)\\s+${name}(?![\\w$])`);
  const lines = source.split('\n');
  const i = lines.findIndex((l) => re.test(l));
  return i >= 0 && i + 1 < lines.length ? i + 1 : null;
}

/** The newest run (by start time) of any of `configs`, or undefined when none has run. */
export async function newestRun(configs: string[]): Promise<RunEntry | undefined> {
  const roots = new Set<string>();
  for (const c of configs) for (const r of await runRootsFor(c)) roots.add(r);
  const runs = (await Promise.all([...roots].map(listRuns))).flat();
  return runs.sort((a, b) => b.started - a.started || b.name.localeCompare(a.name))[0];
}

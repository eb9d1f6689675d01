// The actions shown above a config: Run, Debug, Validate, and Open last run when a run of
// this config exists under its output folder.
import { dirname, join, resolve } from 'node:path';
import { isMap } from 'yaml';
import { nodeHost, type LanguageHost } from './host';
import { parseConfigDocument } from './locate';

export interface ConfigLens {
  command: 'run' | 'debug' | 'validate' | 'openRun';
  title: string;
  tooltip: string;
  /** openRun: absolute path of the run directory. */
  runDir?: string;
}

export interface LensOptions {
  file: string;
  host?: LanguageHost;
}

export async function codeLenses(text: string, opts: LensOptions): Promise<ConfigLens[]> {
  const lenses: ConfigLens[] = [
    { command: 'run', title: '$(play) Run', tooltip: 'Train with this config (agent-tune run) in a debug session' },
    { command: 'debug', title: '$(debug-alt) Debug', tooltip: 'Roll out a few tasks with breakpoints in workflow and judge code' },
    { command: 'validate', title: '$(check) Validate', tooltip: 'Check this config as `agent-tune validate` does' },
  ];
  const last = await lastRun(text, opts.file, opts.host ?? nodeHost);
  if (last) lenses.push({ command: 'openRun', title: '$(history) Open last run', tooltip: last, runDir: last });
  return lenses;
}

/** The newest `<YYYYMMDD-HHMMSS>-<name>[-N]` folder under the config's output folder. */
export async function lastRun(text: string, file: string, host: LanguageHost): Promise<string | undefined> {
  let name: unknown;
  let outputDir: unknown;
  try {
    const doc = parseConfigDocument(text);
    if (!isMap(doc.contents)) return undefined;
    name = doc.getIn(['name']);
    outputDir = doc.getIn(['train', 'output_dir']);
  } catch {
    return undefined;
  }
  if (typeof name !== 'string' || !name) return undefined;
  const root = resolve(dirname(file), typeof outputDir === 'string' && outputDir ? outputDir : 'runs');
  let entries;
  try {
    entries = await host.readDir(root);
  } catch {
    return undefined;
  }
  const pattern = new RegExp(`^(\\d{8}-\\d{6})-${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:-(\\d+))?$`);
  let best: { stamp: string; n: number; dir: string } | undefined;
  for (const e of entries) {
    const m = e.kind === 'dir' ? pattern.exec(e.name) : null;
    if (!m) continue;
    const cand = { stamp: m[1], n: Number(m[2] ?? 1), dir: join(root, e.name) };
    if (!best || cand.stamp > best.stamp || (cand.stamp === best.stamp && cand.n > best.n)) best = cand;
  }
  return best?.dir;
}

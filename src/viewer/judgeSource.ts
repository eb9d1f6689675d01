// Where a run's judge lives: `judge.ref` of the run's config, relative to the config file the
// run started from (its `run_started.config_file`).
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { RUN_FILES, type RunEvent } from '../../trainer/src/run/events';
import { firstLine } from '../../trainer/src/run/convert/detect';

export type JudgeLocation = { kind: 'file'; file: string; symbol: string | null; ref: string } | { kind: 'builtin'; ref: string } | { kind: 'unknown'; reason: string };

export async function locateJudge(runDir: string): Promise<JudgeLocation> {
  let configFile: string | null = null;
  try {
    const first = JSON.parse(await firstLine(join(runDir, RUN_FILES.events))) as RunEvent;
    if (first.type === 'run_started' && first.config_file) configFile = first.config_file;
  } catch {
    // No events: fall back to the copy of the config in the run.
  }
  let text: string;
  try {
    text = await readFile(join(runDir, RUN_FILES.config), 'utf8');
  } catch {
    if (!configFile) return { kind: 'unknown', reason: `${RUN_FILES.config} is missing from the run and its events name no config file` };
    try {
      text = await readFile(configFile, 'utf8');
    } catch {
      return { kind: 'unknown', reason: `cannot read ${configFile}` };
    }
  }
  let ref: unknown;
  try {
    ref = (parse(text) as { judge?: { ref?: unknown } } | null)?.judge?.ref;
  } catch (e) {
    return { kind: 'unknown', reason: `the run's config is not valid YAML: ${(e as Error).message}` };
  }
  if (typeof ref !== 'string' || !ref) return { kind: 'unknown', reason: 'the run\'s config has no `judge.ref`' };
  if (ref.startsWith('builtin:')) return { kind: 'builtin', ref };
  const [path, symbol] = ref.split('#');
  const base = configFile ? dirname(resolve(runDir, configFile)) : runDir;
  return { kind: 'file', file: isAbsolute(path) ? path : resolve(base, path), symbol: symbol || null, ref };
}

/** 0-based line of `export … NAME` in a source text, or null. */
export function exportLine(source: string, symbol: string): number | null {
  const re = new RegExp(`^\\s*export\\s+(?:default\\s+)?(?:async\\s+)?(?:function\\*?|const|let|var|class)\\s+${symbol.replace(/[$]/g, '\\$')}\\b`);
  const lines = source.split('\n');
  const i = lines.findIndex((l) => re.test(l));
  return i >= 0 ? i : null;
}

// What produced a run: hashes of the config and the code it names, and the git state.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseRef, type LoadedConfig } from '../config/load';
import { VERSION } from '../version';
import { RUN_FILES, RUN_FORMAT_VERSION, type Provenance } from './events';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The config file and every user module it refers to. */
export function configFiles(loaded: LoadedConfig): string[] {
  const { config, dir } = loaded;
  const refs = [config.workflow.ref, config.judge.ref, ...config.tools.map((t) => t.ref)];
  const files = refs.map((r) => parseRef(dir, r).file).filter((f): f is string => Boolean(f) && existsSync(f!));
  return [loaded.file, ...new Set(files)];
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return null;
  }
}

export function provenance(loaded: LoadedConfig): Provenance {
  const files = configFiles(loaded);
  const cwd = dirname(loaded.file);
  const top = git(cwd, ['rev-parse', '--show-toplevel'])?.trim();
  let gitInfo: Provenance['git'] = null;
  if (top) {
    const commit = git(cwd, ['rev-parse', 'HEAD'])?.trim() ?? null;
    const rel = files.map((f) => relative(top, f));
    const status = git(top, ['status', '--porcelain', '--', ...rel]) ?? '';
    const diff = git(top, ['diff', 'HEAD', '--', ...rel]);
    gitInfo = {
      commit,
      dirty_files: status.split('\n').filter(Boolean).map((l) => l.slice(3)),
      diff_sha256: diff ? sha256(diff) : null,
    };
  }
  return {
    format: RUN_FORMAT_VERSION,
    created: new Date().toISOString(),
    trainer_version: VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    config_sha256: sha256(loaded.text),
    git: gitInfo,
    files: Object.fromEntries(files.map((f) => [top ? relative(top, f) : f, sha256(readFileSync(f))])),
  };
}

/**
 * A resumed run's provenance: what the run started with, and the sandbox of the process that
 * continues it (the machine may differ). Each `run_started` event keeps its own.
 */
export function resumedProvenance(runDir: string, loaded: LoadedConfig, sandbox: Provenance['sandbox']): Provenance {
  let before: Provenance | undefined;
  try {
    before = JSON.parse(readFileSync(join(runDir, RUN_FILES.provenance), 'utf8')) as Provenance;
  } catch {
    // missing or unreadable: made again below
  }
  const { sandbox: _old, ...rest } = before ?? provenance(loaded);
  return { ...rest, ...(sandbox && { sandbox }) };
}

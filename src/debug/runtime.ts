// Which Node.js runs the trainer: the launch configuration's `runtimeExecutable`, else the
// user's `node` when it is new enough, else the runtime VS Code itself runs on.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The trainer's `engines.node`. */
export const MIN_NODE: [number, number] = [20, 19];

export interface Runtime {
  command: string;
  /** Variables the runtime needs (Electron runs as plain Node with ELECTRON_RUN_AS_NODE). */
  env: Record<string, string>;
  version: string;
  description: string;
}

export class RuntimeError extends Error {}

export function resolveRuntime(requested: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Runtime {
  if (requested) {
    const command = findExecutable(requested, env, cwd);
    if (!command) {
      throw new RuntimeError(`"runtimeExecutable": ${requested} was not found. Install Node.js ${MIN_NODE.join('.')} or newer, give its full path, or remove "runtimeExecutable" to use the runtime VS Code runs on.`);
    }
    const version = nodeVersion(command, env);
    if (!version) throw new RuntimeError(`"runtimeExecutable": ${command} did not answer --version as Node.js does.`);
    if (!newEnough(version)) {
      throw new RuntimeError(`"runtimeExecutable": ${command} is Node.js ${version}; the trainer needs ${MIN_NODE.join('.')} or newer. Update it or remove "runtimeExecutable".`);
    }
    return { command, env: {}, version, description: `${command} (${version})` };
  }
  const node = findExecutable('node', env, cwd);
  const version = node ? nodeVersion(node, env) : undefined;
  if (node && version && newEnough(version)) return { command: node, env: {}, version, description: `${node} (${version})` };
  const own: Record<string, string> = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
  return { command: process.execPath, env: own, version: process.version, description: `${process.execPath} (${process.version}, the runtime VS Code runs on)` };
}

function findExecutable(name: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const candidates = name.includes('/') || name.includes('\\') ? [isAbsolute(name) ? name : join(cwd, name)] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
  const exts = process.platform === 'win32' ? ['', '.exe', '.cmd'] : [''];
  for (const c of candidates) {
    for (const ext of exts) {
      try {
        accessSync(c + ext, constants.X_OK);
        if (statSync(c + ext).isFile()) return c + ext;
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}

function nodeVersion(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 10_000, env: { ...env, ELECTRON_RUN_AS_NODE: '1' } });
  const m = /^v(\d+)\.(\d+)\.(\d+)/.exec((r.stdout ?? '').trim());
  return m ? m[0] : undefined;
}

export function newEnough(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

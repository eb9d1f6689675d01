// Which sandbox this machine allows, probed once by starting the bootstrap under each tier in
// turn, strongest first, and keeping the first that locks itself down.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { BOOTSTRAP, SANDBOX_MARKER } from './bootstrap';

/** Strongest first. `off` is never chosen by probing. */
export const TIERS = ['namespaces', 'bwrap', 'landlock', 'seccomp', 'rlimits', 'off'] as const;
export type Tier = (typeof TIERS)[number];
export type SandboxMode = 'strict' | 'best' | 'off';

/** What each tier keeps from model-written code (docs/tools.md explains each). */
export const TIER_BLOCKS: Record<Tier, string[]> = {
  namespaces: ['network', 'unix-sockets', 'host-files', 'host-processes', 'other-calls', 'disk-quota', 'shm-quota', 'secrets'],
  bwrap: ['network', 'unix-sockets', 'host-files', 'host-processes', 'other-calls', 'disk-quota', 'shm-quota', 'secrets'],
  landlock: ['network', 'unix-sockets', 'host-files', 'host-processes', 'other-calls', 'disk-quota', 'shm-quota', 'secrets'],
  seccomp: ['network', 'unix-sockets', 'host-processes', 'secrets'],
  rlimits: ['secrets'],
  off: [],
};

/** Tiers that keep the code from the network, other processes and the user's files: what `strict` accepts. */
export const STRONG_TIERS: readonly Tier[] = ['namespaces', 'bwrap', 'landlock'];

/** The machine as the sandbox sees it; tests change it to simulate other machines. */
export interface SandboxEnv {
  /** Start the sandbox as this user, as a trainer run by that user would. */
  asUser?: { uid: number; gid: number };
  /** Where `unshare`, `bwrap` and python are looked up (refusing ones first simulate a machine without user namespaces). */
  path?: string;
  /** Treat the kernel as one without Landlock. */
  noLandlock?: boolean;
}

export interface PythonInfo {
  /** The interpreter's real path. */
  executable: string;
  /** Folders it reads: its prefixes and module paths outside the system folders. */
  folders: string[];
}

export interface Sandbox {
  tier: Tier;
  python: PythonInfo;
  env: SandboxEnv;
  /** Absolute path of `unshare` (namespaces tier). */
  unshare?: string;
  /** Absolute path of `bwrap` (bwrap tier). */
  bwrap?: string;
  /** Landlock ABI version in use (landlock tier). */
  landlockAbi?: number;
  /** Why each stronger tier did not work here. */
  refused: Partial<Record<Tier, string>>;
}

const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The uid the trainer (or the simulated trainer) runs as. */
export function trainerUid(env: SandboxEnv): number {
  return env.asUser?.uid ?? process.getuid?.() ?? -1;
}

/**
 * Where programs are looked up. A root trainer's PATH may lead to folders other users cannot
 * read (/root/.pyenv), so root uses the system folders only; other users keep theirs.
 */
export function searchPath(env: SandboxEnv): string {
  if (env.path) return env.path;
  return trainerUid(env) === 0 || !process.env.PATH ? SYSTEM_PATH : `${process.env.PATH}${delimiter}${SYSTEM_PATH}`;
}

export function which(name: string, path: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of path.split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

let nextUid = 0;
/** The first of the uids a root trainer gives its calls, one each; no account uses them. */
export const CALL_UID_BASE = 1_600_000_000;
/**
 * A root trainer runs each call as its own unused uid, so no two calls (and no file of anyone's)
 * share an owner. Other trainers run it as themselves, separated by namespaces or Landlock.
 */
export function callIdentity(env: SandboxEnv, tier: Tier): { uid: number; gid: number } | undefined {
  if (tier === 'off') return env.asUser;
  if (trainerUid(env) !== 0) return env.asUser;
  const id = CALL_UID_BASE + (nextUid++ % 100_000);
  return { uid: id, gid: id };
}

function under(p: string, roots: string[]): boolean {
  return roots.some((r) => p === r || p.startsWith(r + '/'));
}

/** The interpreter's real path and folders, asked of the interpreter itself. */
export function pythonInfo(python: string, env: SandboxEnv): PythonInfo {
  const path = searchPath(env);
  const exe = which(python, path);
  if (!exe) throw new Error(`execute_python_code: cannot find ${python} (searched ${path}); is Python 3 installed?`);
  const id = env.asUser ?? (process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined);
  const script = 'import sys, json\nprint(json.dumps([sys.executable, sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix] + sys.path))';
  const r = spawnSync(exe, ['-I', '-c', script], { encoding: 'utf8', timeout: 15_000, cwd: '/', env: { PATH: path }, uid: id?.uid, gid: id?.gid });
  let list: string[];
  try {
    list = JSON.parse(r.stdout);
  } catch {
    throw new Error(`execute_python_code: cannot run ${exe}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  }
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const executable = real(list[0]) ?? list[0];
  const folders: string[] = [];
  for (const p of [dirname(executable), ...list.slice(1)].map(real)) {
    if (!p || under(p, [...SYSTEM_FOLDERS, ...folders])) continue;
    folders.push(p);
  }
  return { executable, folders };
}

/** What the bootstrap reads from argv[1]. */
export interface BootstrapConfig {
  mode: 'run' | 'probe';
  tier: Tier;
  landlock: boolean;
  readonly: string[];
  workdir: string | null;
  fresh_uid: boolean;
  limits: { memory_mb: number; cpu_s: number; max_processes: number; file_size_mb: number; disk_mb: number; shm_mb: number };
}

export interface Launch {
  command: string;
  args: string[];
  uid?: number;
  gid?: number;
  /** Killing the process group ends everything (a PID namespace); otherwise ask the supervisor first. */
  namespace: boolean;
}

/** The command that runs the bootstrap under a sandbox's tier. */
export function launchCommand(s: Sandbox, cfg: Omit<BootstrapConfig, 'tier' | 'landlock' | 'readonly' | 'fresh_uid'>): Launch {
  const id = callIdentity(s.env, s.tier);
  const full: BootstrapConfig = {
    ...cfg,
    tier: s.tier,
    landlock: !s.env.noLandlock,
    readonly: [...SYSTEM_FOLDERS.filter((p) => existsSync(p)), ...s.python.folders],
    fresh_uid: trainerUid(s.env) === 0 && s.tier !== 'off',
  };
  const py = [s.python.executable, '-I', '-u', '-B', '-c', BOOTSTRAP, JSON.stringify(full)];
  if (s.tier === 'namespaces') {
    const ns = ['--user', '--map-root-user', '--mount', '--net', '--pid', '--ipc', '--uts', '--fork', '--kill-child'];
    return { command: s.unshare!, args: [...ns, ...py], uid: id?.uid, gid: id?.gid, namespace: true };
  }
  if (s.tier === 'bwrap') return { command: s.bwrap!, args: [...bwrapArgs(full), ...py], uid: id?.uid, gid: id?.gid, namespace: true };
  return { command: py[0], args: py.slice(1), uid: id?.uid, gid: id?.gid, namespace: false };
}

/**
 * bubblewrap builds the view the namespaces tier builds for itself: fresh user, PID, network,
 * IPC and UTS namespaces; read-only system folders; size-capped tmpfs /work, /tmp and /dev/shm;
 * its own /proc. It dies with the trainer and ends everything in the namespace when the code ends.
 */
function bwrapArgs(cfg: BootstrapConfig): string[] {
  const mb = (n: number) => String(n * 1024 * 1024);
  const args = ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
  for (const p of cfg.readonly) {
    let link: string | undefined;
    try {
      link = lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
    } catch {
      continue;
    }
    args.push(...(link ? ['--symlink', link, p] : ['--ro-bind', p, p]));
  }
  args.push('--dev', '/dev', '--proc', '/proc', '--size', mb(cfg.limits.shm_mb), '--tmpfs', '/dev/shm');
  for (const d of ['/tmp', '/work']) args.push('--size', mb(cfg.limits.disk_mb), '--tmpfs', d);
  return [...args, '--chdir', '/work'];
}

/** A one-line reason from a failed probe's output. */
export function setupError(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith(SANDBOX_MARKER) || /unshare: /.test(l));
  return line?.replace(SANDBOX_MARKER, '').trim();
}

// Starting a sandboxed call, and ending it for certain. A timed-out call is killed as a whole:
// a PID namespace dies with its first process; without one the supervisor is asked to end
// every descendant, then the process group is killed. The result does not wait for the pipes
// to close (a daemon may hold them open): once the process has exited, output is drained for
// a short while and the pipes are destroyed.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_QUOTA_EXCEEDED, SANDBOX_SETUP_FAILED } from './bootstrap';
import { CALL_UID_BASE, launchCommand, searchPath, setupError, type BootstrapConfig, type Sandbox } from './tiers';

/** How long output is still read after the process has exited. */
const DRAIN_MS = 250;
/** How long the supervisor has to end its descendants before the group is killed. */
const GRACE_MS = 500;

export interface SandboxLimits {
  memory_mb: number;
  cpu_s: number;
  max_processes: number;
  file_size_mb: number;
  /** Size of the call's writable folders (its work folder and /tmp), MiB. */
  disk_mb: number;
  /** Size of /dev/shm, MiB. */
  shm_mb: number;
}

/** Collects at most `cap` characters of a stream; counts what it drops. */
class Capture {
  text = '';
  dropped = 0;
  constructor(private readonly cap: number) {}
  add(chunk: string): void {
    const room = this.cap - this.text.length;
    if (room > 0) this.text += chunk.slice(0, room);
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }
}

export interface SandboxRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped because it printed far more than could be shown. */
  flooded: boolean;
  truncated: boolean;
  /** Stopped for writing more than `disk_mb`. */
  quotaExceeded: boolean;
  /** The sandbox itself could not be set up: why. */
  setupFailed?: string;
  durationMs: number;
}

export interface RunOptions {
  limits: SandboxLimits;
  timeoutMs: number;
  maxOutputChars: number;
  /** Printed-but-discarded output past which the program is stopped. */
  discardLimitBytes: number;
  signal?: AbortSignal;
}

const SIGNAL_NAMES: Record<number, string> = { 9: 'SIGKILL', 24: 'SIGXCPU', 25: 'SIGXFSZ', 11: 'SIGSEGV', 6: 'SIGABRT', 15: 'SIGTERM', 31: 'SIGSYS' };

/** The work folder (tiers without a private root), the command, and how to spawn it. */
function prepare(s: Sandbox, mode: 'run' | 'probe', limits: SandboxLimits) {
  const dir = s.tier === 'namespaces' || s.tier === 'bwrap' ? null : mkdtempSync(join(tmpdir(), 'agent-tune-py-'));
  const launch = launchCommand(s, { mode, workdir: dir, limits });
  if (dir && launch.uid !== undefined && process.getuid?.() === 0) chownSync(dir, launch.uid, launch.gid ?? launch.uid);
  const home = dir ?? '/work';
  const options = {
    cwd: dir ?? '/',
    uid: launch.uid,
    gid: launch.gid,
    env: {
      PATH: searchPath(s.env),
      HOME: home,
      TMPDIR: dir ?? '/tmp',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      OPENBLAS_NUM_THREADS: '1',
      OMP_NUM_THREADS: '1',
      MKL_NUM_THREADS: '1',
      MPLBACKEND: 'Agg',
    },
  };
  return { dir, launch, options };
}

/** Removes a call's folder, even one whose code took its own permissions away. */
function removeFolder(dir: string | null): void {
  if (!dir) return;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    spawnSync('chmod', ['-R', 'u+rwx', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the bootstrap in self-check mode and waits for it (start-up probing). */
export function probeRun(s: Sandbox, limits: SandboxLimits): { status: number | null; stdout: string; stderr: string; setupFailed?: string } {
  const { dir, launch, options } = prepare(s, 'probe', limits);
  try {
    const r = spawnSync(launch.command, launch.args, { ...options, input: '', encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' });
    const stderr = r.stderr ?? '';
    const setupFailed = r.status === SANDBOX_SETUP_FAILED ? (setupError(stderr) ?? stderr.trim()) : r.error ? r.error.message : undefined;
    return { status: r.status, stdout: r.stdout ?? '', stderr, setupFailed };
  } finally {
    removeFolder(dir);
  }
}

/** Runs `code` under the sandbox; never throws for anything the code does. */
export async function runSandboxed(s: Sandbox, code: string, o: RunOptions): Promise<SandboxRun> {
  const started = Date.now();
  const { dir, launch, options } = prepare(s, 'run', o.limits);
  try {
    const child = spawn(launch.command, launch.args, {
      ...options,
      detached: true, // its own process group, killed as a whole
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.on('error', () => {}); // the bootstrap may be gone before it reads
    child.stdin!.end(code);
    const out = new Capture(o.maxOutputChars);
    const err = new Capture(Math.max(o.maxOutputChars, 2000));
    let timedOut = false;
    let flooded = false;
    let exited = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (launch.namespace || exited) return killGroup();
      // The supervisor ends the descendants that left the group; the group goes after it.
      try {
        if (child.pid) process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      graceTimer ??= setTimeout(killGroup, GRACE_MS);
    };
    const onData = (cap: Capture) => (chunk: string) => {
      cap.add(chunk);
      if (!flooded && out.dropped + err.dropped > o.discardLimitBytes) {
        flooded = true;
        stop();
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData(out));
    child.stderr!.setEncoding('utf8').on('data', onData(err));
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, o.timeoutMs);
    const onAbort = () => {
      timedOut = true;
      stop();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
      child.on('error', (e) => {
        err.add(String(e.message));
        resolve({ exitCode: null, signal: null });
      });
      child.on('exit', (c, sig) => {
        exited = true;
        // Drain what is already written, without waiting on a pipe a leftover process keeps open.
        const drained = setTimeout(() => {
          child.stdout!.destroy();
          child.stderr!.destroy();
          resolve({ exitCode: c, signal: sig });
        }, DRAIN_MS);
        child.on('close', () => {
          clearTimeout(drained);
          resolve({ exitCode: c, signal: sig });
        });
      });
    });
    clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    o.signal?.removeEventListener('abort', onAbort);
    // Whatever is left of the group goes too, and, where the call had a uid of its own, every
    // process of that uid: one that left the group (setsid, a double fork) cannot outlive the call.
    killGroup();
    if (launch.uid !== undefined && launch.uid >= CALL_UID_BASE) killUid(launch.uid);
    const setupFailed = exitCode === SANDBOX_SETUP_FAILED ? (setupError(err.text) ?? err.text.trim()) : undefined;
    const bySignal = exitCode !== null && exitCode > 128 && exitCode < 160;
    return {
      stdout: out.text,
      stderr: setupFailed ? '' : err.text,
      exitCode: bySignal ? null : exitCode,
      signal: bySignal ? (SIGNAL_NAMES[exitCode! - 128] ?? `signal ${exitCode! - 128}`) : signal,
      timedOut,
      flooded,
      truncated: out.dropped + err.dropped > 0,
      quotaExceeded: !launch.namespace && exitCode === SANDBOX_QUOTA_EXCEEDED,
      setupFailed,
      durationMs: Date.now() - started,
    };
  } finally {
    removeFolder(dir);
  }
}

/** SIGKILLs every process owned by `uid` until none is left (a fork bomb keeps adding some). */
export function killUid(uid: number): void {
  for (let round = 0; round < 50; round++) {
    let found = 0;
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let status: string;
      try {
        status = readFileSync(`/proc/${name}/status`, 'utf8');
      } catch {
        continue; // gone
      }
      const real = /^Uid:\s+(\d+)/m.exec(status);
      if (real && Number(real[1]) === uid) {
        found++;
        try {
          process.kill(Number(name), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (found === 0) return;
  }
}

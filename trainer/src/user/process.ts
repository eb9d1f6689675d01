// `isolation: process`: user code in a child process (relay.ts) instead of a worker thread of
// the trainer, looking to the host like a Worker. Where unprivileged user namespaces work, the
// child gets its own PID namespace: the trainer's pid does not exist there, so neither
// process.kill nor a `kill` the code starts can reach it, and the namespace dies with its
// first process. Elsewhere it is a plain child process: process.exit, crashes and signals to
// itself stay contained, process.kill of the trainer is refused, but a `kill` it starts can
// still reach the trainer (docs/judges.md).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { trainerRoot } from '../config/builtins';
import { searchPath, which } from '../tools/sandbox/tiers';
import { SLOT, type FromWorker, type RelayConfig, type RelayMessage, type ToWorker } from './protocol';

const NS_FLAGS = ['--user', '--map-root-user', '--pid', '--fork', '--kill-child'];

export interface ProcessBoundary {
  /** `unshare`, when it can give the child a PID namespace here. */
  unshare?: string;
  /** One line for logs: what the boundary holds. */
  description: string;
}

const known = new Map<string, ProcessBoundary>();

/** Whether this machine gives the child a PID namespace; `path` is where `unshare` is looked up. */
export function processBoundary(path?: string): ProcessBoundary {
  const where = searchPath({ path });
  const cached = known.get(where);
  if (cached) return cached;
  const unshare = process.platform === 'linux' ? which('unshare', where) : undefined;
  let why = process.platform === 'linux' ? 'unshare (util-linux) is not installed' : `${process.platform} has no PID namespaces`;
  if (unshare) {
    const r = spawnSync(unshare, [...NS_FLAGS, 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) {
      const b = { unshare, description: 'user code isolation: process, in its own PID namespace' };
      known.set(where, b);
      return b;
    }
    why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()!;
  }
  const b = { description: `user code isolation: process WITHOUT a PID namespace (${why}): a \`kill\` that user code starts can still signal the trainer` };
  known.set(where, b);
  return b;
}

/** A child process that runs worker.ts, with a Worker's interface. */
export class ProcessWorker extends EventEmitter {
  /** The worker's heartbeat and current job, as the relay last reported them. */
  readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private readonly child: ChildProcess;

  constructor(boundary: ProcessBoundary, memoryMb: number) {
    super();
    Atomics.store(this.shared, SLOT.job, -1);
    const cfg: RelayConfig = { sdkPath: join(trainerRoot(), 'dist', 'index.js'), memoryMb, protect: [process.pid] };
    const node = [process.execPath, join(trainerRoot(), 'dist', 'relay.js'), JSON.stringify(cfg)];
    const [command, ...args] = boundary.unshare ? [boundary.unshare, ...NS_FLAGS, ...node] : node;
    // Its own process group, killed as a whole. The trainer may run on Electron as Node; so does the child.
    this.child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      detached: true,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    this.child.on('message', (m: FromWorker | RelayMessage) => {
      if (m.type !== 'relay') return void this.emit('message', m);
      if ('error' in m) return void this.emit('error', new Error(m.error));
      Atomics.store(this.shared, SLOT.heartbeat, m.beat);
      Atomics.store(this.shared, SLOT.job, m.job);
    });
    this.child.on('error', (e) => this.emit('error', e));
    this.child.on('exit', (code, signal) => this.emit('exit', code ?? (signal ? `${signal}` : 1)));
  }

  postMessage(m: ToWorker): void {
    if (this.child.connected) this.child.send(m);
  }

  ref(): void {
    this.child.ref();
    this.child.channel?.ref();
  }

  unref(): void {
    this.child.unref();
    this.child.channel?.unref();
  }

  async terminate(): Promise<void> {
    try {
      if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

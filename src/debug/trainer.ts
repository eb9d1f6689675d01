// The trainer as the debug adapter runs it: a child process in its own process group, with
// the Node inspector on a loopback port chosen by Node, paused before the first line, and the
// debug bridge on the IPC channel.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Command, Events, FromTrainer, Requests } from '../../trainer/src/debug/protocol';
import { killTree } from './processTree';
import type { Runtime } from './runtime';

export interface TrainerOptions {
  runtime: Runtime;
  /** trainer/bin/agent-tune.js */
  cli: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Start the Node inspector and wait for a debugger before running. */
  inspect: boolean;
  onOutput(category: 'stdout' | 'stderr', text: string): void;
  onEvent<E extends keyof Events>(event: E, body: Events[E]): void;
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** What the inspector prints on stderr; the debug console does not need it. */
const INSPECTOR_LINES = [/^Debugger listening on ws:\/\/.*$/m, /^For help, see: https:\/\/nodejs\.org\/.*$/m, /^Debugger attached\.$/m, /^Waiting for the debugger to disconnect\.\.\.$/m];

export class TrainerProcess {
  readonly child: ChildProcess;
  readonly inspectorPort: Promise<number>;
  private seq = 0;
  private pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exitedFlag = false;
  readonly exited: Promise<void>;

  constructor(private opts: TrainerOptions) {
    const execArgv = opts.inspect ? ['--inspect-brk=127.0.0.1:0'] : [];
    this.child = spawn(opts.runtime.command, [...execArgv, opts.cli, ...opts.args], {
      cwd: opts.cwd,
      env: { ...opts.env, ...opts.runtime.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group, so that stopping it reaches everything it started.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    let portFound: (p: number) => void = () => undefined;
    let portFailed: (e: Error) => void = () => undefined;
    this.inspectorPort = new Promise<number>((resolve, reject) => ((portFound = resolve), (portFailed = reject)));
    this.inspectorPort.catch(() => undefined);
    let head: string | undefined = opts.inspect ? '' : undefined;
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => opts.onOutput('stdout', d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (head !== undefined) {
        head += d;
        const m = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(head);
        if (m) {
          portFound(Number(m[1]));
          head = undefined;
        }
      }
      const text = INSPECTOR_LINES.reduce((t, re) => t.replace(new RegExp(re.source + '\\r?\\n?', 'gm'), ''), d);
      if (text) opts.onOutput('stderr', text);
    });
    this.child.on('message', (m: FromTrainer) => this.onMessage(m));
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitedFlag = true;
        portFailed(new Error('the trainer exited before its inspector started'));
        for (const p of this.pending.values()) p.reject(new Error('the trainer has exited'));
        this.pending.clear();
        resolve();
        opts.onExit(code, signal);
      });
    });
    this.child.once('error', (e) => {
      opts.onOutput('stderr', `could not start ${opts.runtime.command}: ${e.message}\n`);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exitedFlag && this.child.pid !== undefined;
  }

  request<C extends Command>(command: C, args: Requests[C]['args'], timeoutMs = 10_000): Promise<Requests[C]['body']> {
    if (!this.running || !this.child.connected) return Promise.reject(new Error('the trainer is not running'));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        // The trainer's main thread does not answer while the Node debugger holds it.
        reject(new Error('the trainer did not answer; is it paused in the Node debugger?'));
      }, timeoutMs);
      this.pending.set(seq, {
        resolve: (v) => (clearTimeout(timer), resolve(v as Requests[C]['body'])),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ kind: 'request', seq, command, args });
    });
  }

  private onMessage(m: FromTrainer): void {
    if (m.kind === 'response') {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (!p) return;
      if (m.ok) p.resolve(m.body);
      else p.reject(new Error(m.message));
      return;
    }
    this.opts.onEvent(m.event, m.body as never);
  }

  /** Stops the trainer and every process it started; resolves when none is left. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || !this.running) return;
    await killTree(pid);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}

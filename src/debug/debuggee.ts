// The trainer under the debugger, free of DAP: starting it from a launch plan (with the Node
// debugger attached first when user code is debugged), the breakpoints and filter it is
// configured with, its requests, and stopping it. The session turns what it reports into DAP.
import { parseBreakpoint } from '../../trainer/src/debug/breakpoints';
import type { BreakpointSpec, BreakpointStatus, Command, Events, Requests } from '../../trainer/src/debug/protocol';
import { ATTACH_NODE_EVENT, type AttachNodeBody } from './names';
import { LaunchError, NO_STOPS, type Plan } from './plan';
import { TrainerProcess } from './trainer';

/** What the trainer reports, for the session to translate. */
export interface DebuggeeListener {
  output(category: string, text: string): void;
  /** The client is to attach the Node debugger; `nodeAttached` answers. */
  attachNode(body: AttachNodeBody): void;
  /** Every bridge event but `ready`, which `start` waits for. */
  event<E extends Exclude<keyof Events, 'ready'>>(event: E, body: Events[E]): void;
  /** The trainer exited; `stopping` when the session stopped it. */
  exited(code: number | null, signal: NodeJS.Signals | null, stopping: boolean): void;
}

function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class Debuggee {
  private trainer?: TrainerProcess;
  private ready = deferred<Events['ready']>();
  private attached = deferred<{ ok: boolean; message?: string }>();
  private stopping = false;
  private stderrTail = '';
  /** False for a launch without debugging: the trainer is told to stop nowhere. */
  debugging = true;
  breakpoints: BreakpointSpec[] = [];
  userErrors = true;

  constructor(
    private listener: DebuggeeListener,
    private attachTimeoutMs = 30_000,
  ) {}

  /** Starts the trainer and waits until it is ready (and the Node debugger attached). */
  async start(plan: Plan): Promise<void> {
    const { args, config, cwd, env, runtime, cli, debug, inspect, mode, trainerArgs } = plan;
    this.ready = deferred();
    this.attached = deferred();
    this.stopping = false;
    this.debugging = debug;
    this.stderrTail = '';
    this.listener.output('console', `Agent Tune: ${mode} ${config} with ${runtime.description}\n`);
    const trainer = new TrainerProcess({
      runtime,
      cli,
      args: trainerArgs,
      cwd,
      env,
      inspect,
      onOutput: (category, text) => {
        if (category === 'stderr') this.stderrTail = (this.stderrTail + text).slice(-4000);
        this.listener.output(category, text);
      },
      onEvent: (event, body) => {
        if (event === 'ready') this.ready.resolve(body as Events['ready']);
        else this.listener.event(event as Exclude<keyof Events, 'ready'>, body as never);
      },
      onExit: (code, signal) => {
        if (trainer !== this.trainer) return;
        this.listener.exited(code, signal, this.stopping);
        this.ready.reject(new Error('the trainer exited'));
      },
    });
    this.trainer = trainer;
    const exited = trainer.exited.then(() => {
      throw new LaunchError(`The trainer exited before it started${this.stderrTail.trim() ? `:\n${this.stderrTail.trim()}` : '.'}`);
    });
    exited.catch(() => undefined);

    if (inspect) {
      const port = await Promise.race([trainer.inspectorPort, exited]);
      const name = `${(args as { name?: string }).name ?? 'Agent Tune'} (Node)`;
      this.listener.attachNode({ port, name, cwd });
      const timeout = this.attachTimeoutMs;
      const attached = await Promise.race([
        this.attached.promise,
        exited,
        new Promise<{ ok: false; message: string }>((r) =>
          setTimeout(() => r({ ok: false, message: `no Node debugger attached within ${timeout / 1000} s (this client does not handle "${ATTACH_NODE_EVENT}")` }), timeout),
        ),
      ]);
      if (!attached.ok) throw new LaunchError(`The Node debugger could not attach to the trainer: ${attached.message}. Set "debugUserCode": false to debug without breakpoints in workflows and judges.`);
    }
    await Promise.race([this.ready.promise, exited]);
    if (debug) await this.configure(args.stopOnEntry ?? false);
    else await trainer.request('configure', NO_STOPS);
  }

  /** The client's answer to `attachNode`. */
  nodeAttached(result: { ok: boolean; message?: string }): void {
    this.attached.resolve(result);
  }

  /** Sends the breakpoints and the filter to the trainer; their status, as far as known before it runs. */
  async configure(stopOnEntry = false): Promise<BreakpointStatus[]> {
    if (!this.trainer?.running || !this.debugging) return this.breakpoints.map((b) => this.status(b));
    const r = await this.trainer.request('configure', { breakpoints: this.breakpoints, userErrors: this.userErrors, stopOnEntry });
    return r.breakpoints;
  }

  private status(spec: BreakpointSpec): BreakpointStatus {
    const s = parseBreakpoint(spec).status;
    if (!this.debugging) return { id: s.id, verified: false, message: 'Started without debugging: breakpoints do not stop it.' };
    return s;
  }

  request<C extends Command>(command: C, args: Requests[C]['args']): Promise<Requests[C]['body']> {
    if (!this.trainer?.running) return Promise.reject(new Error('The trainer is not running.'));
    return this.trainer.request(command, args);
  }

  /** Stops the trainer and everything it started; its exit is reported with `stopping` set. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.attached.resolve({ ok: false, message: 'the session is ending' });
    await this.trainer?.kill();
  }

  /** Stops a trainer that failed to start. */
  async kill(): Promise<void> {
    await this.trainer?.kill();
  }
}

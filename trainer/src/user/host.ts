// Runs user code in worker threads and keeps the trainer safe from it: jobs that pass their
// deadline are abandoned; a worker stuck in synchronous code, out of memory or crashed is
// replaced, the job that caused it fails, and the other jobs it held start again elsewhere.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CodeRef } from '../config/load';
import type { JudgeInput, JudgeResult } from '../judges/types';
import type { Message, ToolCall } from '../run/events';
import type { AssistantTurn, ChatOptions, WorkflowResult } from '../sdk';
import type { ToolOutput } from '../tools/tool';
import { trainerRoot } from '../config/builtins';
import { processBoundary, ProcessWorker, type ProcessBoundary } from './process';
import { SLOT, type ExportInfo, type FromWorker, type Isolation, type RolloutInit, type SerializedError, type ToWorker, type UserKind } from './protocol';

export class UserCodeFailure extends Error {
  constructor(
    message: string,
    readonly reason: 'error' | 'timeout' | 'crash',
    readonly userStack?: string,
    readonly location?: string,
  ) {
    super(message);
    this.name = 'UserCodeFailure';
  }
}

export interface WorkflowHandlers {
  chat(messages: Message[], options: ChatOptions): Promise<AssistantTurn>;
  callTool(call: ToolCall, role?: string): Promise<Message>;
  emit(name: string, data: unknown): void;
  /** The worker running this workflow died because of another job: the rollout starts over. */
  restart(): void;
}

export interface HostOptions {
  workers?: number;
  /** Off while a debugger may hold user code at a breakpoint. */
  timeouts?: boolean;
  /** How long a worker may run synchronous code past a deadline before it is replaced. */
  stallMs?: number;
  memoryMb?: number;
  /** `process` runs user code in child processes (process.ts); `thread`, the default, in worker threads. */
  isolation?: Isolation;
  /** Where `unshare` is looked up for `process` (tests put a refusing one first). */
  path?: string;
}

/** What the host needs of a worker thread, and what ProcessWorker provides too. */
interface WorkerLike {
  postMessage(m: ToWorker): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown>;
  on(event: 'message', f: (m: FromWorker) => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
  on(event: 'exit', f: (code: number | string) => void): unknown;
}

interface Job {
  id: number;
  message: Extract<ToWorker, { job: number; ref: CodeRef }>;
  deadline: number;
  timeoutMs: number;
  handlers?: WorkflowHandlers;
  resolve(v: unknown): void;
  reject(e: Error): void;
  slot?: Slot;
}

interface Slot {
  worker: WorkerLike;
  shared: Int32Array;
  jobs: Set<Job>;
  beat: number;
  beatAt: number;
  /** The worker has started its heartbeat: before that, jobs wait for it, not for user code. */
  ready: boolean;
  spawnedAt: number;
  dead: boolean;
}

/** How long a new worker may take to start before it counts as broken. */
const STARTUP_MS = 30_000;

export class UserCodeHost {
  private slots: Slot[] = [];
  private jobs = new Map<number, Job>();
  private nextJob = 0;
  /** Modules inspected so far: a replacement worker loads them before taking jobs. */
  private modules: CodeRef[] = [];
  private monitor: NodeJS.Timeout;
  private closed = false;
  readonly timeouts: boolean;
  private readonly stallMs: number;
  private readonly memoryMb: number;
  private readonly workerFile: string;
  /** For `isolation: process`: what the child process's boundary holds on this machine. */
  readonly boundary?: ProcessBoundary;

  constructor(opts: HostOptions = {}) {
    this.timeouts = opts.timeouts ?? true;
    this.stallMs = opts.stallMs ?? 1000;
    this.memoryMb = opts.memoryMb ?? 2048;
    this.workerFile = join(trainerRoot(), 'dist', 'worker.js');
    if (!existsSync(this.workerFile)) throw new Error(`${this.workerFile} is missing; build the trainer with "npm run build"`);
    if (opts.isolation === 'process') this.boundary = processBoundary(opts.path);
    for (let i = 0; i < Math.max(1, opts.workers ?? 1); i++) this.slots.push(this.spawn());
    this.monitor = setInterval(() => this.check(), 100);
    this.monitor.unref();
  }

  /** Loads an export and checks its shape; errors name the file and line. */
  inspect(ref: CodeRef, kind: UserKind): Promise<ExportInfo> {
    if (ref.file && !this.modules.some((r) => r.file === ref.file)) this.modules.push(ref);
    return this.submit({ type: 'inspect', job: 0, ref, kind }, 30_000) as Promise<ExportInfo>;
  }

  runWorkflow(ref: CodeRef, init: RolloutInit, handlers: WorkflowHandlers, timeoutMs: number): Promise<WorkflowResult> {
    return this.submit({ type: 'workflow', job: 0, ref, init }, timeoutMs, handlers) as Promise<WorkflowResult>;
  }

  judge(ref: CodeRef, input: JudgeInput, timeoutMs: number): Promise<JudgeResult> {
    return this.submit({ type: 'judge', job: 0, ref, input }, timeoutMs) as Promise<JudgeResult>;
  }

  runTool(ref: CodeRef, args: Record<string, unknown>, timeoutMs: number): Promise<ToolOutput> {
    return this.submit({ type: 'tool', job: 0, ref, args, timeoutMs }, timeoutMs) as Promise<ToolOutput>;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.monitor);
    for (const job of this.jobs.values()) job.reject(new UserCodeFailure('the trainer is shutting down', 'error'));
    this.jobs.clear();
    await Promise.all(this.slots.map((s) => ((s.dead = true), s.worker.terminate())));
  }

  private spawn(): Slot {
    let worker: WorkerLike;
    let shared: Int32Array;
    if (this.boundary) {
      const p = new ProcessWorker(this.boundary, this.memoryMb);
      [worker, shared] = [p, p.shared];
    } else {
      const sab = new SharedArrayBuffer(8);
      shared = new Int32Array(sab);
      Atomics.store(shared, SLOT.job, -1);
      worker = new Worker(this.workerFile, {
        workerData: { slots: sab, sdkPath: join(trainerRoot(), 'dist', 'index.js') },
        resourceLimits: { maxOldGenerationSizeMb: this.memoryMb },
        stdout: false,
        stderr: false,
      });
    }
    const slot: Slot = { worker, shared, jobs: new Set(), beat: 0, beatAt: Date.now(), ready: false, spawnedAt: Date.now(), dead: false };
    worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    worker.on('error', (e) => this.replace(slot, undefined, `user code crashed the worker: ${e.message}`));
    worker.on('exit', (code) => {
      if (!slot.dead) this.replace(slot, undefined, `the worker running user code exited (code ${code})`);
    });
    worker.unref();
    if (this.modules.length) worker.postMessage({ type: 'preload', refs: this.modules } satisfies ToWorker);
    return slot;
  }

  private submit(message: Job['message'], timeoutMs: number, handlers?: WorkflowHandlers): Promise<unknown> {
    if (this.closed) return Promise.reject(new UserCodeFailure('the trainer is shutting down', 'error'));
    return new Promise((resolve, reject) => {
      const id = this.nextJob++;
      // The deadline runs from when the worker begins the job, not while it waits its turn.
      const job: Job = { id, message: { ...message, job: id }, deadline: Infinity, timeoutMs, handlers, resolve, reject };
      this.jobs.set(id, job);
      this.dispatch(job);
    });
  }

  private dispatch(job: Job): void {
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    job.slot = slot;
    slot.jobs.add(job);
    slot.worker.ref();
    slot.worker.postMessage(job.message);
  }

  private finish(job: Job): void {
    this.jobs.delete(job.id);
    job.slot?.jobs.delete(job);
    if (job.slot && job.slot.jobs.size === 0) job.slot.worker.unref();
  }

  private reply(job: Job, call: number, p: Promise<unknown>): void {
    p.then(
      (value) => this.jobs.has(job.id) && job.slot?.worker.postMessage({ type: 'reply', job: job.id, call, value } satisfies ToWorker),
      (e: Error) =>
        this.jobs.has(job.id) &&
        job.slot?.worker.postMessage({ type: 'reply', job: job.id, call, error: { message: e.message, stack: e.stack } } satisfies ToWorker),
    );
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    const job = this.jobs.get(m.job);
    if (!job || job.slot !== slot) return;
    if (m.type === 'started') {
      job.deadline = Date.now() + job.timeoutMs;
    } else if (m.type === 'done') {
      this.finish(job);
      if (m.error) job.reject(failure(m.error));
      else job.resolve(m.value);
    } else if (m.type === 'chat') {
      this.reply(job, m.call, job.handlers!.chat(m.messages, m.options));
    } else if (m.type === 'callTool') {
      this.reply(job, m.call, job.handlers!.callTool(m.toolCall, m.role));
    } else if (m.type === 'emit') {
      job.handlers?.emit(m.name, m.data);
    }
  }

  /** Deadlines and stalls. A stall alone is not a fault: user code may compute for a while. */
  private check(): void {
    const now = Date.now();
    for (const slot of this.slots) {
      const beat = Atomics.load(slot.shared, SLOT.heartbeat);
      if (beat !== slot.beat) {
        slot.beat = beat;
        slot.beatAt = now;
        slot.ready = true;
      }
    }
    if (!this.timeouts) return;
    for (const slot of [...this.slots]) {
      if (!slot.ready) {
        if (now - slot.spawnedAt > STARTUP_MS) this.replace(slot, undefined, `the worker for user code did not start within ${STARTUP_MS / 1000}s`);
        continue;
      }
      if (now - slot.beatAt > this.stallMs) {
        // Synchronous code holds the worker. Only the job whose code runs can be at fault;
        // the others are late because they wait behind it.
        const running = Atomics.load(slot.shared, SLOT.job);
        const culprit = [...slot.jobs].find((j) => j.id === running);
        if (culprit && now > culprit.deadline) this.replace(slot, culprit, 'timed out in synchronous code; the worker was stopped');
        else if (!culprit && now - slot.beatAt > STARTUP_MS) this.replace(slot, undefined, 'the worker was stuck outside any job (loading user modules?) and was stopped');
        continue;
      }
      for (const job of [...slot.jobs]) {
        if (now <= job.deadline) continue;
        this.finish(job);
        slot.worker.postMessage({ type: 'cancel', job: job.id } satisfies ToWorker);
        job.reject(new UserCodeFailure(`timed out after ${job.timeoutMs / 1000}s`, 'timeout'));
      }
    }
  }

  /** Swaps a dead or stuck worker for a new one; its other jobs start over there. */
  private replace(slot: Slot, culprit: Job | undefined, reason: string): void {
    if (slot.dead || this.closed) return;
    slot.dead = true;
    void slot.worker.terminate();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
    const victims = [...slot.jobs];
    slot.jobs.clear();
    // Without a known culprit (a crash, running out of memory) the oldest job is blamed. Each
    // replacement fails one job, so the others can always be retried.
    const blamed = culprit ?? victims.sort((a, b) => a.id - b.id)[0];
    for (const job of victims) {
      if (job === blamed) {
        this.jobs.delete(job.id);
        job.reject(new UserCodeFailure(reason, culprit ? 'timeout' : 'crash'));
      } else {
        job.handlers?.restart();
        job.deadline = Infinity;
        this.dispatch(job);
      }
    }
  }
}

function failure(e: SerializedError): UserCodeFailure {
  return new UserCodeFailure(e.location && !e.message.startsWith(e.location) ? `${e.location}: ${e.message}` : e.message, 'error', e.stack, e.location);
}

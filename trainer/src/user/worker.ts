// Worker-thread entry that runs user workflows, judges and tools. The trainer can terminate
// it when user code hangs, and a debugger attached to the trainer breaks inside it.
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { CodeRef } from '../config/load';
import type { JudgeInput, JudgeResult } from '../judges/types';
import type { Message } from '../run/events';
import { plainData } from '../run/safe-json';
import { asJudge, asWorkflow, type AssistantTurn, type RolloutContext } from '../sdk';
import { isTool, type Tool } from '../tools/tool';
import { rolloutContext } from './context';
import { SLOT, type ExportInfo, type FromWorker, type RolloutInit, type SerializedError, type ToWorker, type UserKind } from './protocol';
import { installTypeScriptLoader, UserCodeError, userLocation } from './transpile';

// Stack traces of user code name TypeScript lines, through the inline source maps.
process.setSourceMapsEnabled(true);

// process.exit() in a worker ends only the worker, which the host replaces; a signal would reach
// the whole trainer, so user code may not send one to it or to its process group.
// In a child process of its own (`isolation: process`) the trainer is another pid, refused too.
const kill = process.kill.bind(process);
const protect = new Set<number>([process.pid, ...((workerData.protect as number[] | undefined) ?? [])]);
process.kill = ((pid: number, signal?: string | number) => {
  if (protect.has(pid) || pid <= 0) throw new Error(`user code may not signal the trainer process (process.kill(${pid}))`);
  return kill(pid, signal);
}) as typeof process.kill;

const port = parentPort!;
const slots = new Int32Array(workerData.slots as SharedArrayBuffer);
installTypeScriptLoader(workerData.sdkPath ?? join(__dirname, 'index.js'));

// Which job's code runs now, so a stalled worker can be blamed on the right job.
const current = new AsyncLocalStorage<number>();
createHook({
  before() {
    Atomics.store(slots, SLOT.job, current.getStore() ?? -1);
  },
}).enable();
// The first beat says the worker has started; later ones that its event loop is free.
Atomics.add(slots, SLOT.heartbeat, 1);
setInterval(() => Atomics.add(slots, SLOT.heartbeat, 1), 50).unref();

/** Runs `fn` as job `job`: marked for the stall monitor now, and for every callback it schedules. */
function enter<T>(job: number, fn: () => T): T {
  Atomics.store(slots, SLOT.job, job);
  return current.run(job, fn);
}

const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
const aborts = new Map<number, AbortController>();
let nextCall = 0;

/**
 * Most JSON a judge's details or a workflow event carries to the trainer thread; the run's
 * records keep less (`rollout.user_data_max_kb`).
 */
const TRANSPORT_MAX_BYTES = 8 << 20;

function send(m: FromWorker): void {
  port.postMessage(m);
}

function serialize(e: unknown, file?: string): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { message: err.message, stack: err.stack, location: (err as UserCodeError).location ?? (file ? userLocation(err, file) : undefined) };
}

function request<T>(job: number, make: (call: number) => FromWorker): Promise<T> {
  const call = nextCall++;
  return new Promise<T>((resolve, reject) => {
    pending.set(`${job}:${call}`, { resolve: resolve as (v: unknown) => void, reject });
    send(make(call));
  });
}

const modules = new Map<string, unknown>();
function loadExport(ref: CodeRef): unknown {
  const file = ref.file!;
  let mod = modules.get(file);
  if (!mod) {
    try {
      mod = require(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(file)) {
        throw new UserCodeError('no such file', file);
      }
      if (e instanceof UserCodeError) throw e;
      throw new UserCodeError(`loading failed: ${(e as Error).message}`, userLocation(e, file) ?? file);
    }
    modules.set(file, mod);
  }
  const exports = mod as Record<string, unknown>;
  const value = ref.exportName === 'default' ? (exports.default ?? exports) : exports[ref.exportName];
  if (value === undefined) {
    const names = Object.keys(exports).filter((k) => k !== '__esModule');
    throw new UserCodeError(`has no export "${ref.exportName}"${names.length ? ` (it exports: ${names.join(', ')})` : ''}`, file);
  }
  return value;
}

function expect(kind: UserKind, ref: CodeRef): ExportInfo & { value: unknown } {
  const value = loadExport(ref);
  const what = `export "${ref.exportName}" of ${ref.file}`;
  if (kind === 'workflow') {
    const w = asWorkflow(value);
    if (!w) throw new UserCodeError(`${what} is not a workflow: export defineWorkflow(async (ctx) => ({ messages }))`, ref.file);
    return { kind, name: w.name, value: w };
  }
  if (kind === 'judge') {
    const j = asJudge(value);
    if (!j) throw new UserCodeError(`${what} is not a judge: export defineJudge((input) => ({ reward, is_success }))`, ref.file);
    return { kind, name: j.name, value: j };
  }
  if (!isTool(value)) throw new UserCodeError(`${what} is not a tool: export defineTool({ name, description, parameters, run })`, ref.file);
  return { kind, name: value.schema.function.name, schema: value.schema, value };
}

function context(job: number, init: RolloutInit, signal: AbortSignal): RolloutContext {
  let turns = 0;
  return rolloutContext(init, {
    turns: () => turns,
    chat(messages, options) {
      if (signal.aborted) return Promise.reject(new Error('the rollout was cancelled'));
      turns++;
      return request<AssistantTurn>(job, (call) => ({ type: 'chat', job, call, messages, options }));
    },
    callTool: (toolCall, role) => request<Message>(job, (call) => ({ type: 'callTool', job, call, toolCall, role })),
    emit: (name, data) => send({ type: 'emit', job, name, data: plainData(data ?? null, TRANSPORT_MAX_BYTES).value }),
  });
}

async function run(m: Extract<ToWorker, { job: number; ref: CodeRef }>): Promise<unknown> {
  if (m.type === 'inspect') {
    const { value: _value, ...info } = expect(m.kind, m.ref);
    return info;
  }
  const abort = new AbortController();
  aborts.set(m.job, abort);
  try {
    if (m.type === 'workflow') {
      const w = expect('workflow', m.ref).value as ReturnType<typeof asWorkflow> & object;
      return await w.run(context(m.job, m.init, abort.signal));
    }
    if (m.type === 'judge') {
      const j = expect('judge', m.ref).value as ReturnType<typeof asJudge> & object;
      const result = (await j.judge(m.input as JudgeInput)) as JudgeResult;
      // Details may hold anything (cycles, functions, a huge object): only plain data crosses over.
      if (result && typeof result === 'object' && 'details' in result) return { ...result, details: plainData(result.details, TRANSPORT_MAX_BYTES).value };
      return result;
    }
    const t = expect('tool', m.ref).value as Tool;
    return await t.run(m.args, { signal: abort.signal, timeoutMs: m.timeoutMs });
  } finally {
    aborts.delete(m.job);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'reply') {
    const key = `${m.job}:${m.call}`;
    const p = pending.get(key);
    if (!p) return;
    pending.delete(key);
    // The continuation belongs to this job, not to whichever job ran last.
    enter(m.job, () => (m.error ? p.reject(Object.assign(new Error(m.error.message), { stack: m.error.stack })) : p.resolve(m.value)));
    return;
  }
  if (m.type === 'cancel') {
    aborts.get(m.job)?.abort();
    return;
  }
  if (m.type === 'preload') {
    Atomics.store(slots, SLOT.job, -1);
    for (const ref of m.refs) {
      try {
        loadExport(ref);
      } catch {
        // the job that needs it reports the error
      }
    }
    return;
  }
  send({ type: 'started', job: m.job });
  enter(m.job, () => {
    run(m).then(
      (value) => {
        try {
          send({ type: 'done', job: m.job, value: value === undefined ? null : value });
        } catch (e) {
          send({ type: 'done', job: m.job, error: { message: `returned a value that cannot be passed back (plain data only): ${(e as Error).message}` } });
        }
      },
      (e) => send({ type: 'done', job: m.job, error: serialize(e, m.ref.file) }),
    );
  });
});

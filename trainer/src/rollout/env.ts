// Everything a rollout needs, resolved once from the config: the model backend, the tools,
// the workflow and the judge, built-in or from the user's modules.
import { findBuiltin } from '../config/builtins';
import { parseRef, type CodeRef, type LoadedConfig } from '../config/load';
import type { TuneConfig } from '../config/types';
import { builtinJudge } from '../judges/registry';
import type { ChatBackend } from '../model/types';
import type { RunWriter } from '../run/writer';
import type { WorkflowResult } from '../sdk';
import { builtinTool } from '../tools/registry';
import type { ToolOutput } from '../tools/tool';
import { UserCodeHost } from '../user/host';
import { createBackend } from './backend';
import { react } from './react';
import { hashSeed } from './seed';
import type { RolloutEnv, RolloutHooks, RolloutSession, ToolEntry } from './session';

// The environment's types live with the session that uses them, so neither imports the other's module.
export type { RolloutEnv, RolloutHooks, ToolEntry };

/** Isolation lines already printed: once per process, not once per run. */
const reported = new Set<string>();

export interface EnvOptions {
  writer: RunWriter;
  /** Off under a debugger: a paused breakpoint must not count as a hang. */
  timeouts?: boolean;
  hooks?: RolloutHooks;
  backend?: ChatBackend;
  /** Replaces `judge.ref`, for rejudging with another judge. */
  judgeRef?: string;
}

export async function createEnv(loaded: LoadedConfig, opts: EnvOptions): Promise<RolloutEnv> {
  const { config, dir } = loaded;
  const timeouts = opts.timeouts ?? true;
  let host: UserCodeHost | undefined;
  const userHost = () => (host ??= new UserCodeHost({ timeouts }));
  // Judges and workflows with `isolation: process` get a host of child processes.
  let processHost: UserCodeHost | undefined;
  const childHost = () => {
    if (processHost) return processHost;
    processHost = new UserCodeHost({ timeouts, isolation: 'process' });
    if (!reported.has(processHost.boundary!.description)) {
      reported.add(processHost.boundary!.description);
      process.stderr.write(processHost.boundary!.description + '\n');
    }
    return processHost;
  };
  const hostFor = (isolation: 'thread' | 'process') => (isolation === 'process' ? childHost : userHost);
  const closers: (() => Promise<void>)[] = [async () => void (await processHost?.close())];

  try {
    const tools: ToolEntry[] = [];
    for (const t of config.tools) {
      const timeoutMs = t.timeout_s * 1000;
      const ref = parseRef(dir, t.ref);
      if (ref.builtin) {
        if (!findBuiltin('tool', t.ref)) throw new Error(`tools: unknown built-in tool "${t.ref}"`);
        const tool = builtinTool(ref.builtin, t.options as Record<string, unknown>);
        tools.push({ schema: tool.schema, timeoutMs, run: (args, ms) => withSignal(ms, (signal) => tool.run(args, { signal, timeoutMs: ms })) });
      } else {
        const info = await userHost().inspect(ref, 'tool');
        tools.push({ schema: info.schema!, timeoutMs, run: (args, ms) => userTool(userHost(), ref, args, ms) });
      }
    }

    const judgeRefText = opts.judgeRef ?? config.judge.ref;
    const judge = await makeJudge(config, parseRef(dir, judgeRefText), judgeRefText, hostFor(config.judge.isolation), dir);

    const workflowRef = parseRef(dir, config.workflow.ref);
    const rolloutMs = config.rollout.rollout_timeout_s * 1000;
    let runWorkflow: RolloutEnv['runWorkflow'];
    if (workflowRef.builtin) {
      if (workflowRef.builtin !== 'react') throw new Error(`workflow: unknown built-in workflow "${config.workflow.ref}"`);
      runWorkflow = (session) =>
        withTimeout(timeouts ? rolloutMs : Infinity, 'the workflow', () => react.run(session.context()), () => session.abort.abort());
    } else {
      const workflowHost = hostFor(config.workflow.isolation);
      await workflowHost().inspect(workflowRef, 'workflow');
      runWorkflow = (session) => userWorkflow(workflowHost(), workflowRef, session, rolloutMs);
    }

    const backend = opts.backend ?? (await createBackend(config, dir));
    if (!opts.backend) closers.push(() => backend.close());
    const seedBase = config.model.sampling.seed ?? config.seed;
    return {
      config,
      dir,
      configFile: loaded.file,
      backend,
      writer: opts.writer,
      tools,
      runWorkflow,
      judge,
      judgeRef: judgeRefText,
      hooks: opts.hooks ?? {},
      seedFor: (rolloutId, turn) => hashSeed(`${seedBase}:${rolloutId}:${turn}`),
      get host() {
        return host;
      },
      timeouts,
      async close() {
        await host?.close();
        for (const c of closers) await c();
      },
    };
  } catch (e) {
    await host?.close();
    await processHost?.close();
    throw e;
  }
}

/** The judge a config names, ready to call; user judges are loaded and checked first. */
export async function makeJudge(config: TuneConfig, ref: CodeRef, refText: string, userHost: () => UserCodeHost, dir?: string): Promise<RolloutEnv['judge']> {
  const ms = config.judge.timeout_s * 1000;
  const options = config.judge.options as Record<string, unknown>;
  if (ref.builtin) {
    if (!findBuiltin('judge', refText)) throw new Error(`judge: unknown built-in judge "${refText}"`);
    const fn = builtinJudge(ref.builtin, options, { dir });
    return (input) => withTimeout(ms, 'the judge', async () => fn({ ...input, options }));
  }
  await userHost().inspect(ref, 'judge');
  return (input) => userHost().judge(ref, { ...input, options }, ms);
}

function userWorkflow(host: UserCodeHost, ref: CodeRef, session: RolloutSession, timeoutMs: number): Promise<WorkflowResult> {
  return host.runWorkflow(
    ref,
    session.init(),
    {
      chat: (messages, options) => session.chat(messages, options),
      callTool: (call, role) => session.callTool(call, role),
      emit: (name, data) => session.emit(name, data),
      restart: () => session.reset(),
    },
    timeoutMs,
  );
}

async function userTool(host: UserCodeHost, ref: CodeRef, args: Record<string, unknown>, ms: number): Promise<ToolOutput> {
  try {
    return await host.runTool(ref, args, ms);
  } catch (e) {
    return { content: `Error: ${(e as Error).message}`, error: true };
  }
}

/** Runs `fn` with a signal that aborts after `ms`; built-in tools stop on it. */
async function withSignal<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error(`timed out after ${ms / 1000}s`)), ms);
  try {
    return await fn(ctl.signal);
  } finally {
    clearTimeout(timer);
  }
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms / 1000}s`);
    this.name = 'TimeoutError';
  }
}

function withTimeout<T>(ms: number, what: string, fn: () => Promise<T>, onTimeout?: () => void): Promise<T> {
  if (!Number.isFinite(ms)) return fn();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(new TimeoutError(what, ms));
    }, ms);
    fn().then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

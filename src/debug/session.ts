// The `agent-tune` debug adapter. It starts the trainer with the debug bridge (and the Node
// inspector, for the child `node` session that the extension attaches), and translates DAP
// requests into bridge requests: rollouts in flight are threads, a rollout's turns are its
// stack, function breakpoints and the "Workflow and judge errors" filter stop rollouts at
// agent-level places. The trainer holds all debugging state; this side renders it.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  ContinuedEvent,
  DebugSession,
  Event,
  ExitedEvent,
  InitializedEvent,
  OutputEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  ThreadEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ConfigError, loadConfig } from '../../trainer/src/config/load';
import { parseBreakpoint } from '../../trainer/src/debug/breakpoints';
import { describePosition } from '../../trainer/src/debug/bridge';
import type { BreakpointSpec, Events, RolloutView } from '../../trainer/src/debug/protocol';
import { checkLaunchArgs, type LaunchArgs } from './launch';
import { resolveRuntime, RuntimeError, type Runtime } from './runtime';
import { TrainerProcess } from './trainer';
import { judgeTranscript, turnTranscript } from './transcript';
import { VariableStore } from './variables';

/** Custom DAP events and requests shared with the extension. */
export const ATTACH_NODE_EVENT = 'agentTune.attachNode';
export const NODE_ATTACHED_REQUEST = 'agentTune.nodeAttached';
export { RUN_EVENT, OPEN_RUN_EVENT } from '../../trainer/src/run/constants';
import { DEBUG_TYPE, RUN_EVENT, OPEN_RUN_EVENT } from '../../trainer/src/run/constants';
export const OPEN_RUN_REQUEST = 'agentTune.openRunViewer';
export const USER_ERRORS_FILTER = 'userErrors';

export interface AttachNodeBody {
  port: number;
  name: string;
  cwd: string;
}

export interface SessionOptions {
  /** trainer/bin/agent-tune.js; found beside the bundle by default. */
  trainerCli?: string;
  /** How long to wait for the client to attach the Node debugger. */
  attachTimeoutMs?: number;
}

interface FrameRef {
  threadId: number;
  kind: 'turn' | 'judge';
  turn: number;
}

class LaunchError extends Error {}

interface Plan {
  args: LaunchArgs;
  config: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  runtime: Runtime;
  cli: string;
  debug: boolean;
  inspect: boolean;
  mode: string;
  trainerArgs: string[];
}

function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export function defaultTrainerCli(): string {
  // dist/extension.js and dist/debugAdapter.js both sit one folder below the repository root.
  for (const base of [join(__dirname, '..'), join(__dirname, '..', '..')]) {
    const cli = join(base, 'trainer', 'bin', 'agent-tune.js');
    if (existsSync(cli)) return cli;
  }
  return join(__dirname, '..', 'trainer', 'bin', 'agent-tune.js');
}

export class AgentTuneSession extends DebugSession {
  private trainer?: TrainerProcess;
  private launchArgs?: LaunchArgs;
  private configurationDone = deferred();
  private ready = deferred<Events['ready']>();
  private nodeAttached = deferred<{ ok: boolean; message?: string }>();
  private stopping = false;
  private runDir?: string;
  private functionBreakpoints: BreakpointSpec[] = [];
  private breakpointIds = new Map<string, number>();
  private userErrors = true;
  private threads = new Map<number, string>();
  private views = new Map<number, RolloutView>();
  private frames = new Map<number, FrameRef>();
  private nextFrame = 1;
  private sources = new Map<string, number>();
  private sourceText = new Map<number, string>();
  private store = new VariableStore();
  private lastStopped?: number;
  private stderrTail = '';

  constructor(private options: SessionOptions = {}) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- set-up ---------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsEvaluateForHovers: false,
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsRestartRequest: true,
      supportsSingleThreadExecutionRequests: false,
      exceptionBreakpointFilters: [
        { filter: USER_ERRORS_FILTER, label: 'Workflow and judge errors', description: 'Stop a rollout whose workflow or judge throws, before the next one runs.', default: true },
      ],
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configurationDone.resolve();
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    try {
      const plan = this.plan((args ?? {}) as LaunchArgs);
      // Breakpoints and filters arrive before configurationDone; a client that never sends it still runs.
      await Promise.race([this.configurationDone.promise, new Promise((r) => setTimeout(r, 2000))]);
      await this.startTrainer(plan);
      this.sendResponse(response);
    } catch (e) {
      await this.trainer?.kill();
      this.sendErrorResponse(response, { id: 2001, format: (e as Error).message, showUser: true });
      this.sendEvent(new TerminatedEvent());
    }
  }

  /** Checks the launch configuration and works out how to run the trainer; throws what to fix. */
  private plan(args: LaunchArgs): Plan {
    const problem = checkLaunchArgs(args);
    if (problem) throw new LaunchError(problem);
    this.launchArgs = args;
    const baseCwd = args.cwd && isAbsolute(args.cwd) ? args.cwd : resolve(args.cwd ?? process.cwd());
    const config = isAbsolute(args.config) ? args.config : resolve(baseCwd, args.config);
    if (!existsSync(config)) throw new LaunchError(`Config file not found: ${config}. Set "config" in the launch configuration to an existing *.tune.yaml file.`);
    try {
      loadConfig(config);
    } catch (e) {
      if (e instanceof ConfigError) {
        const errors = e.issues.filter((i) => i.severity === 'error');
        throw new LaunchError(`${config} has ${errors.length} problem${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} and start again:\n${e.message}`);
      }
      throw new LaunchError(`${config}: ${(e as Error).message}`);
    }
    const cwd = args.cwd ? baseCwd : dirname(config);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    delete env.NODE_OPTIONS;
    for (const [k, v] of Object.entries(args.env ?? {})) {
      if (v === null) delete env[k];
      else env[k] = v;
    }
    let runtime;
    try {
      runtime = resolveRuntime(args.runtimeExecutable, env, cwd);
    } catch (e) {
      if (e instanceof RuntimeError) throw new LaunchError(e.message);
      throw e;
    }
    const cli = this.options.trainerCli ?? defaultTrainerCli();
    if (!existsSync(cli)) throw new LaunchError(`The trainer is missing at ${cli}; build it with "npm run build".`);

    const debug = !args.noDebug;
    const inspect = debug && args.debugUserCode !== false;
    const mode = args.mode ?? 'debug';
    const command = mode === 'train' ? ['run', config] : mode === 'eval' ? ['eval', config] : ['debug', config, '--tasks', String(args.tasks ?? 2)];
    const trainerArgs = [...command, ...(debug ? ['--debug-bridge', '--no-timeouts'] : []), ...(args.args ?? [])];
    return { args, config, cwd, env, runtime, cli, debug, inspect, mode, trainerArgs };
  }

  /** Starts the trainer and waits until it is ready (and the Node debugger attached). */
  private async startTrainer(plan: Plan): Promise<void> {
    const { args, config, cwd, env, runtime, cli, debug, inspect, mode, trainerArgs } = plan;
    this.ready = deferred();
    this.nodeAttached = deferred();
    this.stopping = false;
    this.stderrTail = '';
    this.output('console', `Agent Tune: ${mode} ${config} with ${runtime.description}\n`);
    const trainer = new TrainerProcess({
      runtime,
      cli,
      args: trainerArgs,
      cwd,
      env,
      inspect,
      onOutput: (category, text) => {
        if (category === 'stderr') this.stderrTail = (this.stderrTail + text).slice(-4000);
        this.output(category, text);
      },
      onEvent: (event, body) => this.onTrainerEvent(event, body),
      onExit: (code, signal) => this.onTrainerExit(trainer, code, signal),
    });
    this.trainer = trainer;
    const exited = trainer.exited.then(() => {
      throw new LaunchError(`The trainer exited before it started${this.stderrTail.trim() ? `:\n${this.stderrTail.trim()}` : '.'}`);
    });
    exited.catch(() => undefined);

    if (inspect) {
      const port = await Promise.race([trainer.inspectorPort, exited]);
      const name = `${(args as DebugProtocol.LaunchRequestArguments & { name?: string }).name ?? 'Agent Tune'} (Node)`;
      this.sendEvent(new Event(ATTACH_NODE_EVENT, { port, name, cwd } satisfies AttachNodeBody));
      const timeout = this.options.attachTimeoutMs ?? 30_000;
      const attached = await Promise.race([
        this.nodeAttached.promise,
        exited,
        new Promise<{ ok: false; message: string }>((r) =>
          setTimeout(() => r({ ok: false, message: `no Node debugger attached within ${timeout / 1000} s (this client does not handle "${ATTACH_NODE_EVENT}")` }), timeout),
        ),
      ]);
      if (!attached.ok) throw new LaunchError(`The Node debugger could not attach to the trainer: ${attached.message}. Set "debugUserCode": false to debug without breakpoints in workflows and judges.`);
    }
    if (debug) {
      await Promise.race([this.ready.promise, exited]);
      await this.configure(args.stopOnEntry ?? false);
    }
  }

  private async configure(stopOnEntry = false): Promise<DebugProtocol.Breakpoint[]> {
    if (!this.trainer?.running) return this.functionBreakpoints.map((b) => this.status(b));
    const r = await this.trainer.request('configure', { breakpoints: this.functionBreakpoints, userErrors: this.userErrors, stopOnEntry });
    return r.breakpoints.map((s) => ({ id: s.id, verified: s.verified, ...(s.message ? { message: s.message } : {}) }));
  }

  private status(spec: BreakpointSpec): DebugProtocol.Breakpoint {
    const s = parseBreakpoint(spec).status;
    return { id: s.id, verified: s.verified, ...(s.message ? { message: s.message } : {}) };
  }

  // ---- the trainer's side ---------------------------------------------------------------

  private onTrainerEvent<E extends keyof Events>(event: E, body: Events[E]): void {
    switch (event) {
      case 'ready':
        this.ready.resolve(body as Events['ready']);
        return;
      case 'run': {
        const { runDir } = body as Events['run'];
        this.runDir = runDir;
        this.sendEvent(new Event(RUN_EVENT, { runDir }));
        return;
      }
      case 'thread': {
        const t = body as Events['thread'];
        if (t.reason === 'started') this.threads.set(t.threadId, t.name);
        else {
          this.threads.delete(t.threadId);
          this.views.delete(t.threadId);
        }
        this.sendEvent(new ThreadEvent(t.reason, t.threadId));
        return;
      }
      case 'stopped': {
        const s = body as Events['stopped'];
        this.views.delete(s.threadId);
        if (s.focus) this.lastStopped = s.threadId;
        const reason = s.reason === 'breakpoint' ? 'function breakpoint' : s.reason;
        const e = new StoppedEvent(reason, s.threadId, s.text) as DebugProtocol.StoppedEvent;
        e.body.description = s.description;
        e.body.allThreadsStopped = false;
        e.body.preserveFocusHint = !s.focus;
        if (s.hitBreakpointIds) e.body.hitBreakpointIds = s.hitBreakpointIds;
        this.sendEvent(e);
        return;
      }
      case 'warning':
        this.output('important', `${(body as Events['warning']).message}\n`);
        return;
    }
  }

  private onTrainerExit(trainer: TrainerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (trainer !== this.trainer) return;
    for (const id of this.threads.keys()) this.sendEvent(new ThreadEvent('exited', id));
    this.threads.clear();
    this.ready.reject(new Error('the trainer exited'));
    if (this.stopping) return;
    if (code !== 0) this.output('stderr', `The trainer exited with ${signal ? `signal ${signal}` : `code ${code}`}.\n`);
    this.sendEvent(new ExitedEvent(code ?? 1));
    this.sendEvent(new TerminatedEvent());
  }

  private output(category: string, text: string): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  private requireTrainer(): TrainerProcess {
    if (!this.trainer?.running) throw new Error('The trainer is not running.');
    return this.trainer;
  }

  /** Runs a request handler, turning a thrown error into an error response. */
  private async answer<R extends DebugProtocol.Response>(response: R, work: () => Promise<void> | void): Promise<void> {
    try {
      await work();
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 2002, format: (e as Error).message, showUser: false });
    }
  }

  // ---- breakpoints ----------------------------------------------------------------------

  protected override async setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): Promise<void> {
    await this.answer(response, async () => {
      this.functionBreakpoints = args.breakpoints.map((b) => {
        // The same breakpoint keeps its id (and hit count) when the list is sent again.
        const key = JSON.stringify([b.name, b.condition ?? '', b.hitCondition ?? '']);
        let id = this.breakpointIds.get(key);
        if (id === undefined) this.breakpointIds.set(key, (id = this.breakpointIds.size + 1));
        return { id, name: b.name, ...(b.condition ? { condition: b.condition } : {}), ...(b.hitCondition ? { hitCondition: b.hitCondition } : {}) };
      });
      response.body = { breakpoints: await this.configure() };
    });
  }

  protected override async setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): Promise<void> {
    await this.answer(response, async () => {
      this.userErrors = args.filters.includes(USER_ERRORS_FILTER);
      await this.configure();
    });
  }

  /** Line breakpoints in workflow and judge files belong to the child Node session. */
  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    response.body = {
      breakpoints: (args.breakpoints ?? []).map((b) => ({ verified: false, line: b.line, message: 'Line breakpoints bind in the Node session of the trainer; this session takes function breakpoints on agent behaviour.' })),
    };
    this.sendResponse(response);
  }

  // ---- execution ------------------------------------------------------------------------

  protected override async continueRequest(response: DebugProtocol.ContinueResponse): Promise<void> {
    await this.answer(response, async () => {
      this.forget();
      await this.requireTrainer().request('continue', {});
      response.body = { allThreadsContinued: true };
    });
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.answer(response, async () => {
      this.views.delete(args.threadId);
      await this.requireTrainer().request('next', { threadId: args.threadId });
    });
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.nextRequest(response, args);
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    await this.nextRequest(response, args);
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    await this.answer(response, () => this.requireTrainer().request('pause', {}).then(() => undefined));
  }

  /** Handles, views and documents are valid while the rollouts stand still. */
  private forget(): void {
    this.views.clear();
    this.frames.clear();
    this.store.clear();
  }

  // ---- state ----------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [...this.threads].map(([id, name]) => new Thread(id, name)) };
    this.sendResponse(response);
  }

  private async view(threadId: number): Promise<RolloutView> {
    let v = this.views.get(threadId);
    if (!v) {
      v = await this.requireTrainer().request('rollout', { threadId });
      this.views.set(threadId, v);
    }
    return v;
  }

  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    await this.answer(response, async () => {
      const v = await this.view(args.threadId);
      const p = v.position;
      const refs: FrameRef[] = [];
      if (p?.at === 'judge' || p?.at === 'judged') refs.push({ threadId: args.threadId, kind: 'judge', turn: -1 });
      const current = p && 'turn' in p ? p.turn : v.turns.length - 1;
      for (let k = Math.max(current, v.turns.length - 1); k >= 0; k--) refs.push({ threadId: args.threadId, kind: 'turn', turn: k });
      const frames = refs.map((ref, i) => this.frame(v, ref, i === 0));
      const start = args.startFrame ?? 0;
      const levels = args.levels || frames.length;
      response.body = { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
    });
  }

  private frame(v: RolloutView, ref: FrameRef, top: boolean): DebugProtocol.StackFrame {
    const id = this.nextFrame++;
    this.frames.set(id, ref);
    const doc = ref.kind === 'judge' ? judgeTranscript(v) : turnTranscript(v, ref.turn);
    const key = `${v.id}:${ref.kind}:${ref.turn}`;
    let sourceRef = this.sources.get(key);
    if (sourceRef === undefined) this.sources.set(key, (sourceRef = this.sources.size + 1));
    this.sourceText.set(sourceRef, doc.text);
    const source = new Source(`${v.task_id} #${v.sample} · ${ref.kind === 'judge' ? 'judge' : `turn ${ref.turn}`}`, undefined, sourceRef, 'transcript', DEBUG_TYPE);
    let name: string;
    if (ref.kind === 'judge') {
      name = v.judged ? `reward ${v.judged.reward}${v.judged.success ? ' ✓' : ''}` : 'judge';
    } else {
      const turn = v.turns[ref.turn];
      const tools = turn?.tools.map((t) => t.call.name) ?? [];
      name = turn ? `turn ${ref.turn} · ${turn.role}${tools.length ? ` → ${tools.join(', ')}` : ''}${turn.flags.length ? ` [${turn.flags.join(', ')}]` : ''}` : `turn ${ref.turn} · next`;
      if (top && v.position && v.position.at !== 'turn' && v.position.at !== 'sampled') name += ` @ ${describePosition(v.position)}`;
    }
    return new StackFrame(id, name, source, doc.line, 1);
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const ref = args.source?.sourceReference ?? args.sourceReference;
    const text = this.sourceText.get(ref);
    if (text === undefined) {
      this.sendErrorResponse(response, { id: 2003, format: 'This transcript is no longer available.', showUser: false });
      return;
    }
    response.body = { content: text, mimeType: 'text/plain' };
    this.sendResponse(response);
  }

  protected override async scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): Promise<void> {
    await this.answer(response, async () => {
      const ref = this.frames.get(args.frameId);
      if (!ref) throw new Error('The rollout has moved on; select the frame again.');
      const v = await this.view(ref.threadId);
      const scopes: DebugProtocol.Scope[] = [];
      const p = v.position;
      const top = ref.kind === 'judge' || (p && 'turn' in p && p.turn === ref.turn);
      if (top && p && (p.at === 'tool' || p.at === 'tool_result')) {
        scopes.push(new Scope('Tool call', this.store.scope(toolEntries(p)), false));
      }
      if (ref.kind === 'judge') {
        scopes.push(new Scope('Judge', this.store.scope(judgeEntries(v)), false));
        scopes.push(new Scope('Conversation', this.store.scope(v.messages.map((m, i) => [`${i} ${m.role}`, m])), false));
      } else {
        const turn = v.turns[ref.turn];
        if (turn) scopes.push(new Scope(`Turn ${ref.turn}`, this.store.scope(turnEntries(turn)), false));
        const prompt = turn ? turn.prompt : v.messages;
        scopes.push(new Scope('Messages', this.store.scope(prompt.map((m, i) => [`${i} ${m.role}`, m])), false));
      }
      scopes.push(new Scope('Rollout', this.store.scope(rolloutEntries(v)), true));
      response.body = { scopes };
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    let variables = this.store.variables(args.variablesReference);
    if (args.filter === 'indexed' && args.start !== undefined) variables = variables.slice(args.start, args.start + (args.count ?? variables.length));
    response.body = { variables };
    this.sendResponse(response);
  }

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    await this.answer(response, async () => {
      const threadId = args.frameId !== undefined ? this.frames.get(args.frameId)?.threadId : this.lastStopped;
      const { value } = await this.requireTrainer().request('evaluate', { threadId, expression: args.expression });
      const v = this.store.variable('', value);
      response.body = { result: v.value, type: v.type, variablesReference: v.variablesReference };
    });
  }

  protected override async exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): Promise<void> {
    await this.answer(response, async () => {
      const v = await this.view(args.threadId);
      if (!v.error) throw new Error('This rollout has no error.');
      response.body = {
        exceptionId: `${v.error.source}_error`,
        description: v.error.message,
        breakMode: 'always',
        details: { message: v.error.message, typeName: v.error.source === 'judge' ? 'Judge error' : 'Workflow error', ...(v.error.stack ? { stackTrace: v.error.stack } : {}) },
      };
    });
  }

  // ---- custom requests ------------------------------------------------------------------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command === NODE_ATTACHED_REQUEST) {
      const a = (args ?? {}) as { ok?: boolean; message?: string };
      this.nodeAttached.resolve({ ok: a.ok !== false, ...(a.message ? { message: a.message } : {}) });
      this.sendResponse(response);
    } else if (command === OPEN_RUN_REQUEST) {
      if (!this.runDir) {
        this.sendErrorResponse(response, { id: 2004, format: 'The trainer has not created its run directory yet.', showUser: true });
        return;
      }
      response.body = { runDir: this.runDir };
      this.sendResponse(response);
      this.sendEvent(new Event(OPEN_RUN_EVENT, { runDir: this.runDir }));
    } else {
      super.customRequest(command, response, args);
    }
  }

  // ---- ending ---------------------------------------------------------------------------

  private async stopTrainer(): Promise<void> {
    this.stopping = true;
    this.nodeAttached.resolve({ ok: false, message: 'the session is ending' });
    await this.trainer?.kill();
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.stopTrainer();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.stopTrainer();
    this.sendResponse(response);
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    const next = (args.arguments as LaunchArgs | undefined) ?? this.launchArgs;
    await this.stopTrainer();
    for (const id of this.threads.keys()) this.sendEvent(new ThreadEvent('exited', id));
    this.threads.clear();
    this.forget();
    this.sources.clear();
    this.sourceText.clear();
    this.runDir = undefined;
    if (!next) {
      this.sendErrorResponse(response, { id: 2005, format: 'There is nothing to restart.', showUser: true });
      return;
    }
    try {
      this.sendEvent(new ContinuedEvent(0, true));
      await this.startTrainer(this.plan(next));
      this.sendResponse(response);
    } catch (e) {
      await this.trainer?.kill();
      this.sendErrorResponse(response, { id: 2001, format: (e as Error).message, showUser: true });
      this.sendEvent(new TerminatedEvent());
    }
  }

  /** The standalone adapter exits after this; the trainer goes first. */
  override shutdown(): void {
    void this.stopTrainer().finally(() => super.shutdown());
  }

  /** The extension host disposes in-process adapters; nothing may outlive the session. */
  override dispose(): void {
    void this.stopTrainer();
    super.dispose();
  }
}

function toolEntries(p: { call: { name: string; id: string; arguments: Record<string, unknown> }; content?: string; error?: boolean }): [string, unknown][] {
  return [
    ['name', p.call.name],
    ['id', p.call.id],
    ['arguments', p.call.arguments],
    ...(p.content !== undefined ? ([['result', p.content], ['error', p.error ?? false]] as [string, unknown][]) : []),
  ];
}

function turnEntries(t: RolloutView['turns'][number]): [string, unknown][] {
  return [
    ['index', t.index],
    ['role', t.role],
    ['content', t.message.content],
    ['tool calls', t.tools.map((x) => ({ name: x.call.name, id: x.call.id, arguments: x.call.arguments, result: x.content, error: x.error, duration_ms: x.duration_ms }))],
    ['flags', t.flags],
    ...(t.format_error ? ([['format_error', t.format_error]] as [string, unknown][]) : []),
    ['completion_tokens', t.completion_tokens],
    ['duration_ms', t.duration_ms],
  ];
}

function judgeEntries(v: RolloutView): [string, unknown][] {
  const entries: [string, unknown][] = [];
  if (v.judged) entries.push(['reward', v.judged.reward], ['success', v.judged.success], ['parts', v.judged.parts], ['final_answer', v.judged.final_answer]);
  else entries.push(['reward', 'not judged yet']);
  if (v.error) entries.push(['error', v.error]);
  entries.push(['flags', v.flags]);
  return entries;
}

function rolloutEntries(v: RolloutView): [string, unknown][] {
  return [
    ['id', v.id],
    ['task_id', v.task_id],
    ['question', v.question],
    ['reference', v.reference],
    ['sample', v.sample],
    ['step', v.step],
    ['phase', v.phase],
    ['at', v.position ? describePosition(v.position) : 'starting'],
    ['turns', v.turns.length],
    ['tool_calls', v.tool_calls],
    ['flags', v.flags],
    ...(v.judged ? ([['reward', v.judged.reward], ['parts', v.judged.parts], ['success', v.judged.success]] as [string, unknown][]) : []),
    ...(v.error ? ([['error', v.error]] as [string, unknown][]) : []),
    ...(v.custom.length ? ([['events', v.custom]] as [string, unknown][]) : []),
  ];
}

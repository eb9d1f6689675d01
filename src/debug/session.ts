// The `agent-tune` debug adapter's DAP side. The trainer (debuggee.ts) runs with the debug
// bridge, and this session translates between DAP and the bridge: rollouts in flight are
// threads, a rollout's turns are its stack (frames.ts), function breakpoints and the
// "Workflow and judge errors" filter stop rollouts at agent-level places. The trainer holds
// all debugging state; this side renders it.
import { ContinuedEvent, Event, ExitedEvent, InitializedEvent, logger, LoggingDebugSession, OutputEvent, StoppedEvent, TerminatedEvent, Thread, ThreadEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { BreakpointStatus, Events, RolloutView } from '../../trainer/src/debug/protocol';
import { OPEN_RUN_EVENT, RUN_EVENT } from '../../trainer/src/run/constants';
import { Debuggee } from './debuggee';
import type { LaunchArgs } from './launch';
import { ATTACH_NODE_EVENT, NODE_ATTACHED_REQUEST, OPEN_RUN_REQUEST, USER_ERRORS_FILTER, type SessionOptions } from './names';
import { planLaunch } from './plan';
import { startTrace } from './trace';
import { Frames } from './frames';
import { VariableStore } from './variables';

export { ATTACH_NODE_EVENT, NODE_ATTACHED_REQUEST, OPEN_RUN_EVENT, OPEN_RUN_REQUEST, RUN_EVENT, USER_ERRORS_FILTER, type AttachNodeBody, type SessionOptions } from './names';
export { traceDir } from './trace';

function toDap(s: BreakpointStatus): DebugProtocol.Breakpoint {
  return { id: s.id, verified: s.verified, ...(s.message ? { message: s.message } : {}) };
}

export class AgentTuneSession extends LoggingDebugSession {
  private trainer: Debuggee;
  private launchArgs?: LaunchArgs;
  private configured!: () => void;
  private configurationDone = new Promise<void>((resolve) => (this.configured = resolve));
  private runDir?: string;
  private breakpointIds = new Map<string, number>();
  private threads = new Map<number, string>();
  private views = new Map<number, RolloutView>();
  private frames = new Frames();
  private store = new VariableStore();
  private lastStopped?: number;

  constructor(private options: SessionOptions = {}) {
    super();
    // Inside the extension host nobody calls start(), which is where the logger is given its sink.
    logger.init((e) => this.sendEvent(e), undefined, false);
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.trainer = new Debuggee(
      {
        output: (category, text) => this.output(category, text),
        attachNode: (body) => this.sendEvent(new Event(ATTACH_NODE_EVENT, body)),
        event: (event, body) => this.onTrainerEvent(event, body),
        exited: (code, signal, stopping) => this.onTrainerExit(code, signal, stopping),
      },
      options.attachTimeoutMs,
    );
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
    this.configured();
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    try {
      const launch = (args ?? {}) as LaunchArgs;
      const trace = startTrace(launch.trace, launch.cwd ?? process.cwd());
      if (trace) this.output('console', `Agent Tune: tracing the Debug Adapter Protocol to ${trace}\n`);
      const plan = planLaunch(launch, this.options.trainerCli);
      this.launchArgs = plan.args;
      // Breakpoints sent before the trainer starts are answered as this launch will treat them.
      this.trainer.debugging = plan.debug;
      // Breakpoints and filters arrive before configurationDone; a client that never sends it still runs.
      await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, 2000))]);
      await this.trainer.start(plan);
      this.sendResponse(response);
    } catch (e) {
      await this.trainer.kill();
      this.sendErrorResponse(response, { id: 2001, format: (e as Error).message, showUser: true });
      this.sendEvent(new TerminatedEvent());
    }
  }

  // ---- the trainer's side ---------------------------------------------------------------

  private onTrainerEvent<E extends Exclude<keyof Events, 'ready'>>(event: E, body: Events[E]): void {
    switch (event) {
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

  private onTrainerExit(code: number | null, signal: NodeJS.Signals | null, stopping: boolean): void {
    for (const id of this.threads.keys()) this.sendEvent(new ThreadEvent('exited', id));
    this.threads.clear();
    if (stopping) return;
    if (code !== 0) this.output('stderr', `The trainer exited with ${signal ? `signal ${signal}` : `code ${code}`}.\n`);
    this.sendEvent(new ExitedEvent(code ?? 1));
    this.sendEvent(new TerminatedEvent());
  }

  private output(category: string, text: string): void {
    this.sendEvent(new OutputEvent(text, category));
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
      this.trainer.breakpoints = args.breakpoints.map((b) => {
        // The same breakpoint keeps its id (and hit count) when the list is sent again.
        const key = JSON.stringify([b.name, b.condition ?? '', b.hitCondition ?? '']);
        let id = this.breakpointIds.get(key);
        if (id === undefined) this.breakpointIds.set(key, (id = this.breakpointIds.size + 1));
        return { id, name: b.name, ...(b.condition ? { condition: b.condition } : {}), ...(b.hitCondition ? { hitCondition: b.hitCondition } : {}) };
      });
      response.body = { breakpoints: (await this.trainer.configure()).map(toDap) };
    });
  }

  protected override async setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): Promise<void> {
    await this.answer(response, async () => {
      this.trainer.userErrors = args.filters.includes(USER_ERRORS_FILTER);
      await this.trainer.configure();
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
      await this.trainer.request('continue', {});
      response.body = { allThreadsContinued: true };
    });
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.answer(response, async () => {
      this.views.delete(args.threadId);
      await this.trainer.request('next', { threadId: args.threadId });
    });
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.nextRequest(response, args);
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    await this.nextRequest(response, args);
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    await this.answer(response, () => this.trainer.request('pause', {}).then(() => undefined));
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
      v = await this.trainer.request('rollout', { threadId });
      this.views.set(threadId, v);
    }
    return v;
  }

  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    await this.answer(response, async () => {
      const v = await this.view(args.threadId);
      const frames = this.frames.stack(v, args.threadId);
      const start = args.startFrame ?? 0;
      const levels = args.levels || frames.length;
      response.body = { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
    });
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const ref = args.source?.sourceReference ?? args.sourceReference;
    const text = this.frames.text(ref);
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
      const scopes = this.frames.scopes(await this.view(ref.threadId), ref, this.store);
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
      const { value } = await this.trainer.request('evaluate', { threadId, expression: args.expression });
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
      this.trainer.nodeAttached({ ok: a.ok !== false, ...(a.message ? { message: a.message } : {}) });
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

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.trainer.stop();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.trainer.stop();
    this.sendResponse(response);
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    const next = (args.arguments as LaunchArgs | undefined) ?? this.launchArgs;
    await this.trainer.stop();
    for (const id of this.threads.keys()) this.sendEvent(new ThreadEvent('exited', id));
    this.threads.clear();
    this.forget();
    this.frames.clearDocuments();
    this.runDir = undefined;
    if (!next) {
      this.sendErrorResponse(response, { id: 2005, format: 'There is nothing to restart.', showUser: true });
      return;
    }
    try {
      this.sendEvent(new ContinuedEvent(0, true));
      const plan = planLaunch(next, this.options.trainerCli);
      this.launchArgs = plan.args;
      await this.trainer.start(plan);
      this.sendResponse(response);
    } catch (e) {
      await this.trainer.kill();
      this.sendErrorResponse(response, { id: 2001, format: (e as Error).message, showUser: true });
      this.sendEvent(new TerminatedEvent());
    }
  }

  /** The standalone adapter exits after this; the trainer goes first. */
  override shutdown(): void {
    void this.trainer.stop().finally(() => super.shutdown());
  }

  /** The extension host disposes in-process adapters; nothing may outlive the session. */
  override dispose(): void {
    void this.trainer.stop();
    super.dispose();
  }
}

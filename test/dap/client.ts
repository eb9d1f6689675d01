// DebugClient on dist/debugAdapter.js, with every event kept so that a test can wait for one
// that may already have arrived.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterPath } from './workspace';

export class Client extends DebugClient {
  readonly events: DebugProtocol.Event[] = [];
  private taken = new Set<number>();

  constructor() {
    super(process.execPath, adapterPath, 'agent-tune', {}, true);
    for (const type of ['initialized', 'stopped', 'thread', 'output', 'terminated', 'exited', 'agentTune.run', 'agentTune.openRun', 'agentTune.attachNode', 'continued']) {
      this.on(type, (e: DebugProtocol.Event) => this.events.push(e));
    }
  }

  /** The first event not yet taken of `type` that satisfies `match`. */
  async next<E extends DebugProtocol.Event>(type: string, match: (e: E) => boolean = () => true, timeoutMs = 60_000): Promise<E> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.events.length; i++) {
        const e = this.events[i] as E;
        if (!this.taken.has(i) && e.event === type && match(e)) {
          this.taken.add(i);
          return e;
        }
      }
      if (Date.now() > deadline) throw new Error(`no "${type}" event within ${timeoutMs} ms; events: ${this.events.map((e) => e.event).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  stopped(match: (e: DebugProtocol.StoppedEvent) => boolean = () => true, timeoutMs?: number): Promise<DebugProtocol.StoppedEvent> {
    return this.next<DebugProtocol.StoppedEvent>('stopped', match, timeoutMs);
  }

  /** The named scope's variables of the top frame of a thread, as name → value. */
  async scopeValues(threadId: number, scope: string, frameIndex = 0): Promise<Record<string, string>> {
    const frames = (await this.stackTraceRequest({ threadId })).body.stackFrames;
    const scopes = (await this.scopesRequest({ frameId: frames[frameIndex].id })).body.scopes;
    const s = scopes.find((x) => x.name === scope);
    if (!s) throw new Error(`no scope "${scope}" in ${scopes.map((x) => x.name).join(', ')}`);
    const vars = (await this.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
    return Object.fromEntries(vars.map((v) => [v.name, v.value]));
  }

  async evaluate(threadId: number, expression: string): Promise<string> {
    const frames = (await this.stackTraceRequest({ threadId })).body.stackFrames;
    return (await this.evaluateRequest({ expression, frameId: frames[0].id, context: 'repl' })).body.result;
  }
}

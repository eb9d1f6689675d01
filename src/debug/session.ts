import { DebugSession, TerminatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

/** Translates DAP requests into trainer commands; the trainer holds all debugging state. */
export class AgentTuneSession extends DebugSession {
  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = { supportsConfigurationDoneRequest: true };
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse): void {
    this.sendErrorResponse(response, 1001, 'Agent Tune launch is not available in this build yet.');
    this.sendEvent(new TerminatedEvent());
  }
}

// The one RolloutContext a workflow gets, built-in or the user's: the trainer builds it around
// its session (rollout/session.ts), the user-code worker around requests to the trainer
// (worker.ts); both from the same RolloutInit, so the turn limit is checked here alone.
import type { Message, ToolCall } from '../run/events';
import { TurnLimitError, type AssistantTurn, type ChatOptions, type RolloutContext } from '../sdk';
import type { RolloutInit } from './protocol';

/** What a context's calls do on its side of the worker boundary. */
export interface ContextCalls {
  /** Turns taken so far. */
  turns(): number;
  chat(messages: Message[], options: ChatOptions): Promise<AssistantTurn>;
  callTool(call: ToolCall, role: string | undefined): Promise<Message>;
  emit(name: string, data: unknown): void;
}

export function rolloutContext(init: RolloutInit, calls: ContextCalls): RolloutContext {
  return {
    task: init.task,
    rolloutId: init.rolloutId,
    sample: init.sample,
    systemPrompt: init.systemPrompt,
    tools: init.tools,
    maxTurns: init.maxTurns,
    options: init.options,
    get turns() {
      return calls.turns();
    },
    chat(messages: Message[], options: ChatOptions = {}): Promise<AssistantTurn> {
      if (calls.turns() >= init.maxTurns) return Promise.reject(new TurnLimitError(init.maxTurns));
      return calls.chat(messages, options);
    },
    callTool: (call: ToolCall, options: { role?: string } = {}) => calls.callTool(call, options.role),
    formatErrorMessage: (error: string) => formatErrorMessage(init.formatErrorMessage, error),
    emit: (name: string, data?: unknown) => calls.emit(name, data),
  };
}

/** The tool message answering a malformed call: `rollout.format_error_message` with `{error}` filled in. */
function formatErrorMessage(template: string, error: string): Message {
  return { role: 'tool', content: template.replace('{error}', error) };
}

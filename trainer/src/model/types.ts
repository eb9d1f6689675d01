// What the rollout runtime needs from a model, whichever backend serves it.
import type { Message } from '../run/events';

/** A tool as the chat template and OpenAI's API see it. */
export interface ToolSchema {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface SamplingParams {
  temperature: number;
  top_p: number;
  top_k: number;
  max_new_tokens: number;
  stop: string[];
  /** Seeds this request's sampler; the same seed and prompt give the same tokens. */
  seed: number;
}

export interface ChatRequest {
  messages: Message[];
  tools?: ToolSchema[];
  sampling: SamplingParams;
  signal?: AbortSignal;
  /** Called with each decoded piece of text as it is sampled. */
  onText?: (piece: string) => void;
}

export interface ChatResult {
  /** The raw assistant text, tool-call markup included. */
  text: string;
  finish_reason: 'stop' | 'length' | 'abort';
  prompt_tokens: number;
  completion_tokens: number;
  /** Local backends: the sampled tokens, their text pieces and logprobs under the sampling policy. */
  token_ids?: number[];
  tokens?: string[];
  logprobs?: number[];
  /** Local backends: the prompt's token ids, so the trainer can rebuild the sequence. */
  prompt_ids?: number[];
  duration_ms: number;
}

export interface ChatBackend {
  readonly name: string;
  chat(req: ChatRequest): Promise<ChatResult>;
  close(): Promise<void>;
}

// The OpenAI Chat Completions wire format, as far as the `openai` backend sends it and
// `agent-tune serve` answers it: one definition for both ends.
import type { ToolSchema } from './types';

export interface WireToolCall {
  id: string;
  type: 'function';
  /** `arguments` is a JSON text, not an object. */
  function: { name: string; arguments: string };
}

export interface WireContentPart {
  type: string;
  text?: string;
}

export interface WireMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | WireContentPart[] | null;
  tool_calls?: WireToolCall[];
  tool_call_id?: string;
  name?: string;
}

export interface ChatCompletionRequest {
  model: string;
  messages: WireMessage[];
  tools?: ToolSchema[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  temperature?: number;
  top_p?: number;
  /** Not in OpenAI's API; vLLM, SGLang and llama.cpp accept it. */
  top_k?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  seed?: number;
  n?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  logprobs?: boolean;
  top_logprobs?: number;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

export type WireFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[] };
    logprobs: { content: TokenLogprob[] | null } | null;
    finish_reason: WireFinishReason;
  }[];
  usage: Usage;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: ToolCallDelta[] };
    logprobs: { content: TokenLogprob[] | null } | null;
    finish_reason: WireFinishReason | null;
  }[];
  usage?: Usage | null;
}

export interface ModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

/** OpenAI's error body; `type` is `invalid_request_error`, `not_found_error`, `server_error`, ... */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
